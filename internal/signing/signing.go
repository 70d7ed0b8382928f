// Package signing turns the configured secrets (SESSION_SECRET: the first
// signs, all verify) into signed-cookie codecs with one key per purpose.
// Each purpose's key is derived from each secret with HKDF-SHA256 (RFC
// 5869) under the purpose's own label, so a value signed for one purpose
// never verifies as another, even under the same secret and cookie name,
// and the secret itself never keys an HMAC. The codecs are
// gorilla/securecookie's, signed and not encrypted.
//
// It imports nothing of the project, so the session layer and the cookie
// handlers can both use it.
package signing

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// MinSecretBytes is the shortest secret accepted: 32 bytes (64 hex digits
// in SESSION_SECRET).
const MinSecretBytes = 32

// KeyBytes is the length of a derived key: 32 bytes, HMAC-SHA256's block
// of security.
const KeyBytes = 32

// Purpose names what a key signs; it is the HKDF info label, so changing a
// purpose's label changes its key (and ends every value signed under it).
type Purpose string

// The purposes of the project's signed cookies.
const (
	// SessionCookie signs the server-side session cookie's random ID.
	SessionCookie Purpose = "sessionlab session cookie v1"
	// SignedSession signs the data of the Flask-style signed_session cookie.
	SignedSession Purpose = "sessionlab signed_session cookie v1"
)

// DeriveKey returns purpose's key derived from secret: HKDF-SHA256 with no
// salt (the secret is already uniformly random) and the purpose as info.
func DeriveKey(secret []byte, purpose Purpose) ([]byte, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("signing: a secret of %d bytes is shorter than %d", len(secret), MinSecretBytes)
	}
	if purpose == "" {
		return nil, errors.New("signing: no purpose")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, string(purpose), KeyBytes)
	if err != nil {
		return nil, fmt.Errorf("signing: derive the %q key: %w", purpose, err)
	}
	return key, nil
}

// Options shape a Codec's values.
type Options struct {
	// MaxAge refuses values signed longer ago than this; at least a second.
	MaxAge time.Duration
	// MaxLength refuses longer values (and longer encodings); 0: no limit.
	MaxLength int
	// Serializer turns values into bytes; nil is securecookie's gob.
	Serializer securecookie.Serializer
}

// Codec signs values with the first secret's key of its purpose and
// verifies them under every secret's key (rotation: NEW,OLD). It is safe
// for concurrent use.
type Codec struct {
	codecs []*securecookie.SecureCookie
}

// New returns a Codec for purpose under secrets (at least one, each at
// least MinSecretBytes long).
func New(secrets [][]byte, purpose Purpose, o Options) (*Codec, error) {
	if len(secrets) == 0 {
		return nil, fmt.Errorf("signing: no secret for %q", purpose)
	}
	if o.MaxAge < time.Second {
		return nil, fmt.Errorf("signing: MaxAge %v is less than a second", o.MaxAge)
	}
	c := &Codec{}
	for i, secret := range secrets {
		key, err := DeriveKey(secret, purpose)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		sc := securecookie.New(key, nil)
		if o.Serializer != nil {
			sc.SetSerializer(o.Serializer)
		}
		sc.MaxAge(int(o.MaxAge / time.Second))
		sc.MaxLength(o.MaxLength)
		c.codecs = append(c.codecs, sc)
	}
	return c, nil
}

// Encode signs value for the cookie called name under the first secret's
// key. name is part of the MAC: the value verifies under that name only.
func (c *Codec) Encode(name string, value any) (string, error) {
	v, err := c.codecs[0].Encode(name, value)
	if err != nil {
		return "", fmt.Errorf("signing: sign %s: %w", name, err)
	}
	return v, nil
}

// Decode verifies value as the cookie called name under each secret's key
// in turn and decodes it into dst. current reports whether it verified
// under the first key; a value that verifies only under an older one
// should be signed again.
func (c *Codec) Decode(name, value string, dst any) (current bool, err error) {
	for i, sc := range c.codecs {
		if err := sc.Decode(name, value, dst); err == nil {
			return i == 0, nil
		}
	}
	return false, fmt.Errorf("signing: %s does not verify under any key", name)
}

package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/sessionlab/sessionlab/internal/signing"
)

// macName is the name bound into every session cookie's MAC, whatever the
// cookie is called (session or __Host-session).
const macName = "session"

// maxCookieValue bounds a session cookie value read or written: far more
// than a signed 32-byte ID needs, so nothing longer is worth verifying.
const maxCookieValue = 4096

// Codec signs and verifies session cookie values with the session cookie's
// own key (signing.SessionCookie, derived from each configured secret): the
// first secret signs, every secret verifies (key rotation). Values are
// signed, not encrypted: they hold only the random session ID, which is no
// secret from its owner, and the store keeps the data.
type Codec struct {
	c *signing.Codec
}

// NewCodec returns a Codec for keys (the configured secrets, at least one,
// each at least 32 bytes). maxAge bounds the age of the signature's
// timestamp, an extra limit on top of the store's deadlines; it must be at
// least a second.
func NewCodec(keys [][]byte, maxAge time.Duration) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: no signing key")
	}
	c, err := signing.New(keys, signing.SessionCookie, signing.Options{
		MaxAge:     maxAge,
		MaxLength:  maxCookieValue,
		Serializer: securecookie.NopEncoder{},
	})
	if err != nil {
		return nil, fmt.Errorf("session: cookie codec: %w", err)
	}
	return &Codec{c: c}, nil
}

// Encode signs id under the first key.
func (c *Codec) Encode(id []byte) (string, error) {
	v, err := c.c.Encode(macName, id)
	if err != nil {
		return "", fmt.Errorf("session: sign cookie: %w", err)
	}
	return v, nil
}

// Decode verifies value and returns the session ID in it. current reports
// whether it verified under the first key; a cookie that verifies only under
// an older key should be re-issued.
func (c *Codec) Decode(value string) (id []byte, current bool, err error) {
	var b []byte
	current, err = c.c.Decode(macName, value, &b)
	if err != nil {
		return nil, false, errors.New("session: cookie does not verify under any key")
	}
	if len(b) != IDBytes {
		return nil, false, errors.New("session: cookie holds no session ID")
	}
	return b, current, nil
}

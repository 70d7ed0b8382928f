package session

import (
	"errors"
	"fmt"
	"time"

	"github.com/gorilla/securecookie"
)

// macName is the name bound into every session cookie's MAC, whatever the
// cookie is called (session or __Host-session).
const macName = "session"

// Codec signs and verifies session cookie values with gorilla/securecookie:
// the first key signs, every key verifies (key rotation). Values are signed,
// not encrypted: they hold only the random session ID, which is no secret
// from its owner, and the store keeps the data.
type Codec struct {
	codecs []*securecookie.SecureCookie
}

// NewCodec returns a Codec for keys (at least one). maxAge bounds the age
// of the signature's timestamp, an extra limit on top of the store's
// deadlines.
func NewCodec(keys [][]byte, maxAge time.Duration) (*Codec, error) {
	if len(keys) == 0 {
		return nil, errors.New("session: no signing key")
	}
	c := &Codec{}
	for _, k := range keys {
		sc := securecookie.New(k, nil)
		sc.SetSerializer(securecookie.NopEncoder{})
		sc.MaxAge(int(maxAge / time.Second))
		sc.MaxLength(4096)
		c.codecs = append(c.codecs, sc)
	}
	return c, nil
}

// Encode signs id under the first key.
func (c *Codec) Encode(id []byte) (string, error) {
	v, err := c.codecs[0].Encode(macName, id)
	if err != nil {
		return "", fmt.Errorf("session: sign cookie: %w", err)
	}
	return v, nil
}

// Decode verifies value and returns the session ID in it. current reports
// whether it verified under the first key; a cookie that verifies only under
// an older key should be re-issued.
func (c *Codec) Decode(value string) (id []byte, current bool, err error) {
	for i, sc := range c.codecs {
		var b []byte
		if err := sc.Decode(macName, value, &b); err == nil {
			if len(b) != IDBytes {
				return nil, false, errors.New("session: cookie holds no session ID")
			}
			return b, i == 0, nil
		}
	}
	return nil, false, errors.New("session: cookie does not verify under any key")
}

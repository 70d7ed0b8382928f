// Package signingtest builds signed values the way gorilla/securecookie
// does, at any time: for tests of signature lifetimes, which securecookie's
// own clock (time.Now) cannot reach.
package signingtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// Forge returns the value securecookie would make for the cookie called
// name holding the serialized payload, signed under key (no encryption)
// at signedAt: base64url(date|base64url(payload)|mac), with mac the
// HMAC-SHA256 of name|date|base64url(payload).
func Forge(key []byte, name string, signedAt time.Time, payload []byte) string {
	body := fmt.Sprintf("%d|%s", signedAt.Unix(), base64.URLEncoding.EncodeToString(payload))
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(name + "|" + body))
	return base64.URLEncoding.EncodeToString(append([]byte(body+"|"), mac.Sum(nil)...))
}

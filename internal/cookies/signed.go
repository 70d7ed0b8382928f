package cookies

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/sessionlab/sessionlab/internal/signing"
	"github.com/sessionlab/sessionlab/internal/web"
)

const (
	// signedCookie is the cookie's plain name, also the name bound into
	// its MAC whatever it is called (signed_session or
	// __Host-signed_session).
	signedCookie = "signed_session"
	// signedMaxAge bounds the age of a signed_session signature, as
	// Flask's PERMANENT_SESSION_LIFETIME (31 days) bounds its sessions.
	// The cookie itself has no Max-Age (it ends with the browser), so this
	// keeps a copied cookie from being replayed for ever, and lets a
	// retired key's cookies die out within 31 days. Every PUT signs anew.
	signedMaxAge = 31 * 24 * time.Hour
)

// signedSession serves /api/signed-session: a small map of strings kept in
// the browser, signed but not encrypted, the way Flask's default session
// works. The cookie is HttpOnly, SameSite=Lax, Path=/.
type signedSession struct {
	codec *signing.Codec // signed_session's own key per secret: the first signs, all verify
	cw    writer
}

// newSignedSession makes the signed_session codec: HMAC-SHA256 under the
// key signing derives for signed_session from each secret (never the
// session cookie's key, never the secret itself), signed and not
// encrypted, JSON serialization (so anyone can read the payload: that is
// the lesson), timestamps older than signedMaxAge refused, and no length
// limit of its own: the writer applies the 4096-byte budget to name and
// value together.
func newSignedSession(keys [][]byte, cw writer) (*signedSession, error) {
	codec, err := signing.New(keys, signing.SignedSession, signing.Options{
		MaxAge:     signedMaxAge,
		Serializer: securecookie.JSONEncoder{},
	})
	if err != nil {
		return nil, fmt.Errorf("cookies: signed_session: %w", err)
	}
	return &signedSession{codec: codec, cw: cw}, nil
}

// signedBody is the body of GET and PUT /api/signed-session. With no
// cookie, data is {} and cookie and readable are "".
type signedBody struct {
	Data     map[string]string `json:"data"`
	Cookie   string            `json:"cookie"`
	Readable string            `json:"readable"`
}

// signedRequest is the body of PUT /api/signed-session.
type signedRequest struct {
	Data map[string]string `json:"data"`
}

// get answers GET /api/signed-session. An empty cookie counts as none. A
// cookie that fails verification
// (changed, signed with a key no longer configured, or signed more than
// signedMaxAge ago) is 400 tampered_cookie and the response expires it.
func (s *signedSession) get(w http.ResponseWriter, r *http.Request) {
	value, _ := s.cw.read(r, signedCookie)
	if value == "" {
		web.WriteJSON(w, http.StatusOK, signedBody{Data: map[string]string{}})
		return
	}
	data, err := s.decode(value)
	if err != nil {
		s.refuse(w, r)
		return
	}
	web.WriteJSON(w, http.StatusOK, signedBody{Data: data, Cookie: value, Readable: readable(value)})
}

// put answers PUT /api/signed-session: {"data": {string: string}} is
// signed under the first key and set as the cookie; the body is as GET's.
// data is required (absent or null is 400 invalid_json); {} is an empty
// session. 400 cookie_too_large, with no cookie set, when the signed cookie
// would pass 4096 bytes.
func (s *signedSession) put(w http.ResponseWriter, r *http.Request) {
	var req signedRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if req.Data == nil {
		web.WriteError(w, r, web.Errorf(http.StatusBadRequest, "invalid_json",
			"The body needs \"data\": an object of string values."))
		return
	}
	value, err := s.codec.Encode(signedCookie, req.Data)
	if err != nil {
		web.WriteError(w, r, fmt.Errorf("sign %s: %w", signedCookie, err))
		return
	}
	if err := s.cw.set(w, http.Cookie{Name: s.cw.name(signedCookie), Value: value, HttpOnly: true}); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, signedBody{Data: req.Data, Cookie: value, Readable: readable(value)})
}

// delete answers DELETE /api/signed-session: 204, the cookie expired.
func (s *signedSession) delete(w http.ResponseWriter, r *http.Request) {
	if err := s.cw.expire(w, s.cw.name(signedCookie), true); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.NoContent(w)
}

// decode verifies value under every key and returns its data. A value
// longer than any cookie the API writes is refused before any work.
func (s *signedSession) decode(value string) (map[string]string, error) {
	if len(s.cw.name(signedCookie))+len(value) > maxCookieBytes {
		return nil, errors.New("signed_session: value longer than any cookie the API writes")
	}
	data := map[string]string{}
	if _, err := s.codec.Decode(signedCookie, value, &data); err != nil {
		return nil, fmt.Errorf("signed_session: %w", err)
	}
	if data == nil { // the JSON was null
		data = map[string]string{}
	}
	return data, nil
}

// refuse answers 400 tampered_cookie and expires the cookie.
func (s *signedSession) refuse(w http.ResponseWriter, r *http.Request) {
	web.Logger(r.Context()).Info("signed_session cookie failed verification; expiring it")
	if err := s.cw.expire(w, s.cw.name(signedCookie), true); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteError(w, r, web.Errorf(http.StatusBadRequest, "tampered_cookie",
		"The signed_session cookie failed verification (it was changed, signed with a retired key, or is more than 31 days old), so it was removed. Save your data again."))
}

// readable decodes a signed_session value without any key, to show that
// signing hides nothing: securecookie's format (with no block key) is
// base64url("timestamp|" + base64url(payload) + "|" + mac), and the payload
// is JSON. It returns the JSON without its trailing newline, or "" when
// value is not in that format.
func readable(value string) string {
	outer, err := base64.URLEncoding.DecodeString(value)
	if err != nil {
		return ""
	}
	parts := bytes.SplitN(outer, []byte("|"), 3)
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.URLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		return ""
	}
	return string(bytes.TrimSuffix(payload, []byte("\n")))
}

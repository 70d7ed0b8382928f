// Package cookies holds the handlers of the CookiesFunction: UI preferences
// in plain cookies, a visit counter, a cookie inspector that sets and
// deletes cookies by name, and a Flask-style signed client-side session. No
// database is involved: all state lives in the browser's cookies.
//
// Every cookie is written through one writer that refuses what a browser
// would drop or mangle (see the contract's "Cookies the API sets"). Cookie
// values are never logged, and the session cookie's value never appears in
// a response body.
package cookies

import (
	"fmt"
	"net/http"
)

// Config configures the handlers.
type Config struct {
	// Keys are the secrets signed_session's key is derived from
	// (SESSION_SECRET): the first signs, all verify. Each is at least
	// signing.MinSecretBytes long.
	Keys [][]byte
	// Secure adds the Secure attribute to every cookie and names each with
	// the __Host- prefix, reading only those names (COOKIE_SECURE).
	Secure bool
}

// Register adds the CookiesFunction's routes to mux:
//
//	GET    /api/preferences
//	PUT    /api/preferences
//	DELETE /api/preferences
//	POST   /api/visits
//	GET    /api/cookies
//	PUT    /api/cookies/{name}
//	DELETE /api/cookies/{name}
//	GET    /api/signed-session
//	PUT    /api/signed-session
//	DELETE /api/signed-session
//
// Wrap mux with web.API for the shared headers, 404s and cross-site
// refusal. Register fails when cfg has no key or a short key, or when mux
// already has a conflicting route.
func Register(mux *http.ServeMux, cfg Config) (err error) {
	cw := writer{secure: cfg.Secure}
	signed, err := newSignedSession(cfg.Keys, cw)
	if err != nil {
		return err
	}
	routes := []struct {
		pattern string
		handler http.HandlerFunc
	}{
		{"GET /api/preferences", cw.getPreferences},
		{"PUT /api/preferences", cw.putPreferences},
		{"DELETE /api/preferences", cw.deletePreferences},
		{"POST /api/visits", cw.postVisits},
		{"GET /api/cookies", listCookies},
		{"PUT /api/cookies/{name}", cw.putCookie},
		{"DELETE /api/cookies/{name}", cw.deleteCookie},
		{"GET /api/signed-session", signed.get},
		{"PUT /api/signed-session", signed.put},
		{"DELETE /api/signed-session", signed.delete},
	}
	defer func() {
		// ServeMux panics on a pattern that conflicts with one it has.
		if p := recover(); p != nil {
			err = fmt.Errorf("cookies: register routes: %v", p)
		}
	}()
	for _, rt := range routes {
		mux.HandleFunc(rt.pattern, rt.handler)
	}
	return nil
}

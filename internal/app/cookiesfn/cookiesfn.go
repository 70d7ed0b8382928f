// Package cookiesfn builds the CookiesFunction's handler: preferences,
// visits, the cookie inspector and the signed client-side session. It uses
// no store, so it imports neither internal/app nor any store: the
// CookiesFunction links no database client.
package cookiesfn

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/cookies"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Build builds the handler from the environment (SESSION_SECRET,
// COOKIE_SECURE, SITE_ORIGIN), without the edge (internal/app/edge).
func Build(_ context.Context, getenv config.Getenv) (http.Handler, error) {
	keys, err := config.Keys(getenv)
	if err != nil {
		return nil, err
	}
	ck, err := config.LoadCookies(getenv)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := cookies.Register(mux, cookies.Config{Keys: keys, Secure: ck.Secure}); err != nil {
		return nil, err
	}
	return web.API(mux, ck.SiteOrigin)
}

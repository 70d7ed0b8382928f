// Package authfn builds the AuthFunction's handler: accounts and
// server-side sessions.
package authfn

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/account"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Build builds the handler from the environment and o (the session and
// user stores, the clock, the argon2id cost), without the edge
// (internal/app/edge).
func Build(ctx context.Context, getenv config.Getenv, o app.Options) (http.Handler, error) {
	sessions, ck, err := app.Sessions(ctx, getenv, &o, true)
	if err != nil {
		return nil, err
	}
	params := o.Password
	if params == (password.Params{}) {
		params = password.Default
	}
	mux := http.NewServeMux()
	account.Register(mux, account.Config{Sessions: sessions, Users: o.Stores.Users, Throttle: o.Stores.Throttle, Password: params})
	return web.API(mux, ck.SiteOrigin)
}

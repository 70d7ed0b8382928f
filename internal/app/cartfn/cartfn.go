// Package cartfn builds the CartFunction's handler: the catalogue and the
// cart.
package cartfn

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/cart"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Build builds the handler from the environment and o (the session store,
// the clock), without the edge (internal/app/edge).
func Build(ctx context.Context, getenv config.Getenv, o app.Options) (http.Handler, error) {
	sessions, ck, err := app.Sessions(ctx, getenv, &o, false)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	cart.Register(mux, sessions)
	return web.API(mux, ck.SiteOrigin)
}

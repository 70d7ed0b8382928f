// Package visitsfn builds the VisitsFunction's handler: the server-side
// visit counter, kept in the session's data (the sessions table only).
package visitsfn

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/visits"
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
	visits.Register(mux, sessions)
	return web.API(mux, ck.SiteOrigin)
}

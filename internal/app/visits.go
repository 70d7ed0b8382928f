package app

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/visits"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Visits builds the VisitsFunction: the server-side visit counter, kept in
// the session's data (the sessions table only).
func Visits(ctx context.Context, getenv config.Getenv, o Options) (http.Handler, error) {
	sessions, ck, err := sessionManager(ctx, getenv, &o, false)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	visits.Register(mux, sessions)
	return web.API(mux, ck.SiteOrigin)
}

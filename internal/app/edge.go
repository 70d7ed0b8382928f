package app

import (
	"net/http"
	"strings"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/web"
)

// edge puts in front of a function's handler h (built with err) what every
// function shares at its edge, outermost first: the request's metrics
// (METRICS_NAMESPACE; unset: none), then the origin check (ORIGIN_SECRET:
// only requests that came through CloudFront; unset or unresolved, as in
// make dev and sam local: every request), so a refused request is counted
// too.
func edge(h http.Handler, err error, getenv config.Getenv) (http.Handler, error) {
	if err != nil {
		return nil, err
	}
	guard, err := web.NewOriginGuard(getenv("ORIGIN_SECRET"))
	if err != nil {
		return nil, err
	}
	return metrics.Handler(guard.Handler(h), strings.TrimSpace(getenv("METRICS_NAMESPACE")), web.Logger), nil
}

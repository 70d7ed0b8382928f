// Package edge puts in front of every function's handler what all
// functions share at their edge. internal/lambdafn applies it in Lambda and
// internal/allfunctions in the local runner and the tests, so a function's
// own wiring cannot forget it.
package edge

import (
	"net/http"
	"strings"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Wrap puts in front of h, outermost first: the request's metrics
// (METRICS_NAMESPACE; unset: none), then the origin check (ORIGIN_SECRET:
// only requests that came through CloudFront; unset or unresolved, as in
// make dev and sam local: every request), so a refused request is counted
// too. A bad ORIGIN_SECRET is an error: the function does not start.
func Wrap(h http.Handler, getenv config.Getenv) (http.Handler, error) {
	guard, err := web.NewOriginGuard(getenv("ORIGIN_SECRET"))
	if err != nil {
		return nil, err
	}
	return metrics.Handler(guard.Handler(h), strings.TrimSpace(getenv("METRICS_NAMESPACE")), web.Logger), nil
}

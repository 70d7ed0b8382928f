package web

import (
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"
)

// APIHeaders are set on every API response. API bodies are JSON that no
// browser should render, frame, cache or sniff.
var APIHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "no-referrer",
	"Cache-Control":           "no-store",
	"X-Frame-Options":         "DENY",
}

// SiteCSP is the Content-Security-Policy of the static site: no inline
// script or style anywhere, same-origin everything, no framing.
const SiteCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// SiteHeaders are set on every response of the static site.
var SiteHeaders = map[string]string{
	"Content-Security-Policy": SiteCSP,
	"X-Content-Type-Options":  "nosniff",
	"Referrer-Policy":         "strict-origin-when-cross-origin",
	"X-Frame-Options":         "DENY",
}

// NotFoundBody is what API Gateway answers for a route it does not have.
const NotFoundBody = `{"message":"Not Found"}`

// API wraps a function's routes with what every function shares, in this
// order: the security headers, a recovered panic as 500 internal_error, API
// Gateway's 404 for a method and path that mux has no route for, the
// cross-site refusal for unsafe methods (403 cross_origin_request; siteOrigin
// is trusted besides the request's host), and one log line per request.
func API(mux *http.ServeMux, siteOrigin string) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	if siteOrigin != "" {
		if err := cop.AddTrustedOrigin(siteOrigin); err != nil {
			return nil, fmt.Errorf("SITE_ORIGIN %q is not an origin such as https://example.org: %w", siteOrigin, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, Errorf(http.StatusForbidden, "cross_origin_request",
			"This request came from another site, so it was refused. Use the site's own pages."))
	}))
	routed := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, rl := withRequestLog(r.Context())
		r = r.WithContext(ctx)
		for k, v := range APIHeaders {
			w.Header().Set(k, v)
		}
		sw := &StatusWriter{ResponseWriter: w}
		_, route := mux.Handler(r)
		defer func() {
			if p := recover(); p != nil {
				rl.logger.Error("panic", "panic", p, "route", route)
				if sw.Status == 0 {
					WriteError(sw, r, Errorf(http.StatusInternalServerError, "internal_error", "Something went wrong on our side."))
				}
			}
			rl.logger.Info("request", "method", r.Method, "route", route, "status", sw.Status,
				"durationMs", float64(time.Since(start).Microseconds())/1000, "session", rl.sessionID())
		}()
		if !ExactRoute(r, route) {
			NotFound(sw)
			return
		}
		routed.ServeHTTP(sw, r)
	}), nil
}

// ExactRoute reports whether route (a ServeMux pattern with a method) is the
// very route of r, as API Gateway matches: same method (a GET route answers
// no HEAD) and a clean path (no "//" or "/./" that ServeMux would redirect).
func ExactRoute(r *http.Request, route string) bool {
	return route != "" && strings.HasPrefix(route, r.Method+" ") && path.Clean(r.URL.Path) == r.URL.Path
}

// NotFound answers as API Gateway does for a route it does not have.
func NotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(NotFoundBody))
}

// StatusWriter records the status a handler answered, for log lines.
type StatusWriter struct {
	http.ResponseWriter
	Status int // 0 until the handler writes
}

// WriteHeader records code and writes it.
func (s *StatusWriter) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and writes b.
func (s *StatusWriter) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

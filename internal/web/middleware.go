package web

import (
	"fmt"
	"net/http"
	"net/url"
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
// cross-site refusal for unsafe methods (403 cross_origin_request, see
// SameSite; siteOrigin is trusted besides the request's host), and one log
// line per request.
func API(mux *http.ServeMux, siteOrigin string) (http.Handler, error) {
	if siteOrigin != "" && !isOrigin(siteOrigin) {
		return nil, fmt.Errorf("SITE_ORIGIN %q is not an origin such as https://example.org", siteOrigin)
	}
	routed := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !SameSite(r, siteOrigin) {
			WriteError(w, r, Errorf(http.StatusForbidden, "cross_origin_request",
				"This request came from another site, so it was refused. Use the site's own pages."))
			return
		}
		mux.ServeHTTP(w, r)
	})
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

// SameSite reports whether r may go on as a request of the site itself.
// Safe methods (GET, HEAD, OPTIONS) always may. For the others:
//   - where Sec-Fetch-Site is present, it alone decides: exactly one value,
//     "same-origin" or "none" (typed by the user), is allowed; "cross-site",
//     "same-site" or anything else is refused, whatever Origin says. (Go's
//     http.CrossOriginProtection lets a trusted Origin override a
//     "cross-site"; the contract does not.) The Lambda adapter splits a
//     header on commas, so "same-origin, cross-site" arrives as two values:
//     refused.
//   - without it, Origin decides: none (not a browser, e.g. curl) is allowed;
//     exactly one that is the request's host (any scheme) or siteOrigin is
//     allowed; anything else, "null" included, is refused.
func SameSite(r *http.Request, siteOrigin string) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if fetch, ok := r.Header["Sec-Fetch-Site"]; ok {
		return len(fetch) == 1 && (fetch[0] == "same-origin" || fetch[0] == "none")
	}
	origin, ok := r.Header["Origin"]
	if !ok {
		return true
	}
	if len(origin) != 1 || !isOrigin(origin[0]) {
		return false
	}
	if siteOrigin != "" && origin[0] == siteOrigin {
		return true
	}
	u, _ := url.Parse(origin[0])
	return u.Host == r.Host
}

// isOrigin reports whether s is a serialized web origin:
// http(s)://host[:port], nothing after it.
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.User == nil && u.Path == "" && u.RawQuery == "" && u.Fragment == "" && !u.ForceQuery &&
		s == u.Scheme+"://"+u.Host
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

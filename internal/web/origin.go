package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/sessionlab/sessionlab/internal/metrics"
)

// OriginHeader is the header CloudFront adds to every request it sends to
// the API (template.yaml, the api origin's OriginCustomHeaders), holding a
// secret that nobody outside the stack knows. A request without it did not
// come through CloudFront: it skipped the edge's protections (HSTS, the WAF)
// and is refused.
const OriginHeader = "X-Origin-Verify"

// MinOriginSecretLen is the shortest origin secret accepted: 32 characters.
// template.yaml's generates 64 hex digits (256 bits).
const MinOriginSecretLen = 32

// unresolvedReference starts a CloudFormation dynamic reference that nobody
// resolved: what `sam local` and the local runner read from template.yaml,
// where CloudFormation would have put the secret's value.
const unresolvedReference = "{{resolve:"

// OriginGuard refuses every request that does not carry one of its secrets
// in OriginHeader. Several secrets are accepted at once so that the secret
// can be rotated without refusing a request (docs/deploy.md, "Only through
// CloudFront").
type OriginGuard struct {
	digests [][sha256.Size]byte
}

// NewOriginGuard reads ORIGIN_SECRET's value: comma-separated secrets, each
// at least MinOriginSecretLen letters and digits. It returns nil (no check)
// when value is empty or holds only unresolved dynamic references (a local
// run: make dev, sam local), and an error naming ORIGIN_SECRET, never the
// value, for anything else that is not secrets.
func NewOriginGuard(value string) (*OriginGuard, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, nil
	}
	parts := strings.Split(value, ",")
	unresolved := 0
	for _, p := range parts {
		if strings.HasPrefix(strings.TrimSpace(p), unresolvedReference) {
			unresolved++
		}
	}
	if unresolved == len(parts) {
		return nil, nil
	}
	g := &OriginGuard{}
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) < MinOriginSecretLen || strings.IndexFunc(p, notAlphanumeric) >= 0 {
			return nil, fmt.Errorf("ORIGIN_SECRET entry %d of %d is not a secret of at least %d letters and digits (leave ORIGIN_SECRET empty to accept requests from anywhere)",
				i+1, len(parts), MinOriginSecretLen)
		}
		g.digests = append(g.digests, sha256.Sum256([]byte(p)))
	}
	return g, nil
}

func notAlphanumeric(r rune) bool {
	return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
}

// allows reports whether any value of OriginHeader in h is one of the
// guard's secrets. Values are compared as SHA-256 digests in constant time,
// every value against every secret, so neither the time taken nor an early
// return tells how much of a guess was right, or how long a secret is.
func (g *OriginGuard) allows(h http.Header) bool {
	ok := 0
	for _, v := range h.Values(OriginHeader) {
		got := sha256.Sum256([]byte(v))
		for i := range g.digests {
			ok |= subtle.ConstantTimeCompare(got[:], g.digests[i][:])
		}
	}
	return ok == 1
}

// Handler wraps next: a request with one of the secrets goes on, without
// the header (no handler sees or can echo the secret); any other is
// answered 403 direct_access_forbidden with the API's headers, counted
// (metrics.DirectRequestsRefused) and logged, and reaches no handler. A nil
// guard checks nothing and returns next.
func (g *OriginGuard) Handler(next http.Handler) http.Handler {
	if g == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !g.allows(r.Header) {
			metrics.Add(r.Context(), metrics.DirectRequestsRefused)
			Logger(r.Context()).Warn("request refused: it did not come through CloudFront", "method", r.Method, "path", r.URL.Path)
			for k, v := range APIHeaders {
				w.Header().Set(k, v)
			}
			WriteError(w, r, Errorf(http.StatusForbidden, "direct_access_forbidden",
				"This API answers only through the site's own address. Open the site and use it from there."))
			return
		}
		r.Header.Del(OriginHeader)
		next.ServeHTTP(w, r)
	})
}

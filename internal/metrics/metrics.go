// Package metrics counts what the functions do that an operator should see
// (logins, failed and throttled password checks, tampered cookies, the store
// failing, ...) and writes the counts of each request as one CloudWatch
// Embedded Metric Format (EMF) log line. CloudWatch Logs turns that line
// into metric data points, so the functions make no CloudWatch API call,
// need no permission for it and add no latency.
//
// All is the one list of the metrics: template.yaml's alarms and dashboard
// are checked against it (internal/templatetest). The counting is off when
// no namespace is configured (METRICS_NAMESPACE unset: make dev, tests).
package metrics

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Name is a metric the functions emit, in the namespace METRICS_NAMESPACE
// names (template.yaml: Sessionlab/<stack>). Every metric is a count with
// no dimensions: one series per stack.
type Name string

// The metrics, and where the code counts each.
const (
	// Logins counts successful password checks that started a session:
	// login and registration (internal/account).
	Logins Name = "Logins"
	// FailedPasswordChecks counts wrong passwords and unknown usernames
	// answered 401 invalid_credentials by any route that checks a password.
	FailedPasswordChecks Name = "FailedPasswordChecks"
	// ThrottledPasswordChecks counts password checks refused with 429
	// too_many_attempts (the per-username limit), no password checked.
	ThrottledPasswordChecks Name = "ThrottledPasswordChecks"
	// ReauthenticationRequired counts 403 reauthentication_required answers
	// of the routes that end sessions (internal/account).
	ReauthenticationRequired Name = "ReauthenticationRequired"
	// TamperedSessionCookies counts session cookies whose signature does
	// not verify (internal/session's tampered-cookie hook).
	TamperedSessionCookies Name = "TamperedSessionCookies"
	// StoreUnavailable counts 503 store_unavailable answers
	// (internal/web.WriteError, and internal/account for a change the store
	// left half done).
	StoreUnavailable Name = "StoreUnavailable"
	// IdempotentReplays counts requests answered as a replay of a recorded
	// Idempotency-Key (Idempotent-Replayed: true).
	IdempotentReplays Name = "IdempotentReplays"
	// DirectRequestsRefused counts requests refused because they did not
	// come through CloudFront (internal/web.OriginGuard).
	DirectRequestsRefused Name = "DirectRequestsRefused"
)

// All lists every metric, sorted by name.
var All = []Name{
	DirectRequestsRefused,
	FailedPasswordChecks,
	IdempotentReplays,
	Logins,
	ReauthenticationRequired,
	StoreUnavailable,
	TamperedSessionCookies,
	ThrottledPasswordChecks,
}

// Unit is the CloudWatch unit of every metric of All.
const Unit = "Count"

// LogMessage is the "msg" of every EMF line, so Logs Insights can find
// them (filter msg = "metrics") and no metric filter mistakes one for
// another event.
const LogMessage = "metrics"

// Recorder collects the counts of one request.
type Recorder struct {
	namespace string
	mu        sync.Mutex
	counts    map[Name]int64
}

type ctxKey struct{}

// NewContext returns ctx carrying a new Recorder for namespace.
func NewContext(ctx context.Context, namespace string) (context.Context, *Recorder) {
	r := &Recorder{namespace: namespace, counts: map[Name]int64{}}
	return context.WithValue(ctx, ctxKey{}, r), r
}

// Add counts one of name for the request of ctx. Without a Recorder in
// ctx (metrics off) it does nothing.
func Add(ctx context.Context, name Name) {
	r, ok := ctx.Value(ctxKey{}).(*Recorder)
	if !ok {
		return
	}
	r.mu.Lock()
	r.counts[name]++
	r.mu.Unlock()
}

// Flush writes what was counted as one EMF line through logger, at now,
// and starts counting afresh. A request that counted nothing writes
// nothing.
func (r *Recorder) Flush(ctx context.Context, logger *slog.Logger, now time.Time) {
	r.mu.Lock()
	counts := r.counts
	r.counts = map[Name]int64{}
	r.mu.Unlock()
	if len(counts) == 0 {
		return
	}
	names := slices.Sorted(maps.Keys(counts))
	attrs := []slog.Attr{slog.Any("_aws", metadata{
		Timestamp:         now.UnixMilli(),
		CloudWatchMetrics: []directive{{Namespace: r.namespace, Dimensions: [][]string{{}}, Metrics: definitions(names)}},
	})}
	for _, n := range names {
		attrs = append(attrs, slog.Int64(string(n), counts[n]))
	}
	logger.LogAttrs(ctx, slog.LevelInfo, LogMessage, attrs...)
}

// metadata is EMF's "_aws" member: when, and which members are metrics.
type metadata struct {
	Timestamp         int64       `json:"Timestamp"` // epoch milliseconds
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// directive is one EMF metric directive. Dimensions [[]] is one empty
// dimension set: the metrics get no dimensions.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

func definitions(names []Name) []definition {
	defs := make([]definition, len(names))
	for i, n := range names {
		defs[i] = definition{Name: string(n), Unit: Unit}
	}
	return defs
}

// Handler counts the metrics of each request next serves and writes them
// at its end (also after a panic) through the logger logger gives for the
// request. An empty namespace turns counting off: Handler returns next.
func Handler(next http.Handler, namespace string, logger func(context.Context) *slog.Logger) http.Handler {
	if namespace == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, rec := NewContext(r.Context(), namespace)
		defer func() { rec.Flush(ctx, logger(ctx), time.Now()) }()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

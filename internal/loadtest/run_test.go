package loadtest

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/password"
)

// TestMain silences the handlers, which log every request.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler)) // the handlers log every request
	os.Exit(m.Run())
}

// newAPI serves the real cart and account handlers (internal/allfunctions,
// as the runner builds them) on one memory store, with mw around them, and
// returns the base URL.
func newAPI(t *testing.T, mw func(http.Handler) http.Handler) string {
	t.Helper()
	mem := memstore.New()
	env := map[string]string{"SESSION_SECRET": hex.EncodeToString(make([]byte, 32))}
	getenv := func(k string) string { return env[k] }
	opts := app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem},
		Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	cartAPI, err := allfunctions.Build(t.Context(), "CartFunction", getenv, opts)
	if err != nil {
		t.Fatal(err)
	}
	authAPI, err := allfunctions.Build(t.Context(), "AuthFunction", getenv, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range []string{"/api/cart", "/api/cart/", "/api/products"} {
		mux.Handle(p, cartAPI)
	}
	mux.Handle("/", authAPI)
	srv := httptest.NewServer(mw(mux))
	t.Cleanup(srv.Close)
	return srv.URL
}

// smallRun is a run of about a second: 8 clients, two tab groups of two,
// one with an account.
func smallRun(url string) Config {
	return Config{
		BaseURL: url, Clients: 8, Tabs: 2, TabClients: 4, AccountClients: 1, ResetEvery: 150 * time.Millisecond,
		Duration: 800 * time.Millisecond, MaxOps: 300, RequestTimeout: 5 * time.Second, Seed: 7,
		Retry:        RetryPolicy{Base: 2 * time.Millisecond, Cap: 10 * time.Millisecond, MaxRetryAfter: 10 * time.Millisecond, For: 3 * time.Second},
		UnkeyedShare: 0.2, DoubleShare: 0.15, PaceTarget: 250 * time.Millisecond, PaceMin: 2,
	}
}

func isChange(r *http.Request) bool {
	return r.Method != http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/cart")
}

func unavailable(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"error":{"code":"store_unavailable","message":"down"}}`))
}

// loseAnswers applies every nth cart change and then answers 503 instead
// of its answer, as a server whose store's answer was lost does.
func loseAnswers(n int64) func(http.Handler) http.Handler {
	var count atomic.Int64
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isChange(r) && count.Add(1)%n == 0 {
				next.ServeHTTP(httptest.NewRecorder(), r)
				unavailable(w)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func chainMW(mws ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		for i := len(mws) - 1; i >= 0; i-- {
			h = mws[i](h)
		}
		return h
	}
}

func identity(h http.Handler) http.Handler { return h }

func run(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestRunCorrectServer: the real handlers pass, keys are sent and
// twins replayed.
func TestRunCorrectServer(t *testing.T) {
	t.Parallel()
	res := run(t, smallRun(newAPI(t, identity)))
	if f := res.Failures(); len(f) > 0 {
		t.Fatalf("failures on a correct server: %q", f)
	}
	k, u := res.Keyed, res.Unkeyed
	if k.Acked == 0 || u.Acked == 0 || k.Twins == 0 || k.Replayed == 0 || res.Account.Acked == 0 {
		t.Errorf("keyed %+v, unkeyed %+v, account %+v: want changes of every kind, twins and replays", k, u, res.Account)
	}
	if k.Retried != 0 || k.Unknown != 0 || u.Unknown != 0 || res.Lost+res.Double+res.Other != 0 {
		t.Errorf("a server that answers everything: keyed %+v, unkeyed %+v, lost %d double %d", k, u, res.Lost, res.Double)
	}
	if share := float64(u.Sent) / float64(u.Sent+k.Sent); share < 0.1 || share > 0.3 {
		t.Errorf("%.2f of the changes went without a key, want about 0.2", share)
	}
	if res.TabChanges == 0 || res.Overlapped == 0 || res.Overlapped > res.TabChanges {
		t.Errorf("%d of %d tab changes overlapped: want concurrent changes to one session", res.Overlapped, res.TabChanges)
	}
	if res.Lines == 0 || res.Resets == 0 || res.Sessions != 6 {
		t.Errorf("lines %d, resets %d, sessions %d", res.Lines, res.Resets, res.Sessions)
	}
}

// TestRunLostAnswers: a change applied whose answer is lost (a 503 after
// the write) is retried with its key and applied once; one without a key
// stays unknown, as the client does not retry it.
func TestRunLostAnswers(t *testing.T) {
	t.Parallel()
	cfg := smallRun(newAPI(t, loseAnswers(5)))
	cfg.StoreTimeout = time.Nanosecond // every 503 came "after a timeout": may have been applied
	res := run(t, cfg)
	if f := res.Failures(); len(f) > 0 {
		t.Fatalf("failures: %q", f)
	}
	k, u := res.Keyed, res.Unkeyed
	if k.Retried == 0 || k.Replayed == 0 || k.Unknown != 0 || u.Unknown == 0 || res.Slow503.Count == 0 {
		t.Errorf("keyed %+v, unkeyed %+v, slow 503s %d: want keyed retries ending in replays, unknown unkeyed ones", k, u, res.Slow503.Count)
	}
	if res.UnknownSlow != u.Unknown {
		t.Errorf("unknown by cause: %d slow 503s, want all %d", res.UnknownSlow, u.Unknown)
	}
}

// TestRunCatchesDoubleApplication: a server that forgets keys applies a
// retried change twice, and the run says so.
func TestRunCatchesDoubleApplication(t *testing.T) {
	t.Parallel()
	forget := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Idempotency-Key")
			next.ServeHTTP(w, r)
		})
	}
	cfg := smallRun(newAPI(t, chainMW(loseAnswers(5), forget)))
	cfg.StoreTimeout = time.Nanosecond
	res := run(t, cfg)
	if res.Double == 0 || res.DoubleUnits < res.Double || !strings.Contains(strings.Join(res.Failures(), "\n"), "double-applied") {
		t.Errorf("double %d (%d units), failures %q: want double-applied changes", res.Double, res.DoubleUnits, res.Failures())
	}
	if res.Keyed.Replayed != 0 {
		t.Errorf("%d replays from a server that ignores keys", res.Keyed.Replayed)
	}
}

// TestRunCatchesLostChanges: a server that acknowledges an add without
// applying it (it answers the cart as it is) loses it, and the run says so.
func TestRunCatchesLostChanges(t *testing.T) {
	t.Parallel()
	var count atomic.Int64
	drop := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && r.URL.Path == "/api/cart/items" && r.Header.Get("Cookie") != "" && count.Add(1)%7 == 0 {
				get := r.Clone(r.Context())
				get.Method, get.Body, get.ContentLength = http.MethodGet, http.NoBody, 0
				get.URL.Path = "/api/cart"
				next.ServeHTTP(w, get)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	res := run(t, smallRun(newAPI(t, drop)))
	if res.Lost == 0 || res.LostUnits < res.Lost || !strings.Contains(strings.Join(res.Failures(), "\n"), "lost") {
		t.Errorf("lost %d (%d units), failures %q: want lost changes", res.Lost, res.LostUnits, res.Failures())
	}
}

// TestRunCatchesHiddenReplays: twins answered both as fresh say one key
// was applied twice.
func TestRunCatchesHiddenReplays(t *testing.T) {
	t.Parallel()
	hide := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(hideReplay{w}, r)
		})
	}
	res := run(t, smallRun(newAPI(t, hide)))
	if res.Keyed.Replayed != 0 || !strings.Contains(strings.Join(res.Anomalies, "\n"), "applied 2 times") {
		t.Errorf("replays %d, anomalies %q: want twins seen applied twice", res.Keyed.Replayed, first(res.Anomalies))
	}
}

type hideReplay struct{ http.ResponseWriter }

func (h hideReplay) WriteHeader(code int) {
	h.Header().Del("Idempotent-Replayed")
	h.ResponseWriter.WriteHeader(code)
}

func (h hideReplay) Write(b []byte) (int, error) {
	h.Header().Del("Idempotent-Replayed")
	return h.ResponseWriter.Write(b)
}

// fakeStore is a store process the fault phase stops: while it is down,
// the middleware answers every store-backed request 503 at once, and a
// change in flight when it stops is applied but answered 503 (the write
// reached the store, its answer did not).
type fakeStore struct {
	mu        sync.Mutex
	down      bool
	unnoticed bool // a broken server: it goes on as if the store were up
	kills     int
}

func (f *fakeStore) Kill() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down, f.kills = true, f.kills+1
	return nil
}

func (f *fakeStore) Start(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = false
	return nil
}

func (f *fakeStore) isDown() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.down
}

func (f *fakeStore) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		store := r.URL.Path != "/api/products" && (strings.Contains(r.Header.Get("Cookie"), "session=") || r.Method == http.MethodPost)
		switch {
		case !store || f.unnoticed:
			next.ServeHTTP(w, r)
		case f.isDown():
			unavailable(w)
		default:
			rec := httptest.NewRecorder()
			time.Sleep(time.Millisecond) // a store call takes a while
			next.ServeHTTP(rec, r)
			if f.isDown() {
				unavailable(w) // killed while in flight
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		}
	})
}

func faultRun(t *testing.T, store *fakeStore) *Result {
	cfg := smallRun(newAPI(t, store.middleware))
	cfg.Duration = 1200 * time.Millisecond
	cfg.Fault = &Fault{At: 300 * time.Millisecond, Down: 300 * time.Millisecond, Store: store, Grace: 100 * time.Millisecond}
	return run(t, cfg)
}

// TestRunFault: keyed changes sent across an outage end applied exactly
// once, and the fault phase is measured.
func TestRunFault(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	res := faultRun(t, store)
	if f := res.Failures(); len(f) > 0 {
		t.Fatalf("failures: %q", f)
	}
	rc := res.Recovery()
	if store.kills != 1 || !res.Times.Faulted() || rc.Unavailable == 0 || rc.WhileDown == 0 || !rc.Recovered {
		t.Errorf("kills %d, times %+v, recovery %+v", store.kills, res.Times, rc)
	}
	if res.Keyed.Retried == 0 || res.Keyed.Unknown != 0 {
		t.Errorf("keyed %+v: want retries across the outage, none left unknown", res.Keyed)
	}
}

// TestRunFaultCatchesServedWhenDown: a server that answers while its
// store is down is caught.
func TestRunFaultCatchesServedWhenDown(t *testing.T) {
	t.Parallel()
	res := faultRun(t, &fakeStore{unnoticed: true})
	if v := res.Violations[VServedWhenDown]; v == nil || v.Count == 0 {
		t.Errorf("violations %v: want %q", res.Violations, VServedWhenDown)
	}
}

// TestRunOverran: a server that never answers a change cannot hang the
// run: past the drain bound the clients are stopped and the run fails.
func TestRunOverran(t *testing.T) {
	t.Parallel()
	hang := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if isChange(r) {
				_, _ = io.Copy(io.Discard, r.Body) // then the server sees the client hang up
				<-r.Context().Done()
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	cfg := smallRun(newAPI(t, hang))
	cfg.Duration, cfg.RequestTimeout = 300*time.Millisecond, 100*time.Millisecond
	cfg.Retry.For = 200 * time.Millisecond
	cfg.PaceTarget, cfg.PaceMin = time.Nanosecond, 1 // one slot, held by hanging requests
	began := time.Now()
	res := run(t, cfg)
	if !res.Overran || !strings.Contains(strings.Join(res.Failures(), "\n"), "still busy") {
		t.Errorf("overran %v, failures %q", res.Overran, res.Failures())
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("the run took %v: the drain bound did not stop it", took)
	}
}

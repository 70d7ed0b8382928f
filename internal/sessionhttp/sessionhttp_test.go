package sessionhttp_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/sessionhttp"
	"github.com/sessionlab/sessionlab/internal/web"
)

// TestFail: the one mapping of the session layer's errors to the
// contract's answers, also when they come wrapped.
func TestFail(t *testing.T) {
	own := web.Errorf(http.StatusConflict, "feature_refused", "A feature's own refusal.")
	for _, tt := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter bool
	}{
		{"a feature's refusal", own, 409, "feature_refused", false},
		{"a feature's refusal, wrapped", fmt.Errorf("change session: %w", own), 409, "feature_refused", false},
		{"a reused key", fmt.Errorf("change session: %w", session.ErrKeyReused), 422, "idempotency_key_reused", false},
		{"an invalid change is a bug", fmt.Errorf("%w: two ops on one name", session.ErrInvalidChange), 500, "internal_error", false},
		{"anything else is the store", errors.New("dial tcp: connection refused"), 503, "store_unavailable", true},
	} {
		w := httptest.NewRecorder()
		sessionhttp.Fail(w, httptest.NewRequest("POST", "/api/x", nil), tt.err)
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %q is not JSON", tt.name, w.Body)
		}
		if w.Code != tt.status || body.Error.Code != tt.code || (w.Header().Get("Retry-After") != "") != tt.retryAfter {
			t.Errorf("%s: %d %q Retry-After %q, want %d %q (Retry-After: %v)", tt.name, w.Code, body.Error.Code, w.Header().Get("Retry-After"), tt.status, tt.code, tt.retryAfter)
		}
	}
}

// TestChange: a change the session layer applies is ok and unmarked; its
// repeat under the same key is ok, marked Idempotent-Replayed and counted;
// a refused one is answered with its error and not ok.
func TestChange(t *testing.T) {
	m, err := session.NewManager(session.Options{Store: memstore.New(), Keys: [][]byte{bytes.Repeat([]byte{3}, 32)}, Timeouts: session.DefaultTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	refusal := web.Errorf(http.StatusConflict, "too_many", "Too many.")
	add := func(delta int64) session.Op {
		return session.AddToCounter{Counter: "n", Delta: delta, Range: session.Range{Min: 0, Max: 5, Err: refusal}}
	}
	var cookie *http.Cookie
	for _, tt := range []struct {
		name     string
		delta    int64
		key      string
		ok       bool
		status   int
		replayed string
		metric   bool
		n        int64
	}{
		{"the first change starts a session", 1, "k1", true, 200, "", false, 1},
		{"its repeat is a replay", 1, "k1", true, 200, "true", true, 1},
		{"another key applies", 2, "k2", true, 200, "", false, 3},
		{"a refusal", 5, "k3", false, 409, "", false, 0},
		{"the refused key, judged afresh", 1, "k3", true, 200, "", false, 4},
	} {
		var emf bytes.Buffer
		logger := slog.New(slog.NewJSONHandler(&emf, nil))
		ctx, rec := metrics.NewContext(context.Background(), "test")
		r := httptest.NewRequest("POST", "/api/x", nil).WithContext(ctx)
		if cookie != nil {
			r.AddCookie(cookie)
		}
		w := httptest.NewRecorder()
		out, ok := sessionhttp.Change(w, r, m, session.Change{Ops: []session.Op{add(tt.delta)}, Key: tt.key, Fingerprint: "f", Start: true})
		if ok {
			w.WriteHeader(http.StatusOK)
		}
		rec.Flush(ctx, logger, time.Now())
		for _, c := range w.Result().Cookies() {
			if c.Name == m.CookieName() {
				cookie = c
			}
		}
		if ok != tt.ok || w.Code != tt.status || w.Header().Get(web.ReplayedHeader) != tt.replayed || out.Data.Counters["n"] != tt.n {
			t.Errorf("%s: ok %v %d Idempotent-Replayed %q n %d; want ok %v %d %q n %d",
				tt.name, ok, w.Code, w.Header().Get(web.ReplayedHeader), out.Data.Counters["n"], tt.ok, tt.status, tt.replayed, tt.n)
		}
		if got := strings.Contains(emf.String(), `"IdempotentReplays":1`); got != tt.metric {
			t.Errorf("%s: IdempotentReplays counted %v, want %v", tt.name, got, tt.metric)
		}
	}
}

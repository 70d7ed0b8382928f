package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/metrics"
)

const (
	secretA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	secretB = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

func TestNewOriginGuard(t *testing.T) {
	tests := []struct {
		name, value string
		off         bool // nil guard: no check
		err         bool
		secrets     int
	}{
		{"unset", "", true, false, 0},
		{"blank", "  ", true, false, 0},
		{"one", secretA, false, false, 1},
		{"two, spaced", secretA + " , " + secretB, false, false, 2},
		{"shortest", strings.Repeat("a", MinOriginSecretLen), false, false, 1},
		{"unresolved (sam local)", "{{resolve:secretsmanager:OriginSecret:SecretString:::}}", true, false, 0},
		{"two unresolved (sam local)", "{{resolve:secretsmanager:OriginSecret:SecretString:::}},{{resolve:secretsmanager:OriginSecret:SecretString:::v2}}", true, false, 0},
		{"one resolved, one not", secretA + ",{{resolve:secretsmanager:OriginSecret:SecretString:::}}", false, true, 0},
		{"too short", strings.Repeat("a", MinOriginSecretLen-1), false, true, 0},
		{"punctuation", secretA[:40] + "!" + secretA[41:], false, true, 0},
		{"empty entry", secretA + ",", false, true, 0},
		{"space inside", secretA[:32] + " " + secretA[32:], false, true, 0},
		{"non-ASCII letter", strings.Repeat("é", MinOriginSecretLen), false, true, 0},
		{"every edge of the alphabet", strings.Repeat("azAZ09", 6), false, false, 1},
	}
	// A character just outside each range of [0-9A-Za-z] is refused.
	for _, c := range "/:@[`{" {
		tests = append(tests, struct {
			name, value string
			off         bool
			err         bool
			secrets     int
		}{"just outside: " + string(c), strings.Repeat("a", MinOriginSecretLen) + string(c), false, true, 0})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewOriginGuard(tt.value)
			switch {
			case tt.err:
				if err == nil || !strings.Contains(err.Error(), "ORIGIN_SECRET") || strings.Contains(err.Error(), secretA[:32]) {
					t.Fatalf("err = %v, want one naming ORIGIN_SECRET and not the value", err)
				}
			case err != nil:
				t.Fatalf("err = %v", err)
			case tt.off != (g == nil):
				t.Fatalf("guard %v, want off=%v", g, tt.off)
			case g != nil && len(g.digests) != tt.secrets:
				t.Fatalf("%d secrets, want %d", len(g.digests), tt.secrets)
			}
		})
	}
}

func TestNewOriginGuardNamesTheBadEntry(t *testing.T) {
	_, err := NewOriginGuard(secretA + ",short," + secretB)
	if err == nil || !strings.Contains(err.Error(), "entry 2 of 3") {
		t.Fatalf("err = %v, want it to name entry 2 of 3", err)
	}
}

func TestOriginGuardAllows(t *testing.T) {
	g, err := NewOriginGuard(secretA + "," + secretB)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values []string
		want   bool
	}{
		{"first secret", []string{secretA}, true},
		{"second secret", []string{secretB}, true},
		{"none", nil, false},
		{"empty", []string{""}, false},
		{"prefix", []string{secretA[:63]}, false},
		{"longer", []string{secretA + "0"}, false},
		{"other case", []string{strings.ToUpper(secretA)}, false},
		{"a guess, then the secret", []string{"guess", secretA}, true},
		{"both secrets", []string{secretA, secretB}, true},
		{"two guesses", []string{"guess", secretA[1:] + "0"}, false},
	}
	for _, tt := range tests {
		h := http.Header{}
		for _, v := range tt.values {
			h.Add(OriginHeader, v)
		}
		if got := g.allows(h); got != tt.want {
			t.Errorf("%s: allows = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestOriginGuardHandler(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	var seen http.Header
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		w.WriteHeader(http.StatusTeapot)
	})
	g, err := NewOriginGuard(secretA)
	if err != nil {
		t.Fatal(err)
	}
	h := metrics.Handler(g.Handler(next), "ns", func(ctx context.Context) *slog.Logger { return Logger(ctx) })

	r := httptest.NewRequest("GET", "/api/session", nil)
	r.Header.Set(OriginHeader, secretA)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusTeapot {
		t.Fatalf("with the secret: status %d, want the handler's", w.Code)
	}
	if seen.Get(OriginHeader) != "" {
		t.Error("the handler saw the origin secret")
	}
	if buf.Len() != 0 {
		t.Errorf("an allowed request logged: %s", buf.String())
	}

	seen = nil
	r = httptest.NewRequest("POST", "/api/login", strings.NewReader(`{}`))
	r.Header.Set(OriginHeader, secretB)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if seen != nil {
		t.Fatal("a request with a wrong secret reached the handler")
	}
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusForbidden || body.Error.Code != "direct_access_forbidden" || body.Error.Message == "" {
		t.Fatalf("status %d body %s, want 403 direct_access_forbidden", w.Code, w.Body)
	}
	for k, v := range APIHeaders {
		if w.Header().Get(k) != v {
			t.Errorf("refusal: %s = %q, want %q", k, w.Header().Get(k), v)
		}
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	logged := buf.String()
	if !strings.Contains(logged, `"level":"WARN"`) || !strings.Contains(logged, `"msg":"request refused: it did not come through CloudFront"`) ||
		!strings.Contains(logged, `"DirectRequestsRefused":1`) {
		t.Errorf("refusal logged %s; want the warning and the metric", logged)
	}
	if strings.Contains(logged, secretB) || strings.Contains(logged, secretA) {
		t.Error("a secret reached the log")
	}
}

func TestNilOriginGuardIsNext(t *testing.T) {
	var g *OriginGuard
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	h := g.Handler(next)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusOK {
		t.Fatalf("status %d", w.Code)
	}
	if _, ok := h.(http.HandlerFunc); !ok {
		t.Fatalf("a nil guard wrapped next: %T", h)
	}
}

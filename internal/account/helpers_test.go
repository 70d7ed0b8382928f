package account_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/cartfn"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
)

// answer is a response with its body decoded.
type answer struct {
	*httptest.ResponseRecorder
	body map[string]any
}

// call sends one request as the browser and decodes the answer; headers
// are name, value pairs.
func (b *browser) call(method, path, body string, headers ...string) answer {
	w := b.do(method, path, body, headers...)
	a := answer{ResponseRecorder: w}
	_ = json.Unmarshal(w.Body.Bytes(), &a.body)
	return a
}

// sessionView is the SESSION object of a, at path ("session").
func (a answer) sessionView(t *testing.T) map[string]any {
	t.Helper()
	v, ok := a.body["session"].(map[string]any)
	if !ok {
		t.Fatalf("no session in %d %s", a.Code, a.Body)
	}
	return v
}

// sessionCookie is the session Set-Cookie line of a, or "".
func (a answer) sessionCookie() string {
	if lines := a.sessionCookies(); len(lines) > 0 {
		return lines[0]
	}
	return ""
}

// sessionCookies are all the session Set-Cookie lines of a.
func (a answer) sessionCookies() []string {
	var lines []string
	for _, line := range a.Header().Values("Set-Cookie") {
		if strings.HasPrefix(line, "session=") {
			lines = append(lines, line)
		}
	}
	return lines
}

// mustStatus fails unless a has the status and error code.
func (a answer) mustStatus(t *testing.T, what string, status int, code string) {
	t.Helper()
	if a.Code != status || errorCode(a.ResponseRecorder) != code {
		t.Fatalf("%s: %d %s; want %d %q", what, a.Code, a.Body, status, code)
	}
}

// loggedIn registers name (or logs it in when it exists) in a new browser.
func (f *fixture) loggedIn(t *testing.T, name string, path string) *browser {
	t.Helper()
	b := f.browser()
	if w := b.do("POST", path, credentials(name, rightPassword)); w.Code/100 != 2 {
		t.Fatalf("%s %s = %d %s", path, name, w.Code, w.Body)
	}
	return b
}

// id is the public id of the browser's current session ("" without one).
func (b *browser) id(t *testing.T) string {
	t.Helper()
	_, id, _ := b.current(t)
	return id
}

// timestamp is t as SESSION shows it.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func passwordJSON(pw string) string {
	b, _ := json.Marshal(map[string]string{"password": pw})
	return string(b)
}

func changeJSON(current, next string) string {
	b, _ := json.Marshal(map[string]string{"currentPassword": current, "newPassword": next})
	return string(b)
}

// seedSessions stores n live sessions of username directly (as other
// devices' logins would have), at the fixture's time.
func (f *fixture) seedSessions(t *testing.T, store session.Store, username string, n int) {
	t.Helper()
	now := f.clock.now()
	for range n {
		id := make([]byte, session.IDBytes)
		_, _ = rand.Read(id)
		rec := session.Record{
			Key: session.StoreKey(id), Username: username, CreatedAt: now, LastSeenAt: now, AuthenticatedAt: now,
			IdleWindow: 30 * time.Minute, IdleDeadline: now.Add(30 * time.Minute), AbsoluteDeadline: now.Add(12 * time.Hour),
			UserAgent: "seeded",
		}
		if err := store.Create(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
	}
}

// liveSessions is how many live sessions username has in store.
func (f *fixture) liveSessions(t *testing.T, store session.Store, username string) int {
	t.Helper()
	recs, err := store.ListByUser(t.Context(), username, f.clock.now())
	if err != nil {
		t.Fatal(err)
	}
	return len(recs)
}

// counted sends the browser's request with a metrics recorder in its
// context and returns what the handlers counted.
func (b *browser) counted(t *testing.T, method, path, body string) (answer, map[string]float64) {
	t.Helper()
	ctx, rec := metrics.NewContext(context.Background(), "test")
	r := httptest.NewRequest(method, path, strings.NewReader(body)).WithContext(ctx)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	w := httptest.NewRecorder()
	b.f.h.ServeHTTP(w, r)
	b.keep(w)
	var buf bytes.Buffer
	rec.Flush(ctx, slog.New(slog.NewJSONHandler(&buf, nil)), time.Now())
	counts := map[string]float64{}
	if buf.Len() > 0 {
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		for _, n := range metrics.All {
			if v, ok := line[string(n)].(float64); ok {
				counts[string(n)] = v
			}
		}
	}
	a := answer{ResponseRecorder: w}
	_ = json.Unmarshal(w.Body.Bytes(), &a.body)
	return a, counts
}

// newShopOn is the AuthFunction and the CartFunction on stores, routed by
// path as API Gateway routes them.
func newShopOn(t *testing.T, stores app.Stores) *fixture {
	t.Helper()
	f := newFixture(t, stores)
	key := f.secret
	cartH, err := cartfn.Build(t.Context(), func(k string) string {
		return map[string]string{"SESSION_SECRET": key, "COOKIE_SECURE": "false"}[k]
	}, app.Options{Stores: app.Stores{Sessions: stores.Sessions}, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	auth := f.h
	f.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/cart") {
			cartH.ServeHTTP(w, r)
			return
		}
		auth.ServeHTTP(w, r)
	})
	return f
}

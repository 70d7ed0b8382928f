package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
)

// TestDefaultTimeouts: the contract's defaults (API.md, "Expiry" and
// SESSION_REAUTH_WINDOW).
func TestDefaultTimeouts(t *testing.T) {
	want := session.Timeouts{Idle: 30 * time.Minute, Absolute: 12 * time.Hour, Remember: 720 * time.Hour,
		RememberIdle: 168 * time.Hour, MaxTouchInterval: time.Minute, Reauth: 5 * time.Minute}
	if session.DefaultTimeouts != want {
		t.Errorf("DefaultTimeouts = %+v, want %+v", session.DefaultTimeouts, want)
	}
	if session.KeyLifetime != 24*time.Hour || session.MaxKeys != 32 {
		t.Errorf("keys: %d for %v, want 32 for 24h", session.MaxKeys, session.KeyLifetime)
	}
}

func TestNewManagerRefuses(t *testing.T) {
	if _, err := session.NewManager(session.Options{Store: memstore.New(), Timeouts: session.DefaultTimeouts}); err == nil {
		t.Error("a manager without keys")
	}
	if _, err := session.NewManager(session.Options{Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts}); err == nil {
		t.Error("a manager without a store")
	}
}

// TestHooks: the manager logs through Options.Logger, hands the public ID
// of the request's session to Options.SetSessionID when it starts, loads
// or changes one, and tells Options.TamperedCookie of each request whose
// session cookie does not verify (once, whether it loads or changes), and
// of no other.
func TestHooks(t *testing.T) {
	f := newFixture()
	var logs bytes.Buffer
	var tags []string
	type ctxKey struct{}
	var tampered []any
	m, err := session.NewManager(session.Options{Store: f.store, Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts, Now: f.clock.Now,
		Logger:         func(context.Context) *slog.Logger { return slog.New(slog.NewTextHandler(&logs, nil)) },
		SetSessionID:   func(_ context.Context, id string) { tags = append(tags, id) },
		TamperedCookie: func(ctx context.Context) { tampered = append(tampered, ctx.Value(ctxKey{})) }})
	if err != nil {
		t.Fatal(err)
	}
	s, c := start(t, m, session.StartOptions{Username: "ada", Authenticated: true})
	anon, _ := start(t, m, session.StartOptions{})
	load(t, m, c)
	change(m, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}})
	if want := []string{s.PublicID(), anon.PublicID(), s.PublicID(), s.PublicID()}; strings.Join(tags, " ") != strings.Join(want, " ") {
		t.Errorf("tags %q, want %q (start, start, load, change)", tags, want)
	}
	if len(tampered) != 0 {
		t.Fatalf("good cookies told as tampered %d times", len(tampered))
	}
	bad := *c
	bad.Value = bad.Value[:len(bad.Value)-2] + "xx"
	for i, send := range []func(*http.Request){
		func(r *http.Request) { _, _ = m.Load(httptest.NewRecorder(), r) },
		func(r *http.Request) {
			_, _ = m.Change(httptest.NewRecorder(), r, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Start: true})
		},
	} {
		r := request(&bad)
		send(r.WithContext(context.WithValue(r.Context(), ctxKey{}, i)))
	}
	if fmt.Sprint(tampered) != "[0 1]" {
		t.Errorf("TamperedCookie heard %v, want once per bad request, with its context: [0 1]", tampered)
	}
	for _, line := range []string{
		"msg=\"session created\" session=" + s.PublicID() + " authenticated=true remember=false",
		"msg=\"session created\" session=" + anon.PublicID() + " authenticated=false remember=false",
	} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("the log lacks %q:\n%s", line, logs.String())
		}
	}
}

// TestFreshAndView: an authenticated session is fresh for the
// re-authentication window, an anonymous one never; View shows
// authenticatedAt and freshUntil, null while anonymous.
func TestFreshAndView(t *testing.T) {
	f := newFixture()
	timeouts := session.DefaultTimeouts
	timeouts.Reauth = 10 * time.Minute
	m := f.manager(t, timeouts, keyA)
	began := f.clock.Now()
	s, _ := start(t, m, session.StartOptions{Username: "ada", Authenticated: true})
	anon, _ := start(t, m, session.StartOptions{})
	if !s.AuthenticatedAt.Equal(began) || !anon.AuthenticatedAt.IsZero() {
		t.Fatalf("AuthenticatedAt %v and %v", s.AuthenticatedAt, anon.AuthenticatedAt)
	}
	if !m.Fresh(s) || m.Fresh(anon) || m.Fresh(nil) {
		t.Fatal("fresh: an authenticated session just now is, an anonymous one and none are not")
	}
	v := m.View(s.Record, true)
	if v.AuthenticatedAt == nil || *v.AuthenticatedAt != "2026-01-02T03:04:05Z" || v.FreshUntil == nil || *v.FreshUntil != "2026-01-02T03:14:05Z" {
		t.Errorf("View: authenticatedAt %v freshUntil %v", v.AuthenticatedAt, v.FreshUntil)
	}
	if v.ID != s.PublicID() || !v.Current || v.CreatedAt != "2026-01-02T03:04:05Z" || v.ExpiresAt != "2026-01-02T03:34:05Z" ||
		v.AbsoluteExpiresAt != "2026-01-02T15:04:05Z" || v.LastSeenAt != v.CreatedAt {
		t.Errorf("View = %+v", v)
	}
	if v := m.View(anon.Record, false); v.AuthenticatedAt != nil || v.FreshUntil != nil || v.Current {
		t.Errorf("an anonymous session's View = %+v", v)
	}
	f.clock.Advance(10*time.Minute - time.Second)
	if !m.Fresh(s) {
		t.Error("not fresh a second before freshUntil")
	}
	f.clock.Advance(time.Second)
	if m.Fresh(s) {
		t.Error("still fresh at freshUntil")
	}
}

// TestRenewOptions: a renewal carries data and keys unless DropData, sets
// AuthenticatedAt when Authenticated, and keeps the old "remember me" with
// KeepRemember.
func TestRenewOptions(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	renew := func(old *session.Session, o session.StartOptions) *session.Session {
		t.Helper()
		s, err := m.Renew(httptest.NewRecorder(), request(nil), old, o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	anon, _ := startWith(t, m, "k", addOp("bag", "a", 2))
	f.clock.Advance(time.Minute)
	user := renew(anon, session.StartOptions{Username: "ada", Remember: true, Authenticated: true})
	if user.Data.Maps["bag"]["a"] != 2 || len(user.Applied) != 1 || !user.Remember || !user.AuthenticatedAt.Equal(f.clock.Now()) {
		t.Fatalf("login: %+v", user.Record)
	}
	f.clock.Advance(time.Minute)
	reauth := renew(user, session.StartOptions{Username: "ada", Authenticated: true, KeepRemember: true})
	if !reauth.Remember || reauth.IdleWindow != session.DefaultTimeouts.RememberIdle || !reauth.AuthenticatedAt.Equal(f.clock.Now()) ||
		reauth.Data.Maps["bag"]["a"] != 2 {
		t.Fatalf("re-authentication kept remember %v (window %v), authenticated at %v", reauth.Remember, reauth.IdleWindow, reauth.AuthenticatedAt)
	}
	plain := renew(reauth, session.StartOptions{Username: "ada"})
	if plain.Remember || !plain.AuthenticatedAt.IsZero() {
		t.Fatalf("a renewal without KeepRemember or Authenticated: %+v", plain.Record)
	}
	other := renew(plain, session.StartOptions{Username: "bob", Authenticated: true, DropData: true})
	if len(other.Data.Maps) != 0 || len(other.Applied) != 0 {
		t.Fatalf("DropData carried %v and %v", other.Data, other.Applied)
	}
	if s, found, _ := f.store.Get(t.Context(), other.Key, f.clock.Now()); !found || len(s.Data.Maps) != 0 {
		t.Fatalf("stored %+v", s)
	}
	fresh := renew(nil, session.StartOptions{Username: "cy", KeepRemember: true})
	if fresh.Username != "cy" || fresh.Remember {
		t.Fatalf("Renew of no session: %+v", fresh.Record)
	}
}

// TestListAndRevoke: the manager lists a user's live sessions and ends
// those that match, at its clock; a store failure is an error.
func TestListAndRevoke(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	a1, _ := start(t, m, session.StartOptions{Username: "ada"})
	a2, _ := start(t, m, session.StartOptions{Username: "ada"})
	start(t, m, session.StartOptions{Username: "bob"})
	recs, err := m.List(t.Context(), "ada")
	if err != nil || len(recs) != 2 {
		t.Fatalf("List = %d records, %v", len(recs), err)
	}
	ended, err := m.RevokeWhere(t.Context(), "ada", func(r session.Record) bool { return r.Key == a1.Key })
	if err != nil || len(ended) != 1 || ended[0].Key != a1.Key {
		t.Fatalf("RevokeWhere = %v, %v", ended, err)
	}
	if recs, _ := m.List(t.Context(), "ada"); len(recs) != 1 || recs[0].Key != a2.Key {
		t.Fatalf("after RevokeWhere: %v", recs)
	}
	f.clock.Advance(session.DefaultTimeouts.Idle)
	if recs, _ := m.List(t.Context(), "ada"); len(recs) != 0 {
		t.Errorf("List at the manager's clock after the idle timeout: %d records", len(recs))
	}
	broken, err := session.NewManager(session.Options{Store: failingList{f.store}, Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := broken.List(t.Context(), "ada"); err == nil || !strings.Contains(err.Error(), "list sessions") {
		t.Errorf("List on a failing store: %v", err)
	}
}

type failingList struct{ session.Store }

func (failingList) ListByUser(context.Context, string, time.Time) ([]session.Record, error) {
	return nil, errors.New("dial tcp: connection refused")
}

// TestUserAgentKept: the first 256 bytes of the User-Agent are stored.
func TestUserAgentKept(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	for _, n := range []int{0, 255, 256, 257, 1000} {
		r := request(nil)
		r.Header.Set("User-Agent", strings.Repeat("u", n))
		s, err := m.Start(httptest.NewRecorder(), r, session.StartOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(s.UserAgent) != min(n, 256) {
			t.Errorf("a %d-byte User-Agent is stored as %d bytes", n, len(s.UserAgent))
		}
	}
}

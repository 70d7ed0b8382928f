package session_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
)

var (
	keyA = bytes.Repeat([]byte{0xa1}, 32)
	keyB = bytes.Repeat([]byte{0xb2}, 32)
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	store *sessiontest.Counting
	clock *clock
}

func newFixture() *fixture {
	return &fixture{store: sessiontest.NewCounting(memstore.New()), clock: &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}}
}

func (f *fixture) manager(t *testing.T, timeouts session.Timeouts, keys ...[]byte) *session.Manager {
	t.Helper()
	m, err := session.NewManager(session.Options{Store: f.store, Keys: keys, Timeouts: timeouts, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// cookieOf returns the session cookie a response set, or nil.
func cookieOf(w *httptest.ResponseRecorder) *http.Cookie {
	for _, line := range w.Header().Values("Set-Cookie") {
		if c, err := http.ParseSetCookie(line); err == nil && strings.HasSuffix(c.Name, "session") {
			return c
		}
	}
	return nil
}

func request(c *http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", "/api/session", nil)
	if c != nil {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	return r
}

func start(t *testing.T, m *session.Manager, o session.StartOptions) (*session.Session, *http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	s, err := m.Start(w, request(nil), o)
	if err != nil {
		t.Fatal(err)
	}
	return s, cookieOf(w)
}

func load(t *testing.T, m *session.Manager, c *http.Cookie) (*session.Session, *httptest.ResponseRecorder) {
	t.Helper()
	w := httptest.NewRecorder()
	s, err := m.Load(w, request(c))
	if err != nil {
		t.Fatal(err)
	}
	return s, w
}

func expired(w *httptest.ResponseRecorder) bool {
	c := cookieOf(w)
	return c != nil && c.MaxAge < 0
}

func TestExpiry(t *testing.T) {
	tests := []struct {
		name     string
		remember bool
		every    time.Duration // one request this often
		endsBy   time.Duration // the session must have ended by then
		alive    time.Duration // and been alive until then
	}{
		{"idle 30m", false, 31 * time.Minute, 31 * time.Minute, 0},
		{"used every 10m ends at the absolute 12h", false, 10 * time.Minute, 12 * time.Hour, 11*time.Hour + 50*time.Minute},
		{"remember: idle 168h", true, 169 * time.Hour, 169 * time.Hour, 0},
		{"remember: used daily ends at 720h", true, 24 * time.Hour, 720 * time.Hour, 696 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture()
			m := f.manager(t, session.DefaultTimeouts, keyA)
			s, c := start(t, m, session.StartOptions{Username: "ada", Remember: tt.remember})
			began := f.clock.Now()
			for {
				f.clock.Advance(tt.every)
				got, w := load(t, m, c)
				elapsed := f.clock.Now().Sub(began)
				if got == nil {
					if elapsed <= tt.alive {
						t.Fatalf("ended after %s, want alive until %s", elapsed, tt.alive)
					}
					if !expired(w) {
						t.Fatal("an ended session's cookie was not expired")
					}
					if _, found, _ := f.store.Get(t.Context(), s.Key, began); !found {
						t.Fatal("the item should still be in the store (no TTL deletion yet): deadlines must be checked on read")
					}
					return
				}
				if elapsed >= tt.endsBy {
					t.Fatalf("still alive after %s", elapsed)
				}
			}
		})
	}
}

func TestShortIdleUsedOftenNeverEnds(t *testing.T) {
	f := newFixture()
	timeouts := session.DefaultTimeouts
	timeouts.Idle = 2 * time.Second
	m := f.manager(t, timeouts, keyA)
	_, c := start(t, m, session.StartOptions{})
	for i := 0; i < 600; i++ { // ten minutes, a request every second
		f.clock.Advance(time.Second)
		if s, _ := load(t, m, c); s == nil {
			t.Fatalf("ended by idleness after %d s of use every second", i+1)
		}
	}
	f.clock.Advance(2 * time.Second)
	if s, _ := load(t, m, c); s != nil {
		t.Fatal("alive after 2 s idle")
	}
}

func TestTouchWindow(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA) // idle 30m: interval min(7.5m, 1m) = 1m
	_, c := start(t, m, session.StartOptions{})
	for _, tt := range []struct {
		advance time.Duration
		touches int
	}{{10 * time.Second, 0}, {40 * time.Second, 0}, {15 * time.Second, 1}, {30 * time.Second, 0}, {31 * time.Second, 1},
		{59 * time.Second, 0}, {time.Second, 1}} { // exactly the interval since the last touch: due
		f.store.Reset()
		f.clock.Advance(tt.advance)
		if s, _ := load(t, m, c); s == nil {
			t.Fatal("session ended")
		}
		if calls := f.store.Calls(); calls["Get"] != 1 || calls["Touch"] != tt.touches || f.store.Total() != 1+tt.touches {
			t.Fatalf("after +%s: calls %v, want 1 Get and %d Touch", tt.advance, calls, tt.touches)
		}
	}
}

// TestReissueAtTheEnd: a remembered session's cookie re-issued (key
// rotation) less than a second before its absolute deadline is expired at
// once (Max-Age=0), not turned into a cookie that lives until the browser
// closes.
func TestReissueAtTheEnd(t *testing.T) {
	f := newFixture()
	timeouts := session.DefaultTimeouts
	timeouts.Remember, timeouts.RememberIdle = time.Hour, time.Hour
	_, c := start(t, f.manager(t, timeouts, keyA), session.StartOptions{Username: "ada", Remember: true})
	f.clock.Advance(time.Hour - 500*time.Millisecond)
	s, w := load(t, f.manager(t, timeouts, keyB, keyA), c)
	if re := cookieOf(w); s == nil || re == nil || re.MaxAge >= 0 {
		t.Fatalf("re-issued %v for a session ending in 0.5 s, want Max-Age=0", re)
	}
}

func TestKeyRotation(t *testing.T) {
	f := newFixture()
	_, old := start(t, f.manager(t, session.DefaultTimeouts, keyA), session.StartOptions{Username: "ada"})

	rotated := f.manager(t, session.DefaultTimeouts, keyB, keyA)
	s, w := load(t, rotated, old)
	if s == nil {
		t.Fatal("adding a key ended a session signed under the old one")
	}
	reissued := cookieOf(w)
	if reissued == nil || reissued.MaxAge < 0 || reissued.Value == old.Value {
		t.Fatalf("cookie not re-issued under the new key: %v", reissued)
	}
	onlyB := f.manager(t, session.DefaultTimeouts, keyB)
	if s, _ := load(t, onlyB, reissued); s == nil {
		t.Fatal("the re-issued cookie does not verify under the new key alone")
	}
	if s, w := load(t, onlyB, old); s != nil || !expired(w) {
		t.Fatal("dropping the old key should end the old cookie and expire it")
	}
	if s, w := load(t, rotated, reissued); s == nil || cookieOf(w) != nil {
		t.Fatal("a current cookie should load without being re-issued")
	}
}

func TestBadCookies(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	_, good := start(t, m, session.StartOptions{})
	_, foreign := start(t, f.manager(t, session.DefaultTimeouts, keyB), session.StartOptions{})
	tampered := *good
	b := []byte(tampered.Value)
	b[len(b)/2] ^= 1
	tampered.Value = string(b)
	for name, c := range map[string]*http.Cookie{
		"tampered": &tampered, "foreign key": foreign, "garbage": {Name: "session", Value: "nonsense"},
		"empty": {Name: "session", Value: ""},
	} {
		t.Run(name, func(t *testing.T) {
			f.store.Reset()
			s, w := load(t, m, c)
			if s != nil {
				t.Fatal("a bad cookie loaded a session")
			}
			if c.Value != "" && !expired(w) {
				t.Fatal("a bad cookie was not expired")
			}
			if name != "foreign key" && f.store.Total() != 0 {
				t.Fatalf("a badly signed cookie reached the store: %v", f.store.Calls())
			}
		})
	}
}

func TestRenewAndDestroy(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	anon, c := startWith(t, m, "k", addOp("bag", "tea", 2))
	w := httptest.NewRecorder()
	s, err := m.Renew(w, request(c), anon, session.StartOptions{Username: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Key == anon.Key || s.Username != "ada" || s.Data.Maps["bag"]["tea"] != 2 || len(s.Applied) != 1 {
		t.Fatalf("renewed = %+v", s.Record)
	}
	if old, _ := load(t, m, c); old != nil {
		t.Fatal("the pre-login session survived renewal (fixation)")
	}
	fresh := cookieOf(w)
	if got, _ := load(t, m, fresh); got == nil || got.Key != s.Key {
		t.Fatal("the renewed cookie does not load the new session")
	}
	w = httptest.NewRecorder()
	if err := m.Destroy(w, request(fresh), s); err != nil || !expired(w) {
		t.Fatalf("destroy: %v, expired %v", err, expired(w))
	}
	if got, _ := load(t, m, fresh); got != nil {
		t.Fatal("destroyed session still loads")
	}
}

func TestRawIDNeverStored(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	s, c := start(t, m, session.StartOptions{Username: "ada"})
	if len(s.Key) != 64 || s.Key != session.StoreKey(idOf(t, c)) {
		t.Fatalf("store key %q is not the SHA-256 of the cookie's ID", s.Key)
	}
	if strings.Contains(s.PublicID(), s.Key[:16]) {
		t.Fatal("the public id reveals the store key")
	}
}

func idOf(t *testing.T, c *http.Cookie) []byte {
	codec, err := session.NewCodec([][]byte{keyA}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := codec.Decode(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRenewFailureKeepsTheOldSession: when the old session cannot be deleted
// (the store failed between the two writes of a login), the login answers an
// error and sets no cookie, so the browser keeps its old cookie and the old
// session keeps its data; the new session is removed again.
func TestRenewFailureKeepsTheOldSession(t *testing.T) {
	mem := memstore.New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	newManager := func(store session.Store) *session.Manager {
		m, err := session.NewManager(session.Options{Store: store, Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	healthy := newManager(mem)
	anon, c := startWith(t, healthy, "k", addOp("bag", "tea-assam", 2))
	failing := newManager(failDeleteOf{Store: mem, key: anon.Key})

	w := httptest.NewRecorder()
	if s, err := failing.Renew(w, request(c), anon, session.StartOptions{Username: "ada"}); err == nil || s != nil {
		t.Fatalf("Renew = %v, %v; want an error", s, err)
	}
	if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
		t.Fatalf("a failed renewal set cookies %q: the browser would lose its session", got)
	}
	old, _ := load(t, healthy, c)
	if old == nil || old.Key != anon.Key || old.Data.Maps["bag"]["tea-assam"] != 2 {
		t.Fatalf("the old cookie loads %+v, want the old session with its data", old)
	}
	recs, err := mem.ListByUser(t.Context(), "ada", now)
	if err != nil || len(recs) != 0 {
		t.Fatalf("the new session was left behind: %v %v", recs, err)
	}
}

// failDeleteOf is a store that cannot delete one key.
type failDeleteOf struct {
	session.Store
	key string
}

func (f failDeleteOf) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if key == f.key {
		return session.Record{}, false, errors.New("dial tcp: connection refused")
	}
	return f.Store.Delete(ctx, key, now)
}

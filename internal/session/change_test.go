package session_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

var (
	errTooMany = errors.New("test: too many")
	errFull    = errors.New("test: full")
	errNone    = errors.New("test: none")
)

// addOp adds delta (1–9 in all) to entry of map m (at most 3 entries).
func addOp(m, entry string, delta int64) session.AddToEntry {
	return session.AddToEntry{Map: m, Entry: entry, Delta: delta, Range: session.Range{Min: 1, Max: 9, Err: errTooMany},
		MaxEntries: 3, ErrFull: errFull}
}

// startWith begins a session holding ops through Change, as a first add to
// a cart does, and loads it.
func startWith(t *testing.T, m *session.Manager, key string, ops ...session.Op) (*session.Session, *http.Cookie) {
	t.Helper()
	w := httptest.NewRecorder()
	out, err := m.Change(w, request(nil), session.Change{Ops: ops, Key: key, Fingerprint: "fp", Start: true})
	if err != nil || !out.Found || out.Replayed {
		t.Fatalf("Change with Start: %+v, %v", out, err)
	}
	c := cookieOf(w)
	s, _ := load(t, m, c)
	if s == nil {
		t.Fatal("the session Change started does not load")
	}
	return s, c
}

// change sends c with cookie (nil: none) and returns the outcome, the
// response and the error.
func change(m *session.Manager, cookie *http.Cookie, c session.Change) (session.Outcome, *httptest.ResponseRecorder, error) {
	w := httptest.NewRecorder()
	r := request(cookie)
	r.Method = http.MethodPost
	out, err := m.Change(w, r, c)
	return out, w, err
}

// TestChange checks the Manager's one-write change: one Update and no read
// for a live session; a start only when asked; refusals and replays as the
// store says; a stale cookie expired.
func TestChange(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	s, c := startWith(t, m, "first", addOp("bag", "a", 2))
	if s.Data.Maps["bag"]["a"] != 2 || len(s.Applied) != 1 || s.Applied[0].Key != session.KeyHash("first") || s.Username != "" {
		t.Fatalf("started %+v, want the data and the key", s.Record)
	}
	tests := []struct {
		name      string
		cookie    *http.Cookie
		change    session.Change
		wantErr   error
		found     bool
		replayed  bool
		a         int64
		calls     map[string]int
		setCookie bool
	}{
		{"a change is one Update", c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k1"}, nil, true, false, 3, map[string]int{"Update": 1}, false},
		{"a replay", c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k1"}, nil, true, true, 3, map[string]int{"Update": 1}, false},
		{"a reused key", c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k1", Fingerprint: "other"}, session.ErrKeyReused, false, false, 0, map[string]int{"Update": 1}, false},
		{"a refusal", c, session.Change{Ops: []session.Op{addOp("bag", "a", 9)}, Key: "k2"}, errTooMany, false, false, 0, map[string]int{"Update": 1}, false},
		{"an invalid change reaches no store", c, session.Change{Ops: []session.Op{addOp("b ag", "a", 1)}}, session.ErrInvalidChange, false, false, 0, map[string]int{}, false},
		{"without a key, applied", c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}}, nil, true, false, 4, map[string]int{"Update": 1}, false},
		{"without a key, applied again", c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}}, nil, true, false, 5, map[string]int{"Update": 1}, false},
		{"no cookie, no start", nil, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}}, nil, false, false, 0, map[string]int{}, false},
		{"no cookie, a start", nil, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Start: true}, nil, true, false, 1, map[string]int{"Create": 1}, true},
		{"a refused start creates nothing", nil, session.Change{Ops: []session.Op{addOp("bag", "a", 10)}, Start: true}, errTooMany, false, false, 0, map[string]int{}, false},
	}
	for _, tt := range tests {
		f.store.Reset()
		out, w, err := change(m, tt.cookie, tt.change)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		if out.Found != tt.found || out.Replayed != tt.replayed || out.Data.Maps["bag"]["a"] != tt.a {
			t.Errorf("%s: %+v, want found %v replayed %v a = %d", tt.name, out, tt.found, tt.replayed, tt.a)
		}
		if got := f.store.Calls(); !equalCalls(got, tt.calls) {
			t.Errorf("%s: store calls %v, want %v", tt.name, got, tt.calls)
		}
		if got := cookieOf(w) != nil; got != tt.setCookie {
			t.Errorf("%s: Set-Cookie %v, want %v", tt.name, got, tt.setCookie)
		}
	}
	if got, _ := load(t, m, c); got.Data.Maps["bag"]["a"] != 5 || len(got.Applied) != 4 {
		t.Errorf("after the changes: %+v", got.Record)
	}
}

func equalCalls(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestChangeEndedSession: a change with the cookie of an ended session
// writes nothing, expires the cookie, and starts a new session only when
// asked.
func TestChangeEndedSession(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	old, c := startWith(t, m, "k", addOp("bag", "a", 1))
	f.clock.Advance(session.DefaultTimeouts.Idle)
	out, w, err := change(m, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k2"})
	if err != nil || out.Found || !expired(w) {
		t.Fatalf("a change of an ended session: %+v, %v, expired cookie %v", out, err, expired(w))
	}
	out, w, err = change(m, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k", Fingerprint: "fp", Start: true})
	if err != nil || !out.Found || out.Replayed || out.Data.Maps["bag"]["a"] != 1 {
		t.Fatalf("a start after an ended session: %+v, %v (the old session's key is not the new one's)", out, err)
	}
	lines := w.Header().Values("Set-Cookie")
	fresh := cookieOf(w)
	if len(lines) != 2 || fresh == nil {
		t.Fatalf("Set-Cookie %q, want the old cookie expired, then the new one", lines)
	}
	last, _ := http.ParseSetCookie(lines[1])
	if s, _ := load(t, m, last); s == nil || s.Key == old.Key {
		t.Fatal("the new cookie does not load a new session")
	}
}

// TestChangeRotatedKey: a cookie signed under an older key goes through
// Load (re-issued), then the change.
func TestChangeRotatedKey(t *testing.T) {
	f := newFixture()
	_, c := startWith(t, f.manager(t, session.DefaultTimeouts, keyA), "k", addOp("bag", "a", 1))
	rotated := f.manager(t, session.DefaultTimeouts, keyB, keyA)
	f.store.Reset()
	out, w, err := change(rotated, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "k2"})
	if err != nil || !out.Found || out.Data.Maps["bag"]["a"] != 2 {
		t.Fatalf("change with an old-key cookie: %+v, %v", out, err)
	}
	re := cookieOf(w)
	if re == nil || re.Value == c.Value || re.MaxAge < 0 {
		t.Fatalf("the cookie was not re-issued: %v", re)
	}
	if calls := f.store.Calls(); calls["Get"] != 1 || calls["Update"] != 1 {
		t.Errorf("store calls %v, want a Get (Load) and an Update", calls)
	}
	if s, _ := load(t, f.manager(t, session.DefaultTimeouts, keyB), re); s == nil {
		t.Error("the re-issued cookie does not verify under the new key alone")
	}
}

// TestOperationIDsAreNeverReplays: a change without a key gets its own
// operation ID; should the store report it already applied (its own
// retried write), the answer is not a replay.
func TestOperationIDsAreNeverReplays(t *testing.T) {
	f := newFixture()
	m := f.manager(t, session.DefaultTimeouts, keyA)
	_, c := startWith(t, m, "k", addOp("bag", "a", 1))
	replaying := &replayingStore{Store: f.store}
	rm, err := session.NewManager(session.Options{Store: replaying, Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	out, _, err := change(rm, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}})
	if err != nil || !out.Found || out.Replayed {
		t.Fatalf("%+v, %v: want found and not replayed", out, err)
	}
	if len(replaying.keys) != 1 || replaying.keys[0] == "" {
		t.Fatalf("keys sent %q, want one operation ID", replaying.keys)
	}
	out, _, _ = change(rm, c, session.Change{Ops: []session.Op{addOp("bag", "a", 1)}, Key: "client"})
	if !out.Replayed {
		t.Fatalf("a client key the store reports recorded: %+v, want a replay", out)
	}
	if replaying.keys[1] == replaying.keys[0] {
		t.Error("two changes without a key got the same operation ID")
	}
}

// replayingStore reports every Update as a replay, recording the keys.
type replayingStore struct {
	session.Store
	keys []string
}

func (s *replayingStore) Update(ctx context.Context, key string, c session.Change, now time.Time) (session.Outcome, error) {
	s.keys = append(s.keys, c.Key)
	return session.Outcome{Found: true, Replayed: true}, nil
}

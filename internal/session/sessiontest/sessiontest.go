// Package sessiontest is the conformance suite of session.Store: every store
// (memstore, dynamostore) must pass Run, so the contract in the Store doc
// comments is checked once, the same way, for all of them.
package sessiontest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// The windows of the fixture records.
const (
	idle     = 30 * time.Minute
	absolute = 12 * time.Hour
)

// NewStore returns a store for one test, empty or at least holding none of
// the keys and usernames the suite makes up (they are random).
type NewStore func(t *testing.T) session.Store

// Run runs the whole suite. Subtests run in parallel, each with its own
// store from newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Run("CreateGet", func(t *testing.T) { t.Parallel(); testCreateGet(t, newStore(t)) })
	t.Run("CreateInvalid", func(t *testing.T) { t.Parallel(); testCreateInvalid(t, newStore(t)) })
	t.Run("Deadlines", func(t *testing.T) { t.Parallel(); testDeadlines(t, newStore) })
	t.Run("Touch", func(t *testing.T) { t.Parallel(); testTouch(t, newStore(t)) })
	t.Run("Delete", func(t *testing.T) { t.Parallel(); testDelete(t, newStore(t)) })
	t.Run("ListByUser", func(t *testing.T) { t.Parallel(); testListByUser(t, newStore(t)) })
	t.Run("UpdateSteps", func(t *testing.T) { t.Parallel(); testUpdateSteps(t, newStore(t)) })
	t.Run("UpdateKinds", func(t *testing.T) { t.Parallel(); testUpdateKinds(t, newStore(t)) })
	t.Run("UpdateInvalid", func(t *testing.T) { t.Parallel(); testUpdateInvalid(t, newStore(t)) })
	t.Run("UpdateMissingSession", func(t *testing.T) { t.Parallel(); testUpdateMissing(t, newStore(t)) })
	t.Run("NoAliasing", func(t *testing.T) { t.Parallel(); testNoAliasing(t, newStore(t)) })
	t.Run("Idempotency", func(t *testing.T) { t.Parallel(); testIdempotency(t, newStore) })
	t.Run("Concurrent", func(t *testing.T) { t.Parallel(); testConcurrent(t, newStore) })
}

// start is the suite's "now": the wall clock (so a store whose garbage
// collection uses it keeps the fixtures), whole milliseconds (what DynamoDB
// keeps).
func start() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// newKey returns a fresh random store key.
func newKey() string { return session.StoreKey([]byte(rand.Text())) }

// newUsername returns a fresh username with a readable prefix.
func newUsername(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}

// fixture is a live anonymous record begun at now with the default windows.
func fixture(now time.Time) session.Record {
	return session.Record{
		Key:              newKey(),
		CreatedAt:        now,
		LastSeenAt:       now,
		IdleWindow:       idle,
		IdleDeadline:     now.Add(idle),
		AbsoluteDeadline: now.Add(absolute),
		UserAgent:        "sessiontest/1.0",
	}
}

func mustCreate(t *testing.T, s session.Store, rec session.Record) {
	t.Helper()
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

// mustGet returns the record under key at now and fails unless found is want.
func mustGet(t *testing.T, s session.Store, key string, now time.Time, want bool) session.Record {
	t.Helper()
	rec, found, err := s.Get(t.Context(), key, now)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if found != want {
		t.Fatalf("Get at %v: found = %v, want %v", now, found, want)
	}
	return rec
}

// diffRecord describes how got differs from want ("" when it does not).
func diffRecord(got, want session.Record) string {
	var d []string
	check := func(name string, ok bool, g, w any) {
		if !ok {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	check("Key", got.Key == want.Key, got.Key, want.Key)
	check("Username", got.Username == want.Username, got.Username, want.Username)
	check("Data", got.Data.Equal(want.Data), got.Data, want.Data)
	check("CreatedAt", got.CreatedAt.Equal(want.CreatedAt), got.CreatedAt, want.CreatedAt)
	check("LastSeenAt", got.LastSeenAt.Equal(want.LastSeenAt), got.LastSeenAt, want.LastSeenAt)
	check("AuthenticatedAt", got.AuthenticatedAt.Equal(want.AuthenticatedAt), got.AuthenticatedAt, want.AuthenticatedAt)
	check("IdleWindow", got.IdleWindow == want.IdleWindow, got.IdleWindow, want.IdleWindow)
	check("IdleDeadline", got.IdleDeadline.Equal(want.IdleDeadline), got.IdleDeadline, want.IdleDeadline)
	check("AbsoluteDeadline", got.AbsoluteDeadline.Equal(want.AbsoluteDeadline), got.AbsoluteDeadline, want.AbsoluteDeadline)
	check("Remember", got.Remember == want.Remember, got.Remember, want.Remember)
	check("UserAgent", got.UserAgent == want.UserAgent, got.UserAgent, want.UserAgent)
	check("Applied", slices.EqualFunc(got.Applied, want.Applied, sameApplied), got.Applied, want.Applied)
	return strings.Join(d, "; ")
}

func sameApplied(a, b session.Applied) bool {
	return a.Key == b.Key && a.Fingerprint == b.Fingerprint && a.At.Equal(b.At)
}

// isOutcome reports whether err is a refusal the contract names (rather
// than a system failure or an invalid change).
func isOutcome(err error) bool {
	for _, o := range []error{errRange, errFull, errMissing, session.ErrKeyReused, session.ErrExists} {
		if errors.Is(err, o) {
			return true
		}
	}
	return false
}

func testCreateGet(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	rec.Username = newUsername("carol")
	rec.Data = session.Data{
		Maps:     map[string]map[string]int64{"bag": {"tea-sencha": 2, "mug.blue:1": 1 << 40, "minus": -7}, "empty": {}},
		Counters: map[string]int64{"visits": 12, "zero": 0},
	}
	rec.AuthenticatedAt = now.Add(-time.Second)
	rec.Applied = []session.Applied{applied("k-1", "fp", now.Add(-time.Hour)), applied("k-2", "fp", now)}
	rec.Remember = true
	rec.UserAgent = "Mozilla/5.0 (X11; Linux) \"quoted\" ümlaut"
	mustCreate(t, s, rec)
	if d := diffRecord(mustGet(t, s, rec.Key, now, true), rec); d != "" {
		t.Errorf("Get after Create: %s", d)
	}
	if _, found, err := s.Get(t.Context(), newKey(), now); err != nil || found {
		t.Errorf("Get of an unknown key: found %v, err %v", found, err)
	}

	other := fixture(now)
	other.Key = rec.Key
	other.Username = "someone-else"
	if err := s.Create(t.Context(), other); !errors.Is(err, session.ErrExists) {
		t.Errorf("Create of an existing key: err = %v, want ErrExists", err)
	}
	if d := diffRecord(mustGet(t, s, rec.Key, now, true), rec); d != "" {
		t.Errorf("a refused Create changed the record: %s", d)
	}
}

func testCreateInvalid(t *testing.T, s session.Store) {
	now := start()
	empty := fixture(now)
	empty.Key = ""
	badName := fixture(now)
	badName.Data.Maps = map[string]map[string]int64{"bag": {"a b": 1}}
	clash := fixture(now)
	clash.Data = session.Data{Maps: map[string]map[string]int64{"x": {}}, Counters: map[string]int64{"x": 1}}
	for name, rec := range map[string]session.Record{"empty key": empty, "bad entry name": badName, "map and counter": clash} {
		if err := s.Create(t.Context(), rec); err == nil || isOutcome(err) {
			t.Errorf("Create with %s: err = %v, want a plain error", name, err)
		}
		if rec.Key != "" {
			mustGet(t, s, rec.Key, now, false)
		}
	}
	// More idempotency entries than a session keeps: the most recent stay.
	many := fixture(now)
	for i := range session.MaxKeys + 5 {
		many.Applied = append(many.Applied, applied(fmt.Sprint("many-", i), "fp", now.Add(time.Duration(i-40)*time.Second)))
	}
	mustCreate(t, s, many)
	if got := mustGet(t, s, many.Key, now, true); !slices.EqualFunc(got.Applied, many.Applied[5:], sameApplied) {
		t.Errorf("Create with %d entries kept %d: %v", len(many.Applied), len(got.Applied), got.Applied)
	}
}

// applied is the entry of a change with key and fingerprint at at.
func applied(key, fingerprint string, at time.Time) session.Applied {
	a, _ := session.AppliedFor(session.Change{Key: key, Fingerprint: fingerprint}, at)
	return a
}

// deadlineCase is a record and an instant at which it has just ended.
type deadlineCase struct {
	name  string
	rec   func(now time.Time) session.Record
	endAt func(now time.Time) time.Time
}

var deadlineCases = []deadlineCase{
	{"idle", func(now time.Time) session.Record { return fixture(now) },
		func(now time.Time) time.Time { return now.Add(idle) }},
	{"absolute", func(now time.Time) session.Record {
		r := fixture(now)
		r.AbsoluteDeadline = now.Add(10 * time.Minute)
		return r
	}, func(now time.Time) time.Time { return now.Add(10 * time.Minute) }},
	{"idle after touch window", func(now time.Time) session.Record {
		r := fixture(now.Add(-time.Hour)) // begun an hour ago, seen 20 minutes ago
		r.LastSeenAt = now.Add(-20 * time.Minute)
		r.IdleDeadline = r.LastSeenAt.Add(idle)
		return r
	}, func(now time.Time) time.Time { return now.Add(10 * time.Minute) }},
}

// deadOp is a method called on a record that has ended; it reports found.
type deadOp struct {
	name string
	call func(t *testing.T, s session.Store, key string, at time.Time) (bool, error)
}

var deadOps = []deadOp{
	{"Get", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		_, found, err := s.Get(t.Context(), key, at)
		return found, err
	}},
	{"Touch", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		return s.Touch(t.Context(), key, at)
	}},
	{"Update", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		out, err := s.Update(t.Context(), key, change("dead", add("bag", "tea", 1)), at)
		return out.Found || !out.Data.Equal(session.Data{}), err
	}},
	{"Update of a new map", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		out, err := s.Update(t.Context(), key, change("dead-2", add("fresh", "tea", 1), count("c", 1)), at)
		return out.Found, err
	}},
	{"Update set", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		out, err := s.Update(t.Context(), key, change("", set("bag", "tea", 5)), at)
		return out.Found, err
	}},
	{"Update remove", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		out, err := s.Update(t.Context(), key, change("dead-3", remove("bag", "tea")), at)
		return out.Found, err
	}},
	{"Update replay", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		out, err := s.Update(t.Context(), key, session.Change{Ops: []session.Op{clearMap("bag")}, Key: "seen", Fingerprint: "fp"}, at)
		return out.Found || out.Replayed, err
	}},
	{"ListByUser", func(t *testing.T, s session.Store, key string, at time.Time) (bool, error) {
		recs, err := s.ListByUser(t.Context(), "dora-deadlines", at)
		return slices.ContainsFunc(recs, func(r session.Record) bool { return r.Key == key }), err
	}},
}

// testDeadlines checks that every method treats a record past either
// deadline as missing while its item is still there, and writes nothing.
func testDeadlines(t *testing.T, newStore NewStore) {
	for _, dc := range deadlineCases {
		t.Run(dc.name, func(t *testing.T) {
			t.Parallel()
			s := newStore(t)
			for _, op := range deadOps {
				now := start()
				rec := dc.rec(now)
				rec.Username = "dora-deadlines"
				rec.Data = session.Data{Maps: map[string]map[string]int64{"bag": {"tea": 3}}, Counters: map[string]int64{"c": 1}}
				rec.Applied = []session.Applied{applied("seen", "fp", now)}
				mustCreate(t, s, rec)
				end := dc.endAt(now)
				justBefore := end.Add(-time.Millisecond)
				if found, err := op.call(t, s, rec.Key, end); err != nil || found {
					t.Errorf("%s at the deadline: found %v, err %v; want not found", op.name, found, err)
				}
				// The item is still there, unchanged: an earlier reader sees it as it was.
				if d := diffRecord(mustGet(t, s, rec.Key, justBefore, true), rec); d != "" {
					t.Errorf("%s on an ended record wrote: %s", op.name, d)
				}
			}
			// Delete of an ended record: reported as not found, and gone.
			now := start()
			rec := dc.rec(now)
			mustCreate(t, s, rec)
			if _, found, err := s.Delete(t.Context(), rec.Key, dc.endAt(now)); err != nil || found {
				t.Errorf("Delete at the deadline: found %v, err %v; want not found", found, err)
			}
			mustGet(t, s, rec.Key, dc.endAt(now).Add(-time.Millisecond), false)
		})
	}
}

func testTouch(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	rec.AbsoluteDeadline = now.Add(40 * time.Minute)
	rec.Data = session.Data{Maps: map[string]map[string]int64{"bag": {"tea": 1}}}
	rec.Applied = []session.Applied{applied("k", "fp", now)}
	mustCreate(t, s, rec)

	at := now.Add(20 * time.Minute)
	if found, err := s.Touch(t.Context(), rec.Key, at); err != nil || !found {
		t.Fatalf("Touch of a live record: found %v, err %v", found, err)
	}
	want := rec
	want.LastSeenAt = at
	want.IdleDeadline = at.Add(idle)
	if d := diffRecord(mustGet(t, s, rec.Key, at, true), want); d != "" {
		t.Errorf("after Touch: %s", d)
	}
	// Without the touch the record would have ended at now+30m.
	mustGet(t, s, rec.Key, now.Add(35*time.Minute), true)
	// The touch never extends the absolute deadline.
	mustGet(t, s, rec.Key, now.Add(40*time.Minute), false)
	if found, err := s.Touch(t.Context(), rec.Key, now.Add(40*time.Minute)); err != nil || found {
		t.Errorf("Touch after the absolute deadline: found %v, err %v", found, err)
	}
	if found, err := s.Touch(t.Context(), newKey(), now); err != nil || found {
		t.Errorf("Touch of an unknown key: found %v, err %v", found, err)
	}
}

func testDelete(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	rec.Username = newUsername("erin")
	rec.Data = session.Data{Counters: map[string]int64{"visits": 4}}
	mustCreate(t, s, rec)
	old, found, err := s.Delete(t.Context(), rec.Key, now.Add(time.Minute))
	if err != nil || !found {
		t.Fatalf("Delete of a live record: found %v, err %v", found, err)
	}
	if d := diffRecord(old, rec); d != "" {
		t.Errorf("Delete returned: %s", d)
	}
	mustGet(t, s, rec.Key, now, false)
	if _, found, err := s.Delete(t.Context(), rec.Key, now); err != nil || found {
		t.Errorf("second Delete: found %v, err %v", found, err)
	}
	if recs, err := s.ListByUser(t.Context(), rec.Username, now); err != nil || len(recs) != 0 {
		t.Errorf("ListByUser after Delete: %d records, err %v", len(recs), err)
	}
}

// testListByUser lists right after creating. On DynamoDB itself the
// byUsername index is eventually consistent (emulators are not), so a run
// against a real table may need a moment between the two.
func testListByUser(t *testing.T, s session.Store) {
	now := start()
	alice, bob := newUsername("alice"), newUsername("bob")
	add := func(username string, edit func(*session.Record)) session.Record {
		r := fixture(now)
		r.Username = username
		if edit != nil {
			edit(&r)
		}
		mustCreate(t, s, r)
		return r
	}
	a1 := add(alice, nil)
	a2 := add(alice, func(r *session.Record) {
		r.Remember = true
		r.UserAgent = "another browser"
		r.Data = session.Data{Maps: map[string]map[string]int64{"bag": {"tea": 2}}}
		r.AuthenticatedAt = now
	})
	add(alice, func(r *session.Record) { r.IdleDeadline = now.Add(time.Minute) })     // idle-ended at the query
	add(alice, func(r *session.Record) { r.AbsoluteDeadline = now.Add(time.Minute) }) // absolute-ended
	b1 := add(bob, nil)
	add("", nil) // anonymous

	at := now.Add(time.Minute)
	tests := []struct {
		username string
		want     []session.Record
	}{
		{alice, []session.Record{a1, a2}},
		{bob, []session.Record{b1}},
		{newUsername("nobody"), nil},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := s.ListByUser(t.Context(), tt.username, at)
		if err != nil {
			t.Fatalf("ListByUser(%q): %v", tt.username, err)
		}
		if len(got) != len(tt.want) {
			t.Errorf("ListByUser(%q): %d records, want %d", tt.username, len(got), len(tt.want))
			continue
		}
		slices.SortFunc(got, func(a, b session.Record) int { return strings.Compare(a.Key, b.Key) })
		slices.SortFunc(tt.want, func(a, b session.Record) int { return strings.Compare(a.Key, b.Key) })
		for i := range got {
			if d := diffRecord(got[i], tt.want[i]); d != "" {
				t.Errorf("ListByUser(%q)[%d]: %s", tt.username, i, d)
			}
		}
	}
}

package sessiontest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// The suite's own refusals and limits: the ops of a made-up feature, so the
// suite depends on no real one.
var (
	errRange   = errors.New("sessiontest: out of range")
	errFull    = errors.New("sessiontest: map full")
	errMissing = errors.New("sessiontest: no such entry")
)

const (
	entryMax   = 9  // an entry holds 1–9
	maxEntries = 3  // a map holds at most 3 entries
	counterMax = 60 // a counter holds 0–60
)

var (
	entryRange   = session.Range{Min: 1, Max: entryMax, Err: errRange}
	counterRange = session.Range{Min: 0, Max: counterMax, Err: errRange}
)

func add(m, entry string, delta int64) session.AddToEntry {
	return session.AddToEntry{Map: m, Entry: entry, Delta: delta, Range: entryRange, MaxEntries: maxEntries, ErrFull: errFull}
}

// set sets an entry that must exist.
func set(m, entry string, v int64) session.SetEntry {
	return session.SetEntry{Map: m, Entry: entry, Value: v, Range: entryRange, MustExist: true, ErrMissing: errMissing}
}

// put sets an entry, adding it if need be.
func put(m, entry string, v int64) session.SetEntry {
	return session.SetEntry{Map: m, Entry: entry, Value: v, Range: entryRange, MaxEntries: maxEntries, ErrFull: errFull}
}

func remove(m, entry string) session.RemoveEntry {
	return session.RemoveEntry{Map: m, Entry: entry, ErrMissing: errMissing}
}

func clearMap(m string) session.ClearMap { return session.ClearMap{Map: m} }

func count(name string, delta int64) session.AddToCounter {
	return session.AddToCounter{Counter: name, Delta: delta, Range: counterRange}
}

// change is a change of ops under key (fingerprint "fp").
func change(key string, ops ...session.Op) session.Change {
	return session.Change{Ops: ops, Key: key, Fingerprint: "fp"}
}

// data builds Data from maps and counters written inline.
func data(m map[string]map[string]int64, c map[string]int64) session.Data {
	return session.Data{Maps: m, Counters: c}
}

type entries = map[string]map[string]int64

type counters = map[string]int64

// step is one change and what it must give: wantErr (nil for success) and
// the data after it.
type step struct {
	name    string
	ops     []session.Op
	wantErr error
	want    session.Data
}

// runSteps applies each step to one record at one second intervals,
// checking the error, the data returned, the data stored, and that a
// refused change wrote nothing (not even the idle refresh).
func runSteps(t *testing.T, s session.Store, rec session.Record, steps []step) {
	t.Helper()
	now := rec.CreatedAt
	lastSeen := now
	for i, st := range steps {
		name := fmt.Sprintf("step %d (%s)", i, st.name)
		at := now.Add(time.Duration(i+1) * time.Second)
		out, err := s.Update(t.Context(), rec.Key, change(fmt.Sprint("step-", i), st.ops...), at)
		if !errors.Is(err, st.wantErr) || (err != nil && st.wantErr == nil) {
			t.Fatalf("%s: err = %v, want %v", name, err, st.wantErr)
		}
		if err == nil {
			if !out.Found || out.Replayed {
				t.Fatalf("%s: found %v, replayed %v on a live record and a new key", name, out.Found, out.Replayed)
			}
			lastSeen = at
			if !out.Data.Equal(st.want) {
				t.Errorf("%s: returned %v, want %v", name, out.Data, st.want)
			}
		} else if out.Found || out.Replayed || !out.Data.Equal(session.Data{}) {
			t.Errorf("%s: a refusal returned %+v", name, out)
		}
		got := mustGet(t, s, rec.Key, at, true)
		if !got.Data.Equal(st.want) {
			t.Errorf("%s: stored %v, want %v", name, got.Data, st.want)
		}
		if !got.LastSeenAt.Equal(lastSeen) || !got.IdleDeadline.Equal(lastSeen.Add(idle)) {
			t.Errorf("%s: LastSeenAt %v IdleDeadline %v, want %v and +%v", name, got.LastSeenAt, got.IdleDeadline, lastSeen, idle)
		}
		if recorded := len(got.Applied) > 0 && got.Applied[len(got.Applied)-1].Key == session.KeyHash(fmt.Sprint("step-", i)); recorded != (err == nil) {
			t.Errorf("%s: key recorded %v, want %v (a refused change records nothing)", name, recorded, err == nil)
		}
	}
}

// testUpdateSteps runs one record through every op: bounds, missing
// entries, the map's entry limit, missing maps, counters, several ops at
// once.
func testUpdateSteps(t *testing.T, s session.Store) {
	rec := fixture(start())
	mustCreate(t, s, rec)
	runSteps(t, s, rec, []step{
		{"add creates the map", ops(add("bag", "a", 2)), nil, data(entries{"bag": {"a": 2}}, nil)},
		{"add to an entry", ops(add("bag", "a", 3)), nil, data(entries{"bag": {"a": 5}}, nil)},
		{"add past the top", ops(add("bag", "a", 5)), errRange, data(entries{"bag": {"a": 5}}, nil)},
		{"add a negative delta", ops(add("bag", "a", -4)), nil, data(entries{"bag": {"a": 1}}, nil)},
		{"add below the bottom", ops(add("bag", "a", -1)), errRange, data(entries{"bag": {"a": 1}}, nil)},
		{"a new entry at the top", ops(add("bag", "b", entryMax)), nil, data(entries{"bag": {"a": 1, "b": 9}}, nil)},
		{"a new entry past the top", ops(add("bag", "c", entryMax+1)), errRange, data(entries{"bag": {"a": 1, "b": 9}}, nil)},
		{"a new entry below the bottom", ops(add("bag", "c", 0)), errRange, data(entries{"bag": {"a": 1, "b": 9}}, nil)},
		{"the last entry that fits", ops(add("bag", "tea.green:1", 1)), nil, data(entries{"bag": {"a": 1, "b": 9, "tea.green:1": 1}}, nil)},
		{"an entry past the limit", ops(add("bag", "d", 1)), errFull, data(entries{"bag": {"a": 1, "b": 9, "tea.green:1": 1}}, nil)},
		{"add to an entry of a full map", ops(add("bag", "a", 1)), nil, data(entries{"bag": {"a": 2, "b": 9, "tea.green:1": 1}}, nil)},
		{"set an entry", ops(set("bag", "a", 7)), nil, data(entries{"bag": {"a": 7, "b": 9, "tea.green:1": 1}}, nil)},
		{"set a missing entry", ops(set("bag", "z", 3)), errMissing, data(entries{"bag": {"a": 7, "b": 9, "tea.green:1": 1}}, nil)},
		{"set past the top", ops(set("bag", "a", entryMax+1)), errRange, data(entries{"bag": {"a": 7, "b": 9, "tea.green:1": 1}}, nil)},
		{"set below the bottom", ops(set("bag", "a", 0)), errRange, data(entries{"bag": {"a": 7, "b": 9, "tea.green:1": 1}}, nil)},
		{"put a new entry in a full map", ops(put("bag", "d", 4)), errFull, data(entries{"bag": {"a": 7, "b": 9, "tea.green:1": 1}}, nil)},
		{"put an existing entry in a full map", ops(put("bag", "b", 4)), nil, data(entries{"bag": {"a": 7, "b": 4, "tea.green:1": 1}}, nil)},
		{"remove an entry", ops(remove("bag", "b")), nil, data(entries{"bag": {"a": 7, "tea.green:1": 1}}, nil)},
		{"remove it again", ops(remove("bag", "b")), errMissing, data(entries{"bag": {"a": 7, "tea.green:1": 1}}, nil)},
		{"put a new entry", ops(put("bag", "d", 4)), nil, data(entries{"bag": {"a": 7, "d": 4, "tea.green:1": 1}}, nil)},
		{"clear", ops(clearMap("bag")), nil, data(entries{"bag": {}}, nil)},
		{"clear an empty map", ops(clearMap("bag")), nil, data(entries{"bag": {}}, nil)},
		{"remove from a missing map", ops(remove("other", "x")), errMissing, data(entries{"bag": {}}, nil)},
		{"set in a missing map", ops(set("other", "x", 1)), errMissing, data(entries{"bag": {}}, nil)},
		{"put creates the map", ops(put("other", "x", 2)), nil, data(entries{"bag": {}, "other": {"x": 2}}, nil)},
		{"add to an empty map", ops(add("bag", "a", 1)), nil, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, nil)},
		{"a new counter", ops(count("visits", 1)), nil, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, counters{"visits": 1})},
		{"a counter past the top", ops(count("visits", counterMax)), errRange, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, counters{"visits": 1})},
		{"a counter down to the bottom", ops(count("visits", -1)), nil, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, counters{"visits": 0})},
		{"a counter below the bottom", ops(count("visits", -1)), errRange, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, counters{"visits": 0})},
		{"a new counter out of range", ops(count("more", counterMax+1)), errRange, data(entries{"bag": {"a": 1}, "other": {"x": 2}}, counters{"visits": 0})},
		{"several ops at once", ops(add("bag", "a", 1), count("visits", 2), clearMap("other"), put("third", "y", 3)), nil,
			data(entries{"bag": {"a": 2}, "other": {}, "third": {"y": 3}}, counters{"visits": 2})},
		{"all or none", ops(add("bag", "a", 1), count("visits", counterMax)), errRange,
			data(entries{"bag": {"a": 2}, "other": {}, "third": {"y": 3}}, counters{"visits": 2})},
		{"all or none, a new map", ops(add("fourth", "a", 1), remove("bag", "zz")), errMissing,
			data(entries{"bag": {"a": 2}, "other": {}, "third": {"y": 3}}, counters{"visits": 2})},
		{"clear creates a map", ops(clearMap("fifth")), nil,
			data(entries{"bag": {"a": 2}, "other": {}, "third": {"y": 3}, "fifth": {}}, counters{"visits": 2})},
	})
}

func ops(o ...session.Op) []session.Op { return o }

// testUpdateKinds checks that a name is a map or a counter, never both: an
// op of the other kind is an invalid change and writes nothing.
func testUpdateKinds(t *testing.T, s session.Store) {
	rec := fixture(start())
	rec.Data = data(entries{"bag": {"a": 1}}, counters{"visits": 3})
	mustCreate(t, s, rec)
	for _, c := range [][]session.Op{
		ops(count("bag", 1)),
		ops(add("visits", "a", 1)),
		ops(put("visits", "a", 1)),
		ops(set("visits", "a", 1)),
		ops(remove("visits", "a")),
		ops(clearMap("visits")),
		ops(count("new", 1), add("visits", "a", 1)),
	} {
		out, err := s.Update(t.Context(), rec.Key, change("kinds", c...), rec.CreatedAt.Add(time.Second))
		if !errors.Is(err, session.ErrInvalidChange) || out.Found {
			t.Errorf("%T on the other kind: %+v, err = %v; want ErrInvalidChange", c[len(c)-1], out, err)
		}
	}
	if d := diffRecord(mustGet(t, s, rec.Key, rec.CreatedAt, true), rec); d != "" {
		t.Errorf("a refused change wrote: %s", d)
	}
}

// testUpdateInvalid checks that a change CheckOps refuses writes nothing
// and is refused the same on a missing session.
func testUpdateInvalid(t *testing.T, s session.Store) {
	rec := fixture(start())
	mustCreate(t, s, rec)
	noErr := add("bag", "a", 1)
	noErr.ErrFull = nil
	empty := add("bag", "a", 1)
	empty.Range.Min = 10
	huge := count("c", 1<<63-1)
	tests := map[string][]session.Op{
		"no ops":           nil,
		"a nil op":         {nil},
		"two ops on a map": ops(add("bag", "a", 1), add("bag", "b", 1)),
		"two counter ops":  ops(count("c", 1), count("c", 1)),
		"a bad map name":   ops(add("b ag", "a", 1)),
		"a bad entry name": ops(add("bag", "a[0]", 1)),
		"an empty name":    ops(count("", 1)),
		"a long name":      ops(remove("bag", string(make([]byte, session.MaxNameBytes+1)))),
		"no ErrFull":       ops(noErr),
		"an empty range":   ops(empty),
		"a huge delta":     ops(huge),
		"no ErrMissing":    ops(session.RemoveEntry{Map: "bag", Entry: "a"}),
	}
	for name, o := range tests {
		for _, key := range []string{rec.Key, newKey()} {
			out, err := s.Update(t.Context(), key, change("invalid", o...), rec.CreatedAt.Add(time.Second))
			if !errors.Is(err, session.ErrInvalidChange) || out.Found {
				t.Errorf("%s: %+v, err = %v; want ErrInvalidChange", name, out, err)
			}
		}
	}
	// A value no data accepts is the op's own refusal, session or not.
	for _, key := range []string{rec.Key, newKey()} {
		if _, err := s.Update(t.Context(), key, change("static", set("bag", "a", 0)), rec.CreatedAt); !errors.Is(err, errRange) {
			t.Errorf("set outside its range: err = %v, want the op's error", err)
		}
	}
	if d := diffRecord(mustGet(t, s, rec.Key, rec.CreatedAt, true), rec); d != "" {
		t.Errorf("an invalid change wrote: %s", d)
	}
}

// testUpdateMissing checks that every change of an unknown key reports not
// found, with no error, even when the record's data would refuse it.
func testUpdateMissing(t *testing.T, s session.Store) {
	now, key := start(), newKey()
	for _, o := range [][]session.Op{
		ops(add("bag", "a", 1)), ops(set("bag", "a", 2)), ops(remove("bag", "a")),
		ops(clearMap("bag")), ops(count("c", 1)), ops(count("c", -1)),
	} {
		out, err := s.Update(t.Context(), key, change("missing", o...), now)
		if err != nil || out.Found || out.Replayed || !out.Data.Equal(session.Data{}) {
			t.Errorf("%T on an unknown key: %+v, err %v", o[0], out, err)
		}
	}
	if out, err := s.Update(t.Context(), "", change("", count("c", 1)), now); err != nil || out.Found {
		t.Errorf("Update of the empty key: %+v, err %v", out, err)
	}
	mustGet(t, s, key, now, false)
}

// testNoAliasing checks that records and data handed in or out are copies.
func testNoAliasing(t *testing.T, s session.Store) {
	now, ctx := start(), t.Context()
	rec := fixture(now)
	rec.Data = data(entries{"bag": {"tea": 1}}, counters{"c": 1})
	rec.Applied = []session.Applied{applied("k", "fp", now)}
	mustCreate(t, s, rec)
	rec.Data.Maps["bag"]["tea"] = 5 // the caller's data after Create
	rec.Data.Counters["c"] = 5
	rec.Applied[0].Key = "changed"

	got := mustGet(t, s, rec.Key, now, true)
	got.Data.Maps["bag"]["mug"] = 3
	got.Data.Counters["d"] = 3
	got.Applied[0].Key = "changed"
	out, err := s.Update(ctx, rec.Key, change("other", add("bag", "cup", 1)), now)
	if err != nil {
		t.Fatal(err)
	}
	out.Data.Maps["bag"]["cup"] = 42
	out.Data.Counters["c"] = 42
	want := data(entries{"bag": {"tea": 1, "cup": 1}}, counters{"c": 1})
	again := mustGet(t, s, rec.Key, now, true)
	if !again.Data.Equal(want) {
		t.Errorf("stored %v, want %v: a caller's data is shared with the store", again.Data, want)
	}
	if len(again.Applied) != 2 || again.Applied[0].Key != session.KeyHash("k") {
		t.Errorf("stored entries %v: a caller's entries are shared with the store", again.Applied)
	}
}

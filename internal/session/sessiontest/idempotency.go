package sessiontest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// longLived is a record that outlives its idempotency keys: idle 48h,
// absolute 72h.
func longLived(now time.Time) session.Record {
	r := fixture(now)
	r.IdleWindow = 48 * time.Hour
	r.IdleDeadline = now.Add(r.IdleWindow)
	r.AbsoluteDeadline = now.Add(72 * time.Hour)
	return r
}

// testIdempotency checks the recorded keys: replays, reuse, refusals,
// eviction of the oldest of MaxKeys+1, expiry after KeyLifetime, keys
// carried by Create (renewal), and changes without a key.
func testIdempotency(t *testing.T, newStore NewStore) {
	for name, test := range map[string]func(*testing.T, session.Store){
		"replay":            testReplay,
		"reused":            testKeyReused,
		"refused, repeated": testRefusedRepeated,
		"eviction":          testEviction,
		"expiry":            testKeyExpiry,
		"carried":           testKeysCarried,
		"no key":            testNoKey,
	} {
		t.Run(name, func(t *testing.T) { t.Parallel(); test(t, newStore(t)) })
	}
}

// update applies c at at and fails on an error.
func update(t *testing.T, s session.Store, key string, c session.Change, at time.Time) session.Outcome {
	t.Helper()
	out, err := s.Update(t.Context(), key, c, at)
	if err != nil {
		t.Fatalf("Update(%q) at %v: %v", c.Key, at, err)
	}
	if !out.Found {
		t.Fatalf("Update(%q) at %v: not found", c.Key, at)
	}
	return out
}

// testReplay: a repeat changes nothing (not even the idle refresh) and
// answers the data as it is now, even when the op would now be refused.
func testReplay(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	first := change("k1", add("bag", "a", entryMax))
	if out := update(t, s, rec.Key, first, now.Add(time.Second)); out.Replayed || out.Data.Maps["bag"]["a"] != entryMax {
		t.Fatalf("first: %+v", out)
	}
	update(t, s, rec.Key, change("k2", count("c", 4)), now.Add(2*time.Second))
	before := mustGet(t, s, rec.Key, now.Add(2*time.Second), true)
	out := update(t, s, rec.Key, first, now.Add(3*time.Second)) // the add would now pass the top
	want := data(entries{"bag": {"a": entryMax}}, counters{"c": 4})
	if !out.Replayed || !out.Data.Equal(want) {
		t.Fatalf("repeat: %+v, want replayed with %v", out, want)
	}
	if d := diffRecord(mustGet(t, s, rec.Key, now.Add(3*time.Second), true), before); d != "" {
		t.Errorf("a replay wrote: %s", d)
	}
	if got := before.Applied; len(got) != 2 || got[0].Key != session.KeyHash("k1") || got[1].Key != session.KeyHash("k2") ||
		!got[0].At.Equal(now.Add(time.Second).Truncate(session.KeyTimePrecision)) {
		t.Errorf("recorded entries %v, want k1 then k2 at the start of their minute (KeyTimePrecision)", got)
	}
}

// testKeyReused: the same key with another fingerprint is ErrKeyReused and
// writes nothing; with the first fingerprint it still replays.
func testKeyReused(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	update(t, s, rec.Key, change("k", count("c", 1)), now)
	before := mustGet(t, s, rec.Key, now, true)
	other := change("k", count("c", 1))
	other.Fingerprint = "another request"
	out, err := s.Update(t.Context(), rec.Key, other, now.Add(time.Second))
	if !errors.Is(err, session.ErrKeyReused) || out.Found || out.Replayed {
		t.Fatalf("reused key: %+v, err = %v; want ErrKeyReused", out, err)
	}
	if d := diffRecord(mustGet(t, s, rec.Key, now.Add(time.Second), true), before); d != "" {
		t.Errorf("a reused key wrote: %s", d)
	}
	if out := update(t, s, rec.Key, change("k", count("c", 1)), now.Add(time.Second)); !out.Replayed {
		t.Errorf("the first request again: %+v, want a replay", out)
	}
}

// testRefusedRepeated: a refused change records nothing, so its repeat is
// judged afresh.
func testRefusedRepeated(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	rec.Data = data(entries{"bag": {"a": entryMax}}, nil)
	mustCreate(t, s, rec)
	c := change("k", add("bag", "a", 1))
	if _, err := s.Update(t.Context(), rec.Key, c, now); !errors.Is(err, errRange) {
		t.Fatalf("first: err = %v, want the op's refusal", err)
	}
	if got := mustGet(t, s, rec.Key, now, true); len(got.Applied) != 0 {
		t.Fatalf("a refused change recorded %v", got.Applied)
	}
	update(t, s, rec.Key, change("other", set("bag", "a", 5)), now)
	if out := update(t, s, rec.Key, c, now); out.Replayed || out.Data.Maps["bag"]["a"] != 6 {
		t.Fatalf("the repeat after a refusal: %+v, want applied (a = 6)", out)
	}
}

// testEviction: of MaxKeys+1 keys, the oldest is forgotten (its repeat
// applies again) and the others still replay.
func testEviction(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	key := func(i int) string { return fmt.Sprintf("key-%02d", i) }
	for i := range session.MaxKeys + 1 {
		update(t, s, rec.Key, change(key(i), count("c", 1)), now)
	}
	got := mustGet(t, s, rec.Key, now, true)
	if len(got.Applied) != session.MaxKeys || got.Applied[0].Key != session.KeyHash(key(1)) ||
		got.Applied[session.MaxKeys-1].Key != session.KeyHash(key(session.MaxKeys)) {
		t.Fatalf("after %d keys the record holds %d entries, first %v", session.MaxKeys+1, len(got.Applied), got.Applied[0])
	}
	if out := update(t, s, rec.Key, change(key(1), count("c", 1)), now); !out.Replayed || out.Data.Counters["c"] != session.MaxKeys+1 {
		t.Errorf("the second key: %+v, want a replay with c = %d", out, session.MaxKeys+1)
	}
	if out := update(t, s, rec.Key, change(key(0), count("c", 1)), now); out.Replayed || out.Data.Counters["c"] != session.MaxKeys+2 {
		t.Errorf("the evicted first key: %+v, want applied again", out)
	}
	// key-00 came back as the newest, so key-01 is now the one evicted.
	if out := update(t, s, rec.Key, change(key(1), count("c", 1)), now); out.Replayed {
		t.Errorf("key-01 after key-00 came back: %+v, want applied (evicted)", out)
	}
}

// testKeyExpiry: a key is remembered for KeyLifetime from the start of
// the minute it was applied in (KeyTimePrecision), then its repeat applies
// again (and is then remembered anew).
func testKeyExpiry(t *testing.T, s session.Store) {
	now := start().Truncate(time.Minute).Add(42*time.Second + 500*time.Millisecond) // inside a minute, never at its start
	expires := now.Truncate(session.KeyTimePrecision).Add(session.KeyLifetime)
	rec := longLived(now)
	mustCreate(t, s, rec)
	c := change("k", count("c", 1))
	update(t, s, rec.Key, c, now)
	update(t, s, rec.Key, change("later", count("c", 1)), now.Add(time.Hour))
	if out := update(t, s, rec.Key, c, expires.Add(-time.Millisecond)); !out.Replayed {
		t.Fatalf("just before the key expires: %+v, want a replay", out)
	}
	if got := mustGet(t, s, rec.Key, expires, true); len(got.Applied) != 1 || got.Applied[0].Key != session.KeyHash("later") {
		t.Errorf("entries at expiry %v, want only the later one", got.Applied)
	}
	if out := update(t, s, rec.Key, c, expires); out.Replayed || out.Data.Counters["c"] != 3 {
		t.Fatalf("when the key expires: %+v, want applied (c = 3)", out)
	}
	if out := update(t, s, rec.Key, c, expires.Add(time.Second)); !out.Replayed || out.Data.Counters["c"] != 3 {
		t.Fatalf("right after it was applied anew: %+v, want a replay", out)
	}
	// The reused check expires with the key too.
	other := change("later", count("c", 1))
	other.Fingerprint = "other"
	if _, err := s.Update(t.Context(), rec.Key, other, now.Add(time.Hour+session.KeyLifetime)); err != nil {
		t.Errorf("an expired key with another fingerprint: %v, want applied", err)
	}
}

// testKeysCarried: entries handed to Create (a renewal) are the new
// record's: a repeat of their change replays.
func testKeysCarried(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	c := change("carried", count("c", 1))
	rec.Data = data(nil, counters{"c": 1})
	rec.Applied = []session.Applied{applied(c.Key, c.Fingerprint, now.Add(-time.Minute))}
	mustCreate(t, s, rec)
	if out := update(t, s, rec.Key, c, now); !out.Replayed || out.Data.Counters["c"] != 1 {
		t.Errorf("the carried key: %+v, want a replay", out)
	}
}

// testNoKey: a change without a key records nothing and always applies.
func testNoKey(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	for i := range 3 {
		if out := update(t, s, rec.Key, change("", count("c", 1)), now); out.Replayed || out.Data.Counters["c"] != int64(i+1) {
			t.Fatalf("change %d without a key: %+v", i, out)
		}
	}
	if got := mustGet(t, s, rec.Key, now, true); len(got.Applied) != 0 {
		t.Errorf("changes without a key recorded %v", got.Applied)
	}
}

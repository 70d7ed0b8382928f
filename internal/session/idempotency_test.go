package session_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

func TestAppliedFor(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 7, 42, 999_000_000, time.FixedZone("x", 3600))
	a, ok := session.AppliedFor(session.Change{Key: "k", Fingerprint: "POST /x"}, at)
	if !ok || len(a.Key) != session.KeyHashLen || len(a.Fingerprint) != session.FingerprintHashLen ||
		!a.At.Equal(time.Date(2026, 5, 1, 9, 7, 0, 0, time.UTC)) || a.At.Location() != time.UTC {
		t.Fatalf("AppliedFor = %+v, %v", a, ok)
	}
	if a.Key != session.KeyHash("k") || a.Key == session.KeyHash("K") {
		t.Error("KeyHash does not tell keys apart")
	}
	b, _ := session.AppliedFor(session.Change{Key: "k", Fingerprint: "POST /y"}, at)
	if b.Fingerprint == a.Fingerprint {
		t.Error("two fingerprints hash alike")
	}
	// A key and a fingerprint with the same text hash differently.
	if c, _ := session.AppliedFor(session.Change{Key: "same", Fingerprint: "same"}, at); c.Key[:session.FingerprintHashLen] == c.Fingerprint {
		t.Error("key and fingerprint hashes are not separated by purpose")
	}
	if _, ok := session.AppliedFor(session.Change{Fingerprint: "x"}, at); ok {
		t.Error("a change without a key records an entry")
	}
}

func TestRecall(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 30, 0, time.UTC)
	entry := func(key, fp string, age time.Duration) session.Applied {
		a, _ := session.AppliedFor(session.Change{Key: key, Fingerprint: fp}, now.Add(-age))
		return a
	}
	// A key lives KeyLifetime from the start of the minute it was applied
	// in: "edge" (applied at 10:01:01 the day before) until 10:01 today,
	// "gone" (10:00:59) until 10:00, 23 h 59 min 31 s after it was applied.
	ring := []session.Applied{entry("old", "fp", session.KeyLifetime), entry("k", "fp", time.Hour),
		entry("edge", "fp", session.KeyLifetime-31*time.Second), entry("gone", "fp", session.KeyLifetime-29*time.Second)}
	tests := []struct {
		key, fp string
		replay  bool
		err     error
	}{
		{"k", "fp", true, nil},
		{"k", "other", false, session.ErrKeyReused},
		{"new", "fp", false, nil},
		{"old", "fp", false, nil},    // expired: judged afresh
		{"old", "other", false, nil}, // expired: no reuse either
		{"edge", "fp", true, nil},
		{"gone", "fp", false, nil},
		{"", "fp", false, nil},
	}
	for _, tt := range tests {
		replay, err := session.Recall(ring, session.Change{Key: tt.key, Fingerprint: tt.fp}, now)
		if replay != tt.replay || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
			t.Errorf("Recall(%q, %q) = %v, %v; want %v, %v", tt.key, tt.fp, replay, err, tt.replay, tt.err)
		}
	}
}

func TestRemember(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	at := func(i int, age time.Duration) session.Applied {
		a, _ := session.AppliedFor(session.Change{Key: fmt.Sprint("k", i)}, now.Add(-age))
		return a
	}
	var ring []session.Applied
	for i := range session.MaxKeys {
		ring = append(ring, at(i, time.Minute))
	}
	next := at(99, 0)
	got := session.Remember(ring, next, now)
	if len(got) != session.MaxKeys || got[0] != ring[1] || got[session.MaxKeys-1] != next {
		t.Fatalf("Remember on a full ring: %d entries, first %v last %v", len(got), got[0], got[len(got)-1])
	}
	if ring[0] != at(0, time.Minute) {
		t.Fatal("Remember changed its input")
	}
	// Expired entries go first.
	mixed := []session.Applied{at(1, session.KeyLifetime), at(2, time.Minute), at(3, session.KeyLifetime+time.Hour)}
	if got := session.Remember(mixed, next, now); len(got) != 2 || got[0] != mixed[1] || got[1] != next {
		t.Fatalf("Remember with expired entries = %v", got)
	}
	if got := session.LiveEntries(mixed, now); len(got) != 1 || got[0] != mixed[1] {
		t.Errorf("LiveEntries = %v", got)
	}
	if got := session.LiveEntries(append(ring, next), now); len(got) != session.MaxKeys || got[0] != ring[1] {
		t.Errorf("LiveEntries of %d keeps %d, first %v", session.MaxKeys+1, len(got), got[0])
	}
	if got := session.LiveEntries(nil, now); got != nil {
		t.Errorf("LiveEntries(nil) = %v", got)
	}
}

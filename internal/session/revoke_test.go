package session_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
)

// failingDelete is a store whose Delete fails after `after` successes.
type failingDelete struct {
	session.Store
	after int
}

func (f *failingDelete) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if f.after == 0 {
		return session.Record{}, false, errors.New("dial tcp: connection refused")
	}
	f.after--
	return f.Store.Delete(ctx, key, now)
}

func TestRevokeWhere(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	record := func(key, user string) session.Record {
		return session.Record{Key: key, Username: user, CreatedAt: now, LastSeenAt: now,
			IdleWindow: time.Hour, IdleDeadline: now.Add(time.Hour), AbsoluteDeadline: now.Add(2 * time.Hour)}
	}
	expired := record("a4", "alice")
	expired.IdleDeadline = now.Add(-time.Second)
	seed := []session.Record{record("a1", "alice"), record("a2", "alice"), record("a3", "alice"), expired, record("b1", "bob"), record("x1", "")}
	tests := []struct {
		name      string
		user      string
		match     func(session.Record) bool
		failAfter int // -1: never
		wantEnded []string
		wantLeft  []string
		wantErr   bool
	}{
		{"every live session of the user", "alice", nil, -1, []string{"a1", "a2", "a3"}, []string{"b1", "x1"}, false},
		{"only those that match", "alice", func(r session.Record) bool { return r.Key != "a2" }, -1, []string{"a1", "a3"}, []string{"a2", "b1", "x1"}, false},
		{"a user with no sessions", "carol", nil, -1, nil, []string{"a1", "a2", "a3", "b1", "x1"}, false},
		{"the anonymous username ends nothing", "", nil, -1, nil, []string{"a1", "a2", "a3", "b1", "x1"}, false},
		// ListByUser's order is not promised: which one of alice's sessions
		// ended first is not known, only that exactly one did (checked below).
		{"a store failure stops and reports what was ended", "alice", nil, 1, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memstore.New()
			for _, r := range seed {
				if err := mem.Create(t.Context(), r); err != nil {
					t.Fatal(err)
				}
			}
			var store session.Store = mem
			if tt.failAfter >= 0 {
				store = &failingDelete{Store: mem, after: tt.failAfter}
			}
			ended, err := session.RevokeWhere(t.Context(), store, tt.user, now, tt.match)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			var left []string
			for _, r := range seed {
				if _, found, _ := mem.Get(t.Context(), r.Key, now); found {
					left = append(left, r.Key)
				}
			}
			if tt.wantErr {
				// Exactly one of alice's three ended, and it is the one reported.
				if len(ended) != 1 || ended[0].Username != "alice" || slices.Contains(left, ended[0].Key) || len(left) != 4 {
					t.Fatalf("ended %v, live afterwards %v: want one of alice's sessions ended and reported", keys(ended), left)
				}
				return
			}
			if got := keys(ended); !slices.Equal(got, tt.wantEnded) {
				t.Errorf("ended %v, want %v", got, tt.wantEnded)
			}
			if !slices.Equal(left, tt.wantLeft) {
				t.Errorf("live afterwards %v, want %v", left, tt.wantLeft)
			}
		})
	}
}

func keys(recs []session.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, r.Key)
	}
	slices.Sort(out)
	return out
}

package dynamostore_test

import (
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// TestUnreachable checks that every call fails with an error (never a
// silent "not found") while the store is cut off, within the client's
// bounds, and that the data is there again after.
func TestUnreachable(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now()
	rec := record(session.StoreKey([]byte("unreachable")), "olga", now)
	rec.Data = session.Data{Counters: map[string]int64{"tea": 2}}
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	env.Cut()
	calls := map[string]func() error{
		"Get":        func() error { _, _, err := s.Get(t.Context(), rec.Key, now); return err },
		"Create":     func() error { return s.Create(t.Context(), record(session.StoreKey([]byte("new")), "", now)) },
		"Touch":      func() error { _, err := s.Touch(t.Context(), rec.Key, now); return err },
		"Delete":     func() error { _, _, err := s.Delete(t.Context(), rec.Key, now); return err },
		"ListByUser": func() error { _, err := s.ListByUser(t.Context(), "olga", now); return err },
		"Update":     func() error { _, err := s.Update(t.Context(), rec.Key, counterChange("k", 1), now); return err },
		"GetUser":    func() error { _, _, err := s.GetUser(t.Context(), "olga"); return err },
		"CountAttempt": func() error {
			_, err := s.CountAttempt(t.Context(), "olga", now, user.Limit{Max: 5, Window: time.Minute})
			return err
		},
		"Clear": func() error { return s.Clear(t.Context(), "olga") },
	}
	for name, call := range calls {
		began := time.Now()
		if err := call(); err == nil {
			t.Errorf("%s succeeded with the store cut off", name)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("%s took %v to fail", name, took)
		}
	}
	env.Restore(t)
	got, found, err := s.Get(t.Context(), rec.Key, now)
	if err != nil || !found || got.Data.Counters["tea"] != 2 {
		t.Fatalf("after Restore: %+v, %v, %v", got, found, err)
	}
}

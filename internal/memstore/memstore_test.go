package memstore

import (
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/user/usertest"
)

func TestSessionStore(t *testing.T) {
	sessiontest.Run(t, func(*testing.T) session.Store { return New() })
}

func TestUserStore(t *testing.T) {
	usertest.Run(t, func(*testing.T) (user.Store, user.Throttle) {
		s := New()
		return s, s
	})
}

// TestSweep checks that expired entries go at the first call a minute after
// the last sweep, by the wall clock, and live ones stay.
func TestSweep(t *testing.T) {
	wall := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := New()
	s.clock = func() time.Time { return wall }
	ctx := t.Context()
	rec := func(key string, idle time.Duration) session.Record {
		return session.Record{Key: key, CreatedAt: wall, LastSeenAt: wall, IdleWindow: idle,
			IdleDeadline: wall.Add(idle), AbsoluteDeadline: wall.Add(time.Hour)}
	}
	for _, r := range []session.Record{rec("short", 30*time.Second), rec("long", 30*time.Minute)} {
		if err := s.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CountAttempt(ctx, "kim", wall, user.Limit{Max: 5, Window: 90 * time.Second}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		after                time.Duration
		short, long, counter bool // still held
	}{
		{0, true, true, true},
		{45 * time.Second, true, true, true}, // expired, but no sweep is due yet
		{time.Minute, false, true, true},
		{100 * time.Second, false, true, true}, // counter expired, sweep not due
		{2 * time.Minute, false, true, false},
	}
	for _, tt := range tests {
		wall = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(tt.after)
		_, _, _ = s.GetUser(ctx, "anyone") // any call may sweep
		s.mu.Lock()
		_, short := s.sessions["short"]
		_, long := s.sessions["long"]
		_, counter := s.counters["kim"]
		s.mu.Unlock()
		if short != tt.short || long != tt.long || counter != tt.counter {
			t.Errorf("+%v: held short %v long %v counter %v, want %v %v %v",
				tt.after, short, long, counter, tt.short, tt.long, tt.counter)
		}
	}
}

package loadtest

import (
	"sync"
	"time"
)

// RecoveryGrace is how long after the store listens again a request may
// still get a 503: one that began during the outage and spent its SDK
// retries on the stopped store (3 attempts with backoff, each refused in
// well under a second).
const RecoveryGrace = 3 * time.Second

// Timeline is when the fault phase stopped the store and brought it back.
// The zero Timeline is a run without a fault. It is safe for concurrent use.
type Timeline struct {
	// Grace is how long after the store listens again a 503 is still
	// allowed (0: RecoveryGrace). Set it before the first Mark.
	Grace time.Duration

	mu sync.Mutex
	// Kill: just before the stop signal. Dead: the process has exited.
	// Restart: the new process was started. Ready: it listens again.
	kill, dead, restart, ready time.Time
}

// Times is a copy of a Timeline's instants, and its grace.
type Times struct {
	Kill, Dead, Restart, Ready time.Time
	Grace                      time.Duration
}

func (tt Times) grace() time.Duration {
	if tt.Grace > 0 {
		return tt.Grace
	}
	return RecoveryGrace
}

// Mark records the instant named by which ("kill", "dead", "restart",
// "ready") as now.
func (t *Timeline) Mark(which string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch which {
	case "kill":
		t.kill = now
	case "dead":
		t.dead = now
	case "restart":
		t.restart = now
	case "ready":
		t.ready = now
	default:
		panic("loadtest: unknown timeline mark " + which)
	}
}

// Times returns the recorded instants.
func (t *Timeline) Times() Times {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Times{t.kill, t.dead, t.restart, t.ready, t.Grace}
}

// Faulted reports whether the store was stopped.
func (tt Times) Faulted() bool { return !tt.Kill.IsZero() }

// InFlightAtKill reports whether a request that ran from start to end may
// have reached the store before it died.
func (tt Times) InFlightAtKill(start, end time.Time) bool {
	if !tt.Faulted() {
		return false
	}
	dead := tt.Dead
	if dead.IsZero() {
		dead = end
	}
	return start.Before(dead) && end.After(tt.Kill)
}

// InOutage reports whether a request overlapped the outage, from the kill
// until the grace (RecoveryGrace unless set) after the store listened
// again: the window where a 503 or a transport error is allowed.
func (tt Times) InOutage(start, end time.Time) bool {
	if !tt.Faulted() || !end.After(tt.Kill) {
		return false
	}
	return tt.Ready.IsZero() || start.Before(tt.Ready.Add(tt.grace()))
}

// WhileDown reports whether a request ran entirely while no store process
// was alive: then every request that needs the store must get a 503.
func (tt Times) WhileDown(start, end time.Time) bool {
	return tt.Faulted() && !tt.Dead.IsZero() && start.After(tt.Dead) &&
		(tt.Restart.IsZero() || end.Before(tt.Restart))
}

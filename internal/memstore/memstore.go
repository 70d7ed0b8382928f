// Package memstore keeps sessions, accounts and failed-login counters in
// memory: one map per kind behind one mutex. It is the store of `make dev`
// and of fast tests, and it fulfils exactly the contracts that dynamostore
// does (session.Store, user.Store, user.Throttle), so the conformance suites
// run against both.
//
// Every read checks deadlines against the time it is given. Expired entries
// are swept now and then during calls (at most once a minute, by the wall
// clock), like DynamoDB's TTL: the sweep is garbage collection only.
package memstore

import (
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// sweepEvery is the least time between two sweeps of expired entries.
const sweepEvery = time.Minute

// Store is an in-memory session.Store, user.Store and user.Throttle. The zero
// value is not usable; call New. It is safe for concurrent use.
type Store struct {
	mu        sync.Mutex
	sessions  map[string]session.Record
	users     map[string]user.User
	counters  map[string]counter
	clock     func() time.Time // the wall clock of sweeps
	lastSweep time.Time
}

var (
	_ session.Store = (*Store)(nil)
	_ user.Store    = (*Store)(nil)
	_ user.Throttle = (*Store)(nil)
)

// New returns an empty Store.
func New() *Store {
	return &Store{
		sessions: map[string]session.Record{},
		users:    map[string]user.User{},
		counters: map[string]counter{},
		clock:    time.Now,
	}
}

// lock takes the mutex and sweeps expired entries when a sweep is due. The
// caller unlocks.
func (s *Store) lock() {
	s.mu.Lock()
	wall := s.clock()
	if wall.Sub(s.lastSweep) < sweepEvery {
		return
	}
	s.lastSweep = wall
	for k, rec := range s.sessions {
		if !rec.ExpiresAt().After(wall) {
			delete(s.sessions, k)
		}
	}
	for k, c := range s.counters {
		if !c.windowEnds.After(wall) {
			delete(s.counters, k)
		}
	}
}

// errInvalid wraps arguments a store refuses outright (a programming error,
// not an outcome).
var errInvalid = errors.New("invalid argument")

// copyRecord returns rec with its own data and idempotency entries, as a
// caller may keep it.
func copyRecord(rec session.Record) session.Record {
	rec.Data = rec.Data.Clone()
	rec.Applied = slices.Clone(rec.Applied)
	return rec
}

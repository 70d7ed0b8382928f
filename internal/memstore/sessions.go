package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Get returns a copy of the record under key when it is live at now, with
// the idempotency entries live at now.
func (s *Store) Get(_ context.Context, key string, now time.Time) (session.Record, bool, error) {
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.live(key, now)
	if !ok {
		return session.Record{}, false, nil
	}
	return shown(rec, now), true, nil
}

// shown is a copy of rec for a caller at now: its own data, and only the
// idempotency entries still live.
func shown(rec session.Record, now time.Time) session.Record {
	rec = copyRecord(rec)
	rec.Applied = session.LiveEntries(rec.Applied, now)
	return rec
}

// Create stores a copy of rec (its most recent session.MaxKeys
// idempotency entries), or returns session.ErrExists.
func (s *Store) Create(_ context.Context, rec session.Record) error {
	if err := validRecord(rec); err != nil {
		return fmt.Errorf("memstore: create session: %w", err)
	}
	rec = copyRecord(rec)
	rec.Applied = rec.Applied[max(0, len(rec.Applied)-session.MaxKeys):]
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[rec.Key]; ok {
		return session.ErrExists
	}
	s.sessions[rec.Key] = rec
	return nil
}

// validRecord checks what Create needs: a key and data a store may hold.
func validRecord(rec session.Record) error {
	if rec.Key == "" {
		return fmt.Errorf("%w: empty key", errInvalid)
	}
	return rec.Data.Check()
}

// Touch refreshes the idle deadline of a live record.
func (s *Store) Touch(_ context.Context, key string, now time.Time) (bool, error) {
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.live(key, now)
	if !ok {
		return false, nil
	}
	s.sessions[key] = refreshed(rec, now)
	return true, nil
}

// Delete removes the record under key and returns it when it was live.
func (s *Store) Delete(_ context.Context, key string, now time.Time) (session.Record, bool, error) {
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[key]
	delete(s.sessions, key)
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false, nil
	}
	return shown(rec, now), true, nil
}

// ListByUser returns copies of username's live records.
func (s *Store) ListByUser(_ context.Context, username string, now time.Time) ([]session.Record, error) {
	s.lock()
	defer s.mu.Unlock()
	out := []session.Record{}
	if username == "" {
		return out, nil
	}
	for _, rec := range s.sessions {
		if rec.Username == username && rec.LiveAt(now) {
			out = append(out, shown(rec, now))
		}
	}
	return out, nil
}

// Update applies change to a live record under the lock: the replay and
// reuse checks first (session.Recall), then the ops (session.Apply); the
// record is stored, with its idle deadline refreshed and the change's key
// remembered, only when both pass.
func (s *Store) Update(_ context.Context, key string, change session.Change, now time.Time) (session.Outcome, error) {
	if err := session.CheckOps(change.Ops); err != nil {
		return session.Outcome{}, fmt.Errorf("memstore: update session: %w", err)
	}
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.live(key, now)
	if !ok {
		return session.Outcome{}, nil
	}
	replay, err := session.Recall(rec.Applied, change, now)
	switch {
	case err != nil:
		return session.Outcome{}, err
	case replay:
		return session.Outcome{Data: rec.Data.Clone(), Found: true, Replayed: true}, nil
	}
	data, err := session.Apply(rec.Data, change.Ops)
	if err != nil {
		return session.Outcome{}, err
	}
	rec = refreshed(rec, now)
	rec.Data = data
	if a, ok := session.AppliedFor(change, now); ok {
		rec.Applied = session.Remember(rec.Applied, a, now)
	}
	s.sessions[key] = rec
	return session.Outcome{Data: data.Clone(), Found: true}, nil
}

// live returns the record under key when it is live at now. The caller
// holds the lock.
func (s *Store) live(key string, now time.Time) (session.Record, bool) {
	rec, ok := s.sessions[key]
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false
	}
	return rec, true
}

// refreshed returns rec seen at now: LastSeenAt now, IdleDeadline one idle
// window later.
func refreshed(rec session.Record, now time.Time) session.Record {
	rec.LastSeenAt = now
	rec.IdleDeadline = now.Add(rec.IdleWindow)
	return rec
}

package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/internal/user"
)

// CreateUser stores u, or returns user.ErrTaken.
func (s *Store) CreateUser(_ context.Context, u user.User) error {
	if u.Username == "" {
		return fmt.Errorf("memstore: create user: %w: empty username", errInvalid)
	}
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Username]; ok {
		return user.ErrTaken
	}
	s.users[u.Username] = u
	return nil
}

// GetUser returns the account of username.
func (s *Store) GetUser(_ context.Context, username string) (user.User, bool, error) {
	s.lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	return u, ok, nil
}

// Failures returns username's failures in the window live at now.
func (s *Store) Failures(_ context.Context, username string, now time.Time) (int, time.Time, error) {
	s.lock()
	defer s.mu.Unlock()
	c, ok := s.counters[username]
	if !ok || !now.Before(c.windowEnds) {
		return 0, time.Time{}, nil
	}
	return c.failures, c.windowEnds, nil
}

// RecordFailure adds one failure, starting a new window when none is live.
func (s *Store) RecordFailure(_ context.Context, username string, now time.Time, window time.Duration) (int, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, fmt.Errorf("memstore: record failure: %w: window %v", errInvalid, window)
	}
	s.lock()
	defer s.mu.Unlock()
	c, ok := s.counters[username]
	if !ok || !now.Before(c.windowEnds) {
		c = counter{windowEnds: now.Add(window)}
	}
	c.failures++
	s.counters[username] = c
	return c.failures, c.windowEnds, nil
}

// Reset forgets username's failures.
func (s *Store) Reset(_ context.Context, username string) error {
	s.lock()
	defer s.mu.Unlock()
	delete(s.counters, username)
	return nil
}

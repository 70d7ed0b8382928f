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

// ChangePasswordHash sets username's hash to newHash while it is oldHash.
func (s *Store) ChangePasswordHash(_ context.Context, username, oldHash, newHash string) (bool, error) {
	if username == "" || oldHash == "" || newHash == "" {
		return false, fmt.Errorf("memstore: change password hash: %w: empty username or hash", errInvalid)
	}
	s.lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok || u.PasswordHash != oldHash {
		return false, nil
	}
	u.PasswordHash = newHash
	s.users[username] = u
	return true, nil
}

// DeleteUser deletes username's account while its hash is hash.
func (s *Store) DeleteUser(_ context.Context, username, hash string) (bool, error) {
	if username == "" || hash == "" {
		return false, fmt.Errorf("memstore: delete user: %w: empty username or hash", errInvalid)
	}
	s.lock()
	defer s.mu.Unlock()
	u, ok := s.users[username]
	if !ok || u.PasswordHash != hash {
		return false, nil
	}
	delete(s.users, username)
	return true, nil
}

// counter is one username's password attempts in its window.
type counter struct {
	attempts   int
	windowEnds time.Time
}

// CountAttempt counts one attempt for username, or refuses it when the
// window live at now already holds limit.Max; a new window starts at now
// when none is live. Under the store's mutex, so it is atomic.
func (s *Store) CountAttempt(_ context.Context, username string, now time.Time, limit user.Limit) (user.Attempt, error) {
	if !limit.Valid() {
		return user.Attempt{}, fmt.Errorf("memstore: count attempt: %w: limit %+v", errInvalid, limit)
	}
	s.lock()
	defer s.mu.Unlock()
	c, ok := s.counters[username]
	if !ok || !now.Before(c.windowEnds) {
		c = counter{windowEnds: now.Add(limit.Window)}
	}
	if c.attempts >= limit.Max {
		return user.Attempt{Count: c.attempts, WindowEnds: c.windowEnds}, nil
	}
	c.attempts++
	s.counters[username] = c
	return user.Attempt{Allowed: true, Count: c.attempts, WindowEnds: c.windowEnds}, nil
}

// Clear forgets username's attempts.
func (s *Store) Clear(_ context.Context, username string) error {
	s.lock()
	defer s.mu.Unlock()
	delete(s.counters, username)
	return nil
}

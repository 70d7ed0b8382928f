package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Get returns a copy of the record under key when it is live at now.
func (s *Store) Get(_ context.Context, key string, now time.Time) (session.Record, bool, error) {
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.sessions[key]
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false, nil
	}
	return copyRecord(rec), true, nil
}

// Create stores a copy of rec, or returns session.ErrExists.
func (s *Store) Create(_ context.Context, rec session.Record) error {
	if err := validRecord(rec); err != nil {
		return fmt.Errorf("memstore: create session: %w", err)
	}
	s.lock()
	defer s.mu.Unlock()
	if _, ok := s.sessions[rec.Key]; ok {
		return session.ErrExists
	}
	s.sessions[rec.Key] = copyRecord(rec)
	return nil
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
	return copyRecord(rec), true, nil
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
			out = append(out, copyRecord(rec))
		}
	}
	return out, nil
}

// AddToCart adds quantity to the line sku of a live record.
func (s *Store) AddToCart(_ context.Context, key, sku string, quantity int, now time.Time) (map[string]int, bool, error) {
	if err := validSKU(sku); err != nil {
		return nil, false, fmt.Errorf("memstore: add to cart: %w", err)
	}
	if quantity < 1 || quantity > session.MaxQuantity {
		return nil, false, session.ErrQuantity
	}
	return s.changeCart(key, now, func(cart map[string]int) error {
		have, ok := cart[sku]
		switch {
		case ok && have+quantity > session.MaxQuantity:
			return session.ErrQuantity
		case !ok && len(cart) >= session.MaxCartLines:
			return session.ErrCartFull
		}
		cart[sku] = have + quantity
		return nil
	})
}

// SetCartQuantity sets (or, for 0, removes) the line sku of a live record.
func (s *Store) SetCartQuantity(_ context.Context, key, sku string, quantity int, now time.Time) (map[string]int, bool, error) {
	if err := validSKU(sku); err != nil {
		return nil, false, fmt.Errorf("memstore: set cart quantity: %w", err)
	}
	if quantity < 0 || quantity > session.MaxQuantity {
		return nil, false, session.ErrQuantity
	}
	return s.changeCart(key, now, func(cart map[string]int) error {
		if _, ok := cart[sku]; !ok {
			return session.ErrNotInCart
		}
		if quantity == 0 {
			delete(cart, sku)
		} else {
			cart[sku] = quantity
		}
		return nil
	})
}

// ClearCart empties the cart of a live record.
func (s *Store) ClearCart(_ context.Context, key string, now time.Time) (bool, error) {
	_, found, err := s.changeCart(key, now, func(cart map[string]int) error {
		clear(cart)
		return nil
	})
	return found, err
}

// changeCart applies change to a copy of a live record's cart under the lock
// and stores it, with a refreshed idle deadline, only when change succeeds.
func (s *Store) changeCart(key string, now time.Time, change func(map[string]int) error) (map[string]int, bool, error) {
	s.lock()
	defer s.mu.Unlock()
	rec, ok := s.live(key, now)
	if !ok {
		return nil, false, nil
	}
	cart := copyCart(rec.Cart)
	if err := change(cart); err != nil {
		return nil, true, err
	}
	rec = refreshed(rec, now)
	rec.Cart = cart
	s.sessions[key] = rec
	return copyCart(cart), true, nil
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

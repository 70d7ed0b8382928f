package sessiontest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/internal/session"
)

// workers is how many goroutines change one record at once.
const workers = 50

// parallel runs f(i) for i in [0, n) in n goroutines and returns their errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = f(i) })
	}
	wg.Wait()
	return errs
}

// count returns how many errs are nil and how many match target.
func count(errs []error, target error) (ok, matched int, other error) {
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, target):
			matched++
		default:
			other = err
		}
	}
	return ok, matched, other
}

// testConcurrent checks that concurrent changes of one record lose no update
// and never break a limit.
func testConcurrent(t *testing.T, newStore NewStore) {
	t.Run("adds", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		mustCreate(t, s, rec)
		errs := parallel(workers, func(i int) error {
			if _, _, err := s.AddToCart(t.Context(), rec.Key, "same", 1, now); err != nil {
				return err
			}
			_, _, err := s.AddToCart(t.Context(), rec.Key, fmt.Sprintf("line-%d", i%5), 1, now)
			return err
		})
		if ok, _, other := count(errs, nil); ok != workers {
			t.Fatalf("%d of %d goroutines succeeded; an error: %v", ok, workers, other)
		}
		want := map[string]int{"same": workers}
		for k := range 5 {
			want[fmt.Sprintf("line-%d", k)] = workers / 5
		}
		if got := mustGet(t, s, rec.Key, now, true); fmt.Sprint(got.Cart) != fmt.Sprint(want) {
			t.Errorf("cart %v, want %v", got.Cart, want)
		}
	})
	t.Run("quantity limit", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		rec.Cart = map[string]int{"tea": session.MaxQuantity - 9}
		mustCreate(t, s, rec)
		errs := parallel(20, func(int) error {
			_, _, err := s.AddToCart(t.Context(), rec.Key, "tea", 1, now)
			return err
		})
		ok, refused, other := count(errs, session.ErrQuantity)
		if ok != 9 || refused != 11 {
			t.Errorf("%d succeeded and %d got ErrQuantity, want 9 and 11 (other error: %v)", ok, refused, other)
		}
		if got := mustGet(t, s, rec.Key, now, true); got.Cart["tea"] != session.MaxQuantity {
			t.Errorf("tea = %d, want %d", got.Cart["tea"], session.MaxQuantity)
		}
	})
	t.Run("line limit", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		for i := range session.MaxCartLines - 2 {
			rec.Cart[fmt.Sprintf("have-%02d", i)] = 1
		}
		mustCreate(t, s, rec)
		errs := parallel(10, func(i int) error {
			_, _, err := s.AddToCart(t.Context(), rec.Key, fmt.Sprintf("new-%d", i), 1, now)
			return err
		})
		ok, refused, other := count(errs, session.ErrCartFull)
		if ok != 2 || refused != 8 {
			t.Errorf("%d succeeded and %d got ErrCartFull, want 2 and 8 (other error: %v)", ok, refused, other)
		}
		if got := mustGet(t, s, rec.Key, now, true); len(got.Cart) != session.MaxCartLines {
			t.Errorf("%d lines, want %d", len(got.Cart), session.MaxCartLines)
		}
	})
	t.Run("creates", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		errs := parallel(10, func(i int) error {
			r := rec
			r.UserAgent = fmt.Sprintf("racer %d", i)
			return s.Create(t.Context(), r)
		})
		if ok, refused, other := count(errs, session.ErrExists); ok != 1 || refused != 9 {
			t.Errorf("%d creates succeeded and %d got ErrExists, want 1 and 9 (other error: %v)", ok, refused, other)
		}
	})
}

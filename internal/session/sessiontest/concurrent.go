package sessiontest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/internal/session"
)

// workers is how many goroutines change one record at once.
const workers = 40

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

// tally returns how many errs are nil and how many match target.
func tally(errs []error, target error) (ok, matched int, other error) {
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

// wideAdd adds to an entry of a map with room for every worker.
func wideAdd(m, entry string, delta int64) session.AddToEntry {
	return session.AddToEntry{Map: m, Entry: entry, Delta: delta, Range: session.Range{Min: 1, Max: 1000, Err: errRange},
		MaxEntries: 100, ErrFull: errFull}
}

// testConcurrent checks that concurrent changes of one record lose no update
// and never break a limit, and that concurrent repeats of one key apply
// once.
func testConcurrent(t *testing.T, newStore NewStore) {
	t.Run("adds", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		mustCreate(t, s, rec)
		errs := parallel(workers, func(i int) error {
			if _, err := s.Update(t.Context(), rec.Key, change(fmt.Sprint("same-", i), wideAdd("bag", "same", 1)), now); err != nil {
				return err
			}
			_, err := s.Update(t.Context(), rec.Key, change(fmt.Sprint("line-", i),
				wideAdd("bag", fmt.Sprintf("line-%d", i%5), 1), session.AddToCounter{Counter: "n", Delta: 1,
					Range: session.Range{Min: 0, Max: 1000, Err: errRange}}), now)
			return err
		})
		if ok, _, other := tally(errs, nil); ok != workers {
			t.Fatalf("%d of %d goroutines succeeded; an error: %v", ok, workers, other)
		}
		want := data(entries{"bag": {"same": workers}}, counters{"n": workers})
		for k := range 5 {
			want.Maps["bag"][fmt.Sprintf("line-%d", k)] = workers / 5
		}
		if got := mustGet(t, s, rec.Key, now, true); !got.Data.Equal(want) {
			t.Errorf("data %v, want %v", got.Data, want)
		}
	})
	t.Run("new maps", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		mustCreate(t, s, rec)
		errs := parallel(10, func(i int) error {
			_, err := s.Update(t.Context(), rec.Key, change("", wideAdd(fmt.Sprintf("map-%d", i%2), fmt.Sprint("e-", i), 1)), now)
			return err
		})
		if ok, _, other := tally(errs, nil); ok != 10 {
			t.Fatalf("%d of 10 first writes to two new maps succeeded; an error: %v", ok, other)
		}
		if got := mustGet(t, s, rec.Key, now, true); len(got.Data.Maps["map-0"]) != 5 || len(got.Data.Maps["map-1"]) != 5 {
			t.Errorf("data %v, want 5 entries in each map", got.Data)
		}
	})
	t.Run("value limit", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		rec.Data = data(entries{"bag": {"tea": 991}}, nil)
		mustCreate(t, s, rec)
		errs := parallel(20, func(i int) error {
			_, err := s.Update(t.Context(), rec.Key, change(fmt.Sprint("k-", i), wideAdd("bag", "tea", 1)), now)
			return err
		})
		ok, refused, other := tally(errs, errRange)
		if ok != 9 || refused != 11 {
			t.Errorf("%d succeeded and %d were refused, want 9 and 11 (other error: %v)", ok, refused, other)
		}
		if got := mustGet(t, s, rec.Key, now, true); got.Data.Maps["bag"]["tea"] != 1000 {
			t.Errorf("tea = %d, want 1000", got.Data.Maps["bag"]["tea"])
		}
	})
	t.Run("entry limit", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		rec.Data = data(entries{"bag": {}}, nil)
		for i := range 98 {
			rec.Data.Maps["bag"][fmt.Sprintf("have-%02d", i)] = 1
		}
		mustCreate(t, s, rec)
		errs := parallel(10, func(i int) error {
			_, err := s.Update(t.Context(), rec.Key, change(fmt.Sprint("k-", i), wideAdd("bag", fmt.Sprint("new-", i), 1)), now)
			return err
		})
		ok, refused, other := tally(errs, errFull)
		if ok != 2 || refused != 8 {
			t.Errorf("%d succeeded and %d were refused, want 2 and 8 (other error: %v)", ok, refused, other)
		}
		if got := mustGet(t, s, rec.Key, now, true); len(got.Data.Maps["bag"]) != 100 {
			t.Errorf("%d entries, want 100", len(got.Data.Maps["bag"]))
		}
	})
	t.Run("one key", func(t *testing.T) {
		t.Parallel()
		s, now := newStore(t), start()
		rec := fixture(now)
		mustCreate(t, s, rec)
		replays := make([]bool, 20)
		errs := parallel(20, func(i int) error {
			out, err := s.Update(t.Context(), rec.Key, change("the-key", count("c", 1)), now)
			replays[i] = out.Replayed
			return err
		})
		if ok, _, other := tally(errs, nil); ok != 20 {
			t.Fatalf("%d of 20 repeats succeeded; an error: %v", ok, other)
		}
		applied := 0
		for _, r := range replays {
			if !r {
				applied++
			}
		}
		if got := mustGet(t, s, rec.Key, now, true); applied != 1 || got.Data.Counters["c"] != 1 {
			t.Errorf("%d of 20 repeats of one key applied, counter %d; want exactly 1", applied, got.Data.Counters["c"])
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
		if ok, refused, other := tally(errs, session.ErrExists); ok != 1 || refused != 9 {
			t.Errorf("%d creates succeeded and %d got ErrExists, want 1 and 9 (other error: %v)", ok, refused, other)
		}
	})
}

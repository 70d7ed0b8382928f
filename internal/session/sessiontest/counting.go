package sessiontest

import (
	"context"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Counting wraps a session.Store and counts calls per method, so tests can
// prove what a request costs (for example: a read inside the touch window is
// one Get and no write; a change of session data is one Update).
type Counting struct {
	session.Store
	mu    sync.Mutex
	calls map[string]int
}

// NewCounting wraps s.
func NewCounting(s session.Store) *Counting {
	return &Counting{Store: s, calls: map[string]int{}}
}

// Calls returns the calls made since the last Reset, by method name.
func (c *Counting) Calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

// Total returns how many calls were made since the last Reset.
func (c *Counting) Total() int {
	n := 0
	for _, v := range c.Calls() {
		n += v
	}
	return n
}

// Reset forgets the counts.
func (c *Counting) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = map[string]int{}
}

func (c *Counting) count(method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[method]++
}

// Get counts and delegates.
func (c *Counting) Get(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	c.count("Get")
	return c.Store.Get(ctx, key, now)
}

// Create counts and delegates.
func (c *Counting) Create(ctx context.Context, rec session.Record) error {
	c.count("Create")
	return c.Store.Create(ctx, rec)
}

// Touch counts and delegates.
func (c *Counting) Touch(ctx context.Context, key string, now time.Time) (bool, error) {
	c.count("Touch")
	return c.Store.Touch(ctx, key, now)
}

// Delete counts and delegates.
func (c *Counting) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	c.count("Delete")
	return c.Store.Delete(ctx, key, now)
}

// ListByUser counts and delegates.
func (c *Counting) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	c.count("ListByUser")
	return c.Store.ListByUser(ctx, username, now)
}

// Update counts and delegates.
func (c *Counting) Update(ctx context.Context, key string, change session.Change, now time.Time) (session.Outcome, error) {
	c.count("Update")
	return c.Store.Update(ctx, key, change, now)
}

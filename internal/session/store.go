package session

import (
	"context"
	"errors"
	"time"
)

// Record is a session as the store keeps it. The raw session ID never appears
// here: a record is keyed by the hex SHA-256 of the ID (Key).
type Record struct {
	// Key is the lower-case hex SHA-256 of the session ID.
	Key string
	// Username is the logged-in user, or "" for an anonymous session.
	Username string
	// Cart maps a product SKU to its quantity (1–99). Never nil when read.
	Cart map[string]int
	// CreatedAt is when the session began.
	CreatedAt time.Time
	// LastSeenAt is when the idle deadline was last refreshed.
	LastSeenAt time.Time
	// IdleWindow is how long the session may stay unused.
	IdleWindow time.Duration
	// IdleDeadline is LastSeenAt + IdleWindow.
	IdleDeadline time.Time
	// AbsoluteDeadline is when the session ends whatever its use.
	AbsoluteDeadline time.Time
	// Remember reports whether the session was started with "remember me".
	Remember bool
	// UserAgent is the User-Agent header of the request that started it.
	UserAgent string
}

// LiveAt reports whether the session has not yet ended at now.
func (r Record) LiveAt(now time.Time) bool {
	return now.Before(r.IdleDeadline) && now.Before(r.AbsoluteDeadline)
}

// ExpiresAt is the earlier of the two deadlines: when the session ends if no
// request refreshes it.
func (r Record) ExpiresAt() time.Time {
	if r.IdleDeadline.Before(r.AbsoluteDeadline) {
		return r.IdleDeadline
	}
	return r.AbsoluteDeadline
}

// Limits of a cart, checked by every store inside its atomic update.
const (
	// MaxQuantity is the largest quantity of one line.
	MaxQuantity = 99
	// MaxCartLines is the largest number of distinct SKUs in a cart.
	MaxCartLines = 50
)

// Errors a store returns from cart changes. They are outcomes, not failures:
// the store changed nothing.
var (
	// ErrQuantity means the change would take a line past MaxQuantity.
	ErrQuantity = errors.New("session: quantity out of bounds")
	// ErrCartFull means the change would add a line past MaxCartLines.
	ErrCartFull = errors.New("session: cart full")
	// ErrNotInCart means the SKU is not in the cart.
	ErrNotInCart = errors.New("session: not in cart")
	// ErrExists means Create found a record with the same key.
	ErrExists = errors.New("session: key already exists")
)

// Store keeps session records. Every method takes the current time where the
// outcome depends on it: a record whose deadlines have passed is treated
// exactly like a missing one, whatever garbage collection has or has not
// deleted yet. "Not found" is a value (found == false); a non-nil error other
// than the documented outcome errors above is a system failure (the store is
// unreachable, throttled past retries, or answered something unexpected).
type Store interface {
	// Get returns the record under key. found is false when there is none or
	// it is not live at now.
	Get(ctx context.Context, key string, now time.Time) (rec Record, found bool, err error)

	// Create stores a new record. It returns ErrExists, changing nothing,
	// when a record with the same key is already there.
	Create(ctx context.Context, rec Record) error

	// Touch sets LastSeenAt to now and IdleDeadline to now + the record's
	// IdleWindow, but only while the record is live at now. found is false
	// when it is not (and nothing was written).
	Touch(ctx context.Context, key string, now time.Time) (found bool, err error)

	// Delete removes the record under key and returns it as it was. found is
	// false when there was none (a record past its deadlines is still
	// deleted, and reported as not found).
	Delete(ctx context.Context, key string, now time.Time) (old Record, found bool, err error)

	// ListByUser returns every record of username that is live at now, in
	// no particular order.
	ListByUser(ctx context.Context, username string, now time.Time) ([]Record, error)

	// AddToCart atomically adds quantity (≥ 1) to the line sku of a live
	// record and refreshes its idle deadline, returning the cart as stored
	// afterwards. found is false when the record is missing or not live.
	// It returns ErrQuantity when the line would pass MaxQuantity and
	// ErrCartFull when a new line would pass MaxCartLines; both change
	// nothing.
	AddToCart(ctx context.Context, key, sku string, quantity int, now time.Time) (cart map[string]int, found bool, err error)

	// SetCartQuantity atomically sets the line sku of a live record to
	// quantity (1–MaxQuantity), or removes it when quantity is 0. It returns
	// ErrNotInCart when the line is absent (for every quantity), changing
	// nothing. Otherwise as AddToCart.
	SetCartQuantity(ctx context.Context, key, sku string, quantity int, now time.Time) (cart map[string]int, found bool, err error)

	// ClearCart atomically empties the cart of a live record. found is false
	// when the record is missing or not live.
	ClearCart(ctx context.Context, key string, now time.Time) (found bool, err error)
}

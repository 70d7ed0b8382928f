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
	// Data is the features' data.
	Data Data
	// CreatedAt is when the session began.
	CreatedAt time.Time
	// LastSeenAt is when the idle deadline was last refreshed.
	LastSeenAt time.Time
	// AuthenticatedAt is the session's last login, registration,
	// re-authentication or password change; zero while anonymous.
	AuthenticatedAt time.Time
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
	// Applied holds the idempotency keys the session has applied, oldest
	// first: at most MaxKeys, each live for KeyLifetime. Stores return only
	// the entries live at the time they are given.
	Applied []Applied
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

// Change is one atomic change of a session's data: ops applied in order,
// all or none, recorded under an idempotency key.
type Change struct {
	// Ops are the typed operations; at most one per map or counter name.
	Ops []Op
	// Key is the change's idempotency key: the client's Idempotency-Key,
	// or an operation ID the Manager makes. "" records nothing (stores
	// only; the Manager always records a key).
	Key string
	// Fingerprint identifies the request that carries Key (method, path
	// and body): a repeat of Key with another fingerprint is ErrKeyReused.
	Fingerprint string
	// Start asks Manager.Change to begin an anonymous session holding the
	// change when the request has no live session. Stores ignore it.
	Start bool
}

// Outcome is what a change found and left.
type Outcome struct {
	// Data is the session's data after the change (for a replay, as it is
	// now). Empty when not Found.
	Data Data
	// Found reports whether a live session held the change (for
	// Manager.Change: also one it started for it).
	Found bool
	// Replayed reports that the change's key was already recorded with
	// the same fingerprint: nothing was applied or written.
	Replayed bool
}

// ErrExists means Create found a record with the same key.
var ErrExists = errors.New("session: key already exists")

// Store keeps session records. Every method takes the current time where the
// outcome depends on it: a record whose deadlines have passed is treated
// exactly like a missing one, whatever garbage collection has or has not
// deleted yet. "Not found" is a value (found == false); a refusal is the
// refusing op's own error, ErrKeyReused, ErrExists, or an error wrapping
// ErrInvalidChange, and changes nothing; any other error is a system
// failure (the store is unreachable, throttled past retries, or answered
// something unexpected).
type Store interface {
	// Get returns the record under key. found is false when there is none or
	// it is not live at now.
	Get(ctx context.Context, key string, now time.Time) (rec Record, found bool, err error)

	// Create stores a new record: its data (every name valid, see
	// Data.Check) and its most recent MaxKeys idempotency entries. It
	// returns ErrExists, changing nothing, when a record with the same key
	// is already there.
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

	// Update applies change to the data of the live record under key as
	// one atomic, conditional write that also records change's key (when
	// it has one, see Remember) and refreshes the idle deadline, and
	// returns the data after it. Nothing at all is written, not even the
	// idle refresh, when:
	//   - the record is missing or not live at now: Found is false;
	//   - the key is recorded, live, with the same fingerprint: Replayed,
	//     with the data as it is now;
	//   - the key is recorded, live, with another fingerprint: ErrKeyReused;
	//   - CheckOps or an op refuses: that error.
	// Concurrent updates of one record never lose one another.
	Update(ctx context.Context, key string, change Change, now time.Time) (Outcome, error)
}

// Package user defines accounts and the persistence contracts for them: the
// user records and the per-username count of password attempts that limits
// password guessing.
package user

import (
	"context"
	"errors"
	"time"
)

// User is an account. Username is already folded to lower case.
type User struct {
	Username     string
	PasswordHash string // a PHC-format argon2id hash, never the password
	CreatedAt    time.Time
}

// ErrTaken means CreateUser found an account with the same username.
var ErrTaken = errors.New("user: username taken")

// Store keeps accounts. "Not found" is a value; errors are system failures.
type Store interface {
	// CreateUser stores u, or returns ErrTaken (changing nothing) when the
	// username exists.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the account of username; found is false when there is
	// none. Reads are strongly consistent.
	GetUser(ctx context.Context, username string) (u User, found bool, err error)
	// ChangePasswordHash sets the password hash of username's account to
	// newHash, but only while it is still oldHash (the hash the caller
	// verified a password against): one conditional write. changed is
	// false, and nothing is written, when the account is gone or its hash
	// is no longer oldHash (a concurrent change won).
	ChangePasswordHash(ctx context.Context, username, oldHash, newHash string) (changed bool, err error)
	// DeleteUser deletes username's account, but only while its password
	// hash is still hash: one conditional write. deleted is false, and
	// nothing is written, when the account is gone or its hash changed.
	// The username's password-attempt counter is not touched (it expires
	// by itself), and the username may be registered again.
	DeleteUser(ctx context.Context, username, hash string) (deleted bool, err error)
}

// Limit is how many password attempts one username may make in a window.
// The feature that checks passwords owns it (internal/account).
type Limit struct {
	// Max is how many attempts a window counts; the next one is refused.
	Max int
	// Window is how long a window lasts, from the first attempt it counted.
	Window time.Duration
}

// Valid reports whether l can limit anything: Max ≥ 1 and Window > 0.
func (l Limit) Valid() bool { return l.Max >= 1 && l.Window > 0 }

// Attempt is the outcome of Throttle.CountAttempt.
type Attempt struct {
	// Allowed is true when this attempt was counted: its password may be
	// checked. False when the window already held Limit.Max attempts;
	// nothing was written then, and no password may be checked.
	Allowed bool
	// Count is how many attempts the window holds, this one included when
	// it was allowed (1..Max), or Max when it was refused.
	Count int
	// WindowEnds is when the window ends: a refused caller may try again
	// then (Retry-After).
	WindowEnds time.Time
}

// Throttle counts password attempts per username in windows anchored at
// their first attempt: a window starts with the first attempt counted while
// none is live and lasts Limit.Window. Counters expire by themselves after
// their window (a TTL in DynamoDB). An attempt is counted before its
// password is checked, so concurrent attempts can never pass the limit.
type Throttle interface {
	// CountAttempt counts one attempt for username at now, or refuses it
	// when the window live at now already holds limit.Max attempts: one
	// atomic, conditional store write (a window that has ended but whose
	// counter is still stored takes a second one, which starts the new
	// window). An invalid limit is an error.
	CountAttempt(ctx context.Context, username string, now time.Time, limit Limit) (Attempt, error)
	// Clear forgets username's attempts (after a successful check). Clearing
	// a username with none is no error.
	Clear(ctx context.Context, username string) error
}

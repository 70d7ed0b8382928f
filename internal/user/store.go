// Package user defines accounts and the persistence contracts for them: the
// user records and the failed-login counters that throttle password guessing.
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
}

// Throttle counts failed logins per username in fixed windows. Counters
// expire by themselves after their window (a TTL in DynamoDB).
type Throttle interface {
	// Failures returns how many failures username has in the window live at
	// now, and when that window ends. count is 0 when there is none.
	Failures(ctx context.Context, username string, now time.Time) (count int, windowEnds time.Time, err error)
	// RecordFailure atomically adds one failure for username. It starts a new
	// window of length window when none is live at now. It returns the count
	// and window end after the change.
	RecordFailure(ctx context.Context, username string, now time.Time, window time.Duration) (count int, windowEnds time.Time, err error)
	// Reset forgets username's failures (after a successful login).
	Reset(ctx context.Context, username string) error
}

package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// A StoreUse is one kind of call a function's code makes to its stores: a
// method of session.Store, user.Store or user.Throttle. Creating a session
// is two uses, since an anonymous session and a logged-in one (a username,
// an authentication time) write different attributes.
//
// Each function declares its uses in StoreUses. Build hands it stores that
// refuse any other call, and internal/templatetest checks that the
// function's IAM role in template.yaml allows exactly the DynamoDB calls
// and attributes those uses make, no more and no fewer.
type StoreUse string

// The store uses.
const (
	SessionsGet             StoreUse = "Sessions.Get"
	SessionsCreateAnonymous StoreUse = "Sessions.Create(anonymous)"
	SessionsCreateLoggedIn  StoreUse = "Sessions.Create(logged in)"
	SessionsTouch           StoreUse = "Sessions.Touch"
	SessionsDelete          StoreUse = "Sessions.Delete"
	SessionsListByUser      StoreUse = "Sessions.ListByUser"
	SessionsUpdate          StoreUse = "Sessions.Update"
	UsersCreateUser         StoreUse = "Users.CreateUser"
	UsersGetUser            StoreUse = "Users.GetUser"
	UsersChangePasswordHash StoreUse = "Users.ChangePasswordHash"
	UsersDeleteUser         StoreUse = "Users.DeleteUser"
	ThrottleCountAttempt    StoreUse = "Throttle.CountAttempt"
	ThrottleClear           StoreUse = "Throttle.Clear"
)

// StoreUses declares, for every function of Functions, each store use its
// code makes. A function without an entry does not build; a call it did
// not declare fails (ErrUndeclaredStoreUse), as it would in AWS, where
// its role allows only these (internal/scenario checks that the scenarios
// make every use declared here).
var StoreUses = map[string][]StoreUse{
	"CookiesFunction": {},
	// Load (Get, Touch), login and registration (Renew: a logged-in
	// session, the old one deleted), logout, the session list and
	// revocation; accounts (a password change, a deletion) and password
	// attempts.
	"AuthFunction": {SessionsGet, SessionsTouch, SessionsCreateLoggedIn, SessionsDelete, SessionsListByUser,
		UsersCreateUser, UsersGetUser, UsersChangePasswordHash, UsersDeleteUser, ThrottleCountAttempt, ThrottleClear},
	// Load (Get, Touch) and Change (Update; the first change starts an
	// anonymous session). The cart never deletes a session, nor writes a
	// username.
	"CartFunction": {SessionsGet, SessionsTouch, SessionsUpdate, SessionsCreateAnonymous},
	// Load (Get, Touch) and Change (Update; the first visit starts an
	// anonymous session), as the cart.
	"VisitsFunction": {SessionsGet, SessionsTouch, SessionsUpdate, SessionsCreateAnonymous},
}

// ErrUndeclaredStoreUse is the error of a store call its function did not
// declare in StoreUses.
var ErrUndeclaredStoreUse = errors.New("app: store use not declared")

// storeGuard lets one function's calls through when it declared them.
type storeGuard struct {
	function string
	allowed  map[StoreUse]bool
	used     func(function string, u StoreUse)
}

func newStoreGuard(function string, uses []StoreUse, used func(string, StoreUse)) *storeGuard {
	g := &storeGuard{function: function, allowed: map[StoreUse]bool{}, used: used}
	for _, u := range uses {
		g.allowed[u] = true
	}
	return g
}

// check refuses u unless it was declared, and reports it to used.
func (g *storeGuard) check(u StoreUse) error {
	if !g.allowed[u] {
		return fmt.Errorf("%w: %s calls %s (add it to app.StoreUses, and to its role in template.yaml)", ErrUndeclaredStoreUse, g.function, u)
	}
	if g.used != nil {
		g.used(g.function, u)
	}
	return nil
}

// stores wraps each store of s that is set.
func (g *storeGuard) stores(s Stores) Stores {
	if s.Sessions != nil {
		s.Sessions = guardedSessions{g, s.Sessions}
	}
	if s.Users != nil {
		s.Users = guardedUsers{g, s.Users}
	}
	if s.Throttle != nil {
		s.Throttle = guardedThrottle{g, s.Throttle}
	}
	return s
}

// ForFunction is o with stores that allow only the uses function declares
// in StoreUses, as its IAM role does: what internal/allfunctions and the
// Lambda mains (internal/app/dynamostores.With) build each function with.
func (o Options) ForFunction(function string) (Options, error) {
	uses, ok := StoreUses[function]
	if !ok {
		return Options{}, fmt.Errorf("%s declares no store uses: add it to app.StoreUses", function)
	}
	return o.limited(function, uses), nil
}

// limited is o with every store it gives (Stores, or what OpenStores
// opens) behind function's guard.
func (o Options) limited(function string, uses []StoreUse) Options {
	g := newStoreGuard(function, uses, o.StoreUsed)
	o.Stores = g.stores(o.Stores)
	if open := o.OpenStores; open != nil {
		o.OpenStores = func(ctx context.Context, getenv config.Getenv, withUsers bool) (Stores, error) {
			s, err := open(ctx, getenv, withUsers)
			if err != nil {
				return Stores{}, err
			}
			return g.stores(s), nil
		}
	}
	return o
}

// createUse is the use a Create of rec makes.
func createUse(rec session.Record) StoreUse {
	if rec.Username == "" && rec.AuthenticatedAt.IsZero() {
		return SessionsCreateAnonymous
	}
	return SessionsCreateLoggedIn
}

type guardedSessions struct {
	g    *storeGuard
	next session.Store
}

func (s guardedSessions) Get(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if err := s.g.check(SessionsGet); err != nil {
		return session.Record{}, false, err
	}
	return s.next.Get(ctx, key, now)
}

func (s guardedSessions) Create(ctx context.Context, rec session.Record) error {
	if err := s.g.check(createUse(rec)); err != nil {
		return err
	}
	return s.next.Create(ctx, rec)
}

func (s guardedSessions) Touch(ctx context.Context, key string, now time.Time) (bool, error) {
	if err := s.g.check(SessionsTouch); err != nil {
		return false, err
	}
	return s.next.Touch(ctx, key, now)
}

func (s guardedSessions) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if err := s.g.check(SessionsDelete); err != nil {
		return session.Record{}, false, err
	}
	return s.next.Delete(ctx, key, now)
}

func (s guardedSessions) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	if err := s.g.check(SessionsListByUser); err != nil {
		return nil, err
	}
	return s.next.ListByUser(ctx, username, now)
}

func (s guardedSessions) Update(ctx context.Context, key string, change session.Change, now time.Time) (session.Outcome, error) {
	if err := s.g.check(SessionsUpdate); err != nil {
		return session.Outcome{}, err
	}
	return s.next.Update(ctx, key, change, now)
}

type guardedUsers struct {
	g    *storeGuard
	next user.Store
}

func (s guardedUsers) CreateUser(ctx context.Context, u user.User) error {
	if err := s.g.check(UsersCreateUser); err != nil {
		return err
	}
	return s.next.CreateUser(ctx, u)
}

func (s guardedUsers) GetUser(ctx context.Context, username string) (user.User, bool, error) {
	if err := s.g.check(UsersGetUser); err != nil {
		return user.User{}, false, err
	}
	return s.next.GetUser(ctx, username)
}

func (s guardedUsers) ChangePasswordHash(ctx context.Context, username, oldHash, newHash string) (bool, error) {
	if err := s.g.check(UsersChangePasswordHash); err != nil {
		return false, err
	}
	return s.next.ChangePasswordHash(ctx, username, oldHash, newHash)
}

func (s guardedUsers) DeleteUser(ctx context.Context, username, hash string) (bool, error) {
	if err := s.g.check(UsersDeleteUser); err != nil {
		return false, err
	}
	return s.next.DeleteUser(ctx, username, hash)
}

type guardedThrottle struct {
	g    *storeGuard
	next user.Throttle
}

func (s guardedThrottle) CountAttempt(ctx context.Context, username string, now time.Time, limit user.Limit) (user.Attempt, error) {
	if err := s.g.check(ThrottleCountAttempt); err != nil {
		return user.Attempt{}, err
	}
	return s.next.CountAttempt(ctx, username, now, limit)
}

func (s guardedThrottle) Clear(ctx context.Context, username string) error {
	if err := s.g.check(ThrottleClear); err != nil {
		return err
	}
	return s.next.Clear(ctx, username)
}

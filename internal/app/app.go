// Package app is what the wiring of the functions with server-side sessions
// shares: the stores such a function uses, the options the local runner and
// the tests pass, and the session manager each builds from its environment.
//
// Each function's wiring is a small package of its own, so each Lambda
// links only the features it serves:
//
//	internal/app/cookiesfn    CookiesFunction (no store: it does not import app)
//	internal/app/authfn       AuthFunction
//	internal/app/cartfn       CartFunction
//	internal/app/visitsfn     VisitsFunction
//	internal/app/edge         what every function has in front (metrics, origin check)
//	internal/app/dynamostores the DynamoDB stores; only the database functions' mains import it
//	internal/allfunctions     every function by logical ID, for the local runner and the tests
//
// functions/*/main.go hand their package's Build to internal/lambdafn.
package app

import (
	"context"
	"fmt"
	"time"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Stores are the persistence a function uses.
type Stores struct {
	Sessions session.Store
	Users    user.Store
	Throttle user.Throttle
}

// Options tune a build for tests and the local runner.
type Options struct {
	// Stores, when set, are used by every function built with these
	// options (the local runner shares one in-memory store this way).
	Stores Stores
	// OpenStores opens the stores from a function's environment when Stores
	// is unset (DynamoDB, as in AWS: internal/app/dynamostores.Open);
	// withUsers asks for the user stores too.
	OpenStores func(ctx context.Context, getenv config.Getenv, withUsers bool) (Stores, error)
	Now        func() time.Time // the clock; time.Now when nil
	Password   password.Params  // argon2id cost; password.Default when zero
	// StoreUsed, when set, hears of every store call a function makes, by
	// its use (tests: which of its declared StoreUses the code reaches).
	StoreUsed func(function string, use StoreUse)
}

// Sessions reads the session configuration (SESSION_SECRET, the cookie
// settings, the timeouts) and, when o has no stores, opens them with
// o.OpenStores (withUsers: the user stores too), keeping them in o. It
// returns the session manager and the cookie settings.
func Sessions(ctx context.Context, getenv config.Getenv, o *Options, withUsers bool) (*session.Manager, config.Cookies, error) {
	keys, err := config.Keys(getenv)
	if err != nil {
		return nil, config.Cookies{}, err
	}
	ck, err := config.LoadCookies(getenv)
	if err != nil {
		return nil, config.Cookies{}, err
	}
	timeouts, err := config.LoadTimeouts(getenv)
	if err != nil {
		return nil, config.Cookies{}, err
	}
	if o.Stores.Sessions == nil {
		if o.OpenStores == nil {
			return nil, config.Cookies{}, fmt.Errorf("no session store configured")
		}
		if o.Stores, err = o.OpenStores(ctx, getenv, withUsers); err != nil {
			return nil, config.Cookies{}, err
		}
	}
	m, err := session.NewManager(session.Options{Store: o.Stores.Sessions, Keys: keys, Timeouts: timeouts, Secure: ck.Secure, Now: o.Now,
		Logger: web.Logger, SetSessionID: web.SetSessionID, TamperedCookie: countTampered})
	return m, ck, err
}

// countTampered counts a session cookie whose signature did not verify,
// for the tamper alarm (template.yaml: TamperedSessionCookiesAlarm).
func countTampered(ctx context.Context) { metrics.Add(ctx, metrics.TamperedSessionCookies) }

// Package app builds each Lambda function's HTTP handler from its
// environment: the one place where configuration, stores and handlers meet.
// functions/*/main.go run it in Lambda; the local runner builds the same
// handlers in-process.
package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sessionlab/sessionlab/internal/account"
	"github.com/sessionlab/sessionlab/internal/cart"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/cookies"
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
	// is unset (DynamoDB, as in AWS); withUsers asks for the user stores too.
	OpenStores func(ctx context.Context, getenv config.Getenv, withUsers bool) (Stores, error)
	Now        func() time.Time // the clock; time.Now when nil
	Password   password.Params  // argon2id cost; password.Default when zero
	// StoreUsed, when set, hears of every store call a function makes, by
	// its use (tests: which of its declared StoreUses the code reaches).
	StoreUsed func(function string, use StoreUse)
}

// Builder builds one function's handler.
type Builder func(ctx context.Context, getenv config.Getenv, o Options) (http.Handler, error)

// Functions maps each function's logical ID in template.yaml to its builder.
var Functions = map[string]Builder{
	"CookiesFunction": Cookies,
	"AuthFunction":    Auth,
	"CartFunction":    Cart,
}

// Build builds the function called name, with stores that allow only the
// uses it declares in StoreUses.
func Build(ctx context.Context, name string, getenv config.Getenv, o Options) (http.Handler, error) {
	b, ok := Functions[name]
	if !ok {
		return nil, fmt.Errorf("no function called %q", name)
	}
	uses, ok := StoreUses[name]
	if !ok {
		return nil, fmt.Errorf("%s declares no store uses: add it to app.StoreUses", name)
	}
	h, err := b(ctx, getenv, o.limited(name, uses))
	return edge(h, err, getenv)
}

// Cookies builds the CookiesFunction: preferences, visits, the cookie
// inspector and the signed client-side session. It uses no store.
func Cookies(_ context.Context, getenv config.Getenv, _ Options) (http.Handler, error) {
	keys, err := config.Keys(getenv)
	if err != nil {
		return nil, err
	}
	ck, err := config.LoadCookies(getenv)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	if err := cookies.Register(mux, cookies.Config{Keys: keys, Secure: ck.Secure}); err != nil {
		return nil, err
	}
	return web.API(mux, ck.SiteOrigin)
}

// Auth builds the AuthFunction: accounts and server-side sessions.
func Auth(ctx context.Context, getenv config.Getenv, o Options) (http.Handler, error) {
	sessions, ck, err := sessionManager(ctx, getenv, &o, true)
	if err != nil {
		return nil, err
	}
	params := o.Password
	if params == (password.Params{}) {
		params = password.Default
	}
	mux := http.NewServeMux()
	account.Register(mux, account.Config{Sessions: sessions, Users: o.Stores.Users, Throttle: o.Stores.Throttle, Password: params})
	return web.API(mux, ck.SiteOrigin)
}

// Cart builds the CartFunction: the catalogue and the cart.
func Cart(ctx context.Context, getenv config.Getenv, o Options) (http.Handler, error) {
	sessions, ck, err := sessionManager(ctx, getenv, &o, false)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	cart.Register(mux, sessions)
	return web.API(mux, ck.SiteOrigin)
}

// countTampered counts a session cookie whose signature did not verify,
// for the tamper alarm (template.yaml: TamperedSessionCookiesAlarm).
func countTampered(ctx context.Context) { metrics.Add(ctx, metrics.TamperedSessionCookies) }

// sessionManager reads the session configuration and, when o has no
// stores, opens them (withUsers: the users table too).
func sessionManager(ctx context.Context, getenv config.Getenv, o *Options, withUsers bool) (*session.Manager, config.Cookies, error) {
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

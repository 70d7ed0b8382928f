// Package account is the AuthFunction: registration, login with "remember
// me", re-authentication, password change, account deletion, logout, the
// current session, and listing and revoking a user's sessions (which needs
// a fresh authentication). It keeps no state of its own: sessions go
// through the session.Manager, accounts and password-attempt counters
// through user stores. Every route that checks a password counts the
// attempt first, under one limit per username (checkAttempt).
package account

import (
	"net/http"
	"sync"
	"time"

	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/web"
)

// The contract's limit on password checks, shared by every route that
// checks one and kept per username (unknown ones too): MaxAttempts
// attempts counted in a window of AttemptWindow from the first; every
// further attempt in that window answers 429 too_many_attempts without a
// password check. A right password clears the count.
const (
	MaxAttempts   = 5
	AttemptWindow = 15 * time.Minute
)

var passwordLimit = user.Limit{Max: MaxAttempts, Window: AttemptWindow}

// Config is what the handlers need.
type Config struct {
	Sessions *session.Manager
	Users    user.Store
	Throttle user.Throttle
	Password password.Params // argon2id cost; password.Default in production
}

type handlers struct {
	Config
	dummyOnce sync.Once
	dummy     string // a hash to verify against for unknown users
}

// Register adds the AuthFunction's routes to mux.
func Register(mux *http.ServeMux, cfg Config) {
	h := &handlers{Config: cfg}
	mux.HandleFunc("POST /api/register", h.register)
	mux.HandleFunc("POST /api/login", h.login)
	mux.HandleFunc("POST /api/reauthenticate", h.reauthenticate)
	mux.HandleFunc("PUT /api/password", h.changePassword)
	mux.HandleFunc("DELETE /api/account", h.deleteAccount)
	mux.HandleFunc("POST /api/logout", h.logout)
	mux.HandleFunc("GET /api/session", h.current)
	mux.HandleFunc("GET /api/sessions", h.list)
	mux.HandleFunc("DELETE /api/sessions/{id}", h.revoke)
	mux.HandleFunc("DELETE /api/sessions", h.revokeOthers)
}

type userView struct {
	Username string `json:"username"`
}

// fail answers err: an *web.Error as it is, anything else as the store
// being unavailable (the session and user layers return nothing else).
func fail(w http.ResponseWriter, r *http.Request, err error) {
	if _, ok := err.(*web.Error); ok {
		web.WriteError(w, r, err)
		return
	}
	web.WriteError(w, r, web.Unavailable(err))
}

// dummyHash is verified against when the username is unknown, so an unknown
// user and a wrong password cost the same time. Made on first use, not at
// start-up, to keep Lambda's init fast.
func (h *handlers) dummyHash() string {
	h.dummyOnce.Do(func() { h.dummy = password.Hash("not a password anyone has", h.Password) })
	return h.dummy
}

package account

import (
	"context"
	"errors"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/web"
)

// registerBody is POST /api/register's body.
type registerBody struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
}

// loginBody is POST /api/login's body.
type loginBody struct {
	Username *string `json:"username"`
	Password *string `json:"password"`
	Remember bool    `json:"remember"`
}

var errMissingCredentials = web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "username" and "password" strings.`)

var errNotAuthenticated = web.Errorf(http.StatusUnauthorized, "not_authenticated", "Log in first.")

// register creates an account and logs the caller in, as login does.
// Sessions a deleted account of the same name left behind (see
// endStaleSessions) are ended first, so the new account starts with none.
func (h *handlers) register(w http.ResponseWriter, r *http.Request) {
	var body registerBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return
	}
	if body.Username == nil || body.Password == nil {
		fail(w, r, errMissingCredentials)
		return
	}
	name, err := NormalizeUsername(*body.Username)
	if err == nil {
		err = CheckPassword(*body.Password, name)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	u := user.User{Username: name, PasswordHash: password.Hash(*body.Password, h.Password), CreatedAt: h.Sessions.Now()}
	if err := h.Users.CreateUser(r.Context(), u); errors.Is(err, user.ErrTaken) {
		fail(w, r, web.Errorf(http.StatusConflict, "username_taken", "That username is taken; choose another."))
		return
	} else if err != nil {
		fail(w, r, err)
		return
	}
	if err := h.endStaleSessions(r, u); err != nil {
		fail(w, r, err)
		return
	}
	web.Logger(r.Context()).Info("user registered")
	if _, err := h.startAuthenticated(w, r, name, false); err != nil {
		fail(w, r, err)
		return
	}
	metrics.Add(r.Context(), metrics.Logins)
	web.WriteJSON(w, http.StatusCreated, map[string]any{"user": userView{name}})
}

// endStaleSessions ends every session under the name of the account u
// that was just created: none, unless a deleted account of that name left
// one behind (a login that raced its deletion, or a sweep that failed),
// which would otherwise be logged in as the new account. When that fails,
// the account is removed again, so that registering can be tried again.
func (h *handlers) endStaleSessions(r *http.Request, u user.User) error {
	stale, err := h.Sessions.RevokeWhere(r.Context(), u.Username, nil)
	for _, rec := range stale {
		web.Logger(r.Context()).Warn("session of a deleted account ended at registration", "session", session.PublicID(rec.Key))
	}
	if err == nil {
		return nil
	}
	if _, derr := h.Users.DeleteUser(context.WithoutCancel(r.Context()), u.Username, u.PasswordHash); derr != nil {
		web.Logger(r.Context()).Error("account left registered after a failed registration", "err", derr.Error())
	}
	return err
}

// login checks the credentials under the password limit and starts a new
// session.
func (h *handlers) login(w http.ResponseWriter, r *http.Request) {
	var body loginBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return
	}
	if body.Username == nil || body.Password == nil {
		fail(w, r, errMissingCredentials)
		return
	}
	name, nameErr := NormalizeUsername(*body.Username)
	if nameErr != nil {
		_, _ = password.Verify(*body.Password, h.dummyHash()) // same cost as any other failure
		fail(w, r, wrongPassword(r, "password check failed: a username that can be no account"))
		return
	}
	u, err := h.checkAttempt(r, name, *body.Password)
	if err != nil {
		fail(w, r, err)
		return
	}
	s, err := h.startAuthenticated(w, r, name, body.Remember)
	if err == nil {
		err = h.confirm(w, r, s, u)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	metrics.Add(r.Context(), metrics.Logins)
	web.WriteJSON(w, http.StatusOK, map[string]any{"user": userView{name}, "session": h.Sessions.View(s.Record, true)})
}

// startAuthenticated ends the caller's current session, if any, and starts
// a new one under a fresh ID (fixation defence), carrying over the data
// (cart, idempotency keys) of an anonymous session or of one of the same
// user (login and register; re-authentication and a password change renew
// their own session, see renewAuthenticated).
func (h *handlers) startAuthenticated(w http.ResponseWriter, r *http.Request, name string, remember bool) (*session.Session, error) {
	old, err := h.Sessions.Load(w, r)
	if err != nil {
		return nil, err
	}
	opts := session.StartOptions{Username: name, Remember: remember, Authenticated: true}
	opts.DropData = old != nil && old.Username != "" && old.Username != name
	return h.Sessions.Renew(w, r, old, opts)
}

// logout deletes the session and expires its cookie; 204 also without one.
func (h *handlers) logout(w http.ResponseWriter, r *http.Request) {
	s, err := h.Sessions.Load(w, r)
	if err != nil {
		fail(w, r, err)
		return
	}
	if s != nil {
		if err := h.Sessions.Destroy(w, r, s); err != nil {
			fail(w, r, err)
			return
		}
	} else {
		h.Sessions.ExpireCookie(w)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Clear-Site-Data", `"cookies"`)
	web.NoContent(w)
}

// current answers who the caller is and their session.
func (h *handlers) current(w http.ResponseWriter, r *http.Request) {
	s, err := h.Sessions.Load(w, r)
	if err != nil {
		fail(w, r, err)
		return
	}
	resp := map[string]any{"authenticated": false, "user": nil, "session": nil}
	if s != nil {
		resp["session"] = h.Sessions.View(s.Record, true)
		if s.Username != "" {
			resp["authenticated"], resp["user"] = true, userView{s.Username}
		}
	}
	web.WriteJSON(w, http.StatusOK, resp)
}

package account

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/web"
)

// passwordBody is the body of POST /api/reauthenticate and DELETE
// /api/account.
type passwordBody struct {
	Password *string `json:"password"`
}

// passwordChecked loads the logged-in session and checks the password of
// the request's passwordBody under the limit: what re-authentication and
// account deletion both start with. When ok is false the answer has been
// written.
func (h *handlers) passwordChecked(w http.ResponseWriter, r *http.Request) (s *session.Session, u user.User, ok bool) {
	s, ok = h.authenticated(w, r)
	if !ok {
		return nil, user.User{}, false
	}
	var body passwordBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return nil, user.User{}, false
	}
	if body.Password == nil {
		fail(w, r, errMissingPassword)
		return nil, user.User{}, false
	}
	u, err := h.checkAttempt(r, s.Username, *body.Password)
	if err != nil {
		fail(w, r, err)
		return nil, user.User{}, false
	}
	return s, u, true
}

// changePasswordBody is PUT /api/password's body.
type changePasswordBody struct {
	CurrentPassword *string `json:"currentPassword"`
	NewPassword     *string `json:"newPassword"`
}

var errMissingPassword = web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs a "password" string.`)

var errMissingPasswords = web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "currentPassword" and "newPassword" strings.`)

// What a store failure midway through a password change or an account
// deletion has already done (see docs/decisions.md for the order).
const (
	msgPasswordSetSessionsLeft = "Your new password is set, but the session store stopped answering before every other session was ended: sign out everywhere else to end the rest."
	msgPasswordSetNotRenewed   = "Your new password is set and your other sessions are ended, but the session store stopped answering before this session got its new ID; it goes on under the old one."
	msgNotDeletedSessionsEnded = "The account is not deleted: the session store stopped answering while your sessions were being ended, so some of them may have ended. Try again."
	msgNotDeletedLoggedOut     = "Every session of the account is ended, but the session store stopped answering before the account was deleted: log in and try again."
)

// partial answers a store failure that left a multi-step change half done
// (the sessions and the account are separate writes; each step is ordered
// so that a half-done change is the safe half): 503 store_unavailable with
// Retry-After, as web.Unavailable, but saying what is already done.
func partial(r *http.Request, cause error, done string) error {
	web.Logger(r.Context()).Error("store unavailable midway", "err", cause.Error())
	metrics.Add(r.Context(), metrics.StoreUnavailable)
	e := web.Errorf(http.StatusServiceUnavailable, "store_unavailable", "%s", done)
	e.RetryAfter = web.StoreRetryAfter
	return e
}

// renewAuthenticated replaces the caller's session s by a new one under a
// fresh ID, authenticated now, carrying s's data and remember choice
// (re-authentication and a password change).
func (h *handlers) renewAuthenticated(w http.ResponseWriter, r *http.Request, s *session.Session) (*session.Session, error) {
	return h.Sessions.Renew(w, r, s, session.StartOptions{Username: s.Username, Authenticated: true, KeepRemember: true})
}

// reauthenticate checks the logged-in user's password under the limit and
// renews the session: a new ID, its data and remember choice carried, and
// authenticatedAt now (fresh again for the routes that end sessions).
func (h *handlers) reauthenticate(w http.ResponseWriter, r *http.Request) {
	s, u, ok := h.passwordChecked(w, r)
	if !ok {
		return
	}
	next, err := h.renewAuthenticated(w, r, s)
	if err == nil {
		err = h.confirm(w, r, next, u)
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	web.Logger(r.Context()).Info("re-authenticated", "session", next.PublicID())
	web.WriteJSON(w, http.StatusOK, map[string]any{"user": userView{s.Username}, "session": h.Sessions.View(next.Record, true)})
}

// checkNewPassword applies the register rules to a new password, which
// must also differ from the current one.
func checkNewPassword(newPassword, current, username string) error {
	if err := CheckPassword(newPassword, username); err != nil {
		return err
	}
	if newPassword == current {
		return web.Errorf(http.StatusBadRequest, "weak_password", "The new password must differ from the current one.")
	}
	return nil
}

// changePassword checks the new password's rules (a weak one uses no
// attempt), then the current password under the limit; stores the new
// hash (only over the hash just verified, so of two concurrent changes one
// wins), ends every other session of the user, and renews this one.
// The new hash is stored first: if a later step fails, the old password
// no longer works, and what is left is sessions to end (see partial).
func (h *handlers) changePassword(w http.ResponseWriter, r *http.Request) {
	s, ok := h.authenticated(w, r)
	if !ok {
		return
	}
	var body changePasswordBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return
	}
	if body.CurrentPassword == nil || body.NewPassword == nil {
		fail(w, r, errMissingPasswords)
		return
	}
	if err := checkNewPassword(*body.NewPassword, *body.CurrentPassword, s.Username); err != nil {
		fail(w, r, err)
		return
	}
	u, err := h.checkAttempt(r, s.Username, *body.CurrentPassword)
	if err != nil {
		fail(w, r, err)
		return
	}
	changed, err := h.Users.ChangePasswordHash(r.Context(), u.Username, u.PasswordHash, password.Hash(*body.NewPassword, h.Password))
	if err != nil {
		fail(w, r, err)
		return
	}
	if !changed {
		fail(w, r, wrongPassword(r, "the account changed during the password check"))
		return
	}
	web.Logger(r.Context()).Info("password changed")
	ended, err := h.revokeWhere(r, s, othersOf(s))
	if err != nil {
		fail(w, r, partial(r, err, msgPasswordSetSessionsLeft))
		return
	}
	next, err := h.renewAuthenticated(w, r, s)
	if err != nil {
		fail(w, r, partial(r, err, msgPasswordSetNotRenewed))
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{
		"user": userView{s.Username}, "session": h.Sessions.View(next.Record, true), "endedSessions": ended,
	})
}

// deleteAccount checks the password under the limit, ends every session
// of the user (the others, then this one, whose cookie the response
// expires) and only then deletes the account (only over the hash just
// verified), so that a failure midway never leaves a deleted account with
// live sessions. A last sweep ends any session a login started in
// between; registering the name again sweeps once more (register).
func (h *handlers) deleteAccount(w http.ResponseWriter, r *http.Request) {
	s, u, ok := h.passwordChecked(w, r)
	if !ok {
		return
	}
	if _, err := h.revokeWhere(r, s, othersOf(s)); err != nil {
		fail(w, r, partial(r, err, msgNotDeletedSessionsEnded))
		return
	}
	if err := h.Sessions.Destroy(w, r, s); err != nil {
		fail(w, r, partial(r, err, msgNotDeletedSessionsEnded))
		return
	}
	deleted, err := h.Users.DeleteUser(r.Context(), u.Username, u.PasswordHash)
	if err != nil {
		fail(w, r, partial(r, err, msgNotDeletedLoggedOut))
		return
	}
	if !deleted {
		fail(w, r, wrongPassword(r, "the account changed during the password check"))
		return
	}
	web.Logger(r.Context()).Info("user deleted")
	late, err := h.Sessions.RevokeWhere(context.WithoutCancel(r.Context()), u.Username, nil)
	for _, rec := range late {
		web.Logger(r.Context()).Info("session revoked", "session", session.PublicID(rec.Key), "by", "account deletion")
	}
	if err != nil {
		web.Logger(r.Context()).Warn("last sweep after an account deletion failed; registering the name again sweeps", "err", err.Error())
	}
	web.NoContent(w)
}

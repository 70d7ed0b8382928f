package account

import (
	"errors"
	"net/http"
	"time"

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

var errInvalidCredentials = web.Errorf(http.StatusUnauthorized, "invalid_credentials", "The username or password is not right.")

var errNotAuthenticated = web.Errorf(http.StatusUnauthorized, "not_authenticated", "Log in first.")

// register creates an account and logs the caller in, as login does.
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
	web.Logger(r.Context()).Info("user registered")
	if _, err := h.startAuthenticated(w, r, name, false); err != nil {
		fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"user": userView{name}})
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
		fail(w, r, errInvalidCredentials)
		return
	}
	if err := h.checkAttempt(r, name, *body.Password); err != nil {
		fail(w, r, err)
		return
	}
	s, err := h.startAuthenticated(w, r, name, body.Remember)
	if err != nil {
		fail(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"user": userView{name}, "session": h.Sessions.View(s.Record, true)})
}

// checkAttempt checks pw for name under the password limit shared by every
// route that checks a password: the attempt is counted first (one atomic
// store write), so concurrent attempts cannot pass the limit. It answers
// nil when pw is right (the count is cleared), 429 too_many_attempts with
// Retry-After when the window is full (no password is checked), 401
// invalid_credentials when pw is wrong or name has no account, or a store
// error.
func (h *handlers) checkAttempt(r *http.Request, name, pw string) error {
	now := h.Sessions.Now()
	att, err := h.Throttle.CountAttempt(r.Context(), name, now, passwordLimit)
	if err != nil {
		return err
	}
	if !att.Allowed {
		web.Logger(r.Context()).Info("password check refused: too many attempts")
		return tooManyAttempts(att.WindowEnds.Sub(now))
	}
	ok, err := h.checkPassword(r, name, pw)
	if err != nil {
		return err
	}
	if !ok {
		web.Logger(r.Context()).Info("password check failed")
		return errInvalidCredentials
	}
	return h.Throttle.Clear(r.Context(), name)
}

func tooManyAttempts(retry time.Duration) error {
	e := web.Errorf(http.StatusTooManyRequests, "too_many_attempts", "Too many wrong passwords for this username. Wait and try again.")
	e.RetryAfter = max(retry, time.Second)
	return e
}

// checkPassword verifies pw for name; an unknown user costs one hash
// verification too and answers false.
func (h *handlers) checkPassword(r *http.Request, name, pw string) (bool, error) {
	u, found, err := h.Users.GetUser(r.Context(), name)
	if err != nil {
		return false, err
	}
	hash := u.PasswordHash
	if !found {
		hash = h.dummyHash()
	}
	ok, err := password.Verify(pw, hash)
	if err != nil {
		web.Logger(r.Context()).Error("stored password hash is malformed")
		return false, nil
	}
	return ok && found, nil
}

// startAuthenticated ends the caller's current session, if any, and starts
// a new one under a fresh ID (fixation defence), carrying over the data
// (cart, idempotency keys) of an anonymous session or of one of the same
// user.
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

// authenticated loads the caller's session and requires a user.
func (h *handlers) authenticated(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	s, err := h.Sessions.Load(w, r)
	if err != nil {
		fail(w, r, err)
		return nil, false
	}
	if s == nil || s.Username == "" {
		fail(w, r, errNotAuthenticated)
		return nil, false
	}
	return s, true
}

// list answers every live session of the caller's user.
func (h *handlers) list(w http.ResponseWriter, r *http.Request) {
	s, ok := h.authenticated(w, r)
	if !ok {
		return
	}
	recs, err := h.Sessions.List(r.Context(), s.Username)
	if err != nil {
		fail(w, r, err)
		return
	}
	views := make([]session.View, 0, len(recs))
	for _, rec := range recs {
		if rec.Key == s.Key {
			rec = s.Record // this request's own view is the freshest
		}
		views = append(views, h.Sessions.View(rec, rec.Key == s.Key))
	}
	sortViews(views)
	web.WriteJSON(w, http.StatusOK, map[string]any{"sessions": views})
}

// revoke ends one session of the caller's user, found by its public ID.
func (h *handlers) revoke(w http.ResponseWriter, r *http.Request) {
	s, ok := h.authenticated(w, r)
	if !ok {
		return
	}
	target := r.PathValue("id")
	n, err := h.revokeWhere(r, s, func(rec session.Record) bool { return session.PublicID(rec.Key) == target })
	if err != nil {
		fail(w, r, err)
		return
	}
	if n == 0 {
		fail(w, r, web.Errorf(http.StatusNotFound, "session_not_found", "You have no live session with that id."))
		return
	}
	if session.PublicID(s.Key) == target {
		h.Sessions.ExpireCookie(w)
	}
	web.NoContent(w)
}

// revokeOthers ends every session of the caller's user but the current one.
func (h *handlers) revokeOthers(w http.ResponseWriter, r *http.Request) {
	s, ok := h.authenticated(w, r)
	if !ok {
		return
	}
	if _, err := h.revokeWhere(r, s, func(rec session.Record) bool { return rec.Key != s.Key }); err != nil {
		fail(w, r, err)
		return
	}
	web.NoContent(w)
}

// revokeWhere deletes the live sessions of s's user that match, and
// answers how many it deleted.
func (h *handlers) revokeWhere(r *http.Request, s *session.Session, match func(session.Record) bool) (int, error) {
	ended, err := h.Sessions.RevokeWhere(r.Context(), s.Username, match)
	for _, rec := range ended {
		web.Logger(r.Context()).Info("session revoked", "session", session.PublicID(rec.Key), "by", s.PublicID())
	}
	return len(ended), err
}

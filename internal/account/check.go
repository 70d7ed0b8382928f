package account

import (
	"net/http"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/web"
)

var errInvalidCredentials = web.Errorf(http.StatusUnauthorized, "invalid_credentials", "The username or password is not right.")

// checkAttempt checks pw for name under the password limit shared by every
// route that checks a password: the attempt is counted first (one atomic
// store write), so concurrent attempts cannot pass the limit. It answers
// the account pw is right for (the count is cleared), 429
// too_many_attempts with Retry-After when the window is full (no password
// is checked), 401 invalid_credentials when pw is wrong or name has no
// account, or a store error. Each 401 and 429 is counted in the metrics.
func (h *handlers) checkAttempt(r *http.Request, name, pw string) (user.User, error) {
	now := h.Sessions.Now()
	att, err := h.Throttle.CountAttempt(r.Context(), name, now, passwordLimit)
	if err != nil {
		return user.User{}, err
	}
	if !att.Allowed {
		web.Logger(r.Context()).Info("password check refused: too many attempts")
		metrics.Add(r.Context(), metrics.ThrottledPasswordChecks)
		return user.User{}, tooManyAttempts(att.WindowEnds.Sub(now))
	}
	u, ok, err := h.checkPassword(r, name, pw)
	if err != nil {
		return user.User{}, err
	}
	if !ok {
		return user.User{}, wrongPassword(r, "password check failed")
	}
	return u, h.Throttle.Clear(r.Context(), name)
}

// wrongPassword logs why a password check answers 401
// invalid_credentials, counts it, and returns that error.
func wrongPassword(r *http.Request, why string) error {
	web.Logger(r.Context()).Info(why)
	metrics.Add(r.Context(), metrics.FailedPasswordChecks)
	return errInvalidCredentials
}

func tooManyAttempts(retry time.Duration) error {
	e := web.Errorf(http.StatusTooManyRequests, "too_many_attempts", "Too many wrong passwords for this username. Wait and try again.")
	e.RetryAfter = max(retry, time.Second)
	return e
}

// checkPassword verifies pw for name and returns its account; an unknown
// user costs one hash verification too and answers false.
func (h *handlers) checkPassword(r *http.Request, name, pw string) (user.User, bool, error) {
	u, found, err := h.Users.GetUser(r.Context(), name)
	if err != nil {
		return user.User{}, false, err
	}
	hash := u.PasswordHash
	if !found {
		hash = h.dummyHash()
	}
	ok, err := password.Verify(pw, hash)
	if err != nil {
		web.Logger(r.Context()).Error("stored password hash is malformed")
		return user.User{}, false, nil
	}
	return u, ok && found, nil
}

// confirm is the last step of a password check that started session s:
// it reads the account again and keeps s only while the account still
// holds the hash the password was checked against (verified). A password
// change or an account deletion that landed after the check, and whose
// sweep of the user's sessions ran before s existed, would otherwise miss
// s. Otherwise s is ended, the response sets no session cookie, and the
// check fails (401 invalid_credentials, or the store's error).
func (h *handlers) confirm(w http.ResponseWriter, r *http.Request, s *session.Session, verified user.User) error {
	u, found, err := h.Users.GetUser(r.Context(), verified.Username)
	if err == nil && found && u.PasswordHash == verified.PasswordHash {
		return nil
	}
	h.dropSessionCookies(w)
	if derr := h.Sessions.Destroy(w, r, s); derr != nil {
		h.Sessions.ExpireCookie(w)
		if err == nil {
			err = derr
		}
	}
	if err != nil {
		return err
	}
	return wrongPassword(r, "the account changed during the password check")
}

// dropSessionCookies removes the session cookies the response would set.
func (h *handlers) dropSessionCookies(w http.ResponseWriter) {
	prefix := h.Sessions.CookieName() + "="
	var kept []string
	for _, line := range w.Header().Values("Set-Cookie") {
		if !strings.HasPrefix(line, prefix) {
			kept = append(kept, line)
		}
	}
	w.Header().Del("Set-Cookie")
	for _, line := range kept {
		w.Header().Add("Set-Cookie", line)
	}
}

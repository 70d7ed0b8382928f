package account

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/web"
)

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

var errReauthenticationRequired = web.Errorf(http.StatusForbidden, "reauthentication_required",
	"Ending sessions needs a recent password check: re-authenticate (POST /api/reauthenticate), then try again.")

// freshlyAuthenticated loads the caller's session and requires a user who
// authenticated within the re-authentication window: the routes that end
// sessions (ASVS 7.5.2). A session past it answers 403
// reauthentication_required, before anything else of the request is looked
// at.
func (h *handlers) freshlyAuthenticated(w http.ResponseWriter, r *http.Request) (*session.Session, bool) {
	s, ok := h.authenticated(w, r)
	if !ok {
		return nil, false
	}
	if !h.Sessions.Fresh(s) {
		web.Logger(r.Context()).Info("ending sessions refused: the last authentication is too old", "session", s.PublicID())
		metrics.Add(r.Context(), metrics.ReauthenticationRequired)
		fail(w, r, errReauthenticationRequired)
		return nil, false
	}
	return s, true
}

// revoke ends one session of the caller's user, found by its public ID.
func (h *handlers) revoke(w http.ResponseWriter, r *http.Request) {
	s, ok := h.freshlyAuthenticated(w, r)
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
	s, ok := h.freshlyAuthenticated(w, r)
	if !ok {
		return
	}
	if _, err := h.revokeWhere(r, s, othersOf(s)); err != nil {
		fail(w, r, err)
		return
	}
	web.NoContent(w)
}

// othersOf matches every session but s (the caller's own): "sign out
// everywhere else", and what a password change or an account deletion ends
// first. (A function of its own, and not a literal in each call, also keeps
// the `err != nil` that follows such a call on the same line in a coverage
// block: Go's cover tool ends a block where a function literal begins.)
func othersOf(s *session.Session) func(session.Record) bool {
	return func(rec session.Record) bool { return rec.Key != s.Key }
}

// revokeWhere deletes the live sessions of s's user that match, logs each,
// and answers how many it deleted (also when it fails midway).
func (h *handlers) revokeWhere(r *http.Request, s *session.Session, match func(session.Record) bool) (int, error) {
	ended, err := h.Sessions.RevokeWhere(r.Context(), s.Username, match)
	for _, rec := range ended {
		web.Logger(r.Context()).Info("session revoked", "session", session.PublicID(rec.Key), "by", s.PublicID())
	}
	return len(ended), err
}

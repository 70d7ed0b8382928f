// Package sessionhttp answers the changes that features make to session
// data the same way on every route: the change goes through
// session.Manager.Change (one conditional store write); a refusal becomes
// the contract's error, through the one mapping of the session layer's
// errors to statuses; a replay of a recorded Idempotency-Key is marked
// Idempotent-Replayed and counted (metrics.IdempotentReplays). The cart
// and the visit counter use it; the session layer knows nothing of it.
package sessionhttp

import (
	"errors"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Fail answers err from a feature or the session layer: a *web.Error (a
// feature's own refusal, carried by its op, or a bad request) as it is;
// session.ErrKeyReused as 422 idempotency_key_reused; an invalid change
// (session.ErrInvalidChange) as the bug it is, 500; anything else as the
// store being unavailable, 503 with Retry-After.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	var we *web.Error
	switch {
	case errors.As(err, &we), errors.Is(err, session.ErrInvalidChange):
		web.WriteError(w, r, err)
	case errors.Is(err, session.ErrKeyReused):
		web.WriteError(w, r, web.ErrIdempotencyKeyReused)
	default:
		web.WriteError(w, r, web.Unavailable(err))
	}
}

// Change applies c to the request's session through m. When it is refused
// or fails, Change answers the error (Fail) and ok is false. Otherwise the
// caller answers the outcome: for a replay, Change has already set
// Idempotent-Replayed: true and counted it.
func Change(w http.ResponseWriter, r *http.Request, m *session.Manager, c session.Change) (out session.Outcome, ok bool) {
	out, err := m.Change(w, r, c)
	if err != nil {
		Fail(w, r, err)
		return session.Outcome{}, false
	}
	if out.Replayed {
		web.MarkReplayed(w)
		metrics.Add(r.Context(), metrics.IdempotentReplays)
	}
	return out, true
}

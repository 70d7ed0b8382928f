// Package visits is the VisitsFunction: the server-side twin of the visits
// cookie. The count lives in the session's data (the counter "visits"),
// where the visitor cannot edit it, and changes only through
// session.Manager.Change: one atomic, conditional store write per visit,
// with no read first, so concurrent visits all count, and a visit sent
// again with its Idempotency-Key (or retried by the store client) counts
// once. It is built on the session layer's generic operations alone: the
// feature owns its name, its limit and its error (this file), and nothing
// in internal/session or the stores knows it.
package visits

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/web"
)

// The counter's name in the session's data, and its limit. The session
// layer knows neither: they travel with the op.
const (
	// DataName is the session data counter that holds the count.
	DataName = "visits"
	// MaxVisits is the largest count: 2^53-1, the largest integer a JSON
	// number holds exactly in every client (JavaScript's
	// Number.MAX_SAFE_INTEGER). A visit past it is refused, not wrapped.
	MaxVisits = 9007199254740991
)

// errLimit refuses a visit past MaxVisits.
var errLimit = web.Errorf(http.StatusConflict, "visit_limit_reached",
	"This session has counted %d visits, the most one counter holds. Log out to start a new session.", int64(MaxVisits))

// addVisit counts one visit: the counter stays within 0–MaxVisits.
func addVisit() session.Op {
	return session.AddToCounter{Counter: DataName, Delta: 1, Range: session.Range{Min: 0, Max: MaxVisits, Err: errLimit}}
}

// count is the visit count in a session's data (0 when there is none).
func count(d session.Data) int64 { return d.Counters[DataName] }

package cookies

import (
	"net/http"
	"strconv"

	"github.com/sessionlab/sessionlab/internal/web"
)

const (
	visitsCookie = "visits"
	visitsMaxAge = 365 * 24 * 60 * 60 // 31536000 seconds
	// maxVisits is the largest count taken from the cookie: 2^53-1, the
	// largest integer JavaScript holds exactly. Anything larger is
	// absurd, so it counts as 0.
	maxVisits = 1<<53 - 1
)

// visitsBody is the body of POST /api/visits.
type visitsBody struct {
	Visits uint64 `json:"visits"`
}

// postVisits answers POST /api/visits: the previous count + 1, also set as
// the visits cookie (plain, unsigned on purpose, not HttpOnly). A missing,
// unparsable (signs and spaces included), negative or absurdly large
// previous value counts as 0.
func (cw writer) postVisits(w http.ResponseWriter, r *http.Request) {
	n := cw.previousVisits(r) + 1
	if err := cw.set(w, http.Cookie{Name: cw.name(visitsCookie), Value: strconv.FormatUint(n, 10), MaxAge: visitsMaxAge}); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, visitsBody{Visits: n})
}

func (cw writer) previousVisits(r *http.Request) uint64 {
	v, ok := cw.read(r, visitsCookie)
	if !ok {
		return 0
	}
	// ParseUint takes only decimal digits: no sign, no space, no "_".
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > maxVisits {
		return 0
	}
	return n
}

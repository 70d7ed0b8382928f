package visits

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/sessionhttp"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Body is the answer of both routes: {"visits": N}.
type Body struct {
	Visits int64 `json:"visits"`
}

type handlers struct {
	sessions *session.Manager
}

// Register adds the VisitsFunction's routes to mux.
func Register(mux *http.ServeMux, sessions *session.Manager) {
	h := &handlers{sessions: sessions}
	mux.HandleFunc("GET /api/session/visits", h.get)
	mux.HandleFunc("POST /api/session/visits", h.add)
}

// get answers the count; without a session 0, creating nothing.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.sessions.Load(w, r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	var n int64
	if s != nil {
		n = count(s.Data)
	}
	web.WriteJSON(w, http.StatusOK, Body{Visits: n})
}

// add counts one visit (one conditional store write, no read) and answers
// the count after it; a replay of its Idempotency-Key answers the count as
// it is now, marked Idempotent-Replayed. The first visit starts an
// anonymous session.
func (h *handlers) add(w http.ResponseWriter, r *http.Request) {
	idem, err := web.ReadIdempotency(r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	c := session.Change{Ops: []session.Op{addVisit()}, Key: idem.Key, Fingerprint: idem.Fingerprint, Start: true}
	if out, ok := sessionhttp.Change(w, r, h.sessions, c); ok {
		web.WriteJSON(w, http.StatusOK, Body{Visits: count(out.Data)})
	}
}

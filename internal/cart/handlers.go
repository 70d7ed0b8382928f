package cart

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/sessionhttp"
	"github.com/sessionlab/sessionlab/internal/web"
)

type handlers struct {
	sessions *session.Manager
}

// Register adds the CartFunction's routes to mux.
func Register(mux *http.ServeMux, sessions *session.Manager) {
	h := &handlers{sessions: sessions}
	mux.HandleFunc("GET /api/products", h.products)
	mux.HandleFunc("GET /api/cart", h.get)
	mux.HandleFunc("POST /api/cart/items", h.add)
	mux.HandleFunc("PUT /api/cart/items/{sku}", h.set)
	mux.HandleFunc("DELETE /api/cart/items/{sku}", h.remove)
	mux.HandleFunc("DELETE /api/cart", h.clear)
}

func (h *handlers) products(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"products": Catalogue})
}

// get answers the cart; without a session an empty one, creating nothing.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.sessions.Load(w, r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	var data session.Data
	if s != nil {
		data = s.Data
	}
	web.WriteJSON(w, http.StatusOK, NewView(quantities(data)))
}

type addBody struct {
	SKU      *string `json:"sku"`
	Quantity *int    `json:"quantity"`
}

// add adds to a line; the first add starts an anonymous session.
func (h *handlers) add(w http.ResponseWriter, r *http.Request) {
	idem, err := web.ReadIdempotency(r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	var body addBody
	if err := web.DecodeJSON(r, &body); err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	if body.SKU == nil || body.Quantity == nil {
		sessionhttp.Fail(w, r, web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "sku" (a string) and "quantity" (a number).`))
		return
	}
	if _, ok := Lookup(*body.SKU); !ok {
		sessionhttp.Fail(w, r, errUnknownProduct)
		return
	}
	if q := *body.Quantity; q < 1 || q > MaxQuantity {
		sessionhttp.Fail(w, r, errQuantity(1))
		return
	}
	h.change(w, r, idem, addLine(*body.SKU, *body.Quantity), true)
}

type setBody struct {
	Quantity *int `json:"quantity"`
}

// set sets a line's quantity; 0 removes it.
func (h *handlers) set(w http.ResponseWriter, r *http.Request) {
	idem, err := web.ReadIdempotency(r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	var body setBody
	if err := web.DecodeJSON(r, &body); err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	if body.Quantity == nil {
		sessionhttp.Fail(w, r, web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "quantity" (a number).`))
		return
	}
	sku := r.PathValue("sku")
	if _, ok := Lookup(sku); !ok {
		sessionhttp.Fail(w, r, errUnknownProduct)
		return
	}
	if q := *body.Quantity; q < 0 || q > MaxQuantity {
		sessionhttp.Fail(w, r, errQuantity(0))
		return
	}
	h.change(w, r, idem, setLine(sku, *body.Quantity), false)
}

// remove takes a line out of the cart.
func (h *handlers) remove(w http.ResponseWriter, r *http.Request) {
	idem, err := web.ReadIdempotency(r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	if _, ok := Lookup(r.PathValue("sku")); !ok {
		sessionhttp.Fail(w, r, errNotInCart)
		return
	}
	h.change(w, r, idem, setLine(r.PathValue("sku"), 0), false)
}

// change applies op to the request's session (one conditional store write,
// no read) and answers the cart after it; for a replay, the cart as it is
// now, marked Idempotent-Replayed (sessionhttp.Change). start begins a
// session when there is none; otherwise a change without a session is
// not_in_cart.
func (h *handlers) change(w http.ResponseWriter, r *http.Request, idem web.Idempotency, op session.Op, start bool) {
	out, ok := sessionhttp.Change(w, r, h.sessions, session.Change{Ops: []session.Op{op}, Key: idem.Key, Fingerprint: idem.Fingerprint, Start: start})
	switch {
	case !ok:
	case !out.Found:
		sessionhttp.Fail(w, r, errNotInCart)
	default:
		web.WriteJSON(w, http.StatusOK, NewView(quantities(out.Data)))
	}
}

// clear empties the cart: 204, with or without a session.
func (h *handlers) clear(w http.ResponseWriter, r *http.Request) {
	idem, err := web.ReadIdempotency(r)
	if err != nil {
		sessionhttp.Fail(w, r, err)
		return
	}
	if _, ok := sessionhttp.Change(w, r, h.sessions, session.Change{Ops: []session.Op{emptyCart()}, Key: idem.Key, Fingerprint: idem.Fingerprint}); ok {
		web.NoContent(w)
	}
}

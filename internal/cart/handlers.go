package cart

import (
	"errors"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/session"
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

var (
	errUnknownProduct = web.Errorf(http.StatusNotFound, "unknown_product", "There is no product with that sku.")
	errNotInCart      = web.Errorf(http.StatusNotFound, "not_in_cart", "That product is not in your cart.")
	errCartFull       = web.Errorf(http.StatusBadRequest, "cart_full", "A cart holds at most 50 different products.")
)

func errQuantity(lo int) error {
	return web.Errorf(http.StatusBadRequest, "invalid_quantity", "A quantity is a whole number from %d to %d, and a line holds at most %d.", lo, session.MaxQuantity, session.MaxQuantity)
}

// fail answers err: a *web.Error as it is, a store outcome as its contract
// error, anything else as the store being unavailable.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var we *web.Error
	switch {
	case errors.As(err, &we):
		web.WriteError(w, r, err)
	case errors.Is(err, session.ErrQuantity):
		web.WriteError(w, r, errQuantity(1))
	case errors.Is(err, session.ErrCartFull):
		web.WriteError(w, r, errCartFull)
	case errors.Is(err, session.ErrNotInCart):
		web.WriteError(w, r, errNotInCart)
	default:
		web.WriteError(w, r, web.Unavailable(err))
	}
}

func (h *handlers) products(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"products": Catalogue})
}

// get answers the cart; without a session an empty one, creating nothing.
func (h *handlers) get(w http.ResponseWriter, r *http.Request) {
	s, err := h.sessions.Load(w, r)
	if err != nil {
		fail(w, r, err)
		return
	}
	var quantities map[string]int
	if s != nil {
		quantities = s.Cart
	}
	web.WriteJSON(w, http.StatusOK, NewView(quantities))
}

type addBody struct {
	SKU      *string `json:"sku"`
	Quantity *int    `json:"quantity"`
}

// add adds to a line; the first add starts an anonymous session.
func (h *handlers) add(w http.ResponseWriter, r *http.Request) {
	var body addBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return
	}
	if body.SKU == nil || body.Quantity == nil {
		fail(w, r, web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "sku" (a string) and "quantity" (a number).`))
		return
	}
	if _, ok := Lookup(*body.SKU); !ok {
		fail(w, r, errUnknownProduct)
		return
	}
	if q := *body.Quantity; q < 1 || q > session.MaxQuantity {
		fail(w, r, errQuantity(1))
		return
	}
	sku, q := *body.SKU, *body.Quantity
	quantities, found, err := h.change(w, r, func(key string) (map[string]int, bool, error) {
		return h.sessions.Store().AddToCart(r.Context(), key, sku, q, h.sessions.Now())
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	if !found {
		s, err := h.sessions.Start(w, r, session.StartOptions{Cart: map[string]int{sku: q}})
		if err != nil {
			fail(w, r, err)
			return
		}
		quantities = s.Cart
	}
	web.WriteJSON(w, http.StatusOK, NewView(quantities))
}

type setBody struct {
	Quantity *int `json:"quantity"`
}

// set sets a line's quantity; 0 removes it.
func (h *handlers) set(w http.ResponseWriter, r *http.Request) {
	var body setBody
	if err := web.DecodeJSON(r, &body); err != nil {
		fail(w, r, err)
		return
	}
	if body.Quantity == nil {
		fail(w, r, web.Errorf(http.StatusBadRequest, "invalid_json", `The body needs "quantity" (a number).`))
		return
	}
	sku := r.PathValue("sku")
	if _, ok := Lookup(sku); !ok {
		fail(w, r, errUnknownProduct)
		return
	}
	if q := *body.Quantity; q < 0 || q > session.MaxQuantity {
		fail(w, r, errQuantity(0))
		return
	}
	h.setLine(w, r, sku, *body.Quantity)
}

// remove takes a line out of the cart.
func (h *handlers) remove(w http.ResponseWriter, r *http.Request) {
	if _, ok := Lookup(r.PathValue("sku")); !ok {
		fail(w, r, errNotInCart)
		return
	}
	h.setLine(w, r, r.PathValue("sku"), 0)
}

func (h *handlers) setLine(w http.ResponseWriter, r *http.Request, sku string, q int) {
	quantities, found, err := h.change(w, r, func(key string) (map[string]int, bool, error) {
		return h.sessions.Store().SetCartQuantity(r.Context(), key, sku, q, h.sessions.Now())
	})
	switch {
	case err != nil:
		fail(w, r, err)
	case !found:
		fail(w, r, errNotInCart)
	default:
		web.WriteJSON(w, http.StatusOK, NewView(quantities))
	}
}

// clear empties the cart: 204, with or without a session.
func (h *handlers) clear(w http.ResponseWriter, r *http.Request) {
	_, _, err := h.change(w, r, func(key string) (map[string]int, bool, error) {
		found, err := h.sessions.Store().ClearCart(r.Context(), key, h.sessions.Now())
		return nil, found, err
	})
	if err != nil {
		fail(w, r, err)
		return
	}
	web.NoContent(w)
}

// change runs one atomic store call on the request's session, found by its
// signed cookie without reading the store first. found is false when the
// request has no live session (its stale cookie is then expired). A cookie
// signed under an older key goes through Load first, which re-issues it.
func (h *handlers) change(w http.ResponseWriter, r *http.Request, call func(key string) (map[string]int, bool, error)) (map[string]int, bool, error) {
	key, reissue, ok := h.sessions.CookieKey(w, r)
	if !ok {
		return nil, false, nil
	}
	if reissue {
		s, err := h.sessions.Load(w, r)
		if err != nil || s == nil {
			return nil, false, err
		}
	}
	quantities, found, err := call(key)
	if err == nil && !found {
		h.sessions.Ended(w, r, key)
	}
	return quantities, found, err
}

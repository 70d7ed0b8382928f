package cart

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/web"
)

// The cart's name in the session's data, and its limits. The session layer
// knows none of them: they travel with each op.
const (
	// DataName is the session data map that holds the cart: SKU → quantity.
	DataName = "cart"
	// MaxQuantity is the largest quantity of one line.
	MaxQuantity = 99
	// MaxLines is the largest number of distinct SKUs in a cart.
	MaxLines = 50
)

// The cart's refusals, answered as they are.
var (
	errUnknownProduct = web.Errorf(http.StatusNotFound, "unknown_product", "There is no product with that sku.")
	errNotInCart      = web.Errorf(http.StatusNotFound, "not_in_cart", "That product is not in your cart.")
	errCartFull       = web.Errorf(http.StatusBadRequest, "cart_full", "A cart holds at most %d different products.", MaxLines)
)

// errQuantity is invalid_quantity for quantities from lo to MaxQuantity.
func errQuantity(lo int) *web.Error {
	return web.Errorf(http.StatusBadRequest, "invalid_quantity", "A quantity is a whole number from %d to %d, and a line holds at most %d.", lo, MaxQuantity, MaxQuantity)
}

// addLine adds q of sku: a line stays within 1–MaxQuantity, a new line
// needs fewer than MaxLines.
func addLine(sku string, q int) session.Op {
	return session.AddToEntry{Map: DataName, Entry: sku, Delta: int64(q),
		Range: session.Range{Min: 1, Max: MaxQuantity, Err: errQuantity(1)}, MaxEntries: MaxLines, ErrFull: errCartFull}
}

// setLine sets the line sku, which must be there, to q; 0 removes it.
func setLine(sku string, q int) session.Op {
	if q == 0 {
		return session.RemoveEntry{Map: DataName, Entry: sku, ErrMissing: errNotInCart}
	}
	return session.SetEntry{Map: DataName, Entry: sku, Value: int64(q),
		Range: session.Range{Min: 1, Max: MaxQuantity, Err: errQuantity(0)}, MustExist: true, ErrMissing: errNotInCart}
}

// emptyCart removes every line.
func emptyCart() session.Op { return session.ClearMap{Map: DataName} }

// quantities is the cart in a session's data.
func quantities(d session.Data) map[string]int64 { return d.Maps[DataName] }

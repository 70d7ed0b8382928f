// Package cart is the CartFunction: a fixed product catalogue and a cart
// kept in the server-side session's data (the map "cart", SKU → quantity).
// The cart owns its name, limits and errors (lines.go) and changes the
// data only through session.Manager.Change: every change is one atomic,
// conditional store write, with no read first, so two tabs changing one
// cart at once never lose an update, and a change sent again with its
// Idempotency-Key (or retried by the store client) is applied once.
package cart

// Product is an item of the catalogue. Prices are in cents.
type Product struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int    `json:"priceCents"`
	Currency   string `json:"currency"`
}

// Currency is the one currency of the catalogue.
const Currency = "EUR"

// Catalogue is the fixed list of products, compiled into the function.
var Catalogue = []Product{
	{SKU: "tea-sencha", Name: "Sencha green tea, 100 g", PriceCents: 850, Currency: Currency},
	{SKU: "tea-assam", Name: "Assam black tea, 100 g", PriceCents: 690, Currency: Currency},
	{SKU: "mug-stoneware", Name: "Stoneware mug", PriceCents: 1400, Currency: Currency},
	{SKU: "teapot-glass", Name: "Glass teapot, 0.8 l", PriceCents: 2900, Currency: Currency},
	{SKU: "honey-acacia", Name: "Acacia honey, 250 g", PriceCents: 760, Currency: Currency},
	{SKU: "biscuits-oat", Name: "Oat biscuits, 200 g", PriceCents: 420, Currency: Currency},
}

var bySKU = func() map[string]Product {
	m := make(map[string]Product, len(Catalogue))
	for _, p := range Catalogue {
		m[p.SKU] = p
	}
	return m
}()

// Lookup returns the product with sku.
func Lookup(sku string) (Product, bool) {
	p, ok := bySKU[sku]
	return p, ok
}

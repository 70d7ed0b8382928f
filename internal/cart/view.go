package cart

// Line is one line of the cart as the API shows it.
type Line struct {
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	PriceCents     int    `json:"priceCents"`
	LineTotalCents int    `json:"lineTotalCents"`
}

// View is the contract's cart body.
type View struct {
	Items      []Line `json:"items"`
	Count      int    `json:"count"`
	TotalCents int    `json:"totalCents"`
	Currency   string `json:"currency"`
}

// NewView shows quantities (sku → quantity) in catalogue order. A SKU that
// is no longer in the catalogue is left out.
func NewView(quantities map[string]int64) View {
	v := View{Items: []Line{}, Currency: Currency}
	for _, p := range Catalogue {
		q := int(quantities[p.SKU])
		if q <= 0 {
			continue
		}
		line := Line{SKU: p.SKU, Name: p.Name, Quantity: q, PriceCents: p.PriceCents, LineTotalCents: q * p.PriceCents}
		v.Items = append(v.Items, line)
		v.Count += q
		v.TotalCents += line.LineTotalCents
	}
	return v
}

package loadtest

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Kind is what a logged request did to the cart.
type Kind int

// The kinds of logged requests.
const (
	Read   Kind = iota // GET /api/cart: shows the cart, changes nothing
	Add                // POST /api/cart/items {SKU, Qty}
	Set                // PUT /api/cart/items/{SKU} {Qty} (0 removes)
	Remove             // DELETE /api/cart/items/{SKU}
	Clear              // DELETE /api/cart
	Logout             // POST /api/logout: the session and its cart are gone
	Login              // POST /api/register or /api/login: a new session that carries the cart over
)

var kindNames = [...]string{"read", "add", "set", "remove", "clear", "logout", "login"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Outcome is how the check counts a response.
type Outcome int

// The outcomes of a request.
const (
	// Acked: a 2xx; the change was applied.
	Acked Outcome = iota
	// Refused: a 4xx, or a 503 from a store that was already down; nothing
	// was applied (a 4xx's code may say something about the cart).
	Refused
	// Unknown: no response, another 5xx, or a 503 to a request that was in
	// flight when the store was stopped; the change may or may not have
	// been applied.
	Unknown
)

var outcomeNames = [...]string{"acked", "refused", "unknown"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Event is one entry of a client's log: a request that could change or
// show its cart, and what came back.
type Event struct {
	Kind   Kind
	SKU    string
	Qty    int
	Status int    // 0 when no response came (transport error)
	Code   string // the error code of a 4xx/5xx body
	Start  time.Time
	End    time.Time
	// Cart is the cart shown by a 2xx body (sku → quantity), nil when the
	// body holds none.
	Cart map[string]int
}

func (e Event) String() string {
	s := e.Kind.String()
	if e.SKU != "" {
		s += " " + e.SKU
	}
	if e.Kind == Add || e.Kind == Set {
		s += fmt.Sprintf(" %d", e.Qty)
	}
	return fmt.Sprintf("%s → %d %s", s, e.Status, e.Code)
}

// Classifier tells the outcome of a logged request.
type Classifier func(Event) Outcome

// Provisional is the classifier a client uses while it runs: any 5xx and
// any missing response are unknown. The final check uses the fault
// timeline's (Timeline.Classify), which knows which 503s came from a store
// that was already down.
func Provisional(e Event) Outcome {
	switch {
	case e.Status >= 200 && e.Status < 300:
		return Acked
	case e.Status >= 400 && e.Status < 500:
		return Refused
	default:
		return Unknown
	}
}

// Ownership says which SKUs of a shared cart one client may change.
type Ownership struct {
	// Owned SKUs are changed by this client alone, in any way.
	Owned []string
	// Shared is a SKU that this client and the other tabs of its session
	// only ever add to, so their adds commute ("" for none).
	Shared string
}

// Expectation is what a client's log says its part of the cart holds.
type Expectation struct {
	Ownership
	// Lines holds, per owned SKU, the quantities the line may hold.
	Lines map[string]QtySet
	// SharedAcked is the sum of this client's acknowledged adds to the
	// shared SKU; SharedUnknown lists its adds of unknown outcome.
	SharedAcked   int
	SharedUnknown []int
	// Anomalies are answers the log cannot explain, found while folding
	// (the server showed or refused something it should not have).
	Anomalies []string
	// Unknown counts the logged changes of unknown outcome.
	Unknown int
}

// NewExpectation is the expectation of an empty cart.
func NewExpectation(own Ownership) *Expectation {
	e := &Expectation{Ownership: own, Lines: map[string]QtySet{}}
	for _, sku := range own.Owned {
		e.Lines[sku] = Only(0)
	}
	return e
}

// Fold replays a log into the expectation of a cart that began empty.
func Fold(own Ownership, log []Event, classify Classifier) *Expectation {
	e := NewExpectation(own)
	for _, ev := range log {
		e.Apply(ev, classify(ev))
	}
	return e
}

func (e *Expectation) owns(sku string) bool { return slices.Contains(e.Owned, sku) }

func (e *Expectation) anomaly(ev Event, format string, args ...any) {
	e.Anomalies = append(e.Anomalies, fmt.Sprintf("%s: ", ev)+fmt.Sprintf(format, args...))
}

// Apply folds one logged request, with outcome o, into e.
func (e *Expectation) Apply(ev Event, o Outcome) {
	if o == Unknown && ev.Kind != Read {
		e.Unknown++
	}
	switch ev.Kind {
	case Add:
		e.applyAdd(ev, o)
	case Set, Remove:
		q := ev.Qty
		if ev.Kind == Remove {
			q = 0
		}
		e.applySet(ev, q, o)
	case Clear, Logout:
		e.applyAll(ev, o, o == Acked)
	case Login:
		// Acked or refused: the cart is carried over or untouched. Unknown:
		// the old session may be gone with the cookie.
		e.applyAll(ev, o, false)
	}
	if o == Acked && ev.Cart != nil {
		e.observe(ev)
	}
}

func (e *Expectation) applyAdd(ev Event, o Outcome) {
	if ev.SKU == e.Shared && e.Shared != "" {
		switch o {
		case Acked:
			e.SharedAcked += ev.Qty
		case Unknown:
			e.SharedUnknown = append(e.SharedUnknown, ev.Qty)
		}
		return
	}
	if !e.owns(ev.SKU) {
		e.anomaly(ev, "the client changed a SKU it does not own")
		return
	}
	s := e.Lines[ev.SKU]
	switch {
	case o == Acked:
		next := s.Plus(ev.Qty)
		if next.Empty() {
			e.anomaly(ev, "accepted, but the line may only hold %v, so it would pass %d", s, MaxQuantity)
			next = s // the observation that follows (if any) settles it
		}
		e.Lines[ev.SKU] = next
	case o == Refused && ev.Code == "invalid_quantity":
		next := s.Filter(func(x int) bool { return x+ev.Qty > MaxQuantity })
		if next.Empty() {
			e.anomaly(ev, "refused as passing %d, but the line may only hold %v", MaxQuantity, s)
			next = s
		}
		e.Lines[ev.SKU] = next
	case o == Unknown:
		e.Lines[ev.SKU] = s.Union(s.Plus(ev.Qty))
	}
}

func (e *Expectation) applySet(ev Event, q int, o Outcome) {
	if !e.owns(ev.SKU) {
		e.anomaly(ev, "the client changed a SKU it does not own")
		return
	}
	s := e.Lines[ev.SKU]
	present := !s.Filter(func(x int) bool { return x > 0 }).Empty()
	switch {
	case o == Acked:
		if !present {
			e.anomaly(ev, "accepted, but the line may only hold %v (not in the cart)", s)
		}
		e.Lines[ev.SKU] = Only(q)
	case o == Refused && ev.Code == "not_in_cart":
		if !s.Has(0) {
			e.anomaly(ev, "refused as not in the cart, but the line holds %v", s)
		}
		e.Lines[ev.SKU] = Only(0)
	case o == Unknown && present:
		e.Lines[ev.SKU] = s.Union(Only(q))
	}
}

// applyAll handles a change to every line: emptied when acked and empties,
// possibly emptied when unknown.
func (e *Expectation) applyAll(ev Event, o Outcome, empties bool) {
	for sku, s := range e.Lines {
		switch {
		case empties:
			e.Lines[sku] = Only(0)
		case o == Unknown:
			e.Lines[sku] = s.Union(Only(0))
		}
	}
	if e.Shared != "" && (empties || o == Unknown) {
		e.anomaly(ev, "a client with a shared SKU must not clear, log out or log in")
	}
}

// observe checks the cart a 2xx showed against e and narrows e to it: the
// owned lines change only through this client, so the body is their state.
func (e *Expectation) observe(ev Event) {
	for _, sku := range e.Owned {
		got, s := ev.Cart[sku], e.Lines[sku]
		if !s.Has(got) {
			e.anomaly(ev, "the server showed %s=%d, the log allows %v", sku, got, s)
		}
		e.Lines[sku] = Only(got)
	}
	if e.Shared != "" && ev.Cart[e.Shared] < e.SharedAcked {
		e.anomaly(ev, "the server showed %s=%d, below this client's %d acknowledged adds",
			e.Shared, ev.Cart[e.Shared], e.SharedAcked)
	}
}

// Ambiguous counts the lines whose final quantity the log cannot pin down,
// because of changes of unknown outcome.
func (e *Expectation) Ambiguous() int {
	n := 0
	for _, s := range e.Lines {
		if s.Len() > 1 {
			n++
		}
	}
	if len(e.SharedUnknown) > 0 {
		n++
	}
	return n
}

// Mismatch is a cart line at the end that the logs do not allow.
type Mismatch struct {
	SKU  string
	Got  int
	Want QtySet
	// Lost and Extra are the units below the smallest or above the largest
	// quantity allowed.
	Lost, Extra int
}

func (m Mismatch) String() string {
	return fmt.Sprintf("%s: got %d, the logs allow %v (lost %d, extra %d)", m.SKU, m.Got, m.Want, m.Lost, m.Extra)
}

// CheckCart compares a cart read at the end with the expectations of the
// clients that shared its session. Every SKU in the cart or expected must
// be accounted for: each owned line holds one of its allowed quantities, the
// shared line holds the sum of the acknowledged adds plus some subset of the
// unknown ones, and nothing else is in the cart.
func CheckCart(cart map[string]int, members []*Expectation) []Mismatch {
	var out []Mismatch
	seen := map[string]bool{}
	shared, acked, unknown := "", 0, []int(nil)
	for _, m := range members {
		for sku, want := range m.Lines {
			seen[sku] = true
			if got := cart[sku]; !want.Has(got) {
				out = append(out, mismatch(sku, got, want))
			}
		}
		if m.Shared != "" {
			shared = m.Shared
			acked += m.SharedAcked
			unknown = append(unknown, m.SharedUnknown...)
		}
	}
	if shared != "" {
		seen[shared] = true
		want := SubsetSums(unknown).Plus(acked)
		if acked > MaxQuantity {
			want = QtySet{} // acknowledged past the cap: nothing is right
		}
		if got := cart[shared]; !want.Has(got) {
			m := mismatch(shared, got, want)
			if want.Empty() {
				m.Extra = acked - MaxQuantity
			}
			out = append(out, m)
		}
	}
	for sku, got := range cart {
		if !seen[sku] && got != 0 {
			out = append(out, Mismatch{SKU: sku, Got: got, Want: Only(0), Extra: got})
		}
	}
	slices.SortFunc(out, func(a, b Mismatch) int { return cmp.Compare(a.SKU, b.SKU) })
	return out
}

func mismatch(sku string, got int, want QtySet) Mismatch {
	m := Mismatch{SKU: sku, Got: got, Want: want}
	switch {
	case want.Empty():
	case got < want.Min():
		m.Lost = want.Min() - got
	case got > want.Max():
		m.Extra = got - want.Max()
	}
	return m
}

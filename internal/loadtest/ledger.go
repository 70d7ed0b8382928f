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
	// Epoch is the period of a tab group between two resets of its shared
	// line (0 for a client alone).
	Epoch int
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
	s = fmt.Sprintf("%s → %d", s, e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if !e.Start.IsZero() {
		s += fmt.Sprintf(" in %v", e.End.Sub(e.Start).Round(time.Millisecond))
	}
	return s
}

// Verdict is how the check counts one logged request.
type Verdict struct {
	Outcome Outcome
	// Retried: the answer took longer than the store's attempt timeout, so
	// the server's SDK may have retried a write whose first attempt had
	// been applied (docs/dynamodb.md); such an add may count up to Attempts
	// times, and such a remove may answer 404 although it removed the line.
	Retried bool
	// Attempts is how often the server's SDK tries one store call.
	Attempts int
}

// Classifier tells the verdict on a logged request.
type Classifier func(Event) Verdict

// Judge classifies logged requests.
type Judge struct {
	// Times is the fault timeline (zero: no fault).
	Times Times
	// Final: the run is over and Times complete. Until then every 503 is
	// unknown; after, a 503 is a refusal (nothing applied, as the contract
	// says) unless its request was in flight when the store was stopped or
	// may have been retried.
	Final bool
	// AttemptTimeout and Attempts are the bounds of the server's store
	// calls (dynamoclient); 0 for a store that never retries (memory).
	AttemptTimeout time.Duration
	Attempts       int
}

// Classify is the verdict on e.
func (j Judge) Classify(e Event) Verdict {
	v := Verdict{Attempts: max(j.Attempts, 1)}
	v.Retried = j.AttemptTimeout > 0 && v.Attempts > 1 && e.End.Sub(e.Start) >= j.AttemptTimeout
	switch {
	case e.Status >= 200 && e.Status < 300:
		v.Outcome = Acked
	case e.Status >= 400 && e.Status < 500:
		v.Outcome = Refused
	case e.Status == 503 && j.Final && !v.Retried && !j.Times.InFlightAtKill(e.Start, e.End):
		v.Outcome = Refused
	default:
		v.Outcome = Unknown
	}
	return v
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
	// Shared holds this client's adds to the shared SKU, by epoch.
	SharedAdds map[int]*SharedPart
	// Anomalies are answers the log cannot explain, found while folding
	// (the server showed or refused something it should not have).
	Anomalies []string
	// Unknown counts the logged changes of unknown outcome.
	Unknown int
	// Repeated counts the answers that show a write applied again by the
	// server's retry (see Verdict.Retried).
	Repeated int
	// UnknownApplied and UnknownNotApplied count the changes of unknown
	// outcome that a later answer showed applied or not applied;
	// AppliedSeen describes the first few applied ones.
	UnknownApplied, UnknownNotApplied int
	AppliedSeen                       []string
	// repeat holds, per owned line, the quantities only a repeated write
	// explains, until the line changes again.
	repeat map[string]QtySet
	// pending holds, per owned line, what would show whether its last
	// change of unknown outcome was applied.
	pending map[string]pending
}

// pending tells apart the outcomes of a change of unknown outcome (ev):
// the quantities the line may hold only if it was applied, or only if not.
type pending struct {
	ev                  Event
	applied, notApplied QtySet
}

// SharedPart is one client's adds to the shared line in one epoch: the sum
// of the acknowledged ones and the quantities of those of unknown outcome.
type SharedPart struct {
	Acked   int
	Unknown []int
}

// NewExpectation is the expectation of an empty cart.
func NewExpectation(own Ownership) *Expectation {
	e := &Expectation{Ownership: own, Lines: map[string]QtySet{}, SharedAdds: map[int]*SharedPart{}, repeat: map[string]QtySet{}, pending: map[string]pending{}}
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

// Apply folds one logged request, with verdict v, into e.
func (e *Expectation) Apply(ev Event, v Verdict) {
	o := v.Outcome
	if o == Unknown && ev.Kind != Read {
		e.Unknown++
	}
	if ev.Kind != Read {
		delete(e.repeat, ev.SKU)
	}
	before := e.Lines[ev.SKU]
	switch ev.Kind {
	case Add:
		e.applyAdd(ev, v)
	case Set, Remove:
		q := ev.Qty
		if ev.Kind == Remove {
			q = 0
		}
		e.applySet(ev, q, v)
	case Clear, Logout:
		e.applyAll(ev, o, o == Acked)
	case Login:
		// Acked or refused: the cart is carried over or untouched. Unknown:
		// the old session may be gone with the cookie.
		e.applyAll(ev, o, false)
	}
	e.track(ev, v, before)
	if o == Acked && ev.Cart != nil {
		e.observe(ev)
	}
}

// track carries the pending marker of ev's line through ev: a refusal keeps
// it (narrowed to what the line may hold now), a plain acknowledged add
// shifts it, anything else ends it; a change of unknown outcome starts one
// when its two outcomes leave the line in different states.
func (e *Expectation) track(ev Event, v Verdict, before QtySet) {
	if ev.Kind == Read || !e.owns(ev.SKU) {
		if ev.Kind != Read && ev.SKU == "" {
			clear(e.pending)
		}
		return
	}
	sku, now := ev.SKU, e.Lines[ev.SKU]
	p, ok := e.pending[sku]
	delete(e.pending, sku)
	switch {
	case v.Outcome == Unknown:
		applied := appliedSet(ev, v, before)
		p = pending{
			ev:         ev,
			applied:    applied.Filter(func(x int) bool { return !before.Has(x) }),
			notApplied: before.Filter(func(x int) bool { return !applied.Has(x) }),
		}
		if p.applied.Empty() || p.notApplied.Empty() {
			return // no answer could tell the outcomes apart
		}
	case !ok:
		return
	case v.Outcome == Refused:
	case v.Outcome == Acked && ev.Kind == Add && !v.Retried:
		p.applied, p.notApplied = p.applied.Plus(ev.Qty), p.notApplied.Plus(ev.Qty)
	default:
		return
	}
	in := func(x int) bool { return now.Has(x) }
	p.applied, p.notApplied = p.applied.Filter(in), p.notApplied.Filter(in)
	switch {
	case p.applied.Empty() && p.notApplied.Empty():
	case p.applied.Empty():
		e.UnknownNotApplied++
	case p.notApplied.Empty():
		e.seenApplied(p.ev)
	default:
		e.pending[sku] = p
	}
}

// appliedSet is what the line holds if ev (of unknown outcome) was applied.
func appliedSet(ev Event, v Verdict, before QtySet) QtySet {
	var out QtySet
	switch ev.Kind {
	case Add:
		_, hi := applications(v)
		for n := 1; n <= hi; n++ {
			out = out.Union(before.Plus(n * ev.Qty))
		}
	case Set:
		if before.Max() > 0 {
			out = Only(ev.Qty)
		}
	case Remove:
		out = Only(0)
	}
	return out
}

func (e *Expectation) seenApplied(ev Event) {
	e.UnknownApplied++
	if len(e.AppliedSeen) < 3 {
		e.AppliedSeen = append(e.AppliedSeen, ev.String())
	}
}

// resolve settles the pending marker of sku with the quantity seen.
func (e *Expectation) resolve(sku string, got int) {
	p, ok := e.pending[sku]
	if !ok {
		return
	}
	delete(e.pending, sku)
	switch {
	case p.applied.Has(got):
		e.seenApplied(p.ev)
	case p.notApplied.Has(got):
		e.UnknownNotApplied++
	}
}

func (e *Expectation) part(epoch int) *SharedPart {
	p := e.SharedAdds[epoch]
	if p == nil {
		p = &SharedPart{}
		e.SharedAdds[epoch] = p
	}
	return p
}

// applications is how often an add may have been applied: lo to hi times.
func applications(v Verdict) (lo, hi int) {
	hi = 1
	if v.Retried {
		hi = v.Attempts
	}
	switch v.Outcome {
	case Acked:
		return 1, hi
	case Unknown:
		return 0, hi
	}
	return 0, hi - 1 // refused: every application but the last one
}

func (e *Expectation) applyAdd(ev Event, v Verdict) {
	o, q := v.Outcome, ev.Qty
	lo, hi := applications(v)
	if ev.SKU == e.Shared && e.Shared != "" {
		if o == Refused && ev.Code != "invalid_quantity" {
			return
		}
		p := e.part(ev.Epoch)
		if lo == 1 {
			p.Acked += q
		}
		for n := lo; n < hi; n++ {
			p.Unknown = append(p.Unknown, q)
		}
		return
	}
	if !e.owns(ev.SKU) {
		e.anomaly(ev, "the client changed a SKU it does not own")
		return
	}
	if o == Refused && ev.Code != "invalid_quantity" {
		return
	}
	s := e.Lines[ev.SKU]
	// after(n) is the line after n applications; a refusal at the cap
	// means the next one would have passed it.
	after := func(n int) QtySet {
		x := s.Plus(n * q)
		if o == Refused {
			x = x.Filter(func(y int) bool { return y+q > MaxQuantity })
		}
		return x
	}
	var next, once QtySet
	for n := lo; n <= hi; n++ {
		next = next.Union(after(n))
		if n <= 1 {
			once = once.Union(after(n))
		}
	}
	if next.Empty() {
		if o == Acked {
			e.anomaly(ev, "accepted, but the line may only hold %v, so it would pass %d", s, MaxQuantity)
		} else {
			e.anomaly(ev, "refused as passing %d, but the line may only hold %v", MaxQuantity, s)
		}
		next = s // the observation that follows (if any) settles it
	}
	if only := next.Filter(func(y int) bool { return !once.Has(y) }); !only.Empty() {
		e.repeat[ev.SKU] = only
	}
	e.Lines[ev.SKU] = next
}

func (e *Expectation) applySet(ev Event, q int, v Verdict) {
	if !e.owns(ev.SKU) {
		e.anomaly(ev, "the client changed a SKU it does not own")
		return
	}
	s := e.Lines[ev.SKU]
	present := !s.Filter(func(x int) bool { return x > 0 }).Empty()
	switch o := v.Outcome; {
	case o == Acked:
		if !present {
			e.anomaly(ev, "accepted, but the line may only hold %v (not in the cart)", s)
		}
		e.Lines[ev.SKU] = Only(q)
	case o == Refused && ev.Code == "not_in_cart":
		switch {
		case s.Has(0):
		case v.Retried && q == 0:
			e.Repeated++ // the first attempt removed it; the retry found nothing
		default:
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
	clear(e.repeat)
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
		e.countRepeat(sku, got)
		e.resolve(sku, got)
	}
	if p := e.SharedAdds[ev.Epoch]; e.Shared != "" && p != nil && ev.Cart[e.Shared] < p.Acked {
		e.anomaly(ev, "the server showed %s=%d, below this client's %d acknowledged adds since the last reset",
			e.Shared, ev.Cart[e.Shared], p.Acked)
	}
}

// countRepeat counts a line seen at a quantity only a repeated write
// explains, once.
func (e *Expectation) countRepeat(sku string, got int) {
	if e.repeat[sku].Has(got) {
		e.Repeated++
	}
	delete(e.repeat, sku)
}

// Settle counts the repeated writes and the outcomes of unknown changes
// the final cart shows.
func (e *Expectation) Settle(cart map[string]int) {
	for _, sku := range e.Owned {
		e.countRepeat(sku, cart[sku])
		e.resolve(sku, cart[sku])
	}
}

// Ambiguous counts the owned lines whose final quantity the log cannot pin
// down, because of changes of unknown outcome (FoldShared tells for the
// shared line).
func (e *Expectation) Ambiguous() int {
	n := 0
	for _, s := range e.Lines {
		if s.Len() > 1 {
			n++
		}
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

// SharedLine is what the logs of a tab group allow its shared line to hold.
type SharedLine struct {
	SKU     string
	Allowed QtySet
}

// FoldShared chains the epochs of a tab group's shared line: in each, the
// tabs' adds (the acknowledged ones and any subset of the unknown ones) go
// on top of what the line held; resets[k], the removal of the line that ends
// epoch k while no tab runs, then empties it (acked), leaves it (refused) or
// may do either (unknown).
func FoldShared(sku string, members []*Expectation, resets []Event, classify Classifier) (SharedLine, []string) {
	var anomalies []string
	last := len(resets)
	for _, m := range members {
		for k := range m.SharedAdds {
			last = max(last, k)
		}
	}
	s := Only(0)
	for k := 0; k <= last; k++ {
		acked, unknown := 0, []int(nil)
		for _, m := range members {
			if p := m.SharedAdds[k]; p != nil {
				acked += p.Acked
				unknown = append(unknown, p.Unknown...)
			}
		}
		added := SubsetSums(unknown).Plus(acked)
		if acked > MaxQuantity || s.Sum(added).Empty() {
			anomalies = append(anomalies, fmt.Sprintf("epoch %d: %d acknowledged adds to %s on a line holding %v pass %d", k, acked, sku, s, MaxQuantity))
		}
		s = s.Sum(added)
		if k >= len(resets) {
			continue
		}
		switch r, v := resets[k], classify(resets[k]); {
		case v.Outcome == Acked:
			s = Only(0)
		case v.Outcome == Unknown:
			s = s.Union(Only(0))
		case r.Code == "not_in_cart":
			if !s.Has(0) && !v.Retried {
				anomalies = append(anomalies, fmt.Sprintf("%s: refused as not in the cart, but the line holds %v", r, s))
			}
			s = Only(0)
		}
	}
	return SharedLine{SKU: sku, Allowed: s}, anomalies
}

// CheckCart compares a cart read at the end with the expectations of the
// clients that shared its session, and with what their shared line may hold
// (nil for a client alone). Every SKU in the cart or expected must be
// accounted for, and nothing else may be in the cart.
func CheckCart(cart map[string]int, members []*Expectation, shared *SharedLine) []Mismatch {
	var out []Mismatch
	seen := map[string]bool{}
	for _, m := range members {
		for sku, want := range m.Lines {
			seen[sku] = true
			if got := cart[sku]; !want.Has(got) {
				out = append(out, mismatch(sku, got, want))
			}
		}
	}
	if shared != nil {
		seen[shared.SKU] = true
		if got := cart[shared.SKU]; !shared.Allowed.Has(got) {
			out = append(out, mismatch(shared.SKU, got, shared.Allowed))
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

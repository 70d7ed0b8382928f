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

// Event is one entry of a client's log: a request that could change or
// show its cart, and what came back. A change may be sent more than once
// with its key (retries, a double send); the answer is the last attempt
// (for a double send, the twin that ended last), and Earlier holds the
// others.
type Event struct {
	Kind Kind
	SKU  string
	Qty  int
	// Key is the change's Idempotency-Key, "" when it was sent without one.
	Key string
	// The answer: status (0 when no response came), error code, whether it
	// was a replay (Idempotent-Replayed: true), and when it ran.
	Status   int
	Code     string
	Replayed bool
	Start    time.Time
	End      time.Time
	// Earlier are the attempts before the answer, oldest first.
	Earlier []Attempt
	// Twin: the change was first sent twice at once; Earlier[0] is the
	// twin of the answer or of its first retry.
	Twin bool
	// Turnover counts the changes other clients of the session had
	// acknowledged while this one was being retried (filled in before the
	// final check): past RingKeys, its key may have left the ring.
	Turnover int
	// Epoch is the period of a tab group between two resets of its shared
	// line (0 for a client alone).
	Epoch int
	// Cart is the cart shown by a 2xx body (sku → quantity), nil when the
	// body holds none.
	Cart map[string]int
}

// Answer is e's last attempt.
func (e Event) Answer() Attempt {
	return Attempt{Status: e.Status, Code: e.Code, Replayed: e.Replayed, Start: e.Start, End: e.End}
}

// Attempts lists every send of e, the answer last.
func (e Event) Attempts() []Attempt {
	return append(e.Earlier[:len(e.Earlier):len(e.Earlier)], e.Answer())
}

// First is when e's first attempt began.
func (e Event) First() time.Time {
	if len(e.Earlier) > 0 {
		return e.Earlier[0].Start
	}
	return e.Start
}

func (e Event) String() string {
	s := e.Kind.String()
	if e.SKU != "" {
		s += " " + e.SKU
	}
	if e.Kind == Add || e.Kind == Set {
		s += fmt.Sprintf(" %d", e.Qty)
	}
	if e.Key == "" && e.Kind != Read && e.Kind != Login && e.Kind != Logout {
		s += " (no key)"
	}
	for _, a := range e.Attempts() {
		s += " → " + a.String()
	}
	return s
}

// Schedule lists e's attempts with when each began after began, so that
// the gaps between them (backoff, Retry-After, the pacer's queue) show.
func (e Event) Schedule(began time.Time) string {
	s := e.Kind.String()
	if e.SKU != "" {
		s += " " + e.SKU
	}
	for i, a := range e.Attempts() {
		sep := ": "
		if i > 0 {
			sep = ", "
		}
		s += fmt.Sprintf("%s+%v %v", sep, a.Start.Sub(began).Round(time.Millisecond), a)
	}
	return s
}

func (a Attempt) String() string {
	s := fmt.Sprint(a.Status)
	if a.Status == 0 {
		s = "no answer"
	}
	if a.Code != "" {
		s += " " + a.Code
	}
	if a.Replayed {
		s += " replayed"
	}
	if !a.Start.IsZero() {
		s += fmt.Sprintf(" in %v", a.End.Sub(a.Start).Round(time.Millisecond))
	}
	return s
}

// Classifier tells the verdict on a logged request.
type Classifier func(Event) Verdict

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
	// Mismatches are the 2xx bodies that showed a line the log does not
	// allow (lost or extra units), found while folding.
	Mismatches []Mismatch
	// Anomalies are other answers the log cannot explain (the server
	// refused something it should not have, or its answers contradict the
	// idempotency contract).
	Anomalies []string
	// Unknown counts the logged changes of unknown outcome.
	Unknown int
	// Twice counts the answers that show a change applied twice whose key
	// may have left the ring (see Verdict.Forgotten).
	Twice int
	// UnknownApplied and UnknownNotApplied count the changes of unknown
	// outcome that a later answer showed applied or not applied;
	// AppliedSeen describes the first few applied ones.
	UnknownApplied, UnknownNotApplied int
	AppliedSeen                       []string
	// repeat holds, per owned line, the quantities only a second
	// application explains, until the line changes again.
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
	if v.Problem != "" {
		e.anomaly(ev, "%s", v.Problem)
	}
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
// it (narrowed to what the line may hold now), an add applied exactly once
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
	case v.Outcome == Refused && v.Max == 0:
	case v.Outcome == Acked && ev.Kind == Add && v.Max == 1:
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
		for n := 1; n <= v.Max; n++ {
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

// applyAdd folds an add applied v.Min to v.Max times.
func (e *Expectation) applyAdd(ev Event, v Verdict) {
	o, q := v.Outcome, ev.Qty
	if ev.SKU == e.Shared && e.Shared != "" {
		p := e.part(ev.Epoch)
		p.Acked += v.Min * q
		for n := v.Min; n < v.Max; n++ {
			p.Unknown = append(p.Unknown, q)
		}
		return
	}
	if !e.owns(ev.SKU) {
		e.anomaly(ev, "the client changed a SKU it does not own")
		return
	}
	capped := o == Refused && ev.Code == "invalid_quantity"
	if o == Refused && !capped && v.Max == 0 {
		return
	}
	s := e.Lines[ev.SKU]
	// after(n) is the line after n applications; a refusal at the cap
	// means the next one would have passed it.
	after := func(n int) QtySet {
		x := s.Plus(n * q)
		if capped {
			x = x.Filter(func(y int) bool { return y+q > MaxQuantity })
		}
		return x
	}
	var next, once QtySet
	for n := v.Min; n <= v.Max; n++ {
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
		case v.Max > 0 && q == 0:
			e.Twice++ // an earlier attempt removed it; the retry, its key forgotten, found nothing
		default:
			e.anomaly(ev, "refused as not in the cart, but the line holds %v", s)
		}
		e.Lines[ev.SKU] = Only(0)
	case v.Max > 0 && present:
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
			e.Mismatches = append(e.Mismatches, mismatch(sku, got, s, ev.String()))
		}
		e.Lines[sku] = Only(got)
		e.countTwice(sku, got)
		e.resolve(sku, got)
	}
	if p := e.SharedAdds[ev.Epoch]; e.Shared != "" && p != nil && ev.Cart[e.Shared] < p.Acked {
		// Other tabs only add to it, so it holds at least this tab's
		// acknowledged adds since the last reset.
		e.Mismatches = append(e.Mismatches, mismatch(e.Shared, ev.Cart[e.Shared], Range(p.Acked, MaxQuantity), ev.String()))
	}
}

// countTwice counts a line seen at a quantity only a second application
// explains, once.
func (e *Expectation) countTwice(sku string, got int) {
	if e.repeat[sku].Has(got) {
		e.Twice++
	}
	delete(e.repeat, sku)
}

// Settle counts the second applications and the outcomes of unknown
// changes the final cart shows.
func (e *Expectation) Settle(cart map[string]int) {
	for _, sku := range e.Owned {
		e.countTwice(sku, cart[sku])
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

// Mismatch is a cart line, shown during the run or read at the end, that
// the logs do not allow.
type Mismatch struct {
	SKU  string
	Got  int
	Want QtySet
	// Lost and Extra are the units below the smallest or above the largest
	// quantity allowed: a lost change, or one applied more often than
	// acknowledged.
	Lost, Extra int
	// Where is the answer that showed it ("" for the final cart).
	Where string
}

func (m Mismatch) String() string {
	s := fmt.Sprintf("%s: got %d, the logs allow %v (lost %d, extra %d)", m.SKU, m.Got, m.Want, m.Lost, m.Extra)
	if m.Where != "" {
		s += ", shown by " + m.Where
	}
	return s
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
		r, v := resets[k], classify(resets[k])
		if v.Problem != "" {
			anomalies = append(anomalies, fmt.Sprintf("%s: %s", r, v.Problem))
		}
		switch {
		case v.Outcome == Acked:
			s = Only(0)
		case v.Outcome == Refused && r.Code == "not_in_cart":
			if !s.Has(0) && v.Max == 0 {
				anomalies = append(anomalies, fmt.Sprintf("%s: refused as not in the cart, but the line holds %v", r, s))
			}
			s = Only(0)
		case v.Max > 0:
			s = s.Union(Only(0))
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
				out = append(out, mismatch(sku, got, want, ""))
			}
		}
	}
	if shared != nil {
		seen[shared.SKU] = true
		if got := cart[shared.SKU]; !shared.Allowed.Has(got) {
			out = append(out, mismatch(shared.SKU, got, shared.Allowed, ""))
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

func mismatch(sku string, got int, want QtySet, where string) Mismatch {
	m := Mismatch{SKU: sku, Got: got, Want: want, Where: where}
	switch {
	case want.Empty():
	case got < want.Min():
		m.Lost = want.Min() - got
	case got > want.Max():
		m.Extra = got - want.Max()
	}
	return m
}

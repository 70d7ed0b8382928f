package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxExamples bounds the examples a report lists per kind of failure.
const maxExamples = 5

// Result is what a run measured and found.
type Result struct {
	Config   Config
	Clients  int
	Sessions int
	Began    time.Time
	Elapsed  time.Duration
	Times    Times
	Samples  []Sample
	// Machine is how busy the machine was; Pacing what the pacer did.
	Machine Machine
	Pacing  PacerStats

	// Keyed and Unkeyed count the cart changes sent with and without an
	// Idempotency-Key; Account the logins, registrations and logouts
	// (routes without keys, never retried).
	Keyed, Unkeyed, Account Changes
	// UnknownTransport, UnknownInFlight, UnknownSlow and UnknownOther split
	// the changes of unknown outcome by the cause of their last answer: no
	// response, a 503 in flight at the kill, a 503 after the runner's store
	// timeout, another 5xx.
	UnknownTransport, UnknownInFlight, UnknownSlow, UnknownOther int
	// StillUnknown describes a few changes sent with a key that ended
	// without a definite answer.
	StillUnknown []string
	// UnknownApplied and UnknownNotApplied count the changes of unknown
	// outcome that a later answer showed applied or not; AppliedSeen
	// describes a few applied ones.
	UnknownApplied, UnknownNotApplied int
	AppliedSeen                       []string
	// Twice counts the changes seen applied twice whose key may have left
	// the ring (allowed: the contract's limit, see Verdict.Forgotten).
	Twice int
	// Resets counts the removals of tab groups' shared lines.
	Resets int
	// TabChanges counts the changes of tab groups, Overlapped those in
	// flight while another tab (or the resetter) of the same session had
	// a change in flight.
	TabChanges, Overlapped int
	// Lines is how many cart lines the final check compared; Ambiguous how
	// many of them the logs could not pin to one quantity.
	Lines, Ambiguous int
	// Lost, Double and Other count the mismatches between a cart (shown by
	// a 2xx during the run, or read at the end) and the logs: an
	// acknowledged change missing, a change applied more often than
	// acknowledged, a quantity between the allowed ones; LostUnits and
	// DoubleUnits sum the units. Mismatches describes them all.
	Lost, Double, Other    int
	LostUnits, DoubleUnits int
	Mismatches             []string
	// Anomalies are answers during the run that the logs cannot explain.
	Anomalies []string
	// Violations are responses the contract forbids, by kind.
	Violations map[string]*Violation
	// Slow503 counts the 503s outside the outage that came after the
	// runner's store timeout: a store too slow for the runner's bound, as
	// the contract allows; every change among them was retried with its
	// key and is checked like any other.
	Slow503 Violation
	// Unreadable lists the sessions whose cart could not be read at the end.
	Unreadable []string
	// Overran: the clients were still busy past the drain bound after the
	// run's end, and were stopped.
	Overran bool
}

// Changes counts one kind of changes by how they ended.
type Changes struct {
	// Sent counts the changes (a retried one once); Acked, Refused and
	// Unknown split them by outcome.
	Sent, Acked, Refused, Unknown int
	// Replayed counts the acknowledged ones whose answer was a replay (an
	// earlier attempt had applied them).
	Replayed int
	// Retried counts the changes sent again after an answer that said
	// nothing, Retries the attempts after the first (a twin not counted);
	// Twins the changes sent twice at once.
	Retried, Retries, Twins int
	// Forgotten counts the retried ones whose key may have left the ring.
	Forgotten int
	// Longest is the longest a change took from its first attempt to the
	// end of its answer, and Slowest that change.
	Longest time.Duration
	Slowest Event
}

func (c *Changes) add(e Event, v Verdict) {
	c.Sent++
	switch v.Outcome {
	case Acked:
		c.Acked++
		if e.Replayed {
			c.Replayed++
		}
	case Refused:
		c.Refused++
	default:
		c.Unknown++
	}
	retries := len(e.Earlier)
	if e.Twin {
		c.Twins++
		retries--
	}
	if retries > 0 {
		c.Retried++
		c.Retries += retries
	}
	if v.Forgotten {
		c.Forgotten++
	}
	if d := e.End.Sub(e.First()); d > c.Longest {
		c.Longest, c.Slowest = d, e
	}
}

// Violation counts one kind of forbidden response.
type Violation struct {
	Count    int
	Examples []string
}

func (v *Violation) add(s Sample, began time.Time) {
	v.Count++
	if len(v.Examples) < maxExamples {
		v.Examples = append(v.Examples, fmt.Sprintf("%s → %d %s at +%v (%v)", s.Op, s.Status, s.Code,
			s.Start.Sub(began).Round(time.Millisecond), s.Latency.Round(time.Millisecond)))
	}
}

func (r *Result) violate(kind string, s Sample, began time.Time) {
	if r.Violations == nil {
		r.Violations = map[string]*Violation{}
	}
	v := r.Violations[kind]
	if v == nil {
		v = &Violation{}
		r.Violations[kind] = v
	}
	v.add(s, began)
}

// check reads s's cart at the end and compares it with its clients' logs.
func (r *Result) check(ctx context.Context, s *session) {
	var resp response
	for try := 0; try < 20 && ctx.Err() == nil; try++ {
		if resp = s.b.do(ctx, request{method: http.MethodGet, path: "/api/cart"}); resp.ok() {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	cart := resp.cart()
	if cart == nil {
		r.Unreadable = append(r.Unreadable, fmt.Sprintf("%s: GET /api/cart → %d %s %v", s.name, resp.status, resp.code, resp.err))
	}
	members := s.members()
	logs := make([][]Event, len(members))
	for i, w := range members {
		logs[i] = w.log
	}
	Turnover(logs)
	if len(members) > 1 {
		r.Overlapped += Overlapping(logs)
		for _, log := range logs {
			r.TabChanges += changes(log)
		}
	}
	judge := r.judge().Classify
	exps := make([]*Expectation, len(s.workers))
	for i, w := range s.workers {
		r.Samples = append(r.Samples, w.samples...)
		r.Anomalies = append(r.Anomalies, w.notes...)
		e := Fold(w.own, w.log, judge)
		for _, a := range e.Anomalies {
			r.Anomalies = append(r.Anomalies, w.name+": "+a)
		}
		r.mismatched(w.name, e.Mismatches)
		r.count(w.log)
		r.Lines += len(e.Lines)
		r.Ambiguous += e.Ambiguous()
		exps[i] = e
	}
	var shared *SharedLine
	if s.resetter != nil {
		r.Samples = append(r.Samples, s.resetter.samples...)
		r.count(s.resetter.log)
		r.Resets += len(s.resetter.log)
		line, anomalies := FoldShared(s.workers[0].own.Shared, exps, s.resetter.log, judge)
		for _, a := range anomalies {
			r.Anomalies = append(r.Anomalies, s.name+": "+a)
		}
		if line.Allowed.Len() > 1 {
			r.Ambiguous++
		}
		shared = &line
		r.Lines++
	}
	if cart == nil {
		return
	}
	for _, e := range exps {
		e.Settle(cart)
		r.Twice += e.Twice
		r.UnknownApplied += e.UnknownApplied
		r.UnknownNotApplied += e.UnknownNotApplied
		for _, a := range e.AppliedSeen {
			if len(r.AppliedSeen) < maxExamples {
				r.AppliedSeen = append(r.AppliedSeen, s.name+": "+a)
			}
		}
	}
	r.mismatched(s.name+" (final cart)", CheckCart(cart, exps, shared))
}

// mismatched counts mismatches found in who's cart.
func (r *Result) mismatched(who string, ms []Mismatch) {
	for _, m := range ms {
		r.Mismatches = append(r.Mismatches, who+": "+m.String())
		switch {
		case m.Lost > 0:
			r.Lost++
			r.LostUnits += m.Lost
		case m.Extra > 0:
			r.Double++
			r.DoubleUnits += m.Extra
		default:
			r.Other++
		}
	}
}

func changes(log []Event) int {
	n := 0
	for _, e := range log {
		if e.Kind != Read {
			n++
		}
	}
	return n
}

// judge is the final classifier of the run.
func (r *Result) judge() Judge {
	return Judge{Times: r.Times, Final: true, StoreTimeout: r.Config.StoreTimeout}
}

// count tallies a log's changes by kind and outcome, and the unknown ones
// by the cause of their last answer.
func (r *Result) count(log []Event) {
	judge := r.judge()
	for _, ev := range log {
		if ev.Kind == Read {
			continue
		}
		v := judge.Classify(ev)
		switch {
		case ev.Kind == Login || ev.Kind == Logout:
			r.Account.add(ev, v)
		case ev.Key != "":
			r.Keyed.add(ev, v)
			if v.Outcome == Unknown && len(r.StillUnknown) < maxExamples {
				r.StillUnknown = append(r.StillUnknown, ev.String())
			}
		default:
			r.Unkeyed.add(ev, v)
		}
		if v.Outcome != Unknown {
			continue
		}
		switch a := ev.Answer(); {
		case a.Status == 0:
			r.UnknownTransport++
		case a.Status == http.StatusServiceUnavailable && r.Times.InFlightAtKill(a.Start, a.End):
			r.UnknownInFlight++
		case a.Status == http.StatusServiceUnavailable:
			r.UnknownSlow++
		default:
			r.UnknownOther++
		}
	}
}

// Violation kinds.
const (
	VServerError    = "5xx other than 503"
	VBad503         = "503 without store_unavailable and Retry-After"
	V503Outside     = "503 outside the store outage, sooner than the runner's store timeout (the store was up and answering)"
	VTransport      = "transport error outside the store outage"
	VServedWhenDown = "store-backed request not answered 503 while the store was down"
)

// summarize finds the forbidden responses among the samples.
func (r *Result) summarize() {
	slices.SortFunc(r.Samples, func(a, b Sample) int { return a.Start.Compare(b.Start) })
	began := r.began()
	tt := r.Times
	for _, s := range r.Samples {
		switch {
		case s.Status == 0:
			if !tt.InOutage(s.Start, s.End()) {
				r.violate(VTransport, s, began)
			}
		case s.Status == http.StatusServiceUnavailable:
			if s.Code != "store_unavailable" || !s.Retry {
				r.violate(VBad503, s, began)
			}
			switch {
			case tt.InOutage(s.Start, s.End()):
			case r.Config.StoreTimeout > 0 && s.Latency >= r.Config.StoreTimeout:
				r.Slow503.add(s, began)
			default:
				r.violate(V503Outside, s, began)
			}
		case s.Status >= 500:
			r.violate(VServerError, s, began)
		}
		if s.Store && s.Status != http.StatusServiceUnavailable && tt.WhileDown(s.Start, s.End()) {
			r.violate(VServedWhenDown, s, began)
		}
	}
}

func (r *Result) began() time.Time { return r.Began }

// Recovery is what the fault phase measured.
type Recovery struct {
	// Unavailable counts the 503s; InFlight those to requests in flight at
	// the kill; WhileDown the store-backed requests made while no store ran.
	Unavailable, InFlight, WhileDown int
	// Restart is how long the store took to listen after it was started.
	Restart time.Duration
	// FirstOK is from the restart to the end of the first store-backed 2xx
	// after it; Outage from the kill to that same response.
	FirstOK, Outage time.Duration
	// Last503 is from the store listening again to the end of the last 503
	// (negative: every 503 came before).
	Last503 time.Duration
	// Recovered reports whether a store-backed 2xx came after the restart.
	Recovered bool
}

// Recovery measures the fault phase (zero without one).
func (r *Result) Recovery() Recovery {
	var rc Recovery
	tt := r.Times
	if !tt.Faulted() {
		return rc
	}
	rc.Restart = tt.Ready.Sub(tt.Restart)
	var last time.Time
	for _, s := range r.Samples {
		end := s.End()
		if s.Status == http.StatusServiceUnavailable {
			rc.Unavailable++
			if tt.InFlightAtKill(s.Start, end) {
				rc.InFlight++
			}
			if end.After(last) {
				last = end
			}
		}
		if s.Store && tt.WhileDown(s.Start, end) {
			rc.WhileDown++
		}
		ok := s.Status >= 200 && s.Status < 300
		if ok && s.Store && end.After(tt.Restart) && (!rc.Recovered || end.Sub(tt.Restart) < rc.FirstOK) {
			rc.Recovered, rc.FirstOK = true, end.Sub(tt.Restart)
		}
	}
	if rc.Recovered {
		rc.Outage = tt.Restart.Add(rc.FirstOK).Sub(tt.Kill)
	}
	if !last.IsZero() {
		rc.Last503 = last.Sub(tt.Ready)
	}
	return rc
}

// Failures lists why the run failed; none means it passed.
func (r *Result) Failures() []string {
	var out []string
	kinds := make([]string, 0, len(r.Violations))
	for k := range r.Violations {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		v := r.Violations[k]
		out = append(out, fmt.Sprintf("%d × %s, e.g. %s", v.Count, k, strings.Join(v.Examples, "; ")))
	}
	if r.Lost > 0 {
		out = append(out, fmt.Sprintf("%d lost changes (%d units): a cart missing acknowledged changes", r.Lost, r.LostUnits))
	}
	if r.Double > 0 {
		out = append(out, fmt.Sprintf("%d double-applied changes (%d units): a cart holding more than its acknowledged changes", r.Double, r.DoubleUnits))
	}
	if r.Other > 0 {
		out = append(out, fmt.Sprintf("%d cart lines between the quantities the logs allow", r.Other))
	}
	if n := len(r.Mismatches); n > 0 {
		out = append(out, fmt.Sprintf("the mismatches: %s", strings.Join(first(r.Mismatches), "; ")))
	}
	if n := r.Keyed.Unknown; n > 0 {
		out = append(out, fmt.Sprintf("%d changes sent with a key ended without a definite answer after retrying for up to %v: %s",
			n, r.Config.Retry.For, strings.Join(r.StillUnknown, "; ")))
	}
	if n := len(r.Anomalies); n > 0 {
		out = append(out, fmt.Sprintf("%d answers the logs cannot explain: %s", n, strings.Join(first(r.Anomalies), "; ")))
	}
	if r.Overran {
		out = append(out, fmt.Sprintf("the clients were still busy %v after the run's end (retries for %v, two attempts of %v): stopped",
			r.Config.drain(), r.Config.Retry.For, r.Config.RequestTimeout))
	}
	if n := len(r.Unreadable); n > 0 {
		out = append(out, fmt.Sprintf("%d carts unreadable at the end: %s", n, strings.Join(first(r.Unreadable), "; ")))
	}
	if r.Config.Fault != nil {
		rc := r.Recovery()
		if rc.WhileDown == 0 || rc.Unavailable == 0 {
			out = append(out, "the fault phase saw no store-backed request while the store was down: it tested nothing")
		}
		if !rc.Recovered {
			out = append(out, "no store-backed request succeeded after the store came back")
		}
	}
	return out
}

func first(xs []string) []string { return xs[:min(len(xs), maxExamples)] }

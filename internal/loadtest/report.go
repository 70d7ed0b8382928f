package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

	// Acked counts the acknowledged cart changes (login and logout included);
	// Unknown those of unknown outcome, by cause.
	Acked                                                           int
	Unknown                                                         int
	UnknownTransport, UnknownInFlight, UnknownRetried, UnknownOther int
	// Retried counts the changes answered after longer than the store's
	// attempt timeout (the server's SDK may have retried them); Repeated
	// those whose effect shows that it did.
	Retried, Repeated int
	// UnknownApplied and UnknownNotApplied count the changes of unknown
	// outcome that a later answer showed applied or not; AppliedSeen
	// describes a few applied ones.
	UnknownApplied, UnknownNotApplied int
	AppliedSeen                       []string
	// Resets counts the removals of tab groups' shared lines.
	Resets int
	// Lines is how many cart lines the final check compared; Ambiguous how
	// many of them the logs could not pin to one quantity.
	Lines, Ambiguous int
	// Mismatches are final cart lines the logs do not allow; LostUnits and
	// ExtraUnits sum their missing and surplus units.
	Mismatches            []string
	LostUnits, ExtraUnits int
	// Anomalies are answers during the run that the logs cannot explain.
	Anomalies []string
	// Violations are responses the contract forbids, by kind.
	Violations map[string]*Violation
	// Unreadable lists the sessions whose cart could not be read at the end.
	Unreadable []string
}

// Violation counts one kind of forbidden response.
type Violation struct {
	Count    int
	Examples []string
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
	v.Count++
	if len(v.Examples) < maxExamples {
		v.Examples = append(v.Examples, fmt.Sprintf("%s → %d %s at +%v (%v)", s.Op, s.Status, s.Code,
			s.Start.Sub(began).Round(time.Millisecond), s.Latency.Round(time.Millisecond)))
	}
}

// check reads s's cart at the end and compares it with its clients' logs.
func (r *Result) check(ctx context.Context, s *session) {
	var resp response
	for try := 0; try < 20 && ctx.Err() == nil; try++ {
		if resp = s.b.do(ctx, http.MethodGet, "/api/cart", nil); resp.ok() {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	cart := resp.cart()
	if cart == nil {
		r.Unreadable = append(r.Unreadable, fmt.Sprintf("%s: GET /api/cart → %d %s %v", s.name, resp.status, resp.code, resp.err))
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
		r.Repeated += e.Repeated
		r.UnknownApplied += e.UnknownApplied
		r.UnknownNotApplied += e.UnknownNotApplied
		for _, a := range e.AppliedSeen {
			if len(r.AppliedSeen) < maxExamples {
				r.AppliedSeen = append(r.AppliedSeen, s.name+": "+a)
			}
		}
	}
	for _, m := range CheckCart(cart, exps, shared) {
		r.Mismatches = append(r.Mismatches, s.name+": "+m.String())
		r.LostUnits += m.Lost
		r.ExtraUnits += m.Extra
	}
}

// judge is the final classifier of the run.
func (r *Result) judge() Judge {
	return Judge{Times: r.Times, Final: true, AttemptTimeout: r.Config.AttemptTimeout, Attempts: r.Config.Attempts}
}

// count tallies a log's changes by outcome and the unknown ones by cause.
func (r *Result) count(log []Event) {
	judge := r.judge()
	for _, ev := range log {
		if ev.Kind == Read {
			continue
		}
		v := judge.Classify(ev)
		if v.Retried {
			r.Retried++
		}
		switch v.Outcome {
		case Acked:
			r.Acked++
		case Unknown:
			r.Unknown++
			switch {
			case ev.Status == 0:
				r.UnknownTransport++
			case ev.Status == http.StatusServiceUnavailable && r.Times.InFlightAtKill(ev.Start, ev.End):
				r.UnknownInFlight++
			case ev.Status == http.StatusServiceUnavailable:
				r.UnknownRetried++
			default:
				r.UnknownOther++
			}
		}
	}
}

// Violation kinds.
const (
	VServerError    = "5xx other than 503"
	VBad503         = "503 without store_unavailable and Retry-After"
	V503Outside     = "503 outside the store outage"
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
			if !tt.InOutage(s.Start, s.End()) {
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
	if n := len(r.Mismatches); n > 0 {
		out = append(out, fmt.Sprintf("%d cart lines differ from the logs (%d units lost, %d extra): %s",
			n, r.LostUnits, r.ExtraUnits, strings.Join(first(r.Mismatches), "; ")))
	}
	if n := len(r.Anomalies); n > 0 {
		out = append(out, fmt.Sprintf("%d answers the logs cannot explain: %s", n, strings.Join(first(r.Anomalies), "; ")))
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

// Write prints the report.
func (r *Result) Write(w io.Writer) {
	all := Summarize(r.Samples, r.Elapsed)
	fmt.Fprintf(w, "requests: %d in %v = %.0f/s; p50 %v, p99 %v, max %v\n", all.Count,
		r.Elapsed.Round(time.Millisecond), all.PerSec, round(all.P50), round(all.P99), round(all.Max))
	fmt.Fprintf(w, "%-30s %7s %7s %9s %9s %9s  %s\n", "operation", "count", "req/s", "p50", "p99", "max", "statuses")
	ops := ByOp(r.Samples)
	names := make([]string, 0, len(ops))
	for op := range ops {
		names = append(names, op)
	}
	slices.Sort(names)
	for _, op := range append(names, "all") {
		samples := r.Samples
		if op != "all" {
			samples = ops[op]
		}
		s := Summarize(samples, r.Elapsed)
		fmt.Fprintf(w, "%-30s %7d %7.0f %9v %9v %9v  %s\n", op, s.Count, s.PerSec, round(s.P50), round(s.P99), round(s.Max), statuses(s.ByStatus))
	}
	if r.Times.Faulted() {
		r.writeFault(w)
	}
	fmt.Fprintf(w, "carts: %d sessions of %d clients, %d lines checked (%d shared-line resets); %d acknowledged changes; "+
		"%d of unknown outcome (%d transport errors, %d 503s in flight at the kill, %d slow 503s, %d other 5xx); %d lines left ambiguous\n",
		r.Sessions, r.Clients, r.Lines, r.Resets, r.Acked, r.Unknown, r.UnknownTransport, r.UnknownInFlight, r.UnknownRetried, r.UnknownOther, r.Ambiguous)
	if r.Unknown > 0 {
		fmt.Fprintf(w, "unknown changes resolved by a later answer: %d applied, %d not applied (the rest could not be told apart)\n",
			r.UnknownApplied, r.UnknownNotApplied)
		for _, a := range r.AppliedSeen {
			fmt.Fprintf(w, "  applied: %s\n", a)
		}
	}
	if r.Config.AttemptTimeout > 0 {
		fmt.Fprintf(w, "slow changes: %d answered after the store's %v attempt timeout (the SDK may have retried them); %d seen applied twice\n",
			r.Retried, r.Config.AttemptTimeout, r.Repeated)
	}
	fmt.Fprintf(w, "lost updates: %d units, extra: %d units, mismatching lines: %d, unexplained answers: %d\n",
		r.LostUnits, r.ExtraUnits, len(r.Mismatches), len(r.Anomalies))
}

func (r *Result) writeFault(w io.Writer) {
	tt, rc, began := r.Times, r.Recovery(), r.began()
	fmt.Fprintf(w, "fault: store killed at +%v, down %v, listening again %v after its restart\n",
		tt.Kill.Sub(began).Round(time.Millisecond), tt.Restart.Sub(tt.Kill).Round(time.Millisecond), round(rc.Restart))
	fmt.Fprintf(w, "  503 store_unavailable: %d (%d in flight at the kill); store-backed requests while down: %d\n",
		rc.Unavailable, rc.InFlight, rc.WhileDown)
	fmt.Fprintf(w, "  recovery: first store-backed 2xx %v after the restart (%v after the kill); last 503 %v after the store listened\n",
		round(rc.FirstOK), round(rc.Outage), round(rc.Last503))
	end := began.Add(r.Elapsed)
	for _, p := range []struct {
		name     string
		from, to time.Time
	}{{"before", began, tt.Kill}, {"outage", tt.Kill, tt.Ready}, {"after", tt.Ready, end}} {
		s := Summarize(Between(r.Samples, p.from, p.to), p.to.Sub(p.from))
		fmt.Fprintf(w, "  %-7s %6d requests %7.0f/s  p50 %v p99 %v  %s\n", p.name, s.Count, s.PerSec, round(s.P50), round(s.P99), statuses(s.ByStatus))
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second || d <= -time.Second:
		return d.Round(10 * time.Millisecond)
	case d >= time.Millisecond || d <= -time.Millisecond:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func statuses(by map[int]int) string {
	codes := make([]int, 0, len(by))
	for c := range by {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "err"
		}
		parts[i] = fmt.Sprintf("%s:%d", name, by[c])
	}
	return strings.Join(parts, " ")
}

// Numbers is the report in JSON, for the docs and for comparing runs.
type Numbers struct {
	Label          string             `json:"label"`
	Clients        int                `json:"clients"`
	Sessions       int                `json:"sessions"`
	ElapsedSeconds float64            `json:"elapsedSeconds"`
	Requests       int                `json:"requests"`
	PerSecond      float64            `json:"perSecond"`
	P50Ms          float64            `json:"p50Ms"`
	P99Ms          float64            `json:"p99Ms"`
	ByStatus       map[string]int     `json:"byStatus"`
	Ops            map[string]OpStats `json:"ops"`
	Acked          int                `json:"ackedChanges"`
	Unknown        int                `json:"unknownChanges"`
	Retried        int                `json:"slowChanges"`
	Repeated       int                `json:"repeatedChanges"`
	UnknownApplied int                `json:"unknownSeenApplied"`
	UnknownNot     int                `json:"unknownSeenNotApplied"`
	Ambiguous      int                `json:"ambiguousLines"`
	Lines          int                `json:"linesChecked"`
	LostUnits      int                `json:"lostUnits"`
	ExtraUnits     int                `json:"extraUnits"`
	Mismatches     int                `json:"mismatchingLines"`
	Fault          *FaultNumbers      `json:"fault,omitempty"`
	Failures       []string           `json:"failures"`
}

// OpStats is one operation's numbers.
type OpStats struct {
	Count     int            `json:"count"`
	PerSecond float64        `json:"perSecond"`
	P50Ms     float64        `json:"p50Ms"`
	P99Ms     float64        `json:"p99Ms"`
	ByStatus  map[string]int `json:"byStatus"`
}

// FaultNumbers is the fault phase's numbers.
type FaultNumbers struct {
	DownSeconds       float64 `json:"downSeconds"`
	RestartSeconds    float64 `json:"restartSeconds"`
	Unavailable       int     `json:"503"`
	InFlightAtKill    int     `json:"503InFlightAtKill"`
	WhileDown         int     `json:"storeRequestsWhileDown"`
	RecoverySeconds   float64 `json:"firstOkAfterRestartSeconds"`
	OutageSeconds     float64 `json:"outageSeenByClientsSeconds"`
	Last503AfterReady float64 `json:"last503AfterReadySeconds"`
}

// Numbers returns the report's numbers under label.
func (r *Result) Numbers(label string) Numbers {
	all := Summarize(r.Samples, r.Elapsed)
	n := Numbers{
		Label: label, Clients: r.Clients, Sessions: r.Sessions, ElapsedSeconds: r.Elapsed.Seconds(),
		Requests: all.Count, PerSecond: all.PerSec, P50Ms: msOf(all.P50), P99Ms: msOf(all.P99),
		ByStatus: names(all.ByStatus), Ops: map[string]OpStats{},
		Acked: r.Acked, Unknown: r.Unknown, Retried: r.Retried, Repeated: r.Repeated,
		UnknownApplied: r.UnknownApplied, UnknownNot: r.UnknownNotApplied, Ambiguous: r.Ambiguous, Lines: r.Lines,
		LostUnits: r.LostUnits, ExtraUnits: r.ExtraUnits, Mismatches: len(r.Mismatches),
		Failures: r.Failures(),
	}
	for op, samples := range ByOp(r.Samples) {
		s := Summarize(samples, r.Elapsed)
		n.Ops[op] = OpStats{Count: s.Count, PerSecond: s.PerSec, P50Ms: msOf(s.P50), P99Ms: msOf(s.P99), ByStatus: names(s.ByStatus)}
	}
	if r.Times.Faulted() {
		rc, tt := r.Recovery(), r.Times
		n.Fault = &FaultNumbers{
			DownSeconds: tt.Restart.Sub(tt.Kill).Seconds(), RestartSeconds: rc.Restart.Seconds(),
			Unavailable: rc.Unavailable, InFlightAtKill: rc.InFlight, WhileDown: rc.WhileDown,
			RecoverySeconds: rc.FirstOK.Seconds(), OutageSeconds: rc.Outage.Seconds(), Last503AfterReady: rc.Last503.Seconds(),
		}
	}
	return n
}

// WriteJSON writes r.Numbers(label) as indented JSON.
func (r *Result) WriteJSON(w io.Writer, label string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r.Numbers(label)); err != nil {
		return fmt.Errorf("write numbers: %w", err)
	}
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func names(by map[int]int) map[string]int {
	out := make(map[string]int, len(by))
	for c, n := range by {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "transportError"
		}
		out[name] = n
	}
	return out
}

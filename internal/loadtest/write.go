package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

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

// Write prints the report.
func (r *Result) Write(w io.Writer) {
	fmt.Fprintf(w, "machine: %v\n", r.Machine)
	r.writePacing(w)
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
	r.writeChanges(w)
	fmt.Fprintf(w, "carts: %d sessions of %d clients, %d lines checked (%d shared-line resets), %d left ambiguous by changes of unknown outcome; "+
		"%d of the %d changes of tab groups were in flight while another tab's change to the same session was\n",
		r.Sessions, r.Clients, r.Lines, r.Resets, r.Ambiguous, r.Overlapped, r.TabChanges)
	fmt.Fprintf(w, "lost: %d changes (%d units); double-applied: %d changes (%d units); other mismatching lines: %d; unexplained answers: %d\n",
		r.Lost, r.LostUnits, r.Double, r.DoubleUnits, r.Other, len(r.Anomalies))
}

func (r *Result) writePacing(w io.Writer) {
	p := r.Pacing
	if p.Target <= 0 {
		fmt.Fprintf(w, "pacing: off (%d clients, all may be in flight)\n", p.Max)
		return
	}
	waits := make([]time.Duration, len(r.Samples))
	for i, s := range r.Samples {
		waits[i] = s.Wait
	}
	slices.Sort(waits)
	fmt.Fprintf(w, "pacing: 90th percentile of store-backed answers kept under %v with %d–%d requests in flight: "+
		"the limit ran %.0f–%.0f, %.1f on average (%d windows, %d cuts); a request waited p50 %v, p99 %v, max %v for its slot\n",
		p.Target, p.Min, p.Max, p.Lowest, p.Highest, p.Mean, p.Adjustments, p.Cuts,
		round(Percentile(waits, 50)), round(Percentile(waits, 99)), round(Percentile(waits, 100)))
}

func (r *Result) writeChanges(w io.Writer) {
	k, u, a := r.Keyed, r.Unkeyed, r.Account
	fmt.Fprintf(w, "changes with a key: %d: %d acknowledged (%d by a replay: an earlier attempt had applied it), %d refused, %d still unknown; "+
		"%d retried (%d retries, the longest %v to its answer), %d sent twice at once, %d retried after %d other changes (the key may have left the ring)\n",
		k.Sent, k.Acked, k.Replayed, k.Refused, k.Unknown, k.Retried, k.Retries, round(k.Longest), k.Twins, k.Forgotten, RingKeys)
	if k.Retried > 0 {
		fmt.Fprintf(w, "  the longest: %s\n", k.Slowest.Schedule(r.began()))
	}
	fmt.Fprintf(w, "changes without a key (the server's operation IDs; never retried): %d: %d acknowledged, %d refused, %d unknown\n",
		u.Sent, u.Acked, u.Refused, u.Unknown)
	fmt.Fprintf(w, "account changes (login, register, logout; no key): %d: %d acknowledged, %d refused, %d unknown\n",
		a.Sent, a.Acked, a.Refused, a.Unknown)
	if n := k.Unknown + u.Unknown + a.Unknown; n > 0 {
		fmt.Fprintf(w, "unknown by their last answer: %d transport errors, %d 503s in flight at the kill, %d 503s after the store timeout, %d other 5xx; "+
			"later answers showed %d applied, %d not applied (the rest could not be told apart)\n",
			r.UnknownTransport, r.UnknownInFlight, r.UnknownSlow, r.UnknownOther, r.UnknownApplied, r.UnknownNotApplied)
		for _, s := range r.AppliedSeen {
			fmt.Fprintf(w, "  applied: %s\n", s)
		}
	}
	if r.Twice > 0 {
		fmt.Fprintf(w, "seen applied twice after the key may have left the ring: %d\n", r.Twice)
	}
	if r.Slow503.Count > 0 {
		fmt.Fprintf(w, "503 after the runner's %v store timeout, outside the outage: %d (a slow store; each change among them was retried with its key), e.g. %s\n",
			r.Config.StoreTimeout, r.Slow503.Count, strings.Join(r.Slow503.Examples, "; "))
	}
}

func (r *Result) writeFault(w io.Writer) {
	tt, rc, began := r.Times, r.Recovery(), r.began()
	at := func(t time.Time) string { return "+" + round(t.Sub(began)).String() }
	fmt.Fprintf(w, "fault: store killed at +%v, down %v, listening again %v after its restart\n",
		tt.Kill.Sub(began).Round(time.Millisecond), tt.Restart.Sub(tt.Kill).Round(time.Millisecond), round(rc.Restart))
	fmt.Fprintf(w, "  timeline: kill %s, exited %s, restart %s, listening %s", at(tt.Kill), at(tt.Dead), at(tt.Restart), at(tt.Ready))
	if rc.Recovered {
		fmt.Fprintf(w, ", first store-backed 2xx %s", at(tt.Restart.Add(rc.FirstOK)))
	}
	if rc.Unavailable > 0 {
		fmt.Fprintf(w, ", last 503 %s", at(tt.Ready.Add(rc.Last503)))
	}
	fmt.Fprintln(w)
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

package loadtest

import (
	"slices"
	"sync"
	"time"
)

// Pacer bounds the requests in flight and adapts the bound to the latency
// it measures, so that a store that slows down (an emulator on a busy
// machine) is not pushed past the runner's own store timeout, where its
// 503s would say more about the machine than about the code. The rule is
// TCP's: after each window of measured answers, one more request in flight
// while the window's 90th percentile stays under Target, 30% fewer when it
// does not. A zero Target leaves the bound at its maximum (no pacing).
// Requests go in the order they asked (a ticket queue), so a retry that
// waits for its slot after an outage is not passed over by the others for
// seconds.
type Pacer struct {
	target   time.Duration
	min, max int

	mu       sync.Mutex
	cond     *sync.Cond
	limit    float64
	inFlight int
	window   []time.Duration
	// tickets is the number of Acquire calls so far, serving the ticket
	// that goes next.
	tickets, serving uint64

	// the limit over time, for the report
	since             time.Time
	weighted          float64 // Σ limit × seconds
	seconds           float64
	lowest, highest   float64
	cuts, adjustments int
}

// MinWindow is the fewest answers a window holds before the pacer adjusts.
const MinWindow = 8

// NewPacer returns a pacer that starts at start requests in flight and
// keeps between lo and hi.
func NewPacer(target time.Duration, lo, hi, start int) *Pacer {
	lo = max(lo, 1)
	hi = max(hi, lo)
	p := &Pacer{target: target, min: lo, max: hi, limit: float64(min(max(start, lo), hi)), since: time.Now()}
	if target <= 0 {
		p.limit = float64(hi)
	}
	p.lowest, p.highest = p.limit, p.limit
	p.cond = sync.NewCond(&p.mu)
	return p
}

// NextLimit is the bound after a window whose 90th percentile was p90:
// limit+1 under target, limit×0.7 above, kept within lo and hi.
func NextLimit(limit float64, p90, target time.Duration, lo, hi int) float64 {
	if p90 > target {
		limit *= 0.7
	} else {
		limit++
	}
	return min(max(limit, float64(lo)), float64(hi))
}

// Acquire waits until a request may start: until every request that
// asked before it has started, and fewer than the limit are in flight.
func (p *Pacer) Acquire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	ticket := p.tickets
	p.tickets++
	for ticket != p.serving || p.inFlight >= int(p.limit) {
		p.cond.Wait()
	}
	p.serving++
	p.inFlight++
	p.cond.Broadcast() // the next in line may start too, if there is room
}

// queued is the number of requests waiting for a slot.
func (p *Pacer) queued() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(p.tickets - p.serving)
}

// Release ends a request that took latency; measure says whether it counts
// towards the window (a request whose time is the store's, not one that
// hashes a password or needs no store).
func (p *Pacer) Release(latency time.Duration, measure bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inFlight--
	if measure && p.target > 0 {
		p.window = append(p.window, latency)
		if len(p.window) >= max(MinWindow, int(p.limit)) {
			p.adjust()
		}
	}
	p.cond.Broadcast()
}

func (p *Pacer) adjust() {
	slices.Sort(p.window)
	next := NextLimit(p.limit, Percentile(p.window, 90), p.target, p.min, p.max)
	p.window = p.window[:0]
	now := time.Now()
	d := now.Sub(p.since).Seconds()
	p.weighted += p.limit * d
	p.seconds += d
	p.since = now
	if next < p.limit {
		p.cuts++
	}
	p.adjustments++
	p.limit = next
	p.lowest, p.highest = min(p.lowest, next), max(p.highest, next)
}

// PacerStats is what a pacer did over a run.
type PacerStats struct {
	Target                time.Duration
	Min, Max              int     // the bounds it kept within
	Lowest, Highest, Mean float64 // the limit it set (Mean weighted by time)
	Limit                 float64 // the limit now
	Adjustments, Cuts     int
}

// Stats reports the pacer's limit so far.
func (p *Pacer) Stats() PacerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	d := time.Since(p.since).Seconds()
	mean := p.limit // no adjustment yet: the limit it started with
	if p.seconds > 0 {
		mean = (p.weighted + p.limit*d) / (p.seconds + d)
	}
	return PacerStats{Target: p.target, Min: p.min, Max: p.max, Lowest: p.lowest, Highest: p.highest,
		Mean: mean, Limit: p.limit, Adjustments: p.adjustments, Cuts: p.cuts}
}

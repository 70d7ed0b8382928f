package loadtest

import (
	"math"
	"slices"
	"time"
)

// Sample is one request as the statistics count it.
type Sample struct {
	Op      string // "GET /api/cart", ...
	Status  int    // 0: no response (transport error)
	Code    string // the error code of a 4xx/5xx body
	Retry   bool   // the response carried Retry-After
	Store   bool   // the request needed the session store
	Start   time.Time
	Latency time.Duration
	// Wait is how long the pacer held the request back before Start.
	Wait time.Duration
	// Attempt is 1 for a first send, 2 for the first retry with the same
	// key, ...; Keyed: it carried an Idempotency-Key; Replayed: the answer
	// said Idempotent-Replayed: true.
	Attempt         int
	Keyed, Replayed bool
}

// End is when the response (or the error) came.
func (s Sample) End() time.Time { return s.Start.Add(s.Latency) }

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It is 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Summary is the statistics of a set of requests.
type Summary struct {
	Count    int
	PerSec   float64
	P50, P99 time.Duration
	Max      time.Duration
	ByStatus map[int]int // 0: transport errors
}

// Summarize sums up samples taken over elapsed.
func Summarize(samples []Sample, elapsed time.Duration) Summary {
	s := Summary{Count: len(samples), ByStatus: map[int]int{}}
	lat := make([]time.Duration, len(samples))
	for i, x := range samples {
		lat[i] = x.Latency
		s.ByStatus[x.Status]++
	}
	slices.Sort(lat)
	s.P50, s.P99 = Percentile(lat, 50), Percentile(lat, 99)
	if len(lat) > 0 {
		s.Max = lat[len(lat)-1]
	}
	if elapsed > 0 {
		s.PerSec = float64(len(samples)) / elapsed.Seconds()
	}
	return s
}

// ByOp groups samples by operation.
func ByOp(samples []Sample) map[string][]Sample {
	out := map[string][]Sample{}
	for _, s := range samples {
		out[s.Op] = append(out[s.Op], s)
	}
	return out
}

// Between keeps the samples that started in [from, to).
func Between(samples []Sample, from, to time.Time) []Sample {
	var out []Sample
	for _, s := range samples {
		if !s.Start.Before(from) && s.Start.Before(to) {
			out = append(out, s)
		}
	}
	return out
}

package loadtest

import (
	"testing"
	"time"
)

// TestChangesSlowest: the counts keep the change that took longest from its
// first attempt to its answer, and its schedule shows when each attempt
// began, so a long one can be explained (backoff, Retry-After, the queue).
func TestChangesSlowest(t *testing.T) {
	quick := chain("q", try(200, 1, 1.1))
	retried := chain("r", try(503, 10, 10.01), try(503, 12, 12.01), try(200, 14, 14.25))
	twin := chain("t", try(200, 2, 2.2), replay(try(200, 2, 2.3)))
	twin.Twin = true
	var c Changes
	for _, e := range []Event{quick, retried, twin} {
		c.add(e, Verdict{Outcome: Acked})
	}
	if c.Longest != 4250*time.Millisecond {
		t.Errorf("Longest = %v, want 4.25s", c.Longest)
	}
	if c.Retried != 1 || c.Retries != 2 || c.Twins != 1 {
		t.Errorf("retried %d, retries %d, twins %d: want 1, 2, 1", c.Retried, c.Retries, c.Twins)
	}
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{"the slowest", c.Slowest, "add a: +10s 503 in 10ms, +12s 503 in 10ms, +14s 200 in 250ms"},
		{"one attempt", quick, "add a: +1s 200 in 100ms"},
		{"twins", twin, "add a: +2s 200 in 200ms, +2s 200 replayed in 300ms"},
		{"a removal", Event{Kind: Remove, SKU: "b", Status: 404, Code: "not_in_cart", Start: sec(3), End: sec(3.5)}, "remove b: +3s 404 not_in_cart in 500ms"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.e.Schedule(at0); got != tc.want {
				t.Errorf("Schedule = %q, want %q", got, tc.want)
			}
		})
	}
}

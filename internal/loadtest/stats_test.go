package loadtest

import (
	"slices"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one value", []time.Duration{ms(7)}, 99, ms(7)},
		{"median of odd", []time.Duration{ms(1), ms(2), ms(3)}, 50, ms(2)},
		{"median of even is the lower", []time.Duration{ms(1), ms(2), ms(3), ms(4)}, 50, ms(2)},
		{"p99 of 100", hundred, 99, ms(99)},
		{"p100 is the max", hundred, 100, ms(100)},
		{"p50 of 100", hundred, 50, ms(50)},
		{"tiny p is the min", hundred, 0.001, ms(1)},
		{"p99 of 10 is the max", hundred[:10], 99, ms(10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("Percentile(%d values, %v) = %v, want %v", len(tt.sorted), tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []Sample
	for i := 1; i <= 10; i++ {
		status := 200
		if i == 10 {
			status = 503
		}
		samples = append(samples, Sample{Op: "GET /api/cart", Status: status, Start: t0, Latency: ms(i * 10)})
	}
	samples = append(samples, Sample{Op: "GET /api/products", Status: 0, Start: t0, Latency: ms(5)})
	s := Summarize(samples, 2*time.Second)
	if s.Count != 11 || s.PerSec != 5.5 {
		t.Errorf("count %d, per second %v; want 11, 5.5", s.Count, s.PerSec)
	}
	if s.P50 != ms(50) || s.P99 != ms(100) || s.Max != ms(100) {
		t.Errorf("p50 %v p99 %v max %v; want 50ms 100ms 100ms", s.P50, s.P99, s.Max)
	}
	if s.ByStatus[200] != 9 || s.ByStatus[503] != 1 || s.ByStatus[0] != 1 {
		t.Errorf("by status %v", s.ByStatus)
	}
	if ops := ByOp(samples); len(ops["GET /api/cart"]) != 10 || len(ops["GET /api/products"]) != 1 {
		t.Errorf("ByOp: %d and %d samples", len(ops["GET /api/cart"]), len(ops["GET /api/products"]))
	}
	if got := Between(samples, t0, t0.Add(time.Nanosecond)); len(got) != 11 {
		t.Errorf("Between kept %d, want 11", len(got))
	}
	if got := Between(samples, t0.Add(time.Nanosecond), t0.Add(time.Hour)); len(got) != 0 {
		t.Errorf("Between after the start kept %d, want 0", len(got))
	}
}

func TestGroupSizes(t *testing.T) {
	tests := []struct {
		n, tabs int
		want    []int
	}{
		{0, 3, nil},
		{1, 3, nil},
		{2, 3, []int{2}},
		{6, 3, []int{3, 3}},
		{7, 3, []int{3, 4}},
		{8, 3, []int{3, 3, 2}},
		{20, 3, []int{3, 3, 3, 3, 3, 3, 2}},
		{5, 2, []int{2, 3}},
	}
	for _, tt := range tests {
		got := GroupSizes(tt.n, tt.tabs)
		if !slices.Equal(got, tt.want) {
			t.Errorf("GroupSizes(%d, %d) = %v, want %v", tt.n, tt.tabs, got, tt.want)
		}
	}
}

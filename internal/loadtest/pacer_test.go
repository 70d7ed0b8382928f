package loadtest

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestNextLimit(t *testing.T) {
	tests := []struct {
		name   string
		limit  float64
		p90    time.Duration
		want   float64
		lo, hi int
	}{
		{"under the target: one more", 10, ms(100), 11, 1, 50},
		{"at the target: one more", 10, ms(250), 11, 1, 50},
		{"over the target: 30% fewer", 10, ms(251), 7, 1, 50},
		{"never above hi", 50, ms(1), 50, 1, 50},
		{"never below lo", 4, time.Second, 4, 4, 50},
		{"a cut that lands above lo", 6, time.Second, 4.2, 4, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextLimit(tt.limit, tt.p90, ms(250), tt.lo, tt.hi)
			if diff := got - tt.want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("NextLimit(%v, %v) = %v, want %v", tt.limit, tt.p90, got, tt.want)
			}
		})
	}
}

func TestNewPacer(t *testing.T) {
	tests := []struct {
		name             string
		target           time.Duration
		lo, hi, start    int
		wantLimit        float64
		wantMin, wantMax int
	}{
		{"starts where asked", ms(250), 4, 50, 12, 12, 4, 50},
		{"start below lo", ms(250), 4, 50, 1, 4, 4, 50},
		{"start above hi", ms(250), 4, 50, 99, 50, 4, 50},
		{"no target: everyone", 0, 4, 50, 12, 50, 4, 50},
		{"lo at least 1", ms(250), 0, 50, 0, 1, 1, 50},
		{"hi at least lo", ms(250), 8, 3, 5, 8, 8, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPacer(tt.target, tt.lo, tt.hi, tt.start)
			st := p.Stats()
			if st.Lowest != tt.wantLimit || st.Highest != tt.wantLimit || st.Mean != tt.wantLimit || st.Min != tt.wantMin || st.Max != tt.wantMax {
				t.Errorf("stats %+v; want limit %v within %d–%d", st, tt.wantLimit, tt.wantMin, tt.wantMax)
			}
		})
	}
}

// TestPacerBounds: no more requests run at once than the limit, and a
// release lets a waiting one go.
func TestPacerBounds(t *testing.T) {
	p := NewPacer(ms(250), 2, 2, 2)
	var running, most atomic.Int32
	done := make(chan struct{})
	for range 6 {
		go func() {
			p.Acquire()
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			p.Release(ms(1), true)
			done <- struct{}{}
		}()
	}
	for range 6 {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("a request waited for ever: a release did not wake it")
		}
	}
	if m := most.Load(); m != 2 {
		t.Errorf("at most %d ran at once, want 2 (the limit)", m)
	}
}

// TestPacerFIFO: requests start in the order they asked, whoever is woken
// first when a slot frees.
func TestPacerFIFO(t *testing.T) {
	p := NewPacer(ms(250), 1, 1, 1)
	p.Acquire() // the one slot is taken
	const n = 8
	order := make(chan int, n)
	for i := range n {
		go func() {
			p.Acquire()
			order <- i
		}()
		waitFor(t, func() bool { return p.queued() == i+1 }) // i asked before i+1
	}
	for want := range n {
		p.Release(ms(1), false)
		select {
		case got := <-order:
			if got != want {
				t.Fatalf("request %d started in place %d: want the order they asked in", got, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("request %d never started after a release", want)
		}
	}
	if q := p.queued(); q != 0 {
		t.Errorf("%d still queued", q)
	}
}

// waitFor polls cond until it holds, for at most 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}

// TestPacerAdapts: slow answers cut the limit, fast ones raise it, and
// answers not measured or under no target change nothing.
func TestPacerAdapts(t *testing.T) {
	release := func(p *Pacer, n int, d time.Duration, measure bool) {
		for range n {
			p.Acquire()
			p.Release(d, measure)
		}
	}
	p := NewPacer(ms(250), 2, 50, 10)
	release(p, 10, time.Second, true) // a window holds max(MinWindow, limit) answers
	if st := p.Stats(); st.Limit != 7 || st.Lowest != 7 || st.Cuts != 1 || st.Adjustments != 1 {
		t.Fatalf("after a slow window: %+v, want the limit cut once to 7", st)
	}
	release(p, MinWindow-1, ms(10), true)
	if st := p.Stats(); st.Adjustments != 1 {
		t.Fatalf("adjusted before the window was full: %+v", st)
	}
	release(p, 1, ms(10), true)
	if st := p.Stats(); st.Limit != 8 || st.Highest != 10 || st.Lowest != 7 || st.Adjustments != 2 || st.Cuts != 1 {
		t.Errorf("after a fast window: %+v, want the limit back up to 8", st)
	}
	release(p, 100, time.Second, false)
	if st := p.Stats(); st.Adjustments != 2 {
		t.Errorf("answers not measured adjusted the limit: %+v", st)
	}
	off := NewPacer(0, 2, 50, 10)
	release(off, 100, time.Second, true)
	if st := off.Stats(); st.Adjustments != 0 || st.Lowest != 50 {
		t.Errorf("a pacer without a target paced: %+v", st)
	}
	if st := p.Stats(); st.Mean < 7 || st.Mean > 10 {
		t.Errorf("mean limit %v outside the limits it set", st.Mean)
	}
}

package loadtest

import (
	"math"
	"strings"
	"testing"
)

func TestParseCPUStat(t *testing.T) {
	stat := "cpu  100 5 50 800 20 1 4 20 0 0\ncpu0 50 2 25 400 10 0 2 10 0 0\nintr 1\n"
	got, err := ParseCPUStat(stat)
	want := CPUTimes{User: 100, Nice: 5, System: 50, Idle: 800, IOWait: 20, IRQ: 1, SoftIRQ: 4, Steal: 20}
	if err != nil || got != want {
		t.Errorf("ParseCPUStat = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"", "intr 1\n", "cpu 1 2 3\n", "cpu 1 2 3 4 5 6 7 x\n"} {
		if _, err := ParseCPUStat(bad); err == nil {
			t.Errorf("ParseCPUStat(%q) accepted it", bad)
		}
	}
}

func TestCPUSince(t *testing.T) {
	a := CPUTimes{User: 100, Nice: 5, System: 50, Idle: 800, IOWait: 20, IRQ: 1, SoftIRQ: 4, Steal: 20}
	b := CPUTimes{User: 150, Nice: 6, System: 60, Idle: 810, IOWait: 30, IRQ: 2, SoftIRQ: 5, Steal: 36}
	// busy 50+1+10+1+1 = 63, idle 10+10 = 20, steal 16: 99 ticks
	got := b.Since(a)
	near := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	if !near(got.Busy, 63.0/99) || !near(got.Idle, 20.0/99) || !near(got.Steal, 16.0/99) {
		t.Errorf("Since = %+v", got)
	}
	if z := a.Since(a); z != (CPUShares{}) {
		t.Errorf("an empty interval = %+v, want zero", z)
	}
}

func TestParseLoadAvg(t *testing.T) {
	got, err := ParseLoadAvg("1.52 2.75 4.09 3/512 12345\n")
	if err != nil || got != [3]float64{1.52, 2.75, 4.09} {
		t.Errorf("ParseLoadAvg = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1.0 2.0", "1.0 x 3.0"} {
		if _, err := ParseLoadAvg(bad); err == nil {
			t.Errorf("ParseLoadAvg(%q) accepted it", bad)
		}
	}
}

func TestMachineString(t *testing.T) {
	before := Snapshot{Load: [3]float64{1.5, 2, 3}, CPU: CPUTimes{User: 100, Idle: 100}, OK: true}
	after := Snapshot{Load: [3]float64{4.25, 2, 3}, CPU: CPUTimes{User: 150, Idle: 125, Steal: 25}, OK: true}
	m := Machine{CPUs: 2, Before: before, After: after}
	want := "2 CPUs; load average 1.50 2.00 3.00 before, 4.25 after; CPU during the run 50% busy, 25% idle, 25% stolen by the hypervisor"
	if got := m.String(); got != want {
		t.Errorf("String =\n%s\nwant\n%s", got, want)
	}
	if got := (Machine{CPUs: 2}).String(); !strings.Contains(got, "unknown") {
		t.Errorf("without /proc: %q", got)
	}
	if _, ok := (Machine{CPUs: 2, Before: before}).Shares(); ok {
		t.Error("shares without an after snapshot")
	}
	if got := (Machine{CPUs: 2, Before: before}).String(); strings.Contains(got, "busy") {
		t.Errorf("shares shown without an after snapshot: %q", got)
	}
	if s := TakeSnapshot(); s.OK && s.CPU.User+s.CPU.Idle == 0 {
		t.Errorf("a snapshot of this machine reads nothing: %+v", s)
	}
}

package loadtest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// CPUTimes is the first ("cpu") line of Linux's /proc/stat: clock ticks
// spent by all CPUs in each state since boot.
type CPUTimes struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
}

// ParseCPUStat reads the "cpu" line of a /proc/stat text.
func ParseCPUStat(stat string) (CPUTimes, error) {
	for line := range strings.Lines(stat) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "cpu" {
			continue
		}
		if len(f) < 9 {
			return CPUTimes{}, fmt.Errorf("/proc/stat: %d fields on the cpu line, want at least 8", len(f)-1)
		}
		var v [8]uint64
		for i := range v {
			n, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return CPUTimes{}, fmt.Errorf("/proc/stat: %w", err)
			}
			v[i] = n
		}
		return CPUTimes{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]}, nil
	}
	return CPUTimes{}, errors.New("/proc/stat: no cpu line")
}

// CPUShares is how the CPUs spent an interval, each a fraction of it.
type CPUShares struct {
	Busy, Idle, Steal float64 // Busy: user, nice, system, irq, softirq; Idle: idle and iowait
}

// Since is the shares of the interval from a to t.
func (t CPUTimes) Since(a CPUTimes) CPUShares {
	busy := float64(t.User+t.Nice+t.System+t.IRQ+t.SoftIRQ) - float64(a.User+a.Nice+a.System+a.IRQ+a.SoftIRQ)
	idle := float64(t.Idle+t.IOWait) - float64(a.Idle+a.IOWait)
	steal := float64(t.Steal) - float64(a.Steal)
	total := busy + idle + steal
	if total <= 0 {
		return CPUShares{}
	}
	return CPUShares{Busy: busy / total, Idle: idle / total, Steal: steal / total}
}

// ParseLoadAvg reads the 1, 5 and 15 minute load averages of a
// /proc/loadavg text.
func ParseLoadAvg(s string) ([3]float64, error) {
	var out [3]float64
	f := strings.Fields(s)
	if len(f) < 3 {
		return out, fmt.Errorf("/proc/loadavg: %q", s)
	}
	for i := range out {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return out, fmt.Errorf("/proc/loadavg: %w", err)
		}
		out[i] = v
	}
	return out, nil
}

// Snapshot is the machine's state at one instant; OK is false where the
// system does not tell (not Linux).
type Snapshot struct {
	Load [3]float64
	CPU  CPUTimes
	OK   bool
}

// TakeSnapshot reads /proc/loadavg and /proc/stat.
func TakeSnapshot() Snapshot {
	la, err1 := os.ReadFile("/proc/loadavg")
	st, err2 := os.ReadFile("/proc/stat")
	if err1 != nil || err2 != nil {
		return Snapshot{}
	}
	load, err1 := ParseLoadAvg(string(la))
	cpu, err2 := ParseCPUStat(string(st))
	return Snapshot{Load: load, CPU: cpu, OK: err1 == nil && err2 == nil}
}

// Machine is how busy the machine was around a run: other engineers'
// work shows in the load average before it, the run's own in the CPU
// shares during it, and a hypervisor's in the steal.
type Machine struct {
	CPUs          int
	Before, After Snapshot
}

// Shares is how the CPUs spent the run.
func (m Machine) Shares() (CPUShares, bool) {
	if !m.Before.OK || !m.After.OK {
		return CPUShares{}, false
	}
	return m.After.CPU.Since(m.Before.CPU), true
}

func (m Machine) String() string {
	if !m.Before.OK {
		return fmt.Sprintf("%d CPUs (no /proc: load unknown)", m.CPUs)
	}
	s := fmt.Sprintf("%d CPUs; load average %.2f %.2f %.2f before, %.2f after", m.CPUs,
		m.Before.Load[0], m.Before.Load[1], m.Before.Load[2], m.After.Load[0])
	if sh, ok := m.Shares(); ok {
		s += fmt.Sprintf("; CPU during the run %.0f%% busy, %.0f%% idle, %.0f%% stolen by the hypervisor",
			100*sh.Busy, 100*sh.Idle, 100*sh.Steal)
	}
	return s
}

func numCPU() int { return runtime.NumCPU() }

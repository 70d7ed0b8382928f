package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

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
	MaxMs          float64            `json:"maxMs"`
	ByStatus       map[string]int     `json:"byStatus"`
	Ops            map[string]OpStats `json:"ops"`
	Machine        MachineNumbers     `json:"machine"`
	Pacing         PacingNumbers      `json:"pacing"`
	Keyed          ChangeNumbers      `json:"keyedChanges"`
	Unkeyed        ChangeNumbers      `json:"unkeyedChanges"`
	Account        ChangeNumbers      `json:"accountChanges"`
	UnknownApplied int                `json:"unknownSeenApplied"`
	UnknownNot     int                `json:"unknownSeenNotApplied"`
	Twice          int                `json:"forgottenKeySeenAppliedTwice"`
	Lost           int                `json:"lostChanges"`
	LostUnits      int                `json:"lostUnits"`
	Double         int                `json:"doubleAppliedChanges"`
	DoubleUnits    int                `json:"doubleAppliedUnits"`
	Other          int                `json:"otherMismatchingLines"`
	Slow503        int                `json:"slowStore503OutsideOutage"`
	Ambiguous      int                `json:"ambiguousLines"`
	Lines          int                `json:"linesChecked"`
	TabChanges     int                `json:"tabChanges"`
	Overlapped     int                `json:"tabChangesOverlapping"`
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

// MachineNumbers is how busy the machine was.
type MachineNumbers struct {
	CPUs       int        `json:"cpus"`
	LoadBefore [3]float64 `json:"loadAverageBefore"`
	LoadAfter  [3]float64 `json:"loadAverageAfter"`
	Busy       float64    `json:"cpuBusyShare"`
	Idle       float64    `json:"cpuIdleShare"`
	Steal      float64    `json:"cpuStealShare"`
}

// PacingNumbers is what the pacer did.
type PacingNumbers struct {
	TargetMs float64 `json:"p90TargetMs"`
	Lowest   float64 `json:"lowestLimit"`
	Highest  float64 `json:"highestLimit"`
	Mean     float64 `json:"meanLimit"`
	Cuts     int     `json:"cuts"`
}

// ChangeNumbers is one kind of changes by how they ended.
type ChangeNumbers struct {
	Sent           int     `json:"sent"`
	Acked          int     `json:"acknowledged"`
	Replayed       int     `json:"replayed"`
	Refused        int     `json:"refused"`
	Unknown        int     `json:"unknown"`
	Retried        int     `json:"retried"`
	Retries        int     `json:"retries"`
	Twins          int     `json:"sentTwice"`
	Forgotten      int     `json:"retriedPastTheRing"`
	LongestSeconds float64 `json:"longestSeconds"`
}

func changeNumbers(c Changes) ChangeNumbers {
	return ChangeNumbers{Sent: c.Sent, Acked: c.Acked, Replayed: c.Replayed, Refused: c.Refused, Unknown: c.Unknown,
		Retried: c.Retried, Retries: c.Retries, Twins: c.Twins, Forgotten: c.Forgotten, LongestSeconds: c.Longest.Seconds()}
}

// FaultNumbers is the fault phase's numbers; the instants are seconds
// after the run began.
type FaultNumbers struct {
	DownSeconds       float64 `json:"downSeconds"`
	RestartSeconds    float64 `json:"restartSeconds"`
	Unavailable       int     `json:"503"`
	InFlightAtKill    int     `json:"503InFlightAtKill"`
	WhileDown         int     `json:"storeRequestsWhileDown"`
	RecoverySeconds   float64 `json:"firstOkAfterRestartSeconds"`
	OutageSeconds     float64 `json:"outageSeenByClientsSeconds"`
	Last503AfterReady float64 `json:"last503AfterReadySeconds"`
	KillAt            float64 `json:"killAt"`
	DeadAt            float64 `json:"exitedAt"`
	RestartAt         float64 `json:"restartAt"`
	ReadyAt           float64 `json:"listeningAt"`
}

// Numbers returns the report's numbers under label.
func (r *Result) Numbers(label string) Numbers {
	all := Summarize(r.Samples, r.Elapsed)
	n := Numbers{
		Label: label, Clients: r.Clients, Sessions: r.Sessions, ElapsedSeconds: r.Elapsed.Seconds(),
		Requests: all.Count, PerSecond: all.PerSec, P50Ms: msOf(all.P50), P99Ms: msOf(all.P99), MaxMs: msOf(all.Max),
		ByStatus: names(all.ByStatus), Ops: map[string]OpStats{},
		Machine: MachineNumbers{CPUs: r.Machine.CPUs, LoadBefore: r.Machine.Before.Load, LoadAfter: r.Machine.After.Load},
		Pacing: PacingNumbers{TargetMs: msOf(r.Pacing.Target), Lowest: r.Pacing.Lowest, Highest: r.Pacing.Highest,
			Mean: r.Pacing.Mean, Cuts: r.Pacing.Cuts},
		Keyed: changeNumbers(r.Keyed), Unkeyed: changeNumbers(r.Unkeyed), Account: changeNumbers(r.Account),
		UnknownApplied: r.UnknownApplied, UnknownNot: r.UnknownNotApplied, Twice: r.Twice,
		Lost: r.Lost, LostUnits: r.LostUnits, Double: r.Double, DoubleUnits: r.DoubleUnits, Other: r.Other,
		Slow503: r.Slow503.Count, Ambiguous: r.Ambiguous, Lines: r.Lines, TabChanges: r.TabChanges, Overlapped: r.Overlapped,
		Failures: r.Failures(),
	}
	if sh, ok := r.Machine.Shares(); ok {
		n.Machine.Busy, n.Machine.Idle, n.Machine.Steal = sh.Busy, sh.Idle, sh.Steal
	}
	for op, samples := range ByOp(r.Samples) {
		s := Summarize(samples, r.Elapsed)
		n.Ops[op] = OpStats{Count: s.Count, PerSecond: s.PerSec, P50Ms: msOf(s.P50), P99Ms: msOf(s.P99), ByStatus: names(s.ByStatus)}
	}
	if r.Times.Faulted() {
		rc, tt := r.Recovery(), r.Times
		since := func(t time.Time) float64 { return t.Sub(r.Began).Seconds() }
		n.Fault = &FaultNumbers{
			DownSeconds: tt.Restart.Sub(tt.Kill).Seconds(), RestartSeconds: rc.Restart.Seconds(),
			Unavailable: rc.Unavailable, InFlightAtKill: rc.InFlight, WhileDown: rc.WhileDown,
			RecoverySeconds: rc.FirstOK.Seconds(), OutageSeconds: rc.Outage.Seconds(), Last503AfterReady: rc.Last503.Seconds(),
			KillAt: since(tt.Kill), DeadAt: since(tt.Dead), RestartAt: since(tt.Restart), ReadyAt: since(tt.Ready),
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

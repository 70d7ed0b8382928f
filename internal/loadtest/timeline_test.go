package loadtest

import (
	"testing"
	"time"
)

func TestTimes(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	var tl Timeline
	tl.Mark("kill", at(10))
	tl.Mark("dead", at(10.1))
	tl.Mark("restart", at(13))
	tl.Mark("ready", at(13.5))
	tt := tl.Times()
	tests := []struct {
		name                     string
		start, end               float64
		inFlight, outage, isDown bool
	}{
		{"before the fault", 1, 2, false, false, false},
		{"ends at the kill", 9, 10, false, false, false},
		{"in flight at the kill", 9.9, 10.5, true, true, false},
		{"starts between kill and death", 10.05, 11, true, true, false},
		{"while down", 11, 12, false, true, true},
		{"across the restart", 12, 14, false, true, false},
		{"just after ready", 13.6, 13.7, false, true, false},
		{"after the grace", 17, 17.1, false, false, false},
	}
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			s, e := at(x.start), at(x.end)
			if got := tt.InFlightAtKill(s, e); got != x.inFlight {
				t.Errorf("InFlightAtKill = %v, want %v", got, x.inFlight)
			}
			if got := tt.InOutage(s, e); got != x.outage {
				t.Errorf("InOutage = %v, want %v", got, x.outage)
			}
			if got := tt.WhileDown(s, e); got != x.isDown {
				t.Errorf("WhileDown = %v, want %v", got, x.isDown)
			}
		})
	}
	classify := []struct {
		name       string
		status     int
		start, end float64
		want       Outcome
	}{
		{"2xx", 200, 11, 12, Acked},
		{"4xx", 404, 11, 12, Refused},
		{"503 while down: nothing applied", 503, 11, 12, Refused},
		{"503 in flight at the kill: unknown", 503, 9.9, 10.5, Unknown},
		{"500 is unknown", 500, 1, 2, Unknown},
		{"no response is unknown", 0, 1, 2, Unknown},
	}
	for _, x := range classify {
		t.Run(x.name, func(t *testing.T) {
			if got := (Judge{Times: tt, Final: true}).Classify(Event{Status: x.status, Start: at(x.start), End: at(x.end)}); got.Outcome != x.want {
				t.Errorf("Classify = %v, want %v", got, x.want)
			}
		})
	}
	var none Times
	if none.InOutage(at(1), at(2)) || none.InFlightAtKill(at(1), at(2)) || none.WhileDown(at(1), at(2)) {
		t.Error("a run without a fault has no outage")
	}
	if got := (Judge{Final: true}).Classify(Event{Status: 503}); got.Outcome != Refused {
		t.Errorf("without a fault a 503 is %v, want refused (the contract: nothing was changed)", got.Outcome)
	}
	if got := (Judge{}).Classify(Event{Status: 503}); got.Outcome != Unknown {
		t.Errorf("while the run goes on a 503 is %v, want unknown", got.Outcome)
	}
	slowJudge := Judge{Final: true, StoreTimeout: 2 * time.Second}
	for _, x := range []struct {
		status int
		secs   float64
		want   Outcome
	}{{503, 1, Refused}, {503, 2.5, Unknown}, {503, 2, Unknown}, {200, 2.5, Acked}, {404, 3, Refused}} {
		v := slowJudge.Classify(Event{Status: x.status, Start: at(20), End: at(20 + x.secs)})
		if v.Outcome != x.want {
			t.Errorf("%d in %vs: %+v, want %v", x.status, x.secs, v, x.want)
		}
	}
	if got := (Judge{Final: true}).Classify(Event{Status: 503, Start: at(1), End: at(5)}); got.Outcome != Refused {
		t.Error("a store without timeouts: a slow 503 is still a refusal")
	}
}

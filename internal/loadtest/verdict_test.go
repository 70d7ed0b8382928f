package loadtest

import (
	"strings"
	"testing"
	"time"
)

// at0 is the start of the timelines below; sec(s) is s seconds after it.
var at0 = time.Unix(2000, 0)

func sec(s float64) time.Time { return at0.Add(time.Duration(s * float64(time.Second))) }

// try is an attempt from a to b seconds.
func try(status int, a, b float64) Attempt {
	return Attempt{Status: status, Start: sec(a), End: sec(b)}
}

func replay(a Attempt) Attempt { a.Replayed = true; return a }

// chain is a keyed change whose answer is the last attempt.
func chain(key string, tries ...Attempt) Event {
	last := tries[len(tries)-1]
	return Event{Kind: Add, SKU: "a", Qty: 1, Key: key, Earlier: tries[:len(tries)-1],
		Status: last.Status, Code: last.Code, Replayed: last.Replayed, Start: last.Start, End: last.End}
}

func TestClassify(t *testing.T) {
	// The store was killed at 10 s, exited at 10.1 s, listened again at 13.5 s.
	tt := Times{Kill: sec(10), Dead: sec(10.1), Restart: sec(13), Ready: sec(13.5)}
	j := Judge{Times: tt, Final: true, StoreTimeout: 2 * time.Second}
	reused := chain("k", try(503, 11, 11.01), try(422, 14, 14.01))
	reused.Code = "idempotency_key_reused"
	forgotten := chain("k", try(0, 1, 31), try(200, 32, 32.1))
	forgotten.Turnover = RingKeys
	almost := forgotten
	almost.Turnover = RingKeys - 1
	tests := []struct {
		name      string
		e         Event
		want      Outcome
		min, max  int
		forgotten bool
		problem   string // a substring; "" for none
	}{
		{"one 2xx", chain("k", try(200, 1, 1.1)), Acked, 1, 1, false, ""},
		{"one 4xx", chain("k", try(404, 1, 1.1)), Refused, 0, 0, false, ""},
		{"a fast 503 while down", chain("k", try(503, 11, 11.01)), Refused, 0, 0, false, ""},
		{"a 503 in flight at the kill", chain("k", try(503, 9.9, 10.2)), Unknown, 0, 1, false, ""},
		{"a 503 after the store timeout", chain("k", try(503, 1, 3)), Unknown, 0, 1, false, ""},
		{"no answer", chain("k", try(0, 1, 2)), Unknown, 0, 1, false, ""},
		{"a 500", chain("k", try(500, 1, 1.1)), Unknown, 0, 1, false, ""},
		{"retried to a 2xx after a 503 while down", chain("k", try(503, 11, 11.01), try(200, 14, 14.1)), Acked, 1, 1, false, ""},
		{"retried to a replay after a 503 in flight", chain("k", try(503, 9.9, 10.2), replay(try(200, 14, 14.1))), Acked, 1, 1, false, ""},
		{"retried to a replay after no answer", chain("k", try(0, 1, 2), replay(try(200, 3, 3.1))), Acked, 1, 1, false, ""},
		{"retried to a replay after a slow 503", chain("k", try(503, 1, 3.5), replay(try(200, 4, 4.1))), Acked, 1, 1, false, ""},
		{"a replay of nothing: only 503s while down before", chain("k", try(503, 11, 11.01), replay(try(200, 14, 14.1))), Acked, 1, 1, false, "no earlier attempt"},
		{"a replay on the first attempt", chain("k", replay(try(200, 1, 1.1))), Acked, 1, 1, false, "no earlier attempt"},
		{"retried to a 4xx after a 503 in flight: not applied", chain("k", try(503, 9.9, 10.2), try(404, 14, 14.1)), Refused, 0, 0, false, ""},
		{"retries that ran out: 503s while down only", chain("k", try(503, 11, 11.01), try(503, 12, 12.01)), Refused, 0, 0, false, ""},
		{"retries that ran out after one in flight", chain("k", try(503, 9.9, 10.2), try(503, 12, 12.01)), Unknown, 0, 1, false, ""},
		{"twins: one applied, one replayed", chain("k", replay(try(200, 1, 1.1)), try(200, 1, 1.2)), Acked, 1, 1, false, ""},
		{"twins both fresh: applied twice", chain("k", try(200, 1, 1.1), try(200, 1, 1.2)), Acked, 1, 1, false, "applied 2 times"},
		{"twins both replayed", chain("k", replay(try(200, 1, 1.1)), replay(try(200, 1, 1.2))), Acked, 1, 1, false, "no earlier attempt"},
		{"a replay without a key", chain("", replay(try(200, 1, 1.1))), Acked, 1, 1, false, "without a key"},
		{"a reused key", reused, Refused, 0, 0, false, "reused key"},
		{"the ring turned while it was retried", forgotten, Acked, 1, 2, true, ""},
		{"the ring nearly turned", almost, Acked, 1, 1, false, ""},
	}
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			v := j.Classify(x.e)
			if v.Outcome != x.want || v.Min != x.min || v.Max != x.max || v.Forgotten != x.forgotten {
				t.Errorf("Classify = %+v, want %v applied %d–%d forgotten=%v", v, x.want, x.min, x.max, x.forgotten)
			}
			if x.problem == "" && v.Problem != "" || !strings.Contains(v.Problem, x.problem) {
				t.Errorf("problem %q, want %q", v.Problem, x.problem)
			}
		})
	}
	// Before the end, the timeline is not complete: every 503 may hide a
	// write, and no problem is told.
	live := Judge{StoreTimeout: 2 * time.Second}
	if v := live.Classify(chain("k", try(503, 11, 11.01))); v.Outcome != Unknown || v.Max != 1 {
		t.Errorf("a 503 during the run: %+v, want unknown", v)
	}
	if v := live.Classify(chain("", replay(try(200, 1, 1.1)))); v.Problem != "" {
		t.Errorf("a provisional verdict told a problem: %q", v.Problem)
	}
	if v := live.Classify(forgotten); v.Forgotten || v.Max != 1 {
		t.Errorf("a provisional verdict judged the ring: %+v", v)
	}
}

func TestMayHaveApplied(t *testing.T) {
	tt := Times{Kill: sec(10), Dead: sec(10.1), Restart: sec(13), Ready: sec(13.5)}
	final := Judge{Times: tt, Final: true, StoreTimeout: 2 * time.Second}
	tests := []struct {
		name string
		a    Attempt
		j    Judge
		want bool
	}{
		{"a 2xx is an answer", try(200, 1, 1.1), final, false},
		{"a 4xx is an answer", try(409, 1, 1.1), final, false},
		{"no answer", try(0, 1, 2), final, true},
		{"a 500", try(500, 1, 1.1), final, true},
		{"a fast 503 while down", try(503, 11, 11.01), final, false},
		{"a 503 just under the store timeout", Attempt{Status: 503, Start: sec(1), End: sec(1).Add(2*time.Second - 1)}, final, false},
		{"a 503 at the store timeout", try(503, 1, 3), final, true},
		{"a 503 in flight at the kill", try(503, 9.9, 10.05), final, true},
		{"a 503 without store timeouts (memory)", try(503, 1, 5), Judge{Final: true}, false},
		{"a 503 before the end", try(503, 11, 11.01), Judge{Times: tt}, true},
	}
	for _, x := range tests {
		if got := x.j.MayHaveApplied(x.a); got != x.want {
			t.Errorf("%s: MayHaveApplied = %v, want %v", x.name, got, x.want)
		}
	}
}

func TestTurnover(t *testing.T) {
	retried := chain("k", try(0, 10, 20), try(200, 21, 21.1)) // retried from 10 s to 21 s
	other := func(status int, a, b float64) Event {
		return Event{Kind: Add, SKU: "b", Key: "x", Status: status, Start: sec(a), End: sec(b)}
	}
	replayed := other(200, 12, 12.1)
	replayed.Replayed = true
	retriedOther := other(200, 15, 15.1)
	retriedOther.Earlier = []Attempt{try(503, 14, 14.5)}
	retriedOther.Replayed = true
	logs := [][]Event{
		{retried, other(200, 22, 22.1), chain("", try(200, 23, 23.1)), chain("k2", try(200, 24, 24.1))},
		{
			other(200, 5, 9.9),   // ended before the first attempt
			other(200, 9, 10.5),  // overlaps its start
			other(200, 12, 12.1), // inside
			replayed,             // a replay records nothing
			other(404, 13, 13.1), // a refusal records nothing
			other(0, 13, 13.5),   // no answer: may have recorded
			other(503, 14, 14.1), // a 503: may have recorded
			retriedOther,         // a 503 then a replay: the 503 may have recorded
			{Kind: Read, Status: 200, Start: sec(16), End: sec(16.1)},
			other(200, 20.9, 21),  // before its last attempt
			other(200, 21, 21.05), // when its last attempt began: no longer
		},
		{other(200, 18, 18.1)}, // a third client counts too
	}
	Turnover(logs)
	if got := logs[0][0].Turnover; got != 7 {
		t.Errorf("turnover %d, want 7", got)
	}
	for i, e := range logs[0][1:] {
		if e.Turnover != 0 {
			t.Errorf("change %d was not retried, yet has a turnover of %d", i+1, e.Turnover)
		}
	}
	if got := logs[1][7].Turnover; got != 1 {
		t.Errorf("the second client's retried change (14–15.1 s) overlaps only the first client's unanswered attempt: turnover %d, want 1", got)
	}
}

func TestOverlapping(t *testing.T) {
	change := func(a, b float64) Event { return Event{Kind: Add, Status: 200, Start: sec(a), End: sec(b)} }
	retried := change(20, 21)
	retried.Earlier = []Attempt{try(503, 10, 10.5)}
	logs := [][]Event{
		{change(0, 1), change(2, 3), {Kind: Read, Status: 200, Start: sec(4), End: sec(6)}, change(7, 8), retried},
		{change(0.5, 1.5), change(3, 4), change(5, 5.5), change(7.5, 7.6), change(10.2, 10.3)},
		{change(7.2, 7.3)},
	}
	// overlapping: 0–1 with 0.5–1.5; 7–8 with 7.5–7.6 and 7.2–7.3;
	// the retried one's first attempt with 10.2–10.3. Not: 2–3 and 3–4
	// (they touch), 5–5.5 (only a read).
	if got := Overlapping(logs); got != 7 {
		t.Errorf("Overlapping = %d, want 7", got)
	}
	if got := Overlapping(logs[:1]); got != 0 {
		t.Errorf("one client alone overlaps nothing: %d", got)
	}
}

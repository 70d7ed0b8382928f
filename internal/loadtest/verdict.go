package loadtest

import (
	"fmt"
	"slices"
	"time"
)

// RingKeys is how many idempotency keys a session remembers (the API's
// "Retries: Idempotency-Key": its 32 most recent keys). A change without a
// key takes a slot too: the server records an operation ID for it.
const RingKeys = 32

// Outcome is how the check counts a response.
type Outcome int

// The outcomes of a request.
const (
	// Acked: a 2xx; the change was applied (once, by one of its attempts).
	Acked Outcome = iota
	// Refused: a 4xx, or only 503s from a store that was already down;
	// nothing was applied (a 4xx's code may say something about the cart).
	Refused
	// Unknown: the attempts ended without a definite answer (no response,
	// another 5xx, or a 503 that may hide a write that landed); the change
	// may or may not have been applied.
	Unknown
)

var outcomeNames = [...]string{"acked", "refused", "unknown"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Attempt is one send of a logged request and what came back.
type Attempt struct {
	Status   int    // 0 when no response came (transport error, timeout)
	Code     string // the error code of a 4xx/5xx body
	Replayed bool   // the answer carried Idempotent-Replayed: true
	Start    time.Time
	End      time.Time
}

func ok(status int) bool { return status >= 200 && status < 300 }

// Verdict is how the check counts one logged request.
type Verdict struct {
	Outcome Outcome
	// Min and Max bound how often the change was applied. A change is
	// applied at most once (the server records its key, or an operation
	// ID, in the same write), so an acknowledged one counts exactly once,
	// an unknown one 0 or 1 times, a refused one never; except that a key
	// retried after the session had recorded RingKeys other changes may
	// have left the ring, and then each attempt that may have been
	// applied counts as one possible application more.
	Min, Max int
	// Forgotten: that exception applies (the key may have left the ring).
	Forgotten bool
	// Problem says how the answers contradict the contract (a replay of
	// something never applied, one key applied twice, a replay of a change
	// sent without a key); "" when they do not. Only the final judge
	// tells.
	Problem string
}

// Judge classifies logged requests.
type Judge struct {
	// Times is the fault timeline (zero: no fault).
	Times Times
	// Final: the run is over and Times complete. Until then every 503 may
	// hide a write that landed; after, a 503 is a refusal (nothing
	// applied, as the contract says) unless it was in flight when the
	// store was stopped or came after StoreTimeout.
	Final bool
	// StoreTimeout is the runner's bound of one store call attempt
	// (internal/dynamoclient): a 503 that took this long came after a
	// timeout, and the write may have landed after it. 0 for a store
	// without timeouts (memory).
	StoreTimeout time.Duration
}

// MayHaveApplied reports whether an attempt without a 2xx may still have
// changed the session.
func (j Judge) MayHaveApplied(a Attempt) bool {
	switch {
	case ok(a.Status), a.Status >= 400 && a.Status < 500:
		return false
	case a.Status != 503, !j.Final:
		return true // no answer, another 5xx, or a 503 before the timeline is complete
	}
	slow := j.StoreTimeout > 0 && a.End.Sub(a.Start) >= j.StoreTimeout
	return slow || j.Times.InFlightAtKill(a.Start, a.End)
}

// Classify is the verdict on e.
func (j Judge) Classify(e Event) Verdict {
	var fresh, replayed, maybe int
	var v Verdict
	for _, a := range e.Attempts() {
		switch {
		case ok(a.Status) && a.Replayed:
			replayed++
		case ok(a.Status):
			fresh++
		case j.MayHaveApplied(a):
			maybe++
		}
	}
	switch answer := e.Status; {
	case ok(answer):
		v.Outcome, v.Min, v.Max = Acked, 1, 1
	case answer >= 400 && answer < 500:
		v.Outcome = Refused
	case maybe == 0 && answer == 503:
		v.Outcome = Refused
	default:
		v.Outcome, v.Max = Unknown, 1
	}
	if !j.Final {
		return v
	}
	if e.Key != "" && e.Turnover >= RingKeys && len(e.Earlier) > 0 {
		v.Forgotten = true
		v.Max = max(v.Max, fresh+maybe)
	}
	v.Problem = problem(e, fresh, replayed, maybe, v.Forgotten)
	return v
}

// problem says how e's answers contradict the contract, "" when they do
// not.
func problem(e Event, fresh, replayed, maybe int, forgotten bool) string {
	switch {
	case e.Key == "" && replayed > 0:
		return "answered as a replay, but it was sent without a key (an operation ID is never a replay)"
	case e.Code == "idempotency_key_reused":
		return "refused as a reused key, but every attempt sent the same request"
	case fresh > 1 && !forgotten:
		return fmt.Sprintf("one key answered as applied %d times (no Idempotent-Replayed)", fresh)
	case replayed > 0 && fresh == 0 && maybe == 0:
		return "answered as a replay, but no earlier attempt can have been applied"
	}
	return ""
}

// Turnover fills in Event.Turnover for every change of logs[i] (one log per
// client of a session) that was sent more than once with a key: how many
// changes of the other clients may have been recorded in the session's
// ring while it was retried, that is those that ran at some point between
// its first attempt and its last, and had an attempt that was applied
// (a 2xx that was not a replay) or may have been (no answer, a 5xx).
func Turnover(logs [][]Event) {
	for i, log := range logs {
		for k := range log {
			e := &log[k]
			if e.Key == "" || len(e.Earlier) == 0 {
				continue
			}
			e.Turnover = 0
			for j, other := range logs {
				if j == i {
					continue
				}
				for _, f := range other {
					if f.End.After(e.First()) && f.First().Before(e.Start) && mayRecord(f) {
						e.Turnover++
					}
				}
			}
		}
	}
}

// mayRecord reports whether f may have recorded a key (its own or an
// operation ID) in its session.
func mayRecord(f Event) bool {
	if f.Kind == Read {
		return false
	}
	for _, a := range f.Attempts() {
		if ok(a.Status) && !a.Replayed || a.Status == 0 || a.Status >= 500 {
			return true
		}
	}
	return false
}

// Overlapping counts the changes of logs (one log per client of a
// session) that were in flight, for at least one attempt, while a change
// of another client of the same session was: the concurrent updates of one
// session the check covers.
func Overlapping(logs [][]Event) int {
	type span struct {
		start, end time.Time
		client     int
		change     *Event
	}
	var spans []span
	for i, log := range logs {
		for k := range log {
			if log[k].Kind == Read {
				continue
			}
			for _, a := range log[k].Attempts() {
				spans = append(spans, span{a.Start, a.End, i, &log[k]})
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	seen := map[*Event]bool{}
	for i, s := range spans {
		for _, t := range spans[i+1:] {
			if !t.start.Before(s.end) {
				break
			}
			if t.client != s.client {
				seen[s.change], seen[t.change] = true, true
			}
		}
	}
	return len(seen)
}

package session_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
)

// fuzzNames are few, so that ops meet each other's names (and a map meets
// a counter of the same name); the last one is invalid.
var fuzzNames = []string{"a", "b", "c", "bad name"}

var (
	errFuzzRange   = errors.New("fuzz: range")
	errFuzzFull    = errors.New("fuzz: full")
	errFuzzMissing = errors.New("fuzz: missing")
)

// fuzzReader hands out the fuzzer's bytes, zero when they run out.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) byte() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzReader) name() string { return fuzzNames[int(r.byte())%len(fuzzNames)] }
func (r *fuzzReader) small() int64 { return int64(int8(r.byte())) }

// data builds Data from the bytes: a few maps and counters with small
// values (skipping names the two kinds would share).
func (r *fuzzReader) data() session.Data {
	var d session.Data
	for range int(r.byte() % 4) {
		name := r.name()
		if r.byte()%2 == 0 {
			if _, ok := d.Counters[name]; ok {
				continue
			}
			if d.Maps == nil {
				d.Maps = map[string]map[string]int64{}
			}
			m := map[string]int64{}
			for range int(r.byte() % 4) {
				m[r.name()] = r.small()
			}
			d.Maps[name] = m
		} else {
			if _, ok := d.Maps[name]; ok {
				continue
			}
			if d.Counters == nil {
				d.Counters = map[string]int64{}
			}
			d.Counters[name] = r.small()
		}
	}
	return d
}

func (r *fuzzReader) rng() session.Range {
	lo, hi := r.small(), r.small()
	var err error = errFuzzRange
	if r.byte() == 255 {
		err = nil // an op without its error: an invalid change
	}
	return session.Range{Min: lo, Max: hi, Err: err}
}

// op builds one op of any kind from the bytes.
func (r *fuzzReader) op() session.Op {
	switch r.byte() % 5 {
	case 0:
		return session.AddToEntry{Map: r.name(), Entry: r.name(), Delta: r.small(), Range: r.rng(), MaxEntries: int(r.byte() % 4), ErrFull: errFuzzFull}
	case 1:
		return session.SetEntry{Map: r.name(), Entry: r.name(), Value: r.small(), Range: r.rng(), MustExist: r.byte()%2 == 0,
			ErrMissing: errFuzzMissing, MaxEntries: int(r.byte() % 4), ErrFull: errFuzzFull}
	case 2:
		return session.RemoveEntry{Map: r.name(), Entry: r.name(), ErrMissing: errFuzzMissing}
	case 3:
		return session.ClearMap{Map: r.name()}
	default:
		return session.AddToCounter{Counter: r.name(), Delta: r.small(), Range: r.rng()}
	}
}

// FuzzApply evaluates random ops on random data. Apply never panics and
// never changes its input; a refusal is an invalid change or one of the
// ops' own errors; a success leaves every op's value within its range,
// its removal done, its map cleared, no map past its entry limit by the
// op's doing; and memstore's Update agrees with Apply exactly.
func FuzzApply(f *testing.F) {
	f.Add([]byte{2, 0, 0, 2, 1, 5, 0, 0, 1, 9, 0})
	f.Add([]byte{1, 1, 2, 3, 0, 1, 1, 1, 1, 2, 4, 1, 0, 0, 3})
	f.Add([]byte{3, 0, 0, 1, 0, 1, 0, 0, 2, 1, 0, 0, 1, 0, 1, 2, 0, 9, 3, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &fuzzReader{b: b}
		d := r.data()
		var ops []session.Op
		for range int(r.byte()%3) + 1 {
			ops = append(ops, r.op())
		}
		before := d.Clone()
		got, err := session.Apply(d, ops)
		if !d.Equal(before) {
			t.Fatalf("Apply changed its input: %v → %v", before, d)
		}
		if checkErr := session.CheckOps(ops); checkErr != nil && !sameRefusal(err, checkErr) {
			t.Fatalf("CheckOps refused (%v) but Apply said %v", checkErr, err)
		}
		if err != nil {
			if !errors.Is(err, session.ErrInvalidChange) && err != errFuzzRange && err != errFuzzFull && err != errFuzzMissing {
				t.Fatalf("Apply refused with %v, which no op carries", err)
			}
		} else {
			checkApplied(t, before, got, ops)
		}
		checkMemstore(t, before, ops, got, err)
	})
}

// checkApplied checks what each successful op left in after.
func checkApplied(t *testing.T, before, after session.Data, ops []session.Op) {
	t.Helper()
	if err := after.Check(); err != nil && before.Check() == nil {
		t.Fatalf("Apply made data no store may hold: %v", err)
	}
	for _, op := range ops {
		switch op := op.(type) {
		case session.AddToEntry:
			if v, ok := after.Maps[op.Map][op.Entry]; !ok || !op.Range.Holds(v) || v != before.Maps[op.Map][op.Entry]+op.Delta {
				t.Fatalf("%+v left %d (present %v)", op, v, ok)
			}
			mapLimit(t, op.Map, op.MaxEntries, before, after)
		case session.SetEntry:
			if v, ok := after.Maps[op.Map][op.Entry]; !ok || v != op.Value || !op.Range.Holds(v) {
				t.Fatalf("%+v left %d (present %v)", op, v, ok)
			}
			if op.MustExist {
				if _, had := before.Maps[op.Map][op.Entry]; !had {
					t.Fatalf("%+v set a missing entry", op)
				}
			} else {
				mapLimit(t, op.Map, op.MaxEntries, before, after)
			}
		case session.RemoveEntry:
			if _, ok := after.Maps[op.Map][op.Entry]; ok {
				t.Fatalf("%+v left the entry", op)
			}
		case session.ClearMap:
			if m, ok := after.Maps[op.Map]; !ok || len(m) != 0 {
				t.Fatalf("%+v left %v (present %v)", op, m, ok)
			}
		case session.AddToCounter:
			if v := after.Counters[op.Counter]; !op.Range.Holds(v) || v != before.Counters[op.Counter]+op.Delta {
				t.Fatalf("%+v left %d", op, v)
			}
		}
	}
}

// mapLimit fails when an op grew map m past maxEntries.
func mapLimit(t *testing.T, m string, maxEntries int, before, after session.Data) {
	t.Helper()
	if n := len(after.Maps[m]); n > max(maxEntries, len(before.Maps[m])) {
		t.Fatalf("map %s holds %d entries, limit %d (had %d)", m, n, maxEntries, len(before.Maps[m]))
	}
}

// checkMemstore applies ops through memstore's Update on a record holding
// before and fails unless it answers what Apply did.
func checkMemstore(t *testing.T, before session.Data, ops []session.Op, want session.Data, wantErr error) {
	t.Helper()
	if before.Check() != nil {
		return
	}
	s, now := memstore.New(), time.Now()
	rec := session.Record{Key: "k", Data: before, CreatedAt: now, LastSeenAt: now, IdleWindow: time.Hour,
		IdleDeadline: now.Add(time.Hour), AbsoluteDeadline: now.Add(time.Hour)}
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	out, err := s.Update(t.Context(), "k", session.Change{Ops: ops, Key: "x"}, now)
	if !sameRefusal(err, wantErr) {
		t.Fatalf("memstore: %v, Apply: %v", err, wantErr)
	}
	if err == nil && (!out.Found || !out.Data.Equal(want)) {
		t.Fatalf("memstore: %+v, Apply: %v", out, want)
	}
}

// sameRefusal reports whether a and b are both nil, both invalid changes,
// or the same op error.
func sameRefusal(a, b error) bool {
	switch {
	case a == nil || b == nil:
		return a == b
	case errors.Is(a, session.ErrInvalidChange) || errors.Is(b, session.ErrInvalidChange):
		return errors.Is(a, session.ErrInvalidChange) && errors.Is(b, session.ErrInvalidChange)
	}
	return errors.Is(a, b)
}

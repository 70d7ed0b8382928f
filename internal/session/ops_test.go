package session_test

import (
	"errors"
	"testing"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
)

type m = map[string]map[string]int64
type c = map[string]int64

var r19 = session.Range{Min: 1, Max: 9, Err: errTooMany}

// TestApply evaluates each op on data, checking the result, the refusal,
// and that the input is never changed.
func TestApply(t *testing.T) {
	base := session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}}, Counters: c{"n": 5}}
	put := func(entry string, v int64) session.SetEntry {
		return session.SetEntry{Map: "bag", Entry: entry, Value: v, Range: r19, MaxEntries: 3, ErrFull: errFull}
	}
	mustSet := func(mp, entry string, v int64) session.SetEntry {
		return session.SetEntry{Map: mp, Entry: entry, Value: v, Range: r19, MustExist: true, ErrMissing: errNone}
	}
	remove := func(mp, entry string) session.RemoveEntry {
		return session.RemoveEntry{Map: mp, Entry: entry, ErrMissing: errNone}
	}
	counter := func(name string, d int64) session.AddToCounter {
		return session.AddToCounter{Counter: name, Delta: d, Range: session.Range{Min: 0, Max: 7, Err: errTooMany}}
	}
	tests := []struct {
		name    string
		ops     []session.Op
		want    session.Data
		wantErr error
	}{
		{"add to an entry", []session.Op{addOp("bag", "a", 3)}, session.Data{Maps: m{"bag": {"a": 5, "b": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"add up to the top", []session.Op{addOp("bag", "a", 7)}, session.Data{Maps: m{"bag": {"a": 9, "b": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"add past the top", []session.Op{addOp("bag", "a", 8)}, session.Data{}, errTooMany},
		{"add down to the bottom", []session.Op{addOp("bag", "a", -1)}, session.Data{Maps: m{"bag": {"a": 1, "b": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"add below the bottom", []session.Op{addOp("bag", "a", -2)}, session.Data{}, errTooMany},
		{"a new entry", []session.Op{addOp("bag", "c", 9)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9, "c": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"a new entry out of range", []session.Op{addOp("bag", "c", 10)}, session.Data{}, errTooMany},
		{"a new map", []session.Op{addOp("new", "x", 1)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}, "new": {"x": 1}}, Counters: c{"n": 5}}, nil},
		{"an empty map", []session.Op{addOp("empty", "x", 1)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {"x": 1}}, Counters: c{"n": 5}}, nil},
		{"add to a counter's name", []session.Op{addOp("n", "x", 1)}, session.Data{}, session.ErrInvalidChange},
		{"put a new entry", []session.Op{put("c", 4)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9, "c": 4}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"put an existing entry", []session.Op{put("a", 4)}, session.Data{Maps: m{"bag": {"a": 4, "b": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"put out of range", []session.Op{put("a", 10)}, session.Data{}, errTooMany},
		{"set an existing entry", []session.Op{mustSet("bag", "b", 1)}, session.Data{Maps: m{"bag": {"a": 2, "b": 1}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"set a missing entry", []session.Op{mustSet("bag", "z", 1)}, session.Data{}, errNone},
		{"set in a missing map", []session.Op{mustSet("none", "z", 1)}, session.Data{}, errNone},
		{"set below the range", []session.Op{mustSet("bag", "a", 0)}, session.Data{}, errTooMany},
		{"set on a counter's name", []session.Op{mustSet("n", "a", 1)}, session.Data{}, session.ErrInvalidChange},
		{"remove an entry", []session.Op{remove("bag", "a")}, session.Data{Maps: m{"bag": {"b": 9}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"remove a missing entry", []session.Op{remove("bag", "z")}, session.Data{}, errNone},
		{"remove from a missing map", []session.Op{remove("none", "z")}, session.Data{}, errNone},
		{"remove from a counter", []session.Op{remove("n", "z")}, session.Data{}, session.ErrInvalidChange},
		{"clear", []session.Op{session.ClearMap{Map: "bag"}}, session.Data{Maps: m{"bag": {}, "empty": {}}, Counters: c{"n": 5}}, nil},
		{"clear a new map", []session.Op{session.ClearMap{Map: "new"}}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}, "new": {}}, Counters: c{"n": 5}}, nil},
		{"clear a counter", []session.Op{session.ClearMap{Map: "n"}}, session.Data{}, session.ErrInvalidChange},
		{"a counter", []session.Op{counter("n", 2)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}}, Counters: c{"n": 7}}, nil},
		{"a counter past the top", []session.Op{counter("n", 3)}, session.Data{}, errTooMany},
		{"a counter to the bottom", []session.Op{counter("n", -5)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}}, Counters: c{"n": 0}}, nil},
		{"a counter below the bottom", []session.Op{counter("n", -6)}, session.Data{}, errTooMany},
		{"a new counter", []session.Op{counter("v", 1)}, session.Data{Maps: m{"bag": {"a": 2, "b": 9}, "empty": {}}, Counters: c{"n": 5, "v": 1}}, nil},
		{"a counter on a map's name", []session.Op{counter("bag", 1)}, session.Data{}, session.ErrInvalidChange},
		{"ops in order, all or none", []session.Op{counter("v", 1), addOp("bag", "a", 8)}, session.Data{}, errTooMany},
		{"several ops", []session.Op{counter("v", 1), remove("bag", "a"), session.ClearMap{Map: "empty"}},
			session.Data{Maps: m{"bag": {"b": 9}, "empty": {}}, Counters: c{"n": 5, "v": 1}}, nil},
	}
	for _, tt := range tests {
		before := base.Clone()
		got, err := session.Apply(base, tt.ops)
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.wantErr)
		}
		if !got.Equal(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if !base.Equal(before) {
			t.Fatalf("%s: Apply changed its input to %v", tt.name, base)
		}
	}
	// A full map refuses a new entry, not an existing one.
	full := session.Data{Maps: m{"bag": {"a": 1, "b": 1, "c": 1}}}
	if _, err := session.Apply(full, []session.Op{addOp("bag", "d", 1)}); !errors.Is(err, errFull) {
		t.Errorf("a 4th entry: err = %v, want ErrFull", err)
	}
	if _, err := session.Apply(full, []session.Op{put("d", 1)}); !errors.Is(err, errFull) {
		t.Errorf("put a 4th entry: err = %v, want ErrFull", err)
	}
	if got, err := session.Apply(full, []session.Op{addOp("bag", "c", 1), put("", 0)}); err == nil || got.Maps != nil {
		t.Errorf("an invalid op after a valid one: %v, %v", got, err)
	}
}

// TestCheckOps lists what makes a change invalid.
func TestCheckOps(t *testing.T) {
	noFull := addOp("bag", "a", 1)
	noFull.ErrFull = nil
	zeroMax := addOp("bag", "a", 1)
	zeroMax.MaxEntries = 0
	noRangeErr := addOp("bag", "a", 1)
	noRangeErr.Range.Err = nil
	wide := addOp("bag", "a", 1)
	wide.Range = session.Range{Min: -session.ValueLimit, Max: session.ValueLimit, Err: errTooMany}
	tooWide := wide
	tooWide.Range.Max = session.ValueLimit + 1
	tooLow := wide
	tooLow.Range.Min = -session.ValueLimit - 1
	bigDelta := wide
	bigDelta.Delta = session.ValueLimit + 1
	negDelta := wide
	negDelta.Delta = -session.ValueLimit - 1
	valid := []session.Op{
		addOp("bag", "a", 1), wide,
		session.SetEntry{Map: "m", Entry: "e", Value: 1, Range: r19, MustExist: true, ErrMissing: errNone},
		session.RemoveEntry{Map: "r", Entry: "e", ErrMissing: errNone},
		session.ClearMap{Map: "cl"},
		session.AddToCounter{Counter: "c", Delta: -3, Range: r19},
		session.AddToEntry{Map: "A-Z_a.z:0-9", Entry: string(make64('x')), Delta: 0, Range: r19, MaxEntries: 1, ErrFull: errFull},
		session.SetEntry{Map: "m", Entry: "e", Value: 9, Range: r19, MustExist: true, ErrMissing: errNone}, // the top
		session.SetEntry{Map: "m", Entry: "e", Value: 1, Range: r19, MustExist: true, ErrMissing: errNone}, // the bottom
		session.AddToCounter{Counter: "one", Delta: 5, Range: session.Range{Min: 5, Max: 5, Err: errTooMany}},
	}
	for _, op := range valid {
		if err := session.CheckOps([]session.Op{op}); err != nil {
			t.Errorf("%+v: %v, want valid", op, err)
		}
	}
	invalid := map[string][]session.Op{
		"none":                   nil,
		"nil":                    {nil},
		"two on one map":         {addOp("bag", "a", 1), session.ClearMap{Map: "bag"}},
		"a map and a counter":    {addOp("x", "a", 1), session.AddToCounter{Counter: "x", Range: r19}},
		"no ErrFull":             {noFull},
		"MaxEntries 0":           {zeroMax},
		"no range error":         {noRangeErr},
		"a range too wide":       {tooWide},
		"a range too low":        {tooLow},
		"a delta too big":        {bigDelta},
		"a delta too negative":   {negDelta},
		"an empty range":         {session.AddToCounter{Counter: "c", Range: session.Range{Min: 2, Max: 1, Err: errTooMany}}},
		"a counter's delta":      {session.AddToCounter{Counter: "c", Delta: session.ValueLimit + 1, Range: r19}},
		"a counter's range":      {session.AddToCounter{Counter: "c", Range: session.Range{Min: 1, Max: 2}}},
		"set without ErrMissing": {session.SetEntry{Map: "m", Entry: "e", Value: 1, Range: r19, MustExist: true}},
		"put without ErrFull":    {session.SetEntry{Map: "m", Entry: "e", Value: 1, Range: r19, MaxEntries: 3}},
		"put with MaxEntries 0":  {session.SetEntry{Map: "m", Entry: "e", Value: 1, Range: r19, ErrFull: errFull}},
		"set without a range":    {session.SetEntry{Map: "m", Entry: "e", Value: 1, MustExist: true, ErrMissing: errNone}},
		"set's entry name":       {session.SetEntry{Map: "m", Entry: "", Value: 1, Range: r19, MustExist: true, ErrMissing: errNone}},
		"remove without error":   {session.RemoveEntry{Map: "r", Entry: "e"}},
		"remove's map name":      {session.RemoveEntry{Map: "r r", Entry: "e", ErrMissing: errNone}},
		"remove's entry name":    {session.RemoveEntry{Map: "r", Entry: "é", ErrMissing: errNone}},
		"clear's name":           {session.ClearMap{Map: ""}},
		"a counter's name":       {session.AddToCounter{Counter: "c/d", Range: r19}},
		"a 65-byte name":         {session.ClearMap{Map: string(make64('y')) + "y"}},
		"add's map name":         {addOp("", "a", 1)},
		"add's entry name":       {addOp("bag", "a\x00", 1)},
	}
	for name, ops := range invalid {
		if err := session.CheckOps(ops); !errors.Is(err, session.ErrInvalidChange) {
			t.Errorf("%s: err = %v, want ErrInvalidChange", name, err)
		}
	}
	// A value outside its range is the op's refusal, not an invalid change.
	for _, v := range []int64{0, 10} {
		op := session.SetEntry{Map: "m", Entry: "e", Value: v, Range: r19, MustExist: true, ErrMissing: errNone}
		if err := session.CheckOps([]session.Op{op}); err != errTooMany {
			t.Errorf("set %d: err = %v, want the range's error", v, err)
		}
	}
}

func make64(b byte) []byte {
	out := make([]byte, session.MaxNameBytes)
	for i := range out {
		out[i] = b
	}
	return out
}

// TestDataCheckCloneEqual covers the helpers the stores rely on.
func TestDataCheckCloneEqual(t *testing.T) {
	d := session.Data{Maps: m{"bag": {"a": 1}, "empty": {}}, Counters: c{"n": 1}}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]session.Data{
		"map name":     {Maps: m{"a b": {}}},
		"entry name":   {Maps: m{"bag": {"": 1}}},
		"counter name": {Counters: c{"#": 1}},
		"both kinds":   {Maps: m{"x": {}}, Counters: c{"x": 1}},
	} {
		if err := bad.Check(); !errors.Is(err, session.ErrInvalidChange) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	cl := d.Clone()
	cl.Maps["bag"]["a"] = 5
	cl.Maps["empty"]["x"] = 1
	cl.Counters["n"] = 5
	if d.Maps["bag"]["a"] != 1 || len(d.Maps["empty"]) != 0 || d.Counters["n"] != 1 {
		t.Fatalf("Clone shares maps: %v", d)
	}
	if got := (session.Data{Maps: m{}, Counters: c{}}).Clone(); got.Maps != nil || got.Counters != nil {
		t.Errorf("Clone of empty outer maps = %+v, want nil ones", got)
	}
	if e := d.Clone(); e.Maps["empty"] == nil {
		t.Error("Clone dropped an empty map")
	}
	for name, e := range map[string]session.Data{
		"a missing map":   {Maps: m{"bag": {"a": 1}}, Counters: c{"n": 1}},
		"another entry":   {Maps: m{"bag": {"a": 2}, "empty": {}}, Counters: c{"n": 1}},
		"another counter": {Maps: m{"bag": {"a": 1}, "empty": {}}, Counters: c{"n": 2}},
		"no counters":     {Maps: m{"bag": {"a": 1}, "empty": {}}},
	} {
		if d.Equal(e) || e.Equal(d) {
			t.Errorf("%s: Equal", name)
		}
	}
	if !d.Equal(d.Clone()) || !(session.Data{}).Equal(session.Data{Maps: m{}, Counters: c{}}) {
		t.Error("Equal of equal data is false")
	}
}

// TestSuiteOnMemstore runs the store conformance suite here too, so that
// mutations of Apply and the key helpers are caught by this package's
// tests.
func TestSuiteOnMemstore(t *testing.T) {
	sessiontest.Run(t, func(*testing.T) session.Store { return memstore.New() })
}

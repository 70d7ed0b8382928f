package session

import (
	"fmt"
)

// Op is one typed change of Data, applied by Store.Update inside one
// atomic write. The set is closed: AddToEntry, SetEntry, RemoveEntry,
// ClearMap and AddToCounter. Each op carries its own limits and the errors
// to refuse with, which the feature owns ("at most so many of an item, so
// many items"); the session layer and the stores know none.
type Op interface {
	// target is the name the op changes and whether it names a map.
	target() (name string, isMap bool)
	// check reports an op that no store may apply (ErrInvalidChange), or
	// the op's own error when no data could accept it.
	check() error
	// apply changes d, which the caller owns, or refuses with the op's
	// error and leaves d as it was.
	apply(d *Data) error
}

// ValueLimit bounds every value, delta and limit of an op: |v| ≤ 2^62, so
// that no sum of two of them overflows.
const ValueLimit = 1 << 62

// Range bounds the value an op leaves behind: Min ≤ v ≤ Max, otherwise the
// op is refused with Err.
type Range struct {
	Min, Max int64
	Err      error
}

// Holds reports whether v lies within r.
func (r Range) Holds(v int64) bool { return r.Min <= v && v <= r.Max }

// Before is the range a value must lie in for value + delta to lie in r.
func (r Range) Before(delta int64) (lo, hi int64) { return r.Min - delta, r.Max - delta }

func (r Range) check() error {
	switch {
	case r.Err == nil:
		return fmt.Errorf("%w: a range without its error", ErrInvalidChange)
	case r.Min > r.Max:
		return fmt.Errorf("%w: range [%d, %d] is empty", ErrInvalidChange, r.Min, r.Max)
	case !inLimit(r.Min) || !inLimit(r.Max):
		return fmt.Errorf("%w: range [%d, %d] passes ±2^62", ErrInvalidChange, r.Min, r.Max)
	}
	return nil
}

func inLimit(v int64) bool { return -ValueLimit <= v && v <= ValueLimit }

// AddToEntry adds Delta to the entry Entry of the map Map, an absent entry
// (or map) counting as 0. It is refused with Range.Err when the entry would
// leave Range, and with ErrFull when the entry is new and the map already
// holds MaxEntries entries. A map that does not exist yet is created.
type AddToEntry struct {
	Map, Entry string
	Delta      int64
	Range      Range
	MaxEntries int
	ErrFull    error
}

// SetEntry sets the entry Entry of the map Map to Value. It is refused with
// Range.Err when Value lies outside Range (whatever the data). With
// MustExist it is refused with ErrMissing when the entry is absent;
// without, a new entry is refused with ErrFull when the map already holds
// MaxEntries entries, and a map that does not exist yet is created.
type SetEntry struct {
	Map, Entry string
	Value      int64
	Range      Range
	MustExist  bool
	ErrMissing error // with MustExist
	MaxEntries int   // without MustExist
	ErrFull    error // without MustExist
}

// RemoveEntry removes the entry Entry of the map Map, or is refused with
// ErrMissing when there is none.
type RemoveEntry struct {
	Map, Entry string
	ErrMissing error
}

// ClearMap empties the map Map, which then exists with no entries.
type ClearMap struct {
	Map string
}

// AddToCounter adds Delta to the counter Counter, an absent counter
// counting as 0. It is refused with Range.Err when the counter would leave
// Range.
type AddToCounter struct {
	Counter string
	Delta   int64
	Range   Range
}

func (o AddToEntry) target() (string, bool)   { return o.Map, true }
func (o SetEntry) target() (string, bool)     { return o.Map, true }
func (o RemoveEntry) target() (string, bool)  { return o.Map, true }
func (o ClearMap) target() (string, bool)     { return o.Map, true }
func (o AddToCounter) target() (string, bool) { return o.Counter, false }

func (o AddToEntry) check() error {
	if err := checkEntry(o.Map, o.Entry); err != nil {
		return err
	}
	if err := checkDelta(o.Delta); err != nil {
		return err
	}
	if err := checkCapacity(o.MaxEntries, o.ErrFull); err != nil {
		return err
	}
	return o.Range.check()
}

func (o SetEntry) check() error {
	if err := checkEntry(o.Map, o.Entry); err != nil {
		return err
	}
	if err := o.Range.check(); err != nil {
		return err
	}
	if o.MustExist && o.ErrMissing == nil {
		return fmt.Errorf("%w: SetEntry with MustExist needs ErrMissing", ErrInvalidChange)
	}
	if !o.MustExist {
		if err := checkCapacity(o.MaxEntries, o.ErrFull); err != nil {
			return err
		}
	}
	if !o.Range.Holds(o.Value) {
		return o.Range.Err
	}
	return nil
}

func (o RemoveEntry) check() error {
	if err := checkEntry(o.Map, o.Entry); err != nil {
		return err
	}
	if o.ErrMissing == nil {
		return fmt.Errorf("%w: RemoveEntry needs ErrMissing", ErrInvalidChange)
	}
	return nil
}

func (o ClearMap) check() error { return checkName("map", o.Map) }

func (o AddToCounter) check() error {
	if err := checkName("counter", o.Counter); err != nil {
		return err
	}
	if err := checkDelta(o.Delta); err != nil {
		return err
	}
	return o.Range.check()
}

func checkEntry(m, entry string) error {
	if err := checkName("map", m); err != nil {
		return err
	}
	return checkName("entry", entry)
}

func checkDelta(d int64) error {
	if !inLimit(d) {
		return fmt.Errorf("%w: delta %d passes ±2^62", ErrInvalidChange, d)
	}
	return nil
}

func checkCapacity(maxEntries int, errFull error) error {
	if maxEntries < 1 || errFull == nil {
		return fmt.Errorf("%w: an op that may add an entry needs MaxEntries ≥ 1 and ErrFull", ErrInvalidChange)
	}
	return nil
}

func (o AddToEntry) apply(d *Data) error {
	m, err := entries(d, o.Map)
	if err != nil {
		return err
	}
	have, ok := m[o.Entry]
	if lo, hi := o.Range.Before(o.Delta); have < lo || have > hi {
		return o.Range.Err
	}
	if !ok && len(m) >= o.MaxEntries {
		return o.ErrFull
	}
	put(d, o.Map, m)[o.Entry] = have + o.Delta
	return nil
}

func (o SetEntry) apply(d *Data) error {
	m, err := entries(d, o.Map)
	if err != nil {
		return err
	}
	_, ok := m[o.Entry]
	switch {
	case !ok && o.MustExist:
		return o.ErrMissing
	case !ok && len(m) >= o.MaxEntries:
		return o.ErrFull
	}
	put(d, o.Map, m)[o.Entry] = o.Value
	return nil
}

func (o RemoveEntry) apply(d *Data) error {
	m, err := entries(d, o.Map)
	if err != nil {
		return err
	}
	if _, ok := m[o.Entry]; !ok {
		return o.ErrMissing
	}
	delete(m, o.Entry)
	return nil
}

func (o ClearMap) apply(d *Data) error {
	if _, err := entries(d, o.Map); err != nil {
		return err
	}
	put(d, o.Map, nil)
	return nil
}

func (o AddToCounter) apply(d *Data) error {
	if _, ok := d.Maps[o.Counter]; ok {
		return fmt.Errorf("%w: %q is a map, not a counter", ErrInvalidChange, o.Counter)
	}
	have := d.Counters[o.Counter]
	if lo, hi := o.Range.Before(o.Delta); have < lo || have > hi {
		return o.Range.Err
	}
	if d.Counters == nil {
		d.Counters = map[string]int64{}
	}
	d.Counters[o.Counter] = have + o.Delta
	return nil
}

// entries returns the map name of d (nil when it does not exist), or an
// error when name is a counter.
func entries(d *Data, name string) (map[string]int64, error) {
	if _, ok := d.Counters[name]; ok {
		return nil, fmt.Errorf("%w: %q is a counter, not a map", ErrInvalidChange, name)
	}
	return d.Maps[name], nil
}

// put makes m (a new empty map when nil) the map name of d and returns it.
func put(d *Data, name string, m map[string]int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	if d.Maps == nil {
		d.Maps = map[string]map[string]int64{}
	}
	d.Maps[name] = m
	return m
}

// CheckOps reports whether ops may be applied at all: each op valid (with
// its names, limits and errors) and at most one op per name (a store
// writes each name once per update). The error wraps ErrInvalidChange, or
// is an op's own error when no data could accept that op (a SetEntry value
// outside its range). Stores call it before anything else, so such a
// change is refused the same way whether or not the session exists.
func CheckOps(ops []Op) error {
	if len(ops) == 0 {
		return fmt.Errorf("%w: no ops", ErrInvalidChange)
	}
	seen := make(map[string]bool, len(ops))
	for _, op := range ops {
		if op == nil {
			return fmt.Errorf("%w: a nil op", ErrInvalidChange)
		}
		name, _ := op.target()
		if seen[name] {
			return fmt.Errorf("%w: two ops on %q in one change", ErrInvalidChange, name)
		}
		seen[name] = true
	}
	for _, op := range ops {
		if err := op.check(); err != nil {
			return err
		}
	}
	return nil
}

// Apply returns d after ops, applied in order, or the first refusal (an
// op's own error, or one wrapping ErrInvalidChange) and no data. d itself
// is never changed. memstore applies changes with it; dynamostore uses it
// to tell why a conditional write failed and to build a map that does not
// exist yet.
func Apply(d Data, ops []Op) (Data, error) {
	if err := CheckOps(ops); err != nil {
		return Data{}, err
	}
	out := d.Clone()
	for _, op := range ops {
		if err := op.apply(&out); err != nil {
			return Data{}, err
		}
	}
	return out, nil
}

package session

import (
	"errors"
	"fmt"
	"maps"
)

// Data is the feature data a session carries: named integer maps (item →
// quantity) and named counters (a visit count). The session layer
// does not understand it; features own their names, limits and errors, and
// change it only through the typed operations below, which every store
// applies atomically (Store.Update). Maps and counters share one namespace:
// a name is either a map or a counter.
type Data struct {
	Maps     map[string]map[string]int64
	Counters map[string]int64
}

// Clone returns a deep copy of d. Empty outer maps come back nil.
func (d Data) Clone() Data {
	var c Data
	if len(d.Maps) > 0 {
		c.Maps = make(map[string]map[string]int64, len(d.Maps))
		for name, m := range d.Maps {
			c.Maps[name] = cloneEntries(m)
		}
	}
	if len(d.Counters) > 0 {
		c.Counters = maps.Clone(d.Counters)
	}
	return c
}

// cloneEntries copies m, never returning nil: a map that exists stays a map
// even when it is empty.
func cloneEntries(m map[string]int64) map[string]int64 {
	c := make(map[string]int64, len(m))
	maps.Copy(c, m)
	return c
}

// Equal reports whether d and e hold the same maps (an empty map is not a
// missing one), entries and counters.
func (d Data) Equal(e Data) bool {
	return maps.EqualFunc(d.Maps, e.Maps, func(a, b map[string]int64) bool { return maps.Equal(a, b) }) &&
		maps.Equal(d.Counters, e.Counters)
}

// Check reports whether d may be stored: every name valid, and no name both
// a map and a counter. Its error wraps ErrInvalidChange.
func (d Data) Check() error {
	for name, m := range d.Maps {
		if err := checkName("map", name); err != nil {
			return err
		}
		if _, ok := d.Counters[name]; ok {
			return fmt.Errorf("%w: %q is both a map and a counter", ErrInvalidChange, name)
		}
		for entry := range m {
			if err := checkName("entry", entry); err != nil {
				return err
			}
		}
	}
	for name := range d.Counters {
		if err := checkName("counter", name); err != nil {
			return err
		}
	}
	return nil
}

// ErrInvalidChange is wrapped by the error of a change no store may apply:
// a bad name, an op without its limits or errors, two ops on one name, a
// map used as a counter. It is a programming error, not an outcome.
var ErrInvalidChange = errors.New("session: invalid change")

// MaxNameBytes is the longest map, entry or counter name.
const MaxNameBytes = 64

// checkName accepts 1–MaxNameBytes characters of A-Z a-z 0-9 _ . : -,
// which every store carries safely (a DynamoDB document path segment, a log
// line).
func checkName(kind, name string) error {
	if len(name) == 0 || len(name) > MaxNameBytes {
		return fmt.Errorf("%w: %s name of %d bytes", ErrInvalidChange, kind, len(name))
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '-'
		if !ok {
			return fmt.Errorf("%w: %s name %q", ErrInvalidChange, kind, name)
		}
	}
	return nil
}

package loadtest

import (
	"math/bits"
	"strconv"
	"strings"
)

// MaxQuantity is the API's cap on one cart line.
const MaxQuantity = 99

// QtySet is a set of the quantities 0–MaxQuantity a cart line may hold; 0
// means the line is not in the cart. A line whose last change had an unknown
// outcome may hold either of two values, so the check keeps sets.
type QtySet [2]uint64

// Only is the set holding just q.
func Only(q int) QtySet {
	var s QtySet
	s.put(q)
	return s
}

func (s *QtySet) put(q int) {
	if q >= 0 && q <= MaxQuantity {
		s[q/64] |= 1 << (q % 64)
	}
}

// Has reports whether q is in s.
func (s QtySet) Has(q int) bool {
	return q >= 0 && q <= MaxQuantity && s[q/64]&(1<<(q%64)) != 0
}

// Union is s ∪ t.
func (s QtySet) Union(t QtySet) QtySet { return QtySet{s[0] | t[0], s[1] | t[1]} }

// Len is the number of quantities in s.
func (s QtySet) Len() int { return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) }

// Empty reports whether s holds nothing.
func (s QtySet) Empty() bool { return s[0] == 0 && s[1] == 0 }

// Values lists s in increasing order.
func (s QtySet) Values() []int {
	var out []int
	for q := 0; q <= MaxQuantity; q++ {
		if s.Has(q) {
			out = append(out, q)
		}
	}
	return out
}

// Min is the smallest quantity in s (-1 when empty).
func (s QtySet) Min() int {
	if v := s.Values(); len(v) > 0 {
		return v[0]
	}
	return -1
}

// Max is the largest quantity in s (-1 when empty).
func (s QtySet) Max() int {
	if v := s.Values(); len(v) > 0 {
		return v[len(v)-1]
	}
	return -1
}

// Filter is the subset of s for which keep holds.
func (s QtySet) Filter(keep func(q int) bool) QtySet {
	var out QtySet
	for _, q := range s.Values() {
		if keep(q) {
			out.put(q)
		}
	}
	return out
}

// Plus is {x+n : x ∈ s, x+n ≤ MaxQuantity}: the line after adding n, where
// the API refuses to pass the cap.
func (s QtySet) Plus(n int) QtySet {
	var out QtySet
	for _, q := range s.Values() {
		out.put(q + n)
	}
	return out
}

// Sum is {x+y : x ∈ s, y ∈ t, x+y ≤ MaxQuantity}.
func (s QtySet) Sum(t QtySet) QtySet {
	var out QtySet
	for _, y := range t.Values() {
		out = out.Union(s.Plus(y))
	}
	return out
}

// Range is the set of lo to hi, both included (empty when lo > hi).
func Range(lo, hi int) QtySet {
	var s QtySet
	for q := max(lo, 0); q <= hi; q++ {
		s.put(q)
	}
	return s
}

// String shows s as {0,3}, with runs of three or more as {0,5-99}.
func (s QtySet) String() string {
	vals := s.Values()
	var parts []string
	for i := 0; i < len(vals); {
		j := i
		for j+1 < len(vals) && vals[j+1] == vals[j]+1 {
			j++
		}
		switch {
		case j-i >= 2:
			parts = append(parts, strconv.Itoa(vals[i])+"-"+strconv.Itoa(vals[j]))
		case j > i:
			parts = append(parts, strconv.Itoa(vals[i]), strconv.Itoa(vals[j]))
		default:
			parts = append(parts, strconv.Itoa(vals[i]))
		}
		i = j + 1
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// SubsetSums is the set of every sum of a subset of qs (the empty subset
// included) up to MaxQuantity: what the unknown adds to a line may have
// added.
func SubsetSums(qs []int) QtySet {
	sums := Only(0)
	for _, q := range qs {
		sums = sums.Union(sums.Plus(q))
	}
	return sums
}

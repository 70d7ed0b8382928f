package loadtest

import (
	"slices"
	"testing"
)

func TestQtySet(t *testing.T) {
	s := Only(0).Union(Only(3)).Union(Only(64)).Union(Only(99))
	if got := s.Values(); !slices.Equal(got, []int{0, 3, 64, 99}) {
		t.Fatalf("Values = %v", got)
	}
	if s.Len() != 4 || s.Min() != 0 || s.Max() != 99 || s.String() != "{0,3,64,99}" {
		t.Errorf("Len %d Min %d Max %d String %s", s.Len(), s.Min(), s.Max(), s)
	}
	if got := s.Plus(1).Values(); !slices.Equal(got, []int{1, 4, 65}) {
		t.Errorf("Plus(1) = %v: 99+1 must drop out (the cap)", got)
	}
	if got := s.Filter(func(q int) bool { return q > 50 }).Values(); !slices.Equal(got, []int{64, 99}) {
		t.Errorf("Filter = %v", got)
	}
	if !Only(100).Empty() || !Only(-1).Empty() || Only(100).Has(100) {
		t.Error("quantities outside 0–99 are never held")
	}
	var empty QtySet
	if empty.Min() != -1 || empty.Max() != -1 || empty.String() != "{}" {
		t.Errorf("empty: Min %d Max %d %s", empty.Min(), empty.Max(), empty)
	}
}

func TestSubsetSums(t *testing.T) {
	tests := []struct {
		qs   []int
		want []int
	}{
		{nil, []int{0}},
		{[]int{2}, []int{0, 2}},
		{[]int{1, 1}, []int{0, 1, 2}},
		{[]int{1, 2, 4}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{[]int{60, 60}, []int{0, 60}}, // 120 passes the cap
	}
	for _, tt := range tests {
		if got := SubsetSums(tt.qs).Values(); !slices.Equal(got, tt.want) {
			t.Errorf("SubsetSums(%v) = %v, want %v", tt.qs, got, tt.want)
		}
	}
}

func TestSum(t *testing.T) {
	s := Only(0).Union(Only(90))
	if got := s.Sum(Only(1).Union(Only(10))).String(); got != "{1,10,91}" {
		t.Errorf("Sum = %s: 90+10 passes the cap", got)
	}
	if got := s.Sum(QtySet{}); !got.Empty() {
		t.Errorf("a sum with nothing is nothing, got %s", got)
	}
}

func TestQtySetRangeAndString(t *testing.T) {
	tests := []struct {
		s    QtySet
		want string
	}{
		{QtySet{}, "{}"},
		{Only(5), "{5}"},
		{Range(3, 4), "{3,4}"},
		{Range(3, 5), "{3-5}"},
		{Range(0, MaxQuantity), "{0-99}"},
		{Range(-3, 1), "{0,1}"},
		{Range(5, 4), "{}"},
		{Range(97, 120), "{97-99}"},
		{Only(0).Union(Range(2, 4)).Union(Only(7)).Union(Range(8, 9)), "{0,2-4,7-9}"},
		{Only(1).Union(Only(3)).Union(Only(4)), "{1,3,4}"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("String = %s, want %s", got, tt.want)
		}
	}
	if r := Range(10, 20); r.Len() != 11 || r.Min() != 10 || r.Max() != 20 {
		t.Errorf("Range(10, 20): len %d, min %d, max %d", r.Len(), r.Min(), r.Max())
	}
}

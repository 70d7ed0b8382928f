package user

import (
	"testing"
	"time"
)

func TestLimitValid(t *testing.T) {
	for _, tt := range []struct {
		l    Limit
		want bool
	}{
		{Limit{Max: 5, Window: 15 * time.Minute}, true},
		{Limit{Max: 1, Window: time.Nanosecond}, true},
		{Limit{Max: 0, Window: time.Minute}, false},
		{Limit{Max: -1, Window: time.Minute}, false},
		{Limit{Max: 5, Window: 0}, false},
		{Limit{Max: 5, Window: -time.Minute}, false},
	} {
		if got := tt.l.Valid(); got != tt.want {
			t.Errorf("%+v.Valid() = %v, want %v", tt.l, got, tt.want)
		}
	}
}

package loadtest

import (
	"testing"
	"time"
)

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{0: true, 503: true, 200: false, 204: false, 400: false, 404: false, 422: false, 500: false, 502: false, 504: false} {
		if got := Retryable(status); got != want {
			t.Errorf("Retryable(%d) = %v, want %v", status, got, want)
		}
	}
}

func TestRetryWait(t *testing.T) {
	p := RetryPolicy{Base: 100 * time.Millisecond, Cap: time.Second, MaxRetryAfter: 3 * time.Second, For: time.Minute}
	tests := []struct {
		name       string
		n          int
		retryAfter time.Duration
		jitter     float64
		want       time.Duration
	}{
		{"first retry, no jitter: half the base", 1, 0, 0, 50 * time.Millisecond},
		{"first retry, most jitter: nearly the base", 1, 0, 0.999999, 99999950 * time.Nanosecond},
		{"first retry, half jitter", 1, 0, 0.5, 75 * time.Millisecond},
		{"second retry doubles", 2, 0, 0.5, 150 * time.Millisecond},
		{"third retry doubles again", 3, 0, 0, 200 * time.Millisecond},
		{"fourth retry", 4, 0, 0, 400 * time.Millisecond},
		{"the cap holds", 5, 0, 0.5, 750 * time.Millisecond},
		{"the cap holds long after", 40, 0, 0, 500 * time.Millisecond},
		{"a longer Retry-After wins", 1, 2 * time.Second, 0.5, 2 * time.Second},
		{"a shorter Retry-After does not", 4, 100 * time.Millisecond, 0, 400 * time.Millisecond},
		{"Retry-After is capped", 1, time.Hour, 0, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Wait(tt.n, tt.retryAfter, tt.jitter); got != tt.want {
				t.Errorf("Wait(%d, %v, %v) = %v, want %v", tt.n, tt.retryAfter, tt.jitter, got, tt.want)
			}
		})
	}
}

func TestRetryNext(t *testing.T) {
	p := RetryPolicy{Base: 100 * time.Millisecond, Cap: time.Second, MaxRetryAfter: 2 * time.Second, For: 10 * time.Second}
	tests := []struct {
		name       string
		status     int
		retryAfter time.Duration
		elapsed    time.Duration
		want       time.Duration
		again      bool
	}{
		{"a 503 is retried after its Retry-After", 503, 2 * time.Second, time.Second, 2 * time.Second, true},
		{"no answer is retried", 0, 0, time.Second, 50 * time.Millisecond, true},
		{"a 2xx is an answer", 200, 0, 0, 0, false},
		{"a 4xx is an answer", 404, 0, 0, 0, false},
		{"a 500 is not retried (a bug a retry would hide)", 500, 0, 0, 0, false},
		{"the bound: the next attempt would start too late", 503, 2 * time.Second, 8001 * time.Millisecond, 0, false},
		{"the bound: just in time", 503, 2 * time.Second, 8 * time.Second, 2 * time.Second, true},
		{"the bound: already past", 0, 0, 11 * time.Second, 0, false},
		{"the bound: an elapsed time that would overflow", 0, 0, time.Duration(1<<63 - 1), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, again := p.Next(1, tt.status, tt.retryAfter, tt.elapsed, 0)
			if got != tt.want || again != tt.again {
				t.Errorf("Next = %v, %v; want %v, %v", got, again, tt.want, tt.again)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"2", 2 * time.Second, true},
		{" 1 ", time.Second, true},
		{"0", 0, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"Wed, 21 Oct 2015 07:28:00 GMT", 0, false},
	}
	for _, tt := range tests {
		got, ok := RetryAfter(tt.header)
		if got != tt.want || ok != tt.ok {
			t.Errorf("RetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
		}
	}
}

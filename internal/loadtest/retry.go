package loadtest

import (
	"strconv"
	"strings"
	"time"
)

// RetryPolicy is how a client sends a change again, with the same
// Idempotency-Key, after an answer that says nothing definite, as the site
// does: exponential backoff with jitter, or the server's Retry-After when
// that is longer, until a definite answer or For after the first attempt.
type RetryPolicy struct {
	// Base is the first backoff; each retry doubles it, up to Cap.
	Base, Cap time.Duration
	// MaxRetryAfter bounds how long a Retry-After header is followed.
	MaxRetryAfter time.Duration
	// For bounds a change's retries: no attempt starts later than For
	// after its first one. It must outlast the longest outage a run plans.
	For time.Duration
}

// DefaultRetryPolicy retries after 100 ms, 200 ms, ... up to 2 s between
// attempts (the 503's Retry-After of 2 s when it is longer), for 30 s.
var DefaultRetryPolicy = RetryPolicy{
	Base: 100 * time.Millisecond, Cap: 2 * time.Second, MaxRetryAfter: 5 * time.Second, For: 30 * time.Second,
}

// Retryable reports whether an answer with status says nothing definite,
// so that a change sent with a key is sent again: no response (a network
// error or a timeout) or 503. Anything else is an answer: a 2xx applied
// the change (once), a 4xx refused it, and another 5xx is a server bug that
// a retry would hide.
func Retryable(status int) bool { return status == 0 || status == 503 }

// Wait is how long to wait before retry n (1 for the first) after an
// answer with retryAfter (0: none): Base·2^(n-1), at most Cap, scaled by
// 0.5 + jitter/2 (jitter in [0, 1), so retries of many clients spread
// out), or the Retry-After, at most MaxRetryAfter, when that is longer.
func (p RetryPolicy) Wait(n int, retryAfter time.Duration, jitter float64) time.Duration {
	backoff := p.Base
	for i := 1; i < n && backoff < p.Cap; i++ {
		backoff *= 2
	}
	backoff = min(backoff, p.Cap)
	backoff = time.Duration(float64(backoff) * (0.5 + jitter/2))
	return max(backoff, min(retryAfter, p.MaxRetryAfter))
}

// Next says whether to send a change again after its n-th attempt ended
// with status and retryAfter, elapsed after its first attempt began, and
// after how long.
func (p RetryPolicy) Next(n, status int, retryAfter, elapsed time.Duration, jitter float64) (time.Duration, bool) {
	if !Retryable(status) {
		return 0, false
	}
	w := p.Wait(n, retryAfter, jitter)
	if elapsed > p.For || w > p.For-elapsed { // not elapsed+w: it may overflow
		return 0, false
	}
	return w, true
}

// RetryAfter reads a Retry-After header given in seconds (the form the
// API sends); ok is false when there is none, or it is not a number of
// seconds.
func RetryAfter(v string) (d time.Duration, ok bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

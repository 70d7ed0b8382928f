package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"time"
)

// maxBody bounds what a client reads of a response body.
const maxBody = 1 << 20

// sessionCookie is the runner's session cookie (COOKIE_SECURE=false).
const sessionCookie = "session"

// browser is one cookie jar (a browser profile) over the shared transport.
// The tabs of a shared session use one browser, so a cookie the server sets
// for one tab is the cookie of all. Every request waits for the run's
// pacer.
type browser struct {
	base  *url.URL
	hc    *http.Client
	pacer *Pacer
}

func newBrowser(base *url.URL, transport http.RoundTripper, timeout time.Duration, pacer *Pacer) (*browser, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, fmt.Errorf("cookie jar: %w", err)
	}
	return &browser{base: base, pacer: pacer, hc: &http.Client{
		Transport:     transport,
		Jar:           jar,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// hasSession reports whether the jar holds a session cookie.
func (b *browser) hasSession() bool {
	for _, c := range b.hc.Jar.Cookies(b.base) {
		if c.Name == sessionCookie {
			return true
		}
	}
	return false
}

// request is one request a client sends.
type request struct {
	method, path string
	body         any
	// key is the Idempotency-Key to send ("" for none).
	key string
	// measure: the pacer counts the answer's time (a request whose time
	// is the store's: not one that hashes a password or needs no store).
	measure bool
}

// response is what one request brought back.
type response struct {
	status     int // 0: no response
	code       string
	retryAfter time.Duration // the Retry-After header, 0 when absent
	hasRetry   bool          // a Retry-After header came
	replayed   bool          // Idempotent-Replayed: true
	body       []byte
	err        error
	start      time.Time
	latency    time.Duration
	wait       time.Duration // how long the pacer held the request back
	cookie     bool          // the request carried a session cookie
}

// do sends one request as a same-origin page would: JSON body, the site's
// Origin and Sec-Fetch-Site, and the key when there is one. It never
// retries.
func (b *browser) do(ctx context.Context, q request) response {
	queued := time.Now()
	b.pacer.Acquire()
	r := response{wait: time.Since(queued), cookie: b.hasSession()}
	defer func() { b.pacer.Release(r.latency, q.measure) }()
	var rd io.Reader
	if q.body != nil {
		data, err := json.Marshal(q.body)
		if err != nil {
			r.err = fmt.Errorf("encode body: %w", err)
			return r
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, q.method, b.base.JoinPath(q.path).String(), rd)
	if err != nil {
		r.err = fmt.Errorf("build request: %w", err)
		return r
	}
	if q.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if q.key != "" {
		req.Header.Set("Idempotency-Key", q.key)
	}
	req.Header.Set("Origin", b.base.Scheme+"://"+b.base.Host)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("User-Agent", "sessionlab-loadtest")
	r.start = time.Now()
	resp, err := b.hc.Do(req)
	if err == nil {
		r.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		resp.Body.Close()
		r.status = resp.StatusCode
		r.retryAfter, r.hasRetry = RetryAfter(resp.Header.Get("Retry-After"))
		r.replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	}
	r.latency = time.Since(r.start)
	if err != nil {
		r.status, r.err = 0, err
		return r
	}
	if r.status >= 400 {
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		if json.Unmarshal(r.body, &e) == nil {
			r.code = e.Error.Code
		}
	}
	return r
}

// attempt is r as the ledger logs it.
func (r response) attempt() Attempt {
	return Attempt{Status: r.status, Code: r.code, Replayed: r.replayed, Start: r.start, End: r.start.Add(r.latency)}
}

func (r response) ok() bool { return r.status >= 200 && r.status < 300 }

// cart reads a cart body (sku → quantity); nil when the body holds none.
func (r response) cart() map[string]int {
	if !r.ok() || len(r.body) == 0 {
		return nil
	}
	var v struct {
		Items *[]struct {
			SKU      string `json:"sku"`
			Quantity int    `json:"quantity"`
		} `json:"items"`
	}
	if json.Unmarshal(r.body, &v) != nil || v.Items == nil {
		return nil
	}
	out := make(map[string]int, len(*v.Items))
	for _, it := range *v.Items {
		out[it.SKU] += it.Quantity
	}
	return out
}

// sessionView is what GET /api/session says.
type sessionView struct {
	Authenticated bool `json:"authenticated"`
	User          *struct {
		Username string `json:"username"`
	} `json:"user"`
	Session *struct {
		ID string `json:"id"`
	} `json:"session"`
}

func (r response) session() (sessionView, error) {
	var v sessionView
	if err := json.Unmarshal(r.body, &v); err != nil {
		return v, fmt.Errorf("session body: %w", err)
	}
	return v, nil
}

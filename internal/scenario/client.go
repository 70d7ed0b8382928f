// Package scenario is one suite of HTTP scenarios — cookies, accounts,
// sessions, cart, errors — that runs against any base URL: the local runner
// started in-process, or the real `sam local start-api` (issue: prove both
// behave the same). It speaks only HTTP, as a browser would.
package scenario

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// Client is one browser: a cookie jar and the site's origin.
type Client struct {
	t    *testing.T
	base string
	http *http.Client
}

// NewClient returns a client with an empty cookie jar.
func NewClient(t *testing.T, base string) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Client{t: t, base: strings.TrimRight(base, "/"), http: &http.Client{Jar: jar}}
}

// Response is an answer with its body parsed as JSON when it is JSON.
type Response struct {
	Status int
	Header http.Header
	Raw    string
	JSON   map[string]any
}

// ErrorCode is the contract's error.code of the body, or "".
func (r Response) ErrorCode() string {
	if e, ok := r.JSON["error"].(map[string]any); ok {
		code, _ := e["code"].(string)
		return code
	}
	return ""
}

// SetCookie returns the Set-Cookie line for name, or "".
func (r Response) SetCookie(name string) string {
	for _, line := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=") {
			return line
		}
	}
	return ""
}

// Do sends method path with body (JSON-encoded unless a string or nil), as
// a same-origin fetch from the site's pages would.
func (c *Client) Do(method, path string, body any, headers ...string) Response {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Origin", c.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := Response{Status: resp.StatusCode, Header: resp.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &out.JSON)
	return out
}

// Cookie returns the value of the cookie name in the jar for the site.
func (c *Client) Cookie(name string) (string, bool) {
	u, _ := url.Parse(c.base + "/")
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value, true
		}
	}
	return "", false
}

// SetJarCookie puts a cookie into the jar, as a user editing it would.
func (c *Client) SetJarCookie(name, value string) {
	u, _ := url.Parse(c.base + "/")
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// Unique returns prefix plus random hex, for usernames that never collide
// across runs against a persistent store.
func Unique(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

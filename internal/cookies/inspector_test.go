package cookies

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestListCookies(t *testing.T) {
	tests := []struct {
		name   string
		cookie []string
		body   string
	}{
		{"none", nil, `{"cookies":[],"headerBytes":0}`},
		{"in order", []string{"b=22; a=1"},
			`{"cookies":[{"name":"b","value":"22","bytes":3},{"name":"a","value":"1","bytes":2}],"headerBytes":9}`},
		{"one header per cookie (API Gateway)", []string{"b=22", "a=1"},
			`{"cookies":[{"name":"b","value":"22","bytes":3},{"name":"a","value":"1","bytes":2}],"headerBytes":9}`},
		{"empty value", []string{"e="}, `{"cookies":[{"name":"e","value":"","bytes":1}],"headerBytes":2}`},
		{"session redacted", []string{"theme=dark; session=S3CR3T-ID-VALUE"},
			`{"cookies":[{"name":"theme","value":"dark","bytes":9},{"name":"session","value":null,"bytes":22,"redacted":true}],"headerBytes":35}`},
		{"__Host-session redacted", []string{"__Host-session=S3CR3T"},
			`{"cookies":[{"name":"__Host-session","value":null,"bytes":20,"redacted":true}],"headerBytes":21}`},
		{"names are case-sensitive", []string{"Session=visible"},
			`{"cookies":[{"name":"Session","value":"visible","bytes":14}],"headerBytes":15}`},
		{"signed_session shown", []string{"signed_session=abc"},
			`{"cookies":[{"name":"signed_session","value":"abc","bytes":17}],"headerBytes":18}`},
		{"duplicate names listed twice", []string{"a=1; a=2"},
			`{"cookies":[{"name":"a","value":"1","bytes":2},{"name":"a","value":"2","bytes":2}],"headerBytes":8}`},
		{"quoted value keeps its quotes", []string{`q="x y"`},
			`{"cookies":[{"name":"q","value":"\"x y\"","bytes":6}],"headerBytes":7}`},
		{"pairs net/http drops are not listed", []string{"bad name=1; ok=2; x=\x01"},
			`{"cookies":[{"name":"ok","value":"2","bytes":3}],"headerBytes":4}`},
		{"spaces around pairs", []string{"  a=1 ;b=2;"},
			`{"cookies":[{"name":"a","value":"1","bytes":2},{"name":"b","value":"2","bytes":2}],"headerBytes":8}`},
	}
	h := newHandler(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := req{method: "GET", path: "/api/cookies", cookie: tt.cookie}.do(t, h)
			expectStatus(t, w, http.StatusOK, "")
			if got := strings.TrimSpace(w.Body.String()); got != tt.body {
				t.Fatalf("body\n %s\nwant\n %s", got, tt.body)
			}
			if strings.Contains(w.Body.String(), "S3CR3T") {
				t.Fatal("the session cookie's value is in the body")
			}
			checkSetCookies(t, w)
		})
	}
}

func TestPutCookie(t *testing.T) {
	big := strings.Repeat("v", 4095)
	tests := []struct {
		name, path, body string
		secure           bool
		status           int
		code             string
		want             want
	}{
		{name: "session cookie", path: "/api/cookies/flavour", body: `{"value":"choc"}`, status: 200,
			want: want{name: "flavour", value: "choc"}},
		{name: "all options", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":60,"httpOnly":true,"sameSite":"Strict"}`,
			status: 200, want: want{name: "x", value: "1", maxAge: 60, httpOnly: true, sameSite: http.SameSiteStrictMode}},
		{name: "httpOnly false", path: "/api/cookies/x", body: `{"value":"1","httpOnly":false}`, status: 200,
			want: want{name: "x", value: "1"}},
		{name: "sameSite lower case", path: "/api/cookies/x", body: `{"value":"1","sameSite":"lax"}`, status: 200,
			want: want{name: "x", value: "1"}},
		{name: "sameSite None is Secure", path: "/api/cookies/x", body: `{"value":"1","sameSite":"None"}`, status: 200,
			want: want{name: "x", value: "1", secure: true, sameSite: http.SameSiteNoneMode}},
		{name: "secure mode", secure: true, path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":1}`, status: 200,
			want: want{name: "x", value: "1", maxAge: 1, secure: true}},
		{name: "__Host- prefix is Secure", path: "/api/cookies/__Host-x", body: `{"value":"1"}`, status: 200,
			want: want{name: "__Host-x", value: "1", secure: true}},
		{name: "empty value", path: "/api/cookies/x", body: `{"value":""}`, status: 200, want: want{name: "x"}},
		{name: "400 days", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":34560000}`, status: 200,
			want: want{name: "x", value: "1", maxAge: 34560000}},
		{name: "4096 bytes", path: "/api/cookies/n", body: `{"value":"` + big + `"}`, status: 200,
			want: want{name: "n", value: big}},
		{name: "escaped token name", path: "/api/cookies/a%21b", body: `{"value":"1"}`, status: 200,
			want: want{name: "a!b", value: "1"}},
		{name: "reserved is case-sensitive", path: "/api/cookies/Session", body: `{"value":"1"}`, status: 200,
			want: want{name: "Session", value: "1"}},

		{name: "4097 bytes", path: "/api/cookies/n", body: `{"value":"` + big + `v"}`, status: 400, code: "cookie_too_large"},
		{name: "400 days + 1s", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":34560001}`, status: 400, code: "lifetime_too_long"},
		{name: "max-age 0", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":0}`, status: 400, code: "invalid_lifetime"},
		{name: "max-age negative", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":-1}`, status: 400, code: "invalid_lifetime"},
		{name: "bad sameSite", path: "/api/cookies/x", body: `{"value":"1","sameSite":"Relaxed"}`, status: 400, code: "invalid_cookie_attribute"},
		{name: "empty sameSite", path: "/api/cookies/x", body: `{"value":"1","sameSite":""}`, status: 400, code: "invalid_cookie_attribute"},
		{name: "value with space", path: "/api/cookies/x", body: `{"value":"a b"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value with comma", path: "/api/cookies/x", body: `{"value":"a,b"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value with quote", path: "/api/cookies/x", body: `{"value":"\"a\""}`, status: 400, code: "invalid_cookie_value"},
		{name: "value with semicolon", path: "/api/cookies/x", body: `{"value":"a; Domain=evil.example"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value with backslash", path: "/api/cookies/x", body: `{"value":"a\\b"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value with CRLF", path: "/api/cookies/x", body: `{"value":"a\r\nSet-Cookie: y=1"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value non-ASCII", path: "/api/cookies/x", body: `{"value":"café"}`, status: 400, code: "invalid_cookie_value"},
		{name: "value missing", path: "/api/cookies/x", body: `{"maxAgeSeconds":10}`, status: 400, code: "invalid_cookie_value"},
		{name: "value null", path: "/api/cookies/x", body: `{"value":null}`, status: 400, code: "invalid_cookie_value"},
		{name: "value a number", path: "/api/cookies/x", body: `{"value":1}`, status: 400, code: "invalid_json"},
		{name: "max-age too big for int", path: "/api/cookies/x", body: `{"value":"1","maxAgeSeconds":1e30}`, status: 400, code: "invalid_json"},
		{name: "unknown field", path: "/api/cookies/x", body: `{"value":"1","domain":"evil.example"}`, status: 400, code: "invalid_json"},
		{name: "name with space", path: "/api/cookies/a%20b", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "name with =", path: "/api/cookies/a=b", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "name with ;", path: "/api/cookies/a%3Bb", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "name with escaped /", path: "/api/cookies/a%2Fb", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "name non-ASCII", path: "/api/cookies/caf%C3%A9", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "name with NUL", path: "/api/cookies/a%00", body: `{"value":"1"}`, status: 400, code: "invalid_cookie_name"},
		{name: "bad name before bad body", path: "/api/cookies/a%20b", body: `nope`, status: 400, code: "invalid_cookie_name"},
	}
	for _, name := range allReserved {
		for _, secure := range []bool{false, true} {
			tests = append(tests, struct {
				name, path, body string
				secure           bool
				status           int
				code             string
				want             want
			}{name: fmt.Sprintf("reserved %s secure=%v", name, secure), path: "/api/cookies/" + name, secure: secure, body: `{"value":"1"}`, status: 403, code: "reserved_cookie"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Config{Secure: tt.secure})
			w := req{method: "PUT", path: tt.path, body: tt.body}.do(t, h)
			expectStatus(t, w, tt.status, tt.code)
			if tt.status != 200 {
				checkSetCookies(t, w)
				return
			}
			checkSetCookies(t, w, tt.want)
			var got setCookieBody
			decode(t, w, &got)
			if want := (setCookieBody{tt.want.name, tt.want.value, len(tt.want.name) + len(tt.want.value)}); got != want {
				t.Fatalf("body %+v, want %+v", got, want)
			}
		})
	}
}

// allReserved is every name the contract reserves, in both forms, written
// out here rather than taken from the code under test.
var allReserved = []string{
	"session", "signed_session", "theme", "language", "visits",
	"__Host-session", "__Host-signed_session", "__Host-theme", "__Host-language", "__Host-visits",
}

func TestDeleteCookie(t *testing.T) {
	tests := []struct {
		name, path string
		secure     bool
		status     int
		code       string
		want       []want
	}{
		{name: "expires", path: "/api/cookies/flavour", status: 204, want: []want{{name: "flavour", maxAge: -1}}},
		{name: "secure mode", secure: true, path: "/api/cookies/flavour", status: 204,
			want: []want{{name: "flavour", maxAge: -1, secure: true}}},
		{name: "__Secure- prefix", path: "/api/cookies/__Secure-x", status: 204,
			want: []want{{name: "__Secure-x", maxAge: -1, secure: true}}},
		{name: "case-sensitive reserved", path: "/api/cookies/THEME", status: 204, want: []want{{name: "THEME", maxAge: -1}}},
		{name: "case-sensitive reserved prefix", path: "/api/cookies/__host-theme", status: 204, want: []want{{name: "__host-theme", maxAge: -1, secure: true}}},
		{name: "non-token name", path: "/api/cookies/a%20b", status: 400, code: "invalid_cookie_name"},
		{name: "name too long", path: "/api/cookies/" + strings.Repeat("n", 4097), status: 400, code: "cookie_too_large"},
	}
	for _, name := range allReserved {
		for _, secure := range []bool{false, true} {
			tests = append(tests, struct {
				name, path string
				secure     bool
				status     int
				code       string
				want       []want
			}{name: fmt.Sprintf("reserved %s secure=%v", name, secure), path: "/api/cookies/" + name, secure: secure, status: 403, code: "reserved_cookie"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Config{Secure: tt.secure})
			w := req{method: "DELETE", path: tt.path, cookie: []string{"flavour=choc"}}.do(t, h)
			expectStatus(t, w, tt.status, tt.code)
			checkSetCookies(t, w, tt.want...)
			if tt.status == 204 && w.Body.Len() != 0 {
				t.Errorf("204 with body %q", w.Body)
			}
		})
	}
}

// TestSetThenList sets a cookie and lists it back as the browser would send it.
func TestSetThenList(t *testing.T) {
	h := newHandler(t, Config{})
	w := req{method: "PUT", path: "/api/cookies/k", body: `{"value":"v!#$%&'()*+-./:<=>?@[]^_` + "`" + `{|}~"}`}.do(t, h)
	expectStatus(t, w, http.StatusOK, "")
	c := setCookies(t, w)[0]
	w = req{method: "GET", path: "/api/cookies", cookie: []string{c.Name + "=" + c.Value}}.do(t, h)
	var got inspection
	decode(t, w, &got)
	if len(got.Cookies) != 1 || got.Cookies[0].Value == nil || *got.Cookies[0].Value != c.Value {
		t.Fatalf("listed %s, set %q", w.Body, c.Value)
	}
}

package apigw

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// echo answers what the handler saw of the request.
var echo = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var names []string
	for _, c := range r.Cookies() {
		names = append(names, c.Name+"="+c.Value)
	}
	w.Header().Set("X-Host", r.Host)
	w.Header().Set("X-Query", r.URL.RawQuery)
	w.Header().Set("X-Cookies", strings.Join(names, "|"))
	w.Header().Set("X-Agent", r.UserAgent())
	http.SetCookie(w, &http.Cookie{Name: "a", Value: "1", Path: "/"})
	http.SetCookie(w, &http.Cookie{Name: "b", Value: "2", Path: "/", HttpOnly: true})
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(body)
})

func roundTrip(t *testing.T, r *http.Request, route Route) *httptest.ResponseRecorder {
	t.Helper()
	ev, err := ToEvent(r, route)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Handler(echo)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := WriteResponse(w, resp); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		wantBase64        bool
	}{
		{"json", "application/json", `{"x":"é"}`, false},
		{"binary", "application/octet-stream", "\x00\xff\xfe", true},
		{"invalid utf-8 json", "application/json", "{\"x\":\"\xff\"}", true},
		{"no body", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "http://localhost:3000/api/cookies/x%20y?b=2&a=1&a=3", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			r.Header.Set("User-Agent", "Mozilla/5.0 (X11, Linux)")
			r.Header.Add("Cookie", "theme=dark; visits=3")
			r.Header.Add("Cookie", "language=fr")
			route := Route{Key: "PUT /api/cookies/{name}", PathParams: map[string]string{"name": "x y"}}
			ev, err := ToEvent(r, route)
			if err != nil {
				t.Fatal(err)
			}
			if ev.IsBase64Encoded != tt.wantBase64 || ev.RawPath != "/api/cookies/x%20y" || ev.RequestContext.HTTP.Path != "/api/cookies/x y" {
				t.Fatalf("event = base64 %v rawPath %q path %q", ev.IsBase64Encoded, ev.RawPath, ev.RequestContext.HTTP.Path)
			}
			if got := strings.Join(ev.Cookies, "|"); got != "theme=dark|visits=3|language=fr" {
				t.Fatalf("Cookies = %q", got)
			}
			if _, ok := ev.Headers["cookie"]; ok {
				t.Fatal("cookie header kept in Headers")
			}
			w := roundTrip(t, withBody(r, tt.body), route)
			if w.Code != 201 || w.Body.String() != tt.body {
				t.Fatalf("response %d %q, want 201 %q", w.Code, w.Body, tt.body)
			}
			if got := w.Header().Values("Set-Cookie"); len(got) != 2 || got[1] != "b=2; Path=/; HttpOnly" {
				t.Fatalf("Set-Cookie = %q", got)
			}
			if w.Header().Get("X-Host") != "localhost:3000" || w.Header().Get("X-Query") != "b=2&a=1&a=3" {
				t.Fatalf("host %q query %q", w.Header().Get("X-Host"), w.Header().Get("X-Query"))
			}
			if got := w.Header().Get("X-Cookies"); got != "theme=dark|visits=3|language=fr" {
				t.Fatalf("handler saw cookies %q", got)
			}
			if got := w.Header().Get("X-Agent"); got != "Mozilla/5.0 (X11, Linux)" {
				t.Fatalf("handler saw user agent %q", got)
			}
		})
	}
}

// withBody copies r with a fresh body (ToEvent consumed the first).
func withBody(r *http.Request, body string) *http.Request {
	n := httptest.NewRequest(r.Method, r.URL.String(), strings.NewReader(body))
	n.Header = r.Header.Clone()
	n.Host = "localhost:3000"
	return n
}

func TestSAMCookieCopyReadOnce(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{
		RawPath: "/api/x",
		Cookies: []string{"theme=dark", "visits=2"},
		Headers: map[string]string{"cookie": "theme=dark; visits=2", "host": "127.0.0.1"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "127.0.0.1",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/x"},
		},
	}
	resp, err := Handler(echo)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Headers["X-Cookies"]; got != "theme=dark|visits=2" {
		t.Fatalf("handler saw cookies %q, want each once", got)
	}
}

func TestBadEventIsClientError(t *testing.T) {
	for name, ev := range map[string]events.APIGatewayV2HTTPRequest{
		"bad base64": {RawPath: "/api/x", Body: "!!!", IsBase64Encoded: true,
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "PUT"}}},
		"bad path": {RawPath: "/api/%zz",
			RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET"}}},
	} {
		resp, err := Handler(echo)(context.Background(), ev)
		if err != nil || resp.StatusCode != 400 || !strings.Contains(resp.Body, "bad_request") {
			t.Errorf("%s: %d %s %v, want 400 bad_request", name, resp.StatusCode, resp.Body, err)
		}
	}
}

// TestQueryAndCookieEdges holds the inputs FuzzRoundTrip's review found: a
// '#' kept in the raw query, and cookie pairs padded with spaces net/http
// does or does not trim. The handler must see what net/http's server would
// have given it directly.
func TestQueryAndCookieEdges(t *testing.T) {
	tests := []struct {
		name, target, cookie string
		wantQuery            string
		wantValues           map[string]string
		wantCookies          string
	}{
		{"hash in query", "/api/x?a=1%23b&c=2", "", "a=1%23b&c=2", map[string]string{"a": "1#b", "c": "2"}, ""},
		{"raw hash in query", "/api/x?a=1#b&c=2", "", "a=1%23b&c=2", map[string]string{"a": "1#b", "c": "2"}, ""},
		{"ascii padding trimmed", "/api/x", " a=1 ;\tb=2\t", "", nil, "a=1|b=2"},
		{"no-break space keeps the pair invalid", "/api/x", "a=1\u00a0; b=2", "", nil, "b=2"},
		{"line separator keeps the pair invalid", "/api/x", "\u2028a=1; b=2", "", nil, "b=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := serverRequest("GET", tt.target, tt.cookie, "", nil)
			if !ok {
				t.Fatalf("net/http's server refused %q", tt.target)
			}
			var direct []string
			for _, c := range r.Cookies() {
				direct = append(direct, c.Name+"="+c.Value)
			}
			if got := strings.Join(direct, "|"); got != tt.wantCookies {
				t.Fatalf("net/http itself reads cookies %q, the test expects %q", got, tt.wantCookies)
			}
			w := roundTrip(t, r, Route{Key: "GET /api/x"})
			if got := w.Header().Get("X-Query"); got != tt.wantQuery {
				t.Errorf("handler saw raw query %q, want %q", got, tt.wantQuery)
			}
			q, _ := url.ParseQuery(w.Header().Get("X-Query"))
			for k, v := range tt.wantValues {
				if q.Get(k) != v {
					t.Errorf("query value %s = %q, want %q", k, q.Get(k), v)
				}
			}
			if got := w.Header().Get("X-Cookies"); got != tt.wantCookies {
				t.Errorf("handler saw cookies %q, want %q (as net/http reads them)", got, tt.wantCookies)
			}
		})
	}
}

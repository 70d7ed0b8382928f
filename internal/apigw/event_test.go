package apigw

import (
	"context"
	"encoding/base64"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestToEventFields checks the event ToEvent builds field by field, as API
// Gateway would send it: the round trip through the adapter hides some of
// them (the adapter rebuilds the query from RawQueryString, for example),
// but a handler that reads the event, or a template test, sees them.
func TestToEventFields(t *testing.T) {
	r := httptest.NewRequest("GET", "http://localhost:3000/api/cookies/x?a=1&a=2&b=3", nil)
	r.RemoteAddr = "203.0.113.7:51234"
	ev, err := ToEvent(r, Route{Key: "GET /api/cookies/{name}", PathParams: map[string]string{"name": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"a": "1,2", "b": "3"}; !maps.Equal(ev.QueryStringParameters, want) {
		t.Errorf("QueryStringParameters = %v, want %v (repeated values joined by commas)", ev.QueryStringParameters, want)
	}
	if want := map[string]string{"name": "x"}; !maps.Equal(ev.PathParameters, want) {
		t.Errorf("PathParameters = %v, want %v", ev.PathParameters, want)
	}
	if got := ev.RequestContext.HTTP.SourceIP; got != "203.0.113.7" {
		t.Errorf("SourceIP = %q, want the address without its port", got)
	}

	// Without a query or path parameters API Gateway leaves both out.
	r = httptest.NewRequest("GET", "http://localhost:3000/api/products", nil)
	r.RemoteAddr = "203.0.113.7" // no port: passed on as it is
	ev, err = ToEvent(r, Route{Key: "GET /api/products", PathParams: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	if ev.QueryStringParameters != nil || ev.PathParameters != nil {
		t.Errorf("query %v, path parameters %v; want both nil", ev.QueryStringParameters, ev.PathParameters)
	}
	if got := ev.RequestContext.HTTP.SourceIP; got != "203.0.113.7" {
		t.Errorf("SourceIP = %q, want the RemoteAddr as it is", got)
	}
}

// TestToEventBody checks which bodies travel as text and which as base64:
// text for the textual media types (and no Content-Type) when the bytes are
// UTF-8, base64 for everything else; an empty body is no body at all, of
// any type.
func TestToEventBody(t *testing.T) {
	for _, tt := range []struct {
		ctype, body string
		wantBase64  bool
	}{
		{"", "plain words", false},
		{"text/plain; charset=utf-8", "plain words", false},
		{"text/html", "<p>é</p>", false},
		{"application/json", `{"a":1}`, false},
		{"application/problem+json", `{"a":1}`, false},
		{"application/x-www-form-urlencoded", "a=1&b=2", false},
		{"application/xml", "<a/>", false},
		{"application/octet-stream", "plain words", true},
		{"image/png", "plain words", true},
		{"application/jsonx", `{"a":1}`, true},
		{"not a media type;;", "plain words", true},
		{"text/plain", "\xff\xfe", true},
		{"application/octet-stream", "", false},
		{"image/png", "", false},
	} {
		r := httptest.NewRequest("POST", "http://localhost:3000/api/x", strings.NewReader(tt.body))
		if tt.ctype != "" {
			r.Header.Set("Content-Type", tt.ctype)
		}
		ev, err := ToEvent(r, Route{Key: "POST /api/x"})
		if err != nil {
			t.Fatalf("%q: %v", tt.ctype, err)
		}
		body := ev.Body
		if ev.IsBase64Encoded {
			raw, err := base64.StdEncoding.DecodeString(ev.Body)
			if err != nil {
				t.Fatalf("%q: base64 body %q: %v", tt.ctype, ev.Body, err)
			}
			body = string(raw)
		}
		if ev.IsBase64Encoded != tt.wantBase64 || body != tt.body {
			t.Errorf("Content-Type %q, body %q: base64 %v, body %q; want base64 %v", tt.ctype, tt.body, ev.IsBase64Encoded, body, tt.wantBase64)
		}
	}
}

// TestToEventBodyLimit: a body of MaxBody bytes reaches the function whole,
// one byte more is refused.
func TestToEventBodyLimit(t *testing.T) {
	body := strings.Repeat("a", MaxBody)
	ev, err := ToEvent(httptest.NewRequest("POST", "http://localhost:3000/api/x", strings.NewReader(body)), Route{Key: "POST /api/x"})
	if err != nil || len(ev.Body) != MaxBody || ev.IsBase64Encoded {
		t.Fatalf("a body of MaxBody bytes: %d bytes, base64 %v, %v; want it whole", len(ev.Body), ev.IsBase64Encoded, err)
	}
	_, err = ToEvent(httptest.NewRequest("POST", "http://localhost:3000/api/x", strings.NewReader(body+"a")), Route{Key: "POST /api/x"})
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("a body of MaxBody+1 bytes: %v, want refused", err)
	}
}

// TestWriteResponseContentType: a function that sets no Content-Type is
// answered as application/json, as API Gateway does; one it sets is kept.
func TestWriteResponseContentType(t *testing.T) {
	for _, tt := range []struct {
		headers map[string]string
		want    string
	}{
		{nil, "application/json"},
		{map[string]string{"Content-Type": "text/html; charset=utf-8"}, "text/html; charset=utf-8"},
	} {
		w := httptest.NewRecorder()
		if err := WriteResponse(w, events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: tt.headers, Body: "x"}); err != nil {
			t.Fatal(err)
		}
		if got := w.Header().Get("Content-Type"); got != tt.want {
			t.Errorf("headers %v: Content-Type %q, want %q", tt.headers, got, tt.want)
		}
	}
}

// TestHandlerKeepsCookieHeaderWithoutCookies: an event whose cookies arrive
// only in the Cookie header (no Cookies list) still gives the handler its
// cookies; the header copy is dropped only when the list is there.
func TestHandlerKeepsCookieHeaderWithoutCookies(t *testing.T) {
	ev := events.APIGatewayV2HTTPRequest{
		RawPath: "/api/x",
		Headers: map[string]string{"cookie": "theme=dark; visits=2", "host": "127.0.0.1"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "127.0.0.1",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: http.MethodGet, Path: "/api/x"},
		},
	}
	resp, err := Handler(echo)(context.Background(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Headers["X-Cookies"]; got != "theme=dark|visits=2" {
		t.Fatalf("handler saw cookies %q, want the header's", got)
	}
}

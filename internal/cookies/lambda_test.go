package cookies

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/sessionlab/sessionlab/internal/apigw"
)

// TestThroughLambda sends API Gateway v2 events through apigw.Handler, as
// the deployed function receives them: cookies in the event's Cookies,
// Set-Cookie back in the response's Cookies, and a status on every answer
// (the adapter answers 504 to a handler that writes none).
func TestThroughLambda(t *testing.T) {
	fn := apigw.Handler(newHandler(t, Config{Secure: true}))
	event := func(method, rawPath, body string, cookies ...string) events.APIGatewayV2HTTPRequest {
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: rawPath, Body: body, Cookies: cookies,
			Headers: map[string]string{"host": "api.example", "content-type": "application/json"},
		}
		ev.RequestContext.HTTP.Method = method
		ev.RequestContext.HTTP.Path = rawPath
		return ev
	}
	tests := []struct {
		name    string
		ev      events.APIGatewayV2HTTPRequest
		status  int
		body    string // a substring of the body
		wantSet []string
	}{
		{"visits", event("POST", "/api/visits", "", "__Host-visits=4", "__Host-theme=dark"), 200, `{"visits":5}`,
			[]string{"__Host-visits=5; Path=/; Max-Age=31536000; Secure; SameSite=Lax"}},
		{"plain visits ignored", event("POST", "/api/visits", "", "visits=4"), 200, `{"visits":1}`,
			[]string{"__Host-visits=1; Path=/; Max-Age=31536000; Secure; SameSite=Lax"}},
		{"preferences", event("PUT", "/api/preferences", `{"language":"de","maxAgeDays":2}`, "__Host-theme=dark"), 200,
			`{"theme":"dark","language":"de"}`, []string{"__Host-language=de; Path=/; Max-Age=172800; Secure; SameSite=Lax"}},
		{"inspector redacts", event("GET", "/api/cookies", "", "a=1", "__Host-session=SECRET"), 200,
			`{"cookies":[{"name":"a","value":"1","bytes":2},{"name":"__Host-session","value":null,"bytes":20,"redacted":true}],"headerBytes":26}`, nil},
		{"escaped name", event("PUT", "/api/cookies/a%20b", `{"value":"1"}`), 400, `"invalid_cookie_name"`, nil},
		{"delete 204", event("DELETE", "/api/cookies/flavour", ""), 204, ``,
			[]string{"flavour=; Path=/; Max-Age=0; Secure; SameSite=Lax"}},
		{"delete signed 204", event("DELETE", "/api/signed-session", ""), 204, ``,
			[]string{"__Host-signed_session=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax"}},
		{"unknown route", event("GET", "/api/visits", ""), 404, `{"message":"Not Found"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := fn(context.Background(), tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !strings.Contains(resp.Body, tt.body) {
				t.Fatalf("= %d %s, want %d %s", resp.StatusCode, resp.Body, tt.status, tt.body)
			}
			if strings.Join(resp.Cookies, "\n") != strings.Join(tt.wantSet, "\n") {
				t.Fatalf("cookies %q, want %q", resp.Cookies, tt.wantSet)
			}
			if strings.Contains(resp.Body, "SECRET") {
				t.Fatal("session cookie value in body")
			}
		})
	}
}

// TestSignedSessionThroughLambda: a signed_session set by one invocation
// is read back by the next, through the events.
func TestSignedSessionThroughLambda(t *testing.T) {
	fn := apigw.Handler(newHandler(t, Config{}))
	put := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/signed-session", Body: `{"data":{"cart":"2"}}`,
		Headers: map[string]string{"host": "api.example", "content-type": "application/json"}}
	put.RequestContext.HTTP.Method = "PUT"
	resp, err := fn(context.Background(), put)
	if err != nil || resp.StatusCode != http.StatusOK || len(resp.Cookies) != 1 {
		t.Fatalf("PUT = %d %v %q", resp.StatusCode, err, resp.Cookies)
	}
	c, err := http.ParseSetCookie(resp.Cookies[0])
	if err != nil {
		t.Fatal(err)
	}
	get := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/api/signed-session",
		Cookies: []string{c.Name + "=" + c.Value}, Headers: map[string]string{"host": "api.example"}}
	get.RequestContext.HTTP.Method = "GET"
	resp, err = fn(context.Background(), get)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %d %v %s", resp.StatusCode, err, resp.Body)
	}
	var body signedBody
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
		t.Fatal(err)
	}
	if body.Data["cart"] != "2" || body.Readable != `{"cart":"2"}` || body.Cookie != c.Value {
		t.Fatalf("GET body %s", resp.Body)
	}
}

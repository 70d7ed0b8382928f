package authfn_test

import (
	"context"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/authfn"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/password"
)

var env = map[string]string{"SESSION_SECRET": hex.EncodeToString(make([]byte, 32))}

// BenchmarkGetSession is GET /api/session in-process through the whole
// handler stack (middleware, cookie verify, memstore read, JSON), and through
// the Lambda adapter with an API Gateway v2 event.
func BenchmarkGetSession(b *testing.B) {
	mem := memstore.New()
	h, err := authfn.Build(context.Background(), func(k string) string { return env[k] },
		app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}, Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("POST", "/api/register", strings.NewReader(`{"username":"ada","password":"correct horse battery"}`))
	r.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(w, r)
	if w.Code != 201 {
		b.Fatalf("register = %d %s", w.Code, w.Body)
	}
	cookie := strings.SplitN(w.Header().Get("Set-Cookie"), ";", 2)[0]

	b.Run("net/http", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/api/session", nil)
			r.Header.Set("Cookie", cookie)
			h.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
	b.Run("lambda event", func(b *testing.B) {
		lh := apigw.Handler(h)
		ev := events.APIGatewayV2HTTPRequest{
			RawPath: "/api/session", Cookies: []string{cookie},
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: "example.org",
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/session"}},
		}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := lh(context.Background(), ev)
			if err != nil || resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode, err)
			}
		}
	})
}

package scenario

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
)

// eventCase is what one file of events/ must answer on a fresh store.
type eventCase struct {
	fn      string
	status  int
	body    string   // exact body, or a fragment when fragment is true
	partial bool     // body is a fragment
	cookies []string // prefixes of the response's Cookies, in order
}

var eventCases = map[string]eventCase{
	"get-preferences.json":                  {"CookiesFunction", 200, `{"theme":"dark","language":"fr"}`, false, nil},
	"put-preferences.json":                  {"CookiesFunction", 200, `{"theme":"dark","language":"de"}`, false, []string{"theme=dark; Path=/; Max-Age=2592000; SameSite=Lax", "language=de; Path=/; Max-Age=2592000; SameSite=Lax"}},
	"put-preferences-invalid.json":          {"CookiesFunction", 400, `"code":"invalid_preference"`, true, nil},
	"put-preferences-cross-site.json":       {"CookiesFunction", 403, `"code":"cross_origin_request"`, true, nil},
	"put-preferences-split-fetch-site.json": {"CookiesFunction", 403, `"code":"cross_origin_request"`, true, nil},
	"delete-preferences.json":               {"CookiesFunction", 204, ``, false, []string{"theme=; Path=/; Max-Age=0", "language=; Path=/; Max-Age=0"}},
	"post-visits.json":                      {"CookiesFunction", 200, `{"visits":42}`, false, []string{"visits=42; Path=/; Max-Age=31536000; SameSite=Lax"}},
	"get-cookies.json":                      {"CookiesFunction", 200, `{"name":"session","value":null,"bytes":47,"redacted":true}`, true, nil},
	"put-cookie.json":                       {"CookiesFunction", 200, `{"name":"flavour","value":"oatmeal","bytes":14}`, false, []string{"flavour=oatmeal; Path=/; Max-Age=3600; SameSite=Strict"}},
	"put-cookie-reserved.json":              {"CookiesFunction", 403, `"code":"reserved_cookie"`, true, nil},
	"delete-cookie.json":                    {"CookiesFunction", 204, ``, false, []string{"flavour=; Path=/; Max-Age=0"}},
	"get-signed-session.json":               {"CookiesFunction", 200, `{"data":{},"cookie":"","readable":""}`, false, nil},
	"get-signed-session-tampered.json":      {"CookiesFunction", 400, `"code":"tampered_cookie"`, true, []string{"signed_session=; Path=/; Max-Age=0; HttpOnly"}},
	"put-signed-session.json":               {"CookiesFunction", 200, `"readable":"{\"name\":\"Ada\",\"plan\":\"free\"}"`, true, []string{"signed_session="}},
	"delete-signed-session.json":            {"CookiesFunction", 204, ``, false, []string{"signed_session=; Path=/; Max-Age=0; HttpOnly"}},
	"register.json":                         {"AuthFunction", 201, `{"user":{"username":"ada"}}`, false, []string{"session="}},
	"register-invalid-username.json":        {"AuthFunction", 400, `"code":"invalid_username"`, true, nil},
	"login-unknown-user.json":               {"AuthFunction", 401, `"code":"invalid_credentials"`, true, nil},
	"logout.json":                           {"AuthFunction", 204, ``, false, []string{"session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"}},
	"get-session.json":                      {"AuthFunction", 200, `{"authenticated":false,"session":null,"user":null}`, false, nil},
	"get-sessions-unauthenticated.json":     {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"delete-session-unauthenticated.json":   {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"delete-sessions-unauthenticated.json":  {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"reauthenticate-unauthenticated.json":   {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"change-password-unauthenticated.json":  {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"delete-account-unauthenticated.json":   {"AuthFunction", 401, `"code":"not_authenticated"`, true, nil},
	"get-products.json":                     {"CartFunction", 200, `{"sku":"tea-sencha","name":"Sencha green tea, 100 g","priceCents":850,"currency":"EUR"}`, true, nil},
	"get-cart.json":                         {"CartFunction", 200, `{"items":[],"count":0,"totalCents":0,"currency":"EUR"}`, false, nil},
	"post-cart-item.json":                   {"CartFunction", 200, `{"items":[{"sku":"tea-sencha","name":"Sencha green tea, 100 g","quantity":2,"priceCents":850,"lineTotalCents":1700}],"count":2,"totalCents":1700,"currency":"EUR"}`, false, []string{"session="}},
	"post-cart-item-unknown.json":           {"CartFunction", 404, `"code":"unknown_product"`, true, nil},
	"put-cart-item-not-in-cart.json":        {"CartFunction", 404, `"code":"not_in_cart"`, true, nil},
	"delete-cart-item-not-in-cart.json":     {"CartFunction", 404, `"code":"not_in_cart"`, true, nil},
	"delete-cart.json":                      {"CartFunction", 204, ``, false, nil},
	"get-session-visits.json":               {"VisitsFunction", 200, `{"visits":0}`, false, nil},
	"post-session-visits.json":              {"VisitsFunction", 200, `{"visits":1}`, false, []string{"session="}},
}

// TestSampleEvents runs every file in events/ through its function, as
// `make invoke` does, on a fresh in-memory store.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no events: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			want, ok := eventCases[name]
			if !ok {
				t.Fatalf("events/%s has no expected answer in eventCases", name)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(data, &ev); err != nil {
				t.Fatal(err)
			}
			mem := memstore.New()
			rn := newEventRunner(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
			resp, err := rn.Invoke(context.Background(), want.fn, ev)
			if err != nil {
				t.Fatal(err)
			}
			body := resp.Body
			if resp.StatusCode != want.status || (!want.partial && body != want.body) || (want.partial && !strings.Contains(body, want.body)) {
				t.Fatalf("= %d %s\nwant %d %s", resp.StatusCode, body, want.status, want.body)
			}
			if len(resp.Cookies) != len(want.cookies) {
				t.Fatalf("Cookies = %q, want %d", resp.Cookies, len(want.cookies))
			}
			for i, prefix := range want.cookies {
				if !strings.HasPrefix(resp.Cookies[i], prefix) {
					t.Errorf("cookie %d = %q, want prefix %q", i, resp.Cookies[i], prefix)
				}
			}
			if ev.RouteKey != "" && resp.Headers["Content-Type"] == "" && resp.StatusCode != http.StatusNoContent {
				t.Errorf("no Content-Type")
			}
		})
	}
}

func newEventRunner(t *testing.T, opts app.Options) *runner.Runner {
	t.Helper()
	srv := startRunner(t, opts) // builds the same functions; reuse its runner
	return srv.Config.Handler.(*runner.Runner)
}

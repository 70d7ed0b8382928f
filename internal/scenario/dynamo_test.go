package scenario

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/runner"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// startDynamoRunner serves the template with every function opening its
// own DynamoDB stores from its environment, exactly as in Lambda, on the
// emulator behind this test's proxy.
func startDynamoRunner(t *testing.T) (string, *dynamotest.Env) {
	t.Helper()
	env := dynamotest.New(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	srv := startRunnerWithEnv(t, app.Options{OpenStores: dynamostores.Open}, runner.EnvFile{"Parameters": {
		"SESSION_SECRET":    hex.EncodeToString(key),
		"COOKIE_SECURE":     "false",
		"SESSIONS_TABLE":    env.SessionsTable,
		"USERS_TABLE":       env.UsersTable,
		"DYNAMODB_ENDPOINT": env.Endpoint,
		// the fresh-authentication scenario waits for it (scenarioParams)
		"SESSION_REAUTH_WINDOW": ReauthWindow,
	}})
	return srv.URL, env
}

func TestScenariosDynamoDB(t *testing.T) {
	base, _ := startDynamoRunner(t)
	Run(t, base)
}

// TestConcurrentCartDynamoDB sends 20 adds at once, as
// TestConcurrentVisitsDynamoDB does and for the same reason: 50 at once
// kept moto past the SDK's 2 s attempt timeout on this shared machine
// (503s that were the emulator's, seen at a load average of 9); the memory
// store's run keeps 50.
func TestConcurrentCartDynamoDB(t *testing.T) {
	base, _ := startDynamoRunner(t)
	ConcurrentCart(t, base, 20)
}

// TestConcurrentVisitsDynamoDB sends 20 visits at once, not the cart's 50:
// on this shared 2-core machine 50 at once can keep moto past the SDK's
// 2 s attempt timeout until its retry quota runs out (503s that are the
// emulator's, not the code's); 20 concurrent conditional writes on one
// item prove the same.
func TestConcurrentVisitsDynamoDB(t *testing.T) {
	base, _ := startDynamoRunner(t)
	ConcurrentVisits(t, base, 20)
}

func TestConcurrentLoginsDynamoDB(t *testing.T) {
	base, _ := startDynamoRunner(t)
	ConcurrentLogins(t, base, 40)
}

// TestStoreDownAnswers503 cuts the store under a running server: every
// request that needs it answers 503 store_unavailable with Retry-After
// (never a 500, never internals) and changes nothing; when the store
// returns, service resumes with the data it had.
func TestStoreDownAnswers503(t *testing.T) {
	base, env := startDynamoRunner(t)
	c := NewClient(t, base)
	name := Unique("down")
	register(t, c, name)
	c.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 2})
	c.Do("POST", "/api/session/visits", nil)

	env.Cut()
	for _, tt := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/session", nil},
		{"GET", "/api/cart", nil},
		{"POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}},
		{"PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 9}},
		{"GET", "/api/session/visits", nil},
		{"POST", "/api/session/visits", nil},
		{"GET", "/api/sessions", nil},
		{"POST", "/api/login", map[string]any{"username": name, "password": testPassword}},
		{"POST", "/api/register", map[string]any{"username": Unique("new"), "password": testPassword}},
		{"POST", "/api/logout", nil},
	} {
		r := c.Do(tt.method, tt.path, tt.body)
		if r.Status != 503 || r.ErrorCode() != "store_unavailable" || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s %s while the store is down = %d %s", tt.method, tt.path, r.Status, r.Raw)
		}
		if strings.Contains(r.Raw, "dial") || strings.Contains(r.Raw, "127.0.0.1") || strings.Contains(r.Raw, "operation error") {
			t.Errorf("%s %s shows internals: %s", tt.method, tt.path, r.Raw)
		}
		if sc := r.SetCookie("session"); sc != "" {
			t.Errorf("%s %s changed the session cookie while the store was down: %q", tt.method, tt.path, sc)
		}
	}
	if r := c.Do("GET", "/api/preferences", nil); r.Status != 200 {
		t.Errorf("a route that needs no store failed while it was down: %d", r.Status)
	}

	env.Restore(t)
	r := c.Do("GET", "/api/session", nil)
	if r.Status != 200 || r.JSON["authenticated"] != true {
		t.Fatalf("after the store returned: %d %s", r.Status, r.Raw)
	}
	if r := c.Do("GET", "/api/cart", nil); r.JSON["count"] != 2.0 {
		t.Fatalf("cart after the outage = %s (a refused change was half-written?)", r.Raw)
	}
	if r := c.Do("GET", "/api/session/visits", nil); visitCount(r) != 1 {
		t.Fatalf("visits after the outage = %s, want 1 (a refused visit was counted?)", r.Raw)
	}
}

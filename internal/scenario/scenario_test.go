package scenario

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// startRunner serves the project's template and site in-process, as `make
// dev` does, with opts' stores.
func startRunner(t *testing.T, opts app.Options) *httptest.Server {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return startRunnerWithEnv(t, opts, runner.EnvFile{"Parameters": {"SESSION_SECRET": hex.EncodeToString(key), "COOKIE_SECURE": "false"}})
}

// startRunnerWithEnv is startRunner with the given env.json.
func startRunnerWithEnv(t *testing.T, opts app.Options, envFile runner.EnvFile) *httptest.Server {
	t.Helper()
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rn, err := runner.New(context.Background(), runner.Config{
		Template: tpl,
		SiteDir:  "../../site",
		EnvFile:  envFile,
		Build: func(ctx context.Context, name string, getenv config.Getenv) (http.Handler, error) {
			return allfunctions.Build(ctx, name, getenv, opts)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rn)
	t.Cleanup(srv.Close)
	return srv
}

// scenarioParams are the env.json parameters of a runner the scenarios
// run against, besides the key: a re-authentication window short enough
// for the fresh-authentication scenario to wait for.
func scenarioParams() map[string]string {
	return map[string]string{"SESSION_REAUTH_WINDOW": ReauthWindow}
}

func TestScenariosMemory(t *testing.T) {
	mem := memstore.New()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	params := scenarioParams()
	params["SESSION_SECRET"], params["COOKIE_SECURE"] = hex.EncodeToString(key), "false"
	srv := startRunnerWithEnv(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}}, runner.EnvFile{"Parameters": params})
	Run(t, srv.URL)
}

// TestScenariosExternal runs the scenarios against a server started
// elsewhere, such as the real `sam local start-api`
// (SCENARIO_BASE_URL=http://127.0.0.1:3001 SCENARIO_SERVER=sam-local).
func TestScenariosExternal(t *testing.T) {
	base := os.Getenv("SCENARIO_BASE_URL")
	if base == "" {
		t.Skip("SCENARIO_BASE_URL not set: no external server to test")
	}
	server := Server(os.Getenv("SCENARIO_SERVER"))
	switch server {
	case "":
		server = APIGateway
	case APIGateway, SAMLocal:
	default:
		t.Fatalf("SCENARIO_SERVER=%q: want %q or %q", server, APIGateway, SAMLocal)
	}
	RunOn(t, base, server)
}

func TestConcurrentCartThroughRunner(t *testing.T) {
	mem := memstore.New()
	srv := startRunner(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
	ConcurrentCart(t, srv.URL, 50)
}

func TestConcurrentLoginsThroughRunner(t *testing.T) {
	mem := memstore.New()
	srv := startRunner(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
	ConcurrentLogins(t, srv.URL, 40)
}

func TestConcurrentVisitsThroughRunner(t *testing.T) {
	mem := memstore.New()
	srv := startRunner(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
	ConcurrentVisits(t, srv.URL, 50)
}

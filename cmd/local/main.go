// Command local runs the site and the API on one port without Docker, as
// `sam local start-api` would (see internal/runner), and runs a function on
// a sample event as `sam local invoke` would.
//
//	go run ./cmd/local                         serve on PORT (default 3000)
//	go run ./cmd/local invoke FUNCTION EVENT   print the response event
//
// STORE=memory (default) shares one embedded session store among the
// functions; STORE=dynamodb lets each function use DynamoDB from its
// environment (DYNAMODB_ENDPOINT in env.json or the process environment).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamotables"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 0 && args[0] == "invoke" {
		if len(args) != 3 {
			return errors.New("usage: local invoke FUNCTION EVENT.json")
		}
		slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, nil)))
		return invoke(ctx, args[1], args[2])
	}
	if len(args) > 0 {
		return fmt.Errorf("unknown arguments %q (usage: local | local invoke FUNCTION EVENT.json)", args)
	}
	return serve(ctx)
}

func newRunner(ctx context.Context, logger *slog.Logger) (*runner.Runner, error) {
	tpl, err := samtemplate.Load(envOr("TEMPLATE", "template.yaml"))
	if err != nil {
		return nil, err
	}
	envFile, err := runner.ReadEnvFile(envOr("ENV_FILE", "env.json"))
	if err != nil {
		return nil, err
	}
	opts := app.Options{}
	switch store := envOr("STORE", "memory"); store {
	case "memory":
		mem := memstore.New()
		opts.Stores = app.Stores{Sessions: mem, Users: mem, Throttle: mem}
	case "dynamodb":
		if err := createLocalTables(ctx, tpl, envFile); err != nil {
			return nil, err
		}
		opts.OpenStores = dynamostores.Open
	default:
		return nil, fmt.Errorf("STORE=%q: use memory or dynamodb", store)
	}
	return runner.New(ctx, runner.Config{
		Template: tpl,
		SiteDir:  envOr("SITE_DIR", "site"),
		EnvFile:  envFile,
		Lookup:   os.LookupEnv,
		Logger:   logger,
		Build: func(ctx context.Context, name string, getenv config.Getenv) (http.Handler, error) {
			return allfunctions.Build(ctx, name, getenv, opts)
		},
	})
}

// createLocalTables makes the template's tables on the DynamoDB the
// functions will use, when that is a local emulator (DYNAMODB_ENDPOINT set
// in the environment or env.json). In AWS the stack makes them.
func createLocalTables(ctx context.Context, tpl *samtemplate.Template, envFile runner.EnvFile) error {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		endpoint = envFile["Parameters"]["DYNAMODB_ENDPOINT"]
	}
	if endpoint == "" {
		return errors.New("STORE=dynamodb needs DYNAMODB_ENDPOINT (make dev STORE=dynamodb starts a local emulator and sets it)")
	}
	client, err := dynamoclient.New(ctx, endpoint)
	if err != nil {
		return err
	}
	return dynamotables.CreateFrom(ctx, client, tpl.CFN, dynamotables.LocalNames)
}

func serve(ctx context.Context) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rn, err := newRunner(ctx, logger)
	if err != nil {
		return err
	}
	addr := net.JoinHostPort(envOr("HOST", "127.0.0.1"), envOr("PORT", "3000"))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: rn, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 10240}
	fmt.Fprintf(os.Stderr, "sessionlab: site and API on http://localhost:%d (store: %s). Ctrl-C stops.\n", ln.Addr().(*net.TCPAddr).Port, envOr("STORE", "memory"))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Fprintln(os.Stderr, "sessionlab: stopping")
	return srv.Shutdown(shutdown)
}

func invoke(ctx context.Context, fn, eventPath string) error {
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return fmt.Errorf("read event: %w", err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(data, &ev); err != nil {
		return fmt.Errorf("read event %s: %w", eventPath, err)
	}
	rn, err := newRunner(ctx, nil)
	if err != nil {
		return err
	}
	resp, err := rn.Invoke(ctx, fn, ev)
	if err != nil {
		return err
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	return out.Encode(resp)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

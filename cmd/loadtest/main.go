// Command loadtest puts the local runner under load over real HTTP on
// 127.0.0.1 and checks that no update is lost (see docs/loadtest.md).
//
//	loadtest -runner ./local -store memory
//	loadtest -runner ./local -store dynamodb            # with the fault phase
//	loadtest -url http://127.0.0.1:3000                 # a runner already up
//
// It starts what it needs on free loopback ports (the runner built from
// cmd/local, and for -store dynamodb the dynalite emulator with its data in
// a temporary directory), runs the clients, and in a dynamodb run kills the
// emulator by its PID for -fault-down in the middle and starts it again on
// the same port with the same data. Every process it started is stopped by
// its PID at the end (and by the kernel, should this program die). It exits
// 1 when a check fails.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/loadtest"
	"github.com/sessionlab/sessionlab/internal/loopback"
)

type options struct {
	store, url, runner, dynalite, root, out, label string
	clients, tabs, accounts, maxOps, paceMin       int
	tabShare, unkeyed, double                      float64
	duration, faultAt, faultDown, timeout, reset   time.Duration
	retryFor, paceP90                              time.Duration
	fault                                          bool
	seed                                           uint64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func parseFlags() options {
	var o options
	flag.StringVar(&o.store, "store", "memory", "the runner's store: memory or dynamodb (dynalite, started here)")
	flag.StringVar(&o.url, "url", "", "use a runner already listening at this URL instead of starting one (no fault phase)")
	flag.StringVar(&o.runner, "runner", "", "the runner binary (go build -o local ./cmd/local)")
	flag.StringVar(&o.dynalite, "dynalite", "infra/dynamodb/node_modules/.bin/dynalite", "the dynalite binary, relative to -root")
	flag.StringVar(&o.root, "root", ".", "the module root (template.yaml, site/)")
	flag.StringVar(&o.out, "out", ".local/loadtest", "where the logs and the JSON numbers go, relative to -root")
	flag.StringVar(&o.label, "label", "", "the run's name in the output files (default: the store)")
	flag.IntVar(&o.clients, "clients", 50, "concurrent clients")
	flag.IntVar(&o.tabs, "tabs", 3, "clients per shared session cookie (tab group)")
	flag.Float64Var(&o.tabShare, "tab-share", 0.4, "fraction of the clients that are tabs of a shared session")
	flag.IntVar(&o.accounts, "accounts", 5, "clients that register, log out and log in (argon2id: keep it small)")
	flag.IntVar(&o.maxOps, "max-ops", 20000, "at most this many requests per client")
	flag.DurationVar(&o.duration, "duration", 15*time.Second, "how long the clients run")
	flag.BoolVar(&o.fault, "fault", true, "with -store dynamodb: kill the emulator in the middle and start it again")
	flag.DurationVar(&o.faultAt, "fault-at", 0, "when the emulator is killed (default: at 35% of -duration)")
	flag.DurationVar(&o.faultDown, "fault-down", 3*time.Second, "how long the emulator stays down")
	flag.DurationVar(&o.reset, "reset-every", 2*time.Second, "how often a tab group's shared line is removed (0: never)")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Second, "bound of one attempt of one request (the runner answers within about 8 s per store call)")
	flag.Float64Var(&o.unkeyed, "unkeyed", 0.2, "share of the cart changes sent without an Idempotency-Key (never retried)")
	flag.Float64Var(&o.double, "double", 0.03, "share of the keyed changes sent twice at once")
	flag.DurationVar(&o.retryFor, "retry-for", loadtest.DefaultRetryPolicy.For, "how long a keyed change is retried after its first attempt")
	flag.DurationVar(&o.paceP90, "pace-p90", 250*time.Millisecond, "keep the 90th percentile of store-backed latencies under this by bounding the requests in flight (0: no pacing)")
	flag.IntVar(&o.paceMin, "pace-min", 8, "the fewest requests in flight the pacing may leave (tabs of one session must still race)")
	flag.Uint64Var(&o.seed, "seed", 0, "seed of the clients' choices (0: random, printed)")
	flag.Parse()
	if o.label == "" {
		o.label = o.store
	}
	if o.faultAt == 0 {
		o.faultAt = o.duration * 35 / 100
	}
	if o.seed == 0 {
		o.seed = randomSeed()
	}
	return o
}

func run() error {
	o := parseFlags()
	if o.store != "memory" && o.store != "dynamodb" {
		return fmt.Errorf("-store %q: use memory or dynamodb", o.store)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := filepath.Abs(o.root)
	if err != nil {
		return fmt.Errorf("module root: %w", err)
	}
	out := abs(root, o.out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("output directory: %w", err)
	}
	cfg := loadtest.Config{
		BaseURL: o.url, Clients: o.clients, Tabs: o.tabs, AccountClients: o.accounts,
		TabClients: int(float64(o.clients) * o.tabShare), Duration: o.duration, MaxOps: o.maxOps,
		RequestTimeout: o.timeout, Seed: o.seed, Progress: os.Stderr, ResetEvery: o.reset,
		Retry: loadtest.DefaultRetryPolicy, UnkeyedShare: o.unkeyed, DoubleShare: o.double,
		PaceTarget: o.paceP90, PaceMin: o.paceMin,
	}
	cfg.Retry.For = o.retryFor
	if o.store == "dynamodb" {
		cfg.StoreTimeout = dynamoclient.AttemptTimeout
	}
	if cfg.TabClients == 1 {
		cfg.TabClients = 0
	}
	fmt.Fprintf(os.Stderr, "loadtest %s: seed %d\n", o.label, o.seed)
	if o.url == "" {
		env, err := startServers(ctx, o, root, out)
		if env != nil {
			defer env.stop()
		}
		if err != nil {
			return err
		}
		cfg.BaseURL = env.baseURL
		if env.store != nil && o.fault {
			cfg.Fault = &loadtest.Fault{At: o.faultAt, Down: o.faultDown, Store: env.store}
		}
	}
	began := time.Now()
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("== loadtest %s: %d clients, %v, seed %d\n", o.label, o.clients, o.duration, o.seed)
	res.Write(os.Stdout)
	if err := writeNumbers(res, filepath.Join(out, o.label+".json"), o.label); err != nil {
		return err
	}
	failures := res.Failures()
	if len(failures) > 0 {
		fmt.Printf("FAIL (%v):\n  %s\n", time.Since(began).Round(time.Millisecond), strings.Join(failures, "\n  "))
		return errors.New("checks failed")
	}
	fmt.Printf("PASS (%v); numbers in %s\n", time.Since(began).Round(time.Millisecond), filepath.Join(out, o.label+".json"))
	return nil
}

func writeNumbers(res *loadtest.Result, path, label string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("numbers: %w", err)
	}
	if err := res.WriteJSON(f, label); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// servers are the processes a run started.
type servers struct {
	baseURL string
	runner  *proc
	store   *dynalite
	tmp     string
}

func (s *servers) stop() {
	if s.runner != nil {
		s.runner.stop()
	}
	if s.store != nil {
		s.store.stop()
	}
	if s.tmp != "" {
		_ = os.RemoveAll(s.tmp)
	}
}

// startServers starts the emulator (for dynamodb) and the runner on free
// 127.0.0.1 ports. The returned servers must be stopped even on error.
func startServers(ctx context.Context, o options, root, out string) (*servers, error) {
	if o.runner == "" {
		return nil, errors.New("-runner (the built cmd/local) or -url is needed")
	}
	tmp, err := os.MkdirTemp("", "sessionlab-loadtest-*")
	if err != nil {
		return nil, fmt.Errorf("temporary directory: %w", err)
	}
	s := &servers{tmp: tmp}
	env := runnerEnv(o.store)
	if o.store == "dynamodb" {
		port, err := loopback.FreePort()
		if err != nil {
			return s, err
		}
		s.store = &dynalite{bin: abs(root, o.dynalite), dataDir: filepath.Join(tmp, "data"), logPath: filepath.Join(out, o.label+"-dynalite.log"), port: port}
		_ = os.Remove(s.store.logPath)
		if err := s.store.Start(ctx); err != nil {
			return s, fmt.Errorf("dynalite: %w", err)
		}
		fmt.Fprintf(os.Stderr, "dynalite: pid %d on %s, data in %s\n", s.store.p.pid(), s.store.endpoint(), s.store.dataDir)
		env = append(env, "DYNAMODB_ENDPOINT="+s.store.endpoint())
	}
	envFile := filepath.Join(tmp, "env.json")
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	body := fmt.Sprintf(`{"Parameters": {"SESSION_SECRET": %q, "COOKIE_SECURE": "false"}}`, hex.EncodeToString(secret))
	if err := os.WriteFile(envFile, []byte(body), 0o600); err != nil {
		return s, fmt.Errorf("env file: %w", err)
	}
	port, err := loopback.FreePort()
	if err != nil {
		return s, err
	}
	s.baseURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	env = append(env, "HOST=127.0.0.1", fmt.Sprintf("PORT=%d", port), "ENV_FILE="+envFile)
	logPath := filepath.Join(out, o.label+"-runner.log")
	_ = os.Remove(logPath)
	if s.runner, err = startProc("runner", root, logPath, env, abs(root, o.runner)); err != nil {
		return s, err
	}
	ok := func(status int) bool { return status == 200 }
	if err := s.runner.waitHTTP(ctx, s.baseURL+"/api/products", ok, 60*time.Second, logPath); err != nil {
		return s, err
	}
	fmt.Fprintf(os.Stderr, "runner: pid %d on %s (STORE=%s), log %s\n", s.runner.pid(), s.baseURL, o.store, logPath)
	return s, nil
}

// runnerEnv is this process's environment without anything that would
// change the runner's configuration or point it at real AWS, plus STORE.
func runnerEnv(store string) []string {
	drop := []string{"SESSION_", "COOKIE_", "SITE_", "STORE=", "PORT=", "HOST=", "ENV_FILE=",
		"DYNAMODB_", "TEMPLATE=", "SESSIONS_TABLE=", "USERS_TABLE=", "AWS_"}
	var env []string
next:
	for _, kv := range os.Environ() {
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				continue next
			}
		}
		env = append(env, kv)
	}
	return append(env, "STORE="+store)
}

func abs(root, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(root, path)
}

func randomSeed() uint64 {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	var n uint64
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return n>>1 | 1
}

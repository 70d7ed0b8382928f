package loadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// Config is one load run.
type Config struct {
	// BaseURL is the runner, such as http://127.0.0.1:41234.
	BaseURL string
	// Clients is how many clients run at once.
	Clients int
	// Tabs is how many clients share one session cookie in a tab group;
	// TabClients of the Clients are in such groups (the rest are alone).
	Tabs, TabClients int
	// AccountClients of the clients alone register, log out and log in.
	AccountClients int
	// ResetEvery is how often a tab group's shared line is removed while
	// no tab runs, so it never stays at the cap (0: never).
	ResetEvery time.Duration
	// Duration bounds the run; MaxOps bounds each client's requests.
	Duration time.Duration
	MaxOps   int
	// StoreTimeout is the runner's bound of one store call attempt
	// (internal/dynamoclient.AttemptTimeout): a 503 that took this long
	// came after a timeout, so its write may have landed after all (and it
	// tells of a slow store, not of a broken one). 0 for a store without
	// timeouts (memory).
	StoreTimeout time.Duration
	// RequestTimeout bounds one attempt of one request.
	RequestTimeout time.Duration
	// Retry is how a change sent with a key is sent again.
	Retry RetryPolicy
	// UnkeyedShare of the changes go without an Idempotency-Key (and are
	// never retried); DoubleShare of the keyed ones are sent twice at once.
	UnkeyedShare, DoubleShare float64
	// PaceTarget is the 90th percentile of store-backed latencies the
	// pacer keeps requests under, with at least PaceMin of them in flight
	// (see Pacer); 0: no pacing.
	PaceTarget time.Duration
	PaceMin    int
	// Seed makes the clients' choices repeatable.
	Seed uint64
	// Fault, when set, stops the store in the middle of the run.
	Fault *Fault
	// Progress receives a line per phase (nil: none).
	Progress io.Writer
}

// Store is the store process the fault phase stops and starts again.
type Store interface {
	// Kill stops the process (by its PID) and returns once it has exited.
	Kill() error
	// Start starts it again on the same address with the same data and
	// returns once it listens.
	Start(ctx context.Context) error
}

// Fault is the fault phase: At after the start the store is killed, and
// Down later started again.
type Fault struct {
	At, Down time.Duration
	Store    Store
	// Grace is how long after the store listens again a 503 is still
	// allowed (0: RecoveryGrace).
	Grace time.Duration
}

func (f *Fault) grace() time.Duration {
	if f.Grace > 0 {
		return f.Grace
	}
	return RecoveryGrace
}

// Validate checks that the run is bounded and the fault fits inside it with
// time to see recovery.
func (c Config) Validate() error {
	switch {
	case c.BaseURL == "":
		return errors.New("no base URL")
	case c.Clients < 1 || c.Clients > 1000:
		return fmt.Errorf("clients %d: use 1–1000", c.Clients)
	case c.Duration <= 0 || c.Duration > time.Hour:
		return fmt.Errorf("duration %v: use up to 1h", c.Duration)
	case c.MaxOps < 1:
		return fmt.Errorf("max ops %d: use at least 1", c.MaxOps)
	case c.TabClients == 1 || c.TabClients > 0 && (c.Tabs < 2 || c.Tabs > 50 || c.TabClients > c.Clients):
		return fmt.Errorf("tabs %d for %d tab clients of %d: a tab group has at least 2", c.Tabs, c.TabClients, c.Clients)
	case c.AccountClients > c.Clients-c.TabClients:
		return fmt.Errorf("account clients %d: at most the %d clients alone", c.AccountClients, c.Clients-c.TabClients)
	case c.ResetEvery < 0:
		return errors.New("negative reset interval")
	case c.RequestTimeout <= 0:
		return errors.New("no request timeout")
	case c.UnkeyedShare < 0 || c.UnkeyedShare > 1 || c.DoubleShare < 0 || c.DoubleShare > 1:
		return fmt.Errorf("shares %v (without a key) and %v (sent twice): use 0–1", c.UnkeyedShare, c.DoubleShare)
	case c.Retry.Base <= 0 || c.Retry.Cap < c.Retry.Base || c.Retry.For <= 0:
		return fmt.Errorf("retry policy %+v: a backoff of at least 1ns, a cap no smaller, a bound", c.Retry)
	case c.PaceTarget < 0 || c.PaceMin < 0:
		return errors.New("negative pacing")
	}
	if f := c.Fault; f != nil {
		if f.At <= 0 || f.Down <= 0 || f.Grace < 0 || f.At+f.Down+2*f.grace() > c.Duration {
			return fmt.Errorf("fault at %v for %v does not leave %v of the %v run to see recovery", f.At, f.Down, 2*f.grace(), c.Duration)
		}
		if c.Retry.For < f.Down+2*f.grace() {
			return fmt.Errorf("retries for %v do not outlast a %v outage and its %v of recovery: a change sent as the store died would end unknown", c.Retry.For, f.Down, 2*f.grace())
		}
	}
	return nil
}

// session is one session cookie and the clients that share it. A tab
// group also has a resetter, which removes the shared line every
// ResetEvery while it holds the gate (no tab request in flight) and so
// starts a new epoch.
type session struct {
	name     string
	b        *browser
	workers  []*worker
	resetter *worker
	gate     sync.RWMutex
	epoch    int
}

// drain bounds how long after Duration the clients may take to finish:
// the last change's retries and two of its attempts.
func (c Config) drain() time.Duration { return c.Retry.For + 2*c.RequestTimeout }

// members are the session's workers and its resetter (if any).
func (s *session) members() []*worker {
	out := slices.Clone(s.workers)
	if s.resetter != nil {
		out = append(out, s.resetter)
	}
	return out
}

// Run runs the load, then reads every cart and checks it against its logs.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("loadtest: base URL: %w", err)
	}
	transport := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        2 * cfg.Clients,
		MaxIdleConnsPerHost: 2 * cfg.Clients,
		IdleConnTimeout:     30 * time.Second,
	}
	defer transport.CloseIdleConnections()
	pacer := NewPacer(cfg.PaceTarget, cfg.PaceMin, cfg.Clients, cfg.Clients/4)
	sessions, err := plan(cfg, base, transport, pacer)
	if err != nil {
		return nil, err
	}
	res := &Result{Config: cfg, Sessions: len(sessions), Clients: cfg.Clients, Machine: Machine{CPUs: numCPU(), Before: TakeSnapshot()}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tl Timeline
	if cfg.Fault != nil {
		tl.Grace = cfg.Fault.grace()
	}
	faultErr := make(chan error, 1)
	began := time.Now()
	progress(cfg, "load: %d clients (%d in tab groups of %d, %d with accounts) for %v on %s",
		cfg.Clients, cfg.TabClients, cfg.Tabs, cfg.AccountClients, cfg.Duration, cfg.BaseURL)
	if cfg.Fault != nil {
		go func() { faultErr <- runFault(ctx, cfg, began, &tl) }()
	} else {
		faultErr <- nil
	}
	// The clients stop starting actions at Duration and finish the change
	// they are retrying; past the drain bound, their requests are cancelled
	// and the run fails (nothing can hang it).
	loadCtx, stopLoad := context.WithDeadline(ctx, began.Add(cfg.Duration+cfg.drain()))
	defer stopLoad()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Add(1)
		go func() { defer wg.Done(); s.run(loadCtx, began, cfg) }()
	}
	wg.Wait()
	res.Overran = loadCtx.Err() != nil && ctx.Err() == nil
	res.Began, res.Elapsed = began, time.Since(began)
	res.Machine.After, res.Pacing = TakeSnapshot(), pacer.Stats()
	if err := <-faultErr; err != nil {
		return nil, fmt.Errorf("loadtest: fault phase: %w", err)
	}
	res.Times = tl.Times()
	progress(cfg, "load done in %v; checking every cart", res.Elapsed.Round(time.Millisecond))
	for _, s := range sessions {
		res.check(ctx, s)
	}
	res.summarize()
	return res, nil
}

func progress(cfg Config, format string, args ...any) {
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, format+"\n", args...)
	}
}

// plan assigns clients to sessions: tab groups first (one owner per SKU but
// the first, which every tab only adds to), then clients alone, the last of
// them with accounts.
func plan(cfg Config, base *url.URL, transport http.RoundTripper, pacer *Pacer) ([]*session, error) {
	var out []*session
	runID := randomHex(4)
	seed := cfg.Seed
	newSession := func(name string) (*session, error) {
		b, err := newBrowser(base, transport, cfg.RequestTimeout, pacer)
		if err != nil {
			return nil, err
		}
		s := &session{name: name, b: b}
		out = append(out, s)
		return s, nil
	}
	client := 0
	for g, n := range GroupSizes(cfg.TabClients, cfg.Tabs) {
		s, err := newSession(fmt.Sprintf("tabs%d", g))
		if err != nil {
			return nil, err
		}
		for i := 0; i < n; i, client = i+1, client+1 {
			seed++
			w := newWorker(fmt.Sprintf("%s/%d", s.name, i), s.b, seed, Ownership{}, tabMix)
			w.group = s
			s.workers = append(s.workers, w)
		}
		s.resetter = newWorker(s.name+"/reset", s.b, seed, Ownership{}, nil)
		s.resetter.live = nil
	}
	for _, s := range out {
		assignTabs(s)
	}
	for i := 0; client < cfg.Clients; i, client = i+1, client+1 {
		s, err := newSession(fmt.Sprintf("solo%d", i))
		if err != nil {
			return nil, err
		}
		seed++
		w := newWorker(s.name, s.b, seed, Ownership{Owned: SKUs}, soloMix)
		if cfg.Clients-client <= cfg.AccountClients {
			w.account = &account{username: fmt.Sprintf("lt%s-%d", runID, i), password: "load test password " + randomHex(8)}
		}
		s.workers = []*worker{w}
	}
	judge := Judge{StoreTimeout: cfg.StoreTimeout}
	how := sending{retry: cfg.Retry, unkeyed: cfg.UnkeyedShare, double: cfg.DoubleShare}
	for _, s := range out {
		for _, w := range s.members() {
			w.judge, w.how = judge, how
		}
	}
	return out, nil
}

// GroupSizes splits n clients into tab groups of size tabs; a remainder of
// one joins the last group (a group has at least two tabs).
func GroupSizes(n, tabs int) []int {
	if n < 2 || tabs < 2 {
		return nil
	}
	sizes := make([]int, 0, n/tabs+1)
	for left := n; left > 0; left -= tabs {
		sizes = append(sizes, min(tabs, left))
	}
	if last := len(sizes) - 1; last > 0 && sizes[last] == 1 {
		sizes[last-1]++
		sizes = sizes[:last]
	}
	return sizes
}

// assignTabs gives each tab of s its SKUs: the first SKU is shared (adds
// only), the others are dealt out in turn.
func assignTabs(s *session) {
	owned := make([][]string, len(s.workers))
	for i, sku := range SKUs[1:] {
		owned[i%len(s.workers)] = append(owned[i%len(s.workers)], sku)
	}
	for i, w := range s.workers {
		w.own = Ownership{Owned: owned[i], Shared: SKUs[0]}
		w.live = NewExpectation(w.own)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// run starts the session with one add by its first client (so the tabs do
// not each start their own), then runs all its clients at once.
func (s *session) run(ctx context.Context, began time.Time, cfg Config) {
	first := s.workers[0]
	if len(s.workers) > 1 {
		for try := 0; try < 5 && ctx.Err() == nil && !s.b.hasSession(); try++ {
			first.addTo(ctx, first.own.Owned[0], 1)
			if !s.b.hasSession() {
				time.Sleep(200 * time.Millisecond)
			}
		}
	}
	var wg sync.WaitGroup
	for _, w := range s.workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.run(ctx, began, cfg.Duration, cfg.MaxOps) }()
	}
	if s.resetter != nil && cfg.ResetEvery > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); s.resets(ctx, began.Add(cfg.Duration), cfg.ResetEvery) }()
	}
	wg.Wait()
}

// resets removes the shared line every interval until the deadline, each
// time with the gate closed, and starts the next epoch.
func (s *session) resets(ctx context.Context, deadline time.Time, every time.Duration) {
	for {
		next := time.Now().Add(every)
		if !next.Before(deadline) || !sleepUntil(ctx, next) {
			return
		}
		s.gate.Lock()
		w, sku := s.resetter, SKUs[0]
		w.epoch = s.epoch
		// Always with a key, retried to a definite answer: the epochs
		// chain, so one reset of unknown outcome would blur every later one.
		w.change(ctx, Event{Kind: Remove, SKU: sku}, OpRemove,
			request{method: http.MethodDelete, path: "/api/cart/items/" + sku}, mode{keyed: true})
		s.epoch++
		s.gate.Unlock()
	}
}

// runFault stops the store at At and starts it again Down later, marking
// the timeline.
func runFault(ctx context.Context, cfg Config, began time.Time, tl *Timeline) error {
	f := cfg.Fault
	if !sleepUntil(ctx, began.Add(f.At)) {
		return ctx.Err()
	}
	progress(cfg, "fault: stopping the store at +%v", time.Since(began).Round(time.Millisecond))
	tl.Mark("kill", time.Now())
	if err := f.Store.Kill(); err != nil {
		return fmt.Errorf("stop the store: %w", err)
	}
	tl.Mark("dead", time.Now())
	if !sleepUntil(ctx, time.Now().Add(f.Down)) {
		return ctx.Err()
	}
	progress(cfg, "fault: starting the store again at +%v", time.Since(began).Round(time.Millisecond))
	tl.Mark("restart", time.Now())
	if err := f.Store.Start(ctx); err != nil {
		return fmt.Errorf("start the store again: %w", err)
	}
	tl.Mark("ready", time.Now())
	progress(cfg, "fault: the store listens again at +%v", time.Since(began).Round(time.Millisecond))
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// Command coldstart measures each function's first call after start under
// the Lambda runtime interface emulator (aws-lambda-rie) on this machine:
// for each run it starts a fresh emulator on a free 127.0.0.1 port, waits
// until it listens, and times one invocation from the moment it is sent to
// the moment its answer is read. The emulator starts the bootstrap on that
// first invocation, so the time covers the process start (exec, the Go
// runtime, package init), main (building the handler from the
// environment), the runtime API's first "next", the handler itself and the
// answer. `make coldstart` runs it (docs/benchmarks.md, "First call after
// start"); it is no test.
//
//	coldstart -rie .local/bin/aws-lambda-rie -runs 8 \
//	  minimal=bin/coldstart/minimal:events/get-preferences.json \
//	  CookiesFunction=bin/coldstart/CookiesFunction/bootstrap:events/get-preferences.json ...
//
// The functions share one environment (a fresh SESSION_SECRET, table names,
// dummy credentials, -dynamodb as DYNAMODB_ENDPOINT). Runs go round robin,
// the order rotated each run, so load from other work spreads over every
// function alike. With -inittrace N each bootstrap runs N more times with
// GODEBUG=inittrace=1 and the table adds the package init time of the
// median of those runs and the packages that take most of it. The load
// average before and after is printed under the table: the machine may be
// shared, and a loaded one spreads the runs.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sessionlab/sessionlab/internal/loopback"
)

// verbose: print what the emulator and each bootstrap wrote (-v).
var verbose bool

// target is one bootstrap and the event its first call sends.
type target struct {
	name, bootstrap, event string
	payload                []byte
	took                   []time.Duration
	initClock              time.Duration // package init, summed (-inittrace)
	initTop                []string      // the packages whose init took longest
}

func main() {
	rie := flag.String("rie", ".local/bin/aws-lambda-rie", "the runtime interface emulator")
	runs := flag.Int("runs", 8, "cold starts per function")
	baseline := flag.String("baseline", "minimal", "the target the others are compared with")
	dynamo := flag.String("dynamodb", "", "DYNAMODB_ENDPOINT for the functions (empty: a port nobody listens on)")
	inittrace := flag.Int("inittrace", 5, "also run each bootstrap this many times with GODEBUG=inittrace=1 (0: not)")
	flag.BoolVar(&verbose, "v", false, "print what the emulator and each bootstrap wrote")
	flag.Parse()
	if err := run(*rie, *runs, *baseline, *dynamo, *inittrace, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "coldstart:", err)
		os.Exit(1)
	}
}

func run(rie string, runs int, baseline, dynamo string, inittrace int, args []string) error {
	targets, err := parseTargets(args)
	if err != nil {
		return err
	}
	env, err := functionEnv(dynamo)
	if err != nil {
		return err
	}
	loadBefore := loadAverage()
	for r := range runs {
		for i := range targets {
			t := targets[(i+r)%len(targets)]
			d, out, err := coldStart(rie, t, env, false)
			if err != nil {
				return fmt.Errorf("%s, run %d: %w", t.name, r+1, err)
			}
			if verbose {
				fmt.Fprintf(os.Stderr, "%s, run %d: %.2f ms\n%s\n", t.name, r+1, ms(d), out)
			}
			t.took = append(t.took, d)
		}
	}
	for _, t := range targets {
		if err := traceInit(rie, t, env, inittrace); err != nil {
			return err
		}
	}
	if err := report(os.Stdout, targets, baseline); err != nil {
		return err
	}
	fmt.Printf("\nload average (1, 5, 15 min): %s before, %s after\n", loadBefore, loadAverage())
	return nil
}

// traceInit runs t n times with GODEBUG=inittrace=1 and keeps the run
// whose package init sum is the median (one run alone is at the mercy of
// the scheduler).
func traceInit(rie string, t *target, env []string, n int) error {
	type trace struct {
		sum time.Duration
		top []string
	}
	var traces []trace
	for range n {
		_, out, err := coldStart(rie, t, env, true)
		if err != nil {
			return fmt.Errorf("%s with inittrace: %w", t.name, err)
		}
		sum, top := initTrace(out)
		traces = append(traces, trace{sum, top})
	}
	if len(traces) == 0 {
		return nil
	}
	slices.SortFunc(traces, func(a, b trace) int { return int(a.sum - b.sum) })
	t.initClock, t.initTop = traces[len(traces)/2].sum, traces[len(traces)/2].top
	return nil
}

// loadAverage is /proc/loadavg's three load averages, or "?".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "?"
}

// parseTargets reads name=bootstrap:event arguments.
func parseTargets(args []string) ([]*target, error) {
	var out []*target
	for _, a := range args {
		name, rest, ok1 := strings.Cut(a, "=")
		bootstrap, event, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || name == "" {
			return nil, fmt.Errorf("%q: want name=bootstrap:event.json", a)
		}
		payload, err := os.ReadFile(event)
		if err != nil {
			return nil, err
		}
		out = append(out, &target{name: name, bootstrap: bootstrap, event: event, payload: payload})
	}
	if len(out) == 0 {
		return nil, errors.New("no targets: pass name=bootstrap:event.json arguments")
	}
	return out, nil
}

// functionEnv is the environment every bootstrap gets: this process's
// PATH and HOME, and what the functions need to start.
func functionEnv(dynamo string) ([]string, error) {
	if dynamo == "" {
		port, err := loopback.FreePort()
		if err != nil {
			return nil, err
		}
		dynamo = fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"SESSION_SECRET=" + hex.EncodeToString(key), "COOKIE_SECURE=false",
		"SESSIONS_TABLE=SessionsTable", "USERS_TABLE=UsersTable", "DYNAMODB_ENDPOINT=" + dynamo,
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=local", "AWS_SECRET_ACCESS_KEY=local",
	}, nil
}

// coldStart starts a fresh emulator for t, times its first invocation, and
// returns how long it took and what the emulator and the bootstrap wrote.
// With inittrace the bootstrap (not the emulator) runs with
// GODEBUG=inittrace=1, through env(1).
func coldStart(rie string, t *target, env []string, inittrace bool) (time.Duration, []byte, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return 0, nil, err
	}
	apiPort, err := loopback.FreePort() // the runtime API, 9001 unless told: other emulators may hold that
	if err != nil {
		return 0, nil, err
	}
	addr, apiAddr := fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", apiPort)
	var out bytes.Buffer
	args := []string{"--runtime-interface-emulator-address", addr, "--runtime-api-address", apiAddr,
		"--log-level", "error", t.bootstrap}
	if inittrace {
		args = append(args[:len(args)-1], "/usr/bin/env", "GODEBUG=inittrace=1", t.bootstrap)
	}
	cmd := exec.Command(rie, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the emulator and its bootstrap, ended together below
	if err := cmd.Start(); err != nil {
		return 0, nil, err
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group this process made
		_ = cmd.Wait()
	}()
	// Both servers of the emulator: it may start the bootstrap before its
	// runtime API listens when an invocation comes at once (then the
	// bootstrap's first "next" is refused and it exits).
	for _, a := range []string{addr, apiAddr} {
		if err := waitListening(a, 10*time.Second); err != nil {
			return 0, out.Bytes(), err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/2015-03-31/functions/function/invocations", bytes.NewReader(t.payload))
	if err != nil {
		return 0, nil, err
	}
	began := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, out.Bytes(), err
	}
	body, err := io.ReadAll(resp.Body)
	took := time.Since(began)
	resp.Body.Close()
	if err != nil {
		return 0, out.Bytes(), err
	}
	var answer struct {
		StatusCode int `json:"statusCode"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.StatusCode < 200 || answer.StatusCode > 299 {
		return 0, out.Bytes(), fmt.Errorf("the function answered %s (emulator and function output: %s)", body, out.Bytes())
	}
	// inittrace lines are written before the answer; give the emulator a
	// moment to copy them from the bootstrap's stderr.
	time.Sleep(20 * time.Millisecond)
	return took, out.Bytes(), nil
}

// waitListening polls addr until it accepts a connection.
func waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			return c.Close()
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("the emulator did not listen on %s within %v", addr, timeout)
}

// initLine is one line of GODEBUG=inittrace=1: "init PKG @T ms, D ms clock, ...".
var initLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock`)

// initTrace sums the package init clock times in out and names the three
// packages that took longest.
func initTrace(out []byte) (time.Duration, []string) {
	type pkg struct {
		name string
		d    time.Duration
	}
	var all []pkg
	var sum time.Duration
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := initLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ms, _ := strconv.ParseFloat(m[2], 64)
		d := time.Duration(ms * float64(time.Millisecond))
		sum += d
		all = append(all, pkg{m[1], d})
	}
	slices.SortFunc(all, func(a, b pkg) int { return int(b.d - a.d) })
	var top []string
	for _, p := range all[:min(3, len(all))] {
		top = append(top, fmt.Sprintf("%s %.2f", p.name, ms(p.d)))
	}
	return sum, top
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// report writes the table: median, range, ratio to the baseline, size and
// package init of each target.
func report(w io.Writer, targets []*target, baseline string) error {
	var base time.Duration
	for _, t := range targets {
		if t.name == baseline {
			base = median(t.took)
		}
	}
	fmt.Fprintf(w, "| bootstrap | event | size | median of %d | range | × %s | package init (inittrace, median run) | longest inits (ms) |\n", len(targets[0].took), baseline)
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, t := range targets {
		size := "?"
		if fi, err := os.Stat(t.bootstrap); err == nil {
			size = fmt.Sprintf("%.2f MiB", float64(fi.Size())/(1<<20))
		}
		ratio := "?"
		if base > 0 {
			ratio = fmt.Sprintf("%.2f", float64(median(t.took))/float64(base))
		}
		fmt.Fprintf(w, "| %s | `%s` | %s | %.1f ms | %.1f–%.1f ms | %s | %.2f ms | %s |\n", t.name, t.event, size,
			ms(median(t.took)), ms(slices.Min(t.took)), ms(slices.Max(t.took)), ratio, ms(t.initClock), strings.Join(t.initTop, ", "))
	}
	return nil
}

// Package dynamotest gives tests a real DynamoDB-protocol server: moto in
// server mode (from the project's .venv, pinned in infra/requirements.txt),
// one per test binary, started on a free 127.0.0.1 port at first use and
// stopped by Main (or, failing that, when the test binary exits). Each test
// gets its own tables, made from template.yaml under unique names, and its
// own TCP proxy in front of the server, which it can cut and restore to
// make the store unreachable and bring it back with its data.
//
// DYNAMODB_TEST_ENDPOINT=http://127.0.0.1:8000 runs the same tests against
// another emulator (dynalite, DynamoDB Local, LocalStack) instead of moto.
package dynamotest

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/loopback"
)

// Paths relative to the module root: the venv's Python (with moto, pinned
// in infra/requirements.txt) and the launcher that runs moto's server one
// request at a time (moto_server alone loses concurrent updates of one
// item; see the launcher's doc string).
const (
	Python   = ".venv/bin/python"
	Launcher = "infra/dynamodb/moto_serial.py"
	// MotoServer is the binary whose presence says moto is installed.
	MotoServer = ".venv/bin/moto_server"
)

// startTimeout bounds how long the emulator may take to answer.
const startTimeout = 60 * time.Second

// Emulator is a running DynamoDB-protocol server.
type Emulator struct {
	// Endpoint is its URL, such as http://127.0.0.1:41234.
	Endpoint string
	// StartedIn is how long it took to answer its first request (0 when it
	// was not started here).
	StartedIn time.Duration

	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

var shared struct {
	once sync.Once
	emu  *Emulator
	err  error
	skip string
}

// Shared returns the test binary's emulator, starting it on first use. When
// the moto binary is missing the test is skipped with a hint to run
// `make test`, or fails when CI is set (CI must never skip it).
func Shared(t testing.TB) *Emulator {
	t.Helper()
	shared.once.Do(func() {
		if ep := os.Getenv("DYNAMODB_TEST_ENDPOINT"); ep != "" {
			shared.emu = &Emulator{Endpoint: ep}
			return
		}
		root, err := ModuleRoot()
		if err != nil {
			shared.err = err
			return
		}
		if _, err := os.Stat(filepath.Join(root, MotoServer)); err != nil {
			shared.skip = fmt.Sprintf("no DynamoDB emulator at %s: run make test (it installs the pinned moto into .venv)",
				filepath.Join(root, MotoServer))
			return
		}
		shared.emu, shared.err = Start(root)
	})
	switch {
	case shared.skip != "" && os.Getenv("CI") != "":
		t.Fatal(shared.skip)
	case shared.skip != "":
		t.Skip(shared.skip)
	case shared.err != nil:
		t.Fatalf("dynamotest: %v", shared.err)
	}
	return shared.emu
}

// Main runs the tests of m and then stops the shared emulator. Use it as
//
//	func TestMain(m *testing.M) { dynamotest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if shared.emu != nil {
		shared.emu.Stop()
	}
	os.Exit(code)
}

// Start starts moto (the launcher under root, with root's venv) on a free
// 127.0.0.1 port and waits until it answers. Stop it with Stop.
func Start(root string) (*Emulator, error) {
	port, err := loopback.FreePort()
	if err != nil {
		return nil, err
	}
	log, err := os.CreateTemp("", "dynamotest-moto-*.log")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	defer log.Close()
	cmd := exec.Command(filepath.Join(root, Python), filepath.Join(root, Launcher),
		"-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = dieWithParent()
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	e := &Emulator{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		cmd:      cmd,
		logPath:  log.Name(),
		exited:   make(chan struct{}),
	}
	go func() { _ = cmd.Wait(); close(e.exited) }()
	if err := e.waitReady(began); err != nil {
		e.Stop()
		return nil, err
	}
	e.StartedIn = time.Since(began)
	return e, nil
}

// waitReady polls the server until it answers an HTTP request.
func (e *Emulator) waitReady(began time.Time) error {
	client := &http.Client{Timeout: time.Second}
	for time.Since(began) < startTimeout {
		select {
		case <-e.exited:
			return fmt.Errorf("moto exited at start (log: %s)", e.logPath)
		default:
		}
		if resp, err := client.Get(e.Endpoint + "/moto-api/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("moto did not answer on %s within %v (log: %s)", e.Endpoint, startTimeout, e.logPath)
}

// Stop ends the emulator process (when it was started here) and removes its
// log.
func (e *Emulator) Stop() {
	if e.cmd == nil || e.cmd.Process == nil {
		return
	}
	_ = e.cmd.Process.Signal(os.Interrupt)
	select {
	case <-e.exited:
	case <-time.After(5 * time.Second):
		_ = e.cmd.Process.Kill()
		<-e.exited
	}
	_ = os.Remove(e.logPath)
}

// ModuleRoot returns the directory of the go.mod above the working directory.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("find module root: %w", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find module root: no go.mod above the working directory")
		}
		dir = parent
	}
}

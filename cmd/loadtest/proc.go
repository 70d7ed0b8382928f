package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// proc is a child process this program started and stops by its PID.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// startProc starts argv in dir with env, its output appended to logPath.
func startProc(name, dir, logPath string, env []string, argv ...string) (*proc, error) {
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, log, log
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

// pid is the process's ID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the process and waits up to wait for it to exit.
func (p *proc) signal(sig syscall.Signal, wait time.Duration) bool {
	if !p.alive() {
		return true
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return true
	case <-time.After(wait):
		return false
	}
}

// stop ends the process: SIGTERM, then SIGKILL after 5 s.
func (p *proc) stop() {
	if !p.signal(syscall.SIGTERM, 5*time.Second) {
		p.signal(syscall.SIGKILL, 5*time.Second)
	}
}

// kill ends the process at once (SIGKILL), as a crash would, and returns
// once it has exited.
func (p *proc) kill() error {
	if !p.signal(syscall.SIGKILL, 10*time.Second) {
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.pid())
	}
	return nil
}

// waitHTTP polls url every 20 ms, on a new connection each time, until ok
// accepts an answer, the process exits or timeout passes. Each probe may
// take 250 ms: a process that answers, but slowly, is answering.
func (p *proc) waitHTTP(ctx context.Context, url string, ok func(status int) bool, timeout time.Duration, logPath string) error {
	client := &http.Client{Timeout: 250 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !p.alive() {
			return fmt.Errorf("%s exited at start (log: %s)", p.name, logPath)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", p.name, err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if ok(resp.StatusCode) {
				return nil
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer on %s within %v (log: %s)", p.name, url, timeout, logPath)
}

// waitListening polls addr every 10 ms until it accepts a TCP connection
// (the kernel accepts it once the process listens, however busy the
// process is), the process exits or timeout passes.
func (p *proc) waitListening(ctx context.Context, addr string, timeout time.Duration, logPath string) error {
	deadline := time.Now().Add(timeout)
	d := net.Dialer{Timeout: 250 * time.Millisecond}
	for time.Now().Before(deadline) {
		if !p.alive() {
			return fmt.Errorf("%s exited at start (log: %s)", p.name, logPath)
		}
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			c.Close()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("%s did not listen on %s within %v (log: %s)", p.name, addr, timeout, logPath)
}

// dynalite is the DynamoDB emulator of a dynamodb run: its data in a
// directory (LevelDB), so a restart on the same port finds it all again.
type dynalite struct {
	bin, dataDir, logPath string
	port                  int
	p                     *proc
}

func (d *dynalite) endpoint() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// Start starts dynalite and returns once it listens (the runner's calls
// then queue in its socket; the clients' first success measures when it
// serves again). The first start also waits for an HTTP answer.
func (d *dynalite) Start(ctx context.Context) error {
	first := d.p == nil
	p, err := startProc("dynalite", "", d.logPath, os.Environ(), d.bin,
		"--host", "127.0.0.1", "--port", fmt.Sprint(d.port), "--path", d.dataDir,
		"--createTableMs", "0", "--deleteTableMs", "0", "--updateTableMs", "0")
	if err != nil {
		return err
	}
	d.p = p
	err = p.waitListening(ctx, fmt.Sprintf("127.0.0.1:%d", d.port), 30*time.Second, d.logPath)
	if err == nil && first {
		err = p.waitHTTP(ctx, d.endpoint(), func(int) bool { return true }, 30*time.Second, d.logPath)
	}
	if err != nil {
		p.stop()
	}
	return err
}

// Kill stops dynalite with SIGKILL (no chance to tidy up) by its PID.
func (d *dynalite) Kill() error {
	if d.p == nil {
		return errors.New("dynalite is not running")
	}
	return d.p.kill()
}

func (d *dynalite) stop() {
	if d.p != nil {
		d.p.stop()
	}
}

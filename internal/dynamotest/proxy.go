package dynamotest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Proxy is an HTTP/1.1 proxy on 127.0.0.1 in front of a server, one
// connection to the server per client connection. Cut makes the server
// unreachable through it (connections refused, open ones closed); Restore
// brings it back on the same address. Inject makes it lose or delay the
// answers of chosen requests after forwarding them. The server and its
// data are untouched either way.
type Proxy struct {
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	faults []*Fault
	seen   map[string]int
}

// Fault is what the proxy does to the answer of a request it forwards.
type Fault struct {
	// Match picks the requests (nil: every request). Target matches a
	// DynamoDB operation.
	Match func(*http.Request) bool
	// Delay holds the answer this long before passing it on (or
	// dropping it): past the client's attempt timeout, the client gives
	// up and its SDK retries, while the server has applied the request.
	Delay time.Duration
	// Drop closes the client's connection instead of answering, after the
	// server has answered: the request was applied, its answer lost.
	Drop bool
	// Times is how many matching requests it hits; then it is spent.
	Times int
}

// Target matches requests for the DynamoDB operation op (UpdateItem,
// PutItem, ...), named by their X-Amz-Target header.
func Target(op string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("X-Amz-Target") == "DynamoDB_20120810."+op }
}

// Inject adds f; faults are tried in the order they were added.
func (p *Proxy) Inject(f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &f)
}

// Pending reports how many hits the injected faults have left.
func (p *Proxy) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, f := range p.faults {
		n += f.Times
	}
	return n
}

// Forwarded returns how many requests for the DynamoDB operation op the
// proxy has forwarded to the server.
func (p *Proxy) Forwarded(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen["DynamoDB_20120810."+op]
}

// take returns the fault r hits (spending one of its hits), or nil, and
// counts r.
func (p *Proxy) take(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	p.seen[r.Header.Get("X-Amz-Target")]++
	for _, f := range p.faults {
		if f.Times > 0 && (f.Match == nil || f.Match(r)) {
			f.Times--
			return f
		}
	}
	return nil
}

// NewProxy starts a proxy to target (host:port) on a free 127.0.0.1 port.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start proxy: %w", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
	p.serve(ln)
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.addr }

// Cut closes the listener and every open connection.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore listens again on the proxy's address after a Cut.
func (p *Proxy) Restore() error {
	p.mu.Lock()
	listening := p.ln != nil
	p.mu.Unlock()
	if listening {
		return nil
	}
	var ln net.Listener
	var err error
	for range 50 { // the port was just freed; give the kernel a moment
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.serve(ln)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("restore proxy on %s: %w", p.addr, err)
}

// Close cuts the proxy for good.
func (p *Proxy) Close() { p.Cut() }

// serve accepts on ln until it is closed.
func (p *Proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

// pipe forwards the requests of a client connection, one after another,
// over a new connection to the target, and their answers back, applying
// any fault a request hits.
func (p *Proxy) pipe(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, time.Second)
	if err != nil {
		client.Close()
		return
	}
	defer p.untrack(client, server)
	if !p.track(client, server) {
		return
	}
	fromClient, fromServer := bufio.NewReader(client), bufio.NewReader(server)
	for {
		resp, fault, err := p.exchange(fromClient, server, fromServer)
		if err != nil {
			return
		}
		if fault != nil {
			time.Sleep(fault.Delay)
			if fault.Drop {
				return
			}
		}
		if err := resp.Write(client); err != nil {
			return
		}
	}
}

// exchange reads one request from the client, forwards it and reads the
// server's answer, body included.
func (p *Proxy) exchange(fromClient *bufio.Reader, server net.Conn, fromServer *bufio.Reader) (*http.Response, *Fault, error) {
	req, err := http.ReadRequest(fromClient)
	if err != nil {
		return nil, nil, err
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	fault := p.take(req)
	if err := req.Write(server); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(fromServer, req)
	if err != nil {
		return nil, nil, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, nil, err
	}
	resp.Body, resp.ContentLength, resp.TransferEncoding = io.NopCloser(bytes.NewReader(answer)), int64(len(answer)), nil
	return resp, fault, nil
}

// untrack closes and forgets both connections.
func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.conns, c)
	}
}

// track records both connections unless the proxy was cut meanwhile.
func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln == nil {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

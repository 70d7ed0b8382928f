package dynamotest

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestMain(m *testing.M) { Main(m) }

// TestProxyCutRestore checks the proxy against a plain HTTP server: it
// forwards, refuses while cut (closing open connections), and forwards
// again after Restore on the same address.
func TestProxyCutRestore(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "pong")
	}))
	t.Cleanup(srv.Close)
	p, err := NewProxy(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	client := &http.Client{Timeout: 2 * time.Second}
	get := func() error {
		resp, err := client.Get("http://" + p.Addr() + "/")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if string(body) != "pong" {
			t.Errorf("body %q", body)
		}
		return nil
	}
	if err := get(); err != nil {
		t.Fatalf("through the proxy: %v", err)
	}
	p.Cut()
	began := time.Now()
	if err := get(); err == nil {
		t.Fatal("a request went through a cut proxy")
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("a request to a cut proxy took %v to fail", took)
	}
	if err := p.Restore(); err != nil {
		t.Fatal(err)
	}
	if err := get(); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}

// TestEnv checks the whole harness on the emulator: tables exist, data
// survives a cut, and the start time is reported.
func TestEnv(t *testing.T) {
	env := New(t)
	t.Logf("emulator %s answered %v after start", Shared(t).Endpoint, Shared(t).StartedIn.Round(time.Millisecond))
	out, err := env.Client.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, n := range out.TableNames {
		seen[n] = true
	}
	if !seen[env.SessionsTable] || !seen[env.UsersTable] {
		t.Fatalf("tables %v, want %s and %s", out.TableNames, env.SessionsTable, env.UsersTable)
	}
	env.Cut()
	if _, err := env.Client.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err == nil {
		t.Fatal("ListTables succeeded through a cut proxy")
	}
	env.Restore(t)
	if _, err := env.Client.ListTables(t.Context(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatalf("after Restore: %v", err)
	}
}

// TestProxyFaults checks that an injected fault forwards the request (the
// server sees it) and then loses its answer: dropped at once, or held for
// its delay; that it hits only matching requests, as often as asked; and
// that the connection's other requests pass.
func TestProxyFaults(t *testing.T) {
	var served atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "pong "+r.Header.Get("X-Amz-Target"))
	}))
	t.Cleanup(srv.Close)
	p, err := NewProxy(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	client := &http.Client{Timeout: 300 * time.Millisecond}
	call := func(op string) error {
		req, _ := http.NewRequest("POST", "http://"+p.Addr()+"/", strings.NewReader(`{"x":1}`))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+op)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if string(body) != "pong DynamoDB_20120810."+op {
			t.Errorf("body %q", body)
		}
		return nil
	}
	p.Inject(Fault{Match: Target("UpdateItem"), Drop: true, Times: 2})
	p.Inject(Fault{Match: Target("PutItem"), Delay: time.Second, Times: 1})
	for i, tt := range []struct {
		op     string
		lost   bool
		served int32
	}{
		{"GetItem", false, 1},
		{"UpdateItem", true, 2},
		{"UpdateItem", true, 3},
		{"UpdateItem", false, 4},
		{"PutItem", true, 5},
		{"PutItem", false, 6},
	} {
		err := call(tt.op)
		if (err != nil) != tt.lost {
			t.Errorf("call %d (%s): err = %v, want lost %v", i, tt.op, err, tt.lost)
		}
		if got := served.Load(); got != tt.served {
			t.Errorf("call %d (%s): the server saw %d requests, want %d", i, tt.op, got, tt.served)
		}
	}
	if p.Pending() != 0 || p.Forwarded("UpdateItem") != 3 || p.Forwarded("PutItem") != 2 {
		t.Errorf("pending %d, forwarded %d UpdateItem and %d PutItem", p.Pending(), p.Forwarded("UpdateItem"), p.Forwarded("PutItem"))
	}
}

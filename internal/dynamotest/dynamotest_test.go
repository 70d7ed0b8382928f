package dynamotest

import (
	"io"
	"net/http"
	"net/http/httptest"
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

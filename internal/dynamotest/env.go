package dynamotest

import (
	"context"
	"crypto/rand"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation"

	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotables"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// AttemptTimeout bounds one HTTP exchange of a test client. It is longer
// than production's (dynamoclient.AttemptTimeout): the emulator runs one
// request at a time, and a concurrency test queues a hundred of them, so a
// short timeout would make the SDK retry requests the emulator has yet to
// apply, and apply an increment twice. A cut proxy refuses connections at
// once, so fault tests stay fast.
const AttemptTimeout = 30 * time.Second

// template is template.yaml, parsed once per test binary (goformation's
// parser is not safe for concurrent use).
var template struct {
	once sync.Once
	cfn  *cloudformation.Template
	err  error
}

// Env is one test's DynamoDB: its own proxy to the shared emulator, a
// client through that proxy, and its own tables.
type Env struct {
	// Client talks to the emulator through the test's proxy; it is built
	// by dynamoclient.New, as in production.
	Client *dynamodb.Client
	// Endpoint is the proxy's URL (for code that builds its own client).
	Endpoint string
	// SessionsTable and UsersTable are the test's table names.
	SessionsTable, UsersTable string
	// Proxy stands between Client and the emulator.
	Proxy *Proxy
}

// New gives t its own proxy, client and tables (made from template.yaml
// under unique names, deleted at cleanup). It skips or fails as Shared does
// when there is no emulator.
func New(t testing.TB) *Env {
	t.Helper()
	emu := Shared(t)
	u, err := url.Parse(emu.Endpoint)
	if err != nil {
		t.Fatalf("dynamotest: endpoint %q: %v", emu.Endpoint, err)
	}
	proxy, err := NewProxy(u.Host)
	if err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	t.Cleanup(proxy.Close)
	env := &Env{Endpoint: "http://" + proxy.Addr(), Proxy: proxy}
	env.Client = NewClient(t, env.Endpoint)
	env.SessionsTable, env.UsersTable = CreateTables(t, NewClient(t, emu.Endpoint))
	return env
}

// NewClient returns a client of endpoint built by dynamoclient.New, as in
// production, with AttemptTimeout per HTTP exchange.
func NewClient(t testing.TB, endpoint string) *dynamodb.Client {
	t.Helper()
	c, err := dynamoclient.New(context.Background(), endpoint)
	if err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	return dynamodb.New(c.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(AttemptTimeout)
	})
}

// Store returns a dynamostore.Store on the test's tables through its proxy.
func (e *Env) Store() *dynamostore.Store {
	return dynamostore.New(e.Client, e.SessionsTable, e.UsersTable)
}

// Cut makes the store unreachable: new connections are refused and open
// ones closed. The emulator keeps its data.
func (e *Env) Cut() { e.Proxy.Cut() }

// Restore makes the store reachable again, with the data it had.
func (e *Env) Restore(t testing.TB) {
	t.Helper()
	if err := e.Proxy.Restore(); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
}

// CreateTables creates the template's SessionsTable and UsersTable under
// unique names with client, deletes them when t ends, and returns their
// names.
func CreateTables(t testing.TB, client *dynamodb.Client) (sessions, users string) {
	t.Helper()
	template.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			template.err = err
			return
		}
		tpl, err := samtemplate.Load(filepath.Join(root, "template.yaml"))
		if err != nil {
			template.err = err
			return
		}
		template.cfn = tpl.CFN
	})
	if template.err != nil {
		t.Fatalf("dynamotest: %v", template.err)
	}
	suffix := strings.ToLower(rand.Text()[:12])
	names := map[string]string{"SessionsTable": "sessions-" + suffix, "UsersTable": "users-" + suffix}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := dynamotables.CreateFrom(ctx, client, template.cfn, names); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, name := range names {
			_, _ = client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		}
	})
	return names["SessionsTable"], names["UsersTable"]
}

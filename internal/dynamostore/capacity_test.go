package dynamostore_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/password"
)

// usage is what one request cost in DynamoDB: calls per operation, and
// the capacity units DynamoDB reported, on the table and on indexes.
type usage struct {
	calls          map[string]int
	read, write    float64 // table capacity units
	indexR, indexW float64 // index capacity units
}

func (u usage) String() string {
	var ops []string
	for _, op := range slices.Sorted(func(yield func(string) bool) {
		for k := range u.calls {
			if !yield(k) {
				return
			}
		}
	}) {
		ops = append(ops, fmt.Sprintf("%d %s", u.calls[op], op))
	}
	if len(ops) == 0 {
		ops = []string{"none"}
	}
	return fmt.Sprintf("%s | %g | %g | %g", strings.Join(ops, ", "), u.read, u.write, u.indexR+u.indexW)
}

// meter asks every call for its consumed capacity (INDEXES) and adds it up.
type meter struct {
	mu  sync.Mutex
	cur usage
}

func (m *meter) reset() usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.cur
	m.cur = usage{calls: map[string]int{}}
	return u
}

// add counts a call of op and its capacity: read units for a read, write
// units for a write (CapacityUnits, which every emulator that reports
// capacity fills; dynalite leaves ReadCapacityUnits and
// WriteCapacityUnits out).
func (m *meter) add(op string, ccs ...types.ConsumedCapacity) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur.calls[op]++
	read := op == "GetItem" || op == "Query" || op == "BatchGetItem"
	for _, cc := range ccs {
		table := aws.ToFloat64(cc.CapacityUnits)
		if cc.Table != nil {
			table = aws.ToFloat64(cc.Table.CapacityUnits)
		}
		var index float64
		for _, gsi := range cc.GlobalSecondaryIndexes {
			index += aws.ToFloat64(gsi.CapacityUnits)
		}
		if read {
			m.cur.read += table
			m.cur.indexR += index
		} else {
			m.cur.write += table
			m.cur.indexW += index
		}
	}
}

// option is the client option that meters every call.
func (m *meter) option(o *dynamodb.Options) {
	indexes := types.ReturnConsumedCapacityIndexes
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("meter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				switch p := in.Parameters.(type) {
				case *dynamodb.GetItemInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.PutItemInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.UpdateItemInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.DeleteItemInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.QueryInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.BatchGetItemInput:
					p.ReturnConsumedCapacity = indexes
				}
				out, md, err := next.HandleInitialize(ctx, in)
				m.record(out.Result, err)
				return out, md, err
			}), middleware.After)
	})
}

// record adds the capacity of one answer (a failed condition has none to
// read, but is a call).
func (m *meter) record(result any, err error) {
	switch r := result.(type) {
	case *dynamodb.GetItemOutput:
		m.add("GetItem", deref(r.ConsumedCapacity)...)
	case *dynamodb.PutItemOutput:
		m.add("PutItem", deref(r.ConsumedCapacity)...)
	case *dynamodb.UpdateItemOutput:
		m.add("UpdateItem", deref(r.ConsumedCapacity)...)
	case *dynamodb.DeleteItemOutput:
		m.add("DeleteItem", deref(r.ConsumedCapacity)...)
	case *dynamodb.QueryOutput:
		m.add("Query", deref(r.ConsumedCapacity)...)
	case *dynamodb.BatchGetItemOutput:
		m.add("BatchGetItem", r.ConsumedCapacity...)
	default:
		if err != nil {
			m.add("failed call")
		}
	}
}

func deref(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

// TestCallsPerRoute drives every route that touches DynamoDB through the
// real handlers on the emulator, asserts the calls each one makes (a data
// change: one UpdateItem and no read; a read inside the touch window: one
// GetItem; a touch: one UpdateItem, no index write), and logs the capacity
// units the emulator reports, as the table of docs/benchmarks.md (run it on
// dynalite for capacity numbers that follow AWS's rules; moto's are
// constant):
//
//	DYNAMODB_TEST_ENDPOINT=http://127.0.0.1:8000 go test -v -run TestCallsPerRoute ./internal/dynamostore
func TestCallsPerRoute(t *testing.T) {
	env := dynamotest.New(t)
	m := &meter{}
	m.reset()
	store := dynamostore.New(dynamodb.New(env.Client.Options(), m.option), env.SessionsTable, env.UsersTable)
	clock := struct {
		sync.Mutex
		t time.Time
	}{t: time.Now()}
	now := func() time.Time { clock.Lock(); defer clock.Unlock(); return clock.t }
	o := app.Options{Stores: app.Stores{Sessions: store, Users: store, Throttle: store}, Now: now,
		Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	getenv := func(name string) string {
		if name == "SESSION_SECRET" {
			return hex.EncodeToString(bytes.Repeat([]byte{1}, 32))
		}
		return ""
	}
	auth, err := app.Auth(t.Context(), getenv, o)
	if err != nil {
		t.Fatal(err)
	}
	cart, err := app.Cart(t.Context(), getenv, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/cart") || r.URL.Path == "/api/products" {
			cart.ServeHTTP(w, r)
			return
		}
		auth.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	do := func(method, path, body string, headers ...string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	advance := func(d time.Duration) { clock.Lock(); clock.t = clock.t.Add(d); clock.Unlock() }
	var rows []string
	// step makes one request and checks its calls. A change whose
	// condition fails reads the item once more on an emulator that does
	// not return it with the failure (dynalite): explains says so.
	step := func(name, method, path, body string, status int, want map[string]int, headers ...string) {
		t.Helper()
		m.reset()
		if got := do(method, path, body, headers...); got != status {
			t.Fatalf("%s: %d, want %d", name, got, status)
		}
		u := m.reset()
		if want["explain"] > 0 {
			delete(want, "explain")
			if u.calls["GetItem"] > want["GetItem"] {
				want["GetItem"]++
				name += " ¹"
			}
		}
		if fmt.Sprint(u.calls) != fmt.Sprint(want) {
			t.Errorf("%s: calls %v, want %v", name, u.calls, want)
		}
		if u.indexW != 0 {
			t.Errorf("%s wrote the index (%g units)", name, u.indexW)
		}
		rows = append(rows, fmt.Sprintf("| %s | `%s %s` | %s |", name, method, path, u))
	}
	add := `{"sku":"tea-sencha","quantity":1}`
	step("catalogue", "GET", "/api/products", "", 200, map[string]int{})
	step("cart without a session", "GET", "/api/cart", "", 200, map[string]int{})
	step("first add: starts a session", "POST", "/api/cart/items", add, 200, map[string]int{"PutItem": 1})
	step("add to a line", "POST", "/api/cart/items", add, 200, map[string]int{"UpdateItem": 1}, "Idempotency-Key", "k1")
	step("replay of that add", "POST", "/api/cart/items", add, 200, map[string]int{"UpdateItem": 1, "explain": 1}, "Idempotency-Key", "k1")
	step("set a line", "PUT", "/api/cart/items/tea-sencha", `{"quantity":5}`, 200, map[string]int{"UpdateItem": 1})
	step("a refused add (past 99)", "POST", "/api/cart/items", `{"sku":"tea-sencha","quantity":99}`, 400, map[string]int{"UpdateItem": 1, "explain": 1})
	step("read the cart (touch window)", "GET", "/api/cart", "", 200, map[string]int{"GetItem": 1})
	advance(2 * time.Minute)
	step("read the cart (touch due)", "GET", "/api/cart", "", 200, map[string]int{"GetItem": 1, "UpdateItem": 1})
	step("remove a line", "DELETE", "/api/cart/items/tea-sencha", "", 200, map[string]int{"UpdateItem": 1})
	step("empty the cart", "DELETE", "/api/cart", "", 204, map[string]int{"UpdateItem": 1})
	for i := range 40 {
		do("POST", "/api/cart/items", fmt.Sprintf(`{"sku":"%s","quantity":1}`, []string{"tea-sencha", "tea-assam", "mug-stoneware", "teapot-glass", "honey-acacia", "biscuits-oat"}[i%6]),
			"Idempotency-Key", fmt.Sprint("fill-", i))
	}
	step("add, 6 lines and 32 keys held", "POST", "/api/cart/items", add, 200, map[string]int{"UpdateItem": 1}, "Idempotency-Key", "full")
	advance(2 * time.Minute)
	step("read, touch due, 32 keys held", "GET", "/api/cart", "", 200, map[string]int{"GetItem": 1, "UpdateItem": 1})
	creds := `{"username":"cap-user","password":"a long test password"}`
	step("register (carries the cart)", "POST", "/api/register", creds, 201,
		map[string]int{"PutItem": 2, "GetItem": 1, "DeleteItem": 1, "Query": 1})
	step("current session", "GET", "/api/session", "", 200, map[string]int{"GetItem": 1})
	step("login (a new session ID)", "POST", "/api/login", creds, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 3, "DeleteItem": 2, "PutItem": 1})
	step("list sessions", "GET", "/api/sessions", "", 200, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1})
	step("re-authenticate", "POST", "/api/reauthenticate", `{"password":"a long test password"}`, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 3, "DeleteItem": 2, "PutItem": 1})
	step("change the password, no other session", "PUT", "/api/password", `{"currentPassword":"a long test password","newPassword":"another long password"}`, 200,
		map[string]int{"UpdateItem": 2, "GetItem": 2, "DeleteItem": 2, "PutItem": 1, "Query": 1, "BatchGetItem": 1})
	step("end the other sessions", "DELETE", "/api/sessions", "", 204, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1})
	step("logout", "POST", "/api/logout", "", 204, map[string]int{"GetItem": 1, "DeleteItem": 1})
	step("login again", "POST", "/api/login", `{"username":"cap-user","password":"another long password"}`, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 2, "DeleteItem": 1, "PutItem": 1})
	step("delete the account", "DELETE", "/api/account", `{"password":"another long password"}`, 204,
		map[string]int{"UpdateItem": 1, "GetItem": 2, "DeleteItem": 3, "Query": 2, "BatchGetItem": 1})
	t.Logf("DynamoDB calls and capacity units per request (%s):\n| request | route | calls | RCU | WCU | index units |\n|---|---|---|---|---|---|\n%s",
		env.Endpoint, strings.Join(rows, "\n"))
}

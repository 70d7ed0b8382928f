package dynamostore_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
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
	"github.com/sessionlab/sessionlab/internal/app/authfn"
	"github.com/sessionlab/sessionlab/internal/app/cartfn"
	"github.com/sessionlab/sessionlab/internal/app/visitsfn"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// usage is what one request cost in DynamoDB: calls per operation, and
// the capacity units DynamoDB reported, on the table and on indexes.
type usage struct {
	calls          map[string]int
	read, write    float64 // table capacity units
	indexR, indexW float64 // index capacity units: read as reported, written by AWS's rule (indexWrites)
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
	return fmt.Sprintf("%s | %g | %g | %g | %g", strings.Join(ops, ", "), u.read, u.write, u.indexR, u.indexW)
}

// meter asks every call for its consumed capacity (INDEXES) and adds it up.
// Neither emulator reports the write units of a global secondary index,
// so it counts them by AWS's documented rule instead (indexWrites).
type meter struct {
	mu      sync.Mutex
	cur     usage
	indexed indexed
}

// indexed is what the global secondary indexes of a table hold: their key
// attributes, and the attributes they project ("*" for ALL).
type indexed map[string]struct{ keys, holds map[string]bool }

// describeIndexes reads what the indexes of each table hold.
func describeIndexes(t *testing.T, client *dynamodb.Client, tables ...string) indexed {
	t.Helper()
	out := indexed{}
	for _, name := range tables {
		desc, err := client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		idx := struct{ keys, holds map[string]bool }{map[string]bool{}, map[string]bool{}}
		for _, k := range desc.Table.KeySchema {
			idx.holds[*k.AttributeName] = true
		}
		for _, g := range desc.Table.GlobalSecondaryIndexes {
			for _, k := range g.KeySchema {
				idx.keys[*k.AttributeName], idx.holds[*k.AttributeName] = true, true
			}
			switch g.Projection.ProjectionType {
			case types.ProjectionTypeAll:
				idx.holds["*"] = true
			case types.ProjectionTypeInclude:
				for _, a := range g.Projection.NonKeyAttributes {
					idx.holds[a] = true
				}
			}
		}
		if len(idx.keys) > 0 {
			out[name] = idx
		}
	}
	return out
}

// indexWrites is how many index write units a write costs by AWS's rule
// ("Global secondary indexes: write costs" in the DynamoDB developer
// guide; every entry here is well under 1 KB): a put of an item that has
// the index's keys writes the index once; a delete of one that had them
// once; an update of an item in the index once when it sets or removes an
// attribute the index holds, and nothing otherwise. after is the item as
// the write left it (before it, for a delete).
func (ix indexed) writes(table, op string, in any, after map[string]types.AttributeValue) float64 {
	idx, ok := ix[table]
	if !ok {
		return 0
	}
	for k := range idx.keys {
		if _, has := after[k]; !has {
			return 0 // not in the (sparse) index
		}
	}
	if op != "UpdateItem" {
		return 1
	}
	u := in.(*dynamodb.UpdateItemInput)
	for _, attr := range updatedAttributes(aws.ToString(u.UpdateExpression), u.ExpressionAttributeNames) {
		if idx.holds["*"] || idx.holds[attr] {
			return 1
		}
	}
	return 0
}

// updatedAttributes are the top-level attributes an update expression
// sets, removes, adds to or deletes from.
func updatedAttributes(expr string, names map[string]string) []string {
	var out []string
	clause := ""
	for _, part := range splitTopLevel(expr) {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		if kw := strings.ToUpper(fields[0]); kw == "SET" || kw == "REMOVE" || kw == "ADD" || kw == "DELETE" {
			clause, fields = kw, fields[1:]
		}
		if clause == "" || len(fields) == 0 {
			continue
		}
		path := strings.TrimSpace(strings.SplitN(strings.Join(fields, " "), "=", 2)[0])
		top := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ' ' })[0]
		if n, ok := names[top]; ok {
			top = n
		}
		out = append(out, top)
	}
	return out
}

// splitTopLevel splits an update expression at commas outside
// parentheses, and before each clause keyword.
func splitTopLevel(expr string) []string {
	var parts []string
	depth, start := 0, 0
	words := strings.Fields(expr)
	expr = strings.Join(words, " ")
	for i := 0; i < len(expr); i++ {
		switch c := expr[i]; {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ',' && depth == 0:
			parts = append(parts, expr[start:i])
			start = i + 1
		case depth == 0 && i > start && expr[i-1] == ' ' && isClause(expr[i:]):
			parts = append(parts, expr[start:i])
			start = i
		}
	}
	return append(parts, expr[start:])
}

func isClause(s string) bool {
	for _, kw := range []string{"SET ", "REMOVE ", "ADD ", "DELETE "} {
		if strings.HasPrefix(s, kw) {
			return true
		}
	}
	return false
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
			m.cur.write += table // index writes: recordIndex, by rule (no emulator reports them)
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
					if p.ReturnValues == "" || p.ReturnValues == types.ReturnValueNone {
						p.ReturnValues = types.ReturnValueAllNew // the item after it, for indexWrites; costs nothing more
					}
				case *dynamodb.DeleteItemInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.QueryInput:
					p.ReturnConsumedCapacity = indexes
				case *dynamodb.BatchGetItemInput:
					p.ReturnConsumedCapacity = indexes
				}
				out, md, err := next.HandleInitialize(ctx, in)
				m.record(out.Result, err)
				if err == nil {
					m.recordIndex(in.Parameters, out.Result)
				}
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

// recordIndex adds the index write units of a write that succeeded.
func (m *meter) recordIndex(in, out any) {
	var w float64
	switch p := in.(type) {
	case *dynamodb.PutItemInput:
		w = m.indexed.writes(aws.ToString(p.TableName), "PutItem", p, p.Item)
	case *dynamodb.UpdateItemInput:
		w = m.indexed.writes(aws.ToString(p.TableName), "UpdateItem", p, out.(*dynamodb.UpdateItemOutput).Attributes)
	case *dynamodb.DeleteItemInput:
		w = m.indexed.writes(aws.ToString(p.TableName), "DeleteItem", p, out.(*dynamodb.DeleteItemOutput).Attributes)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cur.indexW += w
}

func deref(cc *types.ConsumedCapacity) []types.ConsumedCapacity {
	if cc == nil {
		return nil
	}
	return []types.ConsumedCapacity{*cc}
}

// browserUA is a Chrome User-Agent as the browser sends it (117 bytes).
const browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// otherSession is the id of the session of a GET /api/sessions answer that
// is not the current one.
func otherSession(t *testing.T, body []byte) string {
	t.Helper()
	var list struct {
		Sessions []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"sessions"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatalf("sessions list %s: %v", body, err)
	}
	for _, s := range list.Sessions {
		if !s.Current {
			return s.ID
		}
	}
	t.Fatalf("no other session in %s", body)
	return ""
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
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
	m := &meter{indexed: describeIndexes(t, env.Client, env.SessionsTable, env.UsersTable)}
	if len(m.indexed) != 1 {
		t.Fatalf("indexes of the tables: %v, want the sessions table's byUsername", m.indexed)
	}
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
	auth, err := authfn.Build(t.Context(), getenv, o)
	if err != nil {
		t.Fatal(err)
	}
	cart, err := cartfn.Build(t.Context(), getenv, o)
	if err != nil {
		t.Fatal(err)
	}
	visits, err := visitsfn.Build(t.Context(), getenv, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/api/cart") || r.URL.Path == "/api/products":
			cart.ServeHTTP(w, r)
		case r.URL.Path == "/api/session/visits":
			visits.ServeHTTP(w, r)
		default:
			auth.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	var lastBody []byte
	// send makes one request from client with a browser's User-Agent (117
	// bytes, stored in the session: it is part of every item's size).
	send := func(client *http.Client, method, path, body string, headers ...string) int {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("User-Agent", browserUA)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		lastBody, _ = io.ReadAll(resp.Body)
		return resp.StatusCode
	}
	do := func(method, path, body string, headers ...string) int { return send(c, method, path, body, headers...) }
	advance := func(d time.Duration) { clock.Lock(); clock.t = clock.t.Add(d); clock.Unlock() }
	var rows []string
	covered := map[string]bool{} // route keys with a row
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
		wantIndex := float64(want["index"])
		delete(want, "index")
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
		if u.indexW != wantIndex {
			t.Errorf("%s writes the index %g times by AWS's rule, want %g", name, u.indexW, wantIndex)
		}
		rows = append(rows, fmt.Sprintf("| %s | `%s %s` | %s |", name, method, path, u))
		covered[method+" "+path] = true
	}
	add := `{"sku":"tea-sencha","quantity":1}`
	step("catalogue", "GET", "/api/products", "", 200, map[string]int{})
	step("cart without a session", "GET", "/api/cart", "", 200, map[string]int{})
	step("visits without a session", "GET", "/api/session/visits", "", 200, map[string]int{})
	step("first add: starts a session", "POST", "/api/cart/items", add, 200, map[string]int{"PutItem": 1})
	step("a visit counted", "POST", "/api/session/visits", "", 200, map[string]int{"UpdateItem": 1})
	step("read the count (touch window)", "GET", "/api/session/visits", "", 200, map[string]int{"GetItem": 1})
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
	step("register (carries the cart and 32 keys)", "POST", "/api/register", creds, 201,
		map[string]int{"PutItem": 2, "GetItem": 1, "DeleteItem": 1, "Query": 1, "index": 1})
	step("current session", "GET", "/api/session", "", 200, map[string]int{"GetItem": 1})
	advance(2 * time.Minute)
	step("current session, logged in, touch due", "GET", "/api/session", "", 200, map[string]int{"GetItem": 1, "UpdateItem": 1})
	step("add, logged in", "POST", "/api/cart/items", add, 200, map[string]int{"UpdateItem": 1})
	step("login (a new session ID, 32 keys carried)", "POST", "/api/login", creds, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 3, "DeleteItem": 2, "PutItem": 1, "index": 2})
	step("a wrong password", "POST", "/api/login", `{"username":"cap-user","password":"not the password"}`, 401,
		map[string]int{"UpdateItem": 1, "GetItem": 1})
	// A second device of the same user, for the session list and revoking.
	jar2, _ := cookiejar.New(nil)
	other := &http.Client{Jar: jar2}
	if got := send(other, "POST", "/api/login", creds); got != 200 {
		t.Fatalf("login of a second device: %d", got)
	}
	step("list sessions (2 devices)", "GET", "/api/sessions", "", 200, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1})
	otherID := otherSession(t, lastBody)
	step("end one session", "DELETE", "/api/sessions/"+otherID, "", 204, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1, "DeleteItem": 1, "index": 1})
	covered["DELETE /api/sessions/{id}"] = covered["DELETE /api/sessions/"+otherID]
	if got := send(other, "POST", "/api/login", creds); got != 200 {
		t.Fatalf("login of a second device: %d", got)
	}
	step("end the other sessions (1 other)", "DELETE", "/api/sessions", "", 204, map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1, "DeleteItem": 1, "index": 1})
	step("re-authenticate", "POST", "/api/reauthenticate", `{"password":"a long test password"}`, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 3, "DeleteItem": 2, "PutItem": 1, "index": 2})
	step("change the password, no other session", "PUT", "/api/password", `{"currentPassword":"a long test password","newPassword":"another long password"}`, 200,
		map[string]int{"UpdateItem": 2, "GetItem": 2, "DeleteItem": 2, "PutItem": 1, "Query": 1, "BatchGetItem": 1, "index": 2})
	creds = `{"username":"cap-user","password":"another long password"}`
	step("logout", "POST", "/api/logout", "", 204, map[string]int{"GetItem": 1, "DeleteItem": 1, "index": 1})
	step("first visit: starts a session", "POST", "/api/session/visits", "", 200, map[string]int{"PutItem": 1})
	step("login from an anonymous session", "POST", "/api/login", creds, 200,
		map[string]int{"UpdateItem": 1, "GetItem": 3, "DeleteItem": 2, "PutItem": 1, "index": 1})
	step("delete the account", "DELETE", "/api/account", `{"password":"another long password"}`, 204,
		map[string]int{"UpdateItem": 1, "GetItem": 2, "DeleteItem": 3, "Query": 2, "BatchGetItem": 1, "index": 1})
	for i := range 5 { // the attempt window's limit
		send(other, "POST", "/api/login", fmt.Sprintf(`{"username":"cap-user","password":"wrong %d"}`, i))
	}
	step("login refused: too many attempts", "POST", "/api/login", creds, 429, map[string]int{"UpdateItem": 1, "explain": 1})
	covered["PUT /api/cart/items/{sku}"] = covered["PUT /api/cart/items/tea-sencha"]
	covered["DELETE /api/cart/items/{sku}"] = covered["DELETE /api/cart/items/tea-sencha"]
	tpl, err := samtemplate.Load(filepath.Join(must(dynamotest.ModuleRoot()), "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"AuthFunction", "CartFunction", "VisitsFunction"} { // the functions with a store
		fn, _ := tpl.Function(name)
		for _, r := range fn.Routes {
			if !covered[r.Key()] {
				t.Errorf("%s: route %s has no row in the table", name, r.Key())
			}
		}
	}
	t.Logf("DynamoDB calls and capacity units per request (%s; index writes by AWS's rule):\n| request | route | calls | RCU | WCU | index RCU | index WCU |\n|---|---|---|---|---|---|---|\n%s",
		env.Endpoint, strings.Join(rows, "\n"))
}

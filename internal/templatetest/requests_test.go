package templatetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// ---- what one DynamoDB request names -------------------------------------------
//
// IAM's dynamodb:Attributes is the list of attribute names a request
// accesses: its key, the attributes of an Item, and every attribute an
// expression names (projection, key condition, condition, update,
// filter). Attribute-level control is per top-level attribute (an item's
// attributes; the cart's entries inside data are not attributes), so a
// document path data.cart.sku counts as data. This file reads those names
// from the requests the store really sends (the JSON on the wire), so the
// template is checked against the code's expressions, not against a list
// someone keeps by hand.

// dynamoCall is one table (or index) access of a DynamoDB request, as IAM
// judges it.
type dynamoCall struct {
	op      string   // the action: GetItem, UpdateItem, ...
	table   string   // the table's name in the request
	index   string   // the index queried, or ""
	attrs   []string // the top-level attributes it names, sorted
	values  string   // ReturnValues (writes; "NONE" when unset)
	selects string   // Select (reads): SPECIFIC_ATTRIBUTES when it names what it reads
}

// readActions are the actions that take the condition key dynamodb:Select,
// writeActions those that take dynamodb:ReturnValues (Service
// Authorization Reference, Amazon DynamoDB). BatchWriteItem takes neither;
// the store does not call it.
var (
	readActions  = map[string]bool{"GetItem": true, "BatchGetItem": true, "Query": true, "Scan": true}
	writeActions = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true}
)

// legacyParameters name attributes outside expressions; the store uses
// none, and parseRequest refuses them rather than miss their names.
var legacyParameters = []string{"AttributesToGet", "AttributeUpdates", "Expected", "KeyConditions", "QueryFilter", "ScanFilter", "ConditionalOperator"}

// parseRequest reads the calls of one request body of operation op.
func parseRequest(op string, body []byte) ([]dynamoCall, error) {
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("%s: %v", op, err)
	}
	if op == "BatchGetItem" {
		var calls []dynamoCall
		requests := asMap(req["RequestItems"])
		for _, table := range slices.Sorted(maps.Keys(requests)) {
			ka := asMap(requests[table])
			ka["TableName"] = table
			c, err := parseAccess(op, ka)
			if err != nil {
				return nil, err
			}
			for _, k := range items(ka["Keys"]) {
				c.attrs = union(c.attrs, keyNames(k))
			}
			calls = append(calls, c)
		}
		return calls, nil
	}
	switch op {
	case "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query":
	default:
		return nil, fmt.Errorf("%s: this test cannot read the attributes of that operation yet", op)
	}
	c, err := parseAccess(op, req)
	if err != nil {
		return nil, err
	}
	c.attrs = union(c.attrs, keyNames(req["Key"]), keyNames(req["Item"]))
	return []dynamoCall{c}, nil
}

// parseAccess reads one table access: its expressions' names, Select or
// ReturnValues.
func parseAccess(op string, req map[string]any) (dynamoCall, error) {
	c := dynamoCall{op: op, table: str(req["TableName"]), index: str(req["IndexName"])}
	for _, p := range legacyParameters {
		if req[p] != nil {
			return c, fmt.Errorf("%s uses the legacy parameter %s: write it as an expression", op, p)
		}
	}
	names := map[string]string{}
	for k, v := range asMap(req["ExpressionAttributeNames"]) {
		names[k] = str(v)
	}
	for _, field := range []string{"ProjectionExpression", "KeyConditionExpression", "ConditionExpression", "UpdateExpression", "FilterExpression"} {
		heads, err := pathHeads(str(req[field]), names)
		if err != nil {
			return c, fmt.Errorf("%s %s: %v", op, field, err)
		}
		c.attrs = union(c.attrs, heads)
	}
	switch {
	case writeActions[op]:
		c.values = "NONE"
		if v := str(req["ReturnValues"]); v != "" {
			c.values = v
		}
	case readActions[op]:
		c.selects = str(req["Select"])
		switch {
		case c.selects != "":
		case req["ProjectionExpression"] != nil:
			c.selects = "SPECIFIC_ATTRIBUTES" // the only Select a projection allows
		case c.index != "":
			c.selects = "ALL_PROJECTED_ATTRIBUTES"
		default:
			c.selects = "ALL_ATTRIBUTES"
		}
	}
	return c, nil
}

func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }

// keyNames are the attribute names of a key or an item.
func keyNames(v any) []string { return slices.Sorted(maps.Keys(asMap(v))) }

// union is the sorted set of every name of lists.
func union(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		for _, n := range l {
			if !slices.Contains(all, n) {
				all = append(all, n)
			}
		}
	}
	slices.Sort(all)
	return all
}

// expressionKeywords are the words of DynamoDB's expression grammar that
// are not attribute names.
var expressionKeywords = map[string]bool{"SET": true, "REMOVE": true, "ADD": true, "DELETE": true, "AND": true, "OR": true, "NOT": true, "BETWEEN": true, "IN": true}

// pathHeads are the top-level attribute names of every document path in a
// DynamoDB expression: the first element of each path (#name resolved
// through names, or a bare name), never what follows a '.' or a '[', never
// a function's name, a keyword or a :value. A #name that names nothing is
// an error.
func pathHeads(expr string, names map[string]string) ([]string, error) {
	var heads []string
	prev := ""
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
			continue
		case c == '#' || c == ':' || isWordByte(c):
			j := i + 1
			for j < len(expr) && isWordByte(expr[j]) {
				j++
			}
			tok := expr[i:j]
			next := j
			for next < len(expr) && expr[next] == ' ' {
				next++
			}
			call := next < len(expr) && expr[next] == '('
			switch {
			case c == ':' || prev == "." || prev == "[" || call || (c != '#' && expressionKeywords[strings.ToUpper(tok)]):
			case c == '#':
				name, ok := names[tok]
				if !ok {
					return nil, fmt.Errorf("%s names no attribute (ExpressionAttributeNames)", tok)
				}
				heads = union(heads, []string{name})
			case c >= '0' && c <= '9':
				return nil, fmt.Errorf("%q: a number outside a list index", tok)
			default:
				heads = union(heads, []string{tok})
			}
			prev, i = tok, j
		default:
			prev = string(c)
			i++
		}
	}
	return heads, nil
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func TestPathHeads(t *testing.T) {
	names := map[string]string{"#d": "data", "#m": "cart", "#e": "tea-sencha", "#k": "recentKeys", "#i": "idleWindow", "#l": "lastSeenAt", "#x": "id"}
	for _, c := range []struct {
		expr string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"#d.#m.#e", []string{"data"}, ""},
		{"SET #l = :v0, #d.#m.#e = if_not_exists(#d.#m.#e, :v1) + :v2 REMOVE #k[0]", []string{"data", "lastSeenAt", "recentKeys"}, ""},
		{"SET #k[32] = :v3, #i = #i + :v4", []string{"idleWindow", "recentKeys"}, ""},
		{"(attribute_exists(#x)) AND (size(#d.#m) < :v5) AND (NOT contains(#k, :v6))", []string{"data", "id", "recentKeys"}, ""},
		{"#x, #d", []string{"data", "id"}, ""},
		{"attempts < :max AND windowEnds BETWEEN :a AND :b", []string{"attempts", "windowEnds"}, ""},
		{"ADD attempts :one SET a.b[1].c = :v", []string{"a", "attempts"}, ""},
		{"#nope = :v", nil, "#nope names no attribute"},
		{"a[1] = 2", nil, "a number outside a list index"},
	} {
		got, err := pathHeads(c.expr, names)
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("pathHeads(%q): error %v, want %q", c.expr, err, c.err)
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("pathHeads(%q) = %v, want %v", c.expr, got, c.want)
		}
	}
}

func TestParseRequest(t *testing.T) {
	for _, c := range []struct {
		op, body string
		want     []dynamoCall
		err      string
	}{
		{"GetItem", `{"TableName":"s","Key":{"id":{"S":"k"}},"ProjectionExpression":"#p0, #p1","ExpressionAttributeNames":{"#p0":"id","#p1":"data"}}`,
			[]dynamoCall{{op: "GetItem", table: "s", attrs: []string{"data", "id"}, selects: "SPECIFIC_ATTRIBUTES"}}, ""},
		{"GetItem", `{"TableName":"s","Key":{"id":{"S":"k"}}}`,
			[]dynamoCall{{op: "GetItem", table: "s", attrs: []string{"id"}, selects: "ALL_ATTRIBUTES"}}, ""},
		{"Query", `{"TableName":"s","IndexName":"byUsername","KeyConditionExpression":"#u = :u","ExpressionAttributeNames":{"#u":"username"}}`,
			[]dynamoCall{{op: "Query", table: "s", index: "byUsername", attrs: []string{"username"}, selects: "ALL_PROJECTED_ATTRIBUTES"}}, ""},
		{"PutItem", `{"TableName":"s","Item":{"id":{"S":"k"},"data":{"M":{}}},"ConditionExpression":"attribute_not_exists(#k)","ExpressionAttributeNames":{"#k":"id"}}`,
			[]dynamoCall{{op: "PutItem", table: "s", attrs: []string{"data", "id"}, values: "NONE"}}, ""},
		{"UpdateItem", `{"TableName":"s","Key":{"id":{"S":"k"}},"UpdateExpression":"SET #a = :v","ExpressionAttributeNames":{"#a":"lastSeenAt"},"ReturnValues":"ALL_NEW"}`,
			[]dynamoCall{{op: "UpdateItem", table: "s", attrs: []string{"id", "lastSeenAt"}, values: "ALL_NEW"}}, ""},
		{"BatchGetItem", `{"RequestItems":{"s":{"Keys":[{"id":{"S":"a"}},{"id":{"S":"b"}}],"ProjectionExpression":"#p0","ExpressionAttributeNames":{"#p0":"data"}}}}`,
			[]dynamoCall{{op: "BatchGetItem", table: "s", attrs: []string{"data", "id"}, selects: "SPECIFIC_ATTRIBUTES"}}, ""},
		{"DeleteItem", `{"TableName":"s","Key":{"id":{"S":"k"}},"Expected":{"x":{"Exists":false}}}`, nil, "legacy parameter Expected"},
		{"Scan", `{"TableName":"s"}`, nil, "cannot read the attributes of that operation"},
	} {
		got, err := parseRequest(c.op, []byte(c.body))
		if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s %s: error %v, want %q", c.op, c.body, err, c.err)
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s %s:\n got %+v\nwant %+v", c.op, c.body, got, c.want)
		}
	}
}

// ---- recording what the store sends ------------------------------------------------

// httpDoer is the SDK's HTTP client interface (dynamodb.Options.HTTPClient).
type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// recorder is an HTTP client between the store's DynamoDB client and the
// emulator that reads every request's calls.
type recorder struct {
	next  httpDoer
	mu    sync.Mutex
	calls []dynamoCall
	errs  []error
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	calls, err := parseRequest(op, body)
	r.mu.Lock()
	r.calls = append(r.calls, calls...)
	if err != nil {
		r.errs = append(r.errs, err)
	}
	r.mu.Unlock()
	return r.next.Do(req)
}

// take returns what was recorded since the last take, and forgets it.
func (r *recorder) take() ([]dynamoCall, []error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls, errs := r.calls, r.errs
	r.calls, r.errs = nil, nil
	return calls, errs
}

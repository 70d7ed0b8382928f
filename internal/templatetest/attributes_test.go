package templatetest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
)

// ---- least privilege by attribute ----------------------------------------------------
//
// Each function's role allows each DynamoDB action on each table or index
// in one statement of its own, on condition that
//
//	ForAllValues:StringEquals: dynamodb:Attributes: exactly the attributes
//	    the function's requests of that action name;
//	StringEquals: dynamodb:Select: SPECIFIC_ATTRIBUTES            (reads)
//	StringEquals: dynamodb:ReturnValues: exactly the values they send (writes)
//
// where "the function's requests" are those of the store uses it declares
// in app.StoreUses, recorded from the store itself (storeuses_test.go).
// docs/deploy.md, "What each function may do", says which AWS rules this
// follows.

// grantKey is one action on one table ("SessionsTable") or index
// ("SessionsTable/index/byUsername").
type grantKey struct{ resource, action string }

func (k grantKey) String() string { return "dynamodb:" + k.action + " on " + k.resource }

// access is what one grantKey allows, or needs: the attributes, and the
// Select (reads) or ReturnValues (writes) values.
type access struct {
	attrs  []string
	values []string
}

// needed is what the uses of one function need, from their recorded calls.
func needed(calls storeUseCalls, uses []app.StoreUse) (map[grantKey]access, []string) {
	need := map[grantKey]access{}
	var problems []string
	for _, use := range uses {
		recorded, ok := calls.byUse[use]
		if !ok {
			problems = append(problems, fmt.Sprintf("store use %s has no driver in storeDrivers: add one, so its requests are known", use))
			continue
		}
		for _, c := range recorded {
			table, ok := calls.tables[c.table]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s on table %q, which is none of the template's", use, c.op, c.table))
				continue
			}
			k := grantKey{table, c.op}
			if c.index != "" {
				k.resource = table + "/index/" + c.index
			}
			a := need[k]
			a.attrs = union(a.attrs, c.attrs)
			a.values = union(a.values, []string{c.values + c.selects})
			need[k] = a
		}
	}
	return need, problems
}

var indexResource = regexp.MustCompile(`^\$\{([A-Za-z0-9]+)\.Arn\}/index/([A-Za-z0-9_.-]+)$`)

// resourceName is "Table" for !GetAtt Table.Arn, "Table/index/Name" for
// !Sub "${Table.Arn}/index/Name", else "".
func resourceName(v any) string {
	if r, attr := getAtt(v); attr == "Arn" {
		return r
	}
	if m := indexResource.FindStringSubmatch(sub(v)); m != nil {
		return m[1] + "/index/" + m[2]
	}
	return ""
}

// strList is v as a list of strings.
func strList(v any) []string {
	var out []string
	for _, x := range items(v) {
		out = append(out, str(x))
	}
	return out
}

// granted is what the role of fn allows of DynamoDB, per action and
// resource, and what in its statements this rule refuses to judge.
func (tp *tmpl) granted(fn string) (map[grantKey]access, []string) {
	grant := map[grantKey]access{}
	var problems []string
	role, _ := tp.fnRole(fn)
	stmts, _ := tp.statements(role)
	for _, s := range stmts {
		var actions []string
		for _, a := range strList(s["Action"]) {
			if name, ok := strings.CutPrefix(a, "dynamodb:"); ok {
				actions = append(actions, name)
			}
		}
		if len(actions) == 0 || str(s["Effect"]) != "Allow" {
			continue
		}
		where := fmt.Sprintf("%s: statement %s (%s)", fn, show(s["Sid"]), strings.Join(actions, ", "))
		reads, writes := 0, 0
		for _, a := range actions {
			switch {
			case readActions[a]:
				reads++
			case writeActions[a]:
				writes++
			default:
				problems = append(problems, fmt.Sprintf("%s: dynamodb:%s is neither a read nor an item write; this rule cannot judge its attributes", where, a))
			}
		}
		key, want := "dynamodb:Select", "reads"
		if writes > 0 {
			key, want = "dynamodb:ReturnValues", "writes"
		}
		if reads > 0 && writes > 0 {
			problems = append(problems, where+": mixes reads and writes; Select and ReturnValues each exist for one kind only, so give each its own statement")
			continue
		}
		cond, _ := s["Condition"].(map[string]any)
		attrs, hasAttrs := at(cond, "ForAllValues:StringEquals", "dynamodb:Attributes").([]any)
		values, hasValues := at(cond, "StringEquals", key), at(cond, "StringEquals", key) != nil
		if !hasAttrs {
			problems = append(problems, where+": no ForAllValues:StringEquals dynamodb:Attributes list: it allows every attribute")
			continue
		}
		if !hasValues {
			problems = append(problems, fmt.Sprintf("%s: no StringEquals %s: %s", where, key, map[string]string{
				"reads":  "a read without it may return every attribute (AWS: Select must be SPECIFIC_ATTRIBUTES)",
				"writes": "a write without it may return every attribute (AWS: ReturnValues ALL_OLD, ALL_NEW)"}[want]))
			continue
		}
		for op, keys := range cond {
			for k := range asMap(keys) {
				if !(op == "ForAllValues:StringEquals" && k == "dynamodb:Attributes") && !(op == "StringEquals" && k == key) {
					problems = append(problems, fmt.Sprintf("%s: condition %s %s, which this rule cannot judge", where, op, k))
				}
			}
		}
		for _, r := range items(s["Resource"]) {
			res := resourceName(r)
			for _, a := range actions {
				k := grantKey{res, a}
				if _, dup := grant[k]; dup {
					problems = append(problems, fmt.Sprintf("%s: a second statement allows %s; IAM allows a request any one of them allows, so keep one per action and resource", where, k))
				}
				grant[k] = access{attrs: union(strList(attrs)), values: union(strList(values))}
			}
		}
	}
	return grant, problems
}

// attributesRule: every function's role allows exactly the DynamoDB
// actions, resources, attributes and Select/ReturnValues values that the
// store uses it declares (app.StoreUses) make.
func attributesRule(calls storeUseCalls) rule {
	return func(tp *tmpl) []string {
		var problems []string
		for _, fn := range tp.functions() {
			uses, declared := app.StoreUses[fn]
			if !declared {
				problems = append(problems, fmt.Sprintf("%s declares no store uses (app.StoreUses): its role cannot be checked", fn))
				continue
			}
			need, p := needed(calls, uses)
			problems = append(problems, p...)
			grant, p := tp.granted(fn)
			problems = append(problems, p...)
			for _, k := range slices.SortedFunc(maps.Keys(need), cmpGrant) {
				n, g := need[k], grant[k]
				if _, ok := grant[k]; !ok {
					problems = append(problems, fmt.Sprintf("%s: its code calls %s naming %v (%v), which its role does not allow: AccessDenied in AWS only", fn, k, n.attrs, n.values))
					continue
				}
				if p := mismatch(n.attrs, g.attrs, "names"); p != "" {
					problems = append(problems, fmt.Sprintf("%s: %s: the code names the attributes %v; %s", fn, k, n.attrs, p))
				}
				if p := mismatch(n.values, g.values, "sends"); p != "" {
					problems = append(problems, fmt.Sprintf("%s: %s: the code sends %v; %s", fn, k, n.values, p))
				}
				if readActions[k.action] && !slices.Equal(n.values, []string{"SPECIFIC_ATTRIBUTES"}) {
					problems = append(problems, fmt.Sprintf("%s: %s reads with Select %v: every read must name its attributes (ProjectionExpression), or it returns attributes no list allows", fn, k, n.values))
				}
			}
			for _, k := range slices.SortedFunc(maps.Keys(grant), cmpGrant) {
				if _, ok := need[k]; !ok {
					problems = append(problems, fmt.Sprintf("%s: its role allows %s, which its code never calls", fn, k))
				}
			}
		}
		return problems
	}
}

func cmpGrant(a, b grantKey) int { return strings.Compare(a.String(), b.String()) }

// mismatch says how the role's list got differs from the code's want
// ("" when it does not).
func mismatch(want, got []string, verb string) string {
	missing, extra := diff(want, got)
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, fmt.Sprintf("the role lacks %v (AccessDenied in AWS only)", missing))
	}
	if len(extra) > 0 {
		parts = append(parts, fmt.Sprintf("the role allows %v, which the code never %s", extra, verb))
	}
	return strings.Join(parts, "; ")
}

// diff is what want has that got lacks, and what got has beyond want.
func diff(want, got []string) (missing, extra []string) {
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	return missing, extra
}

// statement is the statement Sid of role in raw, for breakages.
func statement(raw map[string]any, role, sid string) map[string]any {
	for _, p := range items(at(raw, res(role, "Policies")...)) {
		for _, s := range items(at(p, "PolicyDocument", "Statement")) {
			if m, ok := s.(map[string]any); ok && str(m["Sid"]) == sid {
				return m
			}
		}
	}
	panic("no statement " + sid + " in " + role)
}

func TestRolesAllowExactlyTheAttributesTheCodeNames(t *testing.T) {
	calls := recordStoreUses(t)
	for _, use := range slices.Sorted(maps.Keys(calls.byUse)) {
		t.Logf("%s: %v", use, calls.byUse[use])
	}
	tp := load(t)
	expectNone(t, tp, attributesRule(calls))
	attrs := func(r map[string]any, role, sid string) map[string]any {
		return statement(r, role, sid)["Condition"].(map[string]any)["ForAllValues:StringEquals"].(map[string]any)
	}
	expectCaught(t, tp, attributesRule(calls), []breakage{
		{"an attribute the code writes, removed", func(r map[string]any) {
			a := attrs(r, "AuthFunctionRole", "PutSessions")
			a["dynamodb:Attributes"] = slices.DeleteFunc(a["dynamodb:Attributes"].([]any), func(v any) bool { return v == "username" })
		}, "the role lacks [username]"},
		{"the cart may write username", func(r map[string]any) {
			a := attrs(r, "CartFunctionRole", "UpdateSessions")
			a["dynamodb:Attributes"] = append(a["dynamodb:Attributes"].([]any), "username")
		}, "the role allows [username], which the code never names"},
		{"the cart may delete", func(r map[string]any) {
			s := statement(r, "CartFunctionRole", "UpdateSessions")
			s["Action"] = []any{"dynamodb:UpdateItem", "dynamodb:DeleteItem"}
		}, "CartFunction: its role allows dynamodb:DeleteItem on SessionsTable, which its code never calls"},
		{"ALL_NEW refused", func(r map[string]any) {
			statement(r, "CartFunctionRole", "UpdateSessions")["Condition"].(map[string]any)["StringEquals"] = map[string]any{"dynamodb:ReturnValues": []any{"NONE"}}
		}, "the role lacks [ALL_NEW]"},
		{"no attribute list", func(r map[string]any) {
			delete(statement(r, "AuthFunctionRole", "GetUsers")["Condition"].(map[string]any), "ForAllValues:StringEquals")
		}, "no ForAllValues:StringEquals dynamodb:Attributes list"},
		{"reads of whole items", func(r map[string]any) {
			delete(statement(r, "CartFunctionRole", "GetSessions")["Condition"].(map[string]any), "StringEquals")
		}, "no StringEquals dynamodb:Select"},
		{"ForAnyValue", func(r map[string]any) {
			c := statement(r, "CartFunctionRole", "GetSessions")["Condition"].(map[string]any)
			c["ForAnyValue:StringEquals"] = c["ForAllValues:StringEquals"]
			delete(c, "ForAllValues:StringEquals")
		}, "no ForAllValues:StringEquals dynamodb:Attributes list"},
		{"reads and writes in one statement", func(r map[string]any) {
			s := statement(r, "CartFunctionRole", "GetSessions")
			s["Action"] = []any{"dynamodb:GetItem", "dynamodb:PutItem"}
		}, "mixes reads and writes"},
		{"the index query without its key", func(r map[string]any) {
			a := attrs(r, "AuthFunctionRole", "QuerySessionsByUsername")
			a["dynamodb:Attributes"] = []any{"id"}
		}, "the role lacks [username]"},
		{"an undeclared function", func(r map[string]any) {
			fns := r["Resources"].(map[string]any)
			fns["OtherFunction"] = fns["CookiesFunction"]
		}, "OtherFunction declares no store uses"},
	})
	// The code grows: a request names one more attribute than before.
	grown := storeUseCalls{byUse: maps.Clone(calls.byUse), tables: calls.tables}
	var updates []dynamoCall
	for _, c := range grown.byUse[app.SessionsUpdate] {
		c.attrs = union(c.attrs, []string{"lastChangedBy"})
		updates = append(updates, c)
	}
	grown.byUse[app.SessionsUpdate] = updates
	if p := attributesRule(grown)(tp); !slices.ContainsFunc(p, func(s string) bool {
		return strings.Contains(s, "CartFunction: dynamodb:UpdateItem on SessionsTable") && strings.Contains(s, "the role lacks [lastChangedBy]")
	}) {
		t.Errorf("a request naming a new attribute passed: %q", p)
	}
	// A use the code starts to make that no driver knows.
	bare := storeUseCalls{byUse: map[app.StoreUse][]dynamoCall{}, tables: calls.tables}
	if p := attributesRule(bare)(tp); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "has no driver in storeDrivers") }) {
		t.Errorf("a use without a driver passed: %q", p)
	}
}

// TestTheDriversMakeEveryCallTheStoreMakes: the drivers, together, make
// every DynamoDB operation internal/dynamostore calls (storeOperations
// reads them from its source), and only reads that name their attributes.
func TestTheDriversMakeEveryCallTheStoreMakes(t *testing.T) {
	calls := recordStoreUses(t)
	made := map[string]bool{}
	for _, use := range slices.Sorted(maps.Keys(calls.byUse)) {
		for _, c := range calls.byUse[use] {
			made["dynamodb:"+c.op] = true
		}
	}
	for op := range storeOperations(t) {
		if !made[op] {
			t.Errorf("internal/dynamostore calls %s, but no driver of storeDrivers made it: its attributes are unknown", op)
		}
	}
}

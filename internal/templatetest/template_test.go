package templatetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

const templatePath = "../../template.yaml"

// tmpl is template.yaml read twice by goformation: raw, with every
// intrinsic function kept in its long form ({"Ref": "X"},
// {"Fn::GetAtt": ...}), for the rules about references; and typed, with
// intrinsics rendered as "${X}" / "${X.Attr}" strings and parameters as
// their defaults, for the rules about CloudFront.
type tmpl struct {
	raw map[string]any
	cfn *cloudformation.Template
}

// load reads template.yaml.
func load(t *testing.T) *tmpl {
	t.Helper()
	tp, err := fromRaw(loadRaw(t, templatePath))
	if err != nil {
		t.Fatalf("read %s: %v", templatePath, err)
	}
	return tp
}

// fromRaw builds both views from a raw template (a copy, possibly broken
// on purpose by a test); the typed view lacks what goformation cannot
// parse (samtemplate.ForGoformation), which the rules read from raw.
func fromRaw(raw map[string]any) (*tmpl, error) {
	js, err := json.Marshal(samtemplate.ForGoformation(raw))
	if err != nil {
		return nil, err
	}
	cfn, err := goformation.ParseJSONWithOptions(js, &intrinsics.ProcessorOptions{
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			"Ref":        renderRef,
			"Fn::GetAtt": renderGetAtt,
			"Fn::Sub":    renderSub,
			"Fn::If":     func(string, any, any) any { return nil },
		},
	})
	if err != nil {
		return nil, fmt.Errorf("goformation: %w", err)
	}
	return &tmpl{raw: raw, cfn: cfn}, nil
}

// clone deep-copies the raw template, for a test to break.
func (tp *tmpl) clone(t *testing.T) map[string]any {
	t.Helper()
	js, err := json.Marshal(tp.raw)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// renderRef renders a parameter as its default (so typed fields such as
// numbers still parse) and anything else as "${Name}".
func renderRef(_ string, input, template any) any {
	name, _ := input.(string)
	if p, ok := at(template, "Parameters", name).(map[string]any); ok {
		return p["Default"]
	}
	return "${" + name + "}"
}

func renderGetAtt(_ string, input, _ any) any {
	res, attr := splitGetAtt(input)
	return "${" + res + "." + attr + "}"
}

func renderSub(_ string, input, _ any) any {
	if parts, ok := input.([]any); ok && len(parts) > 0 {
		return parts[0]
	}
	return input
}

// ---- reading the raw template ------------------------------------------------------

// at follows keys through nested maps; nil when any is missing.
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string { s, _ := v.(string); return s }

// items is v as a list: CloudFormation accepts one value where it takes a list.
func items(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

// ref is X of {"Ref": "X"}, or "".
func ref(v any) string { return str(at(v, "Ref")) }

// getAtt is X, Attr of {"Fn::GetAtt": "X.Attr"} or {"Fn::GetAtt": [X, Attr]}.
func getAtt(v any) (string, string) { return splitGetAtt(at(v, "Fn::GetAtt")) }

func splitGetAtt(v any) (string, string) {
	switch x := v.(type) {
	case string:
		res, attr, _ := strings.Cut(x, ".")
		return res, attr
	case []any:
		if len(x) == 2 {
			return str(x[0]), str(x[1])
		}
	}
	return "", ""
}

// sub is the string of {"Fn::Sub": "..."} (or of its list form), or "".
func sub(v any) string {
	s := at(v, "Fn::Sub")
	if parts, ok := s.([]any); ok && len(parts) > 0 {
		return str(parts[0])
	}
	return str(s)
}

// show renders a raw value for a message.
func show(v any) string {
	js, _ := json.Marshal(v)
	return string(js)
}

func (tp *tmpl) resources() map[string]any {
	r, _ := tp.raw["Resources"].(map[string]any)
	return r
}

func (tp *tmpl) typeOf(name string) string { return str(at(tp.resources()[name], "Type")) }

// ofType lists the logical IDs of the resources of typ, sorted.
func (tp *tmpl) ofType(typ string) []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(tp.resources())) {
		if tp.typeOf(name) == typ {
			names = append(names, name)
		}
	}
	return names
}

func (tp *tmpl) props(name string) map[string]any {
	p, _ := at(tp.resources()[name], "Properties").(map[string]any)
	return p
}

func (tp *tmpl) functions() []string { return tp.ofType("AWS::Serverless::Function") }

// fnProp is a function's property as SAM sees it: its own, else Globals'.
func (tp *tmpl) fnProp(fn string, keys ...string) any {
	if v := at(tp.props(fn), keys...); v != nil {
		return v
	}
	return at(tp.raw, append([]string{"Globals", "Function"}, keys...)...)
}

// fnEnv is a function's environment with Globals merged, values raw.
func (tp *tmpl) fnEnv(fn string) map[string]any {
	env := map[string]any{}
	if g, ok := at(tp.raw, "Globals", "Function", "Environment", "Variables").(map[string]any); ok {
		maps.Copy(env, g)
	}
	if own, ok := at(tp.props(fn), "Environment", "Variables").(map[string]any); ok {
		maps.Copy(env, own)
	}
	return env
}

// fnTables are the tables a function's environment names (by !Ref).
func (tp *tmpl) fnTables(fn string) []string {
	var tables []string
	for _, v := range tp.fnEnv(fn) {
		if r := ref(v); tp.typeOf(r) == "AWS::DynamoDB::Table" {
			tables = append(tables, r)
		}
	}
	slices.Sort(tables)
	return tables
}

// paramDefault is a parameter's default, "" when it has none.
func (tp *tmpl) paramDefault(name string) string {
	return fmt.Sprint(at(tp.raw, "Parameters", name, "Default"))
}

// ---- rules and their breakage ---------------------------------------------------

// rule returns what is wrong with a template, one sentence per problem.
type rule func(*tmpl) []string

// expectNone fails t with every problem r finds in tp.
func expectNone(t *testing.T, tp *tmpl, r rule) {
	t.Helper()
	for _, p := range r(tp) {
		t.Error(p)
	}
}

// breakage is a copy of the template broken on purpose, and what the rule
// must then say.
type breakage struct {
	name   string
	mutate func(raw map[string]any)
	want   string
}

// expectCaught checks that r reports each breakage with a message holding
// its want.
func expectCaught(t *testing.T, tp *tmpl, r rule, cases []breakage) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw := tp.clone(t)
			c.mutate(raw)
			broken, err := fromRaw(raw)
			if err != nil {
				t.Fatalf("the broken copy does not parse: %v", err)
			}
			problems := r(broken)
			for _, p := range problems {
				if strings.Contains(p, c.want) {
					return
				}
			}
			t.Errorf("breakage not caught: want a problem containing %q, got %q", c.want, problems)
		})
	}
}

// set assigns v at keys in raw, creating maps on the way.
func set(raw map[string]any, v any, keys ...string) {
	m := raw
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}

// del removes the key at keys from raw.
func del(raw map[string]any, keys ...string) {
	if m, ok := at(raw, keys[:len(keys)-1]...).(map[string]any); ok {
		delete(m, keys[len(keys)-1])
	}
}

// res is the path to a resource's property.
func res(name string, keys ...string) []string {
	return append([]string{"Resources", name, "Properties"}, keys...)
}

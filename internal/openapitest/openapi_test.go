package openapitest

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sessionlab/sessionlab/internal/cart"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

const (
	specPath     = "../../docs/openapi.yaml"
	templatePath = "../../template.yaml"
)

// methods are the operation keys of an OpenAPI path item.
var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// unsafe are the methods the cross-site check applies to.
var unsafe = map[string]bool{"post": true, "put": true, "patch": true, "delete": true}

// spec is the parsed document.
type spec = map[string]any

func loadSpec(t *testing.T) spec {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := yaml.Unmarshal(data, &s); err != nil {
		t.Fatalf("parse %s: %v", specPath, err)
	}
	if v, _ := s["openapi"].(string); !strings.HasPrefix(v, "3.1.") {
		t.Fatalf("openapi = %q, want 3.1.x", v)
	}
	return s
}

// operation is one method of one path of the spec.
type operation struct {
	method, path string
	pathItem     map[string]any
	op           map[string]any
}

func (o operation) String() string { return strings.ToUpper(o.method) + " " + o.path }

func operations(t *testing.T, s spec) []operation {
	t.Helper()
	paths, ok := s["paths"].(map[string]any)
	if !ok {
		t.Fatal("spec has no paths")
	}
	var ops []operation
	for _, p := range slices.Sorted(maps.Keys(paths)) {
		item, ok := paths[p].(map[string]any)
		if !ok {
			t.Fatalf("path %s is not an object", p)
		}
		for _, m := range methods {
			if op, ok := item[m].(map[string]any); ok {
				ops = append(ops, operation{method: m, path: p, pathItem: item, op: op})
			}
		}
	}
	return ops
}

// TestRoutesMatchTemplate checks that the spec's paths and methods are
// exactly the HttpApi routes of template.yaml, both ways.
func TestRoutesMatchTemplate(t *testing.T) {
	tpl, err := samtemplate.Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	inTemplate := map[string]bool{}
	for _, fn := range tpl.Functions {
		for _, r := range fn.Routes {
			inTemplate[r.Key()] = true
		}
	}
	if len(inTemplate) == 0 {
		t.Fatal("template has no HttpApi routes")
	}
	inSpec := map[string]bool{}
	for _, o := range operations(t, loadSpec(t)) {
		inSpec[o.String()] = true
	}
	for _, k := range slices.Sorted(maps.Keys(inTemplate)) {
		if !inSpec[k] {
			t.Errorf("route %s is in template.yaml but not in docs/openapi.yaml", k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(inSpec)) {
		if !inTemplate[k] {
			t.Errorf("operation %s is in docs/openapi.yaml but not in template.yaml", k)
		}
	}
}

// TestRefsResolve checks that every $ref points at something in the spec.
func TestRefsResolve(t *testing.T) {
	s := loadSpec(t)
	n := 0
	walk(s, "", func(where string, node map[string]any) {
		ref, ok := node["$ref"].(string)
		if !ok {
			return
		}
		n++
		if _, err := resolve(s, ref); err != nil {
			t.Errorf("%s: %v", where, err)
		}
	})
	if n == 0 {
		t.Fatal("no $ref found: the walk is broken")
	}
}

// TestOperations checks each operation: a unique operationId, every path
// parameter declared, every response described, an error body for every
// error status, and the errors the contract gives every operation of its
// kind: 400/413/415 where there is a JSON body, 403 for unsafe methods,
// Retry-After with every 429 and 503.
func TestOperations(t *testing.T) {
	s := loadSpec(t)
	ids := map[string]string{}
	for _, o := range operations(t, s) {
		t.Run(o.String(), func(t *testing.T) {
			id, _ := o.op["operationId"].(string)
			if id == "" {
				t.Error("no operationId")
			} else if prev, dup := ids[id]; dup {
				t.Errorf("operationId %q also used by %s", id, prev)
			}
			ids[id] = o.String()
			checkPathParams(t, s, o)
			responses := checkResponses(t, s, o)
			if body, ok := o.op["requestBody"]; ok {
				b := deref(t, s, body)
				if _, ok := field(b, "content", "application/json", "schema"); !ok {
					t.Error("requestBody has no application/json schema")
				}
				for _, status := range []string{"400", "413", "415"} {
					if !responses[status] {
						t.Errorf("takes a JSON body but lists no %s", status)
					}
				}
			}
			if unsafe[o.method] && !responses["403"] {
				t.Error("unsafe method lists no 403 cross_origin_request")
			}
		})
	}
}

var pathParam = regexp.MustCompile(`\{([^}/]+)\}`)

func checkPathParams(t *testing.T, s spec, o operation) {
	t.Helper()
	declared := map[string]bool{}
	for _, list := range []any{o.pathItem["parameters"], o.op["parameters"]} {
		items, _ := list.([]any)
		for _, p := range items {
			pm := deref(t, s, p)
			if pm["in"] == "path" {
				name, _ := pm["name"].(string)
				declared[name] = true
				if pm["required"] != true {
					t.Errorf("path parameter %s is not required", name)
				}
			}
		}
	}
	var inPath []string
	for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
		inPath = append(inPath, m[1])
		if !declared[m[1]] {
			t.Errorf("path parameter {%s} is not declared", m[1])
		}
	}
	for name := range declared {
		if !slices.Contains(inPath, name) {
			t.Errorf("declared path parameter %s is not in the path", name)
		}
	}
}

// checkResponses checks the responses of o and returns the statuses listed.
func checkResponses(t *testing.T, s spec, o operation) map[string]bool {
	t.Helper()
	raw, ok := o.op["responses"].(map[string]any)
	if !ok || len(raw) == 0 {
		t.Fatal("no responses")
	}
	listed := map[string]bool{}
	for status, r := range raw {
		listed[status] = true
		resp := deref(t, s, r)
		if d, _ := resp["description"].(string); d == "" {
			t.Errorf("%s: no description", status)
		}
		_, hasBody := field(resp, "content", "application/json", "schema")
		switch {
		case status == "204" && resp["content"] != nil:
			t.Errorf("204 has a body")
		case status != "204" && !hasBody:
			t.Errorf("%s: no application/json schema", status)
		}
		if status == "429" || status == "503" {
			h, ok := field(resp, "headers", "Retry-After")
			if !ok || deref(t, s, h)["required"] != true {
				t.Errorf("%s without a required Retry-After header", status)
			}
		}
	}
	return listed
}

// walk calls fn on every object of node, depth first.
func walk(node any, where string, fn func(string, map[string]any)) {
	switch n := node.(type) {
	case map[string]any:
		fn(where, n)
		for k, v := range n {
			walk(v, where+"/"+k, fn)
		}
	case []any:
		for i, v := range n {
			walk(v, fmt.Sprintf("%s/%d", where, i), fn)
		}
	}
}

// resolve follows a local JSON pointer ref ("#/components/...").
func resolve(s spec, ref string) (map[string]any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	var cur any = s
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.NewReplacer("~1", "/", "~0", "~").Replace(part)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside an object", ref, part)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, part)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q does not name an object", ref)
	}
	return m, nil
}

// deref returns node as an object, following a $ref.
func deref(t *testing.T, s spec, node any) map[string]any {
	t.Helper()
	m, ok := node.(map[string]any)
	if !ok {
		t.Fatalf("%v is not an object", node)
	}
	if ref, ok := m["$ref"].(string); ok {
		r, err := resolve(s, ref)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	return m
}

// field returns node[k1][k2]..., reporting whether every step exists.
func field(node map[string]any, keys ...string) (any, bool) {
	var cur any = node
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// TestSKUsMatchCatalogue checks that the SKU enum is the catalogue, in
// order.
func TestSKUsMatchCatalogue(t *testing.T) {
	s := loadSpec(t)
	sku, err := resolve(s, "#/components/schemas/SKU")
	if err != nil {
		t.Fatal(err)
	}
	enum, _ := sku["enum"].([]any)
	var got, want []string
	for _, v := range enum {
		got = append(got, fmt.Sprint(v))
	}
	for _, p := range cart.Catalogue {
		want = append(want, p.SKU)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("SKU enum = %q, catalogue = %q", got, want)
	}
}

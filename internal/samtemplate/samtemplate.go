// Package samtemplate reads template.yaml, the one source of truth for the
// functions, their routes, their environment and the tables, for everything
// that runs locally: the runner, the table set-up and the template tests.
//
// goformation parses the template but applies no Globals and turns
// intrinsics into values; here a !Ref to a resource becomes its logical ID
// (the local name of a table) and a !Ref to a parameter its default.
package samtemplate

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/intrinsics"
)

// Template is the parsed template.
type Template struct {
	// CFN is the goformation template, intrinsics resolved locally.
	CFN *cloudformation.Template
	// Functions are the serverless functions, sorted by name.
	Functions []Function
}

// Function is one AWS::Serverless::Function with Globals applied.
type Function struct {
	Name string
	// Env is Globals' Environment.Variables overlaid by the function's own.
	Env map[string]string
	// Routes are the function's HttpApi events.
	Routes []Route
}

// Route is an HttpApi route: an upper-case method and a path that may hold
// {parameters}.
type Route struct {
	Method, Path string
}

// Key is the route key API Gateway puts in events: "GET /api/cart".
func (r Route) Key() string { return r.Method + " " + r.Path }

// parseMu serialises goformation's parser: it registers its YAML tag
// resolvers in a package-level map on every parse, so two parses at once
// write that map concurrently (a data race, or a fatal "concurrent map
// writes").
var parseMu sync.Mutex

// Load parses the template at path. It is safe to call from several
// goroutines.
func Load(path string) (*Template, error) {
	opts := &intrinsics.ProcessorOptions{IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
		"Ref": localRef,
	}}
	raw, err := ReadRaw(path)
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	js, err := json.Marshal(ForGoformation(raw))
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	parseMu.Lock()
	cfn, err := goformation.ParseJSONWithOptions(js, opts)
	parseMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", path, err)
	}
	t := &Template{CFN: cfn}
	globalEnv := map[string]string{}
	if g, err := cfn.GetServerlessGlobalFunction(); err == nil && g.Environment != nil {
		globalEnv = g.Environment.Variables
	}
	for _, name := range slices.Sorted(maps.Keys(cfn.GetAllServerlessFunctionResources())) {
		fn := cfn.GetAllServerlessFunctionResources()[name]
		f := Function{Name: name, Env: maps.Clone(globalEnv)}
		if f.Env == nil {
			f.Env = map[string]string{}
		}
		if fn.Environment != nil {
			maps.Copy(f.Env, fn.Environment.Variables)
		}
		for _, evName := range slices.Sorted(maps.Keys(fn.Events)) {
			ev := fn.Events[evName]
			if ev.Type != "HttpApi" || ev.Properties == nil || ev.Properties.HttpApiEvent == nil {
				continue
			}
			p := ev.Properties.HttpApiEvent
			if p.Method == nil || p.Path == nil {
				return nil, fmt.Errorf("read template %s: %s event %s needs Method and Path", path, name, evName)
			}
			f.Routes = append(f.Routes, Route{Method: strings.ToUpper(*p.Method), Path: *p.Path})
		}
		t.Functions = append(t.Functions, f)
	}
	return t, nil
}

// ReadRaw reads a YAML or JSON template with every intrinsic function left
// in its long form ({"Ref": "X"}), as goformation's parser takes it.
func ReadRaw(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js := data
	if !strings.EqualFold(filepath.Ext(path), ".json") {
		parseMu.Lock()
		js, err = intrinsics.ProcessYAML(data, &intrinsics.ProcessorOptions{NoProcess: true})
		parseMu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	var raw map[string]any
	if err := json.Unmarshal(js, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// goformationUnknown are the properties of SAM resources that SAM has and
// goformation v7.14.9 refuses ("json: unknown field"): it knows the
// HttpApi's access log settings as AccessLogSetting (singular, not what
// SAM reads) and RouteSettings as one settings object, not a map keyed by
// route. Nothing that runs locally needs them.
var goformationUnknown = map[string][]string{
	"AWS::Serverless::HttpApi": {"AccessLogSettings", "RouteSettings"},
}

// ForGoformation returns a copy of the raw template raw without the
// properties goformation cannot parse (goformationUnknown); raw is left as
// it is.
func ForGoformation(raw map[string]any) map[string]any {
	out := maps.Clone(raw)
	resources, _ := raw["Resources"].(map[string]any)
	out["Resources"] = maps.Clone(resources)
	for name, r := range resources {
		res, _ := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		drop := goformationUnknown[fmt.Sprint(res["Type"])]
		if props == nil || len(drop) == 0 {
			continue
		}
		res, props = maps.Clone(res), maps.Clone(props)
		for _, k := range drop {
			delete(props, k)
		}
		res["Properties"] = props
		out["Resources"].(map[string]any)[name] = res
	}
	return out
}

// localRef resolves a !Ref to a resource as its logical ID, and anything
// else as goformation does (a parameter's default, a pseudo parameter).
func localRef(name string, input, template any) any {
	if ref, ok := input.(string); ok {
		if tpl, ok := template.(map[string]any); ok {
			if resources, ok := tpl["Resources"].(map[string]any); ok {
				if _, ok := resources[ref]; ok {
					return ref
				}
			}
		}
	}
	return intrinsics.Ref(name, input, template)
}

// Function returns the function called name.
func (t *Template) Function(name string) (Function, bool) {
	for _, f := range t.Functions {
		if f.Name == name {
			return f, true
		}
	}
	return Function{}, false
}

// Package samtemplate reads template.yaml, the one source of truth for the
// functions, their routes, their environment and the tables, for everything
// that runs locally: the runner, the table set-up and the template tests.
//
// goformation parses the template but applies no Globals and turns
// intrinsics into values; here a !Ref to a resource becomes its logical ID
// (the local name of a table) and a !Ref to a parameter its default.
package samtemplate

import (
	"fmt"
	"maps"
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
	parseMu.Lock()
	cfn, err := goformation.OpenWithOptions(path, opts)
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

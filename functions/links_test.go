// Package functions_test checks what each Lambda function links: the
// packages `go list -deps` finds for each main under functions/, built as
// `sam build` builds them (linux/arm64, CGO_ENABLED=0, -tags lambda.norpc).
// Go links every package a main imports, its init code included, so a
// package in a function's import graph is in its bootstrap.
package functions_test

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

const module = "github.com/sessionlab/sessionlab/"

// function is what one main under functions/ may link.
type function struct {
	// features are the feature packages it serves; every other function's
	// features are forbidden to it.
	features []string
	// database: it keeps sessions in DynamoDB. Without it, nothing of the
	// AWS SDK may be linked.
	database bool
}

// functions has one row per directory under functions/ (the main of
// template function <Name>Function is functions/<name>, as the Makefile's
// build-%Function builds it). A new function adds its row here.
var functions = map[string]function{
	"cookies": {features: []string{module + "internal/cookies"}},
	"auth":    {features: []string{module + "internal/account"}, database: true},
	"cart":    {features: []string{module + "internal/cart"}, database: true},
	"visits":  {features: []string{module + "internal/visits"}, database: true},
}

// forbidden are linked by no function, with why; each forbids the
// packages under it too.
var forbidden = map[string]string{
	module + "internal/allfunctions":      "the registry of every function (its builders would keep every feature reachable)",
	module + "internal/samtemplate":       "template parsing, for local runs only",
	module + "internal/dynamotables":      "table creation from the template, for local runs only",
	"github.com/awslabs/goformation/v7":   "goformation, for local runs only",
	module + "internal/memstore":          "the in-memory store of local runs",
	module + "internal/runner":            "the local runner",
	module + "internal/dynamotest":        "test helpers",
	"testing":                             "test helpers",
	"github.com/aws/aws-sdk-go-v2/config": "the SDK's whole credential chain (profiles, SSO, STS): Lambda puts the role's credentials in the environment (internal/dynamoclient)",
}

// sdkServices is where the SDK keeps its service clients: of these, a
// function links DynamoDB's, the SDK's internal helpers and the stream
// types attributevalue converts, never STS, SSO or the others the SDK's
// full credential chain brings.
const sdkServices = "github.com/aws/aws-sdk-go-v2/service/"

var allowedServices = []string{sdkServices + "dynamodb", sdkServices + "internal", sdkServices + "dynamodbstreams/types", sdkServices + "dynamodbstreams/schemas"}

// databaseOnly are linked only by functions with a database.
var databaseOnly = []string{
	"github.com/aws/aws-sdk-go-v2",
	"github.com/aws/smithy-go",
	module + "internal/dynamostore",
	module + "internal/dynamoclient",
	module + "internal/app/dynamostores",
}

// under reports whether the package path pkg is path or below it.
func under(pkg, path string) bool {
	return pkg == path || strings.HasPrefix(pkg, path+"/")
}

// problems lists what in deps (main directory → the packages its main
// links) breaks the rules above.
func problems(deps map[string][]string) []string {
	var out []string
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		fn, ok := functions[name]
		if !ok {
			out = append(out, "functions/"+name+" has no row in functions (links_test.go): say which features it serves")
			continue
		}
		for _, pkg := range deps[name] {
			for path, why := range forbidden {
				if under(pkg, path) {
					out = append(out, name+" links "+pkg+": "+why)
				}
			}
			if strings.HasPrefix(pkg, sdkServices) && !slices.ContainsFunc(allowedServices, func(path string) bool { return under(pkg, path) }) {
				out = append(out, name+" links "+pkg+": of the SDK's services, a function needs DynamoDB's only")
			}
			if !fn.database {
				for _, path := range databaseOnly {
					if under(pkg, path) {
						out = append(out, name+" links "+pkg+", but it has no database")
					}
				}
			}
			for other, of := range functions {
				if other != name && slices.Contains(of.features, pkg) {
					out = append(out, name+" links "+pkg+", the feature of "+other)
				}
			}
		}
	}
	for name := range functions {
		if _, ok := deps[name]; !ok {
			out = append(out, "functions has a row for "+name+", but there is no functions/"+name)
		}
	}
	slices.Sort(out)
	return out
}

// linked runs go list for every main under functions/ as sam build builds
// it and returns each main's directory name with the packages it links.
func linked(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "lambda.norpc", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", "./...")
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr(err))
	}
	deps := map[string][]string{}
	for line := range strings.Lines(strings.TrimSpace(string(out))) {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module+"functions/") {
			continue
		}
		deps[strings.TrimPrefix(fields[0], module+"functions/")] = fields[1:]
	}
	return deps
}

func stderr(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// TestEachFunctionLinksOnlyWhatItUses: no function links the registry of
// all functions, goformation, local or test code, or another function's
// feature; the CookiesFunction links nothing of the AWS SDK.
func TestEachFunctionLinksOnlyWhatItUses(t *testing.T) {
	deps := linked(t)
	if len(deps) == 0 {
		t.Fatal("go list found no main under functions/")
	}
	for _, p := range problems(deps) {
		t.Error(p)
	}
	for name, pkgs := range deps {
		for _, own := range functions[name].features {
			if !slices.Contains(pkgs, own) {
				t.Errorf("%s does not link its own feature %s: is its row in functions right?", name, own)
			}
		}
	}
}

// TestEveryTemplateFunctionHasItsMain: the template's functions and the
// mains under functions/ match, name for name (CartFunction is
// functions/cart, as the Makefile builds it).
func TestEveryTemplateFunctionHasItsMain(t *testing.T) {
	tpl, err := samtemplate.Load("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range tpl.Functions {
		base, ok := strings.CutSuffix(f.Name, "Function")
		if !ok {
			t.Errorf("template function %s: the Makefile builds only <Name>Function", f.Name)
		}
		want = append(want, strings.ToLower(base))
	}
	var got []string
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); err == nil {
				got = append(got, e.Name())
			}
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("mains under functions/ %q, template functions %q", got, want)
	}
}

// TestTheRulesCatch guards the rules themselves on made-up import graphs:
// each breakage is reported, a clean graph is not.
func TestTheRulesCatch(t *testing.T) {
	clean := map[string][]string{
		"cookies": {module + "internal/cookies", module + "internal/web"},
		"auth":    {module + "internal/account", "github.com/aws/aws-sdk-go-v2/service/dynamodb", sdkServices + "internal/checksum"},
		"cart":    {module + "internal/cart", module + "internal/dynamostore", sdkServices + "dynamodbstreams/types"},
		"visits":  {module + "internal/visits", module + "internal/dynamostore"},
	}
	if got := problems(clean); len(got) != 0 {
		t.Fatalf("a clean graph: %q", got)
	}
	tests := []struct {
		name, fn, pkg, want string
	}{
		{"another function's feature", "cookies", module + "internal/cart", "cookies links " + module + "internal/cart, the feature of cart"},
		{"the SDK without a database", "cookies", "github.com/aws/aws-sdk-go-v2/service/dynamodb", "but it has no database"},
		{"smithy without a database", "cookies", "github.com/aws/smithy-go/middleware", "but it has no database"},
		{"the registry", "cart", module + "internal/allfunctions", "the registry of every function"},
		{"goformation", "auth", "github.com/awslabs/goformation/v7/cloudformation/dynamodb", "goformation"},
		{"the SDK's config", "auth", "github.com/aws/aws-sdk-go-v2/config/internal/ini", "credential chain"},
		{"STS", "cart", sdkServices + "sts", "DynamoDB's only"},
		{"a test helper", "cart", "testing", "test helpers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := maps.Clone(clean)
			deps[tt.fn] = append(slices.Clone(deps[tt.fn]), tt.pkg)
			got := problems(deps)
			if len(got) != 1 || !strings.Contains(got[0], tt.want) {
				t.Errorf("problems = %q, want one with %q", got, tt.want)
			}
		})
	}
	missing := maps.Clone(clean)
	delete(missing, "cart")
	missing["orders"] = []string{module + "internal/orders"}
	got := problems(missing)
	if len(got) != 2 || !strings.Contains(got[0], "there is no functions/cart") || !strings.Contains(got[1], "functions/orders has no row") {
		t.Errorf("a main without a row and a row without a main: %q", got)
	}
}

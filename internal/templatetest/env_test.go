package templatetest

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// envRule builds every function as its Lambda main does (allfunctions.Build with
// the DynamoDB stores of dynamostores.Open), giving it only the variables the
// template declares for it (Globals merged, as SAM does), and records every
// name its code reads. A variable read but not declared never reaches the
// function in AWS (SAM passes only declared ones); one declared but never
// read is configuration that does nothing. Both are problems.
func envRule(t *testing.T) rule {
	return func(tp *tmpl) []string {
		js, err := json.Marshal(tp.raw)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "template.json")
		if err := os.WriteFile(path, js, 0o600); err != nil {
			t.Fatal(err)
		}
		tpl, err := samtemplate.Load(path)
		if err != nil {
			return []string{err.Error()}
		}
		var problems []string
		for _, name := range slices.Sorted(maps.Keys(allfunctions.Functions)) {
			if _, ok := tpl.Function(name); !ok {
				problems = append(problems, fmt.Sprintf("allfunctions.Functions has %s, which the template does not declare", name))
			}
		}
		for _, fn := range tpl.Functions {
			problems = append(problems, envProblems(fn)...)
		}
		return problems
	}
}

// envProblems builds fn with its declared environment and compares what
// its code reads with what is declared.
func envProblems(fn samtemplate.Function) []string {
	read := map[string]bool{}
	getenv := func(name string) string {
		read[name] = true
		if name == "SESSION_SECRET" { // a dynamic reference, resolved only in AWS
			return hex.EncodeToString(make([]byte, 32))
		}
		return fn.Env[name]
	}
	if _, err := allfunctions.Build(context.Background(), fn.Name, getenv, app.Options{OpenStores: dynamostores.Open}); err != nil {
		return []string{fmt.Sprintf("%s does not start with the environment the template declares: %v", fn.Name, err)}
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(read)) {
		if _, ok := fn.Env[name]; !ok {
			problems = append(problems, fmt.Sprintf("%s reads %s, which the template does not declare for it: in AWS it would always be empty", fn.Name, name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(fn.Env)) {
		if !read[name] {
			problems = append(problems, fmt.Sprintf("%s: the template declares %s, which its code never reads", fn.Name, name))
		}
	}
	return problems
}

func TestEveryVariableAFunctionReadsIsDeclaredForIt(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, envRule(t))
	expectCaught(t, tp, envRule(t), []breakage{
		{"undeclared", func(r map[string]any) {
			del(r, res("CartFunction", "Environment", "Variables", "SESSION_TOUCH_INTERVAL")...)
		},
			"CartFunction reads SESSION_TOUCH_INTERVAL"},
		{"undeclared global", func(r map[string]any) { del(r, "Globals", "Function", "Environment", "Variables", "SITE_ORIGIN") },
			"CookiesFunction reads SITE_ORIGIN"},
		{"never read", func(r map[string]any) {
			set(r, map[string]any{"Ref": "UsersTable"}, res("CartFunction", "Environment", "Variables", "USERS_TABLE")...)
		}, "declares USERS_TABLE, which its code never reads"},
		{"unknown function", func(r map[string]any) {
			r["Resources"].(map[string]any)["CartFunction2"] = r["Resources"].(map[string]any)["CartFunction"]
			delete(r["Resources"].(map[string]any), "CartFunction")
		}, "allfunctions.Functions has CartFunction"},
	})
}

// TestEnvRuleSeesEveryRead guards the rule itself: if the functions read
// nothing through getenv, the comparison above would pass vacuously.
func TestEnvRuleSeesEveryRead(t *testing.T) {
	tpl, err := samtemplate.Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	auth, ok := tpl.Function("AuthFunction")
	if !ok {
		t.Fatal("no AuthFunction")
	}
	delete(auth.Env, "SESSION_IDLE_TIMEOUT") // optional: the function starts without it
	problems := envProblems(auth)
	if len(problems) != 1 || !strings.Contains(problems[0], "reads SESSION_IDLE_TIMEOUT, which the template does not declare") {
		t.Fatalf("AuthFunction without SESSION_IDLE_TIMEOUT: got %q", problems)
	}
}

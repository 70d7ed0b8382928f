package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gremlinsJSON is the shape gremlins v0.6.0 writes (one line, trimmed to
// the fields it always has).
const gremlinsJSON = `{"go_module":"example.com/m","files":[{"file_name":"a.go","mutations":[` +
	`{"type":"CONDITIONALS_BOUNDARY","status":"KILLED","line":4,"column":7},` +
	`{"type":"CONDITIONALS_NEGATION","status":"KILLED","line":4,"column":7},` +
	`{"type":"ARITHMETIC_BASE","status":"LIVED","line":4,"column":23},` +
	`{"type":"INVERT_NEGATIVES","status":"NOT COVERED","line":6,"column":9},` +
	`{"type":"INCREMENT_DECREMENT","status":"TIMED OUT","line":5,"column":3}]}],` +
	`"test_efficacy":66.66,"mutations_coverage":75,"mutants_total":3,"mutants_killed":2,"mutants_lived":1,` +
	`"mutants_not_viable":0,"mutants_not_covered":1,"elapsed_time":12.5}`

const source = "package a\n\nfunc f(n int) int {\n\tif n < 3 { return n + 1 }\n\tn++\n\treturn -1\n}\n"

// inModule makes a module-like tree (internal/a/a.go and the results dir)
// and changes into it.
func inModule(t *testing.T, results map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{"internal/a/a.go": source} {
		writeFile(t, filepath.Join(root, name), body)
	}
	for name, body := range results {
		writeFile(t, filepath.Join(root, "out", name), body)
	}
	t.Chdir(root)
	return root
}

func writeFile(t *testing.T, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCountsAndLines(t *testing.T) {
	inModule(t, map[string]string{"a.json": gremlinsJSON, "a.seconds": "95\n"})
	r, err := Load("out", "internal/a")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{Killed: 2, Lived: 1, NotCovered: 1, TimedOut: 1}
	for s, n := range want {
		if r.Counts[s] != n {
			t.Errorf("%s: %d, want %d", s, r.Counts[s], n)
		}
	}
	if r.Seconds != 95 {
		t.Errorf("seconds %d, want 95", r.Seconds)
	}
	// Sorted by line, then column, then type; the code is the trimmed line.
	first, last := r.Mutants[0], r.Mutants[len(r.Mutants)-1]
	if first.File != "internal/a/a.go" || first.Line != 4 || first.Type != "CONDITIONALS_BOUNDARY" || first.Code != "if n < 3 { return n + 1 }" {
		t.Errorf("first mutant %+v", first)
	}
	if last.Line != 6 || last.Code != "return -1" {
		t.Errorf("last mutant %+v", last)
	}
	if e, _ := r.Efficacy(); e < 66.6 || e > 66.7 {
		t.Errorf("efficacy %v, want 2/3", e)
	}
	if c, _ := r.Coverage(); c != 75 {
		t.Errorf("coverage %v, want 3/4", c)
	}
	if _, err := Load("out", "internal/missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a package without results: %v, want ErrNotExist", err)
	}
}

func TestRatiosWithoutMutants(t *testing.T) {
	r := Result{Counts: map[string]int{NotCovered: 2}}
	if _, ok := r.Efficacy(); ok {
		t.Error("efficacy defined without a killed or lived mutant")
	}
	if c, ok := r.Coverage(); !ok || c != 0 {
		t.Errorf("coverage %v %v, want 0 true", c, ok)
	}
	if _, ok := (Result{Counts: map[string]int{}}).Coverage(); ok {
		t.Error("coverage defined without any mutant")
	}
}

func TestBars(t *testing.T) {
	bars := Bars{Efficacy: 95, Coverage: 80}
	for _, tt := range []struct {
		counts map[string]int
		want   string
	}{
		{map[string]int{Killed: 19, Lived: 1, NotCovered: 5}, ""},                                          // 95%, 80%: on the bars
		{map[string]int{Killed: 18, Lived: 1, NotCovered: 0}, "efficacy 94.7% < 95%"},                      // just below
		{map[string]int{Killed: 20, NotCovered: 6}, "coverage 76.9% < 80%"},                                // just below
		{map[string]int{Killed: 1, Lived: 1, NotCovered: 2}, "efficacy 50.0% < 95%, coverage 50.0% < 80%"}, // both
		{map[string]int{Skipped: 4}, ""},                                                                   // nothing ran (mutate-short)
	} {
		if got := bars.Missed(Result{Counts: tt.counts}); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.counts, got, tt.want)
		}
	}
}

const doc = "# Testing\n\n" +
	"| file | mutator | code | why no test can kill it |\n" +
	"|---|---|---|---|\n" +
	"| `internal/a/a.go` | ARITHMETIC_BASE | `n + 1` | a reason |\n" +
	"| `internal/a/a.go` | INVERT_LOGICAL | `a \\|\\| b` | or, escaped |\n" +
	"\n" +
	"| other | table |\n|---|---|\n| `x` | y |\n"

func TestParseExplanations(t *testing.T) {
	ex, err := ParseExplanations(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 2 {
		t.Fatalf("%d explanations, want 2 (the other table is not one): %+v", len(ex), ex)
	}
	if ex[0] != (Explanation{File: "internal/a/a.go", Type: "ARITHMETIC_BASE", Code: "n + 1", Reason: "a reason", Line: 5}) {
		t.Errorf("first %+v", ex[0])
	}
	if ex[1].Code != "a || b" {
		t.Errorf("escaped bars: %q", ex[1].Code)
	}
	for _, bad := range []string{
		"| file | mutator | code | why |\n|---|---|---|---|\n| `a.go` | X | `y` |\n",    // 3 cells
		"| file | mutator | code | why |\n|---|---|---|---|\n| `a.go` |  | `y` | z |\n", // no mutator
	} {
		if _, err := ParseExplanations(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

func TestExplain(t *testing.T) {
	ex, _ := ParseExplanations(doc)
	m := Mutant{File: "internal/a/a.go", Type: "ARITHMETIC_BASE", Code: "if n < 3 { return n + 1 }"}
	if e, ok := Explain(ex, m); !ok || e.Reason != "a reason" {
		t.Errorf("not explained: %+v %v", e, ok)
	}
	for _, other := range []Mutant{
		{File: "internal/b/a.go", Type: m.Type, Code: m.Code},       // another file
		{File: m.File, Type: "CONDITIONALS_BOUNDARY", Code: m.Code}, // another mutator
		{File: m.File, Type: m.Type, Code: "return n - 1"},          // another line
	} {
		if _, ok := Explain(ex, other); ok {
			t.Errorf("explained %+v", other)
		}
	}
}

func TestRunReportsAndChecks(t *testing.T) {
	root := inModule(t, map[string]string{"a.json": gremlinsJSON, "a.seconds": "95"})
	writeFile(t, filepath.Join(root, "docs.md"), doc)
	var out bytes.Buffer
	err := run(&out, options{Dir: "out", Docs: "docs.md", Packages: []string{"internal/a", "internal/b"},
		Bars: Bars{Efficacy: 60, Coverage: 70}, Check: true})
	// The LIVED one is explained; the TIMED OUT one is not.
	if !errors.Is(err, errBars) || !strings.Contains(err.Error(), "1 problem") {
		t.Errorf("err %v, want 1 problem", err)
	}
	got := out.String()
	for _, want := range []string{
		"| `internal/a` | 5 | 2 | 1 | 1 | 1 | 0 | 66.7% | 75.0% | 1 min 35 s |",
		"explained: a reason",
		"TIMED OUT   internal/a/a.go:5:3 INCREMENT_DECREMENT  n++\n      UNEXPLAINED",
		"NOT COVERED internal/a/a.go:6:9 INVERT_NEGATIVES  return -1",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "internal/b") {
		t.Errorf("a package without results is listed:\n%s", got)
	}
	out.Reset()
	if err := run(&out, options{Dir: "out", Packages: []string{"internal/a"}, Bars: Bars{Efficacy: 95}}); err != nil {
		t.Errorf("without -check: %v", err)
	}
	if !strings.Contains(out.String(), "BELOW THE BARS: efficacy 66.7% < 95%") {
		t.Errorf("missed bar not shown:\n%s", out.String())
	}
}

func TestCompare(t *testing.T) {
	m := func(line int, status string) Mutant {
		return Mutant{File: "internal/a/a.go", Line: line, Column: 2, Type: "CONDITIONALS_BOUNDARY", Status: status}
	}
	a := Result{Mutants: []Mutant{m(1, Killed), m(2, Lived), m(3, Killed)}}
	b := Result{Mutants: []Mutant{m(1, Killed), m(2, TimedOut), m(4, Lived)}}
	got := strings.Join(Compare(a, b), "\n")
	want := "internal/a/a.go:2:2 CONDITIONALS_BOUNDARY: LIVED, then TIMED OUT\n" +
		"internal/a/a.go:3:2 CONDITIONALS_BOUNDARY: KILLED, missing in the other run\n" +
		"internal/a/a.go:4:2 CONDITIONALS_BOUNDARY: missing, then LIVED"
	if got != want {
		t.Errorf("Compare:\n%s\nwant\n%s", got, want)
	}
	if d := Compare(a, a); len(d) != 0 {
		t.Errorf("a run against itself: %v", d)
	}
}

func TestCompareRuns(t *testing.T) {
	inModule(t, map[string]string{"a.json": gremlinsJSON, "b/a.json": gremlinsJSON})
	var out bytes.Buffer
	if err := compareRuns(&out, "out", "out/b", []string{"internal/a"}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "internal/a: 5 mutants, 0 differ") {
		t.Errorf("output %q", out.String())
	}
	writeFile(t, "out/b/a.json", strings.Replace(gremlinsJSON, `"LIVED"`, `"KILLED"`, 1))
	if err := compareRuns(&out, "out", "out/b", []string{"internal/a"}); !errors.Is(err, errDiffer) {
		t.Errorf("err %v, want errDiffer", err)
	}
}

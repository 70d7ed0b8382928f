package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The statuses gremlins writes for a mutant.
const (
	Killed     = "KILLED"
	Lived      = "LIVED"
	TimedOut   = "TIMED OUT"
	NotCovered = "NOT COVERED"
	NotViable  = "NOT VIABLE"
	Skipped    = "SKIPPED"
)

// output is the part of gremlins' JSON file that the report reads.
type output struct {
	Files []struct {
		FileName  string `json:"file_name"`
		Mutations []struct {
			Type   string `json:"type"`
			Status string `json:"status"`
			Line   int    `json:"line"`
			Column int    `json:"column"`
		} `json:"mutations"`
	} `json:"files"`
	ElapsedTime float64 `json:"elapsed_time"`
}

// Mutant is one mutation of one package.
type Mutant struct {
	// File is the file's path from the module root (internal/web/json.go).
	File         string
	Line, Column int
	Type, Status string
	// Code is the mutated line as it is in the work tree, trimmed.
	Code string
}

// Result is one package's run.
type Result struct {
	// Package is the package directory (internal/web).
	Package string
	Mutants []Mutant
	// Counts by status.
	Counts map[string]int
	// Seconds is the wall time of the whole gremlins run (coverage run
	// included), or 0 when unknown.
	Seconds int
}

// Efficacy is gremlins' test efficacy: killed / (killed + lived), in
// percent; ok is false when no mutant was killed or lived.
func (r Result) Efficacy() (pct float64, ok bool) {
	k, l := r.Counts[Killed], r.Counts[Lived]
	if k+l == 0 {
		return 0, false
	}
	return 100 * float64(k) / float64(k+l), true
}

// Coverage is gremlins' mutator coverage: (killed + lived) / (killed +
// lived + not covered), in percent; ok is false when there is no mutant.
func (r Result) Coverage() (pct float64, ok bool) {
	k, l, c := r.Counts[Killed], r.Counts[Lived], r.Counts[NotCovered]
	if k+l+c == 0 {
		return 0, false
	}
	return 100 * float64(k+l) / float64(k+l+c), true
}

// ResultName is the base name of pkg's files in the results directory:
// internal/session → session, internal/session/sessiontest →
// session-sessiontest.
func ResultName(pkg string) string {
	return strings.ReplaceAll(strings.TrimPrefix(path.Clean(pkg), "internal/"), "/", "-")
}

// Load reads pkg's results from dir and the mutated lines from the work
// tree.
func Load(dir, pkg string) (Result, error) {
	pkg = path.Clean(pkg)
	name := ResultName(pkg)
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return Result{}, err
	}
	var out output
	if err := json.Unmarshal(raw, &out); err != nil {
		return Result{}, fmt.Errorf("%s.json: %w", name, err)
	}
	r := Result{Package: pkg, Counts: map[string]int{}}
	if s, err := os.ReadFile(filepath.Join(dir, name+".seconds")); err == nil {
		r.Seconds, _ = strconv.Atoi(strings.TrimSpace(string(s)))
	}
	for _, f := range out.Files {
		file := path.Join(pkg, filepath.ToSlash(f.FileName))
		lines, err := readLines(filepath.FromSlash(file))
		if err != nil {
			return Result{}, err
		}
		for _, m := range f.Mutations {
			mu := Mutant{File: file, Line: m.Line, Column: m.Column, Type: m.Type, Status: m.Status}
			if m.Line >= 1 && m.Line <= len(lines) {
				mu.Code = strings.TrimSpace(lines[m.Line-1])
			}
			r.Mutants = append(r.Mutants, mu)
			r.Counts[m.Status]++
		}
	}
	sort.Slice(r.Mutants, func(i, j int) bool {
		a, b := r.Mutants[i], r.Mutants[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.Type < b.Type
	})
	return r, nil
}

func readLines(file string) ([]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
	}
	return lines, s.Err()
}

// Bars are the lowest efficacy and coverage a package may have.
type Bars struct{ Efficacy, Coverage float64 }

// Missed says which bars r is below ("" when none).
func (b Bars) Missed(r Result) string {
	var missed []string
	if e, ok := r.Efficacy(); ok && e < b.Efficacy {
		missed = append(missed, fmt.Sprintf("efficacy %.1f%% < %g%%", e, b.Efficacy))
	}
	if c, ok := r.Coverage(); ok && c < b.Coverage {
		missed = append(missed, fmt.Sprintf("coverage %.1f%% < %g%%", c, b.Coverage))
	}
	return strings.Join(missed, ", ")
}

// WriteTable writes the per-package table (Markdown).
func WriteTable(w io.Writer, results []Result) {
	fmt.Fprintln(w, "| package | mutants | killed | lived | timed out | not covered | not viable | test efficacy | mutator coverage | run time |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Fprintf(w, "| `%s` | %d | %d | %d | %d | %d | %d | %s | %s | %s |\n",
			r.Package, len(r.Mutants)-r.Counts[Skipped], r.Counts[Killed], r.Counts[Lived], r.Counts[TimedOut],
			r.Counts[NotCovered], r.Counts[NotViable], pct(r.Efficacy()), pct(r.Coverage()), duration(r.Seconds))
	}
}

func pct(v float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", v)
}

func duration(s int) string {
	switch {
	case s <= 0:
		return "—"
	case s < 60:
		return fmt.Sprintf("%d s", s)
	default:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
}

// WriteSurvivors lists, per package, each mutant that was not killed
// (lived, timed out, not covered) with its line and, for the first two,
// the docs' explanation or "UNEXPLAINED"; and each package below a bar. It
// returns the number of problems: unexplained LIVED or TIMED OUT mutants
// and missed bars.
func WriteSurvivors(w io.Writer, results []Result, explained []Explanation, bars Bars) int {
	problems := 0
	for _, r := range results {
		var lines []string
		for _, m := range r.Mutants {
			switch m.Status {
			case Lived, TimedOut:
				why := "UNEXPLAINED (kill it with a test, or explain it in the docs' table)"
				if e, ok := Explain(explained, m); ok {
					why = "explained: " + e.Reason
				} else {
					problems++
				}
				lines = append(lines, fmt.Sprintf("  %-11s %s:%d:%d %s  %s\n      %s", m.Status, m.File, m.Line, m.Column, m.Type, m.Code, why))
			case NotCovered:
				lines = append(lines, fmt.Sprintf("  %-11s %s:%d:%d %s  %s", m.Status, m.File, m.Line, m.Column, m.Type, m.Code))
			}
		}
		missed := bars.Missed(r)
		if missed != "" {
			problems++
		}
		if len(lines) == 0 && missed == "" {
			continue
		}
		fmt.Fprintf(w, "\n%s:\n", r.Package)
		if missed != "" {
			fmt.Fprintf(w, "  BELOW THE BARS: %s\n", missed)
		}
		for _, l := range lines {
			fmt.Fprintln(w, l)
		}
	}
	return problems
}

// Compare lists the mutants whose status differs between two runs of one
// package, and those only one run has.
func Compare(a, b Result) []string {
	key := func(m Mutant) string { return fmt.Sprintf("%s:%d:%d %s", m.File, m.Line, m.Column, m.Type) }
	inB := map[string]string{}
	for _, m := range b.Mutants {
		inB[key(m)] = m.Status
	}
	var out []string
	for _, m := range a.Mutants {
		k := key(m)
		sb, ok := inB[k]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s, missing in the other run", k, m.Status))
		case sb != m.Status:
			out = append(out, fmt.Sprintf("%s: %s, then %s", k, m.Status, sb))
		}
		delete(inB, k)
	}
	var rest []string
	for k, s := range inB {
		rest = append(rest, fmt.Sprintf("%s: missing, then %s", k, s))
	}
	sort.Strings(rest)
	return append(out, rest...)
}

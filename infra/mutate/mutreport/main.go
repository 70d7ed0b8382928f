// Command mutreport turns the JSON files that gremlins writes (`gremlins
// unleash --output`), one per package, into the table of docs/testing.md,
// lists every mutant that no test killed with its line of code, and checks
// the bars:
//
//	mutreport [-dir .local/mutate] [-docs docs/testing.md] [-efficacy 95] [-coverage 80] [-check] PKG...
//	mutreport -compare OTHERDIR [-dir .local/mutate] PKG...
//
// PKG is a package directory such as internal/session; its results are
// DIR/session.json (and DIR/session.seconds, the run's wall time, written
// by infra/mutate/mutate.sh). A package without a JSON file is left out
// (mutate-short writes only the packages a change touched).
//
// With -check it exits 1 when a package is below either bar, or when a
// LIVED or TIMED OUT mutant is not explained in the docs' table of
// equivalent mutants (a row with the file, the mutator and a piece of the
// mutated line, see Explanation).
//
// With -compare it compares two runs mutant by mutant (to show that the
// settings give stable results) and exits 1 when any status differs.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	dir := flag.String("dir", ".local/mutate", "directory of gremlins' JSON files (<pkg>.json)")
	docs := flag.String("docs", "docs/testing.md", "the page whose table explains the equivalent mutants")
	efficacy := flag.Float64("efficacy", 95, "lowest test efficacy (%) -check accepts")
	coverage := flag.Float64("coverage", 80, "lowest mutator coverage (%) -check accepts")
	check := flag.Bool("check", false, "exit 1 when a bar is missed or a surviving mutant is unexplained")
	compare := flag.String("compare", "", "another run's directory: list the mutants whose status differs")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: mutreport [flags] PKG...")
		os.Exit(2)
	}
	if *compare != "" {
		exit(compareRuns(os.Stdout, *dir, *compare, flag.Args()))
	}
	exit(run(os.Stdout, options{
		Dir: *dir, Docs: *docs, Packages: flag.Args(),
		Bars: Bars{Efficacy: *efficacy, Coverage: *coverage}, Check: *check,
	}))
}

// exit ends the command: 0 for nil, 1 for errBars or errDiffer, 2 otherwise.
func exit(err error) {
	if errors.Is(err, errBars) || errors.Is(err, errDiffer) {
		fmt.Fprintln(os.Stderr, "mutreport:", err)
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutreport:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

// options are the command line's settings.
type options struct {
	Dir, Docs string
	Packages  []string
	Bars      Bars
	Check     bool
}

// errBars says that -check found a package below a bar or an unexplained
// survivor (exit status 1; anything else is 2).
var errBars = errors.New("below the bars")

func run(w io.Writer, o options) error {
	var explained []Explanation
	if o.Docs != "" {
		doc, err := os.ReadFile(o.Docs)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if explained, err = ParseExplanations(string(doc)); err != nil {
			return fmt.Errorf("%s: %w", o.Docs, err)
		}
	}
	var results []Result
	for _, pkg := range o.Packages {
		r, err := Load(o.Dir, pkg)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	if len(results) == 0 {
		fmt.Fprintln(w, "no gremlins results for", o.Packages)
		return nil
	}
	WriteTable(w, results)
	problems := WriteSurvivors(w, results, explained, o.Bars)
	if o.Check && problems > 0 {
		return fmt.Errorf("%w: %d problem(s) above", errBars, problems)
	}
	return nil
}

// errDiffer says that -compare found a mutant whose status differs.
var errDiffer = errors.New("the runs differ")

// compareRuns loads each package from both directories and prints, per
// package, the number of mutants with the same status or each one that
// differs.
func compareRuns(w io.Writer, dirA, dirB string, pkgs []string) error {
	differ := 0
	for _, pkg := range pkgs {
		a, err := Load(dirA, pkg)
		if err != nil {
			return err
		}
		b, err := Load(dirB, pkg)
		if err != nil {
			return err
		}
		diffs := Compare(a, b)
		fmt.Fprintf(w, "%s: %d mutants, %d differ (%s / %s)\n", pkg, len(a.Mutants), len(diffs), duration(a.Seconds), duration(b.Seconds))
		for _, d := range diffs {
			fmt.Fprintln(w, "  "+d)
		}
		differ += len(diffs)
	}
	if differ > 0 {
		return fmt.Errorf("%w: %d mutant(s)", errDiffer, differ)
	}
	return nil
}

// Command covfix adds to a Go coverage profile the code that Go's cover
// tool leaves outside every block although the tests ran it, so that
// gremlins, which calls a mutant NOT COVERED when no executed block holds
// its position, tests those mutants instead of skipping them:
//
//	covfix PROFILE
//
// rewrites PROFILE in place (run in the module root). Two kinds of code get
// a block (0 statements, count 1):
//
//   - the expressions of a switch's case clause (between `case` and `:`),
//     when the profile proves they were evaluated: the switch was reached
//     and the clause is the first one Go evaluates, or its body ran, or the
//     body of a clause Go evaluates after it ran (then this one was
//     evaluated and false); default is evaluated last;
//   - package-level var and const values (without function literals) of a
//     package whose tests ran: every test binary of the package evaluates
//     them before the first test.
//
// It never marks code covered that did not run, so a mutant it lets
// gremlins test comes out KILLED or LIVED on its merits; without it, such a
// mutant is reported NOT COVERED whatever the tests do.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: covfix PROFILE (in the module root)")
		os.Exit(2)
	}
	if err := fixFile(os.Args[1], "."); err != nil {
		fmt.Fprintln(os.Stderr, "covfix:", err)
		os.Exit(1)
	}
}

// fixFile rewrites the profile at name; root is the module root.
func fixFile(name, root string) error {
	raw, err := os.ReadFile(name)
	if err != nil {
		return err
	}
	module, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return err
	}
	added, err := Fix(raw, module, root)
	if err != nil {
		return err
	}
	return os.WriteFile(name, append(raw, added...), 0o644)
}

// modulePath reads the module line of a go.mod file.
func modulePath(gomod string) (string, error) {
	raw, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s: no module line", gomod)
}

// Block is one line of a coverage profile.
type Block struct {
	StartLine, StartCol, EndLine, EndCol int
	Count                                int
}

// Fix returns the profile lines to append to profile (whose files are
// named by import path under module, found under root).
func Fix(profile []byte, module, root string) ([]byte, error) {
	blocks, err := parseProfile(profile)
	if err != nil {
		return nil, err
	}
	ran := map[string]bool{} // package directories with an executed block
	for file, bs := range blocks {
		for _, b := range bs {
			if b.Count > 0 {
				ran[path.Dir(file)] = true
			}
		}
	}
	var files []string
	for file := range blocks {
		files = append(files, file)
	}
	for dir := range ran {
		more, err := unprofiled(dir, module, root, blocks)
		if err != nil {
			return nil, err
		}
		files = append(files, more...)
	}
	sort.Strings(files)
	var out bytes.Buffer
	for _, file := range files {
		rel, ok := strings.CutPrefix(file, module+"/")
		if !ok {
			continue // outside the module: not ours to mutate
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil, err
		}
		add, err := fixSource(src, blocks[file], ran[path.Dir(file)])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel, err)
		}
		for _, b := range add {
			fmt.Fprintf(&out, "%s:%d.%d,%d.%d 0 1\n", file, b.StartLine, b.StartCol, b.EndLine, b.EndCol)
		}
	}
	return out.Bytes(), nil
}

// unprofiled returns the files of the package dir (an import path under
// module) that the profile does not name although the package's test
// binary compiled them: files with no function, only package-level values
// (session.DefaultTimeouts in a file of its own). cover writes no line for
// such a file, yet its values are evaluated with the rest of the package.
func unprofiled(dir, module, root string, blocks map[string][]Block) ([]string, error) {
	rel, ok := strings.CutPrefix(dir, module+"/")
	switch {
	case dir == module:
		rel = "."
	case !ok:
		return nil, nil // outside the module: not ours to mutate
	}
	entries, err := os.ReadDir(filepath.Join(root, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		file := dir + "/" + name
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || blocks[file] != nil {
			continue
		}
		match, err := build.Default.MatchFile(filepath.Join(root, filepath.FromSlash(rel)), name)
		if err != nil {
			return nil, err
		}
		if match {
			out = append(out, file)
		}
	}
	return out, nil
}

// parseProfile reads a profile's blocks by file (the mode line is skipped).
func parseProfile(profile []byte) (map[string][]Block, error) {
	blocks := map[string][]Block{}
	s := bufio.NewScanner(bytes.NewReader(profile))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "mode:") {
			continue
		}
		file, b, err := parseBlock(line)
		if err != nil {
			return nil, fmt.Errorf("profile line %d: %w", n, err)
		}
		blocks[file] = append(blocks[file], b)
	}
	return blocks, s.Err()
}

// parseBlock reads "file:12.3,14.5 2 1".
func parseBlock(line string) (string, Block, error) {
	colon := strings.LastIndex(line, ":")
	if colon < 0 {
		return "", Block{}, errors.New("no colon")
	}
	fields := strings.Fields(line[colon+1:])
	if len(fields) != 3 {
		return "", Block{}, fmt.Errorf("want pos stmts count: %q", line)
	}
	var b Block
	if _, err := fmt.Sscanf(fields[0], "%d.%d,%d.%d", &b.StartLine, &b.StartCol, &b.EndLine, &b.EndCol); err != nil {
		return "", Block{}, fmt.Errorf("position %q: %w", fields[0], err)
	}
	count, err := strconv.Atoi(fields[2])
	if err != nil {
		return "", Block{}, fmt.Errorf("count %q: %w", fields[2], err)
	}
	b.Count = count
	return line[:colon], b, nil
}

// fixSource finds the blocks to add to one file, given its profile blocks
// and whether its package's tests ran.
func fixSource(src []byte, blocks []Block, pkgRan bool) ([]Block, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	pos := func(p token.Pos) (int, int) { q := fset.Position(p); return q.Line, q.Column }
	span := func(from, to token.Pos) Block {
		b := Block{Count: 1}
		b.StartLine, b.StartCol = pos(from)
		b.EndLine, b.EndCol = pos(to)
		return b
	}
	var add []Block
	if pkgRan {
		add = append(add, packageValues(f, span)...)
	}
	ast.Inspect(f, func(n ast.Node) bool {
		var body *ast.BlockStmt
		switch s := n.(type) {
		case *ast.SwitchStmt:
			body = s.Body
		case *ast.TypeSwitchStmt:
			body = s.Body
		default:
			return true
		}
		line, col := pos(n.Pos())
		if !executed(blocks, line, col) {
			return true // the switch was never reached
		}
		for _, c := range evaluated(body, blocks, pos) {
			add = append(add, span(c.Case, c.Colon))
		}
		return true
	})
	return add, nil
}

// packageValues returns a block for each package-level var or const value
// that holds no function literal (a literal's body runs only when called).
func packageValues(f *ast.File, span func(from, to token.Pos) Block) []Block {
	var add []Block
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || (g.Tok != token.VAR && g.Tok != token.CONST) {
			continue
		}
		for _, spec := range g.Specs {
			for _, v := range spec.(*ast.ValueSpec).Values {
				if !hasFuncLit(v) {
					add = append(add, span(v.Pos(), v.End()))
				}
			}
		}
	}
	return add
}

func hasFuncLit(e ast.Expr) bool {
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			found = true
		}
		return !found
	})
	return found
}

// evaluated returns the case clauses of a reached switch whose expressions
// the profile proves evaluated (see the package comment).
func evaluated(body *ast.BlockStmt, blocks []Block, pos func(token.Pos) (int, int)) []*ast.CaseClause {
	// Go's evaluation order: the clauses with expressions in source order,
	// then default.
	var order []*ast.CaseClause
	var def *ast.CaseClause
	for _, s := range body.List {
		c := s.(*ast.CaseClause)
		if c.List == nil {
			def = c
		} else {
			order = append(order, c)
		}
	}
	if def != nil {
		order = append(order, def)
	}
	ranBody := make([]bool, len(order))
	for i, c := range order {
		at := c.Colon + 1 // cover's block of an empty body starts after the colon
		if len(c.Body) > 0 {
			at = c.Body[0].Pos()
		}
		line, col := pos(at)
		ranBody[i] = startsExecuted(blocks, line, col)
	}
	var out []*ast.CaseClause
	later := false // a clause evaluated after i ran its body
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		if c.List != nil && (i == 0 || ranBody[i] || later) {
			out = append(out, c)
		}
		later = later || ranBody[i]
	}
	return out
}

// executed reports whether an executed block holds line:col.
func executed(blocks []Block, line, col int) bool {
	for _, b := range blocks {
		if b.Count == 0 {
			continue
		}
		after := line > b.StartLine || line == b.StartLine && col >= b.StartCol
		before := line < b.EndLine || line == b.EndLine && col <= b.EndCol
		if after && before {
			return true
		}
	}
	return false
}

// startsExecuted reports whether an executed block starts at line:col.
func startsExecuted(blocks []Block, line, col int) bool {
	for _, b := range blocks {
		if b.Count > 0 && b.StartLine == line && b.StartCol == col {
			return true
		}
	}
	return false
}

package main

import (
	"fmt"
	"strings"
)

// Explanation is one row of the docs' table of surviving mutants that no
// test can kill:
//
//	| file | mutator | code | why no test can kill it |
//	|---|---|---|---|
//	| `internal/web/json.go` | CONDITIONALS_BOUNDARY | `n >= limit` | ... |
//
// It explains a LIVED or TIMED OUT mutant of that file and mutator whose
// line (trimmed) contains the code. A "|" inside a cell is written "\|",
// as Markdown wants it.
type Explanation struct {
	File, Type, Code, Reason string
	// Line is the row's line number in the docs (for messages).
	Line int
}

// explainHeader is how the table's header row starts (cells lower-cased).
var explainHeader = []string{"file", "mutator", "code"}

// ParseExplanations reads every table of doc whose header starts with
// file | mutator | code.
func ParseExplanations(doc string) ([]Explanation, error) {
	var out []Explanation
	in := false
	for i, line := range strings.Split(doc, "\n") {
		cells, ok := tableRow(line)
		switch {
		case !ok:
			in = false
		case isHeader(cells):
			in = true
		case !in || isRule(cells):
		case len(cells) < 4:
			return nil, fmt.Errorf("line %d: a row of the equivalent-mutants table needs 4 cells: %q", i+1, line)
		default:
			e := Explanation{File: unquote(cells[0]), Type: unquote(cells[1]), Code: unquote(cells[2]),
				Reason: strings.TrimSpace(cells[3]), Line: i + 1}
			if e.File == "" || e.Type == "" || e.Code == "" {
				return nil, fmt.Errorf("line %d: empty file, mutator or code: %q", i+1, line)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// tableRow splits a Markdown table row into its cells, "\|" kept as "|".
func tableRow(line string) ([]string, bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
		return nil, false
	}
	const bar = "\x00"
	line = strings.ReplaceAll(line[1:len(line)-1], `\|`, bar)
	cells := strings.Split(line, "|")
	for i, c := range cells {
		cells[i] = strings.TrimSpace(strings.ReplaceAll(c, bar, "|"))
	}
	return cells, true
}

func isHeader(cells []string) bool {
	if len(cells) < len(explainHeader) {
		return false
	}
	for i, h := range explainHeader {
		if strings.ToLower(cells[i]) != h {
			return false
		}
	}
	return true
}

func isRule(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":-") != "" {
			return false
		}
	}
	return true
}

// unquote removes one pair of backticks around a cell.
func unquote(cell string) string {
	if len(cell) >= 2 && cell[0] == '`' && cell[len(cell)-1] == '`' {
		return cell[1 : len(cell)-1]
	}
	return cell
}

// Explain finds the explanation of m, if any.
func Explain(explained []Explanation, m Mutant) (Explanation, bool) {
	for _, e := range explained {
		if e.File == m.File && e.Type == m.Type && strings.Contains(m.Code, e.Code) {
			return e, true
		}
	}
	return Explanation{}, false
}

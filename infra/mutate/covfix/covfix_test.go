package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// src is the file the profiles below were made from (go test -cover
// -coverprofile with go1.27.3, then trimmed to the case at hand).
const src = `package c

var Limit = 19 * 1024

var handler = func(n int) int { return n * 2 }

const (
	A = 1 << 3
	B = A - 1
)

func F(n int) string {
	switch {
	case n < 0:
		return "neg"
	case n > 10:
		return "big"
	default:
	}
	switch n {
	case 1, 2:
	}
	return "small"
}
`

// The lines of src's blocks, as cover writes them.
const (
	switch1  = "m/c.go:13.2,13.9 1 %d\n"  // reaching the first switch
	negBody  = "m/c.go:15.3,15.15 1 %d\n" // case n < 0
	bigBody  = "m/c.go:17.3,17.15 1 %d\n" // case n > 10
	defBody  = "m/c.go:18.10,18.10 0 %d\n"
	switch2  = "m/c.go:20.2,20.11 1 %d\n"
	onesBody = "m/c.go:21.12,21.12 0 %d\n"
	tail     = "m/c.go:23.2,23.16 1 %d\n"
)

// profile builds a profile from block lines and their counts.
func profile(lines ...any) string {
	var b strings.Builder
	b.WriteString("mode: set\n")
	for i := 0; i < len(lines); i += 2 {
		b.WriteString(strings.Replace(lines[i].(string), "%d", itoa(lines[i+1].(int)), 1))
	}
	return b.String()
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	return "1"
}

// The blocks Fix adds for each piece of src.
const (
	limitBlock = "m/c.go:3.13,3.22 0 1\n"
	aBlock     = "m/c.go:8.6,8.12 0 1\n"
	bBlock     = "m/c.go:9.6,9.11 0 1\n"
	negCase    = "m/c.go:14.2,14.12 0 1\n"
	bigCase    = "m/c.go:16.2,16.13 0 1\n"
	onesCase   = "m/c.go:21.2,21.11 0 1\n"
)

func fix(t *testing.T, prof string) string {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "c.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := Fix([]byte(prof), "m", root)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestFix(t *testing.T) {
	values := limitBlock + aBlock + bBlock // never the function literal's
	for _, tt := range []struct {
		name, profile, want string
	}{
		{"nothing ran: nothing added",
			profile(switch1, 0, negBody, 0, bigBody, 0, defBody, 0, switch2, 0, onesBody, 0, tail, 0), ""},
		{"switch reached, the default ran: every case was evaluated and false",
			profile(switch1, 1, negBody, 0, bigBody, 0, defBody, 1, switch2, 1, onesBody, 0, tail, 1),
			values + negCase + bigCase + onesCase},
		{"first case ran each time: the second was never evaluated",
			profile(switch1, 1, negBody, 1, bigBody, 0, defBody, 0, switch2, 0, onesBody, 0, tail, 0),
			values + negCase},
		{"second case ran: both evaluated",
			profile(switch1, 1, negBody, 0, bigBody, 1, defBody, 0, switch2, 0, onesBody, 0, tail, 0),
			values + negCase + bigCase},
		{"an empty case body that ran",
			profile(switch1, 1, negBody, 1, bigBody, 0, defBody, 0, switch2, 1, onesBody, 1, tail, 1),
			values + negCase + onesCase},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := fix(t, tt.profile)
			if sorted(got) != sorted(tt.want) {
				t.Errorf("added\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func sorted(lines string) string {
	l := strings.Split(strings.TrimSpace(lines), "\n")
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j] < l[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
	return strings.Join(l, "\n")
}

// TestFixValuesOnlyFile: a file with no function gets no line from cover,
// but when its package's tests ran its values were evaluated, so they get
// blocks too; a test file, a file the build leaves out, and a file of a
// package whose tests did not run get none.
func TestFixValuesOnlyFile(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"c.go":          src,
		"defaults.go":   "package c\n\nvar Default = T{Idle: 30 * 60}\n",
		"c_test.go":     "package c\n\nvar x = 1 + 1\n",
		"ignored.go":    "//go:build ignore\n\npackage c\n\nvar y = 2 * 2\n",
		"d/defaults.go": "package d\n\nvar Z = 3 * 3\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const defaultBlock = "m/defaults.go:3.15,3.31 0 1\n"
	for _, tt := range []struct {
		name, profile, want string
	}{
		{"package ran", profile(switch1, 1, negBody, 1, bigBody, 0, defBody, 0, switch2, 0, onesBody, 0, tail, 0),
			limitBlock + aBlock + bBlock + negCase + defaultBlock},
		{"package did not run", profile(switch1, 0, negBody, 0, bigBody, 0, defBody, 0, switch2, 0, onesBody, 0, tail, 0), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Fix([]byte(tt.profile), "m", root)
			if err != nil {
				t.Fatal(err)
			}
			if sorted(string(got)) != sorted(tt.want) {
				t.Errorf("added\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestFixSkipsOtherModules(t *testing.T) {
	if got := fix(t, "mode: set\nother.org/x/c.go:1.1,2.2 1 1\n"); got != "" {
		t.Errorf("added %q for a file outside the module", got)
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{"m/c.go 1 1", "m/c.go:1.1,2.2 1", "m/c.go:1.1-2.2 1 1", "m/c.go:1.1,2.2 1 x"} {
		if _, err := Fix([]byte("mode: set\n"+bad+"\n"), "m", t.TempDir()); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

// TestFixFile runs the whole command on a real profile of src, made by go
// test -cover in a temporary module, and checks that it keeps the
// profile's lines and appends the added ones.
func TestFixFile(t *testing.T) {
	root := t.TempDir()
	for name, body := range map[string]string{
		"go.mod": "module m\n\ngo 1.26\n",
		"c.go":   src,
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	prof := profile(switch1, 1, negBody, 0, bigBody, 0, defBody, 1, switch2, 1, onesBody, 0, tail, 1)
	name := filepath.Join(root, "cover.out")
	if err := os.WriteFile(name, []byte(prof), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fixFile(name, root); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(name)
	if !strings.HasPrefix(string(got), prof) || !strings.Contains(string(got), negCase) {
		t.Errorf("profile after fixFile:\n%s", got)
	}
	if err := fixFile(filepath.Join(root, "missing.out"), root); err == nil {
		t.Error("no error for a missing profile")
	}
}

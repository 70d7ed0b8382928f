package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// emfLine is the part of an EMF line these tests read.
type emfLine struct {
	Msg string `json:"msg"`
	AWS struct {
		Timestamp         int64 `json:"Timestamp"`
		CloudWatchMetrics []struct {
			Namespace  string     `json:"Namespace"`
			Dimensions [][]string `json:"Dimensions"`
			Metrics    []struct {
				Name string `json:"Name"`
				Unit string `json:"Unit"`
			} `json:"Metrics"`
		} `json:"CloudWatchMetrics"`
	} `json:"_aws"`
}

// lines splits what a JSON logger wrote into decoded objects.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		out = append(out, m)
	}
	return out
}

func decode(t *testing.T, line map[string]any) emfLine {
	t.Helper()
	js, _ := json.Marshal(line)
	var e emfLine
	if err := json.Unmarshal(js, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestFlushWritesOneEMFLineWithTheCounts(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ctx, rec := NewContext(context.Background(), "Sessionlab/test")
	Add(ctx, StoreUnavailable)
	Add(ctx, FailedPasswordChecks)
	Add(ctx, StoreUnavailable)
	at := time.UnixMilli(1_700_000_000_123)
	rec.Flush(ctx, logger, at)

	got := lines(t, &buf)
	if len(got) != 1 {
		t.Fatalf("%d lines, want 1: %s", len(got), buf.String())
	}
	line := got[0]
	if line[string(StoreUnavailable)] != float64(2) || line[string(FailedPasswordChecks)] != float64(1) {
		t.Errorf("counts %v, want StoreUnavailable 2 and FailedPasswordChecks 1", line)
	}
	if _, ok := line[string(Logins)]; ok {
		t.Error("a metric nobody counted is in the line")
	}
	e := decode(t, line)
	if e.Msg != LogMessage || line["level"] != "INFO" {
		t.Errorf("msg %q level %v, want %q INFO", e.Msg, line["level"], LogMessage)
	}
	if e.AWS.Timestamp != at.UnixMilli() {
		t.Errorf("Timestamp %d, want %d (epoch milliseconds)", e.AWS.Timestamp, at.UnixMilli())
	}
	if len(e.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("%d directives, want 1", len(e.AWS.CloudWatchMetrics))
	}
	d := e.AWS.CloudWatchMetrics[0]
	if d.Namespace != "Sessionlab/test" {
		t.Errorf("Namespace %q", d.Namespace)
	}
	if len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 0 {
		t.Errorf("Dimensions %v, want one empty set [[]]", d.Dimensions)
	}
	var names []string
	for _, m := range d.Metrics {
		names = append(names, m.Name)
		if m.Unit != Unit {
			t.Errorf("%s: Unit %q, want %q", m.Name, m.Unit, Unit)
		}
	}
	if want := []string{"FailedPasswordChecks", "StoreUnavailable"}; !slices.Equal(names, want) {
		t.Errorf("metrics %v, want %v", names, want)
	}
}

func TestFlushStartsAfresh(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ctx, rec := NewContext(context.Background(), "ns")
	rec.Flush(ctx, logger, time.Now())
	if buf.Len() != 0 {
		t.Fatalf("a request that counted nothing wrote %s", buf.String())
	}
	Add(ctx, Logins)
	rec.Flush(ctx, logger, time.Now())
	rec.Flush(ctx, logger, time.Now())
	if got := lines(t, &buf); len(got) != 1 || got[0]["Logins"] != float64(1) {
		t.Fatalf("after one Add and two flushes: %s", buf.String())
	}
}

func TestAddWithoutRecorderDoesNothing(t *testing.T) {
	Add(context.Background(), Logins) // must not panic
	ctx, rec := NewContext(context.Background(), "ns")
	Add(context.WithValue(context.Background(), ctxKey{}, "not a recorder"), Logins)
	var buf bytes.Buffer
	rec.Flush(ctx, slog.New(slog.NewJSONHandler(&buf, nil)), time.Now())
	if buf.Len() != 0 {
		t.Fatalf("another context's Add reached this recorder: %s", buf.String())
	}
}

func TestHandler(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	loggerFor := func(context.Context) *slog.Logger { return logger }
	count := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Add(r.Context(), DirectRequestsRefused)
		if r.URL.Path == "/panic" {
			panic("boom")
		}
		w.WriteHeader(http.StatusForbidden)
	})

	off := Handler(count, "", loggerFor)
	off.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	if buf.Len() != 0 {
		t.Fatalf("no namespace, yet a line: %s", buf.String())
	}

	on := Handler(count, "Sessionlab/s", loggerFor)
	w := httptest.NewRecorder()
	on.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != http.StatusForbidden {
		t.Errorf("status %d: the handler's answer must pass through", w.Code)
	}
	func() {
		defer func() { _ = recover() }()
		on.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/panic", nil))
	}()
	got := lines(t, &buf)
	if len(got) != 2 {
		t.Fatalf("%d lines for two requests (one panicking), want 2: %s", len(got), buf.String())
	}
	for _, l := range got {
		if e := decode(t, l); l["DirectRequestsRefused"] != float64(1) || e.AWS.CloudWatchMetrics[0].Namespace != "Sessionlab/s" {
			t.Errorf("line %v", l)
		}
	}
}

func TestAllIsSortedCompleteAndDistinct(t *testing.T) {
	if !slices.IsSorted(All) {
		t.Errorf("All is not sorted: %v", All)
	}
	if len(slices.Compact(slices.Clone(All))) != len(All) {
		t.Errorf("All repeats a name: %v", All)
	}
	for _, n := range All {
		if n == "" || strings.ContainsAny(string(n), " .:/") || n == "level" || n == "msg" || n == "time" || n == "_aws" {
			t.Errorf("%q cannot be a metric member of a log line", n)
		}
	}
	var declared []Name
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "metrics.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ast.Inspect(file, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok && v.Type != nil && fmt.Sprint(v.Type) == "Name" {
			for i, val := range v.Values {
				lit, _ := strconv.Unquote(val.(*ast.BasicLit).Value)
				declared = append(declared, Name(lit))
				// internal/templatetest finds metrics.Add(ctx, metrics.X) in the
				// code by the constant's name: it must be the metric's name.
				if v.Names[i].Name != lit {
					t.Errorf("constant %s is the metric %q: name them alike", v.Names[i].Name, lit)
				}
			}
		}
		return true
	})
	slices.Sort(declared)
	if !slices.Equal(declared, All) {
		t.Errorf("the Name constants of metrics.go are %v; All is %v", declared, All)
	}
}

// Command respcmp supports infra/sam-local/sam-local.sh in comparing `make
// invoke` with the real `sam local invoke` on the project's sample events.
//
//	respcmp route TEMPLATE EVENT...   print "FUNCTION EVENT" for each event, the
//	                                  function whose HttpApi route the event's routeKey names
//	respcmp compare WANT GOT          compare two API Gateway v2 response events;
//	                                  print the differences and exit 1 if any
//	respcmp warmup TEMPLATE           print "FUNCTION METHOD PATH", one route per
//	                                  function to wake its container with
//
// Both commands read what the tools print: the response event may follow
// log lines.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "respcmp:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	switch {
	case len(args) >= 3 && args[0] == "route":
		return routeEvents(args[1], args[2:], out)
	case len(args) == 3 && args[0] == "compare":
		return compareFiles(args[1], args[2], out)
	case len(args) == 2 && args[0] == "warmup":
		tpl, err := samtemplate.Load(args[1])
		if err != nil {
			return err
		}
		for _, fn := range tpl.Functions {
			if r, ok := WarmupRoute(fn); ok {
				fmt.Fprintln(out, fn.Name, r.Method, r.Path)
			}
		}
		return nil
	default:
		return errors.New("usage: respcmp route TEMPLATE EVENT... | respcmp compare WANT GOT | respcmp warmup TEMPLATE")
	}
}

// WarmupRoute picks the route of fn that is safest to call just to start
// its runtime: a GET without path parameters if there is one, else the
// first route, its parameters filled with "warmup".
func WarmupRoute(fn samtemplate.Function) (samtemplate.Route, bool) {
	if len(fn.Routes) == 0 {
		return samtemplate.Route{}, false
	}
	for _, r := range fn.Routes {
		if r.Method == "GET" && !strings.Contains(r.Path, "{") {
			return r, true
		}
	}
	r := fn.Routes[0]
	r.Path = pathParam.ReplaceAllString(r.Path, "warmup")
	return r, true
}

var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func routeEvents(templatePath string, events []string, out io.Writer) error {
	tpl, err := samtemplate.Load(templatePath)
	if err != nil {
		return err
	}
	for _, path := range events {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read event: %w", err)
		}
		fn, err := FunctionFor(tpl, data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintln(out, fn, path)
	}
	return nil
}

// FunctionFor returns the function whose route key is the event's routeKey.
func FunctionFor(tpl *samtemplate.Template, event []byte) (string, error) {
	var ev struct {
		RouteKey string `json:"routeKey"`
	}
	if err := json.Unmarshal(event, &ev); err != nil {
		return "", fmt.Errorf("read event: %w", err)
	}
	if ev.RouteKey == "" {
		return "", errors.New("event has no routeKey")
	}
	for _, fn := range tpl.Functions {
		for _, r := range fn.Routes {
			if r.Key() == ev.RouteKey {
				return fn.Name, nil
			}
		}
	}
	return "", fmt.Errorf("no function in the template has the route %q", ev.RouteKey)
}

func compareFiles(wantPath, gotPath string, out io.Writer) error {
	want, err := readResponse(wantPath)
	if err != nil {
		return err
	}
	got, err := readResponse(gotPath)
	if err != nil {
		return err
	}
	diffs := Compare(want, got)
	for _, d := range diffs {
		fmt.Fprintln(out, "  "+d)
	}
	if len(diffs) > 0 {
		return fmt.Errorf("%s and %s differ in %d ways", wantPath, gotPath, len(diffs))
	}
	return nil
}

func readResponse(path string) (Response, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Response{}, fmt.Errorf("read response: %w", err)
	}
	r, err := ParseResponse(data)
	if err != nil {
		return Response{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

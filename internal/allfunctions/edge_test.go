package allfunctions_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/web"
)

// TestEveryFunctionChecksTheOriginWhenConfigured builds every function
// with ORIGIN_SECRET and METRICS_NAMESPACE set: a request without the
// secret is refused 403 and counted, one with it is served; unset, every
// request is served and nothing is counted; a bad ORIGIN_SECRET stops the
// function from starting.
func TestEveryFunctionChecksTheOriginWhenConfigured(t *testing.T) {
	const secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)
	mem := memstore.New()
	opts := app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}}
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tpl.Functions {
		name, path := f.Name, ""
		for _, r := range f.Routes {
			if r.Method == "GET" && !strings.Contains(r.Path, "{") && path == "" {
				path = r.Path
			}
		}
		if path == "" {
			t.Fatalf("%s has no GET route without parameters for this test to call", name)
		}
		build := func(vars map[string]string) (http.Handler, error) {
			return allfunctions.Build(context.Background(), name, func(k string) string {
				if v, ok := vars[k]; ok {
					return v
				}
				return env[k]
			}, opts)
		}
		get := func(h http.Handler, header string) int {
			r := httptest.NewRequest("GET", path, nil)
			if header != "" {
				r.Header.Set(web.OriginHeader, header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			return w.Code
		}
		guarded, err := build(map[string]string{"ORIGIN_SECRET": secret, "METRICS_NAMESPACE": "Sessionlab/test"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		buf.Reset()
		if got := get(guarded, ""); got != http.StatusForbidden {
			t.Errorf("%s without the origin secret: %d, want 403", name, got)
		}
		if !strings.Contains(buf.String(), `"DirectRequestsRefused":1`) || !strings.Contains(buf.String(), `"Namespace":"Sessionlab/test"`) {
			t.Errorf("%s: the refusal was not counted: %s", name, buf.String())
		}
		if got := get(guarded, secret); got != http.StatusOK {
			t.Errorf("%s with the origin secret: %d, want 200", name, got)
		}
		open, err := build(map[string]string{"ORIGIN_SECRET": "", "METRICS_NAMESPACE": ""})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		buf.Reset()
		if got := get(open, ""); got != http.StatusOK {
			t.Errorf("%s, ORIGIN_SECRET unset: %d, want 200", name, got)
		}
		if strings.Contains(buf.String(), `"_aws"`) {
			t.Errorf("%s, METRICS_NAMESPACE unset, wrote metrics: %s", name, buf.String())
		}
		if _, err := build(map[string]string{"ORIGIN_SECRET": "short"}); err == nil || !strings.Contains(err.Error(), "ORIGIN_SECRET") {
			t.Errorf("%s with a bad ORIGIN_SECRET: err %v, want one naming ORIGIN_SECRET", name, err)
		}
	}
}

package allfunctions_test

import (
	"context"
	"encoding/hex"
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

var env = map[string]string{"SESSION_SECRET": hex.EncodeToString(make([]byte, 32))}

// TestEveryTemplateRouteIsServedAndNothingElse builds each function of
// template.yaml and sends it every method on every path of every route in
// the template (path parameters filled in), plus paths of no route: a
// function answers exactly its own routes and API Gateway's 404 for the
// rest.
func TestEveryTemplateRouteIsServedAndNothingElse(t *testing.T) {
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Functions) != len(allfunctions.Functions) {
		t.Fatalf("template has %d functions, app builds %d", len(tpl.Functions), len(allfunctions.Functions))
	}
	var paths []string
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			paths = append(paths, fill(r.Path))
		}
	}
	paths = append(paths, "/api/unknown", "/api", "/api/cart/items/tea-sencha/extra", "/")
	mem := memstore.New()
	for _, f := range tpl.Functions {
		t.Run(f.Name, func(t *testing.T) {
			h, err := allfunctions.Build(context.Background(), f.Name, func(k string) string { return env[k] },
				app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
			if err != nil {
				t.Fatal(err)
			}
			own := map[string]bool{}
			for _, r := range f.Routes {
				own[r.Method+" "+fill(r.Path)] = true
			}
			for _, p := range paths {
				for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(m, p, strings.NewReader("{}")))
					apiGateway404 := w.Code == http.StatusNotFound && strings.TrimSpace(w.Body.String()) == web.NotFoundBody
					if own[m+" "+p] == apiGateway404 {
						t.Errorf("%s %s: served = %v, want %v (%d %s)", m, p, !apiGateway404, own[m+" "+p], w.Code, w.Body)
					}
				}
			}
		})
	}
}

// fill replaces each {parameter} of a route path with a sample value.
func fill(path string) string {
	for _, p := range []struct{ param, value string }{{"{name}", "flavour"}, {"{sku}", "tea-sencha"}, {"{id}", "0123456789abcdef01234567"}} {
		path = strings.ReplaceAll(path, p.param, p.value)
	}
	return path
}

package templatetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/dynamostores"
	"github.com/sessionlab/sessionlab/internal/loopback"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/password"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/web"
)

// emitted are the metrics the code counts somewhere (a metrics.Add with a
// metrics.<Name> outside internal/metrics), found by parsing every non-test
// Go file of the module, with where.
func emitted(t *testing.T) map[metrics.Name][]string {
	t.Helper()
	known := map[string]bool{}
	for _, n := range metrics.All {
		known[string(n)] = true
	}
	found := map[metrics.Name][]string{}
	fset := token.NewFileSet()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "node_modules" || path == "../../internal/metrics") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			fn, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || fmt.Sprint(fn.X) != "metrics" || fn.Sel.Name != "Add" {
				return true
			}
			for _, a := range call.Args {
				if sel, ok := a.(*ast.SelectorExpr); ok && fmt.Sprint(sel.X) == "metrics" && known[sel.Sel.Name] {
					found[metrics.Name(sel.Sel.Name)] = append(found[metrics.Name(sel.Sel.Name)], fset.Position(call.Pos()).String())
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("found no metrics.Add(ctx, metrics.X) in the code: has the call been renamed?")
	}
	return found
}

// emfCapture is what the functions wrote while captureEMF drove them.
type emfCapture struct {
	lines     []string // the lines with an _aws member
	namespace string   // the METRICS_NAMESPACE they were given
}

// captureEMF runs every function as Lambda does (allfunctions.Build with the
// environment the template declares, the DynamoDB stores of dynamostores.Open behind
// apigw.Handler, JSON logs) with METRICS_NAMESPACE and ORIGIN_SECRET set and
// a DynamoDB endpoint nobody listens on, and sends what makes the code
// count: to every function, a request that skipped CloudFront (refused);
// with CloudFront's header, a request with a badly signed session cookie
// (counted, answered without a session), and one that needs the store
// (503). A replay needs a store that answers: each function with a route
// of replayRoutes is built again on an in-memory store and sent that change
// twice with one Idempotency-Key; the account routes' emission points run
// on a store that answers too (captureAccountMetrics). Every new emission
// point needs a request here (emitted tells which).
func captureEMF(t *testing.T) emfCapture {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	tpl, err := samtemplate.Load(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	key, origin := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(key)
	_, _ = rand.Read(origin)
	got := emfCapture{namespace: "Sessionlab/templatetest"}
	overrides := map[string]string{
		"SESSION_SECRET":    hex.EncodeToString(key),
		"ORIGIN_SECRET":     hex.EncodeToString(origin),
		"METRICS_NAMESPACE": got.namespace,
		"DYNAMODB_ENDPOINT": fmt.Sprintf("http://127.0.0.1:%d", port),
	}
	viaCloudFront := map[string]string{strings.ToLower(web.OriginHeader): overrides["ORIGIN_SECRET"]}
	storeRequested, tampered, replayed := false, false, 0
	for _, fn := range tpl.Functions {
		env := maps.Clone(fn.Env)
		for k, v := range overrides {
			if _, declared := env[k]; declared {
				env[k] = v
			}
		}
		getenv := func(k string) string { return env[k] }
		h, err := allfunctions.Build(context.Background(), fn.Name, getenv, app.Options{OpenStores: dynamostores.Open})
		if err != nil {
			t.Fatalf("build %s: %v", fn.Name, err)
		}
		handler := apigw.Handler(h)
		route := fn.Routes[0]
		if status := call(t, handler, route.Method, fill(route.Path), nil, ""); status != http.StatusForbidden {
			t.Fatalf("%s %s without CloudFront's header: %d, want 403", fn.Name, route.Key(), status)
		}
		if slices.ContainsFunc(fn.Routes, func(r samtemplate.Route) bool { return r.Key() == "GET /api/cart" }) {
			tampered = true
			bad := map[string]string{"cookie": "__Host-session=" + strings.Repeat("A", 60)}
			maps.Copy(bad, viaCloudFront)
			if status := call(t, handler, "GET", "/api/cart", bad, ""); status != http.StatusOK {
				t.Fatalf("GET /api/cart with a badly signed session cookie: %d, want 200 (no session)", status)
			}
		}
		if slices.ContainsFunc(fn.Routes, func(r samtemplate.Route) bool { return r.Key() == "POST /api/cart/items" }) {
			storeRequested = true
			if status := call(t, handler, "POST", "/api/cart/items", viaCloudFront, `{"sku":"tea-sencha","quantity":1}`); status != http.StatusServiceUnavailable {
				t.Fatalf("POST /api/cart/items with the store down: %d, want 503", status)
			}
		}
		for _, r := range fn.Routes {
			if body, ok := replayRoutes[r.Key()]; ok {
				replay(t, fn.Name, getenv, r, viaCloudFront, body)
				replayed++
			}
		}
	}
	if !storeRequested || !tampered {
		t.Fatal("no function serves POST /api/cart/items or GET /api/cart: pick other routes that write the store and read a session cookie")
	}
	if replayed != len(replayRoutes) {
		t.Fatalf("%d of the %d routes of replayRoutes are in the template", replayed, len(replayRoutes))
	}
	captureAccountMetrics(t, tpl, overrides, viaCloudFront)
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, `"_aws"`) {
			got.lines = append(got.lines, l)
		}
	}
	return got
}

// replayRoutes are the changes captureEMF sends twice with one
// Idempotency-Key (their bodies): one per feature that records keys.
var replayRoutes = map[string]string{
	"POST /api/cart/items":     `{"sku":"tea-sencha","quantity":1}`,
	"POST /api/session/visits": "",
}

// replay builds the function name on an in-memory store with getenv and
// sends route twice through CloudFront (headers) with one Idempotency-Key,
// the second time with the session cookie the first one set: the second
// answer must be a replay.
func replay(t *testing.T, name string, getenv func(string) string, route samtemplate.Route, headers map[string]string, body string) {
	t.Helper()
	mem := memstore.New()
	h, err := allfunctions.Build(context.Background(), name, getenv, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}})
	if err != nil {
		t.Fatalf("build %s on memstore: %v", name, err)
	}
	handler := apigw.Handler(h)
	hdr := maps.Clone(headers)
	hdr["idempotency-key"] = "templatetest-replay"
	first := send(t, handler, route.Method, route.Path, hdr, body, nil)
	second := send(t, handler, route.Method, route.Path, hdr, body, first.Cookies)
	if first.StatusCode != http.StatusOK || second.StatusCode != http.StatusOK || second.Headers[web.ReplayedHeader] != "true" {
		t.Fatalf("%s twice with one key: %d then %d (Idempotent-Replayed %q), want 200 and a replayed 200",
			route.Key(), first.StatusCode, second.StatusCode, second.Headers[web.ReplayedHeader])
	}
}

// captureAccountMetrics runs the AuthFunction once more as Lambda does
// (its declared environment, apigw.Handler), on an in-memory store that
// answers and with a clock it moves, and sends what its password routes
// count: a registration (Logins), five wrong passwords
// (FailedPasswordChecks), one more attempt (ThrottledPasswordChecks), and,
// once the session is no longer fresh, an attempt to end sessions
// (ReauthenticationRequired).
func captureAccountMetrics(t *testing.T, tpl *samtemplate.Template, overrides, viaCloudFront map[string]string) {
	t.Helper()
	fn, ok := tpl.Function("AuthFunction")
	if !ok {
		t.Fatal("no AuthFunction")
	}
	env := maps.Clone(fn.Env)
	for k, v := range overrides {
		if _, declared := env[k]; declared {
			env[k] = v
		}
	}
	mem := memstore.New()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h, err := allfunctions.Build(context.Background(), fn.Name, func(k string) string { return env[k] },
		app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}, Now: clock,
			Password: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}})
	if err != nil {
		t.Fatalf("build %s on memstore: %v", fn.Name, err)
	}
	handler := apigw.Handler(h)
	creds := func(pw string) string { return `{"username":"metrics-user","password":"` + pw + `"}` }
	resp := send(t, handler, "POST", "/api/register", viaCloudFront, creds("a long right password"), nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: %d %s", resp.StatusCode, resp.Body)
	}
	var cookies []string
	for _, c := range resp.Cookies {
		cookies = append(cookies, strings.SplitN(c, ";", 2)[0])
	}
	steps := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/login", creds("a wrong password"), http.StatusUnauthorized},
		{"POST", "/api/login", creds("a wrong password"), http.StatusUnauthorized},
		{"POST", "/api/login", creds("a wrong password"), http.StatusUnauthorized},
		{"POST", "/api/login", creds("a wrong password"), http.StatusUnauthorized},
		{"POST", "/api/login", creds("a wrong password"), http.StatusUnauthorized},
		{"POST", "/api/login", creds("a long right password"), http.StatusTooManyRequests},
	}
	for _, st := range steps {
		if r := send(t, handler, st.method, st.path, viaCloudFront, st.body, nil); r.StatusCode != st.status {
			t.Fatalf("%s %s: %d %s, want %d", st.method, st.path, r.StatusCode, r.Body, st.status)
		}
	}
	mu.Lock()
	now = now.Add(6 * time.Minute) // past SESSION_REAUTH_WINDOW (5m), within the idle timeout
	mu.Unlock()
	if r := send(t, handler, "DELETE", "/api/sessions", viaCloudFront, "", cookies); r.StatusCode != http.StatusForbidden {
		t.Fatalf("DELETE /api/sessions past freshUntil: %d %s, want 403", r.StatusCode, r.Body)
	}
}

// fill puts a value into each {parameter} of a route path.
func fill(path string) string {
	for strings.Contains(path, "{") {
		i, j := strings.Index(path, "{"), strings.Index(path, "}")
		path = path[:i] + "x" + path[j+1:]
	}
	return path
}

// call sends one API Gateway (payload 2.0) event and returns the status.
func call(t *testing.T, h apigw.LambdaHandler, method, path string, headers map[string]string, body string) int {
	t.Helper()
	return send(t, h, method, path, headers, body, nil).StatusCode
}

// send sends one API Gateway (payload 2.0) event carrying the cookies a
// response set (their name=value) and returns the response.
func send(t *testing.T, h apigw.LambdaHandler, method, path string, headers map[string]string, body string, setCookies []string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	hdr := map[string]string{"content-type": "application/json", "sec-fetch-site": "same-origin", "user-agent": "templatetest"}
	maps.Copy(hdr, headers)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Body: body, Headers: hdr,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "apigw-" + method, DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.1"},
		},
	}
	for _, c := range setCookies {
		ev.Cookies = append(ev.Cookies, strings.SplitN(c, ";", 2)[0])
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "templatetest"})
	resp, err := h(ctx, ev)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// usedMetrics are the custom metrics (names in customNamespace) that an
// alarm or the dashboard of tp reads.
func (tp *tmpl) usedMetrics() map[string]bool {
	used := map[string]bool{}
	for _, m := range tp.alarmMetrics() {
		if m.namespace == customNamespace {
			used[m.name] = true
		}
	}
	for _, m := range tp.dashboardMetrics() {
		if m.namespace == customNamespace {
			used[m.name] = true
		}
	}
	return used
}

// metricsRule: every function gets METRICS_NAMESPACE = customNamespace and
// an application log level that lets the EMF lines (INFO) through; every
// line the functions wrote is EMF in the namespace they were given, and
// names only metrics of metrics.All that an alarm or the dashboard reads;
// every metric of metrics.All is read by one; every metric the code counts
// was seen counted; no metric is counted both by EMF and by a metric filter
// (it would count twice).
func metricsRule(c emfCapture, emits map[metrics.Name][]string) rule {
	return func(tp *tmpl) []string {
		var problems []string
		for _, fn := range tp.functions() {
			if ns := sub(tp.fnEnv(fn)["METRICS_NAMESPACE"]); ns != customNamespace {
				problems = append(problems, fmt.Sprintf("%s: METRICS_NAMESPACE is %q, want !Sub %q (the alarms' and dashboard's)", fn, ns, customNamespace))
			}
			if lvl := str(tp.fnProp(fn, "LoggingConfig", "ApplicationLogLevel")); !slices.Contains([]string{"TRACE", "DEBUG", "INFO"}, lvl) {
				problems = append(problems, fmt.Sprintf("%s: ApplicationLogLevel %q drops the INFO lines that carry the metrics", fn, lvl))
			}
		}
		used := tp.usedMetrics()
		all := map[string]bool{}
		for _, n := range metrics.All {
			all[string(n)] = true
			if !used[string(n)] {
				problems = append(problems, fmt.Sprintf("metric %s (internal/metrics) is on no alarm or the dashboard", n))
			}
		}
		seen := map[string]bool{}
		for _, line := range c.lines {
			defs, err := emfMetrics(line)
			if err != nil {
				problems = append(problems, fmt.Sprintf("a line the functions wrote is not EMF (%v): %s", err, line))
				continue
			}
			for ns, names := range defs {
				for _, n := range names {
					seen[n] = true
					if ns != c.namespace || !all[n] || !used[n] {
						problems = append(problems, fmt.Sprintf("the functions wrote metric %s/%s, which is not one of metrics.All in METRICS_NAMESPACE that an alarm or the dashboard reads", ns, n))
					}
				}
			}
		}
		for _, n := range slices.Sorted(maps.Keys(emits)) {
			if !seen[string(n)] {
				problems = append(problems, fmt.Sprintf("the code counts %s (%s) but captureEMF never made it: add a request that does", n, strings.Join(emits[n], ", ")))
			}
		}
		for _, f := range tp.ofType("AWS::Logs::MetricFilter") {
			for _, m := range items(at(tp.props(f), "MetricTransformations")) {
				name := metrics.Name(str(at(m, "MetricName")))
				if _, dup := emits[name]; dup && sub(at(m, "MetricNamespace")) == customNamespace {
					problems = append(problems, fmt.Sprintf("%s counts %s from log lines, and the code counts it as EMF too: it would count twice; drop the filter", f, name))
				}
			}
		}
		return problems
	}
}

func TestEveryMetricLineIsEMFAndWatched(t *testing.T) {
	c := captureEMF(t)
	emits := emitted(t)
	t.Logf("the code counts %v", slices.Sorted(maps.Keys(emits)))
	if len(c.lines) == 0 {
		t.Fatal("the functions wrote no EMF line: is metrics.Handler wired?")
	}
	tp := load(t)
	expectNone(t, tp, metricsRule(c, emits))
	widgets := func(r map[string]any) string { return str(at(r, res("Dashboard", "DashboardBody", "Fn::Sub")...)) }
	expectCaught(t, tp, metricsRule(c, emits), []breakage{
		{"another namespace", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": "Sessionlab"}, "Globals", "Function", "Environment", "Variables", "METRICS_NAMESPACE")
		}, "METRICS_NAMESPACE is"},
		{"metrics dropped by the log level", func(r map[string]any) { set(r, "WARN", "Globals", "Function", "LoggingConfig", "ApplicationLogLevel") }, "drops the INFO lines"},
		{"a metric nobody reads", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": strings.ReplaceAll(widgets(r), `"StoreUnavailable"`, `"StoreDown"`)}, res("Dashboard", "DashboardBody")...)
		}, "metric StoreUnavailable (internal/metrics) is on no alarm or the dashboard"},
		{"counted twice", func(r map[string]any) {
			r["Resources"].(map[string]any)["StoreUnavailableFilter"] = map[string]any{"Type": "AWS::Logs::MetricFilter", "Properties": map[string]any{
				"LogGroupName": map[string]any{"Ref": "FunctionLogs"}, "FilterPattern": `{ $.msg = "store unavailable" }`,
				"MetricTransformations": []any{map[string]any{"MetricNamespace": map[string]any{"Fn::Sub": customNamespace}, "MetricName": "StoreUnavailable", "MetricValue": "1"}},
			}}
		}, "it would count twice"},
	})
	// The rule also judges the lines: a line that is not EMF, a metric in
	// another namespace, one the code emitted but the capture missed.
	bad := emfCapture{namespace: c.namespace, lines: []string{`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[]}}`}}
	if p := metricsRule(bad, nil)(tp); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "is not EMF") }) {
		t.Errorf("a broken line passed: %q", p)
	}
	other := emfCapture{namespace: "Elsewhere", lines: c.lines}
	if p := metricsRule(other, nil)(tp); !slices.ContainsFunc(p, func(s string) bool { return strings.Contains(s, "not one of metrics.All in METRICS_NAMESPACE") }) {
		t.Errorf("a line in another namespace passed: %q", p)
	}
	missed := map[metrics.Name][]string{"NeverSent": {"somewhere.go:1"}} // the capture makes every real one
	if p := metricsRule(c, missed)(tp); !slices.ContainsFunc(p, func(s string) bool {
		return strings.Contains(s, "counts NeverSent (somewhere.go:1) but captureEMF never made it")
	}) {
		t.Errorf("an emission point the capture missed passed: %q", p)
	}
}

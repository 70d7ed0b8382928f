package templatetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
)

// ---- the log lines the functions really write ----------------------------------

// requestLogs are what one request made a function write.
type requestLogs struct {
	bad      bool     // it carried a badly signed session cookie
	others   []string // its lines besides the request line and the metrics line
	tampered float64  // the TamperedSessionCookies its metrics line counted
	metrics  []string // the metrics its metrics line names (namespace/name)
	lines    int      // request lines
}

// functionLogs are the lines the functions wrote, by request.
type functionLogs struct {
	byRequest map[string]*requestLogs
	order     []string // request IDs, as sent
	namespace string   // the METRICS_NAMESPACE the functions had
}

// tamperedMsg is the warning internal/session logs for a badly signed
// session cookie (for Logs Insights: docs/deploy.md, "Tampered session
// cookies").
const tamperedMsg = "tampered or foreign session cookie seen"

// captureFunctionLogs runs the functions as their Lambda main does
// (allfunctions.Build behind apigw.Handler, the default slog logger a JSON handler
// with default options, a Lambda request ID in the context), with
// COOKIE_SECURE=true and METRICS_NAMESPACE set as in AWS. It starts a
// session (a cart), then sends each session function a request without a
// cookie, one with the real session cookie, one with that cookie changed
// in one character, and one with a cookie signed with another key, for a
// read and for a change; and the CookiesFunction a tampered signed_session
// cookie. It returns what they logged, by request.
func captureFunctionLogs(t *testing.T) functionLogs {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	secret, foreign := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(secret)
	_, _ = rand.Read(foreign)
	out := functionLogs{byRequest: map[string]*requestLogs{}, namespace: "Sessionlab/templatetest"}
	env := map[string]string{"SESSION_SECRET": hex.EncodeToString(secret), "COOKIE_SECURE": "true", "METRICS_NAMESPACE": out.namespace}
	mem := memstore.New()
	opts := app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}}
	codec, err := session.NewCodec([][]byte{foreign}, session.DefaultTimeouts.Remember)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := codec.Encode(make([]byte, session.IDBytes))
	if err != nil {
		t.Fatal(err)
	}

	handlers := map[string]apigw.LambdaHandler{}
	for _, fn := range []string{"CartFunction", "AuthFunction", "CookiesFunction", "VisitsFunction"} {
		h, err := allfunctions.Build(context.Background(), fn, func(k string) string { return env[k] }, opts)
		if err != nil {
			t.Fatalf("build %s: %v", fn, err)
		}
		handlers[fn] = apigw.Handler(h)
	}
	send := func(bad bool, fn, method, path, cookie, body string) []*http.Cookie {
		id := fmt.Sprintf("req-%d", len(out.order)+1)
		out.order = append(out.order, id)
		out.byRequest[id] = &requestLogs{bad: bad}
		return invoke(t, handlers[fn], id, method, path, cookie, body)
	}
	const item = `{"sku":"tea-sencha","quantity":1}`
	real := sessionCookie(send(false, "CartFunction", "POST", "/api/cart/items", "", item))
	if real == "" {
		t.Fatal("POST /api/cart/items set no __Host-session cookie")
	}
	for _, c := range []struct{ fn, method, path, body string }{
		{"CartFunction", "GET", "/api/cart", ""}, {"CartFunction", "POST", "/api/cart/items", item}, {"AuthFunction", "GET", "/api/session", ""},
		{"VisitsFunction", "GET", "/api/session/visits", ""}, {"VisitsFunction", "POST", "/api/session/visits", ""},
	} {
		send(false, c.fn, c.method, c.path, "", c.body)
		send(false, c.fn, c.method, c.path, "__Host-session="+real, c.body)
		for _, cookie := range []string{tamper(real), forged} {
			send(true, c.fn, c.method, c.path, "__Host-session="+cookie, c.body)
		}
	}
	// The client-side signed session's own bad-signature line is another
	// event: the demo cookie grants nothing.
	send(false, "CookiesFunction", "GET", "/api/signed-session", "signed_session="+tamper(real), "")

	// Each line by its request: the request line, the metrics line (EMF),
	// or another (a warning, a session created, ...). Nothing here trusts
	// a message text but the request line's and the metrics line's own.
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var ev struct {
			Msg, RequestID         string
			TamperedSessionCookies float64
			AWS                    any `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("a log line that is not JSON: %s", line)
		}
		r := out.byRequest[ev.RequestID]
		if r == nil {
			t.Fatalf("a line of no request: %s", line)
		}
		switch {
		case ev.AWS != nil:
			defs, err := emfMetrics(line)
			if err != nil {
				t.Fatalf("a metrics line that is not EMF (%v): %s", err, line)
			}
			for ns, names := range defs {
				for _, n := range names {
					r.metrics = append(r.metrics, ns+"/"+n)
				}
			}
			r.tampered += ev.TamperedSessionCookies
		case ev.Msg == "request":
			r.lines++
		default:
			r.others = append(r.others, line)
		}
	}
	return out
}

// invoke sends one API Gateway (payload 2.0) event through the Lambda
// handler and returns the cookies it set.
func invoke(t *testing.T, h apigw.LambdaHandler, requestID, method, path, cookie, body string) []*http.Cookie {
	t.Helper()
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Body: body,
		Headers: map[string]string{"content-type": "application/json", "sec-fetch-site": "same-origin", "user-agent": "templatetest"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			DomainName: "abc123.execute-api.eu-west-1.amazonaws.com",
			HTTP:       events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.1"},
		},
	}
	if cookie != "" {
		ev.Cookies = []string{cookie}
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: requestID})
	resp, err := h(ctx, ev)
	if err != nil || resp.StatusCode >= 500 {
		t.Fatalf("%s %s: status %d, error %v", method, path, resp.StatusCode, err)
	}
	var set []*http.Cookie
	for _, c := range resp.Cookies {
		if ck, err := http.ParseSetCookie(c); err == nil {
			set = append(set, ck)
		}
	}
	return set
}

func sessionCookie(cookies []*http.Cookie) string {
	for _, c := range cookies {
		if c.Name == "__Host-session" {
			return c.Value
		}
	}
	return ""
}

// tamper changes one character in the middle of a cookie value.
func tamper(v string) string {
	i := len(v) / 2
	c := byte('A')
	if v[i] == 'A' {
		c = 'B'
	}
	return v[:i] + string(c) + v[i+1:]
}

// ---- the rule ---------------------------------------------------------------

// alarmRule: an alarm watches the metric the functions count (EMF) for
// each badly signed session cookie, counted, in the namespace every
// function writes its metrics to: its sum over 5 minutes at or above a
// Number parameter, no data being no alarm; and no metric filter counts
// that metric again from the log lines.
func alarmRule(counted string) rule {
	return func(tp *tmpl) []string {
		var problems []string
		watched := false
		for _, name := range tp.ofType("AWS::CloudWatch::Alarm") {
			p := tp.props(name)
			if sub(p["Namespace"]) != customNamespace || str(p["MetricName"]) != counted {
				continue
			}
			watched = true
			threshold := ref(p["Threshold"])
			got := fmt.Sprintf("%s %s over %ss x%s, %s %s, missing data %s",
				show(p["Statistic"]), show(p["ComparisonOperator"]), show(p["Period"]), show(p["EvaluationPeriods"]),
				show(p["Threshold"]), str(at(tp.raw, "Parameters", threshold, "Type")), show(p["TreatMissingData"]))
			if str(p["Statistic"]) != "Sum" || str(p["ComparisonOperator"]) != "GreaterThanOrEqualToThreshold" ||
				p["Period"] != float64(300) || p["EvaluationPeriods"] != float64(1) ||
				str(at(tp.raw, "Parameters", threshold, "Type")) != "Number" || str(p["TreatMissingData"]) != "notBreaching" {
				problems = append(problems, fmt.Sprintf("%s: %s; want \"Sum\" \"GreaterThanOrEqualToThreshold\" over 300s x1, a !Ref to a Number parameter, missing data \"notBreaching\"", name, got))
			}
		}
		if !watched {
			problems = append(problems, fmt.Sprintf("no alarm watches %s/%s, which the functions count for each badly signed session cookie", customNamespace, counted))
		}
		for _, f := range tp.ofType("AWS::Logs::MetricFilter") {
			for _, m := range items(at(tp.props(f), "MetricTransformations")) {
				if str(at(m, "MetricName")) == counted && sub(at(m, "MetricNamespace")) == customNamespace {
					problems = append(problems, fmt.Sprintf("%s counts %s from log lines, which the functions count as EMF already: each bad cookie would count twice", f, counted))
				}
			}
		}
		return problems
	}
}

func TestTamperedSessionCookiesRaiseAnAlarm(t *testing.T) {
	logs := captureFunctionLogs(t)
	// Each bad cookie is counted once, in the functions' namespace, with
	// one warning line (for Logs Insights) that does not hold the cookie
	// (a change also starts a new session, and logs that);
	// no other request counts, the signed_session demo's bad signature
	// included; every request has its request line.
	bad, counted := 0, map[string]bool{}
	for _, id := range logs.order {
		r := logs.byRequest[id]
		if r.lines != 1 {
			t.Fatalf("%s: %d request lines: is logging wired?", id, r.lines)
		}
		if !r.bad {
			if r.tampered != 0 {
				t.Errorf("%s, no bad session cookie, counted %v tampered cookies: %q", id, r.tampered, r.others)
			}
			continue
		}
		bad++
		if r.tampered != 1 {
			t.Errorf("%s, a bad session cookie, counted %v tampered cookies, want 1", id, r.tampered)
		}
		for _, m := range r.metrics {
			counted[m] = true
		}
		warnings := slices.DeleteFunc(slices.Clone(r.others), func(l string) bool { return strings.Contains(l, `"level":"INFO"`) })
		if len(warnings) != 1 || !strings.Contains(warnings[0], `"level":"WARN","msg":"`+tamperedMsg+`"`) || strings.Contains(warnings[0], "__Host-session") {
			t.Errorf("%s, a bad session cookie, logged %q; want one warning, %q, without the cookie", id, r.others, tamperedMsg)
		}
	}
	if bad != 10 || len(counted) != 1 || !counted[logs.namespace+"/"+string(metrics.TamperedSessionCookies)] {
		t.Fatalf("%d bad cookies counted as %v; want 10 (5 requests, 2 bad cookies each), as %s/%s only", bad, slices.Sorted(maps.Keys(counted)), logs.namespace, metrics.TamperedSessionCookies)
	}
	tp := load(t)
	rule := alarmRule(string(metrics.TamperedSessionCookies))
	expectNone(t, tp, rule)
	alarm := func(keys ...string) []string { return res("TamperedSessionCookiesAlarm", keys...) }
	expectCaught(t, tp, rule, []breakage{
		{"alarm on another metric", func(r map[string]any) { set(r, "TamperedCookies", alarm("MetricName")...) }, "no alarm watches"},
		{"alarm in another namespace", func(r map[string]any) { set(r, "Sessionlab", alarm("Namespace")...) }, "no alarm watches"},
		{"average", func(r map[string]any) { set(r, "Average", alarm("Statistic")...) }, "want \"Sum\""},
		{"an hour", func(r map[string]any) { set(r, 3600, alarm("Period")...) }, "over 300s"},
		{"greater than", func(r map[string]any) { set(r, "GreaterThanThreshold", alarm("ComparisonOperator")...) }, "GreaterThanOrEqualToThreshold"},
		{"fixed threshold", func(r map[string]any) { set(r, 20, alarm("Threshold")...) }, "a !Ref to a Number parameter"},
		{"missing data breaches", func(r map[string]any) { set(r, "breaching", alarm("TreatMissingData")...) }, "notBreaching"},
		{"the old metric filter back", func(r map[string]any) {
			r["Resources"].(map[string]any)["TamperedSessionCookieFilter"] = map[string]any{"Type": "AWS::Logs::MetricFilter", "Properties": map[string]any{
				"LogGroupName": map[string]any{"Ref": "FunctionLogs"}, "FilterPattern": `{ $.msg = "` + tamperedMsg + `" }`,
				"MetricTransformations": []any{map[string]any{"MetricNamespace": map[string]any{"Fn::Sub": customNamespace}, "MetricName": "TamperedSessionCookies", "MetricValue": "1"}},
			}}
		}, "would count twice"},
	})
}

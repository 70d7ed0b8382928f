package templatetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
)

// ---- CloudWatch Logs JSON filter patterns (the subset the template uses) -----

// jsonTerm is one `$.a.b = "value"` of a filter pattern.
type jsonTerm struct {
	path  []string
	value string
}

// jsonPattern is a CloudWatch Logs JSON filter pattern of the form
// `{ $.a = "x" && $.b.c = "y" }`: string equality on fields, joined by &&.
// Anything else (||, !=, numbers, wildcards, parentheses, escapes) is an
// error, so a pattern this test cannot judge fails instead of passing.
type jsonPattern []jsonTerm

var (
	patternOuter = regexp.MustCompile(`^\s*\{(.*)\}\s*$`)
	patternTerm  = regexp.MustCompile(`^\s*\$\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*=\s*"([^"\\*]*)"\s*$`)
)

// parsePattern reads a pattern of the subset jsonPattern describes.
func parsePattern(s string) (jsonPattern, error) {
	m := patternOuter.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("filter pattern %q: want { ... }", s)
	}
	// No quoted value of the subset holds "&&" or braces: split plainly,
	// and let patternTerm refuse any term that is not field = "string".
	var p jsonPattern
	for _, part := range strings.Split(m[1], "&&") {
		t := patternTerm.FindStringSubmatch(part)
		if t == nil {
			return nil, fmt.Errorf("filter pattern %q: %q is not $.field = \"string\" (the only form this test understands)", s, strings.TrimSpace(part))
		}
		p = append(p, jsonTerm{path: strings.Split(t[1], "."), value: t[2]})
	}
	return p, nil
}

// matches reports whether CloudWatch Logs would count the log event line:
// it must be a JSON object in which every term's field is a string equal to
// the term's value.
func (p jsonPattern) matches(line string) bool {
	var ev map[string]any
	if json.Unmarshal([]byte(line), &ev) != nil {
		return false
	}
	for _, t := range p {
		if s, ok := at(ev, t.path...).(string); !ok || s != t.value {
			return false
		}
	}
	return true
}

func TestFilterPatternSubset(t *testing.T) {
	const line = `{"time":"2026-01-02T03:04:05Z","level":"WARN","msg":"a b","n":{"k":"v"},"num":3}`
	cases := []struct {
		pattern string
		want    bool
		err     bool
	}{
		{`{ $.msg = "a b" }`, true, false},
		{`{$.msg="a b"&&$.level="WARN"}`, true, false},
		{`{ $.msg = "a b" && $.level = "INFO" }`, false, false},
		{`{ $.msg = "a" }`, false, false},
		{`{ $.message = "a b" }`, false, false},
		{`{ $.n.k = "v" }`, true, false},
		{`{ $.n = "v" }`, false, false},
		{`{ $.num = "3" }`, false, false},
		{`{ $.msg = "a b" || $.level = "WARN" }`, false, true},
		{`{ $.msg != "x" }`, false, true},
		{`{ $.msg = "a*" }`, false, true},
		{`{ $.num = 3 }`, false, true},
		{`"a b"`, false, true},
		{`{ }`, false, true},
	}
	for _, c := range cases {
		p, err := parsePattern(c.pattern)
		if (err != nil) != c.err {
			t.Errorf("parse %s: error %v, want error %v", c.pattern, err, c.err)
			continue
		}
		if err == nil && p.matches(line) != c.want {
			t.Errorf("%s on %s: %v, want %v", c.pattern, line, !c.want, c.want)
		}
	}
	if p, _ := parsePattern(`{ $.msg = "a b" }`); p.matches("a b") || p.matches(`["a b"]`) {
		t.Error("a line that is no JSON object matched")
	}
}

// ---- the log lines the functions really write ----------------------------------

// functionLogs are the lines the session functions wrote, by kind.
type functionLogs struct {
	tampered []string // the warnings for badly signed session cookies
	ordinary []string // every other line: requests, sessions created, ...
	requests int      // how many requests were sent
}

// tamperedMsg is the message internal/session logs for a badly signed
// session cookie, for this file's messages and breakages.
const tamperedMsg = "tampered or foreign session cookie seen"

// captureFunctionLogs runs the functions as their Lambda
// main does (allfunctions.Build behind apigw.Handler, the default slog logger a JSON
// handler with default options, a Lambda request ID in the context), with
// COOKIE_SECURE=true as in AWS. It starts a session (a cart), then sends
// each function a request without a cookie, one with the real session
// cookie, one with that cookie changed in one character, and one with a
// cookie signed with another key; and the CookiesFunction a tampered
// signed_session cookie. It returns what they logged, by line.
func captureFunctionLogs(t *testing.T) functionLogs {
	t.Helper()
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	secret, foreign := make([]byte, 32), make([]byte, 32)
	_, _ = rand.Read(secret)
	_, _ = rand.Read(foreign)
	env := map[string]string{"SESSION_SECRET": hex.EncodeToString(secret), "COOKIE_SECURE": "true"}
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

	var out functionLogs
	handlers := map[string]apigw.LambdaHandler{}
	for _, fn := range []string{"CartFunction", "AuthFunction", "CookiesFunction", "VisitsFunction"} {
		h, err := allfunctions.Build(context.Background(), fn, func(k string) string { return env[k] }, opts)
		if err != nil {
			t.Fatalf("build %s: %v", fn, err)
		}
		handlers[fn] = apigw.Handler(h)
	}
	send := func(fn, method, path, cookie, body string) []*http.Cookie {
		out.requests++
		return invoke(t, handlers[fn], fmt.Sprintf("req-%d", out.requests), method, path, cookie, body)
	}
	real := sessionCookie(send("CartFunction", "POST", "/api/cart/items", "", `{"sku":"tea-sencha","quantity":1}`))
	if real == "" {
		t.Fatal("POST /api/cart/items set no __Host-session cookie")
	}
	bad := map[string]bool{} // the request IDs of the bad cookies
	for _, c := range []struct{ fn, path string }{{"CartFunction", "/api/cart"}, {"AuthFunction", "/api/session"}, {"VisitsFunction", "/api/session/visits"}} {
		send(c.fn, "GET", c.path, "", "")
		send(c.fn, "GET", c.path, "__Host-session="+real, "")
		for _, cookie := range []string{tamper(real), forged} {
			send(c.fn, "GET", c.path, "__Host-session="+cookie, "")
			bad[fmt.Sprintf("req-%d", out.requests)] = true
		}
	}
	// The client-side signed session's own bad-signature line is another
	// event: the demo cookie grants nothing.
	send("CookiesFunction", "GET", "/api/signed-session", "signed_session="+tamper(real), "")

	// A line is a warning about a bad cookie when a bad cookie's request
	// logged it and it is not the request line; nothing here trusts the
	// message text, which is what the filter must match.
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		var ev struct{ Msg, RequestID string }
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("a log line that is not JSON: %s", line)
		}
		if bad[ev.RequestID] && ev.Msg != "request" {
			out.tampered = append(out.tampered, line)
		} else {
			out.ordinary = append(out.ordinary, line)
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

// alarmRule: a metric filter on the log group every function writes to
// counts the tampered-cookie warnings (1 each, 0 by default, unit Count)
// and nothing else the functions log, and an alarm watches that metric:
// its sum over 5 minutes at or above a Number parameter, no data being
// no alarm.
func alarmRule(logs functionLogs) rule {
	return func(tp *tmpl) []string {
		var problems []string
		groups := map[string]bool{}
		for _, fn := range tp.functions() {
			if g, _ := tp.fnLogGroup(fn); g != "" {
				groups[g] = true
			}
		}
		if len(groups) == 0 {
			return []string{"no function logs to a log group of the template"}
		}
		counted := map[string]bool{} // namespace + "/" + metric of filters that count right
		for group := range groups {
			found := false
			for _, name := range tp.ofType("AWS::Logs::MetricFilter") {
				if ref(at(tp.props(name), "LogGroupName")) != group {
					continue
				}
				p, err := parsePattern(str(at(tp.props(name), "FilterPattern")))
				if err != nil {
					problems = append(problems, fmt.Sprintf("%s: %v", name, err))
					continue
				}
				if bad := filterProblems(name, p, logs); len(bad) > 0 {
					problems = append(problems, bad...)
					continue
				}
				found = true
				for _, m := range items(at(tp.props(name), "MetricTransformations")) {
					ns, metric := sub(at(m, "MetricNamespace")), str(at(m, "MetricName"))
					if str(at(m, "MetricValue")) != "1" || at(m, "DefaultValue") != float64(0) || str(at(m, "Unit")) != "Count" ||
						!strings.Contains(ns, "${AWS::StackName}") {
						problems = append(problems, fmt.Sprintf("%s: metric %s/%s: MetricValue %s, DefaultValue %s, Unit %s, want \"1\", 0, Count and a namespace with the stack's name (!Sub)",
							name, ns, metric, show(at(m, "MetricValue")), show(at(m, "DefaultValue")), show(at(m, "Unit"))))
						continue
					}
					counted[ns+"/"+metric] = true
				}
			}
			if !found {
				problems = append(problems, fmt.Sprintf("no metric filter on %s counts the %q warnings", group, tamperedMsg))
			}
		}
		return append(problems, alarmProblems(tp, counted)...)
	}
}

// filterProblems: p must match every tampered-cookie line and no other.
func filterProblems(name string, p jsonPattern, logs functionLogs) []string {
	var problems []string
	for _, l := range logs.tampered {
		if !p.matches(l) {
			problems = append(problems, fmt.Sprintf("%s: the pattern does not match the line the functions log: %s", name, l))
			break
		}
	}
	for _, l := range logs.ordinary {
		if p.matches(l) {
			problems = append(problems, fmt.Sprintf("%s: the pattern also counts an ordinary line: %s", name, l))
			break
		}
	}
	return problems
}

// alarmProblems: some alarm watches one of the counted metrics as wanted.
func alarmProblems(tp *tmpl, counted map[string]bool) []string {
	var problems []string
	watched := false
	for _, name := range tp.ofType("AWS::CloudWatch::Alarm") {
		p := tp.props(name)
		if !counted[sub(p["Namespace"])+"/"+str(p["MetricName"])] {
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
		problems = append(problems, fmt.Sprintf("no alarm watches the metric that counts the %q warnings", tamperedMsg))
	}
	return problems
}

func TestTamperedSessionCookiesRaiseAnAlarm(t *testing.T) {
	logs := captureFunctionLogs(t)
	// Three session functions, each sent two bad session cookies: one
	// warning each, and one request line for every request.
	if len(logs.tampered) != 6 {
		t.Fatalf("%d lines besides the request lines logged for the 6 bad cookies, want one each: %q", len(logs.tampered), logs.tampered)
	}
	if n := strings.Count(strings.Join(logs.ordinary, "\n"), `"msg":"request"`); n != logs.requests {
		t.Fatalf("%d request lines logged for %d requests: is logging wired?", n, logs.requests)
	}
	tp := load(t)
	expectNone(t, tp, alarmRule(logs))
	filter := func(keys ...string) []string { return res("TamperedSessionCookieFilter", keys...) }
	transform := func(r map[string]any) map[string]any {
		return at(r, filter("MetricTransformations")...).([]any)[0].(map[string]any)
	}
	alarm := func(keys ...string) []string { return res("TamperedSessionCookiesAlarm", keys...) }
	expectCaught(t, tp, alarmRule(logs), []breakage{
		{"another message", func(r map[string]any) {
			set(r, `{ $.msg = "tampered session cookie seen" }`, filter("FilterPattern")...)
		}, "does not match the line"},
		{"Lambda's message key", func(r map[string]any) {
			set(r, `{ $.message = "`+tamperedMsg+`" }`, filter("FilterPattern")...)
		}, "does not match the line"},
		{"wrong level", func(r map[string]any) {
			set(r, `{ $.msg = "`+tamperedMsg+`" && $.level = "WARNING" }`, filter("FilterPattern")...)
		}, "does not match the line"},
		{"counts requests", func(r map[string]any) {
			set(r, `{ $.level = "INFO" }`, filter("FilterPattern")...)
		}, "also counts an ordinary line"},
		{"text pattern", func(r map[string]any) { set(r, `"`+tamperedMsg+`"`, filter("FilterPattern")...) }, "want { ... }"},
		{"another group", func(r map[string]any) {
			set(r, map[string]any{"Ref": "OtherLogs"}, filter("LogGroupName")...)
		}, "no metric filter on FunctionLogs"},
		{"counts bytes", func(r map[string]any) { transform(r)["MetricValue"] = "$.bytes" }, `want "1", 0, Count`},
		{"no default", func(r map[string]any) { delete(transform(r), "DefaultValue") }, `want "1", 0, Count`},
		{"one namespace for every stack", func(r map[string]any) { transform(r)["MetricNamespace"] = "Sessionlab" }, "the stack's name"},
		{"alarm on another metric", func(r map[string]any) { set(r, "TamperedCookies", alarm("MetricName")...) }, "no alarm watches"},
		{"alarm in another namespace", func(r map[string]any) { set(r, "Sessionlab", alarm("Namespace")...) }, "no alarm watches"},
		{"average", func(r map[string]any) { set(r, "Average", alarm("Statistic")...) }, "want \"Sum\""},
		{"an hour", func(r map[string]any) { set(r, 3600, alarm("Period")...) }, "over 300s"},
		{"greater than", func(r map[string]any) { set(r, "GreaterThanThreshold", alarm("ComparisonOperator")...) }, "GreaterThanOrEqualToThreshold"},
		{"fixed threshold", func(r map[string]any) { set(r, 20, alarm("Threshold")...) }, "a !Ref to a Number parameter"},
		{"missing data breaches", func(r map[string]any) { set(r, "breaching", alarm("TreatMissingData")...) }, "notBreaching"},
	})
}

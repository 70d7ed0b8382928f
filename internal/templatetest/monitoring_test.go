package templatetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/metrics"
)

// metricRef is one CloudWatch metric an alarm or a dashboard widget reads.
// Dimension values are written as a !Sub string would be: "${AuthFunction}"
// for a !Ref, "${AuthFunction}:live" for a !Sub, literals as they are.
type metricRef struct {
	where, namespace, name string
	dims                   map[string]string
}

func (m metricRef) String() string {
	return fmt.Sprintf("%s: %s/%s %v", m.where, m.namespace, m.name, m.dims)
}

// subLike writes a raw value as !Sub would show it.
func subLike(v any) string {
	if r := ref(v); r != "" {
		return "${" + r + "}"
	}
	if s := sub(v); s != "" {
		return s
	}
	return str(v)
}

func metricOf(where string, m any) metricRef {
	ref := metricRef{where: where, namespace: subLike(at(m, "Namespace")), name: str(at(m, "MetricName")), dims: map[string]string{}}
	for _, d := range items(at(m, "Dimensions")) {
		ref.dims[str(at(d, "Name"))] = subLike(at(d, "Value"))
	}
	return ref
}

// alarmMetrics are the metrics every alarm reads: its own, or those of its
// metric math.
func (tp *tmpl) alarmMetrics() []metricRef {
	var out []metricRef
	for _, a := range tp.ofType("AWS::CloudWatch::Alarm") {
		p := tp.props(a)
		if p["MetricName"] != nil {
			out = append(out, metricOf(a, p))
		}
		for _, m := range items(p["Metrics"]) {
			if stat := at(m, "MetricStat", "Metric"); stat != nil {
				out = append(out, metricOf(a+"."+str(at(m, "Id")), stat))
			}
		}
	}
	return out
}

// dashboardBody is the Dashboard's body, a !Sub string that is JSON as it is
// (every ${...} sits inside a JSON string), parsed.
func (tp *tmpl) dashboardBody() (map[string]any, error) {
	boards := tp.ofType("AWS::CloudWatch::Dashboard")
	if len(boards) != 1 {
		return nil, fmt.Errorf("want one AWS::CloudWatch::Dashboard, found %v", boards)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(sub(at(tp.props(boards[0]), "DashboardBody"))), &body); err != nil {
		return nil, fmt.Errorf("%s: DashboardBody is not !Sub of a JSON object: %v", boards[0], err)
	}
	return body, nil
}

// dashboardMetrics are the metrics of every widget, "." (the row above's
// value) resolved.
func (tp *tmpl) dashboardMetrics() []metricRef {
	body, err := tp.dashboardBody()
	if err != nil {
		return nil
	}
	var out []metricRef
	for i, w := range items(body["widgets"]) {
		var prev []string
		for _, row := range items(at(w, "properties", "metrics")) {
			var cells []string
			for _, c := range items(row) {
				if s, ok := c.(string); ok {
					cells = append(cells, s)
				}
			}
			for j := range cells {
				if cells[j] == "." && j < len(prev) {
					cells[j] = prev[j]
				}
			}
			prev = cells
			if len(cells) < 2 {
				out = append(out, metricRef{where: fmt.Sprintf("dashboard widget %d", i), name: show(row)})
				continue
			}
			m := metricRef{where: fmt.Sprintf("dashboard widget %d (%s)", i, str(at(w, "properties", "title"))), namespace: cells[0], name: cells[1], dims: map[string]string{}}
			for k := 2; k+1 < len(cells); k += 2 {
				m.dims[cells[k]] = cells[k+1]
			}
			out = append(out, m)
		}
	}
	return out
}

// AWS metrics this template may read, by namespace (the services'
// CloudWatch documentation); each namespace's dimensions are checked below.
var serviceMetrics = map[string][]string{
	"AWS/Lambda":     {"ConcurrentExecutions", "Duration", "Errors", "Invocations", "Throttles"},
	"AWS/ApiGateway": {"4xx", "5xx", "Count", "DataProcessed", "IntegrationLatency", "Latency"},
	"AWS/DynamoDB":   {"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "SuccessfulRequestLatency", "SystemErrors", "ThrottledRequests", "WriteThrottleEvents"},
}

// dynamoOperations are the Operation dimension values DynamoDB reports.
var dynamoOperations = []string{"BatchGetItem", "BatchWriteItem", "DeleteItem", "GetItem", "PutItem", "Query", "Scan", "TransactGetItems", "TransactWriteItems", "UpdateItem"}

// metricProblems: m exists: a service metric of a resource of the
// template with the dimensions that service reports, or one of the
// functions' own (metrics.All) or a metric filter's, in customNamespace.
func (tp *tmpl) metricProblems(m metricRef) []string {
	bad := func(format string, args ...any) []string {
		return []string{m.String() + ": " + fmt.Sprintf(format, args...)}
	}
	if m.namespace == customNamespace {
		if slices.Contains(metrics.All, metrics.Name(m.name)) || tp.filterCounts(m.name) {
			if len(m.dims) > 0 {
				return bad("the functions' metrics have no dimensions")
			}
			return nil
		}
		return bad("no code (internal/metrics.All) and no metric filter of the template makes this metric")
	}
	names, ok := serviceMetrics[m.namespace]
	if !ok {
		return bad("a namespace nothing of this template writes to")
	}
	if !slices.Contains(names, m.name) {
		return bad("%s has no metric %q that this template knows", m.namespace, m.name)
	}
	has := func(key, typ string) (string, bool) {
		v := m.dims[key]
		name := strings.TrimSuffix(strings.TrimPrefix(v, "${"), "}")
		return name, strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}") && tp.typeOf(name) == typ
	}
	allowed := map[string]bool{}
	switch m.namespace {
	case "AWS/Lambda":
		fn, ok := has("FunctionName", "AWS::Serverless::Function")
		if !ok {
			return bad("FunctionName is not a !Ref to a function of the template")
		}
		if r, set := m.dims["Resource"]; set && r != "${"+fn+"}:"+str(tp.fnProp(fn, "AutoPublishAlias")) {
			return bad("Resource %q is not the function's alias ${%s}:%s", r, fn, str(tp.fnProp(fn, "AutoPublishAlias")))
		}
		allowed = map[string]bool{"FunctionName": true, "Resource": true}
	case "AWS/ApiGateway":
		if _, ok := has("ApiId", "AWS::Serverless::HttpApi"); !ok {
			return bad("ApiId is not a !Ref to the HttpApi")
		}
		allowed = map[string]bool{"ApiId": true, "Stage": true}
	case "AWS/DynamoDB":
		table, ok := has("TableName", "AWS::DynamoDB::Table")
		if !ok {
			return bad("TableName is not a !Ref to a table of the template")
		}
		if gsi, set := m.dims["GlobalSecondaryIndexName"]; set && !slices.ContainsFunc(items(at(tp.props(table), "GlobalSecondaryIndexes")), func(g any) bool { return str(at(g, "IndexName")) == gsi }) {
			return bad("%s has no index %q", table, gsi)
		}
		op, set := m.dims["Operation"]
		if set && !slices.Contains(dynamoOperations, op) {
			return bad("Operation %q is no DynamoDB operation", op)
		}
		if !set && (m.name == "SystemErrors" || m.name == "ThrottledRequests" || m.name == "SuccessfulRequestLatency") {
			return bad("DynamoDB reports %s per Operation only", m.name)
		}
		allowed = map[string]bool{"TableName": true, "GlobalSecondaryIndexName": true, "Operation": true}
	}
	for k := range m.dims {
		if !allowed[k] {
			return bad("%s reports no dimension %q", m.namespace, k)
		}
	}
	return nil
}

// filterCounts reports whether a metric filter of the template writes name
// into customNamespace.
func (tp *tmpl) filterCounts(name string) bool {
	for _, f := range tp.ofType("AWS::Logs::MetricFilter") {
		for _, m := range items(at(tp.props(f), "MetricTransformations")) {
			if str(at(m, "MetricName")) == name && sub(at(m, "MetricNamespace")) == customNamespace {
				return true
			}
		}
	}
	return false
}

// ---- the alarms ------------------------------------------------------------------

// notify is how every alarm tells the operator: the topic when AlarmEmail is set.
const notify = `{"Fn::If":["NotifyByEmail",[{"Ref":"AlarmTopic"}],{"Ref":"AWS::NoValue"}]}`

// watching finds the alarms that read a metric for which match holds.
func (tp *tmpl) watching(match func(metricRef) bool) []string {
	var names []string
	for _, m := range tp.alarmMetrics() {
		if match(m) {
			alarm, _, _ := strings.Cut(m.where, ".")
			names = append(names, alarm)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// alarmsRule: every alarm reads metrics that exist, says what it is,
// notifies the topic and treats missing data as fine, and its metric math
// uses each metric it reads; every function has an alarm on its alias's
// Errors and on its Throttles; the HttpApi on its 5xx; every table on the
// read and write throttles of itself and of each index, and on DynamoDB's
// system errors for every operation the store calls (ops).
func alarmsRule(ops map[string]bool) rule {
	return func(tp *tmpl) []string {
		var problems []string
		for _, m := range tp.alarmMetrics() {
			problems = append(problems, tp.metricProblems(m)...)
		}
		for _, a := range tp.ofType("AWS::CloudWatch::Alarm") {
			p := tp.props(a)
			if show(p["AlarmActions"]) != notify || str(p["TreatMissingData"]) != "notBreaching" || sub(p["AlarmDescription"]) == "" {
				problems = append(problems, fmt.Sprintf("%s: want AlarmActions %s, TreatMissingData notBreaching and an AlarmDescription", a, notify))
			}
			var expr string
			for _, m := range items(p["Metrics"]) {
				if at(m, "ReturnData") == true {
					expr = str(at(m, "Expression"))
				}
			}
			for _, m := range items(p["Metrics"]) {
				if id := str(at(m, "Id")); at(m, "MetricStat") != nil && !regexp.MustCompile(`\b`+regexp.QuoteMeta(id)+`\b`).MatchString(expr) {
					problems = append(problems, fmt.Sprintf("%s: metric %s is not in the expression %q: the alarm ignores it", a, id, expr))
				}
			}
		}
		for _, fn := range tp.functions() {
			alias := str(tp.fnProp(fn, "AutoPublishAlias"))
			if len(tp.watching(func(m metricRef) bool {
				return m.namespace == "AWS/Lambda" && m.name == "Errors" && m.dims["FunctionName"] == "${"+fn+"}" && m.dims["Resource"] == "${"+fn+"}:"+alias
			})) == 0 {
				problems = append(problems, fmt.Sprintf("%s: no alarm on the Errors of its alias %s", fn, alias))
			}
			if len(tp.watching(func(m metricRef) bool {
				return m.namespace == "AWS/Lambda" && m.name == "Throttles" && m.dims["FunctionName"] == "${"+fn+"}"
			})) == 0 {
				problems = append(problems, fmt.Sprintf("%s: no alarm on its Throttles", fn))
			}
		}
		for _, api := range tp.ofType("AWS::Serverless::HttpApi") {
			if len(tp.watching(func(m metricRef) bool {
				return m.namespace == "AWS/ApiGateway" && m.name == "5xx" && m.dims["ApiId"] == "${"+api+"}"
			})) == 0 {
				problems = append(problems, fmt.Sprintf("%s: no alarm on its 5xx", api))
			}
		}
		for _, table := range tp.ofType("AWS::DynamoDB::Table") {
			scopes := []string{""}
			for _, g := range items(at(tp.props(table), "GlobalSecondaryIndexes")) {
				scopes = append(scopes, str(at(g, "IndexName")))
			}
			for _, gsi := range scopes {
				for _, name := range []string{"ReadThrottleEvents", "WriteThrottleEvents"} {
					if len(tp.watching(func(m metricRef) bool {
						return m.namespace == "AWS/DynamoDB" && m.name == name && m.dims["TableName"] == "${"+table+"}" && m.dims["GlobalSecondaryIndexName"] == gsi
					})) == 0 {
						problems = append(problems, fmt.Sprintf("%s: no alarm on %s%s", table, name, map[bool]string{true: " of index " + gsi}[gsi != ""]))
					}
				}
			}
			for _, op := range slices.Sorted(maps.Keys(ops)) {
				op = strings.TrimPrefix(op, "dynamodb:")
				if len(tp.watching(func(m metricRef) bool {
					return m.namespace == "AWS/DynamoDB" && m.name == "SystemErrors" && m.dims["TableName"] == "${"+table+"}" && m.dims["Operation"] == op
				})) == 0 {
					problems = append(problems, fmt.Sprintf("%s: no alarm on the SystemErrors of %s, which the store calls", table, op))
				}
			}
		}
		return problems
	}
}

func TestEveryFunctionAPIAndTableHasAlarmsOnMetricsThatExist(t *testing.T) {
	tp := load(t)
	ops := storeOperations(t)
	expectNone(t, tp, alarmsRule(ops))
	alarm := func(name string, keys ...string) []string { return res(name, keys...) }
	metric := func(r map[string]any, name string, i int) map[string]any {
		return at(r, alarm(name, "Metrics")...).([]any)[i].(map[string]any)
	}
	expectCaught(t, tp, alarmsRule(ops), []breakage{
		{"no errors alarm", func(r map[string]any) { delete(r["Resources"].(map[string]any), "CartFunctionErrorsAlarm") }, "CartFunction: no alarm on the Errors of its alias live"},
		{"errors of another alias", func(r map[string]any) {
			at(r, alarm("AuthFunctionErrorsAlarm", "Dimensions")...).([]any)[1].(map[string]any)["Value"] = map[string]any{"Fn::Sub": "${AuthFunction}:old"}
		}, "is not the function's alias"},
		{"no throttles alarm", func(r map[string]any) { delete(r["Resources"].(map[string]any), "AuthFunctionThrottlesAlarm") }, "AuthFunction: no alarm on its Throttles"},
		{"no 5xx alarm", func(r map[string]any) { set(r, "5XXError", alarm("ApiServerErrorsAlarm", "MetricName")...) }, "no alarm on its 5xx"},
		{"a REST API metric name", func(r map[string]any) { set(r, "5XXError", alarm("ApiServerErrorsAlarm", "MetricName")...) }, `has no metric "5XXError"`},
		{"a function that is not there", func(r map[string]any) {
			at(r, alarm("CookiesFunctionThrottlesAlarm", "Dimensions")...).([]any)[0].(map[string]any)["Value"] = "sessionlab-CookiesFunction"
		}, "FunctionName is not a !Ref"},
		{"an index that is not there", func(r map[string]any) {
			at(metric(r, "SessionsTableThrottlesAlarm", 3), "MetricStat", "Metric", "Dimensions").([]any)[1].(map[string]any)["Value"] = "byUser"
		}, `has no index "byUser"`},
		{"index throttles not watched", func(r map[string]any) {
			m := at(r, alarm("SessionsTableThrottlesAlarm")...).(map[string]any)
			m["Metrics"] = m["Metrics"].([]any)[:3]
			metric(r, "SessionsTableThrottlesAlarm", 0)["Expression"] = "FILL(r,0)+FILL(w,0)"
		}, "no alarm on WriteThrottleEvents of index byUsername"},
		{"a metric the expression ignores", func(r map[string]any) { metric(r, "UsersTableThrottlesAlarm", 0)["Expression"] = "FILL(r,0)" }, "metric w is not in the expression"},
		{"an operation not watched", func(r map[string]any) {
			m := at(r, alarm("UsersTableSystemErrorsAlarm")...).(map[string]any)
			m["Metrics"] = m["Metrics"].([]any)[:5]
			metric(r, "UsersTableSystemErrorsAlarm", 0)["Expression"] = "FILL(get,0)+FILL(put,0)+FILL(upd,0)+FILL(del,0)"
		}, "UsersTable: no alarm on the SystemErrors of Query"},
		{"system errors without an operation", func(r map[string]any) {
			dims := at(metric(r, "UsersTableSystemErrorsAlarm", 1), "MetricStat", "Metric").(map[string]any)
			dims["Dimensions"] = dims["Dimensions"].([]any)[:1]
		}, "per Operation only"},
		{"a custom metric nothing makes", func(r map[string]any) {
			set(r, "TamperedCookies", alarm("TamperedSessionCookiesAlarm", "MetricName")...)
		}, "no code (internal/metrics.All) and no metric filter"},
		{"nobody told", func(r map[string]any) { del(r, alarm("ApiServerErrorsAlarm", "AlarmActions")...) }, "ApiServerErrorsAlarm: want AlarmActions"},
		{"missing data alarms", func(r map[string]any) {
			set(r, "breaching", alarm("CartFunctionThrottlesAlarm", "TreatMissingData")...)
		}, "CartFunctionThrottlesAlarm: want AlarmActions"},
		{"a new function without alarms", func(r map[string]any) {
			rs := r["Resources"].(map[string]any)
			rs["PagesFunction"] = rs["CookiesFunction"]
		}, "PagesFunction: no alarm on the Errors of its alias"},
	})
}

// dashboardRule: every metric of the dashboard exists; it shows every
// alarm's state, every function's invocations, errors, throttles and
// duration, the API's requests, 4xx, 5xx and latency, and every table's
// consumed capacity and throttles.
func dashboardRule(tp *tmpl) []string {
	body, err := tp.dashboardBody()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	shown := tp.dashboardMetrics()
	for _, m := range shown {
		problems = append(problems, tp.metricProblems(m)...)
	}
	on := func(ns, name string, dims map[string]string) bool {
		return slices.ContainsFunc(shown, func(m metricRef) bool { return m.namespace == ns && m.name == name && maps.Equal(m.dims, dims) })
	}
	var states []string
	for _, w := range items(body["widgets"]) {
		for _, a := range items(at(w, "properties", "alarms")) {
			states = append(states, str(a))
		}
	}
	for _, a := range tp.ofType("AWS::CloudWatch::Alarm") {
		if !slices.Contains(states, "${"+a+".Arn}") {
			problems = append(problems, fmt.Sprintf("the dashboard's alarm widget does not show %s", a))
		}
	}
	for _, fn := range tp.functions() {
		for _, name := range []string{"Invocations", "Errors", "Throttles", "Duration"} {
			if !on("AWS/Lambda", name, map[string]string{"FunctionName": "${" + fn + "}"}) {
				problems = append(problems, fmt.Sprintf("the dashboard does not show %s of %s", name, fn))
			}
		}
	}
	for _, api := range tp.ofType("AWS::Serverless::HttpApi") {
		for _, name := range []string{"Count", "4xx", "5xx", "Latency"} {
			if !on("AWS/ApiGateway", name, map[string]string{"ApiId": "${" + api + "}"}) {
				problems = append(problems, fmt.Sprintf("the dashboard does not show %s of %s", name, api))
			}
		}
	}
	for _, table := range tp.ofType("AWS::DynamoDB::Table") {
		for _, name := range []string{"ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits", "ReadThrottleEvents", "WriteThrottleEvents"} {
			if !on("AWS/DynamoDB", name, map[string]string{"TableName": "${" + table + "}"}) {
				problems = append(problems, fmt.Sprintf("the dashboard does not show %s of %s", name, table))
			}
		}
	}
	return problems
}

func TestDashboardShowsEveryAlarmFunctionAndTable(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, dashboardRule)
	body := func(r map[string]any) string { return str(at(r, res("Dashboard", "DashboardBody", "Fn::Sub")...)) }
	replace := func(old, new string) func(map[string]any) {
		return func(r map[string]any) {
			if !strings.Contains(body(r), old) {
				t.Fatalf("the dashboard has no %s", old)
			}
			set(r, map[string]any{"Fn::Sub": strings.Replace(body(r), old, new, 1)}, res("Dashboard", "DashboardBody")...)
		}
	}
	expectCaught(t, tp, dashboardRule, []breakage{
		{"not JSON", replace(`{"widgets"`, `{widgets`), "not !Sub of a JSON object"},
		{"an alarm missing", replace(`"${ApiServerErrorsAlarm.Arn}",`, ``), "does not show ApiServerErrorsAlarm"},
		{"a function missing", replace(`["AWS/Lambda", "Duration", "FunctionName", "${CartFunction}"]`, `["AWS/Lambda", "Duration", "FunctionName", "${CookiesFunction}"]`), "Duration of CartFunction"},
		{"a metric that does not exist", replace(`"ConsumedReadCapacityUnits"`, `"ConsumedReads"`), `has no metric "ConsumedReads"`},
		{"a table that is not there", replace(`"${UsersTable}"`, `"${AccountsTable}"`), "TableName is not a !Ref"},
		{"a new function", func(r map[string]any) {
			rs := r["Resources"].(map[string]any)
			rs["PagesFunction"] = rs["CookiesFunction"]
		}, "Invocations of PagesFunction"},
	})
}

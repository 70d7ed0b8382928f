package templatetest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"
)

// ---- access logs and tracing -------------------------------------------------

// accessLogFields are the $context variables every access log line must
// carry (the issue: request ID, route, status, latency, integration error).
var accessLogFields = []string{"$context.requestId", "$context.routeKey", "$context.status", "$context.responseLatency", "$context.integrationErrorMessage"}

// accessLogRule: the HttpApi writes one JSON object per request, with
// accessLogFields, to a log group of the template that has a retention
// period; every function has active tracing.
func accessLogRule(tp *tmpl) []string {
	var problems []string
	for _, api := range tp.ofType("AWS::Serverless::HttpApi") {
		s := at(tp.props(api), "AccessLogSettings")
		group, attr := getAtt(at(s, "DestinationArn"))
		if tp.typeOf(group) != "AWS::Logs::LogGroup" || attr != "Arn" {
			problems = append(problems, fmt.Sprintf("%s: AccessLogSettings.DestinationArn %s, want !GetAtt <a log group of the template>.Arn", api, show(at(s, "DestinationArn"))))
		} else if at(tp.props(group), "RetentionInDays") == nil {
			problems = append(problems, fmt.Sprintf("%s: access log group %s keeps logs forever (no RetentionInDays)", api, group))
		}
		var format map[string]string
		if err := json.Unmarshal([]byte(str(at(s, "Format"))), &format); err != nil {
			problems = append(problems, fmt.Sprintf("%s: AccessLogSettings.Format %q is not one JSON object of strings: %v", api, str(at(s, "Format")), err))
			continue
		}
		values := slices.Collect(maps.Values(format))
		for _, f := range accessLogFields {
			if !slices.Contains(values, f) {
				problems = append(problems, fmt.Sprintf("%s: the access log lacks %s", api, f))
			}
		}
	}
	for _, fn := range tp.functions() {
		if v := str(tp.fnProp(fn, "Tracing")); v != "Active" {
			problems = append(problems, fmt.Sprintf("%s: Tracing %q, want Active (X-Ray)", fn, v))
		}
	}
	return problems
}

func TestAPIAccessLogsAreJSONAndFunctionsAreTraced(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, accessLogRule)
	logs := func(keys ...string) []string {
		return res("HttpApi", append([]string{"AccessLogSettings"}, keys...)...)
	}
	expectCaught(t, tp, accessLogRule, []breakage{
		{"no access log", func(r map[string]any) { del(r, res("HttpApi", "AccessLogSettings")...) }, "DestinationArn"},
		{"text format", func(r map[string]any) { set(r, "$context.requestId $context.status", logs("Format")...) }, "not one JSON object"},
		{"no route", func(r map[string]any) { set(r, `{"requestId":"$context.requestId"}`, logs("Format")...) }, "lacks $context.routeKey"},
		{"kept forever", func(r map[string]any) { del(r, res("ApiAccessLogs", "RetentionInDays")...) }, "keeps logs forever"},
		{"untraced", func(r map[string]any) { del(r, "Globals", "Function", "Tracing") }, "want Active"},
	})
}

// ---- the metrics the functions write ------------------------------------------

// customNamespace is the namespace (a !Sub string) of the functions' own
// metrics: their METRICS_NAMESPACE, the tamper filter's and the alarms'.
const customNamespace = "Sessionlab/${AWS::StackName}"

// validUnits are the units EMF takes (CloudWatch's StandardUnit).
var validUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true, "Megabytes": true,
	"Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true, "Terabits": true,
	"Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
	"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true,
	"Megabits/Second": true, "Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// emfMetrics checks line against CloudWatch's Embedded Metric Format
// specification (the _aws member, its directives, dimensions and metric
// values) and returns the namespace and names of the metrics it defines.
func emfMetrics(line string) (map[string][]string, error) {
	var root map[string]any
	if err := json.Unmarshal([]byte(line), &root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	meta, ok := root["_aws"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no _aws object")
	}
	ts, ok := meta["Timestamp"].(float64)
	if !ok || ts != float64(int64(ts)) || ts < 1e12 {
		return nil, fmt.Errorf("_aws.Timestamp %v is not epoch milliseconds", meta["Timestamp"])
	}
	directives, ok := meta["CloudWatchMetrics"].([]any)
	if !ok || len(directives) == 0 {
		return nil, fmt.Errorf("_aws.CloudWatchMetrics is not a non-empty array")
	}
	out := map[string][]string{}
	for _, d := range directives {
		ns := str(at(d, "Namespace"))
		if ns == "" || len(ns) > 1024 {
			return nil, fmt.Errorf("directive %s: Namespace must be a string of 1-1024 characters", show(d))
		}
		sets, ok := at(d, "Dimensions").([]any)
		if !ok {
			return nil, fmt.Errorf("directive %s: Dimensions is not an array of dimension sets", show(d))
		}
		for _, set := range sets {
			keys, ok := set.([]any)
			if !ok || len(keys) > 30 {
				return nil, fmt.Errorf("directive %s: a dimension set must be an array of at most 30 keys", show(d))
			}
			for _, k := range keys {
				if _, isString := root[str(k)].(string); !isString {
					return nil, fmt.Errorf("dimension %v has no string value in the line", k)
				}
			}
		}
		defs, ok := at(d, "Metrics").([]any)
		if !ok || len(defs) == 0 || len(defs) > 100 {
			return nil, fmt.Errorf("directive %s: Metrics must be an array of 1-100 definitions", show(d))
		}
		for _, def := range defs {
			name := str(at(def, "Name"))
			if name == "" || len(name) > 1024 {
				return nil, fmt.Errorf("metric definition %s: Name must be a string of 1-1024 characters", show(def))
			}
			if u, set := at(def, "Unit").(string); at(def, "Unit") != nil && (!set || !validUnits[u]) {
				return nil, fmt.Errorf("metric %s: Unit %v is not a CloudWatch unit", name, at(def, "Unit"))
			}
			if r := at(def, "StorageResolution"); r != nil && r != float64(1) && r != float64(60) {
				return nil, fmt.Errorf("metric %s: StorageResolution %v, want 1 or 60", name, r)
			}
			switch v := root[name].(type) {
			case float64:
			case []any:
				for _, x := range v {
					if _, isNum := x.(float64); !isNum {
						return nil, fmt.Errorf("metric %s: value %v is not numbers", name, v)
					}
				}
			default:
				return nil, fmt.Errorf("metric %s: the line has no number member %q", name, name)
			}
			out[ns] = append(out[ns], name)
		}
	}
	return out, nil
}

func TestEMFValidator(t *testing.T) {
	good := `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Fn"]],"Metrics":[{"Name":"A","Unit":"Count"},{"Name":"B"}]}]},"Fn":"x","A":1,"B":[1,2]}`
	if got, err := emfMetrics(good); err != nil || show(got) != `{"N":["A","B"]}` {
		t.Fatalf("a valid line: %v %v", got, err)
	}
	for _, bad := range []string{
		`not json`,
		`{"A":1}`,
		`{"_aws":{"Timestamp":"now","CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Metrics":[{"Name":"A"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[["Fn"]],"Metrics":[{"Name":"A"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A","Unit":"Things"}]}]},"A":1}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]},"A":"1"}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A"}]}]}}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[]}]}}`,
		`{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"N","Dimensions":[[]],"Metrics":[{"Name":"A","StorageResolution":5}]}]},"A":1}`,
	} {
		if _, err := emfMetrics(bad); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

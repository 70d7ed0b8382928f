package templatetest

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Routes whose every request costs an argon2id hash (API.md, "Password
// checks"; register hashes the new password). A route of this list that the
// template has must get limits of its own; the list names the routes the
// contract has, also those not built yet.
var (
	passwordRoutes = []string{"POST /api/login", "POST /api/reauthenticate", "PUT /api/password", "DELETE /api/account"}
	registerRoute  = "POST /api/register"
)

// argon2Seconds is what one password hash costs a function at the
// template's 256 MB (1/7 of a vCPU): docs/benchmarks.md measures 30 ms on a
// full core; docs/scale.md rounds the product up. The reserved concurrency
// of a function must cover its password routes at their rate limits.
const argon2Seconds = 0.25

// number is v as a number: a literal, or a !Ref to a Number parameter's
// default.
func (tp *tmpl) number(v any) (float64, bool) {
	if f, ok := v.(float64); ok {
		return f, true
	}
	p, ok := at(tp.raw, "Parameters", ref(v)).(map[string]any)
	if !ok || str(p["Type"]) != "Number" {
		return 0, false
	}
	f, ok := p["Default"].(float64)
	return f, ok
}

// fnRoutes are the route keys ("POST /api/login") of fn's HttpApi events.
func (tp *tmpl) fnRoutes(fn string) []string {
	var keys []string
	events, _ := at(tp.props(fn), "Events").(map[string]any)
	for _, ev := range events {
		if str(at(ev, "Type")) == "HttpApi" {
			keys = append(keys, strings.ToUpper(str(at(ev, "Properties", "Method")))+" "+str(at(ev, "Properties", "Path")))
		}
	}
	slices.Sort(keys)
	return keys
}

// routeKeys are every route key of the template.
func (tp *tmpl) routeKeys() map[string]bool {
	keys := map[string]bool{}
	for _, fn := range tp.functions() {
		for _, k := range tp.fnRoutes(fn) {
			keys[k] = true
		}
	}
	return keys
}

// limits reads a route settings object's rate and burst.
func (tp *tmpl) limits(settings any) (rate, burst float64, ok bool) {
	rate, okR := tp.number(at(settings, "ThrottlingRateLimit"))
	burst, okB := tp.number(at(settings, "ThrottlingBurstLimit"))
	return rate, burst, okR && okB && rate > 0 && burst > 0
}

// throttleRule: the HttpApi has a default rate and burst per route; every
// route that checks a password, and register, has tighter ones of its own;
// route settings name only routes that exist (API Gateway refuses the stage
// otherwise).
func throttleRule(tp *tmpl) []string {
	apis := tp.ofType("AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		return []string{fmt.Sprintf("want one AWS::Serverless::HttpApi, found %v", apis)}
	}
	p := tp.props(apis[0])
	rate, burst, ok := tp.limits(p["DefaultRouteSettings"])
	if !ok {
		return []string{fmt.Sprintf("%s: DefaultRouteSettings %s, want ThrottlingRateLimit and ThrottlingBurstLimit above 0 (numbers or Number parameters)", apis[0], show(p["DefaultRouteSettings"]))}
	}
	var problems []string
	routes := tp.routeKeys()
	settings, _ := p["RouteSettings"].(map[string]any)
	for _, key := range slices.Sorted(maps.Keys(settings)) {
		if !routes[key] {
			problems = append(problems, fmt.Sprintf("%s: RouteSettings names %q, which is no route of the template (API Gateway refuses the stage)", apis[0], key))
		}
	}
	for _, key := range append(slices.Clone(passwordRoutes), registerRoute) {
		if !routes[key] {
			continue
		}
		r, b, ok := tp.limits(settings[key])
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: %s checks a password or hashes one, but RouteSettings gives it no rate and burst of its own", apis[0], key))
		case r >= rate || b >= burst:
			problems = append(problems, fmt.Sprintf("%s: %s may take %v/s (burst %v), not less than the default %v/s (burst %v)", apis[0], key, r, b, rate, burst))
		}
	}
	return problems
}

func TestRoutesAreThrottledAndPasswordRoutesMore(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, throttleRule)
	api := func(keys ...string) []string { return res("HttpApi", keys...) }
	expectCaught(t, tp, throttleRule, []breakage{
		{"no default", func(r map[string]any) { del(r, api("DefaultRouteSettings")...) }, "DefaultRouteSettings"},
		{"no burst", func(r map[string]any) { del(r, api("DefaultRouteSettings", "ThrottlingBurstLimit")...) }, "DefaultRouteSettings"},
		{"login unlimited", func(r map[string]any) { del(r, api("RouteSettings", "POST /api/login")...) }, "POST /api/login checks a password"},
		{"register as loose as the rest", func(r map[string]any) {
			set(r, map[string]any{"Ref": "ApiRateLimit"}, api("RouteSettings", "POST /api/register", "ThrottlingRateLimit")...)
		}, "not less than the default"},
		{"a route that does not exist", func(r map[string]any) {
			set(r, map[string]any{"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1}, api("RouteSettings", "POST /api/nothing")...)
		}, "no route of the template"},
		{"password change unlimited", func(r map[string]any) { del(r, api("RouteSettings", "PUT /api/password")...) }, "PUT /api/password checks a password"},
		{"account deletion unlimited", func(r map[string]any) { del(r, api("RouteSettings", "DELETE /api/account")...) }, "DELETE /api/account checks a password"},
		{"re-authentication unlimited", func(r map[string]any) { del(r, api("RouteSettings", "POST /api/reauthenticate")...) }, "POST /api/reauthenticate checks a password"},
	})
}

// concurrencyRule: every function that serves a password route has
// reserved concurrency from a Number parameter (0 may turn it off), at
// least what its password routes need at their rate limits (rate ×
// argon2Seconds, summed), so the limits, not the reservation, are what a
// flood of logins meets first.
func concurrencyRule(tp *tmpl) []string {
	var problems []string
	settings, _ := at(tp.props("HttpApi"), "RouteSettings").(map[string]any)
	for _, fn := range tp.functions() {
		need := 0.0
		for _, key := range tp.fnRoutes(fn) {
			if slices.Contains(passwordRoutes, key) || key == registerRoute {
				r, _, _ := tp.limits(settings[key])
				need += r * argon2Seconds
			}
		}
		if need == 0 {
			continue
		}
		v := tp.fnProp(fn, "ReservedConcurrentExecutions")
		if cond := items(at(v, "Fn::If")); len(cond) == 3 && ref(cond[2]) == "AWS::NoValue" {
			v = cond[1]
		}
		got, ok := tp.number(v)
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s checks passwords but has no ReservedConcurrentExecutions from a Number parameter (%s)", fn, show(v)))
		case got < math.Ceil(need):
			problems = append(problems, fmt.Sprintf("%s: reserved concurrency %v is less than its password routes need at their limits (%v)", fn, got, math.Ceil(need)))
		}
	}
	return problems
}

func TestPasswordCheckingFunctionHasReservedConcurrency(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, concurrencyRule)
	expectCaught(t, tp, concurrencyRule, []breakage{
		{"none", func(r map[string]any) { del(r, res("AuthFunction", "ReservedConcurrentExecutions")...) }, "no ReservedConcurrentExecutions"},
		{"too little", func(r map[string]any) { set(r, 1.0, "Parameters", "AuthReservedConcurrency", "Default") }, "less than its password routes need"},
		{"limits raised past it", func(r map[string]any) { set(r, 1000.0, "Parameters", "PasswordRouteRateLimit", "Default") }, "less than its password routes need"},
	})
}

// ---- only through CloudFront ------------------------------------------------

// dynamicRef matches one Secrets Manager dynamic reference of a template
// secret with an optional version parameter.
var dynamicRef = regexp.MustCompile(`^\{\{resolve:secretsmanager:\$\{([A-Za-z0-9]+)\}:SecretString:::(?:\$\{([A-Za-z0-9]+)\})?\}\}$`)

// originRule: CloudFront adds web.OriginHeader to every request to the API
// origin, its value a dynamic reference to a generated 64-hex secret of the
// template; every function's ORIGIN_SECRET accepts that very reference (the
// version CloudFront sends) and at most one other version of the same
// secret; no output gives the execute-api URL as a way in.
func originRule(tp *tmpl) []string {
	_, cfg, err := tp.distribution()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	var header string
	for _, o := range cfg.Origins {
		if !strings.Contains(o.DomainName, ".execute-api.") {
			continue
		}
		for _, h := range o.OriginCustomHeaders {
			if strings.EqualFold(h.HeaderName, web.OriginHeader) {
				header = h.HeaderValue
			}
		}
		if header == "" {
			problems = append(problems, fmt.Sprintf("origin %s: no OriginCustomHeaders entry %s: the functions would refuse every request (or, unchecked, anyone could skip CloudFront)", o.Id, web.OriginHeader))
		}
	}
	if header == "" {
		return problems
	}
	m := dynamicRef.FindStringSubmatch(header)
	if m == nil {
		return append(problems, fmt.Sprintf("%s is %q, want !Sub \"{{resolve:secretsmanager:${Secret}:SecretString:::${Version}}}\" (never a literal)", web.OriginHeader, header))
	}
	secret, version := m[1], m[2]
	if tp.typeOf(secret) != "AWS::SecretsManager::Secret" {
		return append(problems, fmt.Sprintf("%s refers to %s, not a secret of the template", web.OriginHeader, secret))
	}
	if g, _ := tp.props(secret)["GenerateSecretString"].(map[string]any); g == nil || generatedAlphabet(g) != "0123456789abcdef" || fmt.Sprint(g["PasswordLength"]) != "64" {
		problems = append(problems, fmt.Sprintf("%s: want GenerateSecretString of 64 hex digits (as SessionSecret)", secret))
	}
	for _, fn := range tp.functions() {
		v := sub(tp.fnEnv(fn)["ORIGIN_SECRET"])
		entries := strings.Split(v, ",")
		sendsFirst := len(entries) > 0 && entries[0] == header
		others := true
		for _, e := range entries[1:] {
			if em := dynamicRef.FindStringSubmatch(e); em == nil || em[1] != secret {
				others = false
			}
		}
		if !sendsFirst || !others || len(entries) > 2 {
			problems = append(problems, fmt.Sprintf("%s: ORIGIN_SECRET is %q, want what CloudFront sends (%s) first and at most one other version of %s", fn, v, header, secret))
		}
	}
	if version != "" && str(at(tp.raw, "Parameters", version, "Type")) != "String" {
		problems = append(problems, fmt.Sprintf("%s: version %s is no String parameter", web.OriginHeader, version))
	}
	outputs, _ := tp.raw["Outputs"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(outputs)) {
		if strings.Contains(show(at(outputs[name], "Value")), "execute-api") {
			problems = append(problems, fmt.Sprintf("output %s gives the execute-api URL: the API answers only through CloudFront", name))
		}
	}
	return problems
}

func TestAPIAnswersOnlyThroughCloudFront(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, originRule)
	apiOrigin := func(r map[string]any) map[string]any {
		return at(r, res("SiteDistribution", "DistributionConfig", "Origins")...).([]any)[1].(map[string]any)
	}
	header := func(r map[string]any) map[string]any {
		return apiOrigin(r)["OriginCustomHeaders"].([]any)[0].(map[string]any)
	}
	env := func(fn string) []string { return res(fn, "Environment", "Variables", "ORIGIN_SECRET") }
	expectCaught(t, tp, originRule, []breakage{
		{"no header", func(r map[string]any) { delete(apiOrigin(r), "OriginCustomHeaders") }, "no OriginCustomHeaders entry"},
		{"another header name", func(r map[string]any) { header(r)["HeaderName"] = "X-Secret" }, "no OriginCustomHeaders entry"},
		{"a literal", func(r map[string]any) { header(r)["HeaderValue"] = "0123456789abcdef0123456789abcdef" }, "never a literal"},
		{"another secret", func(r map[string]any) {
			header(r)["HeaderValue"] = map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${SessionSecret}:SecretString:::}}"}
		}, "want what CloudFront sends"},
		{"a function accepts another version only", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": "{{resolve:secretsmanager:${OriginSecret}:SecretString:::${OriginSecretAcceptedVersion}}}"}, env("CartFunction")...)
		}, "CartFunction: ORIGIN_SECRET"},
		{"a weak secret", func(r map[string]any) { set(r, 16, res("OriginSecret", "GenerateSecretString", "PasswordLength")...) }, "64 hex digits"},
		{"the execute-api URL as an output", func(r map[string]any) {
			set(r, map[string]any{"Value": map[string]any{"Fn::Sub": "https://${HttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}}, "Outputs", "ApiUrl")
		}, "output ApiUrl gives the execute-api URL"},
	})
}

// ---- WAF ----------------------------------------------------------------------

const wafTemplatePath = "../../infra/waf/web-acl.yaml"

// loadRaw reads a template with intrinsics in their long form.
func loadRaw(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := samtemplate.ReadRaw(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return raw
}

// wafRule: the distribution takes a web ACL from a parameter that only a
// CloudFront (us-east-1, global) web ACL ARN matches, and none when it is
// empty; infra/waf/web-acl.yaml is such a web ACL, blocking per client IP
// with a rate-based rule whose scope covers the path of every password
// route and register of the template.
func wafRule(waf map[string]any) rule {
	return func(tp *tmpl) []string {
		var problems []string
		id := at(tp.props("SiteDistribution"), "DistributionConfig", "WebACLId")
		cond := items(at(id, "Fn::If"))
		if len(cond) != 3 || ref(cond[2]) != "AWS::NoValue" {
			return []string{fmt.Sprintf("SiteDistribution: WebACLId %s, want !If [<parameter set>, !Ref <parameter>, !Ref AWS::NoValue]", show(id))}
		}
		param := ref(cond[1])
		pattern := str(at(tp.raw, "Parameters", param, "AllowedPattern"))
		re, err := regexp.Compile(pattern)
		switch {
		case err != nil || pattern == "":
			problems = append(problems, fmt.Sprintf("parameter %s: AllowedPattern %q, want one that takes only CloudFront web ACL ARNs", param, pattern))
		case !re.MatchString("arn:aws:wafv2:us-east-1:123456789012:global/webacl/sessionlab/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0") || !re.MatchString(""):
			problems = append(problems, fmt.Sprintf("parameter %s: AllowedPattern refuses a CloudFront web ACL ARN or the empty default", param))
		case re.MatchString("arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/sessionlab/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"):
			problems = append(problems, fmt.Sprintf("parameter %s: AllowedPattern takes a regional web ACL, which CloudFront cannot use", param))
		}
		var acls []map[string]any
		for _, r := range at(waf, "Resources").(map[string]any) {
			if str(at(r, "Type")) == "AWS::WAFv2::WebACL" {
				acls = append(acls, at(r, "Properties").(map[string]any))
			}
		}
		if len(acls) != 1 || str(acls[0]["Scope"]) != "CLOUDFRONT" {
			return append(problems, "infra/waf/web-acl.yaml: want one AWS::WAFv2::WebACL of Scope CLOUDFRONT")
		}
		covered := map[string]bool{}
		blocksAll := false
		for _, rl := range items(acls[0]["Rules"]) {
			rb := at(rl, "Statement", "RateBasedStatement")
			if rb == nil || str(at(rb, "AggregateKeyType")) != "IP" || at(rl, "Action", "Block") == nil {
				continue
			}
			scope := at(rb, "ScopeDownStatement")
			if scope == nil {
				blocksAll = true
			}
			for _, st := range append(items(at(scope, "OrStatement", "Statements")), scope) {
				if bm := at(st, "ByteMatchStatement"); bm != nil && str(at(bm, "PositionalConstraint")) == "EXACTLY" && at(bm, "FieldToMatch", "UriPath") != nil {
					covered[str(at(bm, "SearchString"))] = true
				}
			}
		}
		if !blocksAll {
			problems = append(problems, "infra/waf/web-acl.yaml: no rate-based rule per IP over every request")
		}
		routes := tp.routeKeys()
		for _, key := range append(slices.Clone(passwordRoutes), registerRoute) {
			_, path, _ := strings.Cut(key, " ")
			if routes[key] && !covered[path] {
				problems = append(problems, fmt.Sprintf("infra/waf/web-acl.yaml: no per-IP rate rule covers %s (%s checks or hashes a password)", path, key))
			}
		}
		return problems
	}
}

func TestWebACLIsOptionalAndLimitsPasswordRoutesPerIP(t *testing.T) {
	tp := load(t)
	waf := loadRaw(t, wafTemplatePath)
	expectNone(t, tp, wafRule(waf))
	expectCaught(t, tp, wafRule(waf), []breakage{
		{"always attached", func(r map[string]any) {
			set(r, map[string]any{"Ref": "WebAclArn"}, res("SiteDistribution", "DistributionConfig", "WebACLId")...)
		}, "want !If"},
		{"any ARN", func(r map[string]any) { set(r, ".*", "Parameters", "WebAclArn", "AllowedPattern") }, "takes a regional web ACL"},
	})
	// The WAF template broken: its login rule's scope no longer matches.
	broken := loadRaw(t, wafTemplatePath)
	stmts := at(broken, "Resources", "WebAcl", "Properties", "Rules").([]any)[0].(map[string]any)
	scope := at(stmts, "Statement", "RateBasedStatement", "ScopeDownStatement", "OrStatement").(map[string]any)
	scope["Statements"] = scope["Statements"].([]any)[1:]
	if p := wafRule(broken)(tp); len(p) != 1 || !strings.Contains(p[0], "covers /api/login") {
		t.Errorf("a WAF without the login path: got %q", p)
	}
}

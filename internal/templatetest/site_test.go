package templatetest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awslabs/goformation/v7/cloudformation/cloudfront"

	"github.com/sessionlab/sessionlab/internal/web"
)

// AWS managed CloudFront policies (FIELD-NOTES, "CloudFront in front of an HTTP API").
const (
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// distribution is the template's one CloudFront distribution.
func (tp *tmpl) distribution() (string, *cloudfront.Distribution_DistributionConfig, error) {
	all := tp.cfn.GetAllCloudFrontDistributionResources()
	if len(all) != 1 {
		return "", nil, fmt.Errorf("want one CloudFront distribution, found %d", len(all))
	}
	for name, d := range all {
		if d.DistributionConfig == nil || d.DistributionConfig.DefaultCacheBehavior == nil {
			return "", nil, fmt.Errorf("%s has no DistributionConfig.DefaultCacheBehavior", name)
		}
		return name, d.DistributionConfig, nil
	}
	return "", nil, nil
}

// glob turns a CloudFront path pattern (* any characters, ? one) into a regexp.
func glob(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}

// routes are the template's HttpApi routes: method and path.
func (tp *tmpl) routes() [][2]string {
	var routes [][2]string
	for _, fn := range tp.functions() {
		events, _ := at(tp.props(fn), "Events").(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(events)) {
			if str(at(events[name], "Type")) == "HttpApi" {
				routes = append(routes, [2]string{strings.ToUpper(str(at(events[name], "Properties", "Method"))), str(at(events[name], "Properties", "Path"))})
			}
		}
	}
	return routes
}

// behaviourFor is the cache behaviour CloudFront picks for path: the first
// whose pattern matches, else the default (nil).
func behaviourFor(cfg *cloudfront.Distribution_DistributionConfig, path string) *cloudfront.Distribution_CacheBehavior {
	for i := range cfg.CacheBehaviors {
		if glob(cfg.CacheBehaviors[i].PathPattern).MatchString(path) {
			return &cfg.CacheBehaviors[i]
		}
	}
	return nil
}

func origin(cfg *cloudfront.Distribution_DistributionConfig, id string) *cloudfront.Distribution_Origin {
	for i := range cfg.Origins {
		if cfg.Origins[i].Id == id {
			return &cfg.Origins[i]
		}
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiRule: every route's path reaches the HttpApi through one behaviour
// that caches nothing, forwards every viewer header but Host (so Cookie,
// Origin and Sec-Fetch-Site reach the functions and every Set-Cookie comes
// back) and allows every method of the routes; no error page of
// CloudFront's replaces an API answer; the API sees the whole path.
func apiRule(tp *tmpl) []string {
	_, cfg, err := tp.distribution()
	if err != nil {
		return []string{err.Error()}
	}
	apis := tp.ofType("AWS::Serverless::HttpApi")
	if len(apis) != 1 {
		return []string{fmt.Sprintf("want one AWS::Serverless::HttpApi, found %v", apis)}
	}
	var problems []string
	if len(cfg.CustomErrorResponses) > 0 {
		problems = append(problems, "the distribution has CustomErrorResponses: they apply to /api/* too and would replace the API's JSON errors")
	}
	routes := tp.routes()
	if len(routes) == 0 {
		return append(problems, "the template has no HttpApi routes")
	}
	seen := map[string]bool{}
	for _, route := range routes {
		method, path := route[0], strings.NewReplacer("{", "", "}", "").Replace(route[1])
		b := behaviourFor(cfg, path)
		if b == nil {
			problems = append(problems, fmt.Sprintf("%s %s: no cache behaviour matches it, so the default one sends it to the site", method, route[1]))
			continue
		}
		if !slices.Contains(b.AllowedMethods, method) {
			problems = append(problems, fmt.Sprintf("%s %s: behaviour %s allows methods %v only", method, route[1], b.PathPattern, b.AllowedMethods))
		}
		if seen[b.PathPattern] {
			continue
		}
		seen[b.PathPattern] = true
		where := "behaviour " + b.PathPattern
		if deref(b.CachePolicyId) != cachingDisabled {
			problems = append(problems, fmt.Sprintf("%s: CachePolicyId %q, want the managed CachingDisabled %s (a cached answer would carry someone else's Set-Cookie)", where, deref(b.CachePolicyId), cachingDisabled))
		}
		if deref(b.OriginRequestPolicyId) != allViewerExceptHostHeader {
			problems = append(problems, fmt.Sprintf("%s: OriginRequestPolicyId %q, want the managed AllViewerExceptHostHeader %s (cookies, Origin and Sec-Fetch-Site forwarded; Host not, or API Gateway answers 403)", where, deref(b.OriginRequestPolicyId), allViewerExceptHostHeader))
		}
		if b.ForwardedValues != nil {
			problems = append(problems, where+": legacy ForwardedValues set; the policies above decide what is forwarded")
		}
		if b.ViewerProtocolPolicy != "https-only" && b.ViewerProtocolPolicy != "redirect-to-https" {
			problems = append(problems, fmt.Sprintf("%s: ViewerProtocolPolicy %q lets cookies travel over plain HTTP", where, b.ViewerProtocolPolicy))
		}
		o := origin(cfg, b.TargetOriginId)
		switch {
		case o == nil:
			problems = append(problems, fmt.Sprintf("%s: no origin %q", where, b.TargetOriginId))
		case !strings.HasPrefix(o.DomainName, "${"+apis[0]+"}.execute-api."):
			problems = append(problems, fmt.Sprintf("%s: origin %s is %q, not the HttpApi %s", where, o.Id, o.DomainName, apis[0]))
		case o.CustomOriginConfig == nil || o.CustomOriginConfig.OriginProtocolPolicy != "https-only":
			problems = append(problems, fmt.Sprintf("%s: origin %s must be reached over HTTPS only", where, o.Id))
		case deref(o.OriginPath) != "":
			problems = append(problems, fmt.Sprintf("%s: origin %s has OriginPath %q; the HttpApi's routes keep their /api/ prefix", where, o.Id, deref(o.OriginPath)))
		}
	}
	return problems
}

func TestCloudFrontSendsTheAPIUncachedWithCookies(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, apiRule)
	behaviour := func(r map[string]any) map[string]any {
		return at(r, res("SiteDistribution", "DistributionConfig", "CacheBehaviors")...).([]any)[0].(map[string]any)
	}
	expectCaught(t, tp, apiRule, []breakage{
		{"cached", func(r map[string]any) { behaviour(r)["CachePolicyId"] = "658327ea-f89d-4fab-a63d-7e88639e58f6" }, "want the managed CachingDisabled"},
		{"cookies not forwarded", func(r map[string]any) { delete(behaviour(r), "OriginRequestPolicyId") }, "want the managed AllViewerExceptHostHeader"},
		{"legacy forwarding", func(r map[string]any) {
			behaviour(r)["ForwardedValues"] = map[string]any{"QueryString": true, "Cookies": map[string]any{"Forward": "none"}}
		}, "legacy ForwardedValues"},
		{"GET only", func(r map[string]any) { behaviour(r)["AllowedMethods"] = []any{"GET", "HEAD"} }, "allows methods"},
		{"no /api/* behaviour", func(r map[string]any) { behaviour(r)["PathPattern"] = "/v1/*" }, "sends it to the site"},
		{"error pages", func(r map[string]any) {
			set(r, []any{map[string]any{"ErrorCode": 404, "ResponseCode": 200, "ResponsePagePath": "/index.html"}},
				res("SiteDistribution", "DistributionConfig", "CustomErrorResponses")...)
		}, "CustomErrorResponses"},
	})
}

// headersPolicy is the response headers policy a behaviour's
// ResponseHeadersPolicyId refers to ("${Name}" in the typed view).
func (tp *tmpl) headersPolicy(id *string) (string, *cloudfront.ResponseHeadersPolicy_SecurityHeadersConfig) {
	name := strings.TrimSuffix(strings.TrimPrefix(deref(id), "${"), "}")
	p, err := tp.cfn.GetCloudFrontResponseHeadersPolicyWithName(name)
	if err != nil || p.ResponseHeadersPolicyConfig == nil || p.ResponseHeadersPolicyConfig.SecurityHeadersConfig == nil {
		return name, nil
	}
	return name, p.ResponseHeadersPolicyConfig.SecurityHeadersConfig
}

// oneYear is the least HSTS max-age worth having.
const oneYear = 365 * 24 * 60 * 60

// headersRule: the site's pages get exactly the headers the local runner
// sets (web.SiteHeaders, the CSP being web.SiteCSP) plus HSTS; API answers
// get HSTS and keep the functions' own headers (web.APIHeaders).
func headersRule(tp *tmpl) []string {
	_, cfg, err := tp.distribution()
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	name, site := tp.headersPolicy(cfg.DefaultCacheBehavior.ResponseHeadersPolicyId)
	if site == nil {
		return []string{fmt.Sprintf("the default behaviour's ResponseHeadersPolicyId %q is no response headers policy of the template with security headers", deref(cfg.DefaultCacheBehavior.ResponseHeadersPolicyId))}
	}
	for _, h := range slices.Sorted(maps.Keys(web.SiteHeaders)) {
		want, got := web.SiteHeaders[h], ""
		switch h {
		case "Content-Security-Policy":
			if c := site.ContentSecurityPolicy; c != nil && c.Override {
				got = c.ContentSecurityPolicy
			}
		case "X-Content-Type-Options":
			if c := site.ContentTypeOptions; c != nil && c.Override {
				got = "nosniff"
			}
		case "Referrer-Policy":
			if c := site.ReferrerPolicy; c != nil && c.Override {
				got = c.ReferrerPolicy
			}
		case "X-Frame-Options":
			if c := site.FrameOptions; c != nil && c.Override {
				got = c.FrameOption
			}
		default:
			got = "(no case in headersRule: add one)"
		}
		if got != want {
			problems = append(problems, fmt.Sprintf("%s: %s is %q, the local runner sends %q (web.SiteHeaders)", name, h, got, want))
		}
	}
	if s := site.StrictTransportSecurity; s == nil || !s.Override || s.AccessControlMaxAgeSec < oneYear {
		problems = append(problems, fmt.Sprintf("%s: want Strict-Transport-Security with max-age of at least a year", name))
	}
	for _, b := range cfg.CacheBehaviors {
		if !glob(b.PathPattern).MatchString("/api/x") {
			continue
		}
		name, api := tp.headersPolicy(b.ResponseHeadersPolicyId)
		switch {
		case api == nil || api.StrictTransportSecurity == nil || api.StrictTransportSecurity.AccessControlMaxAgeSec < oneYear:
			problems = append(problems, fmt.Sprintf("behaviour %s: want a response headers policy with HSTS of at least a year", b.PathPattern))
		case api.ContentSecurityPolicy != nil || api.FrameOptions != nil || api.ReferrerPolicy != nil || api.ContentTypeOptions != nil:
			problems = append(problems, fmt.Sprintf("behaviour %s: %s sets headers the functions already set (web.APIHeaders); the site's values would replace the API's", b.PathPattern, name))
		}
	}
	return problems
}

func TestSiteHeadersAreTheLocalOnesPlusHSTS(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, headersRule)
	site := res("SiteHeadersPolicy", "ResponseHeadersPolicyConfig", "SecurityHeadersConfig")
	expectCaught(t, tp, headersRule, []breakage{
		{"another CSP", func(r map[string]any) {
			set(r, "default-src 'self' 'unsafe-inline'", append(site, "ContentSecurityPolicy", "ContentSecurityPolicy")...)
		}, "Content-Security-Policy"},
		{"framing allowed", func(r map[string]any) { del(r, append(site, "FrameOptions")...) }, "X-Frame-Options"},
		{"no HSTS", func(r map[string]any) { del(r, append(site, "StrictTransportSecurity")...) }, "Strict-Transport-Security"},
		{"site CSP on the API", func(r map[string]any) {
			set(r, map[string]any{"ContentSecurityPolicy": web.SiteCSP, "Override": true},
				res("ApiHeadersPolicy", "ResponseHeadersPolicyConfig", "SecurityHeadersConfig", "ContentSecurityPolicy")...)
		}, "web.APIHeaders"},
	})
}

// TestTemplateCSPIsWebSiteCSP says it plainly, whatever else the rule checks.
func TestTemplateCSPIsWebSiteCSP(t *testing.T) {
	tp := load(t)
	_, cfg, err := tp.distribution()
	if err != nil {
		t.Fatal(err)
	}
	_, site := tp.headersPolicy(cfg.DefaultCacheBehavior.ResponseHeadersPolicyId)
	got := "(none)"
	if site != nil && site.ContentSecurityPolicy != nil {
		got = site.ContentSecurityPolicy.ContentSecurityPolicy
	}
	if got != web.SiteCSP {
		t.Fatalf("the site's CloudFront CSP differs from web.SiteCSP (internal/web/middleware.go):\n template: %s\n Go:       %s", got, web.SiteCSP)
	}
}

// ---- nothing public -----------------------------------------------------------

// publicPrincipal tells whether an IAM principal is everyone.
func publicPrincipal(p any) bool {
	if str(p) == "*" {
		return true
	}
	return slices.ContainsFunc(items(at(p, "AWS")), func(v any) bool { return str(v) == "*" })
}

// statementsIn finds every IAM statement anywhere under v, with where it is.
func statementsIn(v any, where string, found func(where string, s map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if k == "Statement" {
				for _, s := range items(x[k]) {
					if m, ok := s.(map[string]any); ok {
						found(where, m)
					}
				}
				continue
			}
			statementsIn(x[k], where+"."+k, found)
		}
	case []any:
		for i, e := range x {
			statementsIn(e, fmt.Sprintf("%s[%d]", where, i), found)
		}
	}
}

// publicRule: no policy anywhere allows everyone; buckets block every
// kind of public access, own their objects, and are read only by this
// template's distribution; no function has a public URL or permission.
func publicRule(tp *tmpl) []string {
	var problems []string
	dist, cfg, err := tp.distribution()
	if err != nil {
		return []string{err.Error()}
	}
	for _, name := range slices.Sorted(maps.Keys(tp.resources())) {
		statementsIn(tp.resources()[name], name, func(where string, s map[string]any) {
			if str(s["Effect"]) == "Allow" && publicPrincipal(s["Principal"]) {
				problems = append(problems, fmt.Sprintf("%s: allows everyone (Principal %s)", where, show(s["Principal"])))
			}
		})
	}
	for _, b := range tp.ofType("AWS::S3::Bucket") {
		p := tp.props(b)
		for _, k := range []string{"BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"} {
			if at(p, "PublicAccessBlockConfiguration", k) != true {
				problems = append(problems, fmt.Sprintf("%s: PublicAccessBlockConfiguration.%s is not true: public access is possible", b, k))
			}
		}
		if own := show(at(p, "OwnershipControls", "Rules")); own != `[{"ObjectOwnership":"BucketOwnerEnforced"}]` {
			problems = append(problems, fmt.Sprintf("%s: OwnershipControls %s, want BucketOwnerEnforced (no ACLs; Origin Access Control needs it)", b, own))
		}
		for _, k := range []string{"AccessControl", "WebsiteConfiguration"} {
			if p[k] != nil {
				problems = append(problems, fmt.Sprintf("%s: %s is set; the site is served by CloudFront only", b, k))
			}
		}
	}
	for _, bp := range tp.ofType("AWS::S3::BucketPolicy") {
		for _, s := range items(at(tp.props(bp), "PolicyDocument", "Statement")) {
			if str(at(s, "Effect")) != "Allow" {
				continue
			}
			arn := sub(at(s, "Condition", "StringEquals", "AWS:SourceArn"))
			if show(at(s, "Principal")) != `{"Service":"cloudfront.amazonaws.com"}` || !strings.HasSuffix(arn, ":distribution/${"+dist+"}") {
				problems = append(problems, fmt.Sprintf("%s: allows %s with AWS:SourceArn %q; want cloudfront.amazonaws.com for distribution %s only", bp, show(at(s, "Principal")), arn, dist))
			}
		}
	}
	for _, o := range cfg.Origins {
		if o.S3OriginConfig != nil && (deref(o.OriginAccessControlId) == "" || deref(o.S3OriginConfig.OriginAccessIdentity) != "") {
			problems = append(problems, fmt.Sprintf("origin %s: an S3 origin without Origin Access Control", o.Id))
		}
	}
	for _, fn := range tp.functions() {
		if u := at(tp.props(fn), "FunctionUrlConfig"); u != nil && str(at(u, "AuthType")) != "AWS_IAM" {
			problems = append(problems, fmt.Sprintf("%s: a public function URL", fn))
		}
	}
	for _, lp := range tp.ofType("AWS::Lambda::Permission") {
		if str(at(tp.props(lp), "Principal")) == "*" {
			problems = append(problems, fmt.Sprintf("%s: lets anyone invoke a function", lp))
		}
	}
	return problems
}

func TestNothingIsPublic(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, publicRule)
	policy := res("SiteBucketPolicy", "PolicyDocument", "Statement")
	expectCaught(t, tp, publicRule, []breakage{
		{"public policy allowed", func(r map[string]any) {
			set(r, false, res("SiteBucket", "PublicAccessBlockConfiguration", "BlockPublicPolicy")...)
		}, "public access is possible"},
		{"readable by all", func(r map[string]any) { at(r, policy...).([]any)[0].(map[string]any)["Principal"] = "*" }, "allows everyone"},
		{"any distribution", func(r map[string]any) { delete(at(r, policy...).([]any)[0].(map[string]any), "Condition") }, "for distribution SiteDistribution only"},
		{"ACLs", func(r map[string]any) { set(r, "PublicRead", res("SiteBucket", "AccessControl")...) }, "AccessControl is set"},
		{"website hosting", func(r map[string]any) {
			set(r, map[string]any{"IndexDocument": "index.html"}, res("SiteBucket", "WebsiteConfiguration")...)
		}, "WebsiteConfiguration"},
		{"no OAC", func(r map[string]any) {
			delete(at(r, res("SiteDistribution", "DistributionConfig", "Origins")...).([]any)[0].(map[string]any), "OriginAccessControlId")
		}, "without Origin Access Control"},
		{"function URL", func(r map[string]any) {
			set(r, map[string]any{"AuthType": "NONE"}, res("CartFunction", "FunctionUrlConfig")...)
		}, "public function URL"},
		{"public secret", func(r map[string]any) {
			set(r, map[string]any{"Type": "AWS::SecretsManager::ResourcePolicy", "Properties": map[string]any{
				"SecretId": map[string]any{"Ref": "SessionSecret"},
				"ResourcePolicy": map[string]any{"Statement": []any{map[string]any{
					"Effect": "Allow", "Principal": map[string]any{"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}}}}},
				"Resources", "SecretPolicy")
		}, "allows everyone"},
	})
}

// ---- tables -------------------------------------------------------------------

// tablesRule: TTL on expiresAt, point-in-time recovery, deletion
// protection from a true/false parameter, billing per request.
func tablesRule(tp *tmpl) []string {
	var problems []string
	tables := tp.ofType("AWS::DynamoDB::Table")
	if len(tables) == 0 {
		return []string{"the template has no tables"}
	}
	for _, tb := range tables {
		p := tp.props(tb)
		if at(p, "TimeToLiveSpecification", "Enabled") != true || str(at(p, "TimeToLiveSpecification", "AttributeName")) != "expiresAt" {
			problems = append(problems, fmt.Sprintf("%s: want TTL enabled on expiresAt, got %s", tb, show(p["TimeToLiveSpecification"])))
		}
		if at(p, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled") != true {
			problems = append(problems, fmt.Sprintf("%s: point-in-time recovery is off", tb))
		}
		if str(p["BillingMode"]) != "PAY_PER_REQUEST" {
			problems = append(problems, fmt.Sprintf("%s: BillingMode %q, want PAY_PER_REQUEST (nothing to pay at rest)", tb, str(p["BillingMode"])))
		}
		cond := items(at(p, "DeletionProtectionEnabled", "Fn::If"))
		eq := items(at(tp.raw, "Conditions", strs(cond...), "Fn::Equals"))
		if len(cond) != 3 || cond[1] != true || cond[2] != false || len(eq) != 2 || str(eq[1]) != "true" ||
			show(at(tp.raw, "Parameters", ref(eq[0]), "AllowedValues")) != `["true","false"]` {
			problems = append(problems, fmt.Sprintf("%s: DeletionProtectionEnabled is %s, want !If [<condition: a true/false parameter equals \"true\">, true, false]", tb, show(p["DeletionProtectionEnabled"])))
		}
	}
	return problems
}

func strs(v ...any) string {
	if len(v) == 0 {
		return ""
	}
	return str(v[0])
}

func TestTablesHaveTTLRecoveryAndDeletionProtection(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, tablesRule)
	expectCaught(t, tp, tablesRule, []breakage{
		{"no PITR", func(r map[string]any) { del(r, res("UsersTable", "PointInTimeRecoverySpecification")...) }, "point-in-time recovery is off"},
		{"no TTL", func(r map[string]any) { set(r, false, res("SessionsTable", "TimeToLiveSpecification", "Enabled")...) }, "want TTL enabled"},
		{"no protection", func(r map[string]any) { del(r, res("SessionsTable", "DeletionProtectionEnabled")...) }, "DeletionProtectionEnabled"},
		{"provisioned", func(r map[string]any) { set(r, "PROVISIONED", res("UsersTable", "BillingMode")...) }, "PAY_PER_REQUEST"},
	})
}

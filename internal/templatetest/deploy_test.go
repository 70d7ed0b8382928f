package templatetest

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

// ---- gradual deploys --------------------------------------------------------------

// lambdaDeployments are CodeDeploy's predefined configurations for Lambda
// (CodeDeployDefault.Lambda<name>), the values SAM's DeploymentPreference.Type takes.
var lambdaDeployments = []string{
	"AllAtOnce", "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
	"Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes",
}

// deployRule: every function publishes a version behind an alias, and
// CodeDeploy shifts traffic to it by a configuration that is gradual by
// default (a parameter may allow AllAtOnce for dev stacks) and rolls back
// on an alarm on that alias's Errors and on the API's 5xx.
func deployRule(tp *tmpl) []string {
	var problems []string
	for _, fn := range tp.functions() {
		alias := str(tp.fnProp(fn, "AutoPublishAlias"))
		if alias == "" {
			problems = append(problems, fmt.Sprintf("%s: no AutoPublishAlias: every deploy replaces the code at once and nothing can roll back", fn))
			continue
		}
		if tp.fnProp(fn, "DeploymentPreference", "Enabled") == false {
			problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Enabled is false", fn))
		}
		typ := tp.fnProp(fn, "DeploymentPreference", "Type")
		values, def := []string{str(typ)}, str(typ)
		if p := ref(typ); p != "" {
			values, def = nil, tp.paramDefault(p)
			for _, v := range items(at(tp.raw, "Parameters", p, "AllowedValues")) {
				values = append(values, str(v))
			}
		}
		if len(values) == 0 || slices.ContainsFunc(values, func(v string) bool { return !slices.Contains(lambdaDeployments, v) }) {
			problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Type may be %v; CodeDeploy knows only %v", fn, values, lambdaDeployments))
		}
		if def == "AllAtOnce" || !slices.Contains(lambdaDeployments, def) {
			problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Type is %q by default, want a canary or linear one", fn, def))
		}
		var alarms []string
		for _, a := range items(tp.fnProp(fn, "DeploymentPreference", "Alarms")) {
			alarms = append(alarms, ref(a))
		}
		errs := tp.watching(func(m metricRef) bool {
			return m.namespace == "AWS/Lambda" && m.name == "Errors" && m.dims["FunctionName"] == "${"+fn+"}" && m.dims["Resource"] == "${"+fn+"}:"+alias
		})
		api := tp.watching(func(m metricRef) bool { return m.namespace == "AWS/ApiGateway" && m.name == "5xx" })
		if !slices.ContainsFunc(alarms, func(a string) bool { return slices.Contains(errs, a) }) {
			problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Alarms %v has no alarm on the Errors of %s:%s %v", fn, alarms, fn, alias, errs))
		}
		if !slices.ContainsFunc(alarms, func(a string) bool { return slices.Contains(api, a) }) {
			problems = append(problems, fmt.Sprintf("%s: DeploymentPreference.Alarms %v has no alarm on the API's 5xx %v", fn, alarms, api))
		}
	}
	return problems
}

func TestEveryFunctionDeploysGraduallyAndRollsBackOnItsAlarms(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, deployRule)
	expectCaught(t, tp, deployRule, []breakage{
		{"no alias", func(r map[string]any) { del(r, "Globals", "Function", "AutoPublishAlias") }, "no AutoPublishAlias"},
		{"all at once by default", func(r map[string]any) { set(r, "AllAtOnce", "Parameters", "DeploymentType", "Default") }, "want a canary or linear one"},
		{"a configuration CodeDeploy lacks", func(r map[string]any) {
			set(r, []any{"Canary10Percent5Minutes", "Canary50Percent1Minute"}, "Parameters", "DeploymentType", "AllowedValues")
		}, "CodeDeploy knows only"},
		{"switched off", func(r map[string]any) { set(r, false, res("CartFunction", "DeploymentPreference", "Enabled")...) }, "Enabled is false"},
		{"no rollback alarms", func(r map[string]any) { del(r, res("AuthFunction", "DeploymentPreference", "Alarms")...) }, "AuthFunction: DeploymentPreference.Alarms [] has no alarm on the Errors"},
		{"another function's alarm", func(r map[string]any) {
			set(r, []any{map[string]any{"Ref": "AuthFunctionErrorsAlarm"}, map[string]any{"Ref": "ApiServerErrorsAlarm"}}, res("CartFunction", "DeploymentPreference", "Alarms")...)
		}, "CartFunction: DeploymentPreference.Alarms [AuthFunctionErrorsAlarm ApiServerErrorsAlarm] has no alarm on the Errors"},
		{"no API alarm", func(r map[string]any) {
			set(r, []any{map[string]any{"Ref": "CookiesFunctionErrorsAlarm"}}, res("CookiesFunction", "DeploymentPreference", "Alarms")...)
		}, "no alarm on the API's 5xx"},
	})
}

// ---- region-safe names ------------------------------------------------------------

// globalNames are the resource types whose names are unique in the whole
// account (or in all of AWS), with where the name goes: such a name must be
// left to CloudFormation or hold both the stack's name and its region, so
// that one stack name deploys in two regions.
var globalNames = map[string][]string{
	"AWS::CloudFront::OriginAccessControl":   {"OriginAccessControlConfig", "Name"},
	"AWS::CloudFront::ResponseHeadersPolicy": {"ResponseHeadersPolicyConfig", "Name"},
	"AWS::CloudFront::CachePolicy":           {"CachePolicyConfig", "Name"},
	"AWS::CloudFront::OriginRequestPolicy":   {"OriginRequestPolicyConfig", "Name"},
	"AWS::CloudFront::Function":              {"Name"},
	"AWS::CloudFront::KeyGroup":              {"KeyGroupConfig", "Name"},
	"AWS::CloudFront::KeyValueStore":         {"Name"},
	"AWS::CloudWatch::Dashboard":             {"DashboardName"},
	"AWS::IAM::Role":                         {"RoleName"},
	"AWS::IAM::ManagedPolicy":                {"ManagedPolicyName"},
	"AWS::S3::Bucket":                        {"BucketName"},
}

// regionalTypes are the resource types of this template whose names are
// per region (or that have none); a type in neither list must be sorted
// into one before the rule passes.
var regionalTypes = []string{
	"AWS::CloudFront::Distribution", // no name; its Aliases would be global, and it has none
	"AWS::CloudWatch::Alarm", "AWS::DynamoDB::Table", "AWS::Logs::LogGroup", "AWS::Logs::MetricFilter",
	"AWS::S3::BucketPolicy", "AWS::SNS::Subscription", "AWS::SNS::Topic", "AWS::SecretsManager::Secret",
	"AWS::Serverless::Function", "AWS::Serverless::HttpApi",
}

// regionRule: every global name of the template is unset or a !Sub with
// both ${AWS::StackName} and ${AWS::Region}; every resource type is known
// to be global or regional; the distribution has no Aliases (one CNAME
// cannot serve two stacks).
func regionRule(tp *tmpl) []string {
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(tp.resources())) {
		typ := tp.typeOf(name)
		path, global := globalNames[typ]
		switch {
		case global:
			v := at(tp.props(name), path...)
			if s := sub(v); v != nil && (!strings.Contains(s, "${AWS::StackName}") || !strings.Contains(s, "${AWS::Region}")) {
				problems = append(problems, fmt.Sprintf("%s: %s %s is unique per account, not per region: leave it out or !Sub it with ${AWS::StackName} and ${AWS::Region}", name, strings.Join(path, "."), show(v)))
			}
		case !slices.Contains(regionalTypes, typ):
			problems = append(problems, fmt.Sprintf("%s: type %s is in neither globalNames nor regionalTypes: find out whether its name is unique per account or per region", name, typ))
		}
	}
	for _, d := range tp.ofType("AWS::CloudFront::Distribution") {
		if at(tp.props(d), "DistributionConfig", "Aliases") != nil {
			problems = append(problems, fmt.Sprintf("%s: Aliases (CNAMEs) are unique in all of CloudFront: make them a parameter, empty by default", d))
		}
	}
	return problems
}

func TestGlobalNamesCarryTheRegion(t *testing.T) {
	tp := load(t)
	expectNone(t, tp, regionRule)
	expectCaught(t, tp, regionRule, []breakage{
		{"OAC named by stack only", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": "${AWS::StackName}-site"}, res("SiteOriginAccessControl", "OriginAccessControlConfig", "Name")...)
		}, "SiteOriginAccessControl: OriginAccessControlConfig.Name"},
		{"headers policy named by region only", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": "${AWS::Region}-api"}, res("ApiHeadersPolicy", "ResponseHeadersPolicyConfig", "Name")...)
		}, "ApiHeadersPolicy: ResponseHeadersPolicyConfig.Name"},
		{"a literal dashboard name", func(r map[string]any) { set(r, "sessionlab", res("Dashboard", "DashboardName")...) }, "Dashboard: DashboardName"},
		{"a named role", func(r map[string]any) { set(r, "sessionlab-cart", res("CartFunctionRole", "RoleName")...) }, "CartFunctionRole: RoleName"},
		{"a named bucket", func(r map[string]any) {
			set(r, map[string]any{"Fn::Sub": "${AWS::StackName}-site"}, res("SiteBucket", "BucketName")...)
		}, "SiteBucket: BucketName"},
		{"an unknown type", func(r map[string]any) {
			set(r, map[string]any{"Type": "AWS::SSM::Parameter", "Properties": map[string]any{"Name": "x", "Type": "String", "Value": "y"}}, "Resources", "Param")
		}, "type AWS::SSM::Parameter is in neither"},
		{"a CNAME", func(r map[string]any) {
			set(r, []any{"www.example.org"}, res("SiteDistribution", "DistributionConfig", "Aliases")...)
		}, "Aliases (CNAMEs)"},
	})
}

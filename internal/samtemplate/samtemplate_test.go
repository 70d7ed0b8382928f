package samtemplate

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/awslabs/goformation/v7"
)

func TestLoadProjectTemplate(t *testing.T) {
	tpl, err := Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cookies, ok := tpl.Function("CookiesFunction")
	if !ok {
		t.Fatal("no CookiesFunction")
	}
	if cookies.Env["COOKIE_SECURE"] != "true" {
		t.Errorf("Globals not applied: COOKIE_SECURE = %q", cookies.Env["COOKIE_SECURE"])
	}
	if _, ok := cookies.Env["SESSION_SECRET"]; !ok {
		t.Error("SESSION_SECRET not declared for CookiesFunction")
	}
	auth, _ := tpl.Function("AuthFunction")
	if auth.Env["SESSIONS_TABLE"] != "SessionsTable" || auth.Env["USERS_TABLE"] != "UsersTable" {
		t.Errorf("!Ref to a table should be its logical ID, got %q %q", auth.Env["SESSIONS_TABLE"], auth.Env["USERS_TABLE"])
	}
	if auth.Env["DYNAMODB_ENDPOINT"] != "" {
		t.Errorf("!Ref to a parameter should be its default, got %q", auth.Env["DYNAMODB_ENDPOINT"])
	}
	seen := map[string]string{}
	for _, f := range tpl.Functions {
		for _, r := range f.Routes {
			if other, dup := seen[r.Key()]; dup {
				t.Errorf("route %s in both %s and %s", r.Key(), other, f.Name)
			}
			seen[r.Key()] = f.Name
		}
	}
	if seen["PUT /api/cookies/{name}"] != "CookiesFunction" || seen["DELETE /api/cart"] != "CartFunction" {
		t.Errorf("routes = %v", seen)
	}
}

// TestLoadConcurrently loads the template from several goroutines at once,
// as parallel tests do. Without Load's lock goformation's parser writes a
// shared map concurrently: `go test -race` reports it, and a plain run
// often dies of "concurrent map writes".
func TestLoadConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			tpl, err := Load("../../template.yaml")
			if err != nil {
				t.Error(err)
				return
			}
			if _, ok := tpl.Function("CookiesFunction"); !ok {
				t.Error("CookiesFunction missing")
			}
		})
	}
	wg.Wait()
}

// TestForGoformationDropsOnlyWhatGoformationRefuses: the HttpApi keeps
// every other property, other resources are untouched, and the input is
// not changed.
func TestForGoformationDropsOnlyWhatGoformationRefuses(t *testing.T) {
	raw := map[string]any{
		"Transform": "AWS::Serverless-2016-10-31",
		"Resources": map[string]any{
			"Api": map[string]any{"Type": "AWS::Serverless::HttpApi", "Properties": map[string]any{
				"AccessLogSettings":    map[string]any{"DestinationArn": "arn", "Format": "{}"},
				"RouteSettings":        map[string]any{"POST /api/login": map[string]any{"ThrottlingRateLimit": 1}},
				"DefaultRouteSettings": map[string]any{"ThrottlingRateLimit": 1},
			}},
			"Other": map[string]any{"Type": "AWS::Logs::LogGroup", "Properties": map[string]any{"RetentionInDays": 7}},
		},
	}
	out := ForGoformation(raw)
	api := out["Resources"].(map[string]any)["Api"].(map[string]any)["Properties"].(map[string]any)
	if _, ok := api["AccessLogSettings"]; ok {
		t.Error("AccessLogSettings kept")
	}
	if _, ok := api["RouteSettings"]; ok {
		t.Error("RouteSettings kept")
	}
	if _, ok := api["DefaultRouteSettings"]; !ok {
		t.Error("DefaultRouteSettings dropped")
	}
	if out["Resources"].(map[string]any)["Other"].(map[string]any)["Properties"].(map[string]any)["RetentionInDays"] != 7 {
		t.Error("another resource type changed")
	}
	if len(raw["Resources"].(map[string]any)["Api"].(map[string]any)["Properties"].(map[string]any)) != 3 {
		t.Error("the input was changed")
	}
	js, _ := json.Marshal(out)
	if _, err := goformation.ParseJSON(js); err != nil {
		t.Errorf("goformation still refuses it: %v", err)
	}
	js, _ = json.Marshal(raw)
	if _, err := goformation.ParseJSON(js); err == nil {
		t.Error("goformation parsed the original: if it learnt these properties, drop them from goformationUnknown")
	}
}

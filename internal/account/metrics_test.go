package account_test

import (
	"fmt"
	"maps"
	"testing"

	"github.com/sessionlab/sessionlab/internal/account"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
)

// TestMetrics: what each password route counts (issue 15's emission
// points): a login or registration that starts a session counts Logins;
// every 401 invalid_credentials of a password check counts
// FailedPasswordChecks, on every route; every 429 counts
// ThrottledPasswordChecks; a re-authentication counts no login; a refused
// body counts nothing.
func TestMetrics(t *testing.T) {
	mem := memstore.New()
	f := newFixture(t, app.Stores{Sessions: mem, Users: mem, Throttle: mem})
	name := newName("met")
	wrong := "a wrong password"
	c := f.browser()
	steps := []struct {
		what               string
		method, path, body string
		status             int
		want               map[string]float64
	}{
		{"register", "POST", "/api/register", credentials(name, rightPassword), 201, map[string]float64{"Logins": 1}},
		{"login", "POST", "/api/login", credentials(name, rightPassword), 200, map[string]float64{"Logins": 1}},
		{"login, wrong", "POST", "/api/login", credentials(name, wrong), 401, map[string]float64{"FailedPasswordChecks": 1}},
		{"login, no such name", "POST", "/api/login", credentials("x", wrong), 401, map[string]float64{"FailedPasswordChecks": 1}},
		{"login, no password", "POST", "/api/login", `{"username":"` + name + `"}`, 400, map[string]float64{}},
		{"reauthenticate, wrong", "POST", "/api/reauthenticate", passwordJSON(wrong), 401, map[string]float64{"FailedPasswordChecks": 1}},
		{"reauthenticate", "POST", "/api/reauthenticate", passwordJSON(rightPassword), 200, map[string]float64{}},
		{"change, wrong", "PUT", "/api/password", changeJSON(wrong, newPassword), 401, map[string]float64{"FailedPasswordChecks": 1}},
		{"change, weak", "PUT", "/api/password", changeJSON(rightPassword, "short"), 400, map[string]float64{}},
		{"delete, wrong", "DELETE", "/api/account", passwordJSON(wrong), 401, map[string]float64{"FailedPasswordChecks": 1}},
	}
	for i := range account.MaxAttempts - 2 { // with change and delete above: the limit since the re-authentication cleared it
		steps = append(steps, struct {
			what               string
			method, path, body string
			status             int
			want               map[string]float64
		}{fmt.Sprint("login, wrong ", i), "POST", "/api/login", credentials(name, wrong), 401, map[string]float64{"FailedPasswordChecks": 1}})
	}
	for _, p := range passwordRoutes {
		steps = append(steps, struct {
			what               string
			method, path, body string
			status             int
			want               map[string]float64
		}{p.name + ", throttled", p.method, p.path, p.body(rightPassword), 429, map[string]float64{"ThrottledPasswordChecks": 1}})
	}
	for _, st := range steps {
		a, counts := c.counted(t, st.method, st.path, st.body)
		if a.Code != st.status {
			t.Fatalf("%s: %d %s, want %d", st.what, a.Code, a.Body, st.status)
		}
		if !maps.Equal(counts, st.want) {
			t.Errorf("%s: counted %v, want %v", st.what, counts, st.want)
		}
	}
}

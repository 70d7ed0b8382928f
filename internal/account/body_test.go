package account_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/account"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
)

// TestStrictBodies checks the body rules on the account routes: keys exact
// in case, each at most once, and a missing body is 400 invalid_json
// whatever its Content-Type; none of them logs anyone in or counts an
// attempt.
func TestStrictBodies(t *testing.T) {
	m := memstore.New()
	f := newFixture(t, app.Stores{Sessions: m, Users: m, Throttle: m})
	victim := newName("alice")
	f.register(t, victim)
	tests := []struct {
		name, path, body, ctype string
		status                  int
		code                    string
	}{
		{"a key in upper case", "/api/login", `{"username":"nobody","USERNAME":"` + victim + `","PASSWORD":"` + rightPassword + `"}`, "application/json", 400, "invalid_json"},
		{"a key in mixed case", "/api/login", `{"Username":"` + victim + `","password":"` + rightPassword + `"}`, "application/json", 400, "invalid_json"},
		{"a repeated key", "/api/login", `{"username":"nobody","username":"` + victim + `","password":"` + rightPassword + `"}`, "application/json", 400, "invalid_json"},
		{"no password", "/api/login", `{"username":"` + victim + `"}`, "application/json", 400, "invalid_json"},
		{"remember of the wrong type", "/api/login", `{"username":"` + victim + `","password":"` + rightPassword + `","remember":"yes"}`, "application/json", 400, "invalid_json"},
		{"no body, no Content-Type", "/api/login", "", "", 400, "invalid_json"},
		{"no body, text/plain", "/api/login", "", "text/plain", 400, "invalid_json"},
		{"only whitespace", "/api/login", " \r\n\t", "", 400, "invalid_json"},
		{"a body without Content-Type", "/api/login", credentials(victim, rightPassword), "", 415, "unsupported_media_type"},
		{"register: repeated key", "/api/register", `{"username":"` + newName("bob") + `","password":"x","password":"` + rightPassword + `"}`, "application/json", 400, "invalid_json"},
		{"register: no body", "/api/register", "", "", 400, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", tt.path, strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			w := httptest.NewRecorder()
			f.h.ServeHTTP(w, r)
			if w.Code != tt.status || errorCode(w) != tt.code {
				t.Fatalf("%d %s; want %d %s", w.Code, w.Body, tt.status, tt.code)
			}
			if len(w.Result().Cookies()) != 0 {
				t.Errorf("a refused body set cookies: %v", w.Result().Cookies())
			}
		})
	}
	// None of them counted an attempt: five wrong passwords are still 401.
	for i := range account.MaxAttempts {
		if w := f.login(victim, "a wrong password"); w.Code != http.StatusUnauthorized {
			t.Fatalf("wrong password %d after the refused bodies = %d %s", i+1, w.Code, w.Body)
		}
	}
}

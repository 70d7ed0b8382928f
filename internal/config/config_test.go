package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

func env(vars map[string]string) Getenv {
	return func(name string) string { return vars[name] }
}

var (
	key1 = strings.Repeat("ab", 32)
	key2 = strings.Repeat("cd", 40)
)

func TestKeys(t *testing.T) {
	tests := []struct {
		name    string
		secret  string
		want    int
		wantErr string
	}{
		{"missing", "", 0, "missing"},
		{"blank", "   ", 0, "missing"},
		{"not hex", strings.Repeat("zz", 32), 0, "key 1 is not hex"},
		{"second key not hex", key1 + "," + strings.Repeat("zz", 32), 0, "key 2 is not hex"},
		{"odd length", key1 + "a", 0, "not hex"},
		{"too short", strings.Repeat("ab", 31), 0, "31 bytes"},
		{"one key", key1, 1, ""},
		{"two keys", key1 + "," + key2, 2, ""},
		{"spaces around keys", " " + key1 + " , " + key2, 2, ""},
		{"second key short", key1 + ",abcd", 0, "key 2 is 2 bytes"},
		{"empty second key", key1 + ",", 0, "key 2 is 0 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := Keys(env(map[string]string{"SESSION_SECRET": tt.secret}))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !errors.Is(err, ErrSecret) || !strings.Contains(err.Error(), "SESSION_SECRET") || !strings.Contains(err.Error(), "make secret") {
					t.Fatalf("err = %v, want it to name SESSION_SECRET and `make secret`", err)
				}
				if s := strings.TrimSpace(tt.secret); s != "" && strings.Contains(err.Error(), s) {
					t.Fatalf("error echoes the secret: %v", err)
				}
				return
			}
			if err != nil || len(keys) != tt.want {
				t.Fatalf("Keys = %d keys, %v; want %d keys", len(keys), err, tt.want)
			}
		})
	}
}

func TestLoadTimeouts(t *testing.T) {
	got, err := LoadTimeouts(env(nil))
	if err != nil || got != session.DefaultTimeouts {
		t.Fatalf("defaults = %+v, %v", got, err)
	}
	got, err = LoadTimeouts(env(map[string]string{"SESSION_IDLE_TIMEOUT": "2s", "SESSION_TOUCH_INTERVAL": "500ms", "SESSION_REAUTH_WINDOW": "90s"}))
	if err != nil || got.Idle != 2*time.Second || got.MaxTouchInterval != 500*time.Millisecond || got.Absolute != 12*time.Hour || got.Reauth != 90*time.Second {
		t.Fatalf("override = %+v, %v", got, err)
	}
	for _, name := range []string{"SESSION_ABSOLUTE_TIMEOUT", "SESSION_REAUTH_WINDOW"} {
		for _, bad := range []string{"soon", "-1m", "0s"} {
			if _, err := LoadTimeouts(env(map[string]string{name: bad})); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: err = %v, want a named error", name, bad, err)
			}
		}
	}
	// A cookie may live 400 days (RFC 6265bis), so a remembered session may
	// too, and not a nanosecond longer.
	for _, tt := range []struct {
		remember string
		ok       bool
	}{{"9600h", true}, {"9600h0m0.000000001s", false}, {"9700h", false}} {
		got, err := LoadTimeouts(env(map[string]string{"SESSION_REMEMBER_TIMEOUT": tt.remember}))
		if tt.ok && (err != nil || got.Remember != 400*24*time.Hour) {
			t.Errorf("SESSION_REMEMBER_TIMEOUT=%s: %+v, %v; want 400 days", tt.remember, got, err)
		}
		if !tt.ok && (err == nil || !strings.Contains(err.Error(), "400 days")) {
			t.Errorf("SESSION_REMEMBER_TIMEOUT=%s: err = %v, want the 400-day limit", tt.remember, err)
		}
	}
}

func TestLoadDynamo(t *testing.T) {
	full := map[string]string{"SESSIONS_TABLE": " sessions ", "USERS_TABLE": "users\n", "DYNAMODB_ENDPOINT": " http://127.0.0.1:8000 "}
	got, err := LoadDynamo(env(full), true)
	if want := (Dynamo{SessionsTable: "sessions", UsersTable: "users", Endpoint: "http://127.0.0.1:8000"}); err != nil || got != want {
		t.Fatalf("LoadDynamo = %+v, %v; want %+v", got, err, want)
	}
	// A function without accounts reads no USERS_TABLE.
	got, err = LoadDynamo(env(map[string]string{"SESSIONS_TABLE": "sessions"}), false)
	if want := (Dynamo{SessionsTable: "sessions"}); err != nil || got != want {
		t.Fatalf("without users = %+v, %v; want %+v", got, err, want)
	}
	for _, tt := range []struct {
		name      string
		vars      map[string]string
		withUsers bool
		wantErr   string
	}{
		{"no sessions table", map[string]string{"USERS_TABLE": "users"}, true, "SESSIONS_TABLE"},
		{"blank sessions table", map[string]string{"SESSIONS_TABLE": "  "}, false, "SESSIONS_TABLE"},
		{"no users table", map[string]string{"SESSIONS_TABLE": "sessions"}, true, "USERS_TABLE"},
		{"blank users table", map[string]string{"SESSIONS_TABLE": "sessions", "USERS_TABLE": " "}, true, "USERS_TABLE"},
	} {
		if got, err := LoadDynamo(env(tt.vars), tt.withUsers); err == nil || !strings.Contains(err.Error(), tt.wantErr) || got != (Dynamo{}) {
			t.Errorf("%s: %+v, %v; want an error naming %s", tt.name, got, err, tt.wantErr)
		}
	}
}

func TestLoadCookies(t *testing.T) {
	got, err := LoadCookies(env(map[string]string{"COOKIE_SECURE": "true", "SITE_ORIGIN": "https://example.org/"}))
	if err != nil || !got.Secure || got.SiteOrigin != "https://example.org" {
		t.Fatalf("LoadCookies = %+v, %v", got, err)
	}
	if got, err := LoadCookies(env(nil)); err != nil || got.Secure {
		t.Fatalf("default = %+v, %v; want insecure", got, err)
	}
	if _, err := LoadCookies(env(map[string]string{"COOKIE_SECURE": "yes please"})); err == nil {
		t.Fatal("bad COOKIE_SECURE accepted")
	}
}

package cookies

import (
	"net/http"
	"strings"
	"testing"
)

func TestGetPreferences(t *testing.T) {
	tests := []struct {
		name   string
		cookie []string
		want   preferences
	}{
		{"no cookies: defaults", nil, preferences{"light", "en"}},
		{"both set", []string{"theme=dark; language=fr"}, preferences{"dark", "fr"}},
		{"system and es", []string{"theme=system", "language=es"}, preferences{"system", "es"}},
		{"de", []string{"language=de"}, preferences{"light", "de"}},
		{"unknown theme", []string{"theme=blue; language=de"}, preferences{"light", "de"}},
		{"case matters", []string{"theme=Dark; language=EN"}, preferences{"light", "en"}},
		{"empty values", []string{"theme=; language="}, preferences{"light", "en"}},
		{"quoted value", []string{`theme="dark"`}, preferences{"dark", "en"}},
		{"other cookies", []string{"a=1; theme=dark; b=2"}, preferences{"dark", "en"}},
	}
	for _, secure := range []bool{false, true} {
		h := newHandler(t, Config{Secure: secure})
		for _, tt := range tests {
			t.Run(tt.name+map[bool]string{true: " secure"}[secure], func(t *testing.T) {
				w := req{method: "GET", path: "/api/preferences", cookie: sent(secure, tt.cookie)}.do(t, h)
				expectStatus(t, w, http.StatusOK, "")
				var got preferences
				decode(t, w, &got)
				if got != tt.want {
					t.Fatalf("got %+v, want %+v", got, tt.want)
				}
				checkSetCookies(t, w)
			})
		}
	}
	// Each mode reads its own names only.
	for secure, cookie := range map[bool]string{true: "theme=dark; language=fr", false: "__Host-theme=dark; __Host-language=fr"} {
		w := req{method: "GET", path: "/api/preferences", cookie: []string{cookie}}.do(t, newHandler(t, Config{Secure: secure}))
		var got preferences
		decode(t, w, &got)
		if got != (preferences{"light", "en"}) {
			t.Errorf("secure %v read %+v from %q, which are not its names", secure, got, cookie)
		}
	}
}

func TestPutPreferences(t *testing.T) {
	const year = 365 * 86400
	tests := []struct {
		name    string
		secure  bool
		cookie  []string
		body    string
		status  int
		code    string
		want    preferences
		cookies []want
	}{
		{name: "theme only", body: `{"theme":"dark"}`, status: 200, want: preferences{"dark", "en"},
			cookies: []want{{name: "theme", value: "dark", maxAge: year}}},
		{name: "language only keeps cookie theme", cookie: []string{"theme=system"}, body: `{"language":"fr"}`, status: 200,
			want: preferences{"system", "fr"}, cookies: []want{{name: "language", value: "fr", maxAge: year}}},
		{name: "both, 1 day", body: `{"theme":"system","language":"de","maxAgeDays":1}`, status: 200,
			want: preferences{"system", "de"}, cookies: []want{
				{name: "theme", value: "system", maxAge: 86400}, {name: "language", value: "de", maxAge: 86400}}},
		{name: "400 days", body: `{"language":"es","maxAgeDays":400}`, status: 200, want: preferences{"light", "es"},
			cookies: []want{{name: "language", value: "es", maxAge: 34560000}}},
		{name: "secure mode", secure: true, body: `{"theme":"light","language":"en"}`, status: 200,
			want: preferences{"light", "en"}, cookies: []want{
				{name: "__Host-theme", value: "light", maxAge: year, secure: true}, {name: "__Host-language", value: "en", maxAge: year, secure: true}}},
		{name: "secure mode keeps the __Host- theme", secure: true, cookie: []string{"__Host-theme=dark; theme=system"}, body: `{"language":"fr"}`, status: 200,
			want: preferences{"dark", "fr"}, cookies: []want{{name: "__Host-language", value: "fr", maxAge: year, secure: true}}},
		{name: "secure mode ignores a plain theme", secure: true, cookie: []string{"theme=dark"}, body: `{"language":"fr"}`, status: 200,
			want: preferences{"light", "fr"}, cookies: []want{{name: "__Host-language", value: "fr", maxAge: year, secure: true}}},
		{name: "nothing given changes nothing", cookie: []string{"theme=dark"}, body: `{}`, status: 200, want: preferences{"dark", "en"}},
		{name: "maxAgeDays alone changes nothing", body: `{"maxAgeDays":30}`, status: 200, want: preferences{"light", "en"}},
		{name: "nulls are absent", body: `{"theme":null,"language":"de"}`, status: 200, want: preferences{"light", "de"},
			cookies: []want{{name: "language", value: "de", maxAge: year}}},
		{name: "401 days", body: `{"theme":"dark","maxAgeDays":401}`, status: 400, code: "lifetime_too_long"},
		{name: "0 days", body: `{"theme":"dark","maxAgeDays":0}`, status: 400, code: "invalid_preference"},
		{name: "negative days", body: `{"theme":"dark","maxAgeDays":-3}`, status: 400, code: "invalid_preference"},
		{name: "unknown theme", body: `{"theme":"blue"}`, status: 400, code: "invalid_preference"},
		{name: "theme wrong case", body: `{"theme":"Dark"}`, status: 400, code: "invalid_preference"},
		{name: "unknown language, valid theme: nothing set", body: `{"theme":"dark","language":"it"}`, status: 400, code: "invalid_preference"},
		{name: "empty theme", body: `{"theme":""}`, status: 400, code: "invalid_preference"},
		{name: "theme injection", body: `{"theme":"dark; Domain=evil.example"}`, status: 400, code: "invalid_preference"},
		{name: "fractional days", body: `{"theme":"dark","maxAgeDays":1.5}`, status: 400, code: "invalid_json"},
		{name: "days as string", body: `{"maxAgeDays":"7"}`, status: 400, code: "invalid_json"},
		{name: "unknown field", body: `{"colour":"red"}`, status: 400, code: "invalid_json"},
		{name: "not an object", body: `["dark"]`, status: 400, code: "invalid_json"},
		{name: "no body", status: 400, code: "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(t, Config{Secure: tt.secure})
			q := req{method: "PUT", path: "/api/preferences", body: tt.body, cookie: tt.cookie}
			if tt.body == "" {
				q.header = map[string]string{"Content-Type": "application/json"}
			}
			w := q.do(t, h)
			expectStatus(t, w, tt.status, tt.code)
			checkSetCookies(t, w, tt.cookies...)
			if tt.status != 200 {
				return
			}
			var got preferences
			decode(t, w, &got)
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPutPreferencesMessages(t *testing.T) {
	h := newHandler(t, Config{})
	for body, words := range map[string][]string{
		`{"theme":"blue"}`:  {"light", "dark", "system"},
		`{"language":"it"}`: {"en", "fr", "de", "es"},
	} {
		w := req{method: "PUT", path: "/api/preferences", body: body}.do(t, h)
		for _, word := range words {
			if !strings.Contains(w.Body.String(), word) {
				t.Errorf("%s: message %s does not name %q", body, w.Body, word)
			}
		}
	}
}

func TestPutPreferencesContentType(t *testing.T) {
	h := newHandler(t, Config{})
	w := req{method: "PUT", path: "/api/preferences", body: `{"theme":"dark"}`,
		header: map[string]string{"Content-Type": "text/plain"}}.do(t, h)
	expectStatus(t, w, http.StatusUnsupportedMediaType, "unsupported_media_type")
	checkSetCookies(t, w)
}

func TestDeletePreferences(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHandler(t, Config{Secure: secure})
		w := req{method: "DELETE", path: "/api/preferences", cookie: sent(secure, []string{"theme=dark; language=fr"})}.do(t, h)
		expectStatus(t, w, http.StatusNoContent, "")
		if w.Body.Len() != 0 {
			t.Errorf("204 with body %q", w.Body)
		}
		checkSetCookies(t, w,
			want{name: named(secure, "theme"), maxAge: -1, secure: secure},
			want{name: named(secure, "language"), maxAge: -1, secure: secure})
	}
}

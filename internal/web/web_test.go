package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type prefs struct {
	Theme  *string           `json:"theme"`
	Days   *int              `json:"maxAgeDays"`
	Owner  *owner            `json:"owner"`
	Owners []owner           `json:"owners"`
	Tags   map[string]string `json:"tags"`
	Extra  any               `json:"extra"`
	When   *time.Time        `json:"when"`
	Note   string
	Secret string `json:"-"`
	embedded
}

type owner struct {
	Name string `json:"name"`
}

type embedded struct {
	Since int `json:"since"`
}

func TestDecodeJSON(t *testing.T) {
	big := `{"theme":"` + strings.Repeat("a", MaxBodyBytes) + `"}`
	tests := []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"ok", "application/json", `{"theme":"dark","maxAgeDays":3}`, 0, ""},
		{"charset ok", "application/json; charset=utf-8", `{}`, 0, ""},
		{"surrounding space", "application/json", " \n{} \n", 0, ""},
		{"no content type", "", `{}`, 415, "unsupported_media_type"},
		{"text plain", "text/plain", `{}`, 415, "unsupported_media_type"},
		{"latin1", "application/json; charset=latin1", `{}`, 415, "unsupported_media_type"},
		{"too large", "application/json", big, 413, "payload_too_large"},
		{"empty", "application/json", ``, 400, "invalid_json"},
		{"array", "application/json", `[]`, 400, "invalid_json"},
		{"null", "application/json", `null`, 400, "invalid_json"},
		{"string", "application/json", `"x"`, 400, "invalid_json"},
		{"malformed", "application/json", `{"theme":`, 400, "invalid_json"},
		{"trailing data", "application/json", `{} {}`, 400, "invalid_json"},
		{"trailing garbage", "application/json", `{}x`, 400, "invalid_json"},
		{"form feed is not JSON whitespace", "application/json", "{}\f", 400, "invalid_json"},
		{"vertical tab is not JSON whitespace", "application/json", "\v{}", 400, "invalid_json"},
		{"no-break space is not JSON whitespace", "application/json", "\u00a0{}", 400, "invalid_json"},
		{"next line is not JSON whitespace", "application/json", "{}\u0085", 400, "invalid_json"},
		{"unknown field", "application/json", `{"colour":"red"}`, 400, "invalid_json"},
		{"wrong type", "application/json", `{"maxAgeDays":"ten"}`, 400, "invalid_json"},
		{"fraction", "application/json", `{"maxAgeDays":1.5}`, 400, "invalid_json"},
		{"overflow", "application/json", `{"maxAgeDays":1e40}`, 400, "invalid_json"},
		{"no body, no content type", "", ``, 400, "invalid_json"},
		{"no body, text/plain", "text/plain", ``, 400, "invalid_json"},
		{"only whitespace, no content type", "", " \r\n\t ", 400, "invalid_json"},
		{"only whitespace, latin1", "application/json; charset=latin1", "\n", 400, "invalid_json"},
		{"form feed alone is a body", "", "\f", 415, "unsupported_media_type"},
		{"16 KiB of whitespace, text/plain", "text/plain", strings.Repeat(" ", MaxBodyBytes), 400, "invalid_json"},
		{"past 16 KiB of whitespace, text/plain", "text/plain", strings.Repeat(" ", MaxBodyBytes+1), 415, "unsupported_media_type"},
		{"past 16 KiB of whitespace", "application/json", strings.Repeat(" ", MaxBodyBytes+1), 413, "payload_too_large"},
		{"repeated key", "application/json", `{"theme":"dark","theme":"light"}`, 400, "invalid_json"},
		{"repeated key, same value", "application/json", `{"theme":"dark","theme":"dark"}`, 400, "invalid_json"},
		{"key in upper case", "application/json", `{"THEME":"dark"}`, 400, "invalid_json"},
		{"key in mixed case", "application/json", `{"maxagedays":3}`, 400, "invalid_json"},
		{"repeated key inside a map", "application/json", `{"tags":{"a":"1","a":"2"}}`, 400, "invalid_json"},
		{"case inside a nested object", "application/json", `{"owner":{"Name":"x"}}`, 400, "invalid_json"},
		{"repeated key in an array of objects", "application/json", `{"owners":[{"name":"x"},{"name":"y","name":"z"}]}`, 400, "invalid_json"},
		{"case in an array of objects", "application/json", `{"owners":[{"name":"x"},{"NAME":"y"}]}`, 400, "invalid_json"},
		{"repeated key in a free value", "application/json", `{"extra":[{"k":1,"k":2}]}`, 400, "invalid_json"},
		{"free value keeps any case", "application/json", `{"extra":{"K":1,"k":2}}`, 0, ""},
		{"map keys keep their case", "application/json", `{"tags":{"A":"1","a":"2"}}`, 0, ""},
		{"nested ok", "application/json", `{"owner":{"name":"x"},"owners":[{"name":"y"}],"tags":{"a":"b"}}`, 0, ""},
		{"embedded field", "application/json", `{"since":3}`, 0, ""},
		{"embedded field in upper case", "application/json", `{"SINCE":3}`, 400, "invalid_json"},
		{"untagged field by its Go name", "application/json", `{"Note":"n"}`, 0, ""},
		{"untagged field in lower case", "application/json", `{"note":"n"}`, 400, "invalid_json"},
		{"skipped field", "application/json", `{"Secret":"s"}`, 400, "invalid_json"},
		{"self-decoding value", "application/json", `{"when":"2026-01-02T03:04:05Z"}`, 0, ""},
		{"malformed after a key", "application/json", `{"theme" "dark"}`, 400, "invalid_json"},
		{"key that is not a string", "application/json", `{1:2}`, 400, "invalid_json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/api/preferences", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			var dst prefs
			err := DecodeJSON(r, &dst)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("DecodeJSON: %v", err)
				}
				return
			}
			var we *Error
			if !errors.As(err, &we) || we.Status != tt.status || we.Code != tt.code || we.Message == "" {
				t.Fatalf("err = %v, want %d %s", err, tt.status, tt.code)
			}
		})
	}
}

func newAPI(t *testing.T, siteOrigin string) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/thing", func(w http.ResponseWriter, r *http.Request) { WriteJSON(w, 200, map[string]int{"n": 1}) })
	mux.HandleFunc("PUT /api/thing", func(w http.ResponseWriter, r *http.Request) { NoContent(w) })
	mux.HandleFunc("DELETE /api/things/{id}", func(w http.ResponseWriter, r *http.Request) { NoContent(w) })
	mux.HandleFunc("GET /api/panic", func(w http.ResponseWriter, r *http.Request) { panic("boom") })
	mux.HandleFunc("GET /api/down", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, r, Unavailable(errors.New("dial tcp: secret internals")))
	})
	h, err := API(mux, siteOrigin)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestAPIRouting(t *testing.T) {
	h := newAPI(t, "")
	tests := []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/api/thing", 200, `{"n":1}`},
		{"PUT", "/api/thing", 204, ``},
		{"DELETE", "/api/things/42", 204, ``},
		{"POST", "/api/thing", 404, NotFoundBody},
		{"GET", "/api/things/42", 404, NotFoundBody},
		{"GET", "/api/nothing", 404, NotFoundBody},
		{"GET", "/api/thing/", 404, NotFoundBody},
		{"GET", "/api//thing", 404, NotFoundBody},
		{"HEAD", "/api/things/1", 404, ``},
		{"HEAD", "/api/thing", 404, ``},
		{"GET", "/api/./thing", 404, NotFoundBody},
		{"GET", "/api/panic", 500, `{"error":{"code":"internal_error","message":"Something went wrong on our side."}}`},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.status || (tt.method != "HEAD" && strings.TrimSpace(w.Body.String()) != tt.body) {
				t.Fatalf("%s %s = %d %s, want %d %s", tt.method, tt.path, w.Code, w.Body, tt.status, tt.body)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q", got)
			}
			if got := w.Header().Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q", got)
			}
		})
	}
}

func TestStoreUnavailable(t *testing.T) {
	w := httptest.NewRecorder()
	newAPI(t, "").ServeHTTP(w, httptest.NewRequest("GET", "/api/down", nil))
	var body errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if w.Code != 503 || body.Error.Code != "store_unavailable" || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("got %d %s Retry-After=%q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	if strings.Contains(w.Body.String(), "internals") {
		t.Fatal("503 body shows internals")
	}
}

// TestDecodeJSONWrongTypeMessage: a field of the wrong type is named in the
// 400's message with the kind of value it needs, at any depth, so a client
// can fix its request; a body that is no object at all says so.
func TestDecodeJSONWrongTypeMessage(t *testing.T) {
	for _, tt := range []struct {
		body string
		dst  any
		want string
	}{
		{`{"maxAgeDays":"ten"}`, &prefs{}, `The field "maxAgeDays" has the wrong type: it must be a number.`},
		{`{"theme":3}`, &prefs{}, `The field "theme" has the wrong type: it must be a string.`},
		{`{"owner":[]}`, &prefs{}, `The field "owner" has the wrong type: it must be an object.`},
		{`{"owners":{}}`, &prefs{}, `The field "owners" has the wrong type: it must be an array.`},
		{`{"owner":{"name":true}}`, &prefs{}, `The field "owner.name" has the wrong type: it must be a string.`},
		{`{"tags":{"a":1}}`, &prefs{}, `The field "tags.a" has the wrong type: it must be a string.`},
		{`{"on":"yes"}`, &struct {
			On bool `json:"on"`
		}{}, `The field "on" has the wrong type: it must be true or false.`},
		{`{"a":1}`, new([]int), "The body must be one JSON object."},
	} {
		r := httptest.NewRequest("PUT", "/api/x", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var we *Error
		if err := DecodeJSON(r, tt.dst); !errors.As(err, &we) || we.Code != "invalid_json" || we.Message != tt.want {
			t.Errorf("%s: %v; want 400 invalid_json %q", tt.body, err, tt.want)
		}
	}
}

// TestUnavailableWrapsItsCause: a handler that wraps Unavailable(err) with
// context keeps the cause for the log and for errors.Is, and WriteError
// still answers 503.
func TestUnavailableWrapsItsCause(t *testing.T) {
	cause := errors.New("dial tcp 127.0.0.1:8000: connection refused")
	err := fmt.Errorf("load session: %w", Unavailable(cause))
	if !errors.Is(err, cause) || !strings.Contains(err.Error(), "store unavailable: "+cause.Error()) {
		t.Fatalf("err = %v; want it to wrap and name the cause", err)
	}
	w := httptest.NewRecorder()
	WriteError(w, httptest.NewRequest("GET", "/api/x", nil), err)
	if w.Code != 503 || strings.Contains(w.Body.String(), "refused") {
		t.Fatalf("WriteError: %d %s; want 503 without the cause", w.Code, w.Body)
	}
}

// TestCrossOriginRefusal checks the contract's "Cross-site requests":
// Sec-Fetch-Site, where present, alone decides (exactly one value,
// same-origin or none); without it, Origin decides (the host or
// SITE_ORIGIN; "null" and anything else refused); safe methods always pass.
func TestCrossOriginRefusal(t *testing.T) {
	h := newAPI(t, "https://site.example")
	one := func(v string) []string { return []string{v} }
	tests := []struct {
		name, method string
		fetch        []string // Sec-Fetch-Site values; nil: absent
		origin       []string // Origin values; nil: absent
		status       int
	}{
		{"same-origin fetch", "PUT", one("same-origin"), nil, 204},
		{"user typed (none)", "PUT", one("none"), nil, 204},
		{"cross-site", "PUT", one("cross-site"), nil, 403},
		{"same-site", "PUT", one("same-site"), nil, 403},
		{"cross-site delete", "DELETE", one("cross-site"), nil, 403},
		{"cross-site post", "POST", one("cross-site"), nil, 403},
		{"cross-site patch", "PATCH", one("cross-site"), nil, 403},
		{"cross-site GET is safe", "GET", one("cross-site"), one("https://evil.example"), 200},
		{"origin matches host", "PUT", nil, one("http://example.com"), 204},
		{"origin matches host over https", "PUT", nil, one("https://example.com"), 204},
		{"origin on another port", "PUT", nil, one("http://example.com:8080"), 403},
		{"origin foreign", "PUT", nil, one("https://evil.example"), 403},
		{"origin null", "PUT", nil, one("null"), 403},
		{"origin empty", "PUT", nil, one(""), 403},
		{"origin with a path", "PUT", nil, one("https://site.example/x"), 403},
		{"origin SITE_ORIGIN", "PUT", nil, one("https://site.example"), 204},
		{"origin SITE_ORIGIN with a trailing slash", "PUT", nil, one("https://site.example/"), 403},
		{"two origins", "PUT", nil, []string{"https://site.example", "https://evil.example"}, 403},
		{"cross-site with SITE_ORIGIN", "PUT", one("cross-site"), one("https://site.example"), 403},
		{"same-site with SITE_ORIGIN", "PUT", one("same-site"), one("https://site.example"), 403},
		{"cross-site with the host's origin", "PUT", one("cross-site"), one("http://example.com"), 403},
		{"same-origin with a foreign origin", "PUT", one("same-origin"), one("https://evil.example"), 204},
		{"split by the adapter", "PUT", []string{"same-origin", "cross-site"}, one("http://example.com"), 403},
		{"split, allowed values only", "PUT", []string{"same-origin", "none"}, nil, 403},
		{"one value with a comma", "PUT", one("same-origin, cross-site"), nil, 403},
		{"present but empty", "PUT", one(""), one("http://example.com"), 403},
		{"wrong case", "PUT", one("Same-Origin"), nil, 403},
		{"unknown value", "PUT", one("same-party"), nil, 403},
		{"no browser headers (curl)", "PUT", nil, nil, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/thing"
			if tt.method == "DELETE" {
				path = "/api/things/1"
			}
			r := httptest.NewRequest(tt.method, path, nil) // Host: example.com
			if tt.fetch != nil {
				r.Header["Sec-Fetch-Site"] = tt.fetch
			}
			if tt.origin != nil {
				r.Header["Origin"] = tt.origin
			}
			ran := false
			inner := http.NewServeMux()
			for _, m := range []string{"PUT", "POST", "PATCH", "GET"} {
				inner.HandleFunc(m+" /api/thing", func(w http.ResponseWriter, r *http.Request) { ran = true; NoContent(w) })
			}
			inner.HandleFunc("DELETE /api/things/{id}", func(w http.ResponseWriter, r *http.Request) { ran = true; NoContent(w) })
			api, err := API(inner, "https://site.example")
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			api.ServeHTTP(w, r)
			want := tt.status
			if want == 200 {
				want = 204 // the inner mux answers 204 to GET too
			}
			if w.Code != want || ran != (want != 403) {
				t.Fatalf("status = %d %s, handler ran %v; want %d", w.Code, w.Body, ran, want)
			}
			if want == 403 && !strings.Contains(w.Body.String(), `"cross_origin_request"`) {
				t.Fatalf("body = %s", w.Body)
			}
		})
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest("PUT", "/api/thing", nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	h.ServeHTTP(w, r)
	if w.Code != 403 {
		t.Errorf("newAPI's handler let a cross-site PUT through: %d", w.Code)
	}
}

func TestAPIRejectsBadSiteOrigin(t *testing.T) {
	for _, bad := range []string{"not an origin", "https://", "ftp://site.example", "https://site.example/path",
		"https://site.example?q", "https://user@site.example", "site.example", "https://site.example#f", "null"} {
		if _, err := API(http.NewServeMux(), bad); err == nil {
			t.Errorf("bad SITE_ORIGIN %q accepted", bad)
		}
	}
	for _, good := range []string{"https://site.example", "http://127.0.0.1:3000", "https://d1234.cloudfront.net"} {
		if _, err := API(http.NewServeMux(), good); err != nil {
			t.Errorf("SITE_ORIGIN %q refused: %v", good, err)
		}
	}
}

// TestDecodeJSONMessages checks that a refused key is named, with the
// spelling it needs when only the case is wrong.
func TestDecodeJSONMessages(t *testing.T) {
	for body, want := range map[string]string{
		`{"theme":"a","theme":"b"}`:     `The key "theme" is given twice`,
		`{"THEME":"dark"}`:              `keys are case-sensitive: write "theme"`,
		`{"owner":{"NAME":"x"}}`:        `write "name"`,
		`{"colour":"red"}`:              `unknown field "colour"`,
		`{"owner":{"colour":"red"}}`:    `unknown field "colour"`,
		`{"tags":{"k":"1","k":"2"}}`:    `The key "k" is given twice`,
		`{"theme":"dark"`:               `not well-formed`,
		`{"owners":[{"name":"x"}`:       `not well-formed`,
		`{"theme":"dark","maxAgeDays":`: `not well-formed`,
	} {
		r := httptest.NewRequest("PUT", "/api/preferences", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst prefs
		err := DecodeJSON(r, &dst)
		var we *Error
		if !errors.As(err, &we) || we.Status != 400 || we.Code != "invalid_json" || !strings.Contains(we.Message, want) {
			t.Errorf("%s: %v; want 400 invalid_json saying %q", body, err, want)
		}
	}
}

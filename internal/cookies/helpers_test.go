package cookies

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/web"
)

var (
	keyA = bytes.Repeat([]byte{0xA1}, 32)
	keyB = bytes.Repeat([]byte{0xB2}, 32)
)

// named is the name the API gives its cookie plain: with the __Host- prefix
// when secure (COOKIE_SECURE=true).
func named(secure bool, plain string) string {
	if secure {
		return "__Host-" + plain
	}
	return plain
}

// sent rewrites the Cookie header values in headers so that the API's own
// cookies (theme, language, visits, signed_session) carry the names of the
// mode: what a browser holds after the API set them.
func sent(secure bool, headers []string) []string {
	if !secure {
		return headers
	}
	out := make([]string, len(headers))
	for i, h := range headers {
		pairs := strings.Split(h, "; ")
		for j, p := range pairs {
			for _, n := range []string{themeCookie, languageCookie, visitsCookie, signedCookie} {
				if strings.HasPrefix(p, n+"=") {
					pairs[j] = "__Host-" + p
				}
			}
		}
		out[i] = strings.Join(pairs, "; ")
	}
	return out
}

// newHandler is the CookiesFunction as the lead wires it: Register on a
// fresh mux, wrapped by web.API.
func newHandler(t testing.TB, cfg Config) http.Handler {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = [][]byte{keyA}
	}
	mux := http.NewServeMux()
	if err := Register(mux, cfg); err != nil {
		t.Fatalf("Register: %v", err)
	}
	h, err := web.API(mux, "")
	if err != nil {
		t.Fatalf("web.API: %v", err)
	}
	return h
}

// req describes one request. cookie is sent as the Cookie header(s), one
// header per entry (API Gateway's adapter sends one per cookie).
type req struct {
	method, path, body string
	cookie             []string
	header             map[string]string
}

func (q req) do(t testing.TB, h http.Handler) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if q.body != "" {
		body = strings.NewReader(q.body)
	}
	r := httptest.NewRequest(q.method, q.path, body)
	if q.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, c := range q.cookie {
		r.Header.Add("Cookie", c)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// setCookies parses every Set-Cookie of w with http.ParseSetCookie.
func setCookies(t testing.TB, w *httptest.ResponseRecorder) []*http.Cookie {
	t.Helper()
	var out []*http.Cookie
	for _, line := range w.Result().Header.Values("Set-Cookie") {
		c, err := http.ParseSetCookie(line)
		if err != nil {
			t.Fatalf("ParseSetCookie(%q): %v", line, err)
		}
		if len(c.Unparsed) > 0 {
			t.Fatalf("Set-Cookie %q has unknown attributes %q", line, c.Unparsed)
		}
		out = append(out, c)
	}
	return out
}

// want is the expected Set-Cookie: Path=/ and no Domain or Expires always.
// maxAge follows net/http: 0 none, -1 "Max-Age=0".
type want struct {
	name, value string
	maxAge      int
	httpOnly    bool
	secure      bool
	sameSite    http.SameSite
}

func checkSetCookies(t testing.TB, w *httptest.ResponseRecorder, wants ...want) {
	t.Helper()
	got := setCookies(t, w)
	if len(got) != len(wants) {
		t.Fatalf("%d Set-Cookie headers %q, want %d", len(got), w.Result().Header.Values("Set-Cookie"), len(wants))
	}
	for i, c := range got {
		x := wants[i]
		if x.sameSite == 0 {
			x.sameSite = http.SameSiteLaxMode
		}
		if c.Name != x.name || c.Value != x.value || c.MaxAge != x.maxAge || c.HttpOnly != x.httpOnly ||
			c.Secure != x.secure || c.SameSite != x.sameSite || c.Path != "/" || c.Domain != "" ||
			!c.Expires.IsZero() || c.Quoted || c.Partitioned {
			x.value = short(x.value)
			t.Errorf("Set-Cookie %q, want %+v", short(c.Raw), x)
		}
	}
}

// errorCode is the code of the contract's error body, "" when there is none.
func errorCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		return ""
	}
	if body.Error.Code != "" && body.Error.Message == "" {
		t.Errorf("error %s has no message", body.Error.Code)
	}
	return body.Error.Code
}

// decode reads w's JSON body into v.
func decode(t testing.TB, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatalf("body %s: %v", w.Body, err)
	}
}

// expectStatus fails unless w has status and, for an error, code.
func expectStatus(t testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status %d %s, want %d %s", w.Code, w.Body, status, code)
	}
	if code != "" {
		if got := errorCode(t, w); got != code {
			t.Fatalf("code %q (%s), want %q", got, w.Body, code)
		}
	}
}

// short cuts s for a failure message.
func short(s string) string {
	if len(s) > 200 {
		return s[:100] + "…" + s[len(s)-100:]
	}
	return s
}

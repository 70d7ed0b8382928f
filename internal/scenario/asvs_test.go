package scenario

// End-to-end tests named in docs/security.md for OWASP ASVS 5.0 V7 and V3.3
// and the Session Management Cheat Sheet. They speak HTTP to the local
// runner (the same handlers Lambda runs) on an in-memory store, with a
// signing key the test knows, so it can read session IDs out of cookies as
// only the server can.

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
	"github.com/sessionlab/sessionlab/internal/samtemplate"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/web"
)

// keyedServer is the runner on a fresh in-memory store, signing with a key
// the test holds.
type keyedServer struct {
	base  string
	codec *session.Codec
}

// newKeyedServer starts the runner; wrap, when not nil, wraps its handler.
func newKeyedServer(t *testing.T, wrap func(http.Handler) http.Handler) keyedServer {
	t.Helper()
	return newKeyedServerWith(t, wrap, map[string]string{})
}

// newKeyedServerWith is newKeyedServer with more env.json parameters.
func newKeyedServerWith(t *testing.T, wrap func(http.Handler) http.Handler, params map[string]string) keyedServer {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	mem := memstore.New()
	params["SESSION_SECRET"], params["COOKIE_SECURE"] = hex.EncodeToString(key), "false"
	srv := startRunnerWithEnv(t, app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}},
		runner.EnvFile{"Parameters": params})
	base := srv.URL
	if wrap != nil {
		wrapped := httptest.NewServer(wrap(srv.Config.Handler))
		t.Cleanup(wrapped.Close)
		base = wrapped.URL
	}
	codec, err := session.NewCodec([][]byte{key}, session.DefaultTimeouts.Remember)
	if err != nil {
		t.Fatal(err)
	}
	return keyedServer{base: base, codec: codec}
}

// id returns the session ID a cookie value holds, or nil.
func (k keyedServer) id(value string) []byte {
	id, _, err := k.codec.Decode(value)
	if err != nil {
		return nil
	}
	return id
}

// refused fails unless a request bringing the session cookie value gets no
// session, and its response expires the cookie.
func refused(t *testing.T, base, value string) {
	t.Helper()
	replay := NewClient(t, base)
	replay.SetJarCookie("session", value)
	r := replay.Do("GET", "/api/session", nil)
	if r.Status != 200 || r.JSON["session"] != nil || r.JSON["authenticated"] != false {
		t.Fatalf("the old session cookie still works: %d %s", r.Status, r.Raw)
	}
	if !strings.Contains(r.SetCookie("session"), "Max-Age=0") {
		t.Fatalf("the old session cookie was not expired: %q", r.SetCookie("session"))
	}
}

// TestReauthenticationReplacesTheSession (ASVS 7.2.4; Cheat Sheet: renew
// the ID on any privilege change): every authentication, also by someone
// already logged in, issues a new session ID and ends the one the request
// brought.
func TestReauthenticationReplacesTheSession(t *testing.T) {
	srv := newKeyedServer(t, nil)
	other := Unique("other")
	register(t, NewClient(t, srv.base), other)
	tests := []struct {
		name string
		act  func(t *testing.T, c *Client, name string)
	}{
		{"log in again", func(t *testing.T, c *Client, name string) { login(t, c, name, false) }},
		{"log in again, remember me", func(t *testing.T, c *Client, name string) { login(t, c, name, true) }},
		{"log in as another user", func(t *testing.T, c *Client, _ string) { login(t, c, other, false) }},
		{"register another account", func(t *testing.T, c *Client, _ string) { register(t, c, Unique("again")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, name := NewClient(t, srv.base), Unique("reauth")
			register(t, c, name)
			before, _ := c.Cookie("session")
			tt.act(t, c, name)
			after, _ := c.Cookie("session")
			if srv.id(after) == nil || bytes.Equal(srv.id(after), srv.id(before)) {
				t.Fatal("authentication kept the session ID")
			}
			if r := c.Do("GET", "/api/session", nil); r.JSON["authenticated"] != true {
				t.Fatalf("the new session does not work: %s", r.Raw)
			}
			refused(t, srv.base, before)
		})
	}
}

// TestEndedSessionCannotBeResumed (ASVS 7.4.1, 7.4.2, 7.4.3, 7.5.2): once
// a session ends (logout, revocation of itself, revocation from another
// device, "sign out everywhere else", a password change on another device,
// the account's deletion from it or another device), a copy of its cookie
// is worthless: no session, no listing, no cart. The record is gone from
// the server, not just the cookie from the browser.
func TestEndedSessionCannotBeResumed(t *testing.T) {
	srv := newKeyedServer(t, nil)
	tests := []struct {
		name string
		end  func(t *testing.T, c, other *Client, id string)
	}{
		{"log out", func(t *testing.T, c, _ *Client, _ string) { expect(t, c.Do("POST", "/api/logout", nil), 204, "") }},
		{"revoke itself", func(t *testing.T, c, _ *Client, id string) {
			expect(t, c.Do("DELETE", "/api/sessions/"+id, nil), 204, "")
		}},
		{"revoked from another device", func(t *testing.T, _, other *Client, id string) {
			expect(t, other.Do("DELETE", "/api/sessions/"+id, nil), 204, "")
		}},
		{"sign out everywhere else, from another device", func(t *testing.T, _, other *Client, _ string) {
			expect(t, other.Do("DELETE", "/api/sessions", nil), 204, "")
		}},
		{"password change, from another device", func(t *testing.T, _, other *Client, _ string) {
			expect(t, other.Do("PUT", "/api/password", map[string]any{"currentPassword": testPassword, "newPassword": "a brand new password"}), 200, "")
		}},
		{"account deletion", func(t *testing.T, c, _ *Client, _ string) {
			expect(t, c.Do("DELETE", "/api/account", map[string]any{"password": testPassword}), 204, "")
		}},
		{"account deletion, from another device", func(t *testing.T, _, other *Client, _ string) {
			expect(t, other.Do("DELETE", "/api/account", map[string]any{"password": testPassword}), 204, "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := Unique("end")
			c, other := NewClient(t, srv.base), NewClient(t, srv.base)
			register(t, c, name)
			login(t, other, name, false)
			expect(t, c.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 2}), 200, "")
			copied, _ := c.Cookie("session")
			id, _ := c.Do("GET", "/api/session", nil).JSON["session"].(map[string]any)["id"].(string)
			tt.end(t, c, other, id)

			replay := NewClient(t, srv.base)
			replay.SetJarCookie("session", copied)
			expect(t, replay.Do("GET", "/api/sessions", nil), 401, "not_authenticated")
			replay.SetJarCookie("session", copied)
			if r := replay.Do("GET", "/api/cart", nil); r.JSON["count"] != 0.0 {
				t.Fatalf("the ended session's cart is still served: %s", r.Raw)
			}
			refused(t, srv.base, copied)
		})
	}
}

// TestSessionIDOnlyFromItsCookie (Cheat Sheet: used vs accepted session ID
// exchange mechanisms): the session is read from the session cookie and
// nowhere else: not from the URL, another header or a cookie of another
// name.
func TestSessionIDOnlyFromItsCookie(t *testing.T) {
	srv := newKeyedServer(t, nil)
	owner := NewClient(t, srv.base)
	register(t, owner, Unique("only"))
	v, _ := owner.Cookie("session")
	tests := []struct {
		name    string
		path    string
		headers []string
		works   bool
	}{
		{"the session cookie (control)", "/api/session", []string{"Cookie", "session=" + v}, true},
		{"query parameter", "/api/session?session=" + url.QueryEscape(v), nil, false},
		{"query parameter id", "/api/session?id=" + url.QueryEscape(v), nil, false},
		{"Authorization header", "/api/session", []string{"Authorization", "Bearer " + v}, false},
		{"custom header", "/api/session", []string{"X-Session", v}, false},
		{"cookie Session", "/api/session", []string{"Cookie", "Session=" + v}, false},
		{"cookie __Host-session without COOKIE_SECURE", "/api/session", []string{"Cookie", "__Host-session=" + v}, false},
		{"cookie __Secure-session", "/api/session", []string{"Cookie", "__Secure-session=" + v}, false},
		{"cookie id", "/api/session", []string{"Cookie", "id=" + v}, false},
		{"cookie signed_session", "/api/session", []string{"Cookie", "signed_session=" + v}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewClient(t, srv.base).Do("GET", tt.path, nil, tt.headers...)
			if got := r.JSON["session"] != nil; r.Status != 200 || got != tt.works {
				t.Fatalf("session found = %v, want %v: %d %s", got, tt.works, r.Status, r.Raw)
			}
		})
	}
}

// TestPlantedSessionIDIsNeverAdopted (Cheat Sheet: strict session
// management, session fixation): a cookie that is validly signed but names
// an ID the server never issued is treated as no session and expired; the
// anonymous session a cart change then starts, and the session of a later
// login, each get a fresh ID.
func TestPlantedSessionIDIsNeverAdopted(t *testing.T) {
	srv := newKeyedServer(t, nil)
	planted := make([]byte, session.IDBytes)
	_, _ = rand.Read(planted)
	value, err := srv.codec.Encode(planted)
	if err != nil {
		t.Fatal(err)
	}
	refused(t, srv.base, value)

	victim := NewClient(t, srv.base)
	victim.SetJarCookie("session", value)
	expect(t, victim.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}), 200, "")
	anon, _ := victim.Cookie("session")
	register(t, victim, Unique("planted"))
	authed, _ := victim.Cookie("session")
	for what, v := range map[string]string{"anonymous": anon, "logged-in": authed} {
		if id := srv.id(v); id == nil || bytes.Equal(id, planted) {
			t.Errorf("the %s session took the planted ID (or has none)", what)
		}
	}
	refused(t, srv.base, value)
}

// exchange is one request and what the server answered.
type exchange struct {
	method, path string
	header       http.Header
	body         []byte
}

// exchangeRecorder keeps every response's headers and body.
type exchangeRecorder struct {
	next http.Handler
	mu   sync.Mutex
	log  []exchange
}

func (x *exchangeRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tw := &teeWriter{ResponseWriter: w}
	x.next.ServeHTTP(tw, r)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.log = append(x.log, exchange{r.Method, r.URL.Path, w.Header().Clone(), tw.body.Bytes()})
}

// teeWriter copies what the handler writes.
type teeWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (t *teeWriter) Write(b []byte) (int, error) {
	t.body.Write(b)
	return t.ResponseWriter.Write(b)
}

// TestSessionIDOnlyInSetCookie (ASVS 3.3.4; Cheat Sheet: web content
// caching): through every scenario, no response body and no header but
// Set-Cookie carries a session cookie value, the raw session ID or its
// store key; and every answer of a function, those that set the session
// cookie first, says Cache-Control: no-store.
func TestSessionIDOnlyInSetCookie(t *testing.T) {
	rec := &exchangeRecorder{}
	srv := newKeyedServerWith(t, func(h http.Handler) http.Handler { rec.next = h; return rec }, scenarioParams())
	Run(t, srv.base)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	secrets := map[string]string{}
	for _, x := range rec.log {
		for _, c := range parseSetCookies(x.header.Values("Set-Cookie")) {
			if c.Name != "session" || c.Value == "" {
				continue
			}
			secrets[c.Value] = "a session cookie value"
			if id := srv.id(c.Value); id != nil {
				secrets[hex.EncodeToString(id)] = "a raw session ID (hex)"
				secrets[base64.RawURLEncoding.EncodeToString(id)] = "a raw session ID (base64url)"
				secrets[base64.StdEncoding.EncodeToString(id)] = "a raw session ID (base64)"
				secrets[session.StoreKey(id)] = "a session store key"
			}
		}
	}
	if len(secrets) < 50 {
		t.Fatalf("only %d secrets recorded from %d exchanges: is the recorder wired?", len(secrets), len(rec.log))
	}
	api := 0
	for _, x := range rec.log {
		if !strings.HasPrefix(x.path, "/api/") || string(x.body) == web.NotFoundBody {
			continue // the site's files, and API Gateway's own 404 (no function ran)
		}
		api++
		if cc := x.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s %s: Cache-Control %q, want no-store", x.method, x.path, cc)
		}
		for secret, what := range secrets {
			if bytes.Contains(x.body, []byte(secret)) {
				t.Errorf("%s %s: the body holds %s", x.method, x.path, what)
			}
			for name, values := range x.header {
				if name != "Set-Cookie" && strings.Contains(strings.Join(values, "\n"), secret) {
					t.Errorf("%s %s: header %s holds %s", x.method, x.path, name, what)
				}
			}
		}
	}
	if api < 50 {
		t.Fatalf("only %d API exchanges recorded", api)
	}
}

// TestDeployedTimeoutsAreTheDocumented (ASVS 7.1.1, 7.3.1, 7.3.2): every
// function that reads session timeouts gets, from template.yaml, exactly
// the values docs/security.md justifies (TestExpiry proves what they do).
func TestDeployedTimeoutsAreTheDocumented(t *testing.T) {
	documented := session.Timeouts{
		Idle: 30 * time.Minute, Absolute: 12 * time.Hour,
		Remember: 720 * time.Hour, RememberIdle: 168 * time.Hour,
		MaxTouchInterval: time.Minute, Reauth: 5 * time.Minute,
	}
	if session.DefaultTimeouts != documented {
		t.Errorf("session.DefaultTimeouts = %+v, the documented values are %+v", session.DefaultTimeouts, documented)
	}
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, fn := range tpl.Functions {
		if _, ok := fn.Env["SESSIONS_TABLE"]; !ok {
			continue
		}
		checked++
		got, err := config.LoadTimeouts(func(k string) string { return fn.Env[k] })
		if err != nil || got != documented {
			t.Errorf("%s deploys timeouts %+v (%v), the documented values are %+v", fn.Name, got, err, documented)
		}
	}
	if checked < 2 {
		t.Fatalf("only %d functions use sessions in template.yaml", checked)
	}
}

// TestNoSessionWithoutAnExplicitAction (ASVS 7.6.2): no GET route starts a
// session; only a deliberate change (adding to the cart, registering,
// logging in) does, and a cross-site one is refused before it can.
func TestNoSessionWithoutAnExplicitAction(t *testing.T) {
	srv := newKeyedServer(t, nil)
	tpl, err := samtemplate.Load("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	gets := 0
	for _, fn := range tpl.Functions {
		for _, rt := range fn.Routes {
			if rt.Method != "GET" {
				continue
			}
			gets++
			r := NewClient(t, srv.base).Do("GET", strings.NewReplacer("{", "", "}", "").Replace(rt.Path), nil)
			if sc := r.SetCookie("session"); sc != "" {
				t.Errorf("GET %s started a session: %q", rt.Path, sc)
			}
		}
	}
	if gets < 5 {
		t.Fatalf("only %d GET routes in template.yaml", gets)
	}
	for _, tt := range []struct {
		path string
		body map[string]any
	}{
		{"/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}},
		{"/api/register", map[string]any{"username": Unique("xs"), "password": testPassword}},
	} {
		r := NewClient(t, srv.base).Do("POST", tt.path, tt.body, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if r.Status != 403 || r.SetCookie("session") != "" {
			t.Errorf("cross-site POST %s = %d, Set-Cookie %q; want 403 and no session", tt.path, r.Status, r.SetCookie("session"))
		}
	}
	c := NewClient(t, srv.base)
	expect(t, c.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}), 200, "")
	if _, ok := c.Cookie("session"); !ok {
		t.Fatal("adding to the cart started no session: the check above proves nothing")
	}
}

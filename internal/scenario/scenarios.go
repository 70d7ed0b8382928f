package scenario

import (
	"fmt"
	"strings"
	"testing"
)

// Server names the kind of server a suite runs against, where they differ
// in a way the contract does not control.
type Server string

const (
	// APIGateway is the deployed HTTP API, or our runner that imitates it.
	APIGateway Server = "api-gateway"
	// SAMLocal is the real `sam local start-api`: it answers a request that
	// matches no route with the REST API's 403 {"message":"Missing
	// Authentication Token"} where the HTTP API answers 404 {"message":"Not Found"}.
	SAMLocal Server = "sam-local"
)

// Run runs every scenario against the site at base (COOKIE_SECURE=false),
// served as the deployed HTTP API would serve it.
func Run(t *testing.T, base string) { RunOn(t, base, APIGateway) }

// RunOn runs every scenario against the site at base on the given server.
//
// The fresh-authentication scenario waits until a session is past its
// freshUntil, so the server must run with a short SESSION_REAUTH_WINDOW
// (at most MaxReauthWait; the suite's runners set ReauthWindow): it logs
// in first, and checks what it waited for after the other scenarios.
func RunOn(t *testing.T, base string, server Server) {
	fresh := beginFreshness(t, base)
	t.Run("preferences", func(t *testing.T) { preferences(t, base) })
	t.Run("visits", func(t *testing.T) { visits(t, base) })
	t.Run("cookie inspector", func(t *testing.T) { inspector(t, base) })
	t.Run("signed session", func(t *testing.T) { signedSession(t, base) })
	t.Run("accounts", func(t *testing.T) { accounts(t, base) })
	t.Run("revocation", func(t *testing.T) { revocation(t, base) })
	t.Run("throttling", func(t *testing.T) { throttling(t, base) })
	t.Run("cart", func(t *testing.T) { cartFlow(t, base) })
	t.Run("cart survives login", func(t *testing.T) { cartSurvivesLogin(t, base) })
	t.Run("session visits", func(t *testing.T) { sessionVisits(t, base) })
	t.Run("session visits survive login", func(t *testing.T) { sessionVisitsSurviveLogin(t, base) })
	t.Run("concurrent session visits", func(t *testing.T) { ConcurrentVisits(t, base, 10) })
	t.Run("password change", func(t *testing.T) { passwordChange(t, base) })
	t.Run("account deletion", func(t *testing.T) { accountDeletion(t, base) })
	t.Run("errors", func(t *testing.T) { apiErrors(t, base, server) })
	t.Run("fresh authentication", func(t *testing.T) { fresh.finish(t) })
}

func expect(t *testing.T, r Response, status int, code string) {
	t.Helper()
	if r.Status != status || r.ErrorCode() != code {
		t.Fatalf("got %d %s, want %d %q", r.Status, r.Raw, status, code)
	}
}

func preferences(t *testing.T, base string) {
	c := NewClient(t, base)
	r := c.Do("GET", "/api/preferences", nil)
	expect(t, r, 200, "")
	if r.JSON["theme"] != "light" || r.JSON["language"] != "en" {
		t.Fatalf("defaults = %s", r.Raw)
	}
	r = c.Do("PUT", "/api/preferences", map[string]any{"theme": "dark", "language": "fr", "maxAgeDays": 30})
	expect(t, r, 200, "")
	if sc := r.SetCookie("theme"); !strings.Contains(sc, "Max-Age=2592000") || strings.Contains(sc, "HttpOnly") {
		t.Fatalf("theme Set-Cookie = %q", sc)
	}
	if r = c.Do("GET", "/api/preferences", nil); r.JSON["theme"] != "dark" || r.JSON["language"] != "fr" {
		t.Fatalf("after PUT = %s", r.Raw)
	}
	expect(t, c.Do("PUT", "/api/preferences", map[string]any{"theme": "neon"}), 400, "invalid_preference")
	expect(t, c.Do("PUT", "/api/preferences", map[string]any{"maxAgeDays": 401}), 400, "lifetime_too_long")
	expect(t, c.Do("PUT", "/api/preferences", map[string]any{"maxAgeDays": 0}), 400, "invalid_preference")
	expect(t, c.Do("DELETE", "/api/preferences", nil), 204, "")
	if _, ok := c.Cookie("theme"); ok {
		t.Fatal("theme cookie survived DELETE")
	}
}

func visits(t *testing.T, base string) {
	c := NewClient(t, base)
	for want := 1.0; want <= 3; want++ {
		if r := c.Do("POST", "/api/visits", nil); r.Status != 200 || r.JSON["visits"] != want {
			t.Fatalf("visit %v = %d %s", want, r.Status, r.Raw)
		}
	}
	c.SetJarCookie("visits", "lots")
	if r := c.Do("POST", "/api/visits", nil); r.JSON["visits"] != 1.0 {
		t.Fatalf("unparsable visits should count as 0: %s", r.Raw)
	}
}

func inspector(t *testing.T, base string) {
	c := NewClient(t, base)
	r := c.Do("PUT", "/api/cookies/flavour", map[string]any{"value": "oatmeal", "maxAgeSeconds": 60})
	expect(t, r, 200, "")
	if r.JSON["bytes"] != 14.0 || !strings.Contains(r.SetCookie("flavour"), "Max-Age=60") {
		t.Fatalf("PUT cookie = %s %q", r.Raw, r.SetCookie("flavour"))
	}
	register(t, c, Unique("insp"))
	r = c.Do("GET", "/api/cookies", nil)
	expect(t, r, 200, "")
	list, _ := r.JSON["cookies"].([]any)
	var sawSession, sawFlavour bool
	for _, item := range list {
		ck := item.(map[string]any)
		switch ck["name"] {
		case "session":
			sawSession = ck["value"] == nil && ck["redacted"] == true
		case "flavour":
			sawFlavour = ck["value"] == "oatmeal"
		}
	}
	if !sawSession || !sawFlavour || r.JSON["headerBytes"].(float64) < 20 {
		t.Fatalf("inspector = %s", r.Raw)
	}
	if v, _ := c.Cookie("session"); strings.Contains(r.Raw, v) {
		t.Fatal("the session cookie's value appears in a body")
	}
	expect(t, c.Do("PUT", "/api/cookies/session", map[string]any{"value": "x"}), 403, "reserved_cookie")
	expect(t, c.Do("PUT", "/api/cookies/bad%20name", map[string]any{"value": "x"}), 400, "invalid_cookie_name")
	expect(t, c.Do("PUT", "/api/cookies/ok", map[string]any{"value": "a;b"}), 400, "invalid_cookie_value")
	expect(t, c.Do("PUT", "/api/cookies/ok", map[string]any{"value": strings.Repeat("x", 4095)}), 400, "cookie_too_large")
	expect(t, c.Do("PUT", "/api/cookies/ok", map[string]any{"value": "x", "maxAgeSeconds": 0}), 400, "invalid_lifetime")
	expect(t, c.Do("PUT", "/api/cookies/ok", map[string]any{"value": "x", "maxAgeSeconds": 34560001}), 400, "lifetime_too_long")
	expect(t, c.Do("PUT", "/api/cookies/ok", map[string]any{"value": "x", "sameSite": "Sometimes"}), 400, "invalid_cookie_attribute")
	expect(t, c.Do("DELETE", "/api/cookies/flavour", nil), 204, "")
	if _, ok := c.Cookie("flavour"); ok {
		t.Fatal("flavour survived DELETE")
	}
	expect(t, c.Do("DELETE", "/api/cookies/visits", nil), 403, "reserved_cookie")
}

func signedSession(t *testing.T, base string) {
	c := NewClient(t, base)
	r := c.Do("GET", "/api/signed-session", nil)
	expect(t, r, 200, "")
	r = c.Do("PUT", "/api/signed-session", map[string]any{"data": map[string]string{"name": "Ada"}})
	expect(t, r, 200, "")
	if !strings.Contains(r.SetCookie("signed_session"), "HttpOnly") || !strings.Contains(fmt.Sprint(r.JSON["readable"]), "Ada") {
		t.Fatalf("PUT signed session = %s %q", r.Raw, r.SetCookie("signed_session"))
	}
	if r = c.Do("GET", "/api/signed-session", nil); r.JSON["data"].(map[string]any)["name"] != "Ada" {
		t.Fatalf("GET = %s", r.Raw)
	}
	value, _ := c.Cookie("signed_session")
	c.SetJarCookie("signed_session", tamper(value))
	r = c.Do("GET", "/api/signed-session", nil)
	expect(t, r, 400, "tampered_cookie")
	if !strings.Contains(r.SetCookie("signed_session"), "Max-Age=0") {
		t.Fatalf("tampered cookie not expired: %q", r.SetCookie("signed_session"))
	}
	expect(t, c.Do("PUT", "/api/signed-session", map[string]any{"data": map[string]string{"big": strings.Repeat("x", 4000)}}), 400, "cookie_too_large")
	expect(t, c.Do("DELETE", "/api/signed-session", nil), 204, "")
}

// tamper changes one character in the middle of a cookie value.
func tamper(v string) string {
	b := []byte(v)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

const testPassword = "correct horse battery"

func register(t *testing.T, c *Client, name string) {
	t.Helper()
	r := c.Do("POST", "/api/register", map[string]any{"username": name, "password": testPassword})
	expect(t, r, 201, "")
}

func login(t *testing.T, c *Client, name string, remember bool) Response {
	t.Helper()
	r := c.Do("POST", "/api/login", map[string]any{"username": name, "password": testPassword, "remember": remember})
	expect(t, r, 200, "")
	return r
}

func accounts(t *testing.T, base string) {
	c := NewClient(t, base)
	name := Unique("acct")
	if r := c.Do("GET", "/api/session", nil); r.JSON["authenticated"] != false || r.JSON["session"] != nil {
		t.Fatalf("fresh session = %s", r.Raw)
	}
	expect(t, c.Do("POST", "/api/register", map[string]any{"username": "x", "password": testPassword}), 400, "invalid_username")
	expect(t, c.Do("POST", "/api/register", map[string]any{"username": name, "password": "short"}), 400, "weak_password")
	expect(t, c.Do("POST", "/api/register", map[string]any{"username": name, "password": name}), 400, "weak_password")
	register(t, c, strings.ToUpper(name))
	expect(t, c.Do("POST", "/api/register", map[string]any{"username": name, "password": testPassword}), 409, "username_taken")
	r := c.Do("GET", "/api/session", nil)
	if r.JSON["authenticated"] != true || r.JSON["user"].(map[string]any)["username"] != name {
		t.Fatalf("after register = %s", r.Raw)
	}
	if at, until := authTimes(t, r); !until.After(at) {
		t.Fatalf("after register: authenticatedAt %v, freshUntil %v", at, until)
	}
	preLogin, _ := c.Cookie("session")
	r = login(t, c, name, false)
	if sc := r.SetCookie("session"); !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Max-Age") {
		t.Fatalf("session Set-Cookie = %q", sc)
	}
	postLogin, _ := c.Cookie("session")
	if postLogin == preLogin {
		t.Fatal("login kept the session ID (fixation)")
	}
	attacker := NewClient(t, base)
	attacker.SetJarCookie("session", preLogin)
	if r := attacker.Do("GET", "/api/session", nil); r.JSON["session"] != nil || !strings.Contains(r.SetCookie("session"), "Max-Age=0") {
		t.Fatalf("the pre-login cookie still works: %s", r.Raw)
	}
	forger := NewClient(t, base)
	forger.SetJarCookie("session", tamper(postLogin))
	if r := forger.Do("GET", "/api/session", nil); r.JSON["session"] != nil || !strings.Contains(r.SetCookie("session"), "Max-Age=0") {
		t.Fatalf("a tampered session cookie was not refused and expired: %s", r.Raw)
	}
	r = login(t, c, name, true)
	if sc := r.SetCookie("session"); !strings.Contains(sc, "Max-Age=2592000") {
		t.Fatalf("remember Set-Cookie = %q", sc)
	}
	expect(t, c.Do("POST", "/api/login", map[string]any{"username": name, "password": "wrong password"}), 401, "invalid_credentials")
	expect(t, c.Do("POST", "/api/login", map[string]any{"username": Unique("ghost"), "password": "wrong password"}), 401, "invalid_credentials")
	r = c.Do("POST", "/api/logout", nil)
	expect(t, r, 204, "")
	if r.Header.Get("Clear-Site-Data") != `"cookies"` || !strings.Contains(r.Header.Get("Cache-Control"), "no-store") {
		t.Fatalf("logout headers = %v", r.Header)
	}
	if r := c.Do("GET", "/api/session", nil); r.JSON["authenticated"] != false {
		t.Fatalf("after logout = %s", r.Raw)
	}
	expect(t, c.Do("POST", "/api/logout", nil), 204, "")
	expect(t, c.Do("GET", "/api/sessions", nil), 401, "not_authenticated")
}

func revocation(t *testing.T, base string) {
	name := Unique("rev")
	laptop, phone, tablet := NewClient(t, base), NewClient(t, base), NewClient(t, base)
	register(t, laptop, name)
	login(t, phone, name, false)
	login(t, tablet, name, true)
	r := laptop.Do("GET", "/api/sessions", nil)
	expect(t, r, 200, "")
	list := r.JSON["sessions"].([]any)
	if len(list) != 3 {
		t.Fatalf("sessions = %s", r.Raw)
	}
	phoneID := phone.Do("GET", "/api/session", nil).JSON["session"].(map[string]any)["id"].(string)
	current := 0
	for _, s := range list {
		if s.(map[string]any)["current"] == true {
			current++
		}
	}
	if current != 1 {
		t.Fatalf("want exactly one current session: %s", r.Raw)
	}
	reauthenticate(t, laptop, testPassword) // fresh, however long the steps above took
	expect(t, laptop.Do("DELETE", "/api/sessions/"+phoneID, nil), 204, "")
	if r := phone.Do("GET", "/api/session", nil); r.JSON["authenticated"] != false {
		t.Fatalf("revoked phone still signed in: %s", r.Raw)
	}
	reauthenticate(t, laptop, testPassword)
	expect(t, laptop.Do("DELETE", "/api/sessions/"+phoneID, nil), 404, "session_not_found")
	stranger := NewClient(t, base)
	register(t, stranger, Unique("str"))
	tabletID := tablet.Do("GET", "/api/session", nil).JSON["session"].(map[string]any)["id"].(string)
	reauthenticate(t, stranger, testPassword)
	expect(t, stranger.Do("DELETE", "/api/sessions/"+tabletID, nil), 404, "session_not_found")
	reauthenticate(t, laptop, testPassword)
	expect(t, laptop.Do("DELETE", "/api/sessions", nil), 204, "")
	if r := tablet.Do("GET", "/api/session", nil); r.JSON["authenticated"] != false {
		t.Fatalf("tablet survived sign-out-everywhere-else: %s", r.Raw)
	}
	if r := laptop.Do("GET", "/api/sessions", nil); len(r.JSON["sessions"].([]any)) != 1 {
		t.Fatalf("after revoke others = %s", r.Raw)
	}
}

func throttling(t *testing.T, base string) {
	c := NewClient(t, base)
	name := Unique("thr")
	register(t, c, name)
	for i := 0; i < 5; i++ {
		expect(t, c.Do("POST", "/api/login", map[string]any{"username": name, "password": "wrong password"}), 401, "invalid_credentials")
	}
	r := c.Do("POST", "/api/login", map[string]any{"username": name, "password": testPassword})
	expect(t, r, 429, "too_many_attempts")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	ghost := Unique("ghost")
	for i := 0; i < 5; i++ {
		c.Do("POST", "/api/login", map[string]any{"username": ghost, "password": "wrong password"})
	}
	expect(t, c.Do("POST", "/api/login", map[string]any{"username": ghost, "password": "wrong password"}), 429, "too_many_attempts")
}

func cartFlow(t *testing.T, base string) {
	c := NewClient(t, base)
	r := c.Do("GET", "/api/products", nil)
	expect(t, r, 200, "")
	products := r.JSON["products"].([]any)
	if len(products) < 3 {
		t.Fatalf("products = %s", r.Raw)
	}
	sku := products[0].(map[string]any)["sku"].(string)
	other := products[1].(map[string]any)["sku"].(string)
	r = c.Do("GET", "/api/cart", nil)
	if r.Status != 200 || r.JSON["count"] != 0.0 || len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("empty cart = %d %s %v", r.Status, r.Raw, r.Header.Values("Set-Cookie"))
	}
	expect(t, c.Do("PUT", "/api/cart/items/"+sku, map[string]any{"quantity": 1}), 404, "not_in_cart")
	r = c.Do("POST", "/api/cart/items", map[string]any{"sku": sku, "quantity": 2})
	expect(t, r, 200, "")
	if r.SetCookie("session") == "" || r.JSON["count"] != 2.0 {
		t.Fatalf("first add = %s %v", r.Raw, r.Header.Values("Set-Cookie"))
	}
	r = c.Do("POST", "/api/cart/items", map[string]any{"sku": other, "quantity": 3})
	if r.JSON["count"] != 5.0 || len(r.JSON["items"].([]any)) != 2 {
		t.Fatalf("second add = %s", r.Raw)
	}
	if s := c.Do("GET", "/api/session", nil); s.JSON["authenticated"] != false || s.JSON["session"] == nil {
		t.Fatalf("anonymous session = %s", s.Raw)
	} else if v := s.JSON["session"].(map[string]any); v["authenticatedAt"] != nil || v["freshUntil"] != nil {
		t.Fatalf("an anonymous session has authenticatedAt/freshUntil: %s", s.Raw)
	}
	expect(t, c.Do("POST", "/api/cart/items", map[string]any{"sku": "nope", "quantity": 1}), 404, "unknown_product")
	expect(t, c.Do("POST", "/api/cart/items", map[string]any{"sku": sku, "quantity": 0}), 400, "invalid_quantity")
	expect(t, c.Do("POST", "/api/cart/items", map[string]any{"sku": sku, "quantity": 98}), 400, "invalid_quantity")
	expect(t, c.Do("PUT", "/api/cart/items/"+sku, map[string]any{"quantity": 100}), 400, "invalid_quantity")
	expect(t, c.Do("PUT", "/api/cart/items/nope", map[string]any{"quantity": 1}), 404, "unknown_product")
	r = c.Do("PUT", "/api/cart/items/"+sku, map[string]any{"quantity": 99})
	if r.Status != 200 || r.JSON["count"] != 102.0 {
		t.Fatalf("set 99 = %s", r.Raw)
	}
	r = c.Do("PUT", "/api/cart/items/"+sku, map[string]any{"quantity": 0})
	if r.Status != 200 || r.JSON["count"] != 3.0 {
		t.Fatalf("set 0 = %s", r.Raw)
	}
	expect(t, c.Do("DELETE", "/api/cart/items/"+sku, nil), 404, "not_in_cart")
	r = c.Do("DELETE", "/api/cart/items/"+other, nil)
	if r.Status != 200 || r.JSON["count"] != 0.0 {
		t.Fatalf("remove = %s", r.Raw)
	}
	c.Do("POST", "/api/cart/items", map[string]any{"sku": sku, "quantity": 1})
	expect(t, c.Do("DELETE", "/api/cart", nil), 204, "")
	if r := c.Do("GET", "/api/cart", nil); r.JSON["count"] != 0.0 {
		t.Fatalf("after empty = %s", r.Raw)
	}
	expect(t, NewClient(t, base).Do("DELETE", "/api/cart", nil), 204, "")
}

func cartSurvivesLogin(t *testing.T, base string) {
	name := Unique("shop")
	owner := NewClient(t, base)
	register(t, owner, name)
	expect(t, owner.Do("POST", "/api/logout", nil), 204, "")
	c := NewClient(t, base)
	sku := c.Do("GET", "/api/products", nil).JSON["products"].([]any)[0].(map[string]any)["sku"].(string)
	c.Do("POST", "/api/cart/items", map[string]any{"sku": sku, "quantity": 4})
	anon, _ := c.Cookie("session")
	login(t, c, name, false)
	if r := c.Do("GET", "/api/cart", nil); r.JSON["count"] != 4.0 {
		t.Fatalf("cart after login = %s", r.Raw)
	}
	ghost := NewClient(t, base)
	ghost.SetJarCookie("session", anon)
	if r := ghost.Do("GET", "/api/cart", nil); r.JSON["count"] != 0.0 {
		t.Fatalf("the anonymous session survived login: %s", r.Raw)
	}
}

// visitCount is the count of a /api/session/visits answer, or -1.
func visitCount(r Response) float64 {
	if n, ok := r.JSON["visits"].(float64); ok && r.Status == 200 {
		return n
	}
	return -1
}

// sessionVisits: the server-side twin of the visits cookie. A read without
// a session is 0 and creates none; the first visit starts one; a key is
// judged as on the cart's routes; the cookie counter is another number,
// and editing the cookie changes only it.
func sessionVisits(t *testing.T, base string) {
	c := NewClient(t, base)
	const path = "/api/session/visits"
	r := c.Do("GET", path, nil)
	if visitCount(r) != 0 || len(r.Header.Values("Set-Cookie")) != 0 {
		t.Fatalf("GET without a session = %d %s %v", r.Status, r.Raw, r.Header.Values("Set-Cookie"))
	}
	if s := c.Do("GET", "/api/session", nil); s.JSON["session"] != nil {
		t.Fatalf("GET %s started a session: %s", path, s.Raw)
	}
	r = c.Do("POST", path, nil, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	expect(t, r, 403, "cross_origin_request")
	if r.SetCookie("session") != "" {
		t.Fatal("a refused cross-site visit started a session")
	}
	expect(t, c.Do("POST", path, nil, "Idempotency-Key", "not a key"), 400, "invalid_idempotency_key")
	if _, ok := c.Cookie("session"); ok {
		t.Fatal("a refused visit started a session")
	}
	r = c.Do("POST", path, nil)
	if visitCount(r) != 1 || r.SetCookie("session") == "" {
		t.Fatalf("first visit = %d %s %v", r.Status, r.Raw, r.Header.Values("Set-Cookie"))
	}
	if r := c.Do("POST", path, nil, "Idempotency-Key", "visit-2"); visitCount(r) != 2 || r.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("second visit = %d %s", r.Status, r.Raw)
	}
	if r := c.Do("POST", path, nil); visitCount(r) != 3 {
		t.Fatalf("third visit = %d %s", r.Status, r.Raw)
	}
	r = c.Do("POST", path, nil, "Idempotency-Key", "visit-2")
	if visitCount(r) != 3 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the second visit again = %d %s (Idempotent-Replayed %q), want the count now, 3, replayed", r.Status, r.Raw, r.Header.Get("Idempotent-Replayed"))
	}
	expect(t, c.Do("POST", path, `{"again":true}`, "Idempotency-Key", "visit-2"), 422, "idempotency_key_reused")
	for i := 0; i < 2; i++ {
		c.Do("POST", "/api/visits", nil)
	}
	c.SetJarCookie("visits", "1000")
	if r := c.Do("POST", "/api/visits", nil); r.JSON["visits"] != 1001.0 {
		t.Fatalf("the cookie counter = %s", r.Raw)
	}
	if r := c.Do("GET", path, nil); visitCount(r) != 3 {
		t.Fatalf("the server counter after the cookie was edited = %s, want 3", r.Raw)
	}
}

// sessionVisitsSurviveLogin: the count of an anonymous session comes along
// into the new session of a login, like the cart; the old session is gone.
func sessionVisitsSurviveLogin(t *testing.T, base string) {
	name := Unique("vis")
	owner := NewClient(t, base)
	register(t, owner, name)
	expect(t, owner.Do("POST", "/api/logout", nil), 204, "")
	c := NewClient(t, base)
	for i := 0; i < 3; i++ {
		c.Do("POST", "/api/session/visits", nil)
	}
	anon, _ := c.Cookie("session")
	login(t, c, name, false)
	if r := c.Do("GET", "/api/session/visits", nil); visitCount(r) != 3 {
		t.Fatalf("visits after login = %s, want 3", r.Raw)
	}
	if r := c.Do("POST", "/api/session/visits", nil); visitCount(r) != 4 {
		t.Fatalf("a visit after login = %s, want 4", r.Raw)
	}
	ghost := NewClient(t, base)
	ghost.SetJarCookie("session", anon)
	if r := ghost.Do("GET", "/api/session/visits", nil); visitCount(r) != 0 {
		t.Fatalf("the anonymous session survived login: %s", r.Raw)
	}
}

func apiErrors(t *testing.T, base string, server Server) {
	c := NewClient(t, base)
	noRoute, noRouteBody := 404, `{"message":"Not Found"}`
	if server == SAMLocal {
		noRoute, noRouteBody = 403, `{"message":"Missing Authentication Token"}`
	}
	for _, tt := range []struct{ method, path string }{
		{"GET", "/api/nothing"}, {"POST", "/api/preferences"}, {"GET", "/api/login"}, {"PATCH", "/api/cart"},
	} {
		r := c.Do(tt.method, tt.path, nil)
		if r.Status != noRoute || strings.TrimSpace(r.Raw) != noRouteBody {
			t.Errorf("%s %s = %d %s, want %s's %d %s", tt.method, tt.path, r.Status, r.Raw, server, noRoute, noRouteBody)
		}
	}
	expect(t, c.Do("PUT", "/api/preferences", `{"theme":"dark"}`, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	expect(t, c.Do("PUT", "/api/preferences", `{"theme":"`+strings.Repeat("d", 17000)+`"}`), 413, "payload_too_large")
	expect(t, c.Do("PUT", "/api/preferences", `{"theme":`), 400, "invalid_json")
	expect(t, c.Do("PUT", "/api/preferences", `{"colour":"red"}`), 400, "invalid_json")
	expect(t, c.Do("PUT", "/api/preferences", `{} {}`), 400, "invalid_json")
	expect(t, c.Do("POST", "/api/login", ""), 400, "invalid_json")
	r := c.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	expect(t, r, 403, "cross_origin_request")
	if r.SetCookie("session") != "" {
		t.Fatal("a refused cross-site request started a session")
	}
	expect(t, c.Do("POST", "/api/login", map[string]any{"username": "a", "password": "b"}, "Origin", "null", "Sec-Fetch-Site", ""), 403, "cross_origin_request")
}

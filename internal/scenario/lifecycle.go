package scenario

import (
	"strings"
	"testing"
	"time"
)

// ReauthWindow is the SESSION_REAUTH_WINDOW the suite's runners give the
// functions, so that the fresh-authentication scenario can wait for it to
// pass; MaxReauthWait is the longest window that scenario waits for.
const (
	ReauthWindow  = "4s"
	MaxReauthWait = time.Minute
)

// In returns c for use inside another (sub)test: the same browser.
func (c *Client) In(t *testing.T) *Client {
	d := *c
	d.t = t
	return &d
}

// authTimes returns authenticatedAt and freshUntil of the SESSION in r's
// "session".
func authTimes(t *testing.T, r Response) (at, until time.Time) {
	t.Helper()
	v, ok := r.JSON["session"].(map[string]any)
	if !ok {
		t.Fatalf("no session in %s", r.Raw)
	}
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"authenticatedAt", &at}, {"freshUntil", &until}} {
		s, _ := v[f.name].(string)
		parsed, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatalf("session.%s = %v: %v", f.name, v[f.name], err)
		}
		*f.dst = parsed
	}
	return at, until
}

// sessionID is the public id of c's current session.
func sessionID(t *testing.T, c *Client) string {
	t.Helper()
	v, ok := c.Do("GET", "/api/session", nil).JSON["session"].(map[string]any)
	if !ok {
		t.Fatal("no session")
	}
	return v["id"].(string)
}

func loggedIn(t *testing.T, c *Client) bool {
	t.Helper()
	return c.Do("GET", "/api/session", nil).JSON["authenticated"] == true
}

// reauthenticate makes c's session fresh again and returns the answer.
func reauthenticate(t *testing.T, c *Client, pw string) Response {
	t.Helper()
	r := c.Do("POST", "/api/reauthenticate", map[string]any{"password": pw})
	expect(t, r, 200, "")
	return r
}

// freshness is the fresh-authentication scenario (ASVS 7.5.2) in two
// halves: beginFreshness logs one user in on two clients before the other
// scenarios run; finish, after them, waits until the first is past its
// freshUntil and checks that ending sessions then needs a re-authentication.
type freshness struct {
	name       string
	a, b       *Client
	freshUntil time.Time
	window     time.Duration
}

func beginFreshness(t *testing.T, base string) *freshness {
	t.Helper()
	f := &freshness{name: Unique("fresh"), a: NewClient(t, base), b: NewClient(t, base)}
	register(t, f.a, f.name)
	login(t, f.b, f.name, false)
	at, until := authTimes(t, f.a.Do("GET", "/api/session", nil))
	f.freshUntil, f.window = until, until.Sub(at)
	if f.window > MaxReauthWait {
		t.Fatalf("SESSION_REAUTH_WINDOW is %v: the fresh-authentication scenario waits for it to pass, so run the server with at most %v (the suite's runners set %s)",
			f.window, MaxReauthWait, ReauthWindow)
	}
	// While fresh, the revoke routes look at the id.
	expect(t, f.a.Do("DELETE", "/api/sessions/000000000000000000000000", nil), 404, "session_not_found")
	return f
}

func (f *freshness) finish(t *testing.T) {
	a, b := f.a.In(t), f.b.In(t)
	// freshUntil is shown to the second: a second more is surely past it.
	time.Sleep(time.Until(f.freshUntil.Add(time.Second + 100*time.Millisecond)))
	bID := sessionID(t, b)
	for _, id := range []string{bID, "000000000000000000000000", "not-an-id"} {
		expect(t, a.Do("DELETE", "/api/sessions/"+id, nil), 403, "reauthentication_required")
	}
	expect(t, a.Do("DELETE", "/api/sessions", nil), 403, "reauthentication_required")
	if !loggedIn(t, b) || !loggedIn(t, a) {
		t.Fatal("a refused revoke ended a session")
	}
	expect(t, NewClient(t, a.base).Do("POST", "/api/reauthenticate", map[string]any{"password": testPassword}), 401, "not_authenticated")
	expect(t, a.Do("POST", "/api/reauthenticate", map[string]any{"password": "wrong password"}), 401, "invalid_credentials")
	expect(t, a.Do("POST", "/api/reauthenticate", map[string]any{}), 400, "invalid_json")
	old, _ := a.Cookie("session")
	r := reauthenticate(t, a, testPassword)
	if at, until := authTimes(t, r); until.Sub(at) != f.window || !at.After(f.freshUntil.Add(-f.window)) {
		t.Fatalf("re-authenticated: authenticatedAt %v, freshUntil %v (window %v)", at, until, f.window)
	}
	if now, _ := a.Cookie("session"); now == old {
		t.Fatal("re-authentication kept the session ID")
	}
	stale := NewClient(t, a.base)
	stale.SetJarCookie("session", old)
	if loggedIn(t, stale) {
		t.Fatal("the session before re-authentication still works")
	}
	expect(t, a.Do("DELETE", "/api/sessions/"+bID, nil), 204, "")
	if loggedIn(t, b) {
		t.Fatal("the revoked session still works")
	}
}

func passwordChange(t *testing.T, base string) {
	name := Unique("pwd")
	laptop, phone := NewClient(t, base), NewClient(t, base)
	register(t, laptop, name)
	login(t, phone, name, false)
	const newPassword = "a brand new password"
	change := func(c *Client, current, next string) Response {
		return c.Do("PUT", "/api/password", map[string]any{"currentPassword": current, "newPassword": next})
	}
	expect(t, change(NewClient(t, base), testPassword, newPassword), 401, "not_authenticated")
	expect(t, change(laptop, testPassword, "short"), 400, "weak_password")
	expect(t, change(laptop, testPassword, strings.ToUpper(name)), 400, "weak_password")
	expect(t, change(laptop, testPassword, testPassword), 400, "weak_password")
	expect(t, laptop.Do("PUT", "/api/password", map[string]any{"newPassword": newPassword}), 400, "invalid_json")
	expect(t, change(laptop, "wrong password", newPassword), 401, "invalid_credentials")
	old, _ := laptop.Cookie("session")
	r := change(laptop, testPassword, newPassword)
	expect(t, r, 200, "")
	if r.JSON["endedSessions"] != 1.0 || r.JSON["user"].(map[string]any)["username"] != name {
		t.Fatalf("change = %s; want endedSessions 1", r.Raw)
	}
	authTimes(t, r)
	if now, _ := laptop.Cookie("session"); now == old || !loggedIn(t, laptop) {
		t.Fatal("the changing session did not go on under a new ID")
	}
	if loggedIn(t, phone) {
		t.Fatal("the other session survived the password change")
	}
	expect(t, NewClient(t, base).Do("POST", "/api/login", map[string]any{"username": name, "password": testPassword}), 401, "invalid_credentials")
	expect(t, NewClient(t, base).Do("POST", "/api/login", map[string]any{"username": name, "password": newPassword}), 200, "")
}

func accountDeletion(t *testing.T, base string) {
	name := Unique("gone")
	c, other := NewClient(t, base), NewClient(t, base)
	register(t, c, name)
	login(t, other, name, true)
	expect(t, NewClient(t, base).Do("DELETE", "/api/account", map[string]any{"password": testPassword}), 401, "not_authenticated")
	expect(t, c.Do("DELETE", "/api/account", map[string]any{"password": "wrong password"}), 401, "invalid_credentials")
	expect(t, c.Do("DELETE", "/api/account", ""), 400, "invalid_json")
	if !loggedIn(t, other) {
		t.Fatal("a refused deletion ended a session")
	}
	r := c.Do("DELETE", "/api/account", map[string]any{"password": testPassword})
	expect(t, r, 204, "")
	if !strings.Contains(r.SetCookie("session"), "Max-Age=0") {
		t.Fatalf("deletion did not expire the cookie: %q", r.SetCookie("session"))
	}
	if loggedIn(t, c) || loggedIn(t, other) {
		t.Fatal("a session of the deleted account lives on")
	}
	expect(t, NewClient(t, base).Do("POST", "/api/login", map[string]any{"username": name, "password": testPassword}), 401, "invalid_credentials")
	again := NewClient(t, base)
	register(t, again, name)
	if r := again.Do("GET", "/api/sessions", nil); len(r.JSON["sessions"].([]any)) != 1 {
		t.Fatalf("the name registered again has sessions %s", r.Raw)
	}
}

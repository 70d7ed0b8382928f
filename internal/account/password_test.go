package account_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
)

const newPassword = "a brand new long password"

// TestChangePassword: the new password works from then on and the old
// one no longer; every other session of the user ends (all of them, past
// one BatchGetItem's 100 keys, each counted in endedSessions) and no other
// user's; this one goes on under a new ID, authenticated now, its data and
// remember choice kept. On both stores.
func TestChangePassword(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			stores := b.stores(t)
			f := newShopOn(t, stores)
			name, bystander := newName("chg"), newName("by")
			f.register(t, name)
			c := f.browser()
			c.call("POST", "/api/login", strings.TrimSuffix(credentials(name, rightPassword), "}")+`,"remember":true}`).mustStatus(t, "login", 200, "")
			if w := c.do("POST", "/api/cart/items", `{"sku":"mug-stoneware","quantity":2}`); w.Code != http.StatusOK {
				t.Fatalf("add: %d %s", w.Code, w.Body)
			}
			phone := f.loggedIn(t, name, "/api/login")
			other := f.loggedIn(t, bystander, "/api/register")
			f.seedSessions(t, stores.Sessions, name, 101)
			old := c.cookie
			f.clock.advance(10 * time.Minute)
			now := f.clock.now()

			a := c.call("PUT", "/api/password", changeJSON(rightPassword, newPassword))
			a.mustStatus(t, "change password", 200, "")
			if a.body["endedSessions"] != 103.0 {
				t.Errorf("endedSessions = %v, want 103 (the phone, the first session of register, 101 seeded)", a.body["endedSessions"])
			}
			if u, _ := a.body["user"].(map[string]any); u["username"] != name {
				t.Errorf("user = %v", a.body["user"])
			}
			v := a.sessionView(t)
			for field, want := range map[string]any{
				"authenticatedAt": timestamp(now), "freshUntil": timestamp(now.Add(5 * time.Minute)), "createdAt": timestamp(now),
				"absoluteExpiresAt": timestamp(now.Add(720 * time.Hour)), "current": true,
			} {
				if v[field] != want {
					t.Errorf("session.%s = %v, want %v", field, v[field], want)
				}
			}
			if c.cookie == nil || c.cookie.Value == old.Value || !strings.Contains(a.sessionCookie(), "Max-Age=2592000") {
				t.Errorf("want a new remembered session ID: Set-Cookie %q", a.sessionCookie())
			}
			if v["id"] != c.id(t) {
				t.Errorf("the answer's session %v is not the cookie's", v["id"])
			}
			if got := c.cartCount(t); got != 2 {
				t.Errorf("cart after the change: %v, want 2", got)
			}
			if n := f.liveSessions(t, stores.Sessions, name); n != 1 {
				t.Errorf("%d live sessions of the user after the change, want 1", n)
			}
			if ok, _, _ := phone.current(t); ok {
				t.Error("the phone's session survived the password change")
			}
			if ok, _, _ := (&browser{f: f, cookie: old}).current(t); ok {
				t.Error("the old session ID still works")
			}
			if ok, _, _ := other.current(t); !ok {
				t.Error("another user's session ended")
			}
			f.browser().call("POST", "/api/login", credentials(name, rightPassword)).mustStatus(t, "the old password", 401, "invalid_credentials")
			f.browser().call("POST", "/api/login", credentials(name, newPassword)).mustStatus(t, "the new password", 200, "")
			c.call("PUT", "/api/password", changeJSON(rightPassword, "yet another password")).mustStatus(t, "the old one as current", 401, "invalid_credentials")
			// With no other session, none is ended.
			c.call("DELETE", "/api/sessions", "").mustStatus(t, "sign out everywhere else", 204, "")
			if a := c.call("PUT", "/api/password", changeJSON(newPassword, rightPassword)); a.Code != 200 || a.body["endedSessions"] != 0.0 {
				t.Errorf("a change with no other session: %d %s; want endedSessions 0", a.Code, a.Body)
			}
		})
	}
}

// TestChangePasswordEndsOnlyTheUsersSessions: with a user index that leaks
// another user's sessions, a password change still ends only the user's
// own, and counts only those.
func TestChangePasswordEndsOnlyTheUsersSessions(t *testing.T) {
	mem := memstore.New()
	bobName := newName("bob")
	f := newFixture(t, app.Stores{Sessions: leakyIndex{Store: mem, victim: bobName}, Users: mem, Throttle: mem})
	alice := f.loggedIn(t, newName("alice"), "/api/register")
	bob := f.loggedIn(t, bobName, "/api/register")
	if a := alice.call("PUT", "/api/password", changeJSON(rightPassword, newPassword)); a.Code != 200 || a.body["endedSessions"] != 0.0 {
		t.Errorf("change = %d %s; want 200 with endedSessions 0", a.Code, a.Body)
	}
	if ok, _, _ := bob.current(t); !ok {
		t.Error("bob was logged out by alice's password change")
	}
}

package account_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/account"
)

// TestPasswordRoutesRefuse: every error of the contract for
// POST /api/reauthenticate, PUT /api/password and DELETE /api/account, on
// both stores: no session, an anonymous one, a body that is not the
// route's (each counts no attempt), a wrong password (401, counted), a
// weak new password (400, not counted). None of them changes the session,
// the password or the account.
func TestPasswordRoutesRefuse(t *testing.T) {
	wrong := "a wrong password"
	type req struct{ method, path string }
	reauth, change, del := req{"POST", "/api/reauthenticate"}, req{"PUT", "/api/password"}, req{"DELETE", "/api/account"}
	tests := []struct {
		name    string
		route   req
		who     string // "none", "anonymous" or "user"
		body    string
		status  int
		code    string
		counted bool // the attempt counts against the limit
	}{
		{"reauth without a session", reauth, "none", passwordJSON(rightPassword), 401, "not_authenticated", false},
		{"reauth anonymous", reauth, "anonymous", passwordJSON(rightPassword), 401, "not_authenticated", false},
		{"reauth without a body", reauth, "user", "", 400, "invalid_json", false},
		{"reauth with an empty object", reauth, "user", `{}`, 400, "invalid_json", false},
		{"reauth with a key in another case", reauth, "user", `{"Password":"` + rightPassword + `"}`, 400, "invalid_json", false},
		{"reauth with a repeated key", reauth, "user", `{"password":"x","password":"` + rightPassword + `"}`, 400, "invalid_json", false},
		{"reauth with a number", reauth, "user", `{"password":12345678}`, 400, "invalid_json", false},
		{"reauth with a wrong password", reauth, "user", passwordJSON(wrong), 401, "invalid_credentials", true},
		{"change without a session", change, "none", changeJSON(rightPassword, "a new long password"), 401, "not_authenticated", false},
		{"change anonymous", change, "anonymous", changeJSON(rightPassword, "a new long password"), 401, "not_authenticated", false},
		{"change without a body", change, "user", "", 400, "invalid_json", false},
		{"change without newPassword", change, "user", `{"currentPassword":"` + rightPassword + `"}`, 400, "invalid_json", false},
		{"change without currentPassword", change, "user", `{"newPassword":"a new long password"}`, 400, "invalid_json", false},
		{"change with an unknown key", change, "user", `{"currentPassword":"a","newPassword":"b","password":"c"}`, 400, "invalid_json", false},
		{"change with a short new password", change, "user", changeJSON(rightPassword, "short"), 400, "weak_password", false},
		{"change to the username", change, "user", changeJSON(rightPassword, "USERNAME"), 400, "weak_password", false},
		{"change to the current password", change, "user", changeJSON(rightPassword, rightPassword), 400, "weak_password", false},
		{"change weak and wrong", change, "user", changeJSON(wrong, wrong), 400, "weak_password", false},
		{"change with a wrong current password", change, "user", changeJSON(wrong, "a new long password"), 401, "invalid_credentials", true},
		{"delete without a session", del, "none", passwordJSON(rightPassword), 401, "not_authenticated", false},
		{"delete anonymous", del, "anonymous", passwordJSON(rightPassword), 401, "not_authenticated", false},
		{"delete without a body", del, "user", "", 400, "invalid_json", false},
		{"delete with a wrong password", del, "user", passwordJSON(wrong), 401, "invalid_credentials", true},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			stores := b.stores(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					f := newShopOn(t, stores)
					name := newName("ref")
					user := f.loggedIn(t, name, "/api/register")
					other := f.loggedIn(t, name, "/api/login")
					c := map[string]*browser{"none": f.browser(), "anonymous": f.browser(), "user": user}[tt.who]
					if tt.who == "anonymous" {
						if w := c.do("POST", "/api/cart/items", `{"sku":"tea-sencha","quantity":1}`); w.Code != http.StatusOK {
							t.Fatalf("an anonymous cart: %d %s", w.Code, w.Body)
						}
					}
					before := c.cookie
					beforeID := c.id(t)
					a := c.call(tt.route.method, tt.route.path, strings.ReplaceAll(tt.body, "USERNAME", strings.ToUpper(name)))
					a.mustStatus(t, tt.name, tt.status, tt.code)
					if a.sessionCookie() != "" && !strings.Contains(a.sessionCookie(), "Max-Age=0") {
						t.Errorf("a refusal set a session cookie: %q", a.sessionCookie())
					}
					if c.cookie != before || c.id(t) != beforeID {
						t.Errorf("a refusal changed the caller's session")
					}
					if ok, _, _ := other.current(t); !ok {
						t.Error("a refusal ended the user's other session")
					}
					if w := f.browser().do("POST", "/api/login", credentials(name, rightPassword)); w.Code != http.StatusOK {
						t.Errorf("the password after a refusal: login %d %s", w.Code, w.Body)
					}
					// The login above cleared the count: a counted refusal
					// is seen only before it. Count again from here.
					for i := range account.MaxAttempts {
						a := c.call(tt.route.method, tt.route.path, strings.ReplaceAll(tt.body, "USERNAME", strings.ToUpper(name)))
						if a.Code != tt.status {
							t.Fatalf("refusal %d: %d %s", i+2, a.Code, a.Body)
						}
					}
					want, wantCode := http.StatusUnauthorized, "invalid_credentials"
					if tt.counted {
						want, wantCode = http.StatusTooManyRequests, "too_many_attempts"
					}
					f.browser().call("POST", "/api/login", credentials(name, wrong)).mustStatus(t, "a wrong login after them", want, wantCode)
				})
			}
		})
	}
}

// TestReauthenticate: the right password renews the session under a new
// ID (the old cookie gets no session), authenticated now and fresh for
// SESSION_REAUTH_WINDOW, with createdAt and both deadlines anew, the data
// and idempotency keys carried, and the remember choice kept.
func TestReauthenticate(t *testing.T) {
	for _, b := range backends {
		for _, remember := range []bool{false, true} {
			t.Run(b.name+map[bool]string{false: "", true: "/remember"}[remember], func(t *testing.T) {
				f := newShopOn(t, b.stores(t))
				name := newName("reauth")
				f.register(t, name)
				c := f.browser()
				c.call("POST", "/api/login", strings.TrimSuffix(credentials(name, rightPassword), "}")+`,"remember":`+map[bool]string{false: "false", true: "true"}[remember]+"}").
					mustStatus(t, "login", 200, "")
				if w := c.do("POST", "/api/cart/items", `{"sku":"tea-assam","quantity":3}`, "Idempotency-Key", "add-1"); w.Code != http.StatusOK {
					t.Fatalf("add: %d %s", w.Code, w.Body)
				}
				old := c.cookie
				f.clock.advance(7 * time.Minute)
				now := f.clock.now()
				a := c.call("POST", "/api/reauthenticate", passwordJSON(rightPassword))
				a.mustStatus(t, "reauthenticate", 200, "")
				if u, _ := a.body["user"].(map[string]any); u["username"] != name {
					t.Errorf("user = %v", a.body["user"])
				}
				v := a.sessionView(t)
				for field, want := range map[string]any{
					"authenticatedAt": timestamp(now), "freshUntil": timestamp(now.Add(5 * time.Minute)),
					"createdAt": timestamp(now), "lastSeenAt": timestamp(now), "current": true,
					"expiresAt":         timestamp(now.Add(map[bool]time.Duration{false: 30 * time.Minute, true: 168 * time.Hour}[remember])),
					"absoluteExpiresAt": timestamp(now.Add(map[bool]time.Duration{false: 12 * time.Hour, true: 720 * time.Hour}[remember])),
				} {
					if v[field] != want {
						t.Errorf("session.%s = %v, want %v", field, v[field], want)
					}
				}
				if c.cookie == nil || c.cookie.Value == old.Value {
					t.Fatal("re-authentication kept the session ID")
				}
				if got := strings.Contains(a.sessionCookie(), "Max-Age="); got != remember {
					t.Errorf("remember %v: Set-Cookie %q", remember, a.sessionCookie())
				}
				if v["id"] != c.id(t) {
					t.Errorf("the answer's session %v is not the cookie's %v", v["id"], c.id(t))
				}
				stale := &browser{f: f, cookie: old}
				if ok, id, _ := stale.current(t); ok || id != "" {
					t.Error("the old session ID still works")
				}
				if got := c.cartCount(t); got != 3 {
					t.Errorf("the cart after re-authentication: %v, want 3", got)
				}
				if w := c.do("POST", "/api/cart/items", `{"sku":"tea-assam","quantity":3}`, "Idempotency-Key", "add-1"); w.Header().Get("Idempotent-Replayed") != "true" {
					t.Errorf("the key of a change before re-authentication is not carried: %d %s", w.Code, w.Body)
				}
				if got := c.cartCount(t); got != 3 {
					t.Errorf("the replay applied again: cart %v", got)
				}
			})
		}
	}
}

// TestFreshAuthentication (ASVS 7.5.2): the revoke routes work until
// freshUntil (register, login, re-authentication and a password change
// each make a session fresh) and answer 403 reauthentication_required from
// then on, before the id is looked at (another session of the user, an
// unknown, a foreign and a malformed id get the same answer), ending
// nothing, each counted once; a re-authentication makes them work again.
func TestFreshAuthentication(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			stores := b.stores(t)
			for _, how := range []string{"register", "login", "reauthenticate", "change password"} {
				t.Run(how, func(t *testing.T) {
					f := newFixture(t, stores)
					name := newName("fresh")
					a := f.loggedIn(t, name, "/api/register")
					pw := rightPassword
					if how != "register" {
						f.clock.advance(20 * time.Minute) // stale, not yet idle
					}
					switch how {
					case "login":
						a = f.loggedIn(t, name, "/api/login")
					case "reauthenticate":
						a.call("POST", "/api/reauthenticate", passwordJSON(pw)).mustStatus(t, how, 200, "")
					case "change password":
						pw = "a new long password"
						a.call("PUT", "/api/password", changeJSON(rightPassword, pw)).mustStatus(t, how, 200, "")
					}
					authenticated := f.clock.now()
					other := f.browser()
					other.call("POST", "/api/login", credentials(name, pw)).mustStatus(t, "login elsewhere", 200, "")
					foreign := f.loggedIn(t, newName("str"), "/api/register").id(t)
					otherID := other.id(t)

					f.clock.advance(5*time.Minute - time.Second)
					a.call("DELETE", "/api/sessions/000000000000000000000000", "").mustStatus(t, "fresh, an unknown id", 404, "session_not_found")
					f.clock.advance(time.Second)
					if f.clock.now() != authenticated.Add(5*time.Minute) {
						t.Fatal("clock")
					}
					for _, id := range []string{otherID, "000000000000000000000000", foreign, "not-an-id"} {
						r, counts := a.counted(t, "DELETE", "/api/sessions/"+id, "")
						r.mustStatus(t, "at freshUntil, revoke "+id, 403, "reauthentication_required")
						if counts["ReauthenticationRequired"] != 1 || len(counts) != 1 {
							t.Errorf("metrics %v, want ReauthenticationRequired 1", counts)
						}
					}
					r, counts := a.counted(t, "DELETE", "/api/sessions", "")
					r.mustStatus(t, "at freshUntil, sign out everywhere else", 403, "reauthentication_required")
					if counts["ReauthenticationRequired"] != 1 {
						t.Errorf("metrics %v, want ReauthenticationRequired 1", counts)
					}
					if ok, _, _ := other.current(t); !ok {
						t.Fatal("a refused revoke ended the other session")
					}
					if ok, _, _ := a.current(t); !ok {
						t.Fatal("a refused revoke ended the caller's session")
					}
					a.call("POST", "/api/reauthenticate", passwordJSON(pw)).mustStatus(t, "reauthenticate", 200, "")
					a.call("DELETE", "/api/sessions/"+otherID, "").mustStatus(t, "revoke after re-authenticating", 204, "")
					if ok, _, _ := other.current(t); ok {
						t.Error("the revoked session still works")
					}
				})
			}
		})
	}
}

package account_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// TestDeleteAccount: 204, the cookie expired, every session of the user
// ended (past one BatchGetItem's 100 keys) and no other user's, the
// password no longer logs in, and the username registers again with only
// its own new session. On both stores.
func TestDeleteAccount(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			stores := b.stores(t)
			f := newFixture(t, stores)
			name, bystander := newName("del"), newName("by")
			c := f.loggedIn(t, name, "/api/register")
			phone := f.loggedIn(t, name, "/api/login")
			other := f.loggedIn(t, bystander, "/api/register")
			f.seedSessions(t, stores.Sessions, name, 101)

			a := c.call("DELETE", "/api/account", passwordJSON(rightPassword))
			a.mustStatus(t, "delete the account", 204, "")
			if !strings.Contains(a.sessionCookie(), "Max-Age=0") || c.cookie != nil {
				t.Errorf("the response did not expire the session cookie: %q", a.sessionCookie())
			}
			if n := f.liveSessions(t, stores.Sessions, name); n != 0 {
				t.Errorf("%d sessions of the deleted user live on", n)
			}
			if ok, _, _ := phone.current(t); ok {
				t.Error("the phone's session survived the deletion")
			}
			if ok, _, _ := other.current(t); !ok {
				t.Error("another user's session ended")
			}
			if _, found, _ := stores.Users.GetUser(t.Context(), name); found {
				t.Error("the account is still stored")
			}
			f.browser().call("POST", "/api/login", credentials(name, rightPassword)).mustStatus(t, "login as the deleted user", 401, "invalid_credentials")
			again := f.browser()
			again.call("POST", "/api/register", credentials(strings.ToUpper(name), "another long password")).mustStatus(t, "register the name again", 201, "")
			if l := again.call("GET", "/api/sessions", ""); l.Code != 200 || len(l.body["sessions"].([]any)) != 1 {
				t.Errorf("the new account's sessions: %d %s; want only its own", l.Code, l.Body)
			}
		})
	}
}

// deleteHook is a user store whose DeleteUser runs before first, as a
// request in flight at that moment would.
type deleteHook struct {
	user.Store
	before func()
}

func (d deleteHook) DeleteUser(ctx context.Context, username, hash string) (bool, error) {
	d.before()
	return d.Store.DeleteUser(ctx, username, hash)
}

// TestDeleteAccountEndsLateSessions: a session a login started between the
// sweep of the user's sessions and the account's deletion is ended too.
func TestDeleteAccountEndsLateSessions(t *testing.T) {
	mem := memstore.New()
	var f *fixture
	name := newName("late")
	users := deleteHook{Store: mem, before: func() { f.seedSessions(t, mem, name, 2) }}
	f = newFixture(t, app.Stores{Sessions: mem, Users: users, Throttle: mem})
	c := f.loggedIn(t, name, "/api/register")
	c.call("DELETE", "/api/account", passwordJSON(rightPassword)).mustStatus(t, "delete", 204, "")
	if n := f.liveSessions(t, mem, name); n != 0 {
		t.Errorf("%d sessions started during the deletion live on", n)
	}
}

// TestRegisterEndsStaleSessions: a session left under a username whose
// account is gone (a sweep that failed, or a login that raced the
// deletion) is ended when the name is registered again, so the new account
// never inherits it; the registering browser's own session of that name
// is not carried either.
func TestRegisterEndsStaleSessions(t *testing.T) {
	mem := memstore.New()
	f := newFixture(t, app.Stores{Sessions: mem, Users: mem, Throttle: mem})
	name := newName("stale")
	old := f.loggedIn(t, name, "/api/register")
	leftover := f.loggedIn(t, name, "/api/login")
	u, _, _ := mem.GetUser(t.Context(), name)
	if ok, err := mem.DeleteUser(t.Context(), name, u.PasswordHash); !ok || err != nil {
		t.Fatal(ok, err)
	}
	leftoverID := leftover.id(t)
	old.call("POST", "/api/register", credentials(name, "a new owner's password")).mustStatus(t, "register again", 201, "")
	if ok, _, _ := leftover.current(t); ok {
		t.Error("a session of the deleted account is logged in as the new one")
	}
	l := old.call("GET", "/api/sessions", "")
	if l.Code != 200 || len(l.body["sessions"].([]any)) != 1 || strings.Contains(l.Body.String(), leftoverID) {
		t.Errorf("the new account's sessions: %d %s; want only its own", l.Code, l.Body)
	}
	if n := f.liveSessions(t, mem, name); n != 1 {
		t.Errorf("%d live sessions of the name, want 1", n)
	}
}

// changeDuringCheck is a user store that changes the account's hash after
// its nth GetUser (0: never), as a password change or an account deletion
// that lands while a password check runs would.
type changeDuringCheck struct {
	user.Store
	nth    int
	calls  *int
	delete bool
}

func (c changeDuringCheck) GetUser(ctx context.Context, username string) (user.User, bool, error) {
	*c.calls++
	u, found, err := c.Store.GetUser(ctx, username)
	if *c.calls == c.nth && found {
		if c.delete {
			_, _ = c.Store.DeleteUser(ctx, username, u.PasswordHash)
		} else {
			_, _ = c.Store.ChangePasswordHash(ctx, username, u.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA")
		}
	}
	return u, found, err
}

// TestAccountChangesDuringACheck: when a password change or an account
// deletion lands between a password check and what it does next (its
// sweep of the sessions ran before the new session existed), login and
// re-authentication end the session they just started (the response has
// one session Set-Cookie, which expires it) and answer 401; a password change or a deletion changes nothing
// more. Checked by reading the account again (confirm) and by the
// conditional writes on the verified hash.
func TestAccountChangesDuringACheck(t *testing.T) {
	for _, tt := range []struct {
		route, method, path, body string
		delete                    bool
	}{
		{"login", "POST", "/api/login", "", false},
		{"login, deleted", "POST", "/api/login", "", true},
		{"reauthenticate", "POST", "/api/reauthenticate", passwordJSON(rightPassword), false},
		{"reauthenticate, deleted", "POST", "/api/reauthenticate", passwordJSON(rightPassword), true},
		{"change password", "PUT", "/api/password", changeJSON(rightPassword, newPassword), false},
		{"delete account", "DELETE", "/api/account", passwordJSON(rightPassword), false},
	} {
		t.Run(tt.route, func(t *testing.T) {
			mem := memstore.New()
			calls := 0 // registering reads no account: the first read is the check's
			users := changeDuringCheck{Store: mem, nth: 1, calls: &calls, delete: tt.delete}
			f := newFixture(t, app.Stores{Sessions: mem, Users: users, Throttle: mem})
			name := newName("race")
			c := f.loggedIn(t, name, "/api/register")
			body := tt.body
			if body == "" {
				body = credentials(name, rightPassword)
			}
			a := c.call(tt.method, tt.path, body)
			a.mustStatus(t, tt.route, 401, "invalid_credentials")
			if lines := a.sessionCookies(); len(lines) > 1 || len(lines) == 1 && !strings.Contains(lines[0], "Max-Age=0") {
				t.Errorf("the refused %s sets the session cookie %q; want at most one line, expiring it", tt.route, lines)
			}
			u, found, _ := mem.GetUser(t.Context(), name)
			if found == tt.delete {
				t.Fatalf("the account's state: found %v", found)
			}
			if found && u.PasswordHash != "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA" {
				t.Error("the refused change wrote its hash over the concurrent one")
			}
			if tt.route == "delete account" {
				return // its sweep ran: the user asked to end every session
			}
			want := 0
			if tt.route == "change password" {
				want = 1 // the caller's own session goes on
			}
			if n := f.liveSessions(t, mem, name); n != want {
				t.Errorf("%d live sessions after the refused %s, want %d", n, tt.route, want)
			}
		})
	}
}

var _ session.Store = leakyIndex{}

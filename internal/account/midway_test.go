package account_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// faults makes one store operation fail once, after it has succeeded skip
// times: a store that stops answering midway through a request.
type faults struct {
	mu   sync.Mutex
	op   string
	skip int
}

func (f *faults) arm(op string, skip int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.op, f.skip = op, skip
}

var errDown = errors.New("dial tcp 10.0.0.1:443: i/o timeout")

// hit reports whether op fails now.
func (f *faults) hit(op string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.op != op {
		return nil
	}
	if f.skip > 0 {
		f.skip--
		return nil
	}
	f.op = ""
	return errDown
}

type faultySessions struct {
	session.Store
	f *faults
}

func (s faultySessions) Create(ctx context.Context, rec session.Record) error {
	if err := s.f.hit("Create"); err != nil {
		return err
	}
	return s.Store.Create(ctx, rec)
}

func (s faultySessions) Get(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if err := s.f.hit("Get"); err != nil {
		return session.Record{}, false, err
	}
	return s.Store.Get(ctx, key, now)
}

func (s faultySessions) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if err := s.f.hit("Delete"); err != nil {
		return session.Record{}, false, err
	}
	return s.Store.Delete(ctx, key, now)
}

func (s faultySessions) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	if err := s.f.hit("ListByUser"); err != nil {
		return nil, err
	}
	return s.Store.ListByUser(ctx, username, now)
}

type faultyUsers struct {
	user.Store
	f *faults
}

func (u faultyUsers) GetUser(ctx context.Context, username string) (user.User, bool, error) {
	if err := u.f.hit("GetUser"); err != nil {
		return user.User{}, false, err
	}
	return u.Store.GetUser(ctx, username)
}

func (u faultyUsers) ChangePasswordHash(ctx context.Context, username, oldHash, newHash string) (bool, error) {
	if err := u.f.hit("ChangePasswordHash"); err != nil {
		return false, err
	}
	return u.Store.ChangePasswordHash(ctx, username, oldHash, newHash)
}

func (u faultyUsers) DeleteUser(ctx context.Context, username, hash string) (bool, error) {
	if err := u.f.hit("DeleteUser"); err != nil {
		return false, err
	}
	return u.Store.DeleteUser(ctx, username, hash)
}

// TestStoreFailsMidway: each step of a password change, an account
// deletion, a re-authentication, a login's last check and a registration
// meets a store that stops answering: 503 store_unavailable with
// Retry-After, a message that says what is done, never the store's error;
// and what is left is the safe half: the old password never works again
// once sessions have been ended for a change, and an account is never
// deleted while a session of it lives.
func TestStoreFailsMidway(t *testing.T) {
	type state struct {
		oldPassword, newPassword bool // which password logs in afterwards
		callerLoggedIn           bool // the caller's cookie still has a session
		otherLoggedIn            bool // the user's other session still works
		accountExists            bool
	}
	change := changeJSON(rightPassword, newPassword)
	tests := []struct {
		name         string
		method, path string
		body         string
		op           string
		skip         int
		message      string // in the 503's message
		want         state
	}{
		{"change: the new hash is not stored", "PUT", "/api/password", change, "ChangePasswordHash", 0,
			"may or may not have been saved", state{oldPassword: true, callerLoggedIn: true, otherLoggedIn: true, accountExists: true}},
		{"change: the other sessions are not listed", "PUT", "/api/password", change, "ListByUser", 0,
			"Your new password is set", state{newPassword: true, callerLoggedIn: true, otherLoggedIn: true, accountExists: true}},
		{"change: an other session is not deleted", "PUT", "/api/password", change, "Delete", 0,
			"sign out everywhere else", state{newPassword: true, callerLoggedIn: true, otherLoggedIn: true, accountExists: true}},
		{"change: this session is not renewed", "PUT", "/api/password", change, "Create", 0,
			"goes on under the old one", state{newPassword: true, callerLoggedIn: true, accountExists: true}},
		{"delete: the sessions are not listed", "DELETE", "/api/account", passwordJSON(rightPassword), "ListByUser", 0,
			"The account is not deleted", state{oldPassword: true, callerLoggedIn: true, otherLoggedIn: true, accountExists: true}},
		{"delete: this session is not ended", "DELETE", "/api/account", passwordJSON(rightPassword), "Delete", 1,
			"The account is not deleted", state{oldPassword: true, callerLoggedIn: true, accountExists: true}},
		{"delete: the account is not deleted", "DELETE", "/api/account", passwordJSON(rightPassword), "DeleteUser", 0,
			"log in and try again", state{oldPassword: true, accountExists: true}},
		{"reauthenticate: the new session is not stored", "POST", "/api/reauthenticate", passwordJSON(rightPassword), "Create", 0,
			"may or may not have been saved", state{oldPassword: true, callerLoggedIn: true, otherLoggedIn: true, accountExists: true}},
		{"reauthenticate: the account is not read again", "POST", "/api/reauthenticate", passwordJSON(rightPassword), "GetUser", 1,
			"may or may not have been saved", state{oldPassword: true, otherLoggedIn: true, accountExists: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem, fl := memstore.New(), &faults{}
			f := newFixture(t, app.Stores{Sessions: faultySessions{mem, fl}, Users: faultyUsers{mem, fl}, Throttle: mem})
			name := newName("mid")
			c := f.loggedIn(t, name, "/api/register")
			other := f.loggedIn(t, name, "/api/login")
			fl.arm(tt.op, tt.skip)
			a := c.call(tt.method, tt.path, tt.body)
			a.mustStatus(t, tt.name, 503, "store_unavailable")
			if retryAfter(a.ResponseRecorder) < 1 || strings.Contains(a.Body.String(), "dial") || !strings.Contains(a.Body.String(), tt.message) {
				t.Errorf("503: Retry-After %q, body %s; want %q in it", a.Header().Get("Retry-After"), a.Body, tt.message)
			}
			fl.arm("", 0)
			got := state{
				oldPassword:    f.browser().do("POST", "/api/login", credentials(name, rightPassword)).Code == 200,
				newPassword:    f.browser().do("POST", "/api/login", credentials(name, newPassword)).Code == 200,
				callerLoggedIn: func() bool { ok, _, _ := c.current(t); return ok }(),
				otherLoggedIn:  func() bool { ok, _, _ := other.current(t); return ok }(),
			}
			_, got.accountExists, _ = mem.GetUser(t.Context(), name)
			if got != tt.want {
				t.Errorf("afterwards %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestStoreFailsAfterTheDeletion: when only the last sweep of an account
// deletion fails, the account is deleted and every session it knew of
// ended: 204.
func TestStoreFailsAfterTheDeletion(t *testing.T) {
	mem, fl := memstore.New(), &faults{}
	f := newFixture(t, app.Stores{Sessions: faultySessions{mem, fl}, Users: mem, Throttle: mem})
	name := newName("last")
	c := f.loggedIn(t, name, "/api/register")
	fl.arm("ListByUser", 1)
	c.call("DELETE", "/api/account", passwordJSON(rightPassword)).mustStatus(t, "delete", 204, "")
	if _, found, _ := mem.GetUser(t.Context(), name); found {
		t.Error("the account is still there")
	}
}

// TestRegisterFailsToSweep: when the sweep of a new account's name fails,
// registering answers 503 and removes the account again, so the name can
// be registered once the store answers.
func TestRegisterFailsToSweep(t *testing.T) {
	mem, fl := memstore.New(), &faults{}
	f := newFixture(t, app.Stores{Sessions: faultySessions{mem, fl}, Users: mem, Throttle: mem})
	name := newName("sweep")
	fl.arm("ListByUser", 0)
	a := f.browser().call("POST", "/api/register", credentials(name, rightPassword))
	a.mustStatus(t, "register", 503, "store_unavailable")
	if a.sessionCookie() != "" {
		t.Errorf("a failed registration set %q", a.sessionCookie())
	}
	if _, found, _ := mem.GetUser(t.Context(), name); found {
		t.Fatal("the account of a failed registration stays")
	}
	f.browser().call("POST", "/api/register", credentials(name, rightPassword)).mustStatus(t, "register again", 201, "")
}

// TestLoginFailsToConfirm: when the account cannot be read again after a
// login started its session, the session is ended and the response sets
// no session cookie.
func TestLoginFailsToConfirm(t *testing.T) {
	mem, fl := memstore.New(), &faults{}
	f := newFixture(t, app.Stores{Sessions: mem, Users: faultyUsers{mem, fl}, Throttle: mem})
	name := newName("conf")
	f.register(t, name)
	fl.arm("GetUser", 1)
	a := f.browser().call("POST", "/api/login", credentials(name, rightPassword))
	a.mustStatus(t, "login", 503, "store_unavailable")
	if sc := a.sessionCookie(); sc != "" && !strings.Contains(sc, "Max-Age=0") {
		t.Errorf("the failed login sets %q", sc)
	}
	if n := f.liveSessions(t, mem, name); n != 1 {
		t.Errorf("%d live sessions, want 1 (register's)", n)
	}
}

// TestRefusedSessionCannotBeEnded: when the account changed during a login's
// or a re-authentication's password check and the session the route just
// started cannot be deleted, the answer is 503 store_unavailable, not 401
// (the session may live on, so the caller is told to try again), and the
// response still expires the session cookie, once.
func TestRefusedSessionCannotBeEnded(t *testing.T) {
	for _, tt := range []struct {
		route, path string
		body        func(name string) string
	}{
		{"login", "/api/login", func(name string) string { return credentials(name, rightPassword) }},
		{"reauthenticate", "/api/reauthenticate", func(string) string { return passwordJSON(rightPassword) }},
	} {
		t.Run(tt.route, func(t *testing.T) {
			mem, fl := memstore.New(), &faults{}
			calls := 0
			users := changeDuringCheck{Store: mem, nth: 1, calls: &calls}
			f := newFixture(t, app.Stores{Sessions: faultySessions{mem, fl}, Users: users, Throttle: mem})
			name := newName("stuck")
			c := f.loggedIn(t, name, "/api/register")
			fl.arm("Delete", 1) // the renewal's delete of the old session works, the refused one's fails
			a := c.call("POST", tt.path, tt.body(name))
			a.mustStatus(t, tt.route, 503, "store_unavailable")
			if lines := a.sessionCookies(); len(lines) != 1 || !strings.Contains(lines[0], "Max-Age=0") {
				t.Errorf("session cookies %q, want one line that expires it", lines)
			}
		})
	}
}

package account_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// browser is one client of a fixture: it keeps the session cookie the API
// sets, as a browser would.
type browser struct {
	f         *fixture
	cookie    *http.Cookie
	userAgent string
}

func (f *fixture) browser() *browser { return &browser{f: f} }

// do sends one request with the browser's cookie; headers are name, value
// pairs.
func (b *browser) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if b.userAgent != "" {
		r.Header.Set("User-Agent", b.userAgent)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	if b.cookie != nil {
		r.AddCookie(b.cookie)
	}
	w := httptest.NewRecorder()
	b.f.h.ServeHTTP(w, r)
	b.keep(w)
	return w
}

// keep takes the session cookie w sets, or drops the one w expires. A
// response that sets and then expires it leaves none, as in a browser.
func (b *browser) keep(w *httptest.ResponseRecorder) {
	for _, c := range w.Result().Cookies() {
		if c.Name == "session" {
			if c.MaxAge < 0 {
				b.cookie = nil
			} else {
				b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			}
		}
	}
}

// current is the browser's GET /api/session, decoded.
func (b *browser) current(t *testing.T) (authenticated bool, id, userAgent string) {
	t.Helper()
	w := b.do("GET", "/api/session", "")
	var body struct {
		Authenticated bool `json:"authenticated"`
		Session       *struct {
			ID        string `json:"id"`
			UserAgent string `json:"userAgent"`
		} `json:"session"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || w.Code != http.StatusOK {
		t.Fatalf("GET /api/session = %d %s", w.Code, w.Body)
	}
	if body.Session != nil {
		id, userAgent = body.Session.ID, body.Session.UserAgent
	}
	return body.Authenticated, id, userAgent
}

// leakyIndex is a session store whose user index also returns another
// user's sessions, as a stale or badly written index could: whatever ends
// sessions must re-check whose they are.
type leakyIndex struct {
	session.Store
	victim string // whose sessions leak into every other user's listing
}

func (l leakyIndex) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	recs, err := l.Store.ListByUser(ctx, username, now)
	if err != nil || username == l.victim {
		return recs, err
	}
	more, err := l.Store.ListByUser(ctx, l.victim, now)
	return append(recs, more...), err
}

// TestRevokeEndsOnlyTheUsersOwnSessions: with a user index that leaks
// another user's sessions, "sign out everywhere else" and "sign out that
// device" still end only the caller's own sessions: the other user stays
// logged in, and naming their session is 404.
func TestRevokeEndsOnlyTheUsersOwnSessions(t *testing.T) {
	mem := memstore.New()
	bobName := newName("bob")
	f := newFixture(t, app.Stores{Sessions: leakyIndex{Store: mem, victim: bobName}, Users: mem, Throttle: mem})
	aliceName := newName("alice")
	alice, aliceToo, bob := f.browser(), f.browser(), f.browser()
	for _, reg := range []struct {
		b    *browser
		name string
		path string
	}{{alice, aliceName, "/api/register"}, {aliceToo, aliceName, "/api/login"}, {bob, bobName, "/api/register"}} {
		if w := reg.b.do("POST", reg.path, credentials(reg.name, rightPassword)); w.Code/100 != 2 {
			t.Fatalf("%s %s = %d %s", reg.path, reg.name, w.Code, w.Body)
		}
	}
	_, bobID, _ := bob.current(t)

	if w := alice.do("DELETE", "/api/sessions/"+bobID, ""); w.Code != http.StatusNotFound || errorCode(w) != "session_not_found" {
		t.Errorf("alice revoking bob's session = %d %s; want 404 session_not_found", w.Code, w.Body)
	}
	if ok, _, _ := bob.current(t); !ok {
		t.Fatal("bob was logged out by alice naming his session")
	}
	if w := alice.do("DELETE", "/api/sessions", ""); w.Code != http.StatusNoContent {
		t.Fatalf("alice: sign out everywhere else = %d %s", w.Code, w.Body)
	}
	if ok, _, _ := aliceToo.current(t); ok {
		t.Error("alice's other session survived sign-out-everywhere-else")
	}
	if ok, _, _ := alice.current(t); !ok {
		t.Error("alice's own session ended")
	}
	if ok, _, _ := bob.current(t); !ok {
		t.Error("bob was logged out by alice's sign-out-everywhere-else")
	}
}

// TestUserAgentIsCut: a session keeps at most the first 256 bytes of the
// User-Agent that started it (a header can be kilobytes), and a shorter one
// whole.
func TestUserAgentIsCut(t *testing.T) {
	mem := memstore.New()
	f := newFixture(t, app.Stores{Sessions: mem, Users: mem, Throttle: mem})
	long := "Mozilla/5.0 " + strings.Repeat("(KHTML, like Gecko) ", 60)
	for _, ua := range []string{"curl/8.11", strings.Repeat("x", 256), strings.Repeat("y", 257), long} {
		b := f.browser()
		b.userAgent = ua
		if w := b.do("POST", "/api/register", credentials(newName("ua"), rightPassword)); w.Code != http.StatusCreated {
			t.Fatalf("register = %d %s", w.Code, w.Body)
		}
		_, _, got := b.current(t)
		want := ua[:min(len(ua), 256)]
		if got != want {
			t.Errorf("a %d-byte User-Agent is kept as %d bytes %q…; want its first %d", len(ua), len(got), got[:min(len(got), 20)], len(want))
		}
	}
}

// failingThrottle and failingUsers stand for a store that does not answer.
type failingThrottle struct{ user.Throttle }

func (failingThrottle) CountAttempt(context.Context, string, time.Time, user.Limit) (user.Attempt, error) {
	return user.Attempt{}, errors.New("dial tcp 10.0.0.1:443: i/o timeout")
}

type failingUsers struct{ user.Store }

func (failingUsers) CreateUser(context.Context, user.User) error {
	return errors.New("dial tcp 10.0.0.1:443: i/o timeout")
}

// TestStoreFailureIs503: a store that fails is 503 store_unavailable with
// Retry-After, never a 500, never its error text, and no cookie; a refusal
// of the handler's own stays what it is.
func TestStoreFailureIs503(t *testing.T) {
	mem := memstore.New()
	f := newFixture(t, app.Stores{Sessions: mem, Users: failingUsers{mem}, Throttle: failingThrottle{mem}})
	for _, tt := range []struct {
		path, body string
		status     int
		code       string
	}{
		{"/api/login", credentials(newName("down"), rightPassword), 503, "store_unavailable"},
		{"/api/register", credentials(newName("down"), rightPassword), 503, "store_unavailable"},
		{"/api/register", credentials("x", rightPassword), 400, "invalid_username"},
	} {
		w := f.do("POST", tt.path, tt.body)
		if w.Code != tt.status || errorCode(w) != tt.code {
			t.Errorf("%s = %d %s; want %d %s", tt.path, w.Code, w.Body, tt.status, tt.code)
		}
		if tt.status == 503 && (retryAfter(w) < 1 || strings.Contains(w.Body.String(), "dial")) {
			t.Errorf("%s: Retry-After %q, body %s", tt.path, w.Header().Get("Retry-After"), w.Body)
		}
		if len(w.Result().Cookies()) != 0 {
			t.Errorf("%s set cookies: %v", tt.path, w.Result().Cookies())
		}
	}
}

// newShop is newShopOn the in-memory store.
func newShop(t *testing.T) *fixture {
	t.Helper()
	mem := memstore.New()
	return newShopOn(t, app.Stores{Sessions: mem, Users: mem, Throttle: mem})
}

// cartCount is the browser's GET /api/cart count.
func (b *browser) cartCount(t *testing.T) float64 {
	t.Helper()
	var v struct {
		Count float64 `json:"count"`
	}
	w := b.do("GET", "/api/cart", "")
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil || w.Code != http.StatusOK {
		t.Fatalf("GET /api/cart = %d %s", w.Code, w.Body)
	}
	return v.Count
}

// TestLoginCarriesTheCart: a login carries the cart of the session it
// replaces when that session is anonymous or the same user's, and never a
// cart of another user's session.
func TestLoginCarriesTheCart(t *testing.T) {
	f := newShop(t)
	alice, bob := newName("alice"), newName("bob")
	for _, name := range []string{alice, bob} {
		if w := f.do("POST", "/api/register", credentials(name, rightPassword)); w.Code != http.StatusCreated {
			t.Fatalf("register = %d %s", w.Code, w.Body)
		}
	}
	b := f.browser()
	steps := []struct {
		what  string
		login string
		want  float64
	}{
		{"an anonymous cart comes along", alice, 2},
		{"the same user's cart comes along", alice, 4},
		{"another user's cart stays behind", bob, 0},
	}
	for _, st := range steps {
		if w := b.do("POST", "/api/cart/items", `{"sku":"tea-sencha","quantity":2}`); w.Code != http.StatusOK {
			t.Fatalf("add = %d %s", w.Code, w.Body)
		}
		if w := b.do("POST", "/api/login", credentials(st.login, rightPassword)); w.Code != http.StatusOK {
			t.Fatalf("login = %d %s", w.Code, w.Body)
		}
		if got := b.cartCount(t); got != st.want {
			t.Errorf("%s: cart count %v after login, want %v", st.what, got, st.want)
		}
	}
}

// listedInOrder is a session store whose user index lists by creation,
// oldest or newest first (memstore's order is a map's, different each
// time): the order the handler must sort from is then fixed.
type listedInOrder struct {
	session.Store
	newestFirst bool
}

func (l listedInOrder) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	recs, err := l.Store.ListByUser(ctx, username, now)
	slices.SortFunc(recs, func(a, b session.Record) int {
		if l.newestFirst {
			return b.CreatedAt.Compare(a.CreatedAt)
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return recs, err
}

// TestListSessions: GET /api/sessions shows each live session of the
// caller's user once, under its own id and last use: the caller's own
// first and marked current (only it), then the others, most recently used
// first, whatever order the store lists them in; another user's session
// is not in it.
func TestListSessions(t *testing.T) {
	for _, newestFirst := range []bool{false, true} {
		mem := memstore.New()
		f := newFixture(t, app.Stores{Sessions: listedInOrder{mem, newestFirst}, Users: mem, Throttle: mem})
		name := newName("list")
		var browsers []*browser
		var ids, seen []string
		for i, path := range []string{"/api/register", "/api/login", "/api/login"} {
			if i > 0 {
				f.clock.advance(2 * time.Second) // well inside the touch interval: listing touches nothing
			}
			b := f.loggedIn(t, name, path)
			browsers = append(browsers, b)
			ids, seen = append(ids, b.id(t)), append(seen, timestamp(f.clock.now()))
		}
		f.loggedIn(t, newName("other"), "/api/register")
		for _, tt := range []struct {
			caller int
			order  []int // the sessions, by index, as listed
		}{
			{0, []int{0, 2, 1}},
			{1, []int{1, 2, 0}},
			{2, []int{2, 1, 0}},
		} {
			a := browsers[tt.caller].call("GET", "/api/sessions", "")
			a.mustStatus(t, "list", 200, "")
			var got, want []string
			for _, v := range a.body["sessions"].([]any) {
				s := v.(map[string]any)
				got = append(got, fmt.Sprint(s["id"], " ", s["lastSeenAt"], " ", s["current"]))
			}
			for _, i := range tt.order {
				want = append(want, fmt.Sprint(ids[i], " ", seen[i], " ", i == tt.caller))
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("listed newest first %v: session %d lists\n%s\nwant\n%s", newestFirst, tt.caller, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
	}
}

// TestRevokeOne: DELETE /api/sessions/{id} ends the one session named.
// Naming another of the user's sessions logs that device out and leaves
// the caller's cookie alone; naming the caller's own ends it and expires
// its cookie; an id of no live session is 404 session_not_found and ends
// nothing.
func TestRevokeOne(t *testing.T) {
	for _, tt := range []struct {
		name                     string
		target                   string // "own", "other" or an id of no session
		status                   int
		code                     string
		callerIn, otherIn        bool // logged in afterwards
		expiresTheCallersCookies bool
	}{
		{"another device", "other", 204, "", true, false, false},
		{"this device", "own", 204, "", false, true, true},
		{"no such session", "0123456789abcdef01234567", 404, "session_not_found", true, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memstore.New()
			f := newFixture(t, app.Stores{Sessions: mem, Users: mem, Throttle: mem})
			name := newName("one")
			caller := f.loggedIn(t, name, "/api/register")
			other := f.loggedIn(t, name, "/api/login")
			target := map[string]string{"own": caller.id(t), "other": other.id(t)}[tt.target]
			if target == "" {
				target = tt.target
			}
			a := caller.call("DELETE", "/api/sessions/"+target, "")
			a.mustStatus(t, "revoke", tt.status, tt.code)
			if sc := a.sessionCookie(); strings.Contains(sc, "Max-Age=0") != tt.expiresTheCallersCookies {
				t.Errorf("the response's session cookie %q; want it expired: %v", sc, tt.expiresTheCallersCookies)
			}
			callerIn, _, _ := caller.current(t)
			otherIn, _, _ := other.current(t)
			if callerIn != tt.callerIn || otherIn != tt.otherIn {
				t.Errorf("logged in afterwards: caller %v, other %v; want %v, %v", callerIn, otherIn, tt.callerIn, tt.otherIn)
			}
		})
	}
}

package account_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/account"
	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/app/authfn"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/password"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// cheap is an argon2id cost that keeps 40 concurrent checks fast.
var cheap = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const rightPassword = "a long right password"

// clock is a settable clock shared by a fixture's handlers.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is the AuthFunction as authfn.Build builds it (web.API around the
// account routes) on one store, with a settable clock.
type fixture struct {
	h      http.Handler
	clock  *clock
	secret string // SESSION_SECRET
}

// backends are the two stores every HTTP test here runs on.
var backends = []struct {
	name   string
	stores func(t *testing.T) app.Stores
}{
	{"memstore", func(*testing.T) app.Stores {
		m := memstore.New()
		return app.Stores{Sessions: m, Users: m, Throttle: m}
	}},
	{"dynamodb", func(t *testing.T) app.Stores {
		s := dynamotest.New(t).Store()
		return app.Stores{Sessions: s, Users: s, Throttle: s}
	}},
}

func newFixture(t *testing.T, stores app.Stores) *fixture {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	env := map[string]string{"SESSION_SECRET": hex.EncodeToString(key), "COOKIE_SECURE": "false"}
	c := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	h, err := authfn.Build(t.Context(), func(k string) string { return env[k] },
		app.Options{Stores: stores, Now: c.now, Password: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{h: h, clock: c, secret: env["SESSION_SECRET"]}
}

// do sends one request; a non-empty body goes as application/json.
func (f *fixture) do(method, path, body string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func credentials(name, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": name, "password": pw})
	return string(b)
}

func (f *fixture) register(t *testing.T, name string) {
	t.Helper()
	if w := f.do("POST", "/api/register", credentials(name, rightPassword)); w.Code != http.StatusCreated {
		t.Fatalf("register %s = %d %s", name, w.Code, w.Body)
	}
}

func (f *fixture) login(name, pw string) *httptest.ResponseRecorder {
	return f.do("POST", "/api/login", credentials(name, pw))
}

func errorCode(w *httptest.ResponseRecorder) string {
	var body struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return body.Error.Code
}

func newName(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:8])
}

// retryAfter is the Retry-After of w in seconds (0 when absent or not a
// number).
func retryAfter(w *httptest.ResponseRecorder) int {
	n, _ := strconv.Atoi(w.Header().Get("Retry-After"))
	return n
}

// TestConcurrentWrongPasswords (contract, "Password checks"): 40 wrong
// passwords sent at once for one username get at most 5 answers of 401 (an
// attempt is counted before its password is checked) and the rest 429
// with Retry-After; the right password afterwards gets 429 too. On both
// stores, for an account and for an unknown username.
func TestConcurrentWrongPasswords(t *testing.T) {
	const n = 40
	for _, b := range backends {
		for _, known := range []bool{true, false} {
			t.Run(b.name+"/known="+strconv.FormatBool(known), func(t *testing.T) {
				f := newFixture(t, b.stores(t))
				name := newName("conc")
				if known {
					f.register(t, name)
				}
				statuses := make([]*httptest.ResponseRecorder, n)
				var wg sync.WaitGroup
				for i := range statuses {
					wg.Go(func() { statuses[i] = f.login(name, "a wrong password") })
				}
				wg.Wait()
				counts := map[int]int{}
				for _, w := range statuses {
					counts[w.Code]++
					if w.Code == http.StatusTooManyRequests {
						if errorCode(w) != "too_many_attempts" || retryAfter(w) < 1 || retryAfter(w) > 900 {
							t.Errorf("429 = %s with Retry-After %q", w.Body, w.Header().Get("Retry-After"))
						}
					}
				}
				t.Logf("%d wrong passwords at once: %d × 401, %d × 429", n, counts[401], counts[429])
				if counts[401] != account.MaxAttempts || counts[429] != n-account.MaxAttempts || len(counts) != 2 {
					t.Errorf("statuses %v; want %d × 401 and %d × 429", counts, account.MaxAttempts, n-account.MaxAttempts)
				}
				w := f.login(name, rightPassword)
				if w.Code != http.StatusTooManyRequests || errorCode(w) != "too_many_attempts" || retryAfter(w) < 1 {
					t.Errorf("the right password after them = %d %s (Retry-After %q); want 429 too_many_attempts",
						w.Code, w.Body, w.Header().Get("Retry-After"))
				}
				if len(w.Result().Cookies()) != 0 {
					t.Errorf("a refused login set cookies: %v", w.Result().Cookies())
				}
			})
		}
	}
}

// loginStep is one login of TestLoginLimit and its expected answer.
type loginStep struct {
	after    time.Duration // advance the clock first
	username string        // "" is the fixture's user
	password string
	status   int
	code     string
}

// TestLoginLimit walks the limit's rules one login at a time, on both
// stores: 5 wrong passwords are 401, then even the right one is 429 with
// the seconds left in the window; the window is anchored at its first
// attempt and ends 15 minutes later; a right password clears the count; the
// username's letter case does not give it another count; an unknown
// username has a limit too; a username that can be no account is always
// 401 and counts nothing.
func TestLoginLimit(t *testing.T) {
	wrong := "a wrong password"
	tests := []struct {
		name  string
		steps []loginStep
	}{
		{"five wrong, then refused", []loginStep{
			{0, "", wrong, 401, "invalid_credentials"},
			{time.Minute, "", wrong, 401, "invalid_credentials"},
			{time.Minute, "", wrong, 401, "invalid_credentials"},
			{time.Minute, "", wrong, 401, "invalid_credentials"},
			{time.Minute, "", wrong, 401, "invalid_credentials"},
			{0, "", rightPassword, 429, "too_many_attempts"},
			{0, "", wrong, 429, "too_many_attempts"},
		}},
		{"the window ends 15 minutes after its first attempt", []loginStep{
			{0, "", wrong, 401, "invalid_credentials"},
			{10 * time.Minute, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{5*time.Minute - time.Second, "", rightPassword, 429, "too_many_attempts"},
			{time.Second, "", rightPassword, 200, ""},
		}},
		{"a right password clears the count", []loginStep{
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", rightPassword, 200, ""},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "", rightPassword, 429, "too_many_attempts"},
		}},
		{"letter case shares the count", []loginStep{
			{0, "upper", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "upper", wrong, 401, "invalid_credentials"},
			{0, "", wrong, 401, "invalid_credentials"},
			{0, "upper", wrong, 401, "invalid_credentials"},
			{0, "upper", rightPassword, 429, "too_many_attempts"},
		}},
		{"an unknown username has a limit too", []loginStep{
			{0, "ghost", wrong, 401, "invalid_credentials"},
			{0, "ghost", wrong, 401, "invalid_credentials"},
			{0, "ghost", wrong, 401, "invalid_credentials"},
			{0, "ghost", wrong, 401, "invalid_credentials"},
			{0, "ghost", wrong, 401, "invalid_credentials"},
			{0, "ghost", wrong, 429, "too_many_attempts"},
			{0, "", rightPassword, 200, ""}, // another username's limit
		}},
		{"a name that can be no account counts nothing", []loginStep{
			{0, "x", wrong, 401, "invalid_credentials"},
			{0, "x", wrong, 401, "invalid_credentials"},
			{0, "x", wrong, 401, "invalid_credentials"},
			{0, "x", wrong, 401, "invalid_credentials"},
			{0, "x", wrong, 401, "invalid_credentials"},
			{0, "x", wrong, 401, "invalid_credentials"},
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			stores := b.stores(t)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					f := newFixture(t, stores)
					name := newName("lim")
					f.register(t, name)
					ghost := newName("ghost")
					windowStart := f.clock.now()
					for i, st := range tt.steps {
						f.clock.advance(st.after)
						who := map[string]string{"": name, "upper": strings.ToUpper(name), "ghost": ghost, "x": "x"}[st.username]
						w := f.login(who, st.password)
						if w.Code != st.status || errorCode(w) != st.code {
							t.Fatalf("step %d (%s): %d %s; want %d %s", i, who, w.Code, w.Body, st.status, st.code)
						}
						if st.status == 429 {
							left := windowStart.Add(account.AttemptWindow).Sub(f.clock.now())
							if want := int((left + time.Second - 1) / time.Second); retryAfter(w) != want {
								t.Errorf("step %d: Retry-After %q, want %d (the window's seconds left)", i, w.Header().Get("Retry-After"), want)
							}
						}
					}
				})
			}
		})
	}
}

// TestNormalizeUsername checks the username rules: 3–32 of a-z 0-9 _ . -,
// folded to lower case.
func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"ada", "ada", true},
		{"zaz", "zaz", true}, // the ends of each range: a, z, 0, 9
		{"a09", "a09", true},
		{"a{}", "", false}, // just past z
		{"a/:", "", false}, // just before 0 and past 9
		{"a`@", "", false}, // just before a (and A)
		{"Ada.Lovelace_1-2", "ada.lovelace_1-2", true},
		{"ab", "", false},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), true},
		{strings.Repeat("a", 33), "", false},
		{"has space", "", false},
		{"ümlaut", "", false},
		{"#throttle#ada", "", false},
		{"", "", false},
		{"a/b", "", false},
		{"KELVIN\u212a", "kelvink", true}, // the Kelvin sign folds to k: the same account as "kelvink"
	}
	for _, tt := range tests {
		got, err := account.NormalizeUsername(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeUsername(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "invalid_username") {
			t.Errorf("NormalizeUsername(%q): error %v, want invalid_username", tt.in, err)
		}
	}
}

// TestCheckPassword checks the password rules: 8–128 characters of valid
// UTF-8 (counted as characters, not bytes), not the username in any case.
func TestCheckPassword(t *testing.T) {
	tests := []struct {
		pw, username string
		ok           bool
	}{
		{"12345678", "ada", true},
		{"1234567", "ada", false},
		{strings.Repeat("é", 8), "ada", true}, // 8 characters, 16 bytes
		{strings.Repeat("é", 7), "ada", false},
		{strings.Repeat("x", 128), "ada", true},
		{strings.Repeat("x", 129), "ada", false},
		{strings.Repeat("é", 128), "ada", true}, // 256 bytes
		{"lovelace", "lovelace", false},
		{"LoveLace", "lovelace", false},
		{"lovelace1", "lovelace", true},
		{"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8", "ada", false},
	}
	for _, tt := range tests {
		err := account.CheckPassword(tt.pw, tt.username)
		if (err == nil) != tt.ok {
			t.Errorf("CheckPassword(%q, %q) = %v; want ok %v", tt.pw, tt.username, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "weak_password") {
			t.Errorf("CheckPassword(%q): error %v, want weak_password", tt.pw, err)
		}
	}
}

// passwordRoutes are the routes that check a logged-in user's password,
// each with its body for a password.
var passwordRoutes = []struct {
	name, method, path string
	body               func(pw string) string
}{
	{"reauthenticate", "POST", "/api/reauthenticate", passwordJSON},
	{"change password", "PUT", "/api/password", func(pw string) string { return changeJSON(pw, newPassword) }},
	{"delete account", "DELETE", "/api/account", passwordJSON},
}

// TestConcurrentWrongPasswordsEveryRoute (contract, "Password checks"):
// through each route that checks a logged-in user's password, 40 wrong
// passwords at once (one session) get 5 answers of 401 and 35 of 429 with
// Retry-After, and the right password afterwards gets 429 and changes
// nothing; 10 at once through each of the four routes share the one limit
// (5 × 401 in all). On both stores.
func TestConcurrentWrongPasswordsEveryRoute(t *testing.T) {
	const n = 40
	wrong := "a wrong password"
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			stores := b.stores(t)
			for _, route := range passwordRoutes {
				t.Run(route.name, func(t *testing.T) {
					f := newFixture(t, stores)
					name := newName("conc")
					c := f.loggedIn(t, name, "/api/register")
					answers := make([]answer, n)
					var wg sync.WaitGroup
					for i := range answers {
						wg.Go(func() {
							answers[i] = (&browser{f: f, cookie: c.cookie}).call(route.method, route.path, route.body(wrong))
						})
					}
					wg.Wait()
					counts := tally(t, answers)
					t.Logf("%d wrong passwords at once through %s %s: %d × 401, %d × 429", n, route.method, route.path, counts[401], counts[429])
					if counts[401] != account.MaxAttempts || counts[429] != n-account.MaxAttempts || len(counts) != 2 {
						t.Errorf("statuses %v; want %d × 401 and %d × 429", counts, account.MaxAttempts, n-account.MaxAttempts)
					}
					c.call(route.method, route.path, route.body(rightPassword)).mustStatus(t, "the right password after them", 429, "too_many_attempts")
					if ok, _, _ := c.current(t); !ok {
						t.Error("the session ended")
					}
					if _, found, _ := stores.Users.GetUser(t.Context(), name); !found {
						t.Error("the account is gone")
					}
				})
			}
			t.Run("all four routes", func(t *testing.T) {
				f := newFixture(t, stores)
				name := newName("mix")
				c := f.loggedIn(t, name, "/api/register")
				answers := make([]answer, 0, n)
				var mu sync.Mutex
				var wg sync.WaitGroup
				for i := range n {
					wg.Go(func() {
						var a answer
						if i%4 == 3 {
							a = f.browser().call("POST", "/api/login", credentials(name, wrong))
						} else {
							r := passwordRoutes[i%4]
							a = (&browser{f: f, cookie: c.cookie}).call(r.method, r.path, r.body(wrong))
						}
						mu.Lock()
						answers = append(answers, a)
						mu.Unlock()
					})
				}
				wg.Wait()
				counts := tally(t, answers)
				t.Logf("%d wrong passwords at once through all four routes: %d × 401, %d × 429", n, counts[401], counts[429])
				if counts[401] != account.MaxAttempts || counts[429] != n-account.MaxAttempts {
					t.Errorf("statuses %v; want %d × 401 and %d × 429", counts, account.MaxAttempts, n-account.MaxAttempts)
				}
			})
		})
	}
}

// tally counts the answers by status and checks each 429's body and
// Retry-After.
func tally(t *testing.T, answers []answer) map[int]int {
	t.Helper()
	counts := map[int]int{}
	for _, a := range answers {
		counts[a.Code]++
		if a.Code == http.StatusTooManyRequests && (errorCode(a.ResponseRecorder) != "too_many_attempts" || retryAfter(a.ResponseRecorder) < 1 || retryAfter(a.ResponseRecorder) > 900) {
			t.Errorf("429 = %s with Retry-After %q", a.Body, a.Header().Get("Retry-After"))
		}
		if a.Code == http.StatusUnauthorized && errorCode(a.ResponseRecorder) != "invalid_credentials" {
			t.Errorf("401 = %s", a.Body)
		}
	}
	return counts
}

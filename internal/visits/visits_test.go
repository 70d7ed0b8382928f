package visits_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/visits"
	"github.com/sessionlab/sessionlab/internal/web"
)

// testKey signs the session cookies of these tests.
var testKey = bytes.Repeat([]byte{9}, 32)

// newServer serves the visits routes over store, wrapped as every function
// is (web.API), with metrics counted into the namespace "test" and written
// to emf.
func newServer(t *testing.T, store session.Store, emf io.Writer) *httptest.Server {
	t.Helper()
	m, err := session.NewManager(session.Options{Store: store, Keys: [][]byte{testKey}, Timeouts: session.DefaultTimeouts,
		Logger: web.Logger, SetSessionID: web.SetSessionID})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	visits.Register(mux, m)
	h, err := web.API(mux, "")
	if err != nil {
		t.Fatal(err)
	}
	if emf != nil {
		logger := slog.New(slog.NewJSONHandler(emf, nil))
		h = metrics.Handler(h, "test", func(context.Context) *slog.Logger { return logger })
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// answer is a response: status, count, error code, replay header and the
// session cookie it set ("" when none).
type answer struct {
	status   int
	visits   int64
	code     string
	replayed string
	cookie   string
}

// send makes a request with headers ("Name: value") and an optional body.
func send(t *testing.T, c *http.Client, method, url, body string, headers ...string) answer {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, rd)
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ": ")
		req.Header.Add(name, value)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, replayed: resp.Header.Get(web.ReplayedHeader)}
	var b struct {
		Visits *int64 `json:"visits"`
		Error  struct{ Code string }
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("%s %s: a body that is not JSON: %q", method, url, raw)
	}
	if resp.StatusCode == http.StatusOK && b.Visits == nil {
		t.Fatalf("%s %s: 200 without visits: %s", method, url, raw)
	}
	if b.Visits != nil {
		a.visits = *b.Visits
	}
	a.code = b.Error.Code
	for _, ck := range resp.Cookies() {
		if ck.Name == "session" {
			a.cookie = ck.String()
		}
	}
	return a
}

func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

const key = "Idempotency-Key: "

// TestCountsAndWhatEachRequestCosts: a GET without a session answers 0 and
// creates nothing (no store call, no cookie); the first visit starts a
// session (one Create); every later visit is one Update and no read; a
// read inside the touch window is one Get.
func TestCountsAndWhatEachRequestCosts(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store, nil)
	c := client()
	url := srv.URL + "/api/session/visits"
	tests := []struct {
		name, method string
		visits       int64
		calls        map[string]int
		setsCookie   bool
	}{
		{"read without a session", "GET", 0, map[string]int{}, false},
		{"the first visit starts a session", "POST", 1, map[string]int{"Create": 1}, true},
		{"a visit", "POST", 2, map[string]int{"Update": 1}, false},
		{"another", "POST", 3, map[string]int{"Update": 1}, false},
		{"read", "GET", 3, map[string]int{"Get": 1}, false},
	}
	for _, tt := range tests {
		store.Reset()
		a := send(t, c, tt.method, url, "")
		if a.status != 200 || a.visits != tt.visits || (a.cookie != "") != tt.setsCookie {
			t.Errorf("%s: %d visits %d cookie %q; want 200, %d, sets a cookie %v", tt.name, a.status, a.visits, a.cookie, tt.visits, tt.setsCookie)
		}
		if got := store.Calls(); fmt.Sprint(got) != fmt.Sprint(tt.calls) {
			t.Errorf("%s: store calls %v, want %v", tt.name, got, tt.calls)
		}
	}
	if a := send(t, client(), "GET", url, ""); a.visits != 0 {
		t.Errorf("another browser sees %d visits, want 0: the count belongs to a session", a.visits)
	}
}

// TestEndedSessionCountsAfresh: a cookie that names no live session reads
// as 0 and is expired; a visit with it starts a new session at 1.
func TestEndedSessionCountsAfresh(t *testing.T) {
	store := memstore.New()
	srv := newServer(t, store, nil)
	url := srv.URL + "/api/session/visits"
	c := client()
	send(t, c, "POST", url, "")
	send(t, c, "POST", url, "")
	cookie := sessionCookie(t, c, srv.URL)
	id, _, err := codec(t).Decode(cookie)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.Delete(context.Background(), session.StoreKey(id), time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method string
		visits int64
	}{{"GET", 0}, {"POST", 1}} {
		stale := client()
		stale.Jar.SetCookies(mustURL(srv.URL), []*http.Cookie{{Name: "session", Value: cookie}})
		a := send(t, stale, tt.method, url, "")
		if a.status != 200 || a.visits != tt.visits || a.cookie == "" {
			t.Errorf("%s with an ended session: %d visits %d cookie %q, want 200, %d and a new or expired cookie", tt.method, a.status, a.visits, a.cookie, tt.visits)
		}
		if tt.method == "GET" && !strings.Contains(a.cookie, "Max-Age=0") {
			t.Errorf("GET with an ended session did not expire the cookie: %q", a.cookie)
		}
	}
}

// TestIdempotencyKey: exactly as on the cart routes. A bad key is 400 and
// reaches no store; a repeat answers 200 with the count as it is now and
// Idempotent-Replayed: true, applying nothing; the key with another body is
// 422; a key belongs to its session.
func TestIdempotencyKey(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store, nil)
	c := client()
	url := srv.URL + "/api/session/visits"
	tests := []struct {
		name     string
		body     string
		headers  []string
		status   int
		code     string
		replayed string
		visits   int64
	}{
		{"a bad key starts nothing", "", []string{key + "not a key"}, 400, "invalid_idempotency_key", "", 0},
		{"the first visit, with a key", "", []string{key + "k-start"}, 200, "", "", 1},
		{"its repeat", "", []string{key + "k-start"}, 200, "", "true", 1},
		{"another visit", "", []string{key + "k2"}, 200, "", "", 2},
		{"without a key", "", nil, 200, "", "", 3},
		{"the first again: the count now", "", []string{key + "k-start"}, 200, "", "true", 3},
		{"the same key, another body", `{"x":1}`, []string{key + "k2"}, 422, "idempotency_key_reused", "", 0},
		{"too long a key", "", []string{key + strings.Repeat("k", 65)}, 400, "invalid_idempotency_key", "", 0},
		{"a key of 64", "", []string{key + strings.Repeat("k", 64)}, 200, "", "", 4},
		{"two keys", "", []string{key + "a", key + "b"}, 400, "invalid_idempotency_key", "", 0},
		{"an empty key", "", []string{"Idempotency-Key: "}, 400, "invalid_idempotency_key", "", 0},
		{"a quoted key", "", []string{key + `"abc"`}, 400, "invalid_idempotency_key", "", 0},
		{"the 64 again", "", []string{key + strings.Repeat("k", 64)}, 200, "", "true", 4},
	}
	for _, tt := range tests {
		store.Reset()
		a := send(t, c, "POST", url, tt.body, tt.headers...)
		if a.status != tt.status || a.code != tt.code || a.replayed != tt.replayed || a.visits != tt.visits {
			t.Errorf("%s: %d %q replayed %q visits %d; want %d %q replayed %q visits %d",
				tt.name, a.status, a.code, a.replayed, a.visits, tt.status, tt.code, tt.replayed, tt.visits)
		}
		if tt.code == "invalid_idempotency_key" && store.Total() != 0 {
			t.Errorf("%s: a bad key reached the store: %v", tt.name, store.Calls())
		}
	}
	if a := send(t, c, "GET", url, ""); a.visits != 4 {
		t.Errorf("after the table: %d visits, want 4", a.visits)
	}
	if a := send(t, client(), "POST", url, "", key+"k-start"); a.status != 200 || a.replayed != "" || a.visits != 1 {
		t.Errorf("another session's key: %d replayed %q visits %d, want applied", a.status, a.replayed, a.visits)
	}
}

// TestConcurrentVisitsAllCount: 50 tabs sharing one cookie visit at once:
// every visit counts. Then 20 tabs send one visit with one key at once: it
// counts once, and the other 19 are replays. (One after the other: a
// session remembers its 32 most recent keys, and each visit without a key
// takes a slot, so keyless visits in between could push the key out.)
func TestConcurrentVisitsAllCount(t *testing.T) {
	srv := newServer(t, memstore.New(), nil)
	url := srv.URL + "/api/session/visits"
	first := client()
	send(t, first, "POST", url, "")
	cookie := "Cookie: session=" + sessionCookie(t, first, srv.URL)
	all := func(n int, headers ...string) []answer {
		answers := make([]answer, n)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i] = send(t, &http.Client{}, "POST", url, "", append([]string{cookie}, headers...)...) })
		}
		wg.Wait()
		return answers
	}
	for _, a := range all(50) {
		if a.status != 200 || a.replayed != "" {
			t.Errorf("a concurrent visit: %d %q replayed %q", a.status, a.code, a.replayed)
		}
	}
	if a := send(t, first, "GET", url, ""); a.visits != 51 {
		t.Errorf("after 1 + 50 concurrent visits: %d, want 51: a visit was lost", a.visits)
	}
	applied := 0
	for _, a := range all(20, key+"one-key") {
		if a.status != 200 {
			t.Errorf("a repeat of one key: %d %q", a.status, a.code)
		}
		if a.replayed == "" {
			applied++
		}
	}
	if a := send(t, first, "GET", url, ""); a.visits != 52 || applied != 1 {
		t.Errorf("after 20 concurrent repeats of one key: %d visits (want 52), applied %d times (want 1)", a.visits, applied)
	}
}

// TestLimit: the count stops at visits.MaxVisits (2^53-1, exact in every
// JSON client): the visit that reaches it counts, the next is 409
// visit_limit_reached and changes nothing.
func TestLimit(t *testing.T) {
	if visits.MaxVisits != 1<<53-1 {
		t.Fatalf("MaxVisits = %d, want 2^53-1", int64(visits.MaxVisits))
	}
	store := memstore.New()
	srv := newServer(t, store, nil)
	url := srv.URL + "/api/session/visits"
	c := client()
	send(t, c, "POST", url, "")
	id, _, err := codec(t).Decode(sessionCookie(t, c, srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	// Bring the count to two below the limit, as a long life would.
	up := session.AddToCounter{Counter: visits.DataName, Delta: visits.MaxVisits - 3, Range: session.Range{Min: 0, Max: visits.MaxVisits, Err: errors.New("refused")}}
	if _, err := store.Update(context.Background(), session.StoreKey(id), session.Change{Ops: []session.Op{up}, Key: "test"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		status int
		code   string
		visits int64
	}{
		{200, "", visits.MaxVisits - 1},
		{200, "", visits.MaxVisits},
		{409, "visit_limit_reached", 0},
		{409, "visit_limit_reached", 0},
	} {
		if a := send(t, c, "POST", url, ""); a.status != tt.status || a.code != tt.code || a.visits != tt.visits {
			t.Errorf("near the limit: %d %q visits %d, want %d %q %d", a.status, a.code, a.visits, tt.status, tt.code, tt.visits)
		}
	}
	if a := send(t, c, "GET", url, ""); a.visits != visits.MaxVisits {
		t.Errorf("after the refusals: %d visits, want %d", a.visits, int64(visits.MaxVisits))
	}
}

// TestReplaysAreCounted: a replay writes the IdempotentReplays metric; a
// first application and a plain visit write none.
func TestReplaysAreCounted(t *testing.T) {
	var emf bytes.Buffer
	srv := newServer(t, memstore.New(), &emf)
	url := srv.URL + "/api/session/visits"
	c := client()
	for _, tt := range []struct {
		headers []string
		metric  bool
	}{
		{[]string{key + "m1"}, false},
		{nil, false},
		{[]string{key + "m1"}, true},
		{[]string{key + "m2"}, false},
	} {
		emf.Reset()
		send(t, c, "POST", url, "", tt.headers...)
		if got := strings.Contains(emf.String(), `"IdempotentReplays":1`); got != tt.metric {
			t.Errorf("POST %v: IdempotentReplays counted %v, want %v (EMF: %s)", tt.headers, got, tt.metric, emf.String())
		}
	}
}

// down is a store that cannot be reached.
type down struct{ session.Store }

var errDown = errors.New("connection refused")

func (down) Get(context.Context, string, time.Time) (session.Record, bool, error) {
	return session.Record{}, false, errDown
}
func (down) Create(context.Context, session.Record) error { return errDown }
func (down) Update(context.Context, string, session.Change, time.Time) (session.Outcome, error) {
	return session.Outcome{}, errDown
}

// TestStoreDown: both routes answer 503 store_unavailable with Retry-After
// when the store fails, with or without a session, and never show the
// cause.
func TestStoreDown(t *testing.T) {
	mem := memstore.New()
	live := newServer(t, mem, nil)
	c := client()
	send(t, c, "POST", live.URL+"/api/session/visits", "")
	cookie := sessionCookie(t, c, live.URL)
	srv := newServer(t, down{mem}, nil)
	for _, method := range []string{"GET", "POST"} {
		for _, withSession := range []bool{false, true} {
			if method == "GET" && !withSession {
				continue // no session: nothing to read, 0
			}
			var headers []string
			if withSession {
				headers = []string{"Cookie: session=" + cookie}
			}
			req, _ := http.NewRequest(method, srv.URL+"/api/session/visits", http.NoBody)
			for _, h := range headers {
				name, value, _ := strings.Cut(h, ": ")
				req.Header.Add(name, value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || !strings.Contains(string(raw), `"store_unavailable"`) || resp.Header.Get("Retry-After") == "" || strings.Contains(string(raw), errDown.Error()) {
				t.Errorf("%s (session %v) with the store down: %d %s Retry-After %q", method, withSession, resp.StatusCode, raw, resp.Header.Get("Retry-After"))
			}
		}
	}
}

func codec(t *testing.T) *session.Codec {
	t.Helper()
	c, err := session.NewCodec([][]byte{testKey}, session.DefaultTimeouts.Remember)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sessionCookie(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	for _, ck := range c.Jar.Cookies(mustURL(base)) {
		if ck.Name == "session" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie")
	return ""
}

func mustURL(s string) *neturl.URL {
	u, err := neturl.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

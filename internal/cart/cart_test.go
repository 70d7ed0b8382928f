package cart_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/cart"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/metrics"
	"github.com/sessionlab/sessionlab/internal/scenario"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/web"
)

// newServer serves the cart routes over store, wrapped as every function is.
func newServer(t *testing.T, store session.Store) *httptest.Server {
	t.Helper()
	m, err := session.NewManager(session.Options{Store: store, Keys: [][]byte{bytes.Repeat([]byte{7}, 32)}, Timeouts: session.DefaultTimeouts,
		Logger: web.Logger, SetSessionID: web.SetSessionID})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	cart.Register(mux, m)
	h, err := web.API(mux, "")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// answer is a response: status, the cart (when the body is one), the error
// code (when it is an error) and the replay header.
type answer struct {
	status   int
	view     cart.View
	code     string
	replayed string
}

// send makes a request with body (nil: none) and headers ("Name: value").
func send(t *testing.T, c *http.Client, method, url string, body any, headers ...string) answer {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
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
	a := answer{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed")}
	_ = json.Unmarshal(raw, &a.view)
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	a.code = e.Error.Code
	return a
}

func client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// TestChangeIsOneStoreCall proves what each request costs: a cart change
// is one Update (the first add one Create), a read inside the touch window
// one Get, bad input no store call at all; and that each answers as the
// contract says.
func TestChangeIsOneStoreCall(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store)
	c := client()
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code               string
		count              int
		calls              map[string]int
	}{
		{"first add starts the session", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}, 200, "", 1, map[string]int{"Create": 1}},
		{"add", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 2}, 200, "", 3, map[string]int{"Update": 1}},
		{"add another line", "POST", "/api/cart/items", map[string]any{"sku": "mug-stoneware", "quantity": 1}, 200, "", 4, map[string]int{"Update": 1}},
		{"set", "PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 5}, 200, "", 6, map[string]int{"Update": 1}},
		{"set to 0 removes", "PUT", "/api/cart/items/mug-stoneware", map[string]any{"quantity": 0}, 200, "", 5, map[string]int{"Update": 1}},
		{"set a missing line", "PUT", "/api/cart/items/mug-stoneware", map[string]any{"quantity": 2}, 404, "not_in_cart", 0, map[string]int{"Update": 1}},
		{"remove a missing line", "DELETE", "/api/cart/items/mug-stoneware", nil, 404, "not_in_cart", 0, map[string]int{"Update": 1}},
		{"a line past 99 is refused", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 95}, 400, "invalid_quantity", 0, map[string]int{"Update": 1}},
		{"read", "GET", "/api/cart", nil, 200, "", 5, map[string]int{"Get": 1}},
		{"remove", "DELETE", "/api/cart/items/tea-sencha", nil, 200, "", 0, map[string]int{"Update": 1}},
		{"empty", "DELETE", "/api/cart", nil, 204, "", 0, map[string]int{"Update": 1}},
		{"add 99 to a new line", "POST", "/api/cart/items", map[string]any{"sku": "honey-acacia", "quantity": 99}, 200, "", 99, map[string]int{"Update": 1}},
		{"set 99", "PUT", "/api/cart/items/honey-acacia", map[string]any{"quantity": 99}, 200, "", 99, map[string]int{"Update": 1}},
		{"bad input reaches no store", "POST", "/api/cart/items", map[string]any{"sku": "nope", "quantity": 1}, 404, "unknown_product", 0, map[string]int{}},
		{"a bad quantity reaches no store", "PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 100}, 400, "invalid_quantity", 0, map[string]int{}},
		{"an add of 100 reaches no store", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 100}, 400, "invalid_quantity", 0, map[string]int{}},
		{"an add of 0 reaches no store", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 0}, 400, "invalid_quantity", 0, map[string]int{}},
		{"a set of -1 reaches no store", "PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": -1}, 400, "invalid_quantity", 0, map[string]int{}},
	}
	for _, tt := range tests {
		store.Reset()
		a := send(t, c, tt.method, srv.URL+tt.path, tt.body)
		if a.status != tt.status || a.code != tt.code || (tt.status == 200 && a.view.Count != tt.count) {
			t.Errorf("%s: %d %q count %d, want %d %q count %d", tt.name, a.status, a.code, a.view.Count, tt.status, tt.code, tt.count)
		}
		if got := store.Calls(); fmt.Sprint(got) != fmt.Sprint(tt.calls) {
			t.Errorf("%s: store calls %v, want %v", tt.name, got, tt.calls)
		}
	}
}

// TestView: lines in catalogue order with their totals; unknown SKUs and
// empty lines left out.
func TestView(t *testing.T) {
	v := cart.NewView(map[string]int64{"mug-stoneware": 2, "tea-sencha": 3, "gone": 5, "tea-assam": 0})
	want := cart.View{Items: []cart.Line{
		{SKU: "tea-sencha", Name: "Sencha green tea, 100 g", Quantity: 3, PriceCents: 850, LineTotalCents: 2550},
		{SKU: "mug-stoneware", Name: "Stoneware mug", Quantity: 2, PriceCents: 1400, LineTotalCents: 2800},
	}, Count: 5, TotalCents: 5350, Currency: "EUR"}
	if fmt.Sprint(v) != fmt.Sprint(want) {
		t.Errorf("NewView = %+v, want %+v", v, want)
	}
	if e := cart.NewView(nil); e.Items == nil || len(e.Items) != 0 || e.Count != 0 || e.Currency != "EUR" {
		t.Errorf("an empty cart = %+v", e)
	}
}

// TestWithoutSession: the changes that start no session answer as the
// contract says and create none.
func TestWithoutSession(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store)
	c := client()
	for _, tt := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 1}, 404},
		{"DELETE", "/api/cart/items/tea-sencha", nil, 404},
		{"DELETE", "/api/cart", nil, 204},
		{"GET", "/api/cart", nil, 200},
	} {
		if a := send(t, c, tt.method, srv.URL+tt.path, tt.body); a.status != tt.status {
			t.Errorf("%s %s without a session: %d, want %d", tt.method, tt.path, a.status, tt.status)
		}
	}
	if n := store.Total(); n != 0 {
		t.Errorf("%d store calls without a session cookie, want 0", n)
	}
}

// TestIdempotencyKey checks the header on the cart routes: a bad key is
// 400 and changes nothing; a repeat answers the route's status with the
// cart as it is now and Idempotent-Replayed; a reused key is 422; a
// refused request records nothing; the key of a request that starts the
// session is in the new session.
func TestIdempotencyKey(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store)
	c := client()
	add := func(sku string, q int) map[string]any { return map[string]any{"sku": sku, "quantity": q} }
	key := func(k string) string { return "Idempotency-Key: " + k }
	items := srv.URL + "/api/cart/items"
	tests := []struct {
		name, method, url string
		body              any
		headers           []string
		status            int
		code              string
		replayed          string
		count             int
	}{
		{"a bad key starts nothing", "POST", items, add("tea-assam", 1), []string{key("not a key")}, 400, "invalid_idempotency_key", "", 0},
		{"the first add, with a key", "POST", items, add("tea-assam", 1), []string{key("k-start")}, 200, "", "", 1},
		{"its repeat", "POST", items, add("tea-assam", 1), []string{key("k-start")}, 200, "", "true", 1},
		{"another add", "POST", items, add("tea-assam", 2), []string{key("k2")}, 200, "", "", 3},
		{"the first again: the cart now", "POST", items, add("tea-assam", 1), []string{key("k-start")}, 200, "", "true", 3},
		{"the same key, another body", "POST", items, add("tea-assam", 5), []string{key("k2")}, 422, "idempotency_key_reused", "", 0},
		{"the same key, another path", "PUT", items + "/tea-assam", map[string]any{"quantity": 1}, []string{key("k2")}, 422, "idempotency_key_reused", "", 0},
		{"too long a key", "POST", items, add("tea-assam", 1), []string{key(strings.Repeat("k", 65))}, 400, "invalid_idempotency_key", "", 0},
		{"a key of 64", "POST", items, add("tea-assam", 1), []string{key(strings.Repeat("k", 64))}, 200, "", "", 4},
		{"two keys", "POST", items, add("tea-assam", 1), []string{key("a"), key("b")}, 400, "invalid_idempotency_key", "", 0},
		{"an empty key", "DELETE", srv.URL + "/api/cart", nil, []string{"Idempotency-Key: "}, 400, "invalid_idempotency_key", "", 0},
		{"a quoted key", "DELETE", items + "/tea-assam", nil, []string{key(`"abc"`)}, 400, "invalid_idempotency_key", "", 0},
		{"a refused add records nothing", "POST", items, add("tea-assam", 98), []string{key("k-refused")}, 400, "invalid_quantity", "", 0},
		{"a set", "PUT", items + "/tea-assam", map[string]any{"quantity": 1}, []string{key("k-set")}, 200, "", "", 1},
		{"the refused add again, judged afresh", "POST", items, add("tea-assam", 98), []string{key("k-refused")}, 200, "", "", 99},
		{"the set again: replayed, nothing set", "PUT", items + "/tea-assam", map[string]any{"quantity": 1}, []string{key("k-set")}, 200, "", "true", 99},
		{"a remove", "DELETE", items + "/tea-assam", nil, []string{key("k-del")}, 200, "", "", 0},
		{"the remove again: 200, not not_in_cart", "DELETE", items + "/tea-assam", nil, []string{key("k-del")}, 200, "", "true", 0},
		{"empty the cart", "DELETE", srv.URL + "/api/cart", nil, []string{key("k-clear")}, 204, "", "", 0},
		{"again: 204 replayed", "DELETE", srv.URL + "/api/cart", nil, []string{key("k-clear")}, 204, "", "true", 0},
	}
	for _, tt := range tests {
		store.Reset()
		a := send(t, c, tt.method, tt.url, tt.body, tt.headers...)
		if a.status != tt.status || a.code != tt.code || a.replayed != tt.replayed || (a.status == 200 && a.view.Count != tt.count) {
			t.Errorf("%s: %d %q replayed %q count %d; want %d %q replayed %q count %d",
				tt.name, a.status, a.code, a.replayed, a.view.Count, tt.status, tt.code, tt.replayed, tt.count)
		}
		if tt.code == "invalid_idempotency_key" && store.Total() != 0 {
			t.Errorf("%s: a bad key reached the store: %v", tt.name, store.Calls())
		}
	}
	// A key belongs to its session: another browser's same request applies.
	if a := send(t, client(), "POST", items, add("tea-assam", 1), key("k-start")); a.status != 200 || a.replayed != "" || a.view.Count != 1 {
		t.Errorf("another session's key: %d replayed %q count %d, want applied", a.status, a.replayed, a.view.Count)
	}
}

// TestConcurrentAddsLoseNothing: 50 clients sharing one cookie add at once
// (same and different SKUs); the cart ends with exactly what they added.
func TestConcurrentAddsLoseNothing(t *testing.T) {
	srv := newServer(t, memstore.New())
	scenario.ConcurrentCart(t, srv.URL, 50)
}

// TestReplaysAreCounted: a replay of every cart change writes the
// IdempotentReplays metric; a first application writes none.
func TestReplaysAreCounted(t *testing.T) {
	m, err := session.NewManager(session.Options{Store: memstore.New(), Keys: [][]byte{bytes.Repeat([]byte{7}, 32)}, Timeouts: session.DefaultTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	cart.Register(mux, m)
	h, err := web.API(mux, "")
	if err != nil {
		t.Fatal(err)
	}
	var emf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&emf, nil))
	srv := httptest.NewServer(metrics.Handler(h, "test", func(context.Context) *slog.Logger { return logger }))
	t.Cleanup(srv.Close)
	c := client()
	items := srv.URL + "/api/cart/items"
	for _, tt := range []struct {
		method, url string
		body        any
	}{
		{"POST", items, map[string]any{"sku": "tea-assam", "quantity": 1}},
		{"PUT", items + "/tea-assam", map[string]any{"quantity": 3}},
		{"DELETE", items + "/tea-assam", nil},
		{"DELETE", srv.URL + "/api/cart", nil},
	} {
		k := "Idempotency-Key: " + tt.method + strings.ReplaceAll(strings.TrimPrefix(tt.url, srv.URL), "/", "-")
		for i, want := range []bool{false, true} {
			emf.Reset()
			send(t, c, tt.method, tt.url, tt.body, k)
			if got := strings.Contains(emf.String(), `"IdempotentReplays":1`); got != want {
				t.Errorf("%s %s, time %d: IdempotentReplays counted %v, want %v", tt.method, tt.url, i+1, got, want)
			}
		}
	}
}

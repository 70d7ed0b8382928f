package cart_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"testing"

	"github.com/sessionlab/sessionlab/internal/cart"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/scenario"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/web"
)

// newServer serves the cart routes over store, wrapped as every function is.
func newServer(t *testing.T, store session.Store) *httptest.Server {
	t.Helper()
	m, err := session.NewManager(session.Options{Store: store, Keys: [][]byte{bytes.Repeat([]byte{7}, 32)}, Timeouts: config.DefaultTimeouts})
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

func send(t *testing.T, c *http.Client, method, url string, body any) (int, cart.View) {
	t.Helper()
	var rd *bytes.Reader
	data, _ := json.Marshal(body)
	rd = bytes.NewReader(data)
	req, _ := http.NewRequest(method, url, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Error(err)
		return 0, cart.View{}
	}
	defer resp.Body.Close()
	var v cart.View
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

// TestChangeIsOneStoreCall proves a cart change costs one store call, and a
// read inside the touch window one Get.
func TestChangeIsOneStoreCall(t *testing.T) {
	store := sessiontest.NewCounting(memstore.New())
	srv := newServer(t, store)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	tests := []struct {
		name, method, path string
		body               any
		want               map[string]int
	}{
		{"first add starts the session", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}, map[string]int{"Create": 1}},
		{"add", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 2}, map[string]int{"AddToCart": 1}},
		{"add another line", "POST", "/api/cart/items", map[string]any{"sku": "mug-stoneware", "quantity": 1}, map[string]int{"AddToCart": 1}},
		{"set", "PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 5}, map[string]int{"SetCartQuantity": 1}},
		{"remove", "DELETE", "/api/cart/items/mug-stoneware", nil, map[string]int{"SetCartQuantity": 1}},
		{"refused change", "POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 99}, map[string]int{"AddToCart": 1}},
		{"read", "GET", "/api/cart", nil, map[string]int{"Get": 1}},
		{"empty", "DELETE", "/api/cart", nil, map[string]int{"ClearCart": 1}},
		{"bad input reaches no store", "POST", "/api/cart/items", map[string]any{"sku": "nope", "quantity": 1}, map[string]int{}},
	}
	for _, tt := range tests {
		store.Reset()
		send(t, c, tt.method, srv.URL+tt.path, tt.body)
		if got := store.Calls(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: store calls %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestConcurrentAddsLoseNothing: 50 clients sharing one cookie add at once
// (same and different SKUs); the cart ends with exactly what they added.
func TestConcurrentAddsLoseNothing(t *testing.T) {
	srv := newServer(t, memstore.New())
	scenario.ConcurrentCart(t, srv.URL, 50)
}

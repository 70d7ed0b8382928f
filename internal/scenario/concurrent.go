package scenario

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// ConcurrentCart starts a cart with one client, then has n goroutines that
// share its session cookie add one item each at the same moment (three
// SKUs in turn), and checks the cart ends with exactly what was added: no
// lost update. It returns how long the n adds took.
func ConcurrentCart(t *testing.T, base string, n int) time.Duration {
	t.Helper()
	first := NewClient(t, base)
	if r := first.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 1}); r.Status != 200 {
		t.Fatalf("first add = %d %s", r.Status, r.Raw)
	}
	cookie, _ := first.Cookie("session")
	skus := []string{"tea-sencha", "tea-assam", "mug-stoneware"}
	want := map[string]float64{"tea-sencha": 1}
	for i := 0; i < n; i++ {
		want[skus[i%len(skus)]]++
	}
	tabs := make([]*Client, n)
	for i := range tabs {
		tabs[i] = NewClient(t, base)
		tabs[i].SetJarCookie("session", cookie)
	}
	began := time.Now()
	var wg sync.WaitGroup
	for i, tab := range tabs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := tab.Do("POST", "/api/cart/items", map[string]any{"sku": skus[i%len(skus)], "quantity": 1}); r.Status != 200 {
				t.Errorf("add = %d %s", r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	took := time.Since(began)
	r := first.Do("GET", "/api/cart", nil)
	got := map[string]float64{}
	for _, item := range r.JSON["items"].([]any) {
		line := item.(map[string]any)
		got[line["sku"].(string)] = line["quantity"].(float64)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("cart = %v, want %v: an update was lost", got, want)
	}
	t.Logf("%d concurrent adds sharing one cookie: %s, none lost", n, took)
	return took
}

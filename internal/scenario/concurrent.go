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

// ConcurrentVisits starts a session with one visit, then has n goroutines
// that share its cookie each count a visit at the same moment, and checks
// the server-side counter ends at n+1: every concurrent add counted. It
// returns how long the n visits took.
func ConcurrentVisits(t *testing.T, base string, n int) time.Duration {
	t.Helper()
	first := NewClient(t, base)
	if r := first.Do("POST", "/api/session/visits", nil); visitCount(r) != 1 {
		t.Fatalf("first visit = %d %s", r.Status, r.Raw)
	}
	cookie, _ := first.Cookie("session")
	began := time.Now()
	var wg sync.WaitGroup
	for range n {
		tab := NewClient(t, base)
		tab.SetJarCookie("session", cookie)
		wg.Go(func() {
			if r := tab.Do("POST", "/api/session/visits", nil); r.Status != 200 {
				t.Errorf("visit = %d %s", r.Status, r.Raw)
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	if r := first.Do("GET", "/api/session/visits", nil); visitCount(r) != float64(n+1) {
		t.Fatalf("visits = %s, want %d: a visit was lost", r.Raw, n+1)
	}
	t.Logf("%d concurrent visits sharing one cookie: %s, none lost", n, took)
	return took
}

// ConcurrentLogins registers a user, sends n logins with a wrong password
// for it at the same moment, and checks the contract's password limit
// holds under concurrency: at most 5 are answered 401, the rest 429
// too_many_attempts with Retry-After, and the right password afterwards is
// 429 too. It returns how many of each it saw.
func ConcurrentLogins(t *testing.T, base string, n int) (unauthorized, refused int) {
	t.Helper()
	name := Unique("cl")
	register(t, NewClient(t, base), name)
	statuses := make([]Response, n)
	var wg sync.WaitGroup
	for i := range statuses {
		wg.Go(func() {
			statuses[i] = NewClient(t, base).Do("POST", "/api/login", map[string]any{"username": name, "password": "a wrong password"})
		})
	}
	wg.Wait()
	for _, r := range statuses {
		switch {
		case r.Status == 401 && r.ErrorCode() == "invalid_credentials":
			unauthorized++
		case r.Status == 429 && r.ErrorCode() == "too_many_attempts" && r.Header.Get("Retry-After") != "":
			refused++
		default:
			t.Errorf("a wrong password = %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
		}
	}
	t.Logf("%d wrong passwords at once: %d × 401, %d × 429", n, unauthorized, refused)
	if unauthorized > 5 {
		t.Errorf("%d wrong passwords were checked; the limit is 5", unauthorized)
	}
	r := NewClient(t, base).Do("POST", "/api/login", map[string]any{"username": name, "password": testPassword})
	expect(t, r, 429, "too_many_attempts")
	return unauthorized, refused
}

package scenario

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
)

// rotationRunners serves one store three times, as a key rotation sees it:
// under the old key alone, under NEW,OLD, and under the new key alone.
func rotationRunners(t *testing.T) (oldOnly, rotated, newOnly string) {
	t.Helper()
	key := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return hex.EncodeToString(b)
	}
	oldKey, newKey := key(), key()
	mem := memstore.New()
	opts := app.Options{Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem}}
	serve := func(secret string) string {
		return startRunnerWithEnv(t, opts, runner.EnvFile{"Parameters": {"SESSION_SECRET": secret, "COOKIE_SECURE": "false"}}).URL
	}
	return serve(oldKey), serve(newKey + "," + oldKey), serve(newKey)
}

// TestCartReissuesOldKeyCookies (key rotation, SESSION_SECRET=NEW,OLD):
// every cart change that brings a session cookie signed under the old key
// answers a new cookie signed under the new key, for the same session, so
// that the old key can be retired without logging anyone out. The new
// cookie is proven by a server that knows only the new key.
func TestCartReissuesOldKeyCookies(t *testing.T) {
	oldOnly, rotated, newOnly := rotationRunners(t)
	changes := []struct {
		method, path string
		body         any
		status       int
		count        float64 // the cart's count after the change
	}{
		{"POST", "/api/cart/items", map[string]any{"sku": "tea-assam", "quantity": 1}, 200, 3},
		{"PUT", "/api/cart/items/tea-sencha", map[string]any{"quantity": 3}, 200, 3},
		{"DELETE", "/api/cart/items/tea-sencha", nil, 200, 0},
		{"DELETE", "/api/cart", nil, 204, 0},
	}
	for _, ch := range changes {
		t.Run(ch.method+" "+ch.path, func(t *testing.T) {
			before := NewClient(t, oldOnly)
			expect(t, before.Do("POST", "/api/cart/items", map[string]any{"sku": "tea-sencha", "quantity": 2}), 200, "")
			oldCookie, _ := before.Cookie("session")

			c := NewClient(t, rotated)
			c.SetJarCookie("session", oldCookie)
			r := c.Do(ch.method, ch.path, ch.body)
			expect(t, r, ch.status, "")
			line := r.SetCookie("session")
			newCookie, _ := c.Cookie("session")
			if line == "" || strings.Contains(line, "Max-Age=0") || newCookie == "" || newCookie == oldCookie {
				t.Fatalf("a change under an old-key cookie set %q; want a new session cookie", line)
			}
			if n := strings.Count(strings.Join(r.Header.Values("Set-Cookie"), "\n"), "session="); n != 1 {
				t.Errorf("%d session cookies in one answer: %q", n, r.Header.Values("Set-Cookie"))
			}

			after := NewClient(t, newOnly)
			after.SetJarCookie("session", newCookie)
			got := after.Do("GET", "/api/cart", nil)
			expect(t, got, 200, "")
			if got.JSON["count"] != ch.count {
				t.Errorf("the cart under the new key alone = %s; want count %v", got.Raw, ch.count)
			}
			if s := after.Do("GET", "/api/session", nil); s.JSON["session"] == nil {
				t.Errorf("the re-issued cookie names no session under the new key alone: %s", s.Raw)
			}
		})
	}
}

package account_test

import (
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
)

// TestLogout: POST /api/logout ends the caller's session and expires its
// cookie, also without a session (204 either way, with Clear-Site-Data
// and no-store); a store that fails to read or to delete the session is
// 503 store_unavailable, and then the session still works and no
// Clear-Site-Data tells the browser it is logged out.
func TestLogout(t *testing.T) {
	for _, tt := range []struct {
		name     string
		loggedIn bool   // the caller has a session
		op       string // the session store operation that fails ("": none)
		status   int
		code     string
		stillIn  bool // the caller's session works afterwards
	}{
		{"logged in", true, "", 204, "", false},
		{"without a session", false, "", 204, "", false},
		{"the session cannot be read", true, "Get", 503, "store_unavailable", true},
		{"the session cannot be deleted", true, "Delete", 503, "store_unavailable", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem, fl := memstore.New(), &faults{}
			f := newFixture(t, app.Stores{Sessions: faultySessions{mem, fl}, Users: mem, Throttle: mem})
			name := newName("out")
			b := f.browser()
			if tt.loggedIn {
				b = f.loggedIn(t, name, "/api/register")
			}
			cookie := b.cookie
			fl.arm(tt.op, 0)
			a := b.call("POST", "/api/logout", "")
			fl.arm("", 0)
			a.mustStatus(t, "logout", tt.status, tt.code)
			if tt.status == 204 {
				if sc := a.sessionCookie(); !strings.Contains(sc, "Max-Age=0") {
					t.Errorf("logout's session cookie %q, want it expired", sc)
				}
				if a.Header().Get("Clear-Site-Data") != `"cookies"` || a.Header().Get("Cache-Control") != "no-store" {
					t.Errorf("logout's headers %v, want Clear-Site-Data \"cookies\" and no-store", a.Header())
				}
			} else if a.Header().Get("Clear-Site-Data") != "" {
				t.Errorf("a failed logout clears the site's cookies: %v", a.Header())
			}
			b.cookie = cookie
			if in, _, _ := b.current(t); in != tt.stillIn {
				t.Errorf("the old cookie logged in afterwards: %v, want %v", in, tt.stillIn)
			}
			want := 0
			if tt.stillIn {
				want = 1
			}
			if n := f.liveSessions(t, mem, name); n != want {
				t.Errorf("%d live sessions after the logout, want %d", n, want)
			}
		})
	}
}

package scenario

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/runner"
)

// TestScenariosMakeEveryDeclaredStoreUse runs the scenarios with every
// session refreshed on each request (SESSION_TOUCH_INTERVAL=1ns, so Touch
// is made too) and checks that each function made every store use it
// declares in app.StoreUses. With the store guard, which refuses a use a
// function did not declare, the declarations are then exactly what the
// code reaches, and the IAM roles that internal/templatetest derives from
// them are neither wider nor narrower than the code.
func TestScenariosMakeEveryDeclaredStoreUse(t *testing.T) {
	var mu sync.Mutex
	made := map[string]map[app.StoreUse]bool{}
	mem := memstore.New()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	srv := startRunnerWithEnv(t, app.Options{
		Stores: app.Stores{Sessions: mem, Users: mem, Throttle: mem},
		StoreUsed: func(function string, use app.StoreUse) {
			mu.Lock()
			defer mu.Unlock()
			if made[function] == nil {
				made[function] = map[app.StoreUse]bool{}
			}
			made[function][use] = true
		},
	}, runner.EnvFile{"Parameters": {"SESSION_SECRET": hex.EncodeToString(key), "COOKIE_SECURE": "false", "SESSION_TOUCH_INTERVAL": "1ns", "SESSION_REAUTH_WINDOW": ReauthWindow}})
	Run(t, srv.URL)
	mu.Lock()
	defer mu.Unlock()
	for _, function := range slices.Sorted(maps.Keys(app.StoreUses)) {
		for _, use := range app.StoreUses[function] {
			if !made[function][use] {
				t.Errorf("%s declares %s (app.StoreUses), but no scenario made it: remove it, or add a scenario that does", function, use)
			}
		}
	}
}

package allfunctions_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/allfunctions"
	"github.com/sessionlab/sessionlab/internal/app"
)

// TestEveryFunctionDeclaresItsStoreUses: app.StoreUses has exactly the
// functions of Functions, so Build (which refuses a function without an
// entry) builds each of them.
func TestEveryFunctionDeclaresItsStoreUses(t *testing.T) {
	for name := range allfunctions.Functions {
		if _, ok := app.StoreUses[name]; !ok {
			t.Errorf("%s has no entry in app.StoreUses", name)
		}
	}
	for name := range app.StoreUses {
		if _, ok := allfunctions.Functions[name]; !ok {
			t.Errorf("app.StoreUses declares %s, which allfunctions.Functions does not build", name)
		}
	}
}

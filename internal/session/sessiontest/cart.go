package sessiontest

import (
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// cartStep is one change of a cart and what it must give.
type cartStep struct {
	op       string // "add", "set" or "clear"
	sku      string
	quantity int
	wantErr  error // an outcome error, or nil
	want     map[string]int
}

// change applies step to key at at.
func (st cartStep) change(t *testing.T, s session.Store, key string, at time.Time) (map[string]int, bool, error) {
	switch st.op {
	case "add":
		return s.AddToCart(t.Context(), key, st.sku, st.quantity, at)
	case "set":
		return s.SetCartQuantity(t.Context(), key, st.sku, st.quantity, at)
	case "clear":
		found, err := s.ClearCart(t.Context(), key, at)
		return map[string]int{}, found, err
	}
	t.Fatalf("unknown step %q", st.op)
	return nil, false, nil
}

// testCartSteps runs one cart through adds, sets, removals and clears,
// checking after each step the cart returned, the cart stored, and that a
// refused change wrote nothing (not even the idle refresh).
func testCartSteps(t *testing.T, s session.Store) {
	steps := []cartStep{
		{"add", "tea", 2, nil, map[string]int{"tea": 2}},
		{"add", "tea", 3, nil, map[string]int{"tea": 5}},
		{"add", "mug", 99, nil, map[string]int{"tea": 5, "mug": 99}},
		{"add", "mug", 1, session.ErrQuantity, map[string]int{"tea": 5, "mug": 99}},
		{"add", "tea", 94, nil, map[string]int{"tea": 99, "mug": 99}},
		{"add", "tea", 1, session.ErrQuantity, map[string]int{"tea": 99, "mug": 99}},
		{"add", "cup", 0, session.ErrQuantity, map[string]int{"tea": 99, "mug": 99}},
		{"add", "cup", -1, session.ErrQuantity, map[string]int{"tea": 99, "mug": 99}},
		{"add", "cup", 100, session.ErrQuantity, map[string]int{"tea": 99, "mug": 99}},
		{"set", "tea", 7, nil, map[string]int{"tea": 7, "mug": 99}},
		{"set", "tea", 100, session.ErrQuantity, map[string]int{"tea": 7, "mug": 99}},
		{"set", "tea", -1, session.ErrQuantity, map[string]int{"tea": 7, "mug": 99}},
		{"set", "cup", 5, session.ErrNotInCart, map[string]int{"tea": 7, "mug": 99}},
		{"set", "cup", 0, session.ErrNotInCart, map[string]int{"tea": 7, "mug": 99}},
		{"set", "tea", 0, nil, map[string]int{"mug": 99}},
		{"set", "tea", 0, session.ErrNotInCart, map[string]int{"mug": 99}},
		{"set", "mug", 1, nil, map[string]int{"mug": 1}},
		{"clear", "", 0, nil, map[string]int{}},
		{"clear", "", 0, nil, map[string]int{}},
		{"add", "tea", 1, nil, map[string]int{"tea": 1}},
		{"add", "tea.green:1", 3, nil, map[string]int{"tea": 1, "tea.green:1": 3}},
	}
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	lastSeen := now
	for i, st := range steps {
		name := fmt.Sprintf("step %d (%s %s %d)", i, st.op, st.sku, st.quantity)
		at := now.Add(time.Duration(i+1) * time.Second)
		cart, found, err := st.change(t, s, rec.Key, at)
		if !errors.Is(err, st.wantErr) || (err != nil && st.wantErr == nil) {
			t.Fatalf("%s: err = %v, want %v", name, err, st.wantErr)
		}
		if err == nil {
			if !found {
				t.Fatalf("%s: found = false on a live record", name)
			}
			lastSeen = at
			if !maps.Equal(cart, st.want) || cart == nil {
				t.Errorf("%s: returned cart %v, want %v", name, cart, st.want)
			}
		}
		got := mustGet(t, s, rec.Key, at, true)
		if !maps.Equal(got.Cart, st.want) {
			t.Errorf("%s: stored cart %v, want %v", name, got.Cart, st.want)
		}
		if !got.LastSeenAt.Equal(lastSeen) || !got.IdleDeadline.Equal(lastSeen.Add(idle)) {
			t.Errorf("%s: LastSeenAt %v IdleDeadline %v, want %v and +%v", name, got.LastSeenAt, got.IdleDeadline, lastSeen, idle)
		}
	}
}

// testCartLines fills a cart to MaxCartLines.
func testCartLines(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	ctx := t.Context()
	for i := range session.MaxCartLines {
		if _, _, err := s.AddToCart(ctx, rec.Key, fmt.Sprintf("sku-%02d", i), 1, now); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
	}
	if _, found, err := s.AddToCart(ctx, rec.Key, "one-too-many", 1, now); !errors.Is(err, session.ErrCartFull) || !found {
		t.Fatalf("line %d: found %v, err = %v, want ErrCartFull", session.MaxCartLines+1, found, err)
	}
	cart, _, err := s.AddToCart(ctx, rec.Key, "sku-07", 98, now)
	if err != nil || cart["sku-07"] != 99 || len(cart) != session.MaxCartLines {
		t.Fatalf("adding to an existing line of a full cart: %v (%d lines, sku-07 = %d)", err, len(cart), cart["sku-07"])
	}
	if _, _, err := s.SetCartQuantity(ctx, rec.Key, "sku-03", 0, now); err != nil {
		t.Fatalf("removing a line: %v", err)
	}
	cart, _, err = s.AddToCart(ctx, rec.Key, "now-it-fits", 1, now)
	if err != nil || len(cart) != session.MaxCartLines {
		t.Fatalf("a new line after a removal: %v (%d lines)", err, len(cart))
	}
	if got := mustGet(t, s, rec.Key, now, true); len(got.Cart) != session.MaxCartLines {
		t.Errorf("stored %d lines, want %d", len(got.Cart), session.MaxCartLines)
	}
}

// testCartMissing checks that every cart change of an unknown key reports
// not found, with no error, even when its arguments would be refused too.
func testCartMissing(t *testing.T, s session.Store) {
	now, key, ctx := start(), newKey(), t.Context()
	if cart, found, err := s.AddToCart(ctx, key, "tea", 1, now); err != nil || found || cart != nil {
		t.Errorf("AddToCart: cart %v found %v err %v", cart, found, err)
	}
	if cart, found, err := s.SetCartQuantity(ctx, key, "tea", 2, now); err != nil || found || cart != nil {
		t.Errorf("SetCartQuantity: cart %v found %v err %v", cart, found, err)
	}
	if cart, found, err := s.SetCartQuantity(ctx, key, "tea", 0, now); err != nil || found || cart != nil {
		t.Errorf("SetCartQuantity 0: cart %v found %v err %v", cart, found, err)
	}
	if found, err := s.ClearCart(ctx, key, now); err != nil || found {
		t.Errorf("ClearCart: found %v err %v", found, err)
	}
	mustGet(t, s, key, now, false)
}

// testCartInvalidSKU checks that a SKU no catalogue has is refused with a
// plain error (not an outcome) and without a panic.
func testCartInvalidSKU(t *testing.T, s session.Store) {
	now := start()
	rec := fixture(now)
	mustCreate(t, s, rec)
	for _, sku := range []string{"", "a[0]", "a b", "#x", string(make([]byte, 65))} {
		if _, _, err := s.AddToCart(t.Context(), rec.Key, sku, 1, now); err == nil || isOutcome(err) {
			t.Errorf("AddToCart(%q): err = %v, want a plain error", sku, err)
		}
		if _, _, err := s.SetCartQuantity(t.Context(), rec.Key, sku, 1, now); err == nil || isOutcome(err) {
			t.Errorf("SetCartQuantity(%q): err = %v, want a plain error", sku, err)
		}
	}
	if got := mustGet(t, s, rec.Key, now, true); len(got.Cart) != 0 {
		t.Errorf("cart after refused SKUs: %v", got.Cart)
	}
}

// testNoAliasing checks that records and carts handed in or out are copies.
func testNoAliasing(t *testing.T, s session.Store) {
	now, ctx := start(), t.Context()
	rec := fixture(now)
	rec.Cart = map[string]int{"tea": 1}
	mustCreate(t, s, rec)
	rec.Cart["tea"] = 50 // the caller's map after Create

	got := mustGet(t, s, rec.Key, now, true)
	got.Cart["mug"] = 3
	cart, _, err := s.AddToCart(ctx, rec.Key, "cup", 1, now)
	if err != nil {
		t.Fatal(err)
	}
	cart["cup"] = 42
	want := map[string]int{"tea": 1, "cup": 1}
	if again := mustGet(t, s, rec.Key, now, true); !maps.Equal(again.Cart, want) {
		t.Errorf("stored cart %v, want %v: a caller's map is shared with the store", again.Cart, want)
	}
}

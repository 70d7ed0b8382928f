package dynamostore

import "testing"

// TestExprText checks the update and condition expressions expr builds for
// each mix of actions: a SET or REMOVE clause only when it has an action
// (DynamoDB refuses an empty "SET" clause; the session writes always SET
// the idle refresh, so only this test sees an update without one), one
// space between the clauses, and every condition in its own parentheses.
func TestExprText(t *testing.T) {
	tests := []struct {
		name              string
		build             func(e *expr)
		update, condition string
	}{
		{"set only", func(e *expr) { e.Set("#a", ":v"); e.If("x") }, "SET #a = :v", "(x)"},
		{"remove only", func(e *expr) { e.Remove("#a"); e.If("x"); e.If("y") }, "REMOVE #a", "(x) AND (y)"},
		{"both", func(e *expr) { e.Set("#a", ":v"); e.Set("#b", ":w"); e.Remove("#c"); e.Remove("#d"); e.If("x") },
			"SET #a = :v, #b = :w REMOVE #c, #d", "(x)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExpr()
			tt.build(e)
			if got := e.update(); got != tt.update {
				t.Errorf("update() = %q, want %q", got, tt.update)
			}
			if got := e.condition(); got != tt.condition {
				t.Errorf("condition() = %q, want %q", got, tt.condition)
			}
		})
	}
}

// TestExprPlaceholders checks that a name gets one placeholder however
// often it is used, and each value its own.
func TestExprPlaceholders(t *testing.T) {
	e := newExpr()
	if p := e.path("data", "cart", "data"); p != "#n0.#n1.#n0" {
		t.Errorf("path = %q, want #n0.#n1.#n0", p)
	}
	if a, b := e.num(1), e.num(1); a != ":v0" || b != ":v1" {
		t.Errorf("values %q, %q, want :v0, :v1", a, b)
	}
	if len(e.names) != 2 || e.names["#n1"] != "cart" || len(e.values) != 2 {
		t.Errorf("names %v, values %v", e.names, e.values)
	}
}

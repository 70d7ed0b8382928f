package loadtest

import (
	"strings"
	"testing"
)

func add(sku string, q, status int) Event { return Event{Kind: Add, SKU: sku, Qty: q, Status: status} }
func set(sku string, q, status int) Event { return Event{Kind: Set, SKU: sku, Qty: q, Status: status} }
func rm(sku string, status int) Event     { return Event{Kind: Remove, SKU: sku, Status: status} }
func withCode(e Event, code string) Event { e.Code = code; return e }
func showing(e Event, cart map[string]int) Event {
	e.Cart = cart
	return e
}

func TestFold(t *testing.T) {
	solo := Ownership{Owned: []string{"a", "b"}}
	tests := []struct {
		name      string
		log       []Event
		want      map[string]string // sku → allowed set
		unknown   int
		anomalies int
	}{
		{"empty log", nil, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0},
		{"acked adds sum up", []Event{add("a", 2, 200), add("a", 3, 200)}, map[string]string{"a": "{5}", "b": "{0}"}, 0, 0},
		{"a 503 adds nothing", []Event{add("a", 2, 200), withCode(add("a", 3, 503), "store_unavailable")}, map[string]string{"a": "{2}"}, 0, 0},
		{"an unknown add may or may not count", []Event{add("a", 2, 200), add("a", 3, 0)}, map[string]string{"a": "{2,5}"}, 1, 0},
		{"a set after an unknown settles the line", []Event{add("a", 2, 200), add("a", 3, 0), set("a", 7, 200)}, map[string]string{"a": "{7}"}, 1, 0},
		{"set 0 and remove empty the line", []Event{add("a", 1, 200), add("b", 1, 200), set("a", 0, 200), rm("b", 200)}, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0},
		{"unknown remove", []Event{add("a", 4, 200), rm("a", 0)}, map[string]string{"a": "{0,4}"}, 1, 0},
		{"not_in_cart after an unknown add", []Event{add("a", 4, 0), withCode(rm("a", 404), "not_in_cart")}, map[string]string{"a": "{0}"}, 1, 0},
		{"not_in_cart for a line the log holds", []Event{add("a", 4, 200), withCode(rm("a", 404), "not_in_cart")}, map[string]string{"a": "{0}"}, 0, 1},
		{"a set accepted for an absent line", []Event{set("a", 4, 200)}, map[string]string{"a": "{4}"}, 0, 1},
		{"the cap refuses an add", []Event{add("a", 98, 200), add("a", 2, 0), withCode(add("a", 2, 400), "invalid_quantity")}, map[string]string{"a": "{98}"}, 1, 0},
		{"an add refused below the cap", []Event{add("a", 5, 200), withCode(add("a", 2, 400), "invalid_quantity")}, map[string]string{"a": "{5}"}, 0, 1},
		{"an add accepted past the cap", []Event{add("a", 99, 200), add("a", 1, 200)}, map[string]string{"a": "{99}"}, 0, 1},
		{"clear", []Event{add("a", 1, 200), add("b", 2, 200), {Kind: Clear, Status: 204}}, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0},
		{"unknown clear", []Event{add("a", 1, 200), {Kind: Clear, Status: 0}}, map[string]string{"a": "{0,1}", "b": "{0}"}, 1, 0},
		{"logout ends the cart", []Event{add("a", 1, 200), {Kind: Logout, Status: 204}}, map[string]string{"a": "{0}"}, 0, 0},
		{"login carries the cart", []Event{add("a", 1, 200), {Kind: Login, Status: 201}}, map[string]string{"a": "{1}"}, 0, 0},
		{"unknown login may lose it", []Event{add("a", 1, 200), {Kind: Login, Status: 0}}, map[string]string{"a": "{0,1}"}, 1, 0},
		{"a refused login changes nothing", []Event{add("a", 1, 200), {Kind: Login, Status: 401}}, map[string]string{"a": "{1}"}, 0, 0},
		{"a read narrows an unknown", []Event{add("a", 2, 0), showing(Event{Kind: Read, Status: 200}, map[string]int{"a": 2})}, map[string]string{"a": "{2}", "b": "{0}"}, 1, 0},
		{"a body that lost an update", []Event{add("a", 2, 200), showing(add("a", 1, 200), map[string]int{"a": 1})}, map[string]string{"a": "{1}"}, 0, 1},
		{"a read showing an extra line", []Event{showing(Event{Kind: Read, Status: 200}, map[string]int{"b": 1})}, map[string]string{"b": "{1}"}, 0, 1},
		{"a 4xx body is not read as a cart", []Event{showing(withCode(add("a", 1, 404), "unknown_product"), map[string]int{})}, map[string]string{"a": "{0}"}, 0, 0},
		{"a SKU the client does not own", []Event{add("z", 1, 200)}, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Fold(solo, tt.log, Times{}.Classify)
			for sku, want := range tt.want {
				if got := e.Lines[sku].String(); got != want {
					t.Errorf("line %s = %s, want %s", sku, got, want)
				}
			}
			if e.Unknown != tt.unknown {
				t.Errorf("unknown = %d, want %d", e.Unknown, tt.unknown)
			}
			if len(e.Anomalies) != tt.anomalies {
				t.Errorf("anomalies = %q, want %d", e.Anomalies, tt.anomalies)
			}
		})
	}
}

func TestFoldShared(t *testing.T) {
	own := Ownership{Owned: []string{"a"}, Shared: "s"}
	e := Fold(own, []Event{
		add("s", 1, 200), add("s", 1, 200), add("s", 2, 0),
		withCode(add("s", 1, 400), "invalid_quantity"),
		showing(add("a", 1, 200), map[string]int{"a": 1, "s": 7}),
	}, Provisional)
	if e.SharedAcked != 2 || len(e.SharedUnknown) != 1 || e.SharedUnknown[0] != 2 || len(e.Anomalies) != 0 {
		t.Errorf("acked %d, unknown %v, anomalies %q", e.SharedAcked, e.SharedUnknown, e.Anomalies)
	}
	lower := Fold(own, []Event{add("s", 1, 200), add("s", 1, 200), showing(Event{Kind: Read, Status: 200}, map[string]int{"s": 1})}, Provisional)
	if len(lower.Anomalies) != 1 {
		t.Errorf("a shared line below the client's own acknowledged adds must be an anomaly: %q", lower.Anomalies)
	}
	cleared := Fold(own, []Event{{Kind: Clear, Status: 204}}, Provisional)
	if len(cleared.Anomalies) != 1 || !strings.Contains(cleared.Anomalies[0], "shared") {
		t.Errorf("a tab clearing a shared cart breaks the check's premise: %q", cleared.Anomalies)
	}
}

func TestFoldProvisional(t *testing.T) {
	e := withCode(add("a", 5, 503), "store_unavailable")
	if got := Fold(Ownership{Owned: []string{"a"}}, []Event{e}, Provisional).Lines["a"]; got.String() != "{0,5}" {
		t.Errorf("while the run goes on a 503 counts as unknown; got %s", got)
	}
}

func TestCheckCart(t *testing.T) {
	exp := func(own Ownership, lines map[string]QtySet, acked int, unknown ...int) *Expectation {
		e := NewExpectation(own)
		for k, v := range lines {
			e.Lines[k] = v
		}
		e.SharedAcked, e.SharedUnknown = acked, unknown
		return e
	}
	tab1 := exp(Ownership{Owned: []string{"a"}, Shared: "s"}, map[string]QtySet{"a": Only(3)}, 4, 1)
	tab2 := exp(Ownership{Owned: []string{"b"}, Shared: "s"}, map[string]QtySet{"b": Only(0).Union(Only(2))}, 5)
	tests := []struct {
		name    string
		cart    map[string]int
		members []*Expectation
		want    []string
	}{
		{"exact", map[string]int{"a": 3, "s": 9}, []*Expectation{tab1, tab2}, nil},
		{"the unknown shared add applied", map[string]int{"a": 3, "b": 2, "s": 10}, []*Expectation{tab1, tab2}, nil},
		{"a lost shared add", map[string]int{"a": 3, "s": 8}, []*Expectation{tab1, tab2}, []string{"s: got 8, the logs allow {9,10} (lost 1, extra 0)"}},
		{"an extra shared add", map[string]int{"a": 3, "s": 12}, []*Expectation{tab1, tab2}, []string{"s: got 12, the logs allow {9,10} (lost 0, extra 2)"}},
		{"a lost owned line", map[string]int{"s": 9}, []*Expectation{tab1, tab2}, []string{"a: got 0, the logs allow {3} (lost 3, extra 0)"}},
		{"a line nobody added", map[string]int{"a": 3, "s": 9, "z": 1}, []*Expectation{tab1, tab2}, []string{"z: got 1, the logs allow {0} (lost 0, extra 1)"}},
		{"a value between two allowed", map[string]int{"a": 3, "b": 1, "s": 9}, []*Expectation{tab1, tab2}, []string{"b: got 1, the logs allow {0,2} (lost 0, extra 0)"}},
		{"acknowledged past the cap", map[string]int{"s": 99}, []*Expectation{exp(Ownership{Shared: "s"}, nil, 100)}, []string{"s: got 99, the logs allow {} (lost 0, extra 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckCart(tt.cart, tt.members)
			if len(got) != len(tt.want) {
				t.Fatalf("mismatches %v, want %q", got, tt.want)
			}
			for i := range got {
				if got[i].String() != tt.want[i] {
					t.Errorf("mismatch %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

package loadtest

import (
	"strings"
	"testing"
	"time"
)

var final = Judge{Final: true}.Classify

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
		// mismatches: bodies showing a line the log does not allow
		mismatches int
	}{
		{"empty log", nil, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0, 0},
		{"acked adds sum up", []Event{add("a", 2, 200), add("a", 3, 200)}, map[string]string{"a": "{5}", "b": "{0}"}, 0, 0, 0},
		{"a 503 adds nothing", []Event{add("a", 2, 200), withCode(add("a", 3, 503), "store_unavailable")}, map[string]string{"a": "{2}"}, 0, 0, 0},
		{"an unknown add may or may not count", []Event{add("a", 2, 200), add("a", 3, 0)}, map[string]string{"a": "{2,5}"}, 1, 0, 0},
		{"a set after an unknown settles the line", []Event{add("a", 2, 200), add("a", 3, 0), set("a", 7, 200)}, map[string]string{"a": "{7}"}, 1, 0, 0},
		{"set 0 and remove empty the line", []Event{add("a", 1, 200), add("b", 1, 200), set("a", 0, 200), rm("b", 200)}, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0, 0},
		{"unknown remove", []Event{add("a", 4, 200), rm("a", 0)}, map[string]string{"a": "{0,4}"}, 1, 0, 0},
		{"not_in_cart after an unknown add", []Event{add("a", 4, 0), withCode(rm("a", 404), "not_in_cart")}, map[string]string{"a": "{0}"}, 1, 0, 0},
		{"not_in_cart for a line the log holds", []Event{add("a", 4, 200), withCode(rm("a", 404), "not_in_cart")}, map[string]string{"a": "{0}"}, 0, 1, 0},
		{"a set accepted for an absent line", []Event{set("a", 4, 200)}, map[string]string{"a": "{4}"}, 0, 1, 0},
		{"the cap refuses an add", []Event{add("a", 98, 200), add("a", 2, 0), withCode(add("a", 2, 400), "invalid_quantity")}, map[string]string{"a": "{98}"}, 1, 0, 0},
		{"an add refused below the cap", []Event{add("a", 5, 200), withCode(add("a", 2, 400), "invalid_quantity")}, map[string]string{"a": "{5}"}, 0, 1, 0},
		{"an add accepted past the cap", []Event{add("a", 99, 200), add("a", 1, 200)}, map[string]string{"a": "{99}"}, 0, 1, 0},
		{"clear", []Event{add("a", 1, 200), add("b", 2, 200), {Kind: Clear, Status: 204}}, map[string]string{"a": "{0}", "b": "{0}"}, 0, 0, 0},
		{"unknown clear", []Event{add("a", 1, 200), {Kind: Clear, Status: 0}}, map[string]string{"a": "{0,1}", "b": "{0}"}, 1, 0, 0},
		{"logout ends the cart", []Event{add("a", 1, 200), {Kind: Logout, Status: 204}}, map[string]string{"a": "{0}"}, 0, 0, 0},
		{"login carries the cart", []Event{add("a", 1, 200), {Kind: Login, Status: 201}}, map[string]string{"a": "{1}"}, 0, 0, 0},
		{"unknown login may lose it", []Event{add("a", 1, 200), {Kind: Login, Status: 0}}, map[string]string{"a": "{0,1}"}, 1, 0, 0},
		{"a refused login changes nothing", []Event{add("a", 1, 200), {Kind: Login, Status: 401}}, map[string]string{"a": "{1}"}, 0, 0, 0},
		{"a read narrows an unknown", []Event{add("a", 2, 0), showing(Event{Kind: Read, Status: 200}, map[string]int{"a": 2})}, map[string]string{"a": "{2}", "b": "{0}"}, 1, 0, 0},
		{"a body that lost an update", []Event{add("a", 2, 200), showing(add("a", 1, 200), map[string]int{"a": 1})}, map[string]string{"a": "{1}"}, 0, 0, 1},
		{"a read showing an extra line", []Event{showing(Event{Kind: Read, Status: 200}, map[string]int{"b": 1})}, map[string]string{"b": "{1}"}, 0, 0, 1},
		{"a 4xx body is not read as a cart", []Event{showing(withCode(add("a", 1, 404), "unknown_product"), map[string]int{})}, map[string]string{"a": "{0}"}, 0, 0, 0},
		{"a SKU the client does not own", []Event{add("z", 1, 200)}, nil, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Fold(solo, tt.log, final)
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
			if len(e.Mismatches) != tt.mismatches {
				t.Errorf("mismatches = %v, want %d", e.Mismatches, tt.mismatches)
			}
		})
	}
}

func inEpoch(e Event, k int) Event { e.Epoch = k; return e }

func TestFoldSharedAdds(t *testing.T) {
	own := Ownership{Owned: []string{"a"}, Shared: "s"}
	e := Fold(own, []Event{
		add("s", 1, 200), add("s", 1, 200), add("s", 2, 0),
		withCode(add("s", 1, 400), "invalid_quantity"),
		showing(add("a", 1, 200), map[string]int{"a": 1, "s": 7}),
		inEpoch(add("s", 3, 200), 1),
	}, final)
	p0, p1 := e.SharedAdds[0], e.SharedAdds[1]
	if p0.Acked != 2 || len(p0.Unknown) != 1 || p0.Unknown[0] != 2 || p1.Acked != 3 || len(e.Anomalies) != 0 {
		t.Errorf("epoch 0 %+v, epoch 1 %+v, anomalies %q", p0, p1, e.Anomalies)
	}
	lower := Fold(own, []Event{add("s", 1, 200), add("s", 1, 200), showing(Event{Kind: Read, Status: 200}, map[string]int{"s": 1})}, final)
	if len(lower.Mismatches) != 1 || lower.Mismatches[0].Lost != 1 || lower.Mismatches[0].Want.String() != "{2-99}" {
		t.Errorf("a shared line below the client's own acknowledged adds is a lost change: %v", lower.Mismatches)
	}
	later := Fold(own, []Event{add("s", 5, 200), showing(inEpoch(Event{Kind: Read, Status: 200}, 1), map[string]int{"s": 1})}, final)
	if len(later.Anomalies) != 0 {
		t.Errorf("after a reset the line starts again: %q", later.Anomalies)
	}
	cleared := Fold(own, []Event{{Kind: Clear, Status: 204}}, final)
	if len(cleared.Anomalies) != 1 || !strings.Contains(cleared.Anomalies[0], "shared") {
		t.Errorf("a tab clearing a shared cart breaks the check's premise: %q", cleared.Anomalies)
	}
}

func TestFoldShared(t *testing.T) {
	tab := func(parts map[int]*SharedPart) *Expectation {
		e := NewExpectation(Ownership{Shared: "s"})
		e.SharedAdds = parts
		return e
	}
	reset := func(status int, code string) Event { return Event{Kind: Remove, SKU: "s", Status: status, Code: code} }
	two := []*Expectation{
		tab(map[int]*SharedPart{0: {Acked: 3}, 1: {Acked: 2}, 2: {Acked: 1, Unknown: []int{1}}}),
		tab(map[int]*SharedPart{0: {Acked: 4}, 2: {Acked: 5}}),
	}
	tests := []struct {
		name      string
		members   []*Expectation
		resets    []Event
		want      string
		anomalies int
	}{
		{"no resets: one sum", two, nil, "{15,16}", 0},
		{"two acked resets: the last epoch only", two, []Event{reset(200, ""), reset(200, "")}, "{6,7}", 0},
		{"a refused reset keeps the line", two, []Event{reset(200, ""), reset(503, "store_unavailable")}, "{8,9}", 0},
		{"an unknown reset may have kept it", two, []Event{reset(200, ""), reset(0, "")}, "{6-9}", 0},
		{"not_in_cart on an empty epoch", []*Expectation{tab(map[int]*SharedPart{1: {Acked: 2}})}, []Event{reset(404, "not_in_cart")}, "{2}", 0},
		{"not_in_cart on a line with adds", two, []Event{reset(404, "not_in_cart")}, "{8,9}", 1},
		{"acknowledged past the cap", []*Expectation{tab(map[int]*SharedPart{0: {Acked: 60}}), tab(map[int]*SharedPart{0: {Acked: 60}})}, nil, "{}", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, anomalies := FoldShared("s", tt.members, tt.resets, final)
			if line.SKU != "s" || line.Allowed.String() != tt.want {
				t.Errorf("allowed %s %v, want %s", line.SKU, line.Allowed, tt.want)
			}
			if len(anomalies) != tt.anomalies {
				t.Errorf("anomalies %q, want %d", anomalies, tt.anomalies)
			}
		})
	}
}

func TestFoldProvisional(t *testing.T) {
	e := withCode(add("a", 5, 503), "store_unavailable")
	if got := Fold(Ownership{Owned: []string{"a"}}, []Event{e}, Judge{}.Classify).Lines["a"]; got.String() != "{0,5}" {
		t.Errorf("while the run goes on a 503 counts as unknown; got %s", got)
	}
}

func TestCheckCart(t *testing.T) {
	exp := func(owned string, want QtySet) *Expectation {
		e := NewExpectation(Ownership{Owned: []string{owned}, Shared: "s"})
		e.Lines[owned] = want
		return e
	}
	tabs := []*Expectation{exp("a", Only(3)), exp("b", Only(0).Union(Only(2)))}
	shared := &SharedLine{SKU: "s", Allowed: Only(9).Union(Only(10))}
	tests := []struct {
		name   string
		cart   map[string]int
		shared *SharedLine
		want   []string
	}{
		{"exact", map[string]int{"a": 3, "s": 9}, shared, nil},
		{"the unknown changes applied", map[string]int{"a": 3, "b": 2, "s": 10}, shared, nil},
		{"a lost shared add", map[string]int{"a": 3, "s": 8}, shared, []string{"s: got 8, the logs allow {9,10} (lost 1, extra 0)"}},
		{"an extra shared add", map[string]int{"a": 3, "s": 12}, shared, []string{"s: got 12, the logs allow {9,10} (lost 0, extra 2)"}},
		{"a lost owned line", map[string]int{"s": 9}, shared, []string{"a: got 0, the logs allow {3} (lost 3, extra 0)"}},
		{"a line nobody added", map[string]int{"a": 3, "s": 9, "z": 1}, shared, []string{"z: got 1, the logs allow {0} (lost 0, extra 1)"}},
		{"a value between two allowed", map[string]int{"a": 3, "b": 1, "s": 9}, shared, []string{"b: got 1, the logs allow {0,2} (lost 0, extra 0)"}},
		{"nothing allowed", map[string]int{"a": 3, "s": 99}, &SharedLine{SKU: "s"}, []string{"s: got 99, the logs allow {} (lost 0, extra 0)"}},
		{"alone: the shared SKU is just another line", map[string]int{"a": 3, "s": 1}, nil, []string{"s: got 1, the logs allow {0} (lost 0, extra 1)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckCart(tt.cart, tabs, tt.shared)
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

func TestFoldUnknownResolved(t *testing.T) {
	read := func(q int) Event { return showing(Event{Kind: Read, Status: 200}, map[string]int{"a": q}) }
	tests := []struct {
		name                string
		log                 []Event
		applied, notApplied int
		settle              map[string]int // the final cart, nil: none
	}{
		{"an unknown add seen applied", []Event{add("a", 2, 200), add("a", 1, 0), read(3)}, 1, 0, nil},
		{"an unknown add seen not applied", []Event{add("a", 2, 200), add("a", 1, 0), read(2)}, 0, 1, nil},
		{"through a refusal and an add", []Event{add("a", 2, 200), add("a", 1, 0), withCode(add("a", 1, 503), "store_unavailable"), showing(add("a", 2, 200), map[string]int{"a": 5})}, 1, 0, nil},
		{"a set ends the question", []Event{add("a", 2, 200), add("a", 1, 0), set("a", 7, 200), read(7)}, 0, 0, nil},
		{"an unknown remove, seen by not_in_cart", []Event{add("a", 2, 200), rm("a", 0), withCode(rm("a", 404), "not_in_cart")}, 1, 0, nil},
		{"an unknown set on an absent line", []Event{set("a", 3, 0), read(0)}, 0, 0, nil},
		{"settled by the final cart", []Event{add("a", 2, 200), set("a", 5, 0)}, 0, 1, map[string]int{"a": 2}},
		{"an unknown clear leaves no marker", []Event{add("a", 2, 200), add("a", 1, 0), {Kind: Clear, Status: 0}, read(0)}, 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Fold(Ownership{Owned: []string{"a"}}, tt.log, final)
			if tt.settle != nil {
				e.Settle(tt.settle)
			}
			if e.UnknownApplied != tt.applied || e.UnknownNotApplied != tt.notApplied || len(e.Anomalies) != 0 {
				t.Errorf("applied %d, not applied %d, anomalies %q; want %d, %d, none",
					e.UnknownApplied, e.UnknownNotApplied, e.Anomalies, tt.applied, tt.notApplied)
			}
		})
	}
}

func TestFoldKeyed(t *testing.T) {
	tt := Times{Kill: sec(10), Dead: sec(10.1), Restart: sec(13), Ready: sec(13.5)}
	judge := Judge{Times: tt, Final: true, StoreTimeout: 2 * time.Second}.Classify
	solo := Ownership{Owned: []string{"a"}}
	keyed := func(kind Kind, q int, tries ...Attempt) Event {
		e := chain("k", tries...)
		e.Kind, e.Qty = kind, q
		return e
	}
	forget := func(e Event) Event { e.Turnover = RingKeys; return e }
	read := func(q int, at float64) Event {
		return showing(Event{Kind: Read, Status: 200, Start: sec(at), End: sec(at + 0.1)}, map[string]int{"a": q})
	}
	tests := []struct {
		name                   string
		log                    []Event
		want                   string
		twice, anomalies, mism int
	}{
		{"a replay after a 503 in flight counts once",
			[]Event{add("a", 2, 200), keyed(Add, 1, try(503, 9.9, 10.2), replay(try(200, 14, 14.1)))}, "{3}", 0, 0, 0},
		{"a slow add without a key counts once (the server's operation ID)",
			[]Event{add("a", 2, 200), {Kind: Add, SKU: "a", Qty: 1, Status: 200, Start: sec(1), End: sec(4)}}, "{3}", 0, 0, 0},
		{"a slow add without a key seen applied twice is a double application",
			[]Event{add("a", 2, 200), {Kind: Add, SKU: "a", Qty: 1, Status: 200, Start: sec(1), End: sec(4)}, read(4, 5)}, "{4}", 0, 0, 1},
		{"retries that ran out leave both outcomes",
			[]Event{add("a", 2, 200), keyed(Add, 1, try(503, 9.9, 10.2), try(503, 12, 12.01))}, "{2,3}", 0, 0, 0},
		{"retries that ran out while the store was down: not applied",
			[]Event{add("a", 2, 200), keyed(Add, 1, try(503, 11, 11.01), try(503, 12, 12.01))}, "{2}", 0, 0, 0},
		{"a key that may have left the ring: once or twice",
			[]Event{add("a", 2, 200), forget(keyed(Add, 1, try(0, 1, 2), try(200, 3, 3.1)))}, "{3,4}", 0, 0, 0},
		{"... and seen twice",
			[]Event{add("a", 2, 200), forget(keyed(Add, 1, try(0, 1, 2), try(200, 3, 3.1))), read(4, 4)}, "{4}", 1, 0, 0},
		{"... a remove that found nothing on its retry",
			[]Event{add("a", 2, 200), forget(withCode(keyed(Remove, 0, try(0, 1, 2), try(404, 3, 3.1)), "not_in_cart"))}, "{0}", 1, 0, 0},
		{"a remove answered 404 though no attempt could have removed it",
			[]Event{add("a", 2, 200), withCode(keyed(Remove, 0, try(503, 11, 11.01), try(404, 14, 14.1)), "not_in_cart")}, "{0}", 0, 1, 0},
		{"a forgotten key refused at the cap: the earlier attempt may have added",
			[]Event{add("a", 97, 200), forget(withCode(keyed(Add, 2, try(0, 1, 2), try(400, 3, 3.1)), "invalid_quantity"))}, "{99}", 0, 0, 0},
		{"a forgotten key refused for another reason",
			[]Event{add("a", 2, 200), forget(withCode(keyed(Add, 1, try(0, 1, 2), try(422, 3, 3.1)), "idempotency_key_reused"))}, "{2,3}", 0, 1, 0},
		{"a forgotten set: set twice is set once",
			[]Event{add("a", 2, 200), forget(keyed(Set, 5, try(0, 1, 2), try(200, 3, 3.1)))}, "{5}", 0, 0, 0},
		{"a forgotten set refused: may have been set",
			[]Event{add("a", 2, 200), forget(withCode(keyed(Set, 5, try(0, 1, 2), try(422, 3, 3.1)), "idempotency_key_reused"))}, "{2,5}", 0, 1, 0},
		{"a replay of nothing is an anomaly",
			[]Event{add("a", 2, 200), keyed(Add, 1, replay(try(200, 1, 1.1)))}, "{3}", 0, 1, 0},
	}
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			e := Fold(solo, x.log, judge)
			if got := e.Lines["a"].String(); got != x.want {
				t.Errorf("line a = %s, want %s", got, x.want)
			}
			if e.Twice != x.twice || len(e.Anomalies) != x.anomalies || len(e.Mismatches) != x.mism {
				t.Errorf("twice %d, anomalies %q, mismatches %v; want %d, %d, %d", e.Twice, e.Anomalies, e.Mismatches, x.twice, x.anomalies, x.mism)
			}
		})
	}
	e := Fold(solo, []Event{add("a", 2, 200), forget(keyed(Add, 1, try(0, 1, 2), try(200, 3, 3.1)))}, judge)
	e.Settle(map[string]int{"a": 4})
	if e.Twice != 1 {
		t.Errorf("a final cart showing a second application counts it: %d", e.Twice)
	}
	shared := Fold(Ownership{Shared: "s"}, []Event{
		forget(func() Event { x := keyed(Add, 2, try(0, 1, 2), try(200, 3, 3.1)); x.SKU = "s"; return x }()),
		func() Event { x := keyed(Add, 1, try(503, 9.9, 10.2), try(503, 12, 12.1)); x.SKU = "s"; return x }(),
	}, judge)
	if p := shared.SharedAdds[0]; p.Acked != 2 || len(p.Unknown) != 2 || p.Unknown[0] != 2 || p.Unknown[1] != 1 {
		t.Errorf("shared adds: acked %d, unknown %v; want 2, and 2 (a second application) and 1 (ran out)", p.Acked, p.Unknown)
	}
}

func TestFoldSharedKeyedResets(t *testing.T) {
	tt := Times{Kill: sec(10), Dead: sec(10.1), Restart: sec(13), Ready: sec(13.5)}
	judge := Judge{Times: tt, Final: true, StoreTimeout: 2 * time.Second}.Classify
	tab := NewExpectation(Ownership{Shared: "s"})
	tab.SharedAdds = map[int]*SharedPart{0: {Acked: 3}, 1: {Acked: 2}}
	reset := func(tries ...Attempt) Event { e := chain("r", tries...); e.Kind, e.SKU = Remove, "s"; return e }
	tests := []struct {
		name      string
		r         Event
		want      string
		anomalies int
	}{
		{"retried to a replay", reset(try(503, 9.9, 10.2), replay(try(200, 14, 14.1))), "{2}", 0},
		{"retried to an answer", reset(try(503, 11, 11.01), try(200, 14, 14.1)), "{2}", 0},
		{"ran out in flight", reset(try(503, 9.9, 10.2), try(503, 12, 12.1)), "{2,5}", 0},
		{"ran out while down", reset(try(503, 11, 11.01), try(503, 12, 12.1)), "{5}", 0},
		{"a replay of nothing", reset(replay(try(200, 1, 1.1))), "{2}", 1},
		{"forgotten, then not in the cart", func() Event {
			e := withCode(reset(try(0, 1, 2), try(404, 3, 3.1)), "not_in_cart")
			e.Turnover = RingKeys
			return e
		}(), "{2}", 0},
		{"not in the cart though it held 3", withCode(reset(try(404, 3, 3.1)), "not_in_cart"), "{2}", 1},
		{"forgotten, refused otherwise", func() Event {
			e := withCode(reset(try(0, 1, 2), try(422, 3, 3.1)), "idempotency_key_reused")
			e.Turnover = RingKeys
			return e
		}(), "{2,5}", 1},
	}
	for _, x := range tests {
		t.Run(x.name, func(t *testing.T) {
			line, anomalies := FoldShared("s", []*Expectation{tab}, []Event{x.r}, judge)
			if line.Allowed.String() != x.want || len(anomalies) != x.anomalies {
				t.Errorf("allowed %v, anomalies %q; want %s and %d", line.Allowed, anomalies, x.want, x.anomalies)
			}
		})
	}
}

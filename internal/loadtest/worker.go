package loadtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"
)

// The operations, as the statistics name them.
const (
	OpProducts = "GET /api/products"
	OpSession  = "GET /api/session"
	OpCart     = "GET /api/cart"
	OpAdd      = "POST /api/cart/items"
	OpSet      = "PUT /api/cart/items/{sku}"
	OpRemove   = "DELETE /api/cart/items/{sku}"
	OpClear    = "DELETE /api/cart"
	OpRegister = "POST /api/register"
	OpLogin    = "POST /api/login"
	OpLogout   = "POST /api/logout"
)

// SKUs are the catalogue's products (internal/cart), as a client knows them.
var SKUs = []string{"tea-sencha", "tea-assam", "mug-stoneware", "teapot-glass", "honey-acacia", "biscuits-oat"}

type action int

const (
	actProducts action = iota
	actSession
	actCart
	actAdd
	actAddShared
	actSet
	actRemove
	actClear
)

// The mix: weights per action for a client alone in its session and for a
// tab of a shared one (tabs never clear, so their adds to the shared line
// commute).
var (
	soloMix = []int{actProducts: 12, actSession: 10, actCart: 14, actAdd: 26, actSet: 14, actRemove: 10, actClear: 2}
	tabMix  = []int{actProducts: 12, actSession: 10, actCart: 14, actAdd: 20, actAddShared: 14, actSet: 12, actRemove: 8}
)

// authPlan is when (fraction of the run) an account client authenticates
// (register the first time, log in after) or logs out.
var authPlan = []struct {
	at    float64
	login bool
}{{0.10, true}, {0.40, false}, {0.45, true}, {0.75, false}, {0.80, true}}

// worker is one simulated user: a tab of a browser.
type worker struct {
	name    string
	b       *browser
	rng     *rand.Rand
	mix     []int
	own     Ownership
	live    *Expectation // nil for a resetter
	log     []Event
	samples []Sample
	notes   []string // anomalies outside the cart (session, account)
	account *account
	group   *session // the tab group, nil for a client alone
	epoch   int      // the group's epoch while a request runs
	judge   Judge    // the provisional one, for the live expectation
	how     sending
}

// sending is how a worker sends its changes.
type sending struct {
	retry RetryPolicy
	// unkeyed is the share of changes sent without a key (never retried);
	// double the share of keyed ones sent twice at once.
	unkeyed, double float64
}

func newWorker(name string, b *browser, seed uint64, own Ownership, mix []int) *worker {
	return &worker{name: name, b: b, rng: rand.New(rand.NewPCG(seed, 0x5e55)), mix: mix, own: own, live: NewExpectation(own)}
}

// account is the state of a client that registers and logs in.
type account struct {
	username, password string
	exists             tri // does the account exist?
	authed             tri // is the browser logged in?
	next               int // index into authPlan
}

type tri int

const (
	no tri = iota
	yes
	maybe
)

func (w *worker) note(format string, args ...any) {
	if len(w.notes) < 20 {
		w.notes = append(w.notes, w.name+": "+fmt.Sprintf(format, args...))
	}
}

// storeUse says when a request needs the session store.
type storeUse int

const (
	storeNever      storeUse = iota // GET /api/products
	storeWithCookie                 // only when a session cookie is sent
	storeAlways                     // an add or a login
)

// send does one request and records its sample; attempt is 1 for the
// first send of a change, 2 for its first retry, and so on.
func (w *worker) send(ctx context.Context, op string, q request, use storeUse, attempt int) response {
	r := w.b.do(ctx, q)
	w.sample(op, q, r, use, attempt)
	return r
}

func (w *worker) sample(op string, q request, r response, use storeUse, attempt int) {
	w.samples = append(w.samples, Sample{
		Op: op, Status: r.status, Code: r.code, Retry: r.hasRetry, Replayed: r.replayed,
		Store: use == storeAlways || use == storeWithCookie && r.cookie, Start: r.start, Latency: r.latency,
		Wait: r.wait, Attempt: attempt, Keyed: q.key != "",
	})
}

// logged does a request that shows the cart or changes the account (no
// key: those routes take none) once, and logs it.
func (w *worker) logged(ctx context.Context, ev Event, op string, q request, use storeUse) response {
	r := w.send(ctx, op, q, use, 1)
	w.record(ev, r)
	return r
}

// record logs ev with its answer r and folds it into the live expectation.
func (w *worker) record(ev Event, r response) {
	a := r.attempt()
	ev.Status, ev.Code, ev.Replayed, ev.Start, ev.End = a.Status, a.Code, a.Replayed, a.Start, a.End
	ev.Epoch = w.epoch
	ev.Cart = r.cart()
	w.log = append(w.log, ev)
	if w.live != nil {
		w.live.Apply(ev, w.judge.Classify(ev))
	}
}

// mode is how one change is sent.
type mode struct{ keyed, double bool }

// pickMode draws how the next change is sent: without a key for the
// unkeyed share; otherwise with one, and for the double share sent twice
// at once (a double click, a retry racing its original) when the browser
// has a session (a change that starts a session records its key only in
// the session it starts, so two such would start two).
func (w *worker) pickMode() mode {
	if w.rng.Float64() < w.how.unkeyed {
		return mode{}
	}
	return mode{keyed: true, double: w.b.hasSession() && w.rng.Float64() < w.how.double}
}

// change sends a cart change as the site does, and logs it. With a key,
// an answer that says nothing (no response, a timeout, a 503) is followed
// by the same request with the same key, as the retry policy says, until
// a definite answer or the policy's bound; without one it is sent once,
// whatever comes back (the server's operation ID covers only its own
// store client's retries).
func (w *worker) change(ctx context.Context, ev Event, op string, q request, m mode) response {
	use := storeWithCookie
	if ev.Kind == Add {
		use = storeAlways
	}
	q.measure = true
	if m.keyed {
		q.key = newKey()
		ev.Key = q.key
	}
	began := time.Now()
	var r response
	if m.double {
		var twin response
		r, twin = w.sendTwice(ctx, op, q, use)
		ev.Twin = true
		ev.Earlier = append(ev.Earlier, twin.attempt())
	} else {
		r = w.send(ctx, op, q, use, 1)
	}
	for n := 1; m.keyed && ctx.Err() == nil; n++ {
		wait, again := w.how.retry.Next(n, r.status, r.retryAfter, time.Since(began), w.rng.Float64())
		if !again || !sleepUntil(ctx, time.Now().Add(wait)) {
			break
		}
		ev.Earlier = append(ev.Earlier, r.attempt())
		r = w.send(ctx, op, q, use, n+1)
	}
	w.record(ev, r)
	return r
}

// sendTwice sends q twice at once; the answer is a 2xx if one came, else
// the one that ended last, and the twin is the other.
func (w *worker) sendTwice(ctx context.Context, op string, q request, use storeUse) (answer, twin response) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); twin = w.b.do(ctx, q) }()
	answer = w.b.do(ctx, q)
	wg.Wait()
	if better(twin, answer) {
		answer, twin = twin, answer
	}
	w.sample(op, q, twin, use, 1)
	w.sample(op, q, answer, use, 1)
	return answer, twin
}

// better reports whether x is the better answer of two to one change: a
// 2xx before anything else, then the later one.
func better(x, y response) bool {
	if xok, yok := x.ok(), y.ok(); xok != yok {
		return xok
	}
	return x.start.Add(x.latency).After(y.start.Add(y.latency))
}

// newKey is a fresh Idempotency-Key: 96 random bits (crypto/rand, so no
// two clients ever draw the same, whatever their seeds).
func newKey() string { return "lt-" + randomHex(12) }

// run does requests until the deadline, maxOps or ctx ends.
func (w *worker) run(ctx context.Context, began time.Time, d time.Duration, maxOps int) {
	deadline := began.Add(d)
	for i := 0; i < maxOps && ctx.Err() == nil && time.Now().Before(deadline); i++ {
		if a := w.account; a != nil && a.next < len(authPlan) &&
			time.Since(began) >= time.Duration(authPlan[a.next].at*float64(d)) {
			if authPlan[a.next].login {
				w.authenticate(ctx)
			} else {
				w.logout(ctx)
			}
			a.next++
			continue
		}
		w.stepInGroup(ctx, w.pick())
	}
}

// stepInGroup does one action; a tab holds its group's gate while it runs,
// so a reset of the shared line never overlaps a tab's request.
func (w *worker) stepInGroup(ctx context.Context, a action) {
	if g := w.group; g != nil {
		g.gate.RLock()
		defer g.gate.RUnlock()
		w.epoch = g.epoch
	}
	w.step(ctx, a)
}

func (w *worker) pick() action {
	total := 0
	for _, n := range w.mix {
		total += n
	}
	n := w.rng.IntN(total)
	for a, weight := range w.mix {
		if n < weight {
			return action(a)
		}
		n -= weight
	}
	return actProducts
}

func (w *worker) step(ctx context.Context, a action) {
	switch a {
	case actProducts:
		w.send(ctx, OpProducts, request{method: http.MethodGet, path: "/api/products"}, storeNever, 1)
	case actSession:
		w.readSession(ctx)
	case actCart:
		w.logged(ctx, Event{Kind: Read}, OpCart, request{method: http.MethodGet, path: "/api/cart", measure: true}, storeWithCookie)
	case actAdd:
		w.add(ctx)
	case actAddShared:
		w.addTo(ctx, w.own.Shared, 1)
	case actSet, actRemove:
		sku, ok := w.presentSKU()
		switch {
		case !ok:
			w.add(ctx)
		case a == actSet:
			w.setTo(ctx, sku, 1+w.rng.IntN(5))
		default:
			w.change(ctx, Event{Kind: Remove, SKU: sku}, OpRemove, request{method: http.MethodDelete, path: "/api/cart/items/" + sku}, w.pickMode())
		}
	case actClear:
		w.change(ctx, Event{Kind: Clear}, OpClear, request{method: http.MethodDelete, path: "/api/cart"}, w.pickMode())
	}
}

// add adds 1–3 to an owned line, or sets the line when an add could pass
// the cap. A tab that owns no line (more tabs than SKUs) adds to the shared
// one.
func (w *worker) add(ctx context.Context) {
	if len(w.own.Owned) == 0 {
		w.addTo(ctx, w.own.Shared, 1)
		return
	}
	sku := w.own.Owned[w.rng.IntN(len(w.own.Owned))]
	q := 1 + w.rng.IntN(3)
	if w.live.Lines[sku].Max()+q > MaxQuantity {
		w.setTo(ctx, sku, 1+w.rng.IntN(5))
		return
	}
	w.addTo(ctx, sku, q)
}

func (w *worker) addTo(ctx context.Context, sku string, q int) response {
	return w.change(ctx, Event{Kind: Add, SKU: sku, Qty: q}, OpAdd,
		request{method: http.MethodPost, path: "/api/cart/items", body: map[string]any{"sku": sku, "quantity": q}}, w.pickMode())
}

func (w *worker) setTo(ctx context.Context, sku string, q int) {
	w.change(ctx, Event{Kind: Set, SKU: sku, Qty: q}, OpSet,
		request{method: http.MethodPut, path: "/api/cart/items/" + sku, body: map[string]any{"quantity": q}}, w.pickMode())
}

// presentSKU picks an owned line that may be in the cart.
func (w *worker) presentSKU() (string, bool) {
	var present []string
	for _, sku := range w.own.Owned {
		if w.live.Lines[sku].Max() > 0 {
			present = append(present, sku)
		}
	}
	if len(present) == 0 {
		return "", false
	}
	return present[w.rng.IntN(len(present))], true
}

// readSession reads GET /api/session and checks it: a session cookie names
// a live session (none is ever ended by the server during a run), and an
// account client is logged in exactly when it believes so.
func (w *worker) readSession(ctx context.Context) {
	r := w.send(ctx, OpSession, request{method: http.MethodGet, path: "/api/session", measure: true}, storeWithCookie, 1)
	if r.status != http.StatusOK {
		return
	}
	v, err := r.session()
	if err != nil {
		w.note("GET /api/session: %v", err)
		return
	}
	if r.cookie && v.Session == nil {
		w.note("GET /api/session: the session cookie names no live session (session lost)")
	}
	a := w.account
	if a == nil {
		if v.Authenticated {
			w.note("GET /api/session: authenticated, but this client never logged in")
		}
		return
	}
	if a.authed != maybe && v.Authenticated != (a.authed == yes) {
		w.note("GET /api/session: authenticated=%v, but the last acknowledged login/logout says %v", v.Authenticated, a.authed == yes)
	}
	if v.Authenticated && (v.User == nil || v.User.Username != a.username) {
		w.note("GET /api/session: logged in as someone else")
	}
	a.authed = no
	if v.Authenticated {
		a.authed = yes
	}
}

// authenticate registers (first time) or logs in. A 409 on register means
// an earlier register of unknown outcome did apply: log in instead; a 401 on
// login after such a register means it did not: register.
func (w *worker) authenticate(ctx context.Context) {
	a := w.account
	creds := map[string]any{"username": a.username, "password": a.password}
	for try := 0; try < 2; try++ {
		if a.exists == no {
			r := w.logged(ctx, Event{Kind: Login}, OpRegister, request{method: http.MethodPost, path: "/api/register", body: creds}, storeAlways)
			switch {
			case r.status == http.StatusCreated:
				a.exists, a.authed = yes, yes
				return
			case r.status == http.StatusConflict && r.code == "username_taken":
				a.exists = yes
				continue
			}
			a.settle(r)
			return
		}
		r := w.logged(ctx, Event{Kind: Login}, OpLogin, request{method: http.MethodPost, path: "/api/login", body: creds}, storeAlways)
		switch {
		case r.status == http.StatusOK:
			a.exists, a.authed = yes, yes
			return
		case r.status == http.StatusUnauthorized && a.exists == maybe:
			a.exists = no
			continue
		case r.status == http.StatusUnauthorized:
			w.note("POST /api/login: 401 for an account that was created")
		}
		a.settle(r)
		return
	}
}

// settle marks what an answer that was neither a success nor an expected
// refusal leaves unknown.
func (a *account) settle(r response) {
	if r.status == 0 || r.status >= 500 {
		if a.exists == no {
			a.exists = maybe
		}
		a.authed = maybe
	}
}

func (w *worker) logout(ctx context.Context) {
	r := w.logged(ctx, Event{Kind: Logout}, OpLogout, request{method: http.MethodPost, path: "/api/logout", measure: true}, storeWithCookie)
	switch {
	case r.status == http.StatusNoContent:
		w.account.authed = no
	case r.status == 0 || r.status >= 500:
		w.account.authed = maybe
	}
}

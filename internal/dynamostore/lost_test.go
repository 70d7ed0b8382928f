package dynamostore_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
)

// productionAttempts gives the client production's attempt timeout (2 s),
// so that an answer the proxy holds for longer makes the SDK retry.
func productionAttempts(o *dynamodb.Options) {
	o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(dynamoclient.AttemptTimeout)
}

// lostAnswers are the ways an answer gets lost: dropped after the write
// landed, or held past the client's attempt timeout.
var lostAnswers = map[string]dynamotest.Fault{
	"dropped": {Drop: true},
	"delayed": {Delay: dynamoclient.AttemptTimeout + 500*time.Millisecond},
}

// clients are the store's two ways of learning why a condition failed.
var clients = map[string]func(*dynamodb.Options){
	"old item returned": func(*dynamodb.Options) {},
	"old item read":     withoutOldItem,
}

// lostEnv is a store whose nth call of op loses its answer as f says.
func lostEnv(t *testing.T, client func(*dynamodb.Options), f dynamotest.Fault, op string, nth int) (*dynamotest.Env, *dynamostore.Store) {
	t.Helper()
	env := dynamotest.New(t)
	var calls atomic.Int32
	f.Times = 1
	f.Match = func(r *http.Request) bool {
		return dynamotest.Target(op)(r) && int(calls.Add(1)) == nth
	}
	env.Proxy.Inject(f)
	opts := []func(*dynamodb.Options){client}
	if f.Delay > 0 {
		opts = append(opts, productionAttempts)
	}
	return env, dynamostore.New(dynamodb.New(env.Client.Options(), opts...), env.SessionsTable, env.UsersTable)
}

// TestLostAnswerAppliedOnce: a change reaches DynamoDB, its answer is lost
// (dropped, or held past the attempt timeout), the SDK retries; the retry
// finds the change's key in the ring and applies nothing. The change
// counts once, and is reported applied, not replayed. Also for the first
// write to a new map (the store's second UpdateItem), without a key from
// the client (the Manager's operation ID), and for Create.
func TestLostAnswerAppliedOnce(t *testing.T) {
	for lost, fault := range lostAnswers {
		for client, opt := range clients {
			t.Run(lost+", "+client, func(t *testing.T) {
				t.Parallel()
				t.Run("counter", func(t *testing.T) { testLostUpdate(t, opt, fault, counterChange("k", 1), 1) })
				add := session.AddToEntry{Map: "bag", Entry: "tea", Delta: 2, Range: session.Range{Min: 1, Max: 9, Err: errRange}, MaxEntries: 3, ErrFull: errRange}
				// The first UpdateItem finds no map; the second writes it whole.
				t.Run("new map", func(t *testing.T) { testLostUpdate(t, opt, fault, session.Change{Key: "k", Ops: []session.Op{add}}, 2) })
				t.Run("create", func(t *testing.T) { testLostCreate(t, opt, fault) })
				t.Run("operation ID", func(t *testing.T) { testLostOperationID(t, opt, fault) })
			})
		}
	}
}

func testLostUpdate(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault, c session.Change, nth int) {
	env, s := lostEnv(t, opt, f, "UpdateItem", nth)
	now := time.Now()
	rec := record(session.StoreKey([]byte("lost")), "", now)
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	out, err := s.Update(t.Context(), rec.Key, c, now)
	if err != nil || !out.Found || out.Replayed {
		t.Fatalf("Update with a lost answer: %+v, %v; want applied", out, err)
	}
	if env.Proxy.Pending() != 0 || env.Proxy.Forwarded("UpdateItem") != nth+1 {
		t.Fatalf("the fault was not hit (%d left) or the SDK did not retry (%d UpdateItems, want %d)",
			env.Proxy.Pending(), env.Proxy.Forwarded("UpdateItem"), nth+1)
	}
	want, _ := session.Apply(session.Data{}, c.Ops)
	got, _, err := s.Get(t.Context(), rec.Key, now)
	if err != nil || !got.Data.Equal(want) || !out.Data.Equal(want) {
		t.Fatalf("after the retry: stored %v, answered %v, want %v once (err %v)", got.Data, out.Data, want, err)
	}
	if len(got.Applied) != 1 {
		t.Errorf("%d keys recorded, want 1", len(got.Applied))
	}
	// The client's own repeat is still a replay.
	if out, err := s.Update(t.Context(), rec.Key, c, now); err != nil || !out.Replayed || !out.Data.Equal(want) {
		t.Errorf("the client's repeat: %+v, %v; want a replay", out, err)
	}
}

func testLostCreate(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault) {
	env, s := lostEnv(t, opt, f, "PutItem", 1)
	now := time.Now()
	rec := record(session.StoreKey([]byte("lost create")), "", now)
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatalf("Create with a lost answer: %v", err)
	}
	if env.Proxy.Forwarded("PutItem") != 2 {
		t.Fatalf("%d PutItems, want 2 (the SDK's retry)", env.Proxy.Forwarded("PutItem"))
	}
	if _, found, err := s.Get(t.Context(), rec.Key, now); !found || err != nil {
		t.Fatalf("after Create: found %v, %v", found, err)
	}
	if err := s.Create(t.Context(), rec); err != session.ErrExists {
		t.Errorf("a second Create: %v, want ErrExists", err)
	}
}

// testLostOperationID: a change without an Idempotency-Key, through the
// Manager, whose answer is lost: applied once, and not a replay.
func testLostOperationID(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault) {
	env, s := lostEnv(t, opt, f, "UpdateItem", 1)
	m, err := session.NewManager(session.Options{Store: s, Keys: [][]byte{make([]byte, 32)}, Timeouts: session.DefaultTimeouts})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if _, err := m.Start(w, httptest.NewRequest("GET", "/", nil), session.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("Cookie", w.Header().Get("Set-Cookie"))
	c := counterChange("", 1)
	out, err := m.Change(httptest.NewRecorder(), r, c)
	if err != nil || !out.Found || out.Replayed || out.Data.Counters["c"] != 1 {
		t.Fatalf("Change without a key, answer lost: %+v, %v; want applied once", out, err)
	}
	if env.Proxy.Pending() != 0 || env.Proxy.Forwarded("UpdateItem") != 2 {
		t.Fatalf("the fault was not hit, or the SDK did not retry (%d UpdateItems)", env.Proxy.Forwarded("UpdateItem"))
	}
}

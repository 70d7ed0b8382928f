package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/user/usertest"
)

// withoutOldItem drops the item DynamoDB returns with a failed condition
// (ReturnValuesOnConditionCheckFailure), as dynalite does, so the store
// must fall back to its consistent read to tell the outcome.
func withoutOldItem(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("dropOldItem",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				var ccf *types.ConditionalCheckFailedException
				if errors.As(err, &ccf) {
					ccf.Item = nil
				}
				return out, md, err
			}), middleware.Before)
	})
}

// TestSessionStoreWithoutOldItem runs the suite as on an emulator that
// ignores ReturnValuesOnConditionCheckFailure.
func TestSessionStoreWithoutOldItem(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store {
		env := dynamotest.New(t)
		client := dynamodb.New(env.Client.Options(), withoutOldItem)
		return dynamostore.New(client, env.SessionsTable, env.UsersTable)
	})
}

// TestUserStoreWithoutOldItem runs the account and throttle suite as on an
// emulator that ignores ReturnValuesOnConditionCheckFailure: a refused or
// stale attempt is then told apart by the consistent read.
func TestUserStoreWithoutOldItem(t *testing.T) {
	usertest.Run(t, func(t *testing.T) (user.Store, user.Throttle) {
		env := dynamotest.New(t)
		s := dynamostore.New(dynamodb.New(env.Client.Options(), withoutOldItem), env.SessionsTable, env.UsersTable)
		return s, s
	})
}

func record(key, username string, now time.Time) session.Record {
	return session.Record{
		Key: key, Username: username,
		CreatedAt: now, LastSeenAt: now, IdleWindow: 30 * time.Minute,
		IdleDeadline: now.Add(30 * time.Minute), AbsoluteDeadline: now.Add(12*time.Hour + 300*time.Millisecond),
	}
}

func getRaw(t *testing.T, env *dynamotest.Env, table, attr, key string) map[string]types.AttributeValue {
	t.Helper()
	out, err := env.Client.GetItem(t.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(table), ConsistentRead: aws.Bool(true),
		Key: map[string]types.AttributeValue{attr: &types.AttributeValueMemberS{Value: key}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Item
}

func number(t *testing.T, item map[string]types.AttributeValue, name string) string {
	t.Helper()
	n, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		t.Fatalf("attribute %s = %#v, want a number", name, item[name])
	}
	return n.Value
}

// errRange is the tests' refusal of a value out of range.
var errRange = errors.New("out of range")

// counterChange adds delta to the counter "c" under key (fingerprint "fp").
func counterChange(key string, delta int64) session.Change {
	return session.Change{Key: key, Fingerprint: "fp", Ops: []session.Op{session.AddToCounter{Counter: "c", Delta: delta,
		Range: session.Range{Min: 0, Max: 1 << 40, Err: errRange}}}}
}

// TestItemLayout checks the attributes as stored: Unix milliseconds, the TTL
// in epoch seconds (rounded up from the absolute deadline), an empty data
// map, a ring of session.MaxKeys placeholders, and no username or
// authenticatedAt while anonymous (the index stays sparse); then the data
// and the ring after a change.
func TestItemLayout(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.UnixMilli(1_800_000_000_123).UTC()
	anon := record(session.StoreKey([]byte("anon")), "", now)
	if err := s.Create(t.Context(), anon); err != nil {
		t.Fatal(err)
	}
	item := getRaw(t, env, env.SessionsTable, "id", anon.Key)
	for _, name := range []string{"username", "authenticatedAt", "cart"} {
		if _, ok := item[name]; ok {
			t.Errorf("an anonymous session has a %s attribute", name)
		}
	}
	if data, ok := item["data"].(*types.AttributeValueMemberM); !ok || len(data.Value) != 0 {
		t.Errorf("data = %#v, want an empty map", item["data"])
	}
	for _, name := range []string{"recentKeys", "recentInfo"} {
		if got := list(t, item, name); strings.Join(got, "") != strings.Repeat(".", session.MaxKeys) {
			t.Errorf("%s = %q, want %d placeholders", name, got, session.MaxKeys)
		}
	}
	for name, want := range map[string]string{
		"createdAt":        "1800000000123",
		"idleDeadline":     "1800001800123",
		"absoluteDeadline": "1800043200423",
		"idleWindow":       "1800000",
		"expiresAt":        "1800043201", // ceil(absoluteDeadline / 1000)
	} {
		if got := number(t, item, name); got != want {
			t.Errorf("%s = %s, want %s", name, got, want)
		}
	}
	at := now.Add(time.Second)
	add := session.AddToEntry{Map: "bag", Entry: "tea", Delta: 2, Range: session.Range{Min: 1, Max: 9, Err: errors.New("range")}, MaxEntries: 3, ErrFull: errors.New("full")}
	if _, err := s.Update(t.Context(), anon.Key, session.Change{Key: "k1", Fingerprint: "fp", Ops: []session.Op{add, session.AddToCounter{Counter: "visits", Delta: 1,
		Range: session.Range{Max: 10, Err: errors.New("range")}}}}, at); err != nil {
		t.Fatal(err)
	}
	item = getRaw(t, env, env.SessionsTable, "id", anon.Key)
	data := item["data"].(*types.AttributeValueMemberM).Value
	if bag, ok := data["bag"].(*types.AttributeValueMemberM); !ok || number(t, bag.Value, "tea") != "2" || number(t, data, "visits") != "1" {
		t.Errorf("data after a change = %#v", data)
	}
	a, _ := session.AppliedFor(session.Change{Key: "k1", Fingerprint: "fp"}, at)
	keys, info := list(t, item, "recentKeys"), list(t, item, "recentInfo")
	// 1800000001 s is minute 546240 from 2026-01-01, in four base64url digits, most significant first: CFXA.
	if len(keys) != session.MaxKeys || len(info) != session.MaxKeys || keys[session.MaxKeys-1] != a.Key ||
		info[session.MaxKeys-1] != a.Fingerprint+"CFXA" || keys[session.MaxKeys-2] != "." || info[0] != "." {
		t.Errorf("ring after a change = %q, %q; want the last slot %q, %q", keys, info, a.Key, a.Fingerprint+"CFXA")
	}
	if got := number(t, item, "lastSeenAt"); got != "1800000001123" {
		t.Errorf("lastSeenAt = %s", got)
	}

	authed := record(session.StoreKey([]byte("user")), "una", now)
	authed.AuthenticatedAt = now
	if err := s.Create(t.Context(), authed); err != nil {
		t.Fatal(err)
	}
	item = getRaw(t, env, env.SessionsTable, "id", authed.Key)
	if got := number(t, item, "authenticatedAt"); got != "1800000000123" {
		t.Errorf("authenticatedAt = %s", got)
	}
	if _, err := s.CountAttempt(t.Context(), "lena", now, user.Limit{Max: 5, Window: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	counter := getRaw(t, env, env.UsersTable, "username", "#throttle#lena")
	if got := number(t, counter, "expiresAt"); got != "1800000901" {
		t.Errorf("counter expiresAt = %s, want 1800000901", got)
	}
}

// list returns the strings of a list attribute.
func list(t *testing.T, item map[string]types.AttributeValue, name string) []string {
	t.Helper()
	l, ok := item[name].(*types.AttributeValueMemberL)
	if !ok {
		t.Fatalf("%s = %#v, want a list", name, item[name])
	}
	var out []string
	for _, v := range l.Value {
		out = append(out, v.(*types.AttributeValueMemberS).Value)
	}
	return out
}

// ringOf is a ring of n slots, each holding key and info.
func ringOf(key, info types.AttributeValue, n int) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"recentKeys": &types.AttributeValueMemberL{Value: slices.Repeat([]types.AttributeValue{key}, n)},
		"recentInfo": &types.AttributeValueMemberL{Value: slices.Repeat([]types.AttributeValue{info}, n)},
	}
}

// TestCounterOfAnOlderLayout checks that a counter item without attempts
// (the "failures" layout before CountAttempt, or a partial item) in a live
// window is replaced by a new window, never an error or a lock-out.
func TestCounterOfAnOlderLayout(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now().UTC().Truncate(time.Millisecond)
	limit := user.Limit{Max: 5, Window: 15 * time.Minute}
	for name, item := range map[string]map[string]types.AttributeValue{
		"failures layout": {"failures": &types.AttributeValueMemberN{Value: "5"},
			"windowEnds": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(time.Minute).UnixMilli())}},
		"key only": {},
	} {
		item["username"] = &types.AttributeValueMemberS{Value: "#throttle#" + strings.ReplaceAll(name, " ", "-")}
		if _, err := env.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(env.UsersTable), Item: item}); err != nil {
			t.Fatal(err)
		}
		got, err := s.CountAttempt(t.Context(), strings.ReplaceAll(name, " ", "-"), now, limit)
		if err != nil || !got.Allowed || got.Count != 1 || !got.WindowEnds.Equal(now.Add(limit.Window)) {
			t.Errorf("%s: CountAttempt = %+v, %v; want the first attempt of a new window", name, got, err)
		}
	}
}

// TestPartialItems checks that items missing attributes or holding the wrong
// types never crash a read: they are missing records or errors. An item
// without data or ring (written before version 2) still takes a change:
// the first one writes them.
func TestPartialItems(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now()
	live := func() string { return "1" + strings.Repeat("9", 15) } // far in the future, ms
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	m := func(kv map[string]types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: kv}
	}
	deadlines := func(more map[string]types.AttributeValue) map[string]types.AttributeValue {
		item := map[string]types.AttributeValue{"idleDeadline": n(live()), "absoluteDeadline": n(live()), "idleWindow": n("1800000")}
		for k, v := range more {
			item[k] = v
		}
		return item
	}
	tests := []struct {
		name    string
		item    map[string]types.AttributeValue
		found   bool
		wantErr bool
	}{
		{"key only", map[string]types.AttributeValue{}, false, false},
		{"no absolute deadline", map[string]types.AttributeValue{"idleDeadline": n(live())}, false, false},
		{"no data, no ring (before version 2)", deadlines(map[string]types.AttributeValue{"username": str("mo"), "cart": m(nil)}), true, false},
		{"data of the wrong type", deadlines(map[string]types.AttributeValue{"data": str("tea")}), false, true},
		{"a data value of the wrong type", deadlines(map[string]types.AttributeValue{"data": m(map[string]types.AttributeValue{"x": str("1")})}), false, true},
		{"deadline of the wrong type", map[string]types.AttributeValue{"idleDeadline": str("soon"), "absoluteDeadline": n(live())}, false, true},
		{"userAgent of the wrong type", deadlines(map[string]types.AttributeValue{"userAgent": n("1")}), false, true},
		{"remember of the wrong type", deadlines(map[string]types.AttributeValue{"remember": str("yes")}), false, true},
		{"fractional entry", deadlines(map[string]types.AttributeValue{"data": m(map[string]types.AttributeValue{"bag": m(map[string]types.AttributeValue{"tea": n("1.5")})})}), false, true},
		{"fractional counter", deadlines(map[string]types.AttributeValue{"data": m(map[string]types.AttributeValue{"c": n("0.5")})}), false, true},
		{"a short ring", deadlines(ringOf(str("."), str("."), 1)), false, true},
		{"keys without info", deadlines(map[string]types.AttributeValue{"recentKeys": ringOf(str("."), str("."), session.MaxKeys)["recentKeys"]}), false, true},
		{"a ring of numbers", deadlines(ringOf(n("1"), str("."), session.MaxKeys)), false, true},
		{"info of numbers", deadlines(ringOf(str("."), n("1"), session.MaxKeys)), false, true},
		{"a bad ring entry", deadlines(ringOf(str("short"), str("."), session.MaxKeys)), false, true},
		{"a bad entry time", deadlines(ringOf(str(strings.Repeat("a", session.KeyHashLen)), str("12!!!!"), session.MaxKeys)), false, true},
		{"a bad legacy entry time", deadlines(ringOf(str(strings.Repeat("a", 12)), str("12345678!!!!!!"), session.MaxKeys)), false, true},
		{"a legacy key with today's info", deadlines(ringOf(str(strings.Repeat("a", 12)), str("12AAAA"), session.MaxKeys)), false, true},
		{"today's key with legacy info", deadlines(ringOf(str(strings.Repeat("a", session.KeyHashLen)), str("12345678AAAAAA"), session.MaxKeys)), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := session.StoreKey([]byte(tt.name))
			tt.item["id"] = str(key)
			if _, err := env.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(env.SessionsTable), Item: tt.item}); err != nil {
				t.Fatal(err)
			}
			_, found, err := s.Get(t.Context(), key, now)
			if found != tt.found || (err != nil) != tt.wantErr {
				t.Fatalf("Get: found %v err %v; want found %v, error %v", found, err, tt.found, tt.wantErr)
			}
			out, err := s.Update(t.Context(), key, counterChange("k", 1), now)
			if out.Found != tt.found || (err != nil) != tt.wantErr {
				t.Fatalf("Update: %+v err %v; want found %v, error %v", out, err, tt.found, tt.wantErr)
			}
			if found {
				// The first change wrote data and ring; a repeat replays.
				out, err := s.Update(t.Context(), key, counterChange("k", 1), now)
				if err != nil || !out.Replayed || out.Data.Counters["c"] != 1 {
					t.Fatalf("repeat on a version-1 item: %+v, %v", out, err)
				}
				if out, err := s.Update(t.Context(), key, counterChange("k2", 1), now); err != nil || out.Data.Counters["c"] != 2 {
					t.Fatalf("a second change: %+v, %v", out, err)
				}
			}
			// Nothing else may panic either.
			_, _ = s.Touch(t.Context(), key, now)
			_, _ = s.ListByUser(t.Context(), "mo", now)
			_, _, _ = s.Delete(t.Context(), key, now)
		})
	}
	// A users-table item without a password hash is no account.
	if _, err := env.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(env.UsersTable),
		Item: map[string]types.AttributeValue{"username": str("nora"), "createdAt": n("1")}}); err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.GetUser(t.Context(), "nora"); found || err != nil {
		t.Errorf("GetUser of a partial item: found %v, err %v", found, err)
	}
}

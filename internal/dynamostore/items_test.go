package dynamostore_test

import (
	"context"
	"errors"
	"fmt"
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
		Key: key, Username: username, Cart: map[string]int{},
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

// TestItemLayout checks the attributes as stored: Unix milliseconds, the TTL
// in epoch seconds (rounded up from the absolute deadline), an empty cart
// map, and no username while anonymous (the index stays sparse).
func TestItemLayout(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.UnixMilli(1_800_000_000_123).UTC()
	anon := record(session.StoreKey([]byte("anon")), "", now)
	if err := s.Create(t.Context(), anon); err != nil {
		t.Fatal(err)
	}
	item := getRaw(t, env, env.SessionsTable, "id", anon.Key)
	if _, ok := item["username"]; ok {
		t.Error("an anonymous session has a username attribute")
	}
	if cart, ok := item["cart"].(*types.AttributeValueMemberM); !ok || len(cart.Value) != 0 {
		t.Errorf("cart = %#v, want an empty map", item["cart"])
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
	if _, err := s.CountAttempt(t.Context(), "lena", now, user.Limit{Max: 5, Window: 15 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	counter := getRaw(t, env, env.UsersTable, "username", "#throttle#lena")
	if got := number(t, counter, "expiresAt"); got != "1800000901" {
		t.Errorf("counter expiresAt = %s, want 1800000901", got)
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
// types never crash a read: they are missing records or errors.
func TestPartialItems(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now()
	live := func() string { return "1" + strings.Repeat("9", 15) } // far in the future, ms
	str := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	tests := []struct {
		name    string
		item    map[string]types.AttributeValue
		found   bool
		wantErr bool
	}{
		{"key only", map[string]types.AttributeValue{}, false, false},
		{"no absolute deadline", map[string]types.AttributeValue{"idleDeadline": n(live())}, false, false},
		{"no cart", map[string]types.AttributeValue{"idleDeadline": n(live()), "absoluteDeadline": n(live()), "username": str("mo")}, true, false},
		{"cart of the wrong type", map[string]types.AttributeValue{"idleDeadline": n(live()), "absoluteDeadline": n(live()), "cart": str("tea")}, false, true},
		{"deadline of the wrong type", map[string]types.AttributeValue{"idleDeadline": str("soon"), "absoluteDeadline": n(live())}, false, true},
		{"fractional quantity", map[string]types.AttributeValue{"idleDeadline": n(live()), "absoluteDeadline": n(live()),
			"cart": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"tea": n("1.5")}}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := session.StoreKey([]byte(tt.name))
			tt.item["id"] = str(key)
			if _, err := env.Client.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String(env.SessionsTable), Item: tt.item}); err != nil {
				t.Fatal(err)
			}
			rec, found, err := s.Get(t.Context(), key, now)
			if found != tt.found || (err != nil) != tt.wantErr {
				t.Fatalf("Get: found %v err %v; want found %v, error %v", found, err, tt.found, tt.wantErr)
			}
			if found && rec.Cart == nil {
				t.Error("nil cart")
			}
			// Nothing else may panic either.
			_, _, _ = s.AddToCart(t.Context(), key, "tea", 1, now)
			_, _, _ = s.SetCartQuantity(t.Context(), key, "tea", 0, now)
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

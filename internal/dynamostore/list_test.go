package dynamostore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
)

// withUnprocessed makes the first n BatchGetItem answers leave half their
// items unprocessed, as DynamoDB does when throttled, and counts the calls.
func withUnprocessed(n int32, calls *atomic.Int32) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("unprocessed",
				func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
					out, md, err := next.HandleDeserialize(ctx, in)
					bg, ok := out.Result.(*dynamodb.BatchGetItemOutput)
					if !ok || err != nil {
						return out, md, err
					}
					if calls.Add(1) > n {
						return out, md, err
					}
					for table, items := range bg.Responses {
						keep, left := items[:len(items)/2], items[len(items)/2:]
						bg.Responses[table] = keep
						ka := types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}
						for _, it := range left {
							ka.Keys = append(ka.Keys, map[string]types.AttributeValue{"id": it["id"]})
						}
						if bg.UnprocessedKeys == nil {
							bg.UnprocessedKeys = map[string]types.KeysAndAttributes{}
						}
						bg.UnprocessedKeys[table] = ka
					}
					return out, md, err
				}), middleware.Before)
		})
	}
}

// TestListByUserReadsRecords: more sessions than one BatchGetItem reads
// (100), DynamoDB leaving keys unprocessed twice, ended and deleted
// sessions among them: ListByUser returns exactly the live ones, as the
// records say.
func TestListByUserReadsRecords(t *testing.T) {
	env := dynamotest.New(t)
	var calls atomic.Int32
	s := dynamostore.New(dynamodb.New(env.Client.Options(), withUnprocessed(2, &calls)), env.SessionsTable, env.UsersTable)
	now := time.Now().Truncate(time.Millisecond)
	want := map[string]bool{}
	for i := range 130 {
		rec := record(session.StoreKey(fmt.Appendf(nil, "many-%d", i)), "many", now)
		switch i % 10 {
		case 0: // ended by idleness: the index still holds it
			rec.IdleDeadline = now.Add(time.Second)
		case 1: // deleted
		default:
			want[rec.Key] = true
		}
		if err := s.Create(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
		if i%10 == 1 {
			if _, _, err := s.Delete(t.Context(), rec.Key, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := record(session.StoreKey([]byte("other")), "other", now)
	if err := s.Create(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	recs, err := s.ListByUser(t.Context(), "many", now.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range recs {
		if got[r.Key] || !want[r.Key] || r.Username != "many" {
			t.Errorf("listed %s (user %q), twice or not a live session of the user", r.Key, r.Username)
		}
		got[r.Key] = true
	}
	if len(got) != len(want) {
		t.Errorf("listed %d sessions, want %d", len(got), len(want))
	}
	// 117 keys: two chunks (100 + 17), the first answered in halves twice.
	if n := calls.Load(); n < 4 {
		t.Errorf("%d BatchGetItem calls; want the unprocessed keys asked for again", n)
	}
}

// TestListByUserGivesUp: when DynamoDB keeps leaving a key unprocessed,
// ListByUser asks again a bounded number of times (the first try and 8
// retries) and then fails, instead of looping or returning a list that
// silently lacks the session; and that it backs off between the tries:
// 20 ms doubling to at most 640 ms, 2.54 s of waiting in all (a lower
// bound: sleeps never end early).
func TestListByUserGivesUp(t *testing.T) {
	env := dynamotest.New(t)
	var calls atomic.Int32
	s := dynamostore.New(dynamodb.New(env.Client.Options(), withUnprocessed(1000, &calls)), env.SessionsTable, env.UsersTable)
	now := time.Now().Truncate(time.Millisecond)
	if err := s.Create(t.Context(), record(session.StoreKey([]byte("stuck")), "stuck", now)); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	recs, err := s.ListByUser(t.Context(), "stuck", now)
	if took := time.Since(began); took < 2540*time.Millisecond {
		t.Errorf("gave up after %v, want at least 2.54 s of backoff", took)
	}
	if err == nil {
		t.Errorf("ListByUser = %d records and no error; want an error for the key never processed", len(recs))
	}
	if n := calls.Load(); n != 9 {
		t.Errorf("%d BatchGetItem calls, want 9 (a try and 8 retries)", n)
	}
}

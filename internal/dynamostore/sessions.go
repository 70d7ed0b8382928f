package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Get reads the record under key (GetItem, strongly consistent) and checks
// its deadlines against now.
func (s *Store) Get(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	av, err := s.getSessionItem(ctx, key)
	if err != nil {
		return session.Record{}, false, fmt.Errorf("dynamostore: get session: %w", err)
	}
	rec, ok, err := decodeSession(av)
	if err != nil {
		return session.Record{}, false, fmt.Errorf("dynamostore: get session: %w", err)
	}
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false, nil
	}
	return rec, true, nil
}

// getSessionItem reads an item with a strongly consistent GetItem.
func (s *Store) getSessionItem(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	if key == "" {
		return nil, nil
	}
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.sessions),
		Key:            sessionKey(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// Create puts rec on condition attribute_not_exists(id).
func (s *Store) Create(ctx context.Context, rec session.Record) error {
	if rec.Key == "" {
		return fmt.Errorf("dynamostore: create session: %w: empty key", errInvalid)
	}
	if err := validCart(rec.Cart); err != nil {
		return fmt.Errorf("dynamostore: create session: %w", err)
	}
	item, err := encodeSession(rec)
	if err != nil {
		return fmt.Errorf("dynamostore: create session: %w", err)
	}
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("id"))).Build()
	if err != nil {
		return fmt.Errorf("dynamostore: create session: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.sessions),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := isConditionFailed(err); failed {
		return session.ErrExists
	}
	if err != nil {
		return fmt.Errorf("dynamostore: create session: %w", err)
	}
	return nil
}

// liveCondition holds when the item exists and both deadlines are after
// now (milliseconds).
func liveCondition(now int64) expression.ConditionBuilder {
	return expression.AttributeExists(expression.Name("id")).
		And(expression.Name("idleDeadline").GreaterThan(expression.Value(now))).
		And(expression.Name("absoluteDeadline").GreaterThan(expression.Value(now)))
}

// refresh sets lastSeenAt to now and idleDeadline to idleWindow + now,
// computed by DynamoDB from the item's own window (no read needed).
func refresh(ub expression.UpdateBuilder, now int64) expression.UpdateBuilder {
	return ub.Set(expression.Name("lastSeenAt"), expression.Value(now)).
		Set(expression.Name("idleDeadline"), expression.Name("idleWindow").Plus(expression.Value(now)))
}

// Touch refreshes the idle deadline with one conditional UpdateItem.
func (s *Store) Touch(ctx context.Context, key string, now time.Time) (bool, error) {
	if key == "" {
		return false, nil
	}
	n := ms(now)
	expr, err := expression.NewBuilder().
		WithUpdate(refresh(expression.UpdateBuilder{}, n)).
		WithCondition(liveCondition(n)).Build()
	if err != nil {
		return false, fmt.Errorf("dynamostore: touch session: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.sessions),
		Key:                       sessionKey(key),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := isConditionFailed(err); failed {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamostore: touch session: %w", err)
	}
	return true, nil
}

// Delete removes the item (DeleteItem, ReturnValues ALL_OLD) and reports
// the old record when it was live at now.
func (s *Store) Delete(ctx context.Context, key string, now time.Time) (session.Record, bool, error) {
	if key == "" {
		return session.Record{}, false, nil
	}
	out, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:    aws.String(s.sessions),
		Key:          sessionKey(key),
		ReturnValues: types.ReturnValueAllOld,
	})
	if err != nil {
		return session.Record{}, false, fmt.Errorf("dynamostore: delete session: %w", err)
	}
	rec, ok, err := decodeSession(out.Attributes)
	if err != nil {
		return session.Record{}, false, fmt.Errorf("dynamostore: delete session: %w", err)
	}
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false, nil
	}
	return rec, true, nil
}

// ListByUser queries the byUsername index (never a scan), filtering out
// ended sessions in the query and again in code.
func (s *Store) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	recs := []session.Record{}
	if username == "" {
		return recs, nil
	}
	n := ms(now)
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key("username").Equal(expression.Value(username))).
		WithFilter(expression.Name("idleDeadline").GreaterThan(expression.Value(n)).
			And(expression.Name("absoluteDeadline").GreaterThan(expression.Value(n)))).
		Build()
	if err != nil {
		return nil, fmt.Errorf("dynamostore: list sessions: %w", err)
	}
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.sessions),
		IndexName:                 aws.String(IndexByUsername),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("dynamostore: list sessions: %w", err)
		}
		for _, av := range page.Items {
			rec, ok, err := decodeSession(av)
			if err != nil {
				return nil, fmt.Errorf("dynamostore: list sessions: %w", err)
			}
			if ok && rec.Username == username && rec.LiveAt(now) {
				recs = append(recs, rec)
			}
		}
	}
	return recs, nil
}

package dynamostore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/user"
)

// CreateUser puts u on condition attribute_not_exists(username).
func (s *Store) CreateUser(ctx context.Context, u user.User) error {
	if u.Username == "" || strings.HasPrefix(u.Username, throttlePrefix) {
		return fmt.Errorf("dynamostore: create user: %w: username %q", errInvalid, u.Username)
	}
	item, err := attributevalue.MarshalMap(userItem{Username: u.Username, PasswordHash: u.PasswordHash, CreatedAt: ms(u.CreatedAt)})
	if err != nil {
		return fmt.Errorf("dynamostore: create user: %w", err)
	}
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("username"))).Build()
	if err != nil {
		return fmt.Errorf("dynamostore: create user: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.users),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := isConditionFailed(err); failed {
		return user.ErrTaken
	}
	if err != nil {
		return fmt.Errorf("dynamostore: create user: %w", err)
	}
	return nil
}

// GetUser reads an account with a strongly consistent GetItem. An item
// without a password hash (a counter, or a partial item) is no account.
func (s *Store) GetUser(ctx context.Context, username string) (user.User, bool, error) {
	if username == "" {
		return user.User{}, false, nil
	}
	av, err := s.getUserItem(ctx, username)
	if err != nil {
		return user.User{}, false, fmt.Errorf("dynamostore: get user: %w", err)
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return user.User{}, false, fmt.Errorf("dynamostore: get user: decode: %w", err)
	}
	if it.Username != username || it.PasswordHash == "" {
		return user.User{}, false, nil
	}
	return user.User{Username: it.Username, PasswordHash: it.PasswordHash, CreatedAt: fromMS(it.CreatedAt)}, true, nil
}

func (s *Store) getUserItem(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.users),
		Key:            userKey(key),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// Failures reads username's counter (strongly consistent) and reports it
// when its window is live at now.
func (s *Store) Failures(ctx context.Context, username string, now time.Time) (int, time.Time, error) {
	av, err := s.getUserItem(ctx, throttlePrefix+username)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("dynamostore: read failures: %w", err)
	}
	var it counterItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return 0, time.Time{}, fmt.Errorf("dynamostore: read failures: decode: %w", err)
	}
	if it.Failures <= 0 || it.WindowEnds <= ms(now) {
		return 0, time.Time{}, nil
	}
	return it.Failures, fromMS(it.WindowEnds), nil
}

// RecordFailure counts one failure atomically: an UpdateItem that adds one
// on condition that the window is live; when it is not, a PutItem that
// starts a new window on condition that no live one exists. Should a
// concurrent request start the window in between, the add is tried again.
func (s *Store) RecordFailure(ctx context.Context, username string, now time.Time, window time.Duration) (int, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, fmt.Errorf("dynamostore: record failure: %w: window %v", errInvalid, window)
	}
	key, n := throttlePrefix+username, ms(now)
	for range maxConditionRetries {
		count, ends, ok, err := s.addFailure(ctx, key, n)
		if err != nil || ok {
			return count, ends, err
		}
		ends = fromMS(n).Add(window)
		if ok, err = s.startWindow(ctx, key, n, ends); err != nil || ok {
			return 1, ends, err
		}
	}
	return 0, time.Time{}, fmt.Errorf("dynamostore: record failure: the window changed %d times under it", maxConditionRetries)
}

// addFailure adds one failure to a live window; ok is false when there is
// none.
func (s *Store) addFailure(ctx context.Context, key string, now int64) (count int, ends time.Time, ok bool, err error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Add(expression.Name("failures"), expression.Value(1))).
		WithCondition(expression.AttributeExists(expression.Name("username")).
			And(expression.Name("windowEnds").GreaterThan(expression.Value(now)))).
		Build()
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("dynamostore: record failure: %w", err)
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.users),
		Key:                       userKey(key),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if _, failed := isConditionFailed(err); failed {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("dynamostore: record failure: %w", err)
	}
	var it counterItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return 0, time.Time{}, false, fmt.Errorf("dynamostore: record failure: decode: %w", err)
	}
	return it.Failures, fromMS(it.WindowEnds), true, nil
}

// startWindow puts a counter of one failure; ok is false when a live window
// exists (someone else started it).
func (s *Store) startWindow(ctx context.Context, key string, now int64, ends time.Time) (ok bool, err error) {
	item, err := attributevalue.MarshalMap(counterItem{Username: key, Failures: 1, WindowEnds: ms(ends), ExpiresAt: ttlSeconds(ends)})
	if err != nil {
		return false, fmt.Errorf("dynamostore: record failure: %w", err)
	}
	windowEnds := expression.Name("windowEnds")
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("username")).
			Or(expression.AttributeNotExists(windowEnds)).
			Or(windowEnds.LessThanEqual(expression.Value(now)))).
		Build()
	if err != nil {
		return false, fmt.Errorf("dynamostore: record failure: %w", err)
	}
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                 aws.String(s.users),
		Item:                      item,
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if _, failed := isConditionFailed(err); failed {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("dynamostore: record failure: %w", err)
	}
	return true, nil
}

// Reset deletes username's counter.
func (s *Store) Reset(ctx context.Context, username string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.users),
		Key:       userKey(throttlePrefix + username),
	})
	if err != nil {
		return fmt.Errorf("dynamostore: reset failures: %w", err)
	}
	return nil
}

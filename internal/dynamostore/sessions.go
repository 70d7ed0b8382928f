package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	return liveRecord(av, now, "get session")
}

// liveRecord decodes av and reports it found only when it is live at now.
func liveRecord(av map[string]types.AttributeValue, now time.Time, op string) (session.Record, bool, error) {
	rec, ok, err := decodeSession(av, now)
	if err != nil {
		return session.Record{}, false, fmt.Errorf("dynamostore: %s: %w", op, err)
	}
	if !ok || !rec.LiveAt(now) {
		return session.Record{}, false, nil
	}
	return rec, true, nil
}

// getSessionItem reads an item with a strongly consistent GetItem of the
// attributes a record is decoded from (sessionReads).
func (s *Store) getSessionItem(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	if key == "" {
		return nil, nil
	}
	proj, names := projection(sessionReads...)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.sessions),
		Key:                      sessionKey(key),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     proj,
		ExpressionAttributeNames: names,
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// Create puts rec on condition attribute_not_exists(id). A retry by the SDK
// of a put that did land (its answer was lost) finds the item there; since
// a session key is 256 random bits, that is this very record, and Create
// reports success.
func (s *Store) Create(ctx context.Context, rec session.Record) error {
	if rec.Key == "" {
		return fmt.Errorf("dynamostore: create session: %w: empty key", errInvalid)
	}
	if err := rec.Data.Check(); err != nil {
		return fmt.Errorf("dynamostore: create session: %w", err)
	}
	exists, retried, err := s.putNew(ctx, s.sessions, attrID, encodeSession(rec))
	switch {
	case err != nil:
		return fmt.Errorf("dynamostore: create session: %w", err)
	case exists && !retried:
		return session.ErrExists
	}
	return nil
}

// putNew puts item into table on condition attribute_not_exists(keyAttr).
// exists reports that the condition failed; retried that the SDK sent the
// put more than once (an earlier attempt may have landed).
func (s *Store) putNew(ctx context.Context, table, keyAttr string, item map[string]types.AttributeValue) (exists, retried bool, err error) {
	var attempts int
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                aws.String(table),
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#k)"),
		ExpressionAttributeNames: map[string]string{"#k": keyAttr},
	}, countAttempts(&attempts))
	if _, failed := isConditionFailed(err); failed {
		return true, attempts > 1, nil
	}
	return false, attempts > 1, err
}

// Touch refreshes the idle deadline with one conditional UpdateItem:
//
//	SET lastSeenAt = :now, idleDeadline = idleWindow + :now
//	condition: attribute_exists(id) AND idleDeadline > :now AND absoluteDeadline > :now
//
// It writes no index: the byUsername index projects only keys.
func (s *Store) Touch(ctx context.Context, key string, now time.Time) (bool, error) {
	if key == "" {
		return false, nil
	}
	e := newExpr()
	e.refresh(ms(now))
	e.live(ms(now))
	_, err := s.db.UpdateItem(ctx, s.updateItem(key, e))
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
	return liveRecord(out.Attributes, now, "delete session")
}

// updateItem is the conditional UpdateItem of e on the session under key.
func (s *Store) updateItem(key string, e *expr) *dynamodb.UpdateItemInput {
	return &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.sessions),
		Key:                       sessionKey(key),
		UpdateExpression:          aws.String(e.update()),
		ConditionExpression:       aws.String(e.condition()),
		ExpressionAttributeNames:  e.names,
		ExpressionAttributeValues: e.values,
	}
}

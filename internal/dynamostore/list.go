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

// batchGetLimit is the most keys one BatchGetItem may ask for.
const batchGetLimit = 100

// unprocessedRetries bounds how often keys DynamoDB left unprocessed (it
// was throttled, or the answer passed 16 MB) are asked for again.
const unprocessedRetries = 8

// ListByUser finds the user's session keys in the byUsername index (a
// Query, never a scan; the index projects keys only, so no refresh and no
// data change ever writes it) and reads the records themselves with
// strongly consistent BatchGetItems of at most 100 keys, asking again for
// what DynamoDB leaves unprocessed: the live deadlines come from the
// records, never from a stale index entry. Ended records are left out.
func (s *Store) ListByUser(ctx context.Context, username string, now time.Time) ([]session.Record, error) {
	recs := []session.Record{}
	if username == "" {
		return recs, nil
	}
	keys, err := s.userKeys(ctx, username)
	if err != nil {
		return nil, fmt.Errorf("dynamostore: list sessions: %w", err)
	}
	for len(keys) > 0 {
		chunk := keys[:min(len(keys), batchGetLimit)]
		keys = keys[len(chunk):]
		items, err := s.batchGet(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("dynamostore: list sessions: %w", err)
		}
		for _, av := range items {
			rec, ok, err := liveRecord(av, now, "list sessions")
			if err != nil {
				return nil, err
			}
			if ok && rec.Username == username {
				recs = append(recs, rec)
			}
		}
	}
	return recs, nil
}

// userKeys queries the index: every key of username's items, one call per
// page.
func (s *Store) userKeys(ctx context.Context, username string) ([]map[string]types.AttributeValue, error) {
	pages := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 aws.String(s.sessions),
		IndexName:                 aws.String(IndexByUsername),
		KeyConditionExpression:    aws.String("#u = :u"),
		ExpressionAttributeNames:  map[string]string{"#u": attrUsername, "#id": attrID},
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": str(username)},
		ProjectionExpression:      aws.String("#id"),
		Select:                    types.SelectSpecificAttributes,
	})
	var keys []map[string]types.AttributeValue
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, av := range page.Items {
			if id, ok := av[attrID].(*types.AttributeValueMemberS); ok {
				keys = append(keys, sessionKey(id.Value))
			}
		}
	}
	return keys, nil
}

// batchGet reads keys (at most batchGetLimit) with consistent reads of
// the attributes a record is decoded from (sessionReads), asking again,
// with a short backoff and the same projection, for any keys DynamoDB
// leaves unprocessed.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	proj, names := projection(sessionReads...)
	for try := 0; len(keys) > 0; try++ {
		if try > unprocessedRetries {
			return nil, fmt.Errorf("%d keys still unprocessed after %d tries", len(keys), try)
		}
		if try > 0 {
			if err := sleep(ctx, time.Duration(1<<min(try, 6))*10*time.Millisecond); err != nil {
				return nil, err
			}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
			s.sessions: {Keys: keys, ConsistentRead: aws.Bool(true), ProjectionExpression: proj, ExpressionAttributeNames: names},
		}})
		if err != nil {
			return nil, err
		}
		items = append(items, out.Responses[s.sessions]...)
		keys = out.UnprocessedKeys[s.sessions].Keys
	}
	return items, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

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

// CreateUser puts u with one conditional PutItem:
//
//	condition  attribute_not_exists(username)
//
// A condition that fails after the SDK sent the put more than once may be
// this very registration, landed by an attempt whose answer was lost: the
// item as it is (returned with the failure, or read) holding u's password
// hash tells (a hash has a random salt, so no other registration writes
// the same one), and it counts as created, not as a name already taken.
func (s *Store) CreateUser(ctx context.Context, u user.User) error {
	if !isAccountName(u.Username) {
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
	var attempts int
	_, err = s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           aws.String(s.users),
		Item:                                item,
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, countAttempts(&attempts))
	old, failed := isConditionFailed(err)
	if !failed {
		if err != nil {
			return fmt.Errorf("dynamostore: create user: %w", err)
		}
		return nil
	}
	if attempts < 2 {
		return user.ErrTaken
	}
	if old == nil {
		if old, err = s.getUserItem(ctx, u.Username, userReads...); err != nil {
			return fmt.Errorf("dynamostore: create user: read after a failed condition: %w", err)
		}
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return fmt.Errorf("dynamostore: create user: decode: %w", err)
	}
	if it.PasswordHash != u.PasswordHash {
		return user.ErrTaken
	}
	return nil
}

// GetUser reads an account with a strongly consistent GetItem. An item
// without a password hash (a counter, or a partial item) is no account.
func (s *Store) GetUser(ctx context.Context, username string) (user.User, bool, error) {
	if username == "" {
		return user.User{}, false, nil
	}
	av, err := s.getUserItem(ctx, username, userReads...)
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

// userReads are the attributes of an account GetUser reads; counterReads
// those of a password-attempt counter CountAttempt reads after a failed
// condition. Each read asks for exactly its attributes (a
// ProjectionExpression), so an IAM policy may allow those alone.
var (
	userReads    = []string{"username", "passwordHash", "createdAt"}
	counterReads = []string{"username", "attempts", "windowEnds"}
)

// getUserItem reads the attributes attrs of a users-table item with a
// strongly consistent GetItem.
func (s *Store) getUserItem(ctx context.Context, key string, attrs ...string) (map[string]types.AttributeValue, error) {
	proj, names := projection(attrs...)
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(s.users),
		Key:                      userKey(key),
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     proj,
		ExpressionAttributeNames: names,
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// ChangePasswordHash sets the account's passwordHash to newHash with one
// conditional UpdateItem:
//
//	update     SET passwordHash = :new
//	condition  passwordHash = :old
//
// which also fails when the account is gone (a counter item has no
// passwordHash). When the condition fails, the item as it was (returned
// with the failure, or read) tells one more case apart: a hash that is
// already newHash is this very change, landed by an attempt of the SDK
// whose answer was lost (a hash has a random salt, so no other change
// writes the same one), and counts as changed.
func (s *Store) ChangePasswordHash(ctx context.Context, username, oldHash, newHash string) (bool, error) {
	if !isAccountName(username) || oldHash == "" || newHash == "" {
		return false, fmt.Errorf("dynamostore: change password hash: %w: username %q or an empty hash", errInvalid, username)
	}
	hash := expression.Name("passwordHash")
	expr, err := expression.NewBuilder().
		WithCondition(hash.Equal(expression.Value(oldHash))).
		WithUpdate(expression.Set(hash, expression.Value(newHash))).
		Build()
	if err != nil {
		return false, fmt.Errorf("dynamostore: change password hash: %w", err)
	}
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           aws.String(s.users),
		Key:                                 userKey(username),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	old, failed := isConditionFailed(err)
	if !failed {
		if err != nil {
			return false, fmt.Errorf("dynamostore: change password hash: %w", err)
		}
		return true, nil
	}
	if old == nil {
		if old, err = s.getUserItem(ctx, username, userReads...); err != nil {
			return false, fmt.Errorf("dynamostore: change password hash: read after a failed condition: %w", err)
		}
	}
	var it userItem
	if err := attributevalue.UnmarshalMap(old, &it); err != nil {
		return false, fmt.Errorf("dynamostore: change password hash: decode: %w", err)
	}
	return it.PasswordHash == newHash, nil
}

// DeleteUser deletes the account with one conditional DeleteItem:
//
//	condition  passwordHash = :hash
//
// A condition that fails on an item that is gone, after the SDK sent the
// delete more than once, is this very delete, landed by an attempt whose
// answer was lost, and counts as deleted.
func (s *Store) DeleteUser(ctx context.Context, username, hash string) (bool, error) {
	if !isAccountName(username) || hash == "" {
		return false, fmt.Errorf("dynamostore: delete user: %w: username %q or an empty hash", errInvalid, username)
	}
	expr, err := expression.NewBuilder().
		WithCondition(expression.Name("passwordHash").Equal(expression.Value(hash))).
		Build()
	if err != nil {
		return false, fmt.Errorf("dynamostore: delete user: %w", err)
	}
	var attempts int
	_, err = s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           aws.String(s.users),
		Key:                                 userKey(username),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, countAttempts(&attempts))
	old, failed := isConditionFailed(err)
	if !failed {
		if err != nil {
			return false, fmt.Errorf("dynamostore: delete user: %w", err)
		}
		return true, nil
	}
	if attempts < 2 {
		return false, nil
	}
	if old == nil {
		if old, err = s.getUserItem(ctx, username, userReads...); err != nil {
			return false, fmt.Errorf("dynamostore: delete user: read after a failed condition: %w", err)
		}
	}
	return len(old) == 0, nil
}

// isAccountName reports whether name can be an account's key: not empty,
// and not a counter's.
func isAccountName(name string) bool {
	return name != "" && !strings.HasPrefix(name, throttlePrefix)
}

// counterItem is a username's password attempts in the users table, keyed
// throttlePrefix + username: the attempts counted in the window, when the
// window ends (Unix ms) and the TTL (epoch seconds, the window's end).
type counterItem struct {
	Username   string `dynamodbav:"username"`
	Attempts   int    `dynamodbav:"attempts"`
	WindowEnds int64  `dynamodbav:"windowEnds"`
	ExpiresAt  int64  `dynamodbav:"expiresAt"`
}

// CountAttempt counts one attempt for username, or refuses it, with one
// conditional UpdateItem:
//
//	condition  attribute_not_exists(username) OR (windowEnds > :now AND attempts < :max)
//	update     ADD attempts :one
//	           SET windowEnds = if_not_exists(windowEnds, :end),
//	               expiresAt = if_not_exists(expiresAt, :ttl)
//
// which creates the counter (a window from now) or adds to its live window
// (ReturnValues ALL_NEW gives the count). When the condition fails, the item
// as it was (ReturnValuesOnConditionCheckFailure ALL_OLD, or a strongly
// consistent GetItem on an emulator that does not return it) tells why: a
// live window at the limit refuses the attempt, nothing written; a window
// that has ended, with its counter still stored (TTL deletes late), is
// replaced by a new one with a second conditional write (startWindow), and
// so is an item without attempts (a counter of an older layout).
// Should the item change in between, the attempt is tried again.
func (s *Store) CountAttempt(ctx context.Context, username string, now time.Time, limit user.Limit) (user.Attempt, error) {
	if !limit.Valid() {
		return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: %w: limit %+v", errInvalid, limit)
	}
	key, n := throttlePrefix+username, ms(now)
	end := fromMS(n).Add(limit.Window)
	in, err := countInput(s.users, key, n, end, limit.Max)
	if err != nil {
		return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: %w", err)
	}
	for range maxConditionRetries {
		out, err := s.db.UpdateItem(ctx, in)
		if err == nil {
			it, err := decodeCounter(out.Attributes)
			if err != nil {
				return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: %w", err)
			}
			return user.Attempt{Allowed: true, Count: it.Attempts, WindowEnds: fromMS(it.WindowEnds)}, nil
		}
		old, failed := isConditionFailed(err)
		if !failed {
			return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: %w", err)
		}
		if old == nil {
			if old, err = s.getUserItem(ctx, key, counterReads...); err != nil {
				return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: read after a failed condition: %w", err)
			}
		}
		it, err := decodeCounter(old)
		if err != nil {
			return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: %w", err)
		}
		_, counted := old["attempts"]
		live := it.WindowEnds > n
		switch {
		case len(old) == 0: // cleared in between: count again
		case live && counted && it.Attempts >= limit.Max:
			return user.Attempt{Count: it.Attempts, WindowEnds: fromMS(it.WindowEnds)}, nil
		case !live || !counted: // ended, or no counter of this layout
			started, err := s.startWindow(ctx, key, n, end)
			if err != nil || started {
				return user.Attempt{Allowed: started, Count: 1, WindowEnds: end}, err
			}
		}
	}
	return user.Attempt{}, fmt.Errorf("dynamostore: count attempt: the counter changed %d times under it", maxConditionRetries)
}

// countInput is CountAttempt's UpdateItem (see there).
func countInput(table, key string, now int64, end time.Time, maxAttempts int) (*dynamodb.UpdateItemInput, error) {
	windowEnds, expiresAt := expression.Name("windowEnds"), expression.Name("expiresAt")
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("username")).
			Or(windowEnds.GreaterThan(expression.Value(now)).
				And(expression.Name("attempts").LessThan(expression.Value(maxAttempts))))).
		WithUpdate(expression.Add(expression.Name("attempts"), expression.Value(1)).
			Set(windowEnds, expression.IfNotExists(windowEnds, expression.Value(ms(end)))).
			Set(expiresAt, expression.IfNotExists(expiresAt, expression.Value(ttlSeconds(end))))).
		Build()
	if err != nil {
		return nil, err
	}
	return &dynamodb.UpdateItemInput{
		TableName:                           aws.String(table),
		Key:                                 userKey(key),
		UpdateExpression:                    expr.Update(),
		ConditionExpression:                 expr.Condition(),
		ExpressionAttributeNames:            expr.Names(),
		ExpressionAttributeValues:           expr.Values(),
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// decodeCounter reads a counter item; an empty one is the zero counter.
func decodeCounter(av map[string]types.AttributeValue) (counterItem, error) {
	var it counterItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return counterItem{}, fmt.Errorf("decode counter: %w", err)
	}
	return it, nil
}

// startWindow replaces a counter whose window ended (or that has no
// attempts) by one attempt in a new window ending at end, with a PutItem on
// condition
//
//	attribute_not_exists(attempts) OR attribute_not_exists(windowEnds) OR windowEnds <= :now
//
// started is false when a live window exists by then (a concurrent attempt
// started it).
func (s *Store) startWindow(ctx context.Context, key string, now int64, end time.Time) (started bool, err error) {
	item, err := attributevalue.MarshalMap(counterItem{Username: key, Attempts: 1, WindowEnds: ms(end), ExpiresAt: ttlSeconds(end)})
	if err != nil {
		return false, fmt.Errorf("dynamostore: start window: %w", err)
	}
	windowEnds := expression.Name("windowEnds")
	expr, err := expression.NewBuilder().
		WithCondition(expression.AttributeNotExists(expression.Name("attempts")).
			Or(expression.AttributeNotExists(windowEnds)).
			Or(windowEnds.LessThanEqual(expression.Value(now)))).
		Build()
	if err != nil {
		return false, fmt.Errorf("dynamostore: start window: %w", err)
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
		return false, fmt.Errorf("dynamostore: start window: %w", err)
	}
	return true, nil
}

// Clear deletes username's counter.
func (s *Store) Clear(ctx context.Context, username string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String(s.users),
		Key:       userKey(throttlePrefix + username),
	})
	if err != nil {
		return fmt.Errorf("dynamostore: clear attempts: %w", err)
	}
	return nil
}

// Package dynamostore keeps sessions, accounts and failed-login counters in
// DynamoDB (session.Store, user.Store and user.Throttle). It takes a ready
// client and two table names and never loads configuration itself.
//
// Every write is one conditional call, never a read followed by a write:
// a change of session data is one UpdateItem whose condition checks that
// the session is live, each op's limits hold and the idempotency key is
// new (update.go). Every read checks the deadlines itself: the expiresAt
// attribute (epoch seconds) only lets DynamoDB's TTL collect the garbage,
// which it does late.
//
// Sessions table, key id (the record's Key): username (absent while
// anonymous, so the byUsername index is sparse), data (a map of the
// features' maps and counters, always present), recentKeys and recentInfo
// (the idempotency ring: two lists of exactly session.MaxKeys strings,
// ring.go), createdAt, lastSeenAt,
// authenticatedAt (absent while anonymous), idleDeadline, absoluteDeadline
// and idleWindow (Unix milliseconds), remember, userAgent, expiresAt (see
// item.go). Users table, key username: passwordHash and createdAt;
// password-attempt counters are items keyed "#throttle#<username>" with
// attempts, windowEnds and expiresAt.
package dynamostore

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// IndexByUsername is the sessions table's global secondary index on
// username (defined in template.yaml).
const IndexByUsername = "byUsername"

// throttlePrefix starts the key of a password-attempt counter in the users
// table. No valid username holds '#', so none can clash with it.
const throttlePrefix = "#throttle#"

// maxConditionRetries bounds how often a data change or a failure count is
// tried again when its condition failed but the item as it was says it
// would now pass (the item changed in between, or a map, the data or the
// ring is missing and the change is written another way).
const maxConditionRetries = 5

// Store is a DynamoDB session.Store, user.Store and user.Throttle. It is
// safe for concurrent use.
type Store struct {
	db       *dynamodb.Client
	sessions string
	users    string
}

var (
	_ session.Store = (*Store)(nil)
	_ user.Store    = (*Store)(nil)
	_ user.Throttle = (*Store)(nil)
)

// New returns a Store on the tables sessionsTable and usersTable.
func New(client *dynamodb.Client, sessionsTable, usersTable string) *Store {
	return &Store{db: client, sessions: sessionsTable, users: usersTable}
}

// errInvalid wraps arguments the store refuses before calling DynamoDB.
var errInvalid = errors.New("invalid argument")

// userItem is an account in the users table.
type userItem struct {
	Username     string `dynamodbav:"username"`
	PasswordHash string `dynamodbav:"passwordHash"`
	CreatedAt    int64  `dynamodbav:"createdAt"`
}

// ms is t in Unix milliseconds, the unit of every time attribute.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS is the UTC time of Unix milliseconds v.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// ttlSeconds is the TTL value (epoch seconds) for t, rounded up so that
// garbage collection never comes before t.
func ttlSeconds(t time.Time) int64 { return (ms(t) + 999) / 1000 }

// isConditionFailed reports whether err is a failed condition, and returns
// the item as it was when DynamoDB sent it
// (ReturnValuesOnConditionCheckFailure ALL_OLD; nil when it did not).
func isConditionFailed(err error) (old map[string]types.AttributeValue, failed bool) {
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return ccf.Item, true
	}
	return nil, false
}

// key is the primary key of a session item.
func sessionKey(key string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}}
}

// userKey is the primary key of a users-table item.
func userKey(username string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"username": &types.AttributeValueMemberS{Value: username}}
}

// countAttempts is a call option that counts into n the HTTP attempts the
// SDK makes for the call: more than one means an earlier attempt may have
// reached DynamoDB although its answer never came back.
func countAttempts(n *int) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			// After the retry middleware of the Finalize step: once per attempt.
			return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("sessionlabCountAttempts",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					*n++
					return next.HandleFinalize(ctx, in)
				}), middleware.After)
		})
	}
}

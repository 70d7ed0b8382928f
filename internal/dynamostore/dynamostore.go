// Package dynamostore keeps sessions, accounts and failed-login counters in
// DynamoDB (session.Store, user.Store and user.Throttle). It takes a ready
// client and two table names and never loads configuration itself.
//
// Every write is one conditional call, never a read followed by a write:
// a cart change is one UpdateItem whose condition checks that the session
// is live and the cart stays within its limits. Every read checks the
// deadlines itself: the expiresAt attribute (epoch seconds) only lets
// DynamoDB's TTL collect the garbage, which it does late.
//
// Sessions table, key id (the record's Key): username (absent while
// anonymous, so the byUsername index is sparse), cart (a map SKU → number,
// always present), createdAt, lastSeenAt, idleDeadline, absoluteDeadline and
// idleWindow (Unix milliseconds), remember, userAgent, expiresAt. Users
// table, key username: passwordHash and createdAt; password-attempt counters
// are items keyed "#throttle#<username>" with attempts, windowEnds and
// expiresAt.
package dynamostore

import (
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// IndexByUsername is the sessions table's global secondary index on
// username (defined in template.yaml).
const IndexByUsername = "byUsername"

// throttlePrefix starts the key of a password-attempt counter in the users
// table. No valid username holds '#', so none can clash with it.
const throttlePrefix = "#throttle#"

// maxConditionRetries bounds how often a cart change or a failure count is
// tried again when its condition failed but a fresh read says it would now
// pass (the item changed in between).
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

// sessionItem is a sessions-table item.
type sessionItem struct {
	ID               string         `dynamodbav:"id"`
	Username         string         `dynamodbav:"username,omitempty"`
	Cart             map[string]int `dynamodbav:"cart"`
	CreatedAt        int64          `dynamodbav:"createdAt"`
	LastSeenAt       int64          `dynamodbav:"lastSeenAt"`
	IdleDeadline     int64          `dynamodbav:"idleDeadline"`
	AbsoluteDeadline int64          `dynamodbav:"absoluteDeadline"`
	IdleWindow       int64          `dynamodbav:"idleWindow"`
	Remember         bool           `dynamodbav:"remember"`
	UserAgent        string         `dynamodbav:"userAgent,omitempty"`
	ExpiresAt        int64          `dynamodbav:"expiresAt"`
}

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

// encodeSession turns rec into an item.
func encodeSession(rec session.Record) (map[string]types.AttributeValue, error) {
	cart := rec.Cart
	if cart == nil {
		cart = map[string]int{}
	}
	return attributevalue.MarshalMap(sessionItem{
		ID:               rec.Key,
		Username:         rec.Username,
		Cart:             cart,
		CreatedAt:        ms(rec.CreatedAt),
		LastSeenAt:       ms(rec.LastSeenAt),
		IdleDeadline:     ms(rec.IdleDeadline),
		AbsoluteDeadline: ms(rec.AbsoluteDeadline),
		IdleWindow:       rec.IdleWindow.Milliseconds(),
		Remember:         rec.Remember,
		UserAgent:        rec.UserAgent,
		ExpiresAt:        ttlSeconds(rec.AbsoluteDeadline),
	})
}

// decodeSession turns an item into a record. ok is false when there is no
// item or it lacks what makes a session (its key and deadlines): such a
// partial item is treated as missing. An attribute of the wrong type is an
// error.
func decodeSession(av map[string]types.AttributeValue) (rec session.Record, ok bool, err error) {
	if len(av) == 0 {
		return session.Record{}, false, nil
	}
	var it sessionItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return session.Record{}, false, fmt.Errorf("decode session item: %w", err)
	}
	if it.ID == "" || it.IdleDeadline == 0 || it.AbsoluteDeadline == 0 {
		return session.Record{}, false, nil
	}
	if it.Cart == nil {
		it.Cart = map[string]int{}
	}
	return session.Record{
		Key:              it.ID,
		Username:         it.Username,
		Cart:             it.Cart,
		CreatedAt:        fromMS(it.CreatedAt),
		LastSeenAt:       fromMS(it.LastSeenAt),
		IdleWindow:       time.Duration(it.IdleWindow) * time.Millisecond,
		IdleDeadline:     fromMS(it.IdleDeadline),
		AbsoluteDeadline: fromMS(it.AbsoluteDeadline),
		Remember:         it.Remember,
		UserAgent:        it.UserAgent,
	}, true, nil
}

// decodeCart reads the cart attribute of an item (ReturnValues ALL_NEW).
func decodeCart(av map[string]types.AttributeValue) (map[string]int, error) {
	cart := map[string]int{}
	if v, ok := av["cart"]; ok {
		if err := attributevalue.Unmarshal(v, &cart); err != nil {
			return nil, fmt.Errorf("decode cart: %w", err)
		}
	}
	if cart == nil {
		cart = map[string]int{}
	}
	return cart, nil
}

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

// validSKU accepts 1–64 characters of A-Z a-z 0-9 _ . : -, which a
// document path segment carries safely (memstore refuses the same).
func validSKU(sku string) error {
	if len(sku) == 0 || len(sku) > 64 {
		return fmt.Errorf("%w: sku of %d bytes", errInvalid, len(sku))
	}
	for _, c := range []byte(sku) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '_' || c == '.' || c == ':' || c == '-'
		if !ok {
			return fmt.Errorf("%w: sku %q", errInvalid, sku)
		}
	}
	return nil
}

// validCart checks the limits of a cart handed to Create.
func validCart(cart map[string]int) error {
	if len(cart) > session.MaxCartLines {
		return fmt.Errorf("%w: cart has %d lines", errInvalid, len(cart))
	}
	for sku, q := range cart {
		if err := validSKU(sku); err != nil {
			return err
		}
		if q < 1 || q > session.MaxQuantity {
			return fmt.Errorf("%w: quantity %d", errInvalid, q)
		}
	}
	return nil
}

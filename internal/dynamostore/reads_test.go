package dynamostore

import (
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// only is av with just the attributes names.
func only(av map[string]types.AttributeValue, names []string) map[string]types.AttributeValue {
	out := map[string]types.AttributeValue{}
	for _, n := range names {
		if v, ok := av[n]; ok {
			out[n] = v
		}
	}
	return out
}

// TestSessionReadsAreWhatARecordIsDecodedFrom: a record decodes the same
// from the projected attributes (sessionReads) as from the whole item, so
// reads may ask for those alone; and each projected attribute matters to
// the record, so none is read for nothing.
func TestSessionReadsAreWhatARecordIsDecodedFrom(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_123).UTC()
	rec := session.Record{
		Key: "k", Username: "ada", UserAgent: "ua",
		Data:      session.Data{Maps: map[string]map[string]int64{"cart": {"tea": 2}}, Counters: map[string]int64{"visits": 3}},
		CreatedAt: now.Add(-time.Hour), LastSeenAt: now.Add(-time.Minute), AuthenticatedAt: now.Add(-2 * time.Minute),
		IdleWindow: 30 * time.Minute, IdleDeadline: now.Add(29 * time.Minute), AbsoluteDeadline: now.Add(11 * time.Hour),
		Remember: true,
		Applied:  []session.Applied{{Key: "01234567", Fingerprint: "fp", At: now.Truncate(session.KeyTimePrecision)}},
	}
	item := encodeSession(rec)
	whole, err := decodeItem(item)
	if err != nil {
		t.Fatal(err)
	}
	projected, err := decodeItem(only(item, sessionReads))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projected, whole) {
		t.Fatalf("decoded from sessionReads %+v, from the whole item %+v", projected, whole)
	}
	if slices.Contains(sessionReads, attrExpiresAt) {
		t.Error("sessionReads holds expiresAt, which nothing decodes")
	}
	for _, name := range sessionReads {
		without := maps.Clone(item)
		delete(without, name)
		got, err := decodeItem(without)
		if err == nil && reflect.DeepEqual(got, whole) {
			t.Errorf("the record is the same without %s: why read it?", name)
		}
	}
}

// TestUserReadsAreWhatAnAccountIsDecodedFrom: GetUser's projection
// (userReads) is exactly the fields an account decodes into, and each
// matters. (counterReads is tested by behaviour: the suites without the
// old item, where the read decides.)
func TestUserReadsAreWhatAnAccountIsDecodedFrom(t *testing.T) {
	item, err := attributevalue.MarshalMap(userItem{Username: "ada", PasswordHash: "$argon2id$x", CreatedAt: 5})
	if err != nil {
		t.Fatal(err)
	}
	if n := reflect.TypeFor[userItem]().NumField(); len(userReads) != n || len(item) != n {
		t.Fatalf("userReads %v, the item %d attributes, userItem %d fields", userReads, len(item), n)
	}
	var want userItem
	if err := attributevalue.UnmarshalMap(only(item, userReads), &want); err != nil {
		t.Fatal(err)
	}
	for _, name := range userReads {
		without := only(item, userReads)
		delete(without, name)
		var got userItem
		if err := attributevalue.UnmarshalMap(without, &got); err != nil {
			t.Fatal(err)
		}
		if got == want {
			t.Errorf("an account decodes the same without %s: why read it?", name)
		}
	}
}

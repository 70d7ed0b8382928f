package dynamostore_test

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
)

// legacyDigest is the first n characters of a hash as the ring stored it
// before its entries were shortened (session's digest, longer).
func legacyDigest(label, s string, n int) string {
	sum := sha256.Sum256([]byte(label + "\x00" + s))
	return base64.RawURLEncoding.EncodeToString(sum[:])[:n]
}

// legacySlot is the slot of a key applied at a as such an item holds it:
// 12 characters of key hash; 8 of fingerprint hash and Unix seconds in 6
// base64url digits.
func legacySlot(key, fingerprint string, at time.Time) (k, info string) {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	secs := at.Unix()
	var b [6]byte
	for i := 5; i >= 0; i-- {
		b[i] = digits[secs&63]
		secs >>= 6
	}
	return legacyDigest("key", key, 12), legacyDigest("fingerprint", fingerprint, 8) + string(b[:])
}

// TestLegacyRing: an item whose ring was written before the entries were
// shortened is read as today's entries, and its live keys still replay
// (or refuse another request) after the change; an expired legacy entry
// lets its key apply again; new entries are written in today's form.
func TestLegacyRing(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now().UTC()
	ring := map[string]types.AttributeValue{}
	keys, info := make([]types.AttributeValue, session.MaxKeys), make([]types.AttributeValue, session.MaxKeys)
	for i := range keys {
		keys[i], info[i] = &types.AttributeValueMemberS{Value: "."}, &types.AttributeValueMemberS{Value: "."}
	}
	oldKey, oldInfo := legacySlot("old", "fp", now.Add(-session.KeyLifetime-time.Hour))
	liveKey, liveInfo := legacySlot("live", "fp", now.Add(-time.Hour))
	keys[30], info[30] = &types.AttributeValueMemberS{Value: oldKey}, &types.AttributeValueMemberS{Value: oldInfo}
	keys[31], info[31] = &types.AttributeValueMemberS{Value: liveKey}, &types.AttributeValueMemberS{Value: liveInfo}
	ring["recentKeys"], ring["recentInfo"] = &types.AttributeValueMemberL{Value: keys}, &types.AttributeValueMemberL{Value: info}
	rec := record(session.StoreKey([]byte("legacy")), "", now)
	rec.Data = session.Data{Counters: map[string]int64{"c": 5}}
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Client.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{
		TableName: aws.String(env.SessionsTable), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: rec.Key}},
		UpdateExpression:          aws.String("SET recentKeys = :k, recentInfo = :i"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":k": ring["recentKeys"], ":i": ring["recentInfo"]},
	}); err != nil {
		t.Fatal(err)
	}

	got, found, err := s.Get(t.Context(), rec.Key, now)
	want, _ := session.AppliedFor(counterChange("live", 1), now.Add(-time.Hour))
	if err != nil || !found || len(got.Applied) != 1 || got.Applied[0] != want {
		t.Fatalf("Get of a legacy ring: %+v, %v, %v; want the live entry %+v", got.Applied, found, err, want)
	}
	if out, err := s.Update(t.Context(), rec.Key, counterChange("live", 1), now); err != nil || !out.Replayed || out.Data.Counters["c"] != 5 {
		t.Errorf("repeat of a key in a legacy slot: %+v, %v; want a replay of c = 5", out, err)
	}
	other := counterChange("live", 1)
	other.Fingerprint = "other"
	if _, err := s.Update(t.Context(), rec.Key, other, now); !errors.Is(err, session.ErrKeyReused) {
		t.Errorf("a legacy key reused for another request: %v, want ErrKeyReused", err)
	}
	if out, err := s.Update(t.Context(), rec.Key, counterChange("old", 1), now); err != nil || out.Replayed || out.Data.Counters["c"] != 6 {
		t.Errorf("a key whose legacy entry expired: %+v, %v; want applied (c = 6)", out, err)
	}
	if out, err := s.Update(t.Context(), rec.Key, counterChange("new", 1), now); err != nil || out.Data.Counters["c"] != 7 {
		t.Errorf("a new key: %+v, %v; want applied (c = 7)", out, err)
	}
	item := getRaw(t, env, env.SessionsTable, "id", rec.Key)
	slots := list(t, item, "recentKeys")
	if newest := slots[session.MaxKeys-1]; newest != session.KeyHash("new") || len(list(t, item, "recentInfo")[session.MaxKeys-1]) != 6 {
		t.Errorf("the newest slot %q, %q: want today's form", newest, list(t, item, "recentInfo")[session.MaxKeys-1])
	}
	if !strings.HasPrefix(liveKey, session.KeyHash("live")) {
		t.Errorf("a legacy key hash %q does not start with today's %q: the two hashes diverged", liveKey, session.KeyHash("live"))
	}
}

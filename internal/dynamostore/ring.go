package dynamostore

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// The idempotency ring is two list attributes of exactly session.MaxKeys
// strings each, oldest first, slot by slot: recentKeys holds the key
// hashes (session.KeyHashLen characters), recentInfo the fingerprint hash
// (session.FingerprintHashLen) and the time of the same entry: the minutes
// from keyEpoch to its At as infoTimeLen base64url digits, most
// significant first. An unused slot holds placeholder in both. Keys alone
// in one list let one clause, NOT contains(recentKeys, :key), tell a new
// key.
//
// Size: DynamoDB counts each list 3 bytes and each element 1 byte plus its
// characters, so a full ring is 20 bytes of names, 6 of lists and 32 × (9
// + 7) of slots, 538 bytes; an empty one 154. Each remembered key adds 12
// bytes to the item over its placeholders (24 before the hashes and the
// time were shortened), which keeps a shopper's session with a browser's User-Agent, a few cart lines,
// a counter and 32 keys within one write unit (TestATypicalSessionIsOneWriteUnit,
// docs/dynamodb.md).
//
// Create writes the placeholders. An update drops the oldest slot and
// appends its entry in the same UpdateItem as its change:
//
//	REMOVE recentKeys[0], recentInfo[0] SET recentKeys[32] = :key, recentInfo[32] = :info
//
// (an index past the end appends, whichever of the two actions DynamoDB
// applies first), so each list stays session.MaxKeys long. Shifting every
// slot instead (SET recentKeys[0] = recentKeys[1], ...) costs 32 actions,
// and 32 conditions with entries in one list: 7× the time on dynalite and
// moto (docs/decisions.md).
//
// Items written before the entries were shortened hold legacy slots: a
// 12-character key hash (the same SHA-256, so its first 8 characters are
// today's hash) and 14 characters of info (the 8-character fingerprint
// hash, whose first 2 are today's, and Unix seconds in 6 digits). They are
// read as today's entries; an update also refuses its key's legacy hash
// (legacyKeyHash), so a key applied before the change still replays. Both
// can go once no legacy entry can be live: a day after every store runs
// this code.
const (
	placeholder = "."
	infoTimeLen = 4
	infoLen     = session.FingerprintHashLen + infoTimeLen

	legacyKeyLen      = 12
	legacyFPLen       = 8
	legacyInfoTimeLen = 6
	legacyInfoLen     = legacyFPLen + legacyInfoTimeLen
)

// keyEpoch is where an entry's time counts from: infoTimeLen base64url
// digits hold 2^24 minutes, until November 2057. A time before it is
// stored as keyEpoch itself (no clock that runs this code is set before
// 2026).
var keyEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// encodeInfo is the recentInfo slot of a.
func encodeInfo(a session.Applied) string {
	var b [infoLen]byte
	n := copy(b[:], a.Fingerprint)
	minutes := max(0, int64(a.At.Sub(keyEpoch)/time.Minute))
	for i := infoLen - 1; i >= n; i-- {
		b[i] = base64URL[minutes&63]
		minutes >>= 6
	}
	return string(b[:])
}

// legacyKeyHash is the key hash of a legacy slot: session.KeyHash's
// digest, 12 characters long.
func legacyKeyHash(key string) string {
	h := sha256.New()
	h.Write([]byte("key"))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:legacyKeyLen]
}

// decodeSlot reads one slot of today's form or the legacy one; ok is
// false for a placeholder.
func decodeSlot(key, info string) (a session.Applied, ok bool, err error) {
	switch {
	case key == placeholder && info == placeholder:
		return session.Applied{}, false, nil
	case len(key) == session.KeyHashLen && len(info) == infoLen:
		minutes, err := base64Number(info[session.FingerprintHashLen:])
		if err != nil {
			return session.Applied{}, false, fmt.Errorf("idempotency slot %q: %w", info, err)
		}
		return session.Applied{Key: key, Fingerprint: info[:session.FingerprintHashLen], At: keyEpoch.Add(time.Duration(minutes) * time.Minute)}, true, nil
	case len(key) == legacyKeyLen && len(info) == legacyInfoLen:
		secs, err := base64Number(info[legacyFPLen:])
		if err != nil {
			return session.Applied{}, false, fmt.Errorf("idempotency slot %q: %w", info, err)
		}
		return session.Applied{Key: key[:session.KeyHashLen], Fingerprint: info[:session.FingerprintHashLen],
			At: time.Unix(secs, 0).UTC().Truncate(session.KeyTimePrecision)}, true, nil
	}
	return session.Applied{}, false, fmt.Errorf("idempotency slot %q, %q has the wrong length", key, info)
}

// base64Number reads base64url digits, most significant first.
func base64Number(digits string) (int64, error) {
	var n int64
	for i := range len(digits) {
		d := indexBase64(digits[i])
		if d < 0 {
			return 0, errors.New("a bad time")
		}
		n = n<<6 | int64(d)
	}
	return n, nil
}

func indexBase64(c byte) int {
	for i := range len(base64URL) {
		if base64URL[i] == c {
			return i
		}
	}
	return -1
}

// encodeRing is the two lists of a new item: placeholders, then the most
// recent session.MaxKeys entries of applied.
func encodeRing(applied []session.Applied) (keys, info types.AttributeValue) {
	applied = applied[max(0, len(applied)-session.MaxKeys):]
	k, in := make([]types.AttributeValue, session.MaxKeys), make([]types.AttributeValue, session.MaxKeys)
	first := session.MaxKeys - len(applied)
	for i := range k {
		if i < first {
			k[i], in[i] = str(placeholder), str(placeholder)
		} else {
			k[i], in[i] = str(applied[i-first].Key), str(encodeInfo(applied[i-first]))
		}
	}
	return &types.AttributeValueMemberL{Value: k}, &types.AttributeValueMemberL{Value: in}
}

// decodeRing reads both lists: their slots as stored and the entries,
// oldest first (expired ones included).
func decodeRing(keysAV, infoAV types.AttributeValue) (keys, info []string, entries []session.Applied, err error) {
	if keys, err = stringList(attrRecentKeys, keysAV); err != nil {
		return nil, nil, nil, err
	}
	if info, err = stringList(attrRecentInfo, infoAV); err != nil {
		return nil, nil, nil, err
	}
	for i := range keys {
		a, ok, err := decodeSlot(keys[i], info[i])
		if err != nil {
			return nil, nil, nil, err
		}
		if ok {
			entries = append(entries, a)
		}
	}
	return keys, info, entries, nil
}

// stringList reads a list of exactly session.MaxKeys strings.
func stringList(name string, v types.AttributeValue) ([]string, error) {
	l, ok := v.(*types.AttributeValueMemberL)
	if !ok || len(l.Value) != session.MaxKeys {
		return nil, fmt.Errorf("%s is not a list of %d strings", name, session.MaxKeys)
	}
	out := make([]string, len(l.Value))
	for i, v := range l.Value {
		s, ok := v.(*types.AttributeValueMemberS)
		if !ok {
			return nil, fmt.Errorf("%s[%d] is %T, want a string", name, i, v)
		}
		out[i] = s.Value
	}
	return out, nil
}

package dynamostore

import (
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// The idempotency ring is two list attributes of exactly session.MaxKeys
// strings each, oldest first, slot by slot: recentKeys holds the key
// hashes (session.KeyHashLen characters), recentInfo the fingerprint hash
// and the time (Unix seconds as infoTimeLen base64url digits, most
// significant first) of the same entry, infoLen characters in all. An
// unused slot holds placeholder in both. Keys alone in one list let one
// clause, NOT contains(recentKeys, :key), tell a new key; 32 slots of 12
// and 14 characters add about 0.9 KB to a full item.
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
const (
	placeholder = "."
	infoTimeLen = 6
	infoLen     = session.FingerprintHashLen + infoTimeLen
)

const base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// encodeInfo is the recentInfo slot of a.
func encodeInfo(a session.Applied) string {
	var b [infoLen]byte
	n := copy(b[:], a.Fingerprint)
	secs := a.At.Unix()
	for i := infoLen - 1; i >= n; i-- {
		b[i] = base64URL[secs&63]
		secs >>= 6
	}
	return string(b[:])
}

// decodeSlot reads one slot of both lists; ok is false for a placeholder.
func decodeSlot(key, info string) (a session.Applied, ok bool, err error) {
	if key == placeholder && info == placeholder {
		return session.Applied{}, false, nil
	}
	if len(key) != session.KeyHashLen || len(info) != infoLen {
		return session.Applied{}, false, fmt.Errorf("idempotency slot %q, %q has the wrong length", key, info)
	}
	var secs int64
	for i := session.FingerprintHashLen; i < infoLen; i++ {
		d := indexBase64(info[i])
		if d < 0 {
			return session.Applied{}, false, fmt.Errorf("idempotency slot %q has a bad time", info)
		}
		secs = secs<<6 | int64(d)
	}
	return session.Applied{Key: key, Fingerprint: info[:session.FingerprintHashLen], At: time.Unix(secs, 0).UTC()}, true, nil
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

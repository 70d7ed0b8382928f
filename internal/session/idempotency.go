package session

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"
)

// Limits of the idempotency keys a session remembers (API.md, "Retries").
const (
	// MaxKeys is how many keys a session remembers: the most recent.
	MaxKeys = 32
	// KeyLifetime is how long a key is remembered at most. A key never
	// outlives its session either: it is stored in the session's record.
	KeyLifetime = 24 * time.Hour
	// KeyTimePrecision is how precisely an entry keeps the time its key
	// was applied: the start of that minute (Applied.At). So a key is
	// remembered for KeyLifetime from the start of the minute it was
	// applied in, between 23 h 59 min and 24 h, on every store alike.
	KeyTimePrecision = time.Minute
)

// Lengths of the hashes an Applied holds (base64url characters). They are
// short because every entry is stored in the session's item, and 32 of
// them must leave a typical session within one DynamoDB write unit (1 KB;
// docs/dynamodb.md, "Size and write units").
const (
	// KeyHashLen: 48 bits of SHA-256 of the key. A new key is taken for one
	// of the at most 32 others its session remembers with a chance of
	// about 32 × 2^-48, 1 in 9 × 10^12 per request: the request is then
	// refused as a reused key (422), or, when its fingerprint hash matches
	// too, answered as a replay and not applied. Only keys of the same
	// session within a day can collide; a client that crafts colliding
	// keys only confuses its own session.
	KeyHashLen = 8
	// FingerprintHashLen: 12 bits of SHA-256 of the request's fingerprint.
	// The fingerprint only tells a replay from a key reused for another
	// request, which no correct client sends (a fresh key per action): a
	// collision, 1 in 4,096 such reuses, answers that reuse as a replay
	// (nothing applied, Idempotent-Replayed) instead of 422.
	FingerprintHashLen = 2
)

// ErrKeyReused means the change's key was recorded by another request
// (another method, path or body): nothing was written.
var ErrKeyReused = errors.New("session: idempotency key reused for another request")

// Applied is one idempotency key a session has applied: the key's hash,
// the hash of the fingerprint of the request that applied it, and when
// (the start of the minute, KeyTimePrecision). Hashes keep the record
// small and carry nothing the client sent.
type Applied struct {
	Key         string // KeyHashLen characters
	Fingerprint string // FingerprintHashLen characters
	At          time.Time
}

// LiveAt reports whether the entry is still remembered at now.
func (a Applied) LiveAt(now time.Time) bool { return now.Before(a.At.Add(KeyLifetime)) }

// AppliedFor is the entry that records change c applied at now. ok is false
// when c has no key (it records nothing).
func AppliedFor(c Change, now time.Time) (a Applied, ok bool) {
	if c.Key == "" {
		return Applied{}, false
	}
	return Applied{
		Key:         KeyHash(c.Key),
		Fingerprint: digest("fingerprint", c.Fingerprint, FingerprintHashLen),
		At:          now.Truncate(KeyTimePrecision).UTC(),
	}, true
}

// KeyHash is the stored form of an idempotency key.
func KeyHash(key string) string { return digest("key", key, KeyHashLen) }

// digest is the first n base64url characters of SHA-256 of label and s.
func digest(label, s string, n int) string {
	h := sha256.New()
	h.Write([]byte(label))
	h.Write([]byte{0})
	h.Write([]byte(s))
	var sum [sha256.Size]byte
	var out [44]byte
	base64.RawURLEncoding.Encode(out[:], h.Sum(sum[:0]))
	return string(out[:n])
}

// Recall judges change c against the entries a session remembers at now:
// replay when a live entry holds c's key and fingerprint; ErrKeyReused when
// a live entry holds c's key with another fingerprint; neither when the key
// is new, or only in entries that have expired.
func Recall(ring []Applied, c Change, now time.Time) (replay bool, err error) {
	a, ok := AppliedFor(c, now)
	if !ok {
		return false, nil
	}
	for _, e := range ring {
		if e.Key != a.Key || !e.LiveAt(now) {
			continue
		}
		if e.Fingerprint != a.Fingerprint {
			return false, ErrKeyReused
		}
		return true, nil
	}
	return false, nil
}

// Remember returns the entries to keep after applying a at now: the live
// ones of ring, oldest first, then a, at most MaxKeys of them (the oldest
// go). ring is not changed.
func Remember(ring []Applied, a Applied, now time.Time) []Applied {
	return newest(append(LiveEntries(ring, now), a))
}

// LiveEntries returns the entries of ring live at now, oldest first, at
// most the MaxKeys most recent (a new slice; nil when there are none).
func LiveEntries(ring []Applied, now time.Time) []Applied {
	var out []Applied
	for _, e := range ring {
		if e.LiveAt(now) {
			out = append(out, e)
		}
	}
	return newest(out)
}

// newest is the last MaxKeys entries of ring.
func newest(ring []Applied) []Applied { return ring[max(0, len(ring)-MaxKeys):] }

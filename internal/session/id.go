package session

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// IDBytes is the size of a session ID: 256 bits from crypto/rand.
const IDBytes = 32

// newID returns a fresh random session ID.
func newID() []byte {
	id := make([]byte, IDBytes)
	_, _ = rand.Read(id) // crypto/rand.Read never fails (Go ≥ 1.24)
	return id
}

// StoreKey is the key a session is stored under: the lower-case hex SHA-256
// of its ID. The raw ID never reaches a store.
func StoreKey(id []byte) string {
	sum := sha256.Sum256(id)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// PublicID is the handle shown in listings and logs, derived from the store
// key (so from neither the ID nor anything that unlocks it): the first 24
// hex digits of SHA-256 of the key.
func PublicID(key string) string {
	h := sha256.New()
	h.Write([]byte("public:"))
	h.Write([]byte(key))
	var sum [sha256.Size]byte
	var out [24]byte
	hex.Encode(out[:], h.Sum(sum[:0])[:12])
	return string(out[:])
}

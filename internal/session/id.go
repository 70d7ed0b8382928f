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
	return hex.EncodeToString(sum[:])
}

// PublicID is the handle shown in listings and logs, derived from the store
// key (so from neither the ID nor anything that unlocks it): the first 24
// hex digits of SHA-256 of the key.
func PublicID(key string) string {
	sum := sha256.Sum256([]byte("public:" + key))
	return hex.EncodeToString(sum[:12])
}

package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
)

// Headers of the contract's "Retries: Idempotency-Key" (the IETF httpapi
// draft).
const (
	// IdempotencyKeyHeader carries the client's key for one user action.
	IdempotencyKeyHeader = "Idempotency-Key"
	// ReplayedHeader says an answer is a replay: nothing was changed.
	ReplayedHeader = "Idempotent-Replayed"
	// MaxIdempotencyKey is the longest key accepted.
	MaxIdempotencyKey = 64
)

// Idempotency is what a request that changes session data says about its
// retries.
type Idempotency struct {
	// Key is the request's Idempotency-Key, or "" when it sent none.
	Key string
	// Fingerprint identifies the request: SHA-256 of its method, path and
	// body. A repeat of Key with another fingerprint is a reused key.
	// Empty when Key is.
	Fingerprint string
}

var errInvalidIdempotencyKey = Errorf(http.StatusBadRequest, "invalid_idempotency_key",
	"An Idempotency-Key is 1 to %d characters: letters A-Z and a-z, digits, '_' or '-'. Send one header at most.", MaxIdempotencyKey)

// ErrIdempotencyKeyReused is the contract's 422 for a key already used by a
// request with another method, path or body.
var ErrIdempotencyKeyReused = Errorf(http.StatusUnprocessableEntity, "idempotency_key_reused",
	"This Idempotency-Key was already used for another request (another method, path or body). Send a fresh key with every new action.")

// ReadIdempotency reads and checks the request's Idempotency-Key (1 to 64
// of A-Z a-z 0-9 _ -, one header at most; otherwise 400
// invalid_idempotency_key) and, when there is one, fingerprints the
// request. It reads the body (at most MaxBodyBytes+1 bytes, as DecodeJSON
// does) and puts it back, so DecodeJSON reads it after. Call it before
// anything else, so that a bad key changes nothing.
func ReadIdempotency(r *http.Request) (Idempotency, error) {
	values := r.Header.Values(IdempotencyKeyHeader)
	if len(values) == 0 {
		return Idempotency{}, nil
	}
	if len(values) > 1 || !validIdempotencyKey(values[0]) {
		return Idempotency{}, errInvalidIdempotencyKey
	}
	body, err := peekBody(r)
	if err != nil {
		return Idempotency{}, Errorf(http.StatusBadRequest, "invalid_json", "The request body could not be read.")
	}
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{0})
	h.Write([]byte(r.URL.EscapedPath()))
	h.Write([]byte{0})
	h.Write(body)
	return Idempotency{Key: values[0], Fingerprint: base64.RawURLEncoding.EncodeToString(h.Sum(nil))}, nil
}

// validIdempotencyKey reports whether k is 1 to MaxIdempotencyKey of
// A-Z a-z 0-9 _ -.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > MaxIdempotencyKey {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// peekBody reads up to MaxBodyBytes+1 bytes of the body and puts them back
// in front of whatever is left.
func peekBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	return body, err
}

// MarkReplayed sets Idempotent-Replayed: true on a replay's answer. Call it
// before writing the status.
func MarkReplayed(w http.ResponseWriter) { w.Header().Set(ReplayedHeader, "true") }

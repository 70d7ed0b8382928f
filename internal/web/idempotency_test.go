package web

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadIdempotency(t *testing.T) {
	long := strings.Repeat("a", MaxIdempotencyKey)
	tests := []struct {
		name   string
		keys   []string // nil: no header
		wantOK bool
	}{
		{"no header", nil, true},
		{"letters, digits, _ and -", []string{"Ab9_-z"}, true},
		{"every edge of the alphabet", []string{"azAZ09_-"}, true},
		{"before A", []string{"@"}, false},
		{"after Z", []string{"["}, false},
		{"before a", []string{"`"}, false},
		{"after z", []string{"{"}, false},
		{"before 0", []string{"/"}, false},
		{"after 9", []string{":"}, false},
		{"64 characters", []string{long}, true},
		{"one character", []string{"k"}, true},
		{"65 characters", []string{long + "a"}, false},
		{"empty", []string{""}, false},
		{"a space", []string{"a b"}, false},
		{"a dot", []string{"a.b"}, false},
		{"quoted (structured field)", []string{`"abc"`}, false},
		{"a comma", []string{"a,b"}, false},
		{"non-ASCII", []string{"clé"}, false},
		{"two headers", []string{"a", "b"}, false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/api/cart/items", strings.NewReader(`{"sku":"x"}`))
		for _, k := range tt.keys {
			r.Header.Add(IdempotencyKeyHeader, k)
		}
		got, err := ReadIdempotency(r)
		if tt.wantOK != (err == nil) {
			t.Errorf("%s: err = %v", tt.name, err)
			continue
		}
		var we *Error
		if err != nil && (!errors.As(err, &we) || we.Status != 400 || we.Code != "invalid_idempotency_key") {
			t.Errorf("%s: err = %v, want 400 invalid_idempotency_key", tt.name, err)
		}
		if err == nil && tt.keys != nil && (got.Key != tt.keys[0] || len(got.Fingerprint) != 43) {
			t.Errorf("%s: %+v", tt.name, got)
		}
		if tt.keys == nil && got != (Idempotency{}) {
			t.Errorf("no header: %+v, want none", got)
		}
		// The body is still there for DecodeJSON.
		if body, _ := io.ReadAll(r.Body); string(body) != `{"sku":"x"}` {
			t.Errorf("%s: body after ReadIdempotency = %q", tt.name, body)
		}
	}
}

// TestFingerprint: method, path and body each change the fingerprint; the
// key and other headers do not.
func TestFingerprint(t *testing.T) {
	fp := func(method, target, body, key string, headers ...string) string {
		t.Helper()
		r := httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set(IdempotencyKeyHeader, key)
		for _, h := range headers {
			r.Header.Set(h, "x")
		}
		got, err := ReadIdempotency(r)
		if err != nil {
			t.Fatal(err)
		}
		return got.Fingerprint
	}
	base := fp("PUT", "/api/cart/items/tea", `{"quantity":1}`, "k")
	for name, other := range map[string]string{
		"method":              fp("POST", "/api/cart/items/tea", `{"quantity":1}`, "k"),
		"path":                fp("PUT", "/api/cart/items/mug", `{"quantity":1}`, "k"),
		"body":                fp("PUT", "/api/cart/items/tea", `{"quantity":2}`, "k"),
		"body spaces":         fp("PUT", "/api/cart/items/tea", `{"quantity": 1}`, "k"),
		"escaped path":        fp("PUT", "/api/cart/items/te%61", `{"quantity":1}`, "k"),
		"path and body moved": fp("PUT", "/api/cart/items/tea{", `"quantity":1}`, "k"),
	} {
		if other == base {
			t.Errorf("another %s, same fingerprint", name)
		}
	}
	// The whole body counts, up to the limit: bodies of MaxBodyBytes that
	// differ in their last byte.
	long := strings.Repeat("x", MaxBodyBytes-1)
	if fp("PUT", "/x", long+"a", "k") == fp("PUT", "/x", long+"b", "k") {
		t.Error("the last byte of a 16 KiB body is not in the fingerprint")
	}
	if fp("PUT", "/api/cart/items/tea?x=1", `{"quantity":1}`, "other", "Cookie", "User-Agent") != base {
		t.Error("the key, the query or other headers changed the fingerprint")
	}
}

// TestReadIdempotencyLargeBody: a body past the limit is left whole for
// DecodeJSON, which answers 413.
func TestReadIdempotencyLargeBody(t *testing.T) {
	big := `{"s":"` + strings.Repeat("x", 2*MaxBodyBytes) + `"}`
	r := httptest.NewRequest("POST", "/x", strings.NewReader(big))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(IdempotencyKeyHeader, "k")
	if _, err := ReadIdempotency(r); err != nil {
		t.Fatal(err)
	}
	var dst struct{ S string }
	var we *Error
	if err := DecodeJSON(r, &dst); !errors.As(err, &we) || we.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("DecodeJSON after ReadIdempotency: %v, want 413", err)
	}
	r = httptest.NewRequest("POST", "/x", strings.NewReader(big))
	r.Header.Set(IdempotencyKeyHeader, "k")
	_, _ = ReadIdempotency(r)
	if body, _ := io.ReadAll(r.Body); string(body) != big {
		t.Errorf("the body came back %d bytes long, want %d", len(body), len(big))
	}
}

func TestMarkReplayed(t *testing.T) {
	w := httptest.NewRecorder()
	MarkReplayed(w)
	if w.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("headers %v", w.Header())
	}
	if ErrIdempotencyKeyReused.Status != 422 || ErrIdempotencyKeyReused.Code != "idempotency_key_reused" {
		t.Errorf("ErrIdempotencyKeyReused = %v", ErrIdempotencyKeyReused)
	}
}

package signing_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/sessionlab/sessionlab/internal/signing"
	"github.com/sessionlab/sessionlab/internal/signing/signingtest"
)

var (
	secretNew = bytes.Repeat([]byte{0x11}, 32)
	secretOld = bytes.Repeat([]byte{0x22}, 40)
	purposes  = []signing.Purpose{signing.SessionCookie, signing.SignedSession}
	opts      = signing.Options{MaxAge: time.Hour, Serializer: securecookie.JSONEncoder{}}
)

// hkdfSHA256 is RFC 5869 with an empty salt, written out with crypto/hmac
// so the test does not trust the code it checks.
func hkdfSHA256(secret []byte, info string, n int) []byte {
	extract := hmac.New(sha256.New, make([]byte, sha256.Size))
	extract.Write(secret)
	prk := extract.Sum(nil)
	var okm, prev []byte
	for i := byte(1); len(okm) < n; i++ {
		expand := hmac.New(sha256.New, prk)
		expand.Write(prev)
		expand.Write([]byte(info))
		expand.Write([]byte{i})
		prev = expand.Sum(nil)
		okm = append(okm, prev...)
	}
	return okm[:n]
}

// TestDeriveKey checks that each purpose's key is HKDF-SHA256 of the
// secret under the purpose's label: 32 bytes, one per purpose and secret,
// never the secret itself. A changed label or hash would end every
// signed value in production, so the derivation is pinned here.
func TestDeriveKey(t *testing.T) {
	seen := map[string]bool{}
	for _, secret := range [][]byte{secretNew, secretOld} {
		for _, p := range purposes {
			key, err := signing.DeriveKey(secret, p)
			if err != nil {
				t.Fatal(err)
			}
			if want := hkdfSHA256(secret, string(p), 32); !bytes.Equal(key, want) {
				t.Errorf("DeriveKey(%x…, %q) = %x, want HKDF-SHA256 %x", secret[:4], p, key, want)
			}
			if len(key) != signing.KeyBytes || bytes.Contains(secret, key[:8]) || seen[string(key)] {
				t.Errorf("key %x for %q: wrong length, part of the secret, or another purpose's", key, p)
			}
			seen[string(key)] = true
		}
	}
	if _, err := signing.DeriveKey(secretNew[:31], signing.SessionCookie); err == nil {
		t.Error("a 31-byte secret was accepted")
	}
	if _, err := signing.DeriveKey(secretNew, ""); err == nil {
		t.Error("an empty purpose was accepted")
	}
}

func newCodec(t *testing.T, p signing.Purpose, secrets ...[]byte) *signing.Codec {
	t.Helper()
	c, err := signing.New(secrets, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRotation checks NEW,OLD: values signed under NEW verify as current,
// values signed under OLD still verify but not as current, and a codec of
// OLD alone does not verify NEW's values.
func TestRotation(t *testing.T) {
	rotated := newCodec(t, signing.SignedSession, secretNew, secretOld)
	old := newCodec(t, signing.SignedSession, secretOld)
	tests := []struct {
		name    string
		signer  *signing.Codec
		checker *signing.Codec
		ok      bool
		current bool
	}{
		{"new under NEW,OLD", rotated, rotated, true, true},
		{"old under NEW,OLD", old, rotated, true, false},
		{"old under OLD", old, old, true, true},
		{"new under OLD", rotated, old, false, false},
	}
	for _, tt := range tests {
		v, err := tt.signer.Encode("c", map[string]string{"k": tt.name})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]string
		current, err := tt.checker.Decode("c", v, &got)
		if (err == nil) != tt.ok || current != tt.current || (tt.ok && got["k"] != tt.name) {
			t.Errorf("%s: Decode = %v, current %v, %v; want ok %v, current %v", tt.name, got, current, err, tt.ok, tt.current)
		}
	}
}

// TestPurposesDoNotMix checks that a value signed for one purpose never
// verifies as another, under the same secrets and the same cookie name,
// nor as a value signed with the bare secret (which the code before
// per-purpose keys used).
func TestPurposesDoNotMix(t *testing.T) {
	session := newCodec(t, signing.SessionCookie, secretNew, secretOld)
	signed := newCodec(t, signing.SignedSession, secretNew, secretOld)
	bare := securecookie.New(secretNew, nil)
	bare.SetSerializer(securecookie.JSONEncoder{})
	fromSession, _ := session.Encode("c", "v")
	fromSigned, _ := signed.Encode("c", "v")
	fromBare, _ := bare.Encode("c", "v")
	for _, tt := range []struct {
		name  string
		codec *signing.Codec
		value string
	}{
		{"session value as signed_session", signed, fromSession},
		{"signed_session value as session", session, fromSigned},
		{"bare-secret value as session", session, fromBare},
		{"bare-secret value as signed_session", signed, fromBare},
	} {
		var got string
		if _, err := tt.codec.Decode("c", tt.value, &got); err == nil {
			t.Errorf("%s verified (%q)", tt.name, got)
		}
	}
	var got string
	if _, err := session.Decode("c", fromSession, &got); err != nil || got != "v" {
		t.Errorf("a session value under its own codec: %q, %v", got, err)
	}
	if _, err := session.Decode("d", fromSession, &got); err == nil {
		t.Error("a value verified under another cookie name")
	}
}

// TestMaxAge checks that a value signed longer ago than MaxAge is refused
// and one signed within it verifies.
func TestMaxAge(t *testing.T) {
	c := newCodec(t, signing.SignedSession, secretNew)
	key, _ := signing.DeriveKey(secretNew, signing.SignedSession)
	for _, tt := range []struct {
		age time.Duration
		ok  bool
	}{
		{0, true},
		{59 * time.Minute, true},
		{61 * time.Minute, false},
		{30 * 24 * time.Hour, false},
	} {
		v := signingtest.Forge(key, "c", time.Now().Add(-tt.age), []byte(`"v"`))
		var got string
		if _, err := c.Decode("c", v, &got); (err == nil) != tt.ok {
			t.Errorf("signed %v ago: err %v, want ok %v", tt.age, err, tt.ok)
		}
	}
}

// TestNewRefuses checks the set-up errors: no secret, a short one (named by
// its position), a MaxAge under a second.
func TestNewRefuses(t *testing.T) {
	for _, tt := range []struct {
		name    string
		secrets [][]byte
		o       signing.Options
		want    string
	}{
		{"no secret", nil, opts, "no secret"},
		{"short second secret", [][]byte{secretNew, secretOld[:16]}, opts, "secret 2"},
		{"no MaxAge", [][]byte{secretNew}, signing.Options{}, "MaxAge"},
		{"MaxAge under a second", [][]byte{secretNew}, signing.Options{MaxAge: time.Second - 1}, "MaxAge"},
	} {
		if _, err := signing.New(tt.secrets, signing.SessionCookie, tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err %v, want one naming %q", tt.name, err, tt.want)
		}
	}
}

// TestShortestMaxAge: a second is the shortest lifetime a codec takes.
func TestShortestMaxAge(t *testing.T) {
	c, err := signing.New([][]byte{secretNew}, signing.SignedSession, signing.Options{MaxAge: time.Second})
	if err != nil {
		t.Fatalf("MaxAge of one second: %v", err)
	}
	v, _ := c.Encode("c", "v")
	var got string
	if _, err := c.Decode("c", v, &got); err != nil || got != "v" {
		t.Errorf("a fresh value under a one-second MaxAge: %q, %v", got, err)
	}
}

// TestMaxLength checks that values longer than MaxLength are neither
// made nor read.
func TestMaxLength(t *testing.T) {
	c, err := signing.New([][]byte{secretNew}, signing.SignedSession, signing.Options{MaxAge: time.Hour, MaxLength: 100, Serializer: securecookie.JSONEncoder{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Encode("c", strings.Repeat("x", 100)); err == nil {
		t.Error("encoded a value longer than MaxLength")
	}
	long, _ := newCodec(t, signing.SignedSession, secretNew).Encode("c", strings.Repeat("x", 100))
	var got string
	if _, err := c.Decode("c", long, &got); err == nil {
		t.Error("decoded a value longer than MaxLength")
	}
}

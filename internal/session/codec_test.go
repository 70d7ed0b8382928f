package session_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/signing"
	"github.com/sessionlab/sessionlab/internal/signing/signingtest"
)

// TestCodecMaxAge checks that the codec refuses a cookie whose signature
// is older than its maxAge, even though it is well signed, and accepts one
// within it: the signature's own lifetime, on top of the store's deadlines.
func TestCodecMaxAge(t *testing.T) {
	codec, err := session.NewCodec([][]byte{keyA}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.DeriveKey(keyA, signing.SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	id := bytes.Repeat([]byte{7}, session.IDBytes)
	for _, tt := range []struct {
		age time.Duration
		ok  bool
	}{
		{time.Minute, true},
		{59 * time.Minute, true},
		{61 * time.Minute, false},
		{29 * 24 * time.Hour, false}, // within securecookie's default 30 days
	} {
		value := signingtest.Forge(key, "session", time.Now().Add(-tt.age), id)
		got, _, err := codec.Decode(value)
		if (err == nil) != tt.ok || (tt.ok && !bytes.Equal(got, id)) {
			t.Errorf("signed %v ago: %x, %v; want ok %v", tt.age, got, err, tt.ok)
		}
	}
	if _, err := session.NewCodec([][]byte{keyA}, 0); err == nil {
		t.Error("NewCodec with no maxAge: no error")
	}
}

// TestCodecOwnKey checks that the session cookie is signed with its own
// derived key: a value signed with the bare secret, or with the secret's
// signed_session key, is refused; one signed with the session key is an ID.
func TestCodecOwnKey(t *testing.T) {
	codec, err := session.NewCodec([][]byte{keyA, keyB}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	id := bytes.Repeat([]byte{9}, session.IDBytes)
	sessionKey, _ := signing.DeriveKey(keyB, signing.SessionCookie)
	signedKey, _ := signing.DeriveKey(keyB, signing.SignedSession)
	for _, tt := range []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"the session key of the old secret", sessionKey, true},
		{"the signed_session key", signedKey, false},
		{"the bare secret", keyB, false},
	} {
		got, current, err := codec.Decode(signingtest.Forge(tt.key, "session", time.Now(), id))
		if (err == nil) != tt.ok || current || (tt.ok && !bytes.Equal(got, id)) {
			t.Errorf("%s: %x, current %v, %v; want ok %v and not current", tt.name, got, current, err, tt.ok)
		}
	}
}

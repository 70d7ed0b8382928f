package session_test

import (
	"bytes"
	"testing"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Keys of the fuzz codecs: the rotated codec signs with fuzzKeyNew and
// still verifies fuzzKeyOld.
var (
	fuzzKeyNew = bytes.Repeat([]byte{0x3c}, 32)
	fuzzKeyOld = bytes.Repeat([]byte{0x4d}, 32)
)

func fuzzCodec(tb testing.TB, keys ...[]byte) *session.Codec {
	tb.Helper()
	c, err := session.NewCodec(keys, session.DefaultTimeouts.Remember)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// FuzzCodecDecode feeds the session cookie decoder arbitrary values, and
// the encoder arbitrary IDs. Decode never panics; whatever decodes is a
// 32-byte ID that round-trips through Encode under the newest key; a value
// that verifies only under the old key says so (current == false) and is
// one the old key alone verifies; an encoded ID decodes back to itself
// when it is 32 bytes and is refused otherwise.
func FuzzCodecDecode(f *testing.F) {
	rotated := fuzzCodec(f, fuzzKeyNew, fuzzKeyOld)
	old := fuzzCodec(f, fuzzKeyOld)
	id := bytes.Repeat([]byte{0x5a}, session.IDBytes)
	cur, err := rotated.Encode(id)
	if err != nil {
		f.Fatal(err)
	}
	prev, err := old.Encode(id)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		value string
		id    []byte
	}{
		{cur, id},
		{prev, id[:31]},
		{cur[:len(cur)-4], append(id, 0)},
		{cur + "=", nil},
		{"", []byte{}},
		{"MTc5NTYzNTY0OXw2bDBfcEdCLWtPNGxQakJBb0RWbFZfZmtPMUMwSnhLMUI1T1BlejRrSG5ZPXzLyZDJW0Fo1TzCKfiSeXbDg4ZZrOo5_76qJi2uc3iYMg==", id},
		{"fA==", []byte("x")},
		{"MXwyfDM=", id}, // base64("1|2|3")
	} {
		f.Add(seed.value, seed.id)
	}
	f.Fuzz(func(t *testing.T, value string, id []byte) {
		checkDecode(t, rotated, old, value)
		checkEncode(t, rotated, id)
	})
}

func checkDecode(t *testing.T, rotated, old *session.Codec, value string) {
	got, current, err := rotated.Decode(value)
	if err != nil {
		if got != nil || current {
			t.Fatalf("Decode(%q) failed (%v) but returned id %x, current %v", value, err, got, current)
		}
		return
	}
	if len(got) != session.IDBytes {
		t.Fatalf("Decode(%q) = %d-byte id, want %d", value, len(got), session.IDBytes)
	}
	if _, _, oldErr := old.Decode(value); !current && oldErr != nil {
		t.Fatalf("Decode(%q) says old key, but the old key alone refuses it: %v", value, oldErr)
	}
	again, err := rotated.Encode(got)
	if err != nil {
		t.Fatalf("Encode(decoded id): %v", err)
	}
	back, current, err := rotated.Decode(again)
	if err != nil || !current || !bytes.Equal(back, got) {
		t.Fatalf("round trip of %x: got %x current %v err %v", got, back, current, err)
	}
}

func checkEncode(t *testing.T, rotated *session.Codec, id []byte) {
	enc, err := rotated.Encode(id)
	if err != nil {
		if len(id) == session.IDBytes {
			t.Fatalf("Encode(%x): %v", id, err)
		}
		return // too long for a cookie: refused, fine
	}
	back, current, err := rotated.Decode(enc)
	switch {
	case len(id) != session.IDBytes && err == nil:
		t.Fatalf("a %d-byte id decoded as a session ID", len(id))
	case len(id) == session.IDBytes && (err != nil || !current || !bytes.Equal(back, id)):
		t.Fatalf("Decode(Encode(%x)) = %x current %v err %v", id, back, current, err)
	}
}

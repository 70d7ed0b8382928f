package session_test

import (
	"net/http/httptest"
	"testing"

	"github.com/sessionlab/sessionlab/internal/memstore"
	"github.com/sessionlab/sessionlab/internal/session"
)

// BenchmarkCodecDecode is verifying a session cookie's signature.
func BenchmarkCodecDecode(b *testing.B) {
	codec, _ := session.NewCodec([][]byte{keyA}, session.DefaultTimeouts.Remember)
	value, _ := codec.Encode(make([]byte, session.IDBytes))
	for b.Loop() {
		if _, _, err := codec.Decode(value); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad is a request's whole session load: cookie decode and
// verify, then a memstore read (inside the touch window: no write).
func BenchmarkLoad(b *testing.B) {
	m, err := session.NewManager(session.Options{Store: memstore.New(), Keys: [][]byte{keyA}, Timeouts: session.DefaultTimeouts})
	if err != nil {
		b.Fatal(err)
	}
	w := httptest.NewRecorder()
	if _, err := m.Start(w, httptest.NewRequest("GET", "/", nil), session.StartOptions{Username: "ada"}); err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/session", nil)
	r.Header.Set("Cookie", w.Header().Get("Set-Cookie"))
	b.ReportAllocs()
	for b.Loop() {
		s, err := m.Load(httptest.NewRecorder(), r)
		if err != nil || s == nil {
			b.Fatal("no session", err)
		}
	}
}

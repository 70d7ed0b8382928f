package cookies

import (
	"bytes"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/sessionlab/sessionlab/internal/web"
)

// logs captures what the handlers log (web.API logs through slog.Default).
var logs lockedBuffer

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf.String()
	b.buf.Reset()
	return s
}

func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	os.Exit(m.Run())
}

func TestRegisterErrors(t *testing.T) {
	tests := map[string][][]byte{
		"no keys":   nil,
		"empty key": {keyA, {}},
		"short key": {keyA[:31]},
	}
	for name, keys := range tests {
		if err := Register(http.NewServeMux(), Config{Keys: keys}); err == nil {
			t.Errorf("%s: Register accepted keys %d", name, len(keys))
		}
	}
	mux := http.NewServeMux()
	if err := Register(mux, Config{Keys: [][]byte{keyA}}); err != nil {
		t.Fatal(err)
	}
	if err := Register(mux, Config{Keys: [][]byte{keyA}}); err == nil {
		t.Fatal("registering twice on one mux did not fail")
	}
}

func TestRoutes(t *testing.T) {
	h := newHandler(t, Config{})
	tests := []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/preferences", "", 200},
		{"PUT", "/api/preferences", `{}`, 200},
		{"DELETE", "/api/preferences", "", 204},
		{"POST", "/api/visits", "", 200},
		{"GET", "/api/cookies", "", 200},
		{"PUT", "/api/cookies/x", `{"value":"1"}`, 200},
		{"DELETE", "/api/cookies/x", "", 204},
		{"GET", "/api/signed-session", "", 200},
		{"PUT", "/api/signed-session", `{"data":{}}`, 200},
		{"DELETE", "/api/signed-session", "", 204},
		// API Gateway's 404 for everything else.
		{"POST", "/api/preferences", "", 404},
		{"PATCH", "/api/preferences", "", 404},
		{"HEAD", "/api/preferences", "", 404},
		{"GET", "/api/visits", "", 404},
		{"PUT", "/api/visits", "", 404},
		{"POST", "/api/cookies", "", 404},
		{"DELETE", "/api/cookies", "", 404},
		{"GET", "/api/cookies/x", "", 404},
		{"POST", "/api/cookies/x", "", 404},
		{"PUT", "/api/cookies/", `{"value":"1"}`, 404},
		{"PUT", "/api/cookies/x/y", `{"value":"1"}`, 404},
		{"POST", "/api/signed-session", "", 404},
		{"GET", "/api/preferences/", "", 404},
		{"GET", "/api//cookies", "", 404},
		{"GET", "/api/nothing", "", 404},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			w := req{method: tt.method, path: tt.path, body: tt.body}.do(t, h)
			expectStatus(t, w, tt.status, "")
			if tt.status == 404 && tt.method != "HEAD" && strings.TrimSpace(w.Body.String()) != web.NotFoundBody {
				t.Fatalf("404 body %s", w.Body)
			}
			if tt.status == 404 {
				checkSetCookies(t, w)
			}
			for k, v := range web.APIHeaders {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestCrossSiteRefused: an unsafe request a browser marks as cross-site
// changes nothing: 403 cross_origin_request and no Set-Cookie.
func TestCrossSiteRefused(t *testing.T) {
	h := newHandler(t, Config{})
	tests := []struct{ method, path, body string }{
		{"PUT", "/api/preferences", `{"theme":"dark"}`},
		{"DELETE", "/api/preferences", ""},
		{"POST", "/api/visits", ""},
		{"PUT", "/api/cookies/x", `{"value":"1"}`},
		{"DELETE", "/api/cookies/x", ""},
		{"PUT", "/api/signed-session", `{"data":{"a":"b"}}`},
		{"DELETE", "/api/signed-session", ""},
	}
	for _, tt := range tests {
		for _, hdr := range []map[string]string{
			{"Sec-Fetch-Site": "cross-site"},
			{"Sec-Fetch-Site": "same-site"},
			{"Origin": "https://evil.example"},
			{"Origin": "null"},
		} {
			t.Run(tt.method+" "+tt.path, func(t *testing.T) {
				w := req{method: tt.method, path: tt.path, body: tt.body, header: hdr}.do(t, h)
				expectStatus(t, w, http.StatusForbidden, "cross_origin_request")
				checkSetCookies(t, w)
			})
		}
		w := req{method: tt.method, path: tt.path, body: tt.body, header: map[string]string{"Sec-Fetch-Site": "same-origin"}}.do(t, h)
		if w.Code >= 300 {
			t.Errorf("same-origin %s %s = %d %s", tt.method, tt.path, w.Code, w.Body)
		}
	}
}

// TestNoCookieValueInLogs runs every route with distinctive cookie values
// and checks that none reaches a log line.
func TestNoCookieValueInLogs(t *testing.T) {
	h := newHandler(t, Config{})
	logs.take()
	signed := putSigned(t, h, map[string]string{"secret": "Z9LOGCANARYdata"})
	jar := []string{"session=Z9LOGCANARYsession", "__Host-session=Z9LOGCANARYhost", "visits=Z9LOGCANARY",
		"theme=Z9LOGCANARY", "signed_session=" + signed, "x=Z9LOGCANARYx"}
	tampered := []string{"signed_session=Z9LOGCANARYtampered"}
	for _, q := range []req{
		{method: "GET", path: "/api/preferences", cookie: jar},
		{method: "PUT", path: "/api/preferences", body: `{"theme":"Z9LOGCANARY"}`, cookie: jar},
		{method: "DELETE", path: "/api/preferences", cookie: jar},
		{method: "POST", path: "/api/visits", cookie: jar},
		{method: "GET", path: "/api/cookies", cookie: jar},
		{method: "PUT", path: "/api/cookies/x", body: `{"value":"Z9LOGCANARYput"}`, cookie: jar},
		{method: "PUT", path: "/api/cookies/x", body: `{"value":"Z9LOGCANARY put"}`, cookie: jar},
		{method: "DELETE", path: "/api/cookies/x", cookie: jar},
		{method: "GET", path: "/api/signed-session", cookie: jar},
		{method: "GET", path: "/api/signed-session", cookie: tampered},
		{method: "PUT", path: "/api/signed-session", body: `{"data":{"k":"Z9LOGCANARYput"}}`, cookie: jar},
		{method: "DELETE", path: "/api/signed-session", cookie: jar},
	} {
		q.do(t, h)
	}
	out := logs.take()
	if !strings.Contains(out, "request") {
		t.Fatalf("no request log lines captured: %q", out)
	}
	if strings.Contains(out, "Z9LOGCANARY") || strings.Contains(out, signed[:20]) {
		t.Fatalf("a cookie value reached the log:\n%s", out)
	}
}

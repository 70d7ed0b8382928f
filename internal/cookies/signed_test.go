package cookies

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/signing"
	"github.com/sessionlab/sessionlab/internal/signing/signingtest"
)

// handMade builds a signed_session value from the published format
// (signingtest.Forge: what securecookie makes with no block key) under the
// signed_session key derived from secret, signed at ts.
func handMade(secret []byte, name, payload string, ts int64) string {
	key, err := signing.DeriveKey(secret, signing.SignedSession)
	if err != nil {
		panic(err)
	}
	return signingtest.Forge(key, name, time.Unix(ts, 0), []byte(payload))
}

// putSigned stores data through h and returns the response's cookie value.
func putSigned(t testing.TB, h http.Handler, data map[string]string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"data": data})
	if err != nil {
		t.Fatal(err)
	}
	w := req{method: "PUT", path: "/api/signed-session", body: string(body)}.do(t, h)
	expectStatus(t, w, http.StatusOK, "")
	cs := setCookies(t, w)
	if len(cs) != 1 {
		t.Fatalf("%d Set-Cookie headers", len(cs))
	}
	return cs[0].Value
}

func getSigned(t testing.TB, h http.Handler, value string) (*signedBody, []*http.Cookie, int, string) {
	t.Helper()
	return getSignedAs(t, h, "signed_session", value)
}

// getSignedAs is getSigned with the cookie sent under name.
func getSignedAs(t testing.TB, h http.Handler, name, value string) (*signedBody, []*http.Cookie, int, string) {
	t.Helper()
	w := req{method: "GET", path: "/api/signed-session", cookie: []string{name + "=" + value}}.do(t, h)
	if w.Code != http.StatusOK {
		return nil, setCookies(t, w), w.Code, errorCode(t, w)
	}
	var b signedBody
	decode(t, w, &b)
	return &b, setCookies(t, w), w.Code, ""
}

func TestSignedSessionEmpty(t *testing.T) {
	h := newHandler(t, Config{})
	for _, cookie := range [][]string{nil, {"signed_session="}, {"other=1"}} {
		w := req{method: "GET", path: "/api/signed-session", cookie: cookie}.do(t, h)
		expectStatus(t, w, http.StatusOK, "")
		if got := strings.TrimSpace(w.Body.String()); got != `{"data":{},"cookie":"","readable":""}` {
			t.Errorf("cookie %q: body %s", cookie, got)
		}
		checkSetCookies(t, w)
	}
}

func TestSignedSessionRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		data map[string]string
	}{
		{"empty", map[string]string{}},
		{"plain", map[string]string{"user": "ada", "cart": "3"}},
		{"html and unicode", map[string]string{"<b>": "café & \"quotes\"", "emoji": "🍪"}},
		{"empty key and value", map[string]string{"": ""}},
	}
	for _, secure := range []bool{false, true} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s secure=%v", tt.name, secure), func(t *testing.T) {
				h := newHandler(t, Config{Secure: secure})
				body, _ := json.Marshal(map[string]any{"data": tt.data})
				w := req{method: "PUT", path: "/api/signed-session", body: string(body)}.do(t, h)
				expectStatus(t, w, http.StatusOK, "")
				var put signedBody
				decode(t, w, &put)
				value := setCookies(t, w)[0].Value
				checkSetCookies(t, w, want{name: named(secure, "signed_session"), value: value, httpOnly: true, secure: secure})
				wantJSON, _ := json.Marshal(tt.data)
				if put.Cookie != value || put.Readable != string(wantJSON) || !equalMaps(put.Data, tt.data) {
					t.Fatalf("PUT body %+v, cookie %q, want readable %s", put, value, wantJSON)
				}
				if readable(value) != string(wantJSON) {
					t.Fatalf("readable without a key = %q, want %s", readable(value), wantJSON)
				}
				got, set, code, _ := getSignedAs(t, h, named(secure, "signed_session"), value)
				if code != http.StatusOK || len(set) != 0 {
					t.Fatalf("GET = %d, Set-Cookie %v", code, set)
				}
				if !equalMaps(got.Data, put.Data) || got.Cookie != put.Cookie || got.Readable != put.Readable {
					t.Fatalf("GET %+v, PUT %+v", got, put)
				}
			})
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) || a == nil || b == nil {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// sessionKeyed signs payload as signed_session under the session cookie's
// key of secret: a value of another purpose.
func sessionKeyed(t *testing.T, secret []byte, payload string, ts int64) string {
	key, err := signing.DeriveKey(secret, signing.SessionCookie)
	if err != nil {
		t.Fatal(err)
	}
	return signingtest.Forge(key, "signed_session", time.Unix(ts, 0), []byte(payload))
}

func TestSignedSessionHandMade(t *testing.T) {
	h := newHandler(t, Config{})
	now := time.Now().Unix()
	tests := []struct {
		name  string
		value string
		ok    bool
	}{
		{"the published format verifies", handMade(keyA, "signed_session", `{"a":"b"}`, now), true},
		{"30 days old", handMade(keyA, "signed_session", `{"a":"b"}`, now-30*86400), true},
		{"32 days old", handMade(keyA, "signed_session", `{"a":"b"}`, now-32*86400), false},
		{"signed for another cookie name", handMade(keyA, "session", `{"a":"b"}`, now), false},
		{"signed with an unknown key", handMade(keyB, "signed_session", `{"a":"b"}`, now), false},
		{"signed, but not a map of strings", handMade(keyA, "signed_session", `{"a":1}`, now), false},
		{"signed, but not JSON", handMade(keyA, "signed_session", `a=b`, now), false},
		{"signed with the bare secret", signingtest.Forge(keyA, "signed_session", time.Unix(now, 0), []byte(`{"a":"b"}`)), false},
		{"signed with the session cookie's key", sessionKeyed(t, keyA, `{"a":"b"}`, now), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, set, code, errCode := getSigned(t, h, tt.value)
			if tt.ok {
				if code != 200 || got.Data["a"] != "b" || got.Readable != `{"a":"b"}` {
					t.Fatalf("GET = %d %s %+v", code, errCode, got)
				}
				return
			}
			if code != 400 || errCode != "tampered_cookie" {
				t.Fatalf("GET = %d %s, want 400 tampered_cookie", code, errCode)
			}
			if len(set) != 1 || set[0].Name != "signed_session" || set[0].MaxAge != -1 {
				t.Fatalf("tampered cookie not expired: %v", set)
			}
		})
	}
}

// TestSignedSessionLongerThanAnyCookie: a well-signed value is refused
// unread when name and value together pass the 4096 bytes of any cookie the
// API writes (the codec itself has no limit), and read when they fit.
func TestSignedSessionLongerThanAnyCookie(t *testing.T) {
	h := newHandler(t, Config{})
	sized := func(want int) string {
		for n := want / 2; n < want; n++ {
			v := handMade(keyA, "signed_session", `{"k":"`+strings.Repeat("x", n)+`"}`, time.Now().Unix())
			if len(v) >= want {
				return v
			}
		}
		t.Fatalf("no value of %d bytes", want)
		return ""
	}
	fits := sized(4096 - len("signed_session") - 3) // values come in steps of 4 bytes
	over := sized(4096 - len("signed_session") + 1)
	if n := len("signed_session") + len(fits); n > 4096 || n < 4090 {
		t.Fatalf("the fitting value makes a %d-byte cookie", n)
	}
	if _, _, code, _ := getSigned(t, h, fits); code != http.StatusOK {
		t.Errorf("a %d-byte cookie = %d, want 200", len("signed_session")+len(fits), code)
	}
	if _, _, code, errCode := getSigned(t, h, over); code != http.StatusBadRequest || errCode != "tampered_cookie" {
		t.Errorf("a %d-byte cookie = %d %s, want 400 tampered_cookie", len("signed_session")+len(over), code, errCode)
	}
}

// TestSignedSessionNullPayload: a signed JSON null is an empty session.
func TestSignedSessionNullPayload(t *testing.T) {
	h := newHandler(t, Config{})
	w := req{method: "GET", path: "/api/signed-session",
		cookie: []string{"signed_session=" + handMade(keyA, "signed_session", "null", time.Now().Unix())}}.do(t, h)
	expectStatus(t, w, http.StatusOK, "")
	var got signedBody
	decode(t, w, &got)
	if got.Data == nil || len(got.Data) != 0 || got.Readable != "null" {
		t.Fatalf("body %s", w.Body)
	}
}

func TestSignedSessionTampered(t *testing.T) {
	h := newHandler(t, Config{})
	good := putSigned(t, h, map[string]string{"role": "user"})

	// The classic attack: keep the MAC, change the readable payload.
	outer, _ := base64.URLEncoding.DecodeString(good)
	parts := strings.SplitN(string(outer), "|", 3)
	parts[1] = base64.URLEncoding.EncodeToString([]byte(`{"role":"admin"}` + "\n"))
	forged := base64.URLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))
	parts = strings.SplitN(string(outer), "|", 3)
	parts[0] = fmt.Sprint(time.Now().Unix() + 3600)
	redated := base64.URLEncoding.EncodeToString([]byte(strings.Join(parts, "|")))

	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := map[string]string{
		"first byte flipped":       flip(0),
		"middle byte flipped":      flip(len(good) / 2),
		"last mac byte flipped":    flip(len(good) - 5),
		"truncated":                good[:len(good)-8],
		"payload changed":          forged,
		"timestamp changed":        redated,
		"not base64":               "!!!not-base64!!!",
		"base64 without pipes":     base64.URLEncoding.EncodeToString([]byte("hello")),
		"garbage":                  "abc",
		"longer than a cookie":     strings.Repeat("A", 4096),
		"doubled":                  good + good,
		"valid base64, bad inside": base64.URLEncoding.EncodeToString([]byte("1|%%%|mac")),
	}
	for _, secure := range []bool{false, true} {
		h := newHandler(t, Config{Secure: secure})
		for name, value := range tests {
			t.Run(fmt.Sprintf("%s secure=%v", name, secure), func(t *testing.T) {
				w := req{method: "GET", path: "/api/signed-session", cookie: []string{named(secure, "signed_session") + "=" + value}}.do(t, h)
				expectStatus(t, w, http.StatusBadRequest, "tampered_cookie")
				checkSetCookies(t, w, want{name: named(secure, "signed_session"), maxAge: -1, httpOnly: true, secure: secure})
				if strings.Contains(w.Body.String(), "role") || strings.Contains(w.Body.String(), value) {
					t.Fatalf("refusal shows the cookie: %s", w.Body)
				}
			})
		}
	}
}

func TestSignedSessionKeyRotation(t *testing.T) {
	oldOnly := newHandler(t, Config{Keys: [][]byte{keyA}})
	rotated := newHandler(t, Config{Keys: [][]byte{keyB, keyA}})
	newOnly := newHandler(t, Config{Keys: [][]byte{keyB}})

	old := putSigned(t, oldOnly, map[string]string{"n": "1"})
	if got, _, code, _ := getSigned(t, rotated, old); code != 200 || got.Data["n"] != "1" {
		t.Fatalf("a cookie signed under the old key fails after adding a new first key: %d", code)
	}
	if _, set, code, errCode := getSigned(t, newOnly, old); code != 400 || errCode != "tampered_cookie" || len(set) != 1 || set[0].MaxAge != -1 {
		t.Fatalf("a cookie signed under a dropped key = %d %s %v", code, errCode, set)
	}

	fresh := putSigned(t, rotated, map[string]string{"n": "2"}) // signed under the new first key
	if got, _, code, _ := getSigned(t, newOnly, fresh); code != 200 || got.Data["n"] != "2" {
		t.Fatalf("the new first key does not sign: GET under it alone = %d", code)
	}
	if _, _, code, _ := getSigned(t, oldOnly, fresh); code != 400 {
		t.Fatalf("a cookie signed under the new key verifies under the old key alone: %d", code)
	}
}

func TestSignedSessionTooLarge(t *testing.T) {
	h := newHandler(t, Config{})
	s, err := newSignedSession([][]byte{keyA}, writer{})
	if err != nil {
		t.Fatal(err)
	}
	size := func(n int) int {
		v, err := s.codec.Encode(signedCookie, map[string]string{"k": strings.Repeat("x", n)})
		if err != nil {
			t.Fatal(err)
		}
		return len(signedCookie) + len(v)
	}
	n := 0
	for size(n+1) <= maxCookieBytes {
		n++
	}
	// n is the longest value whose signed cookie fits; n+1 does not.
	t.Logf("largest value: %d bytes of data, a %d-byte cookie; %d bytes would make %d", n, size(n), n+1, size(n+1))
	put := func(n int) *httptest.ResponseRecorder {
		body := `{"data":{"k":"` + strings.Repeat("x", n) + `"}}`
		return req{method: "PUT", path: "/api/signed-session", body: body}.do(t, h)
	}
	w := put(n)
	expectStatus(t, w, http.StatusOK, "")
	if c := setCookies(t, w); len(c) != 1 || len(c[0].Name)+len(c[0].Value) > maxCookieBytes || len(c[0].Name)+len(c[0].Value) < maxCookieBytes-4 {
		t.Fatalf("largest accepted cookie is %d bytes", size(n))
	}
	w = put(n + 1)
	expectStatus(t, w, http.StatusBadRequest, "cookie_too_large")
	checkSetCookies(t, w)
	if size(n+1) <= maxCookieBytes {
		t.Fatalf("refused a %d-byte cookie", size(n+1))
	}
	// A body far past the budget but inside 16 KiB is refused the same way.
	w = put(12000)
	expectStatus(t, w, http.StatusBadRequest, "cookie_too_large")
	checkSetCookies(t, w)
}

func TestSignedSessionPutErrors(t *testing.T) {
	h := newHandler(t, Config{})
	tests := []struct {
		name, body, ctype string
		status            int
		code              string
	}{
		{"data missing", `{}`, "", 400, "invalid_json"},
		{"data null", `{"data":null}`, "", 400, "invalid_json"},
		{"data not an object", `{"data":"x"}`, "", 400, "invalid_json"},
		{"number value", `{"data":{"a":1}}`, "", 400, "invalid_json"},
		{"nested object", `{"data":{"a":{"b":"c"}}}`, "", 400, "invalid_json"},
		{"unknown field", `{"data":{},"extra":1}`, "", 400, "invalid_json"},
		{"two objects", `{"data":{}}{"data":{}}`, "", 400, "invalid_json"},
		{"not JSON", `data=1`, "", 400, "invalid_json"},
		{"form content type", `{"data":{}}`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"past 16 KiB", `{"data":{"k":"` + strings.Repeat("x", 16<<10) + `"}}`, "", 413, "payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := req{method: "PUT", path: "/api/signed-session", body: tt.body}
			if tt.ctype != "" {
				q.header = map[string]string{"Content-Type": tt.ctype}
			}
			w := q.do(t, h)
			expectStatus(t, w, tt.status, tt.code)
			checkSetCookies(t, w)
		})
	}
}

func TestSignedSessionDelete(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHandler(t, Config{Secure: secure})
		w := req{method: "DELETE", path: "/api/signed-session", cookie: []string{"signed_session=abc"}}.do(t, h)
		expectStatus(t, w, http.StatusNoContent, "")
		checkSetCookies(t, w, want{name: named(secure, "signed_session"), maxAge: -1, httpOnly: true, secure: secure})
	}
}

// TestSignedSessionReadsOnlyItsName checks that with COOKIE_SECURE a
// well-signed value under the plain name is no cookie of the API's (nothing
// is read, nothing expired), and without it the __Host- name is not.
func TestSignedSessionReadsOnlyItsName(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := newHandler(t, Config{Secure: secure})
		value := putSigned(t, h, map[string]string{"k": "v"})
		got, set, code, _ := getSignedAs(t, h, named(!secure, "signed_session"), value)
		if code != http.StatusOK || len(set) != 0 || len(got.Data) != 0 || got.Cookie != "" {
			t.Errorf("secure %v: the other name's cookie = %d %+v, Set-Cookie %v; want no cookie", secure, code, got, set)
		}
		if got, _, code, _ := getSignedAs(t, h, named(secure, "signed_session"), value); code != http.StatusOK || got.Data["k"] != "v" {
			t.Errorf("secure %v: its own name = %d %+v", secure, code, got)
		}
	}
}

func TestReadable(t *testing.T) {
	tests := map[string]string{
		handMade(keyB, "x", "{\"a\":\"b\"}\n", 1): `{"a":"b"}`, // any key, any name
		handMade(keyA, "x", "not json", 1):        "not json",
		"":                                        "",
		"%%%":                                     "",
		base64.URLEncoding.EncodeToString([]byte("1|2")):      "",
		base64.URLEncoding.EncodeToString([]byte("1|%%%|m")):  "",
		base64.URLEncoding.EncodeToString([]byte("1|e30=|m")): "{}",
	}
	for in, want := range tests {
		if got := readable(in); got != want {
			t.Errorf("readable(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSignedSession(f *testing.F) {
	s, err := newSignedSession([][]byte{keyA}, writer{})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := s.codec.Encode(signedCookie, map[string]string{"a": "b"})
	for _, seed := range []string{good, "", "abc", good[:10], base64.URLEncoding.EncodeToString([]byte("1|e30=|m"))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, value string) {
		readable(value)
		data, err := s.decode(value)
		if err == nil && data == nil {
			t.Fatal("verified without data")
		}
	})
}

func BenchmarkGetSignedSession(b *testing.B) {
	h := newHandler(b, Config{Keys: [][]byte{keyB, keyA}})
	old := newHandler(b, Config{Keys: [][]byte{keyA}})
	data := map[string]string{"user": "ada", "theme": "dark", "cart": strings.Repeat("sku-1234,", 20)}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"first key", h}, {"second key", old}} {
		value := putSigned(b, bc.h, data)
		b.Run(bc.name, func(b *testing.B) {
			r := req{method: "GET", path: "/api/signed-session", cookie: []string{"signed_session=" + value}}
			b.ReportAllocs()
			for b.Loop() {
				if w := r.do(b, h); w.Code != http.StatusOK {
					b.Fatalf("GET = %d", w.Code)
				}
			}
		})
	}
}

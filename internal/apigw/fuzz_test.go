package apigw

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// seen is what echoJSON reports of the request it got. Byte slices keep
// invalid UTF-8 intact through JSON.
type seen struct {
	Method   string
	Path     []byte
	Escaped  []byte
	RawQuery []byte
	Cookies  []seenCookie
	Body     []byte
}

type seenCookie struct {
	Name, Value []byte
	Quoted      bool
}

func cookiesOf(cs []*http.Cookie) []seenCookie {
	out := []seenCookie{}
	for _, c := range cs {
		out = append(out, seenCookie{Name: []byte(c.Name), Value: []byte(c.Value), Quoted: c.Quoted})
	}
	return out
}

// echoJSON answers 200 with what it saw of the request as JSON, and sends
// every cookie it received back as a Set-Cookie.
var echoJSON = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	for _, c := range r.Cookies() {
		http.SetCookie(w, &http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted})
	}
	out, _ := json.Marshal(seen{Method: r.Method, Path: []byte(r.URL.Path), Escaped: []byte(r.URL.EscapedPath()),
		RawQuery: []byte(r.URL.RawQuery), Cookies: cookiesOf(r.Cookies()), Body: body})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
})

// setCookieLines are the Set-Cookie headers echoJSON writes for cs.
func setCookieLines(cs []*http.Cookie) []string {
	var out []string
	for _, c := range cs {
		if line := (&http.Cookie{Name: c.Name, Value: c.Value, Quoted: c.Quoted}).String(); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// validHeaderValue reports whether v is a header value net/http's server
// accepts (RFC 9110 §5.5: no control characters but tab).
func validHeaderValue(v string) bool {
	return !strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
}

// serverRequest parses a request as net/http's server would, or reports
// that the server would refuse it.
func serverRequest(method, target, cookie, ctype string, body []byte) (*http.Request, bool) {
	if !validHeaderValue(cookie) || !validHeaderValue(ctype) || method == "CONNECT" {
		return nil, false
	}
	var raw bytes.Buffer
	raw.WriteString(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:3000\r\n")
	if cookie != "" {
		raw.WriteString("Cookie: " + cookie + "\r\n")
	}
	if ctype != "" {
		raw.WriteString("Content-Type: " + ctype + "\r\n")
	}
	raw.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	raw.Write(body)
	r, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil || !strings.HasPrefix(r.URL.Path, "/") || r.URL.Host != "" ||
		len(r.Header.Values("Cookie")) > 1 || len(r.Header.Values("Content-Type")) > 1 {
		return nil, false
	}
	r.RemoteAddr = "192.0.2.1:1234"
	return r, true
}

// FuzzRoundTrip sends requests that net/http's server accepts through
// ToEvent, Handler (around an echo handler) and WriteResponse, as the local
// runner does, and checks that the handler sees the method (API Gateway
// upper-cases it), path, raw path, query, cookies and body of the original,
// and that the cookies it sets reach the client unchanged.
func FuzzRoundTrip(f *testing.F) {
	f.Add("GET", "/api/cookies", "theme=dark; visits=3", "", []byte(nil))
	f.Add("PUT", "/api/cookies/x%20y?b=2&a=1&a=3", "a=1", "application/json", []byte(`{"value":"é"}`))
	f.Add("POST", "/api/cart/items", `q="quoted"; bad name=1; e=`, "application/octet-stream", []byte("\x00\xff"))
	f.Add("DELETE", "/api/cart/items/%2F..%2F?x=%zz", "", "text/plain; charset=latin1", []byte("\xe9"))
	f.Add("PATCH", "/a/b/../c//d?#frag", "a=1;;b=2", "application/json", []byte("{}"))
	f.Add("get", "/api/%E2%82%AC", "€=1", "", []byte(""))
	f.Fuzz(func(t *testing.T, method, target, cookie, ctype string, body []byte) {
		r, ok := serverRequest(method, target, cookie, ctype, body)
		if !ok {
			return
		}
		want := seen{Method: strings.ToUpper(r.Method), Path: []byte(r.URL.Path), Escaped: []byte(r.URL.EscapedPath()),
			RawQuery: []byte(strings.ReplaceAll(r.URL.RawQuery, "#", "%23")), Cookies: cookiesOf(r.Cookies()), Body: body}
		ev, err := ToEvent(r, Route{Key: r.Method + " " + r.URL.Path})
		if err != nil {
			t.Fatalf("ToEvent: %v", err)
		}
		resp, err := Handler(echoJSON)(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handler: %v", err)
		}
		w := httptest.NewRecorder()
		if err := WriteResponse(w, resp); err != nil {
			t.Fatalf("WriteResponse: %v", err)
		}
		if w.Code != http.StatusOK {
			t.Fatalf("%s %q: status %d %s", r.Method, target, w.Code, w.Body)
		}
		var got seen
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("echo body %q: %v", w.Body, err)
		}
		if d := diff(got, want); d != "" {
			t.Fatalf("%s %q Cookie %q: the handler saw another request: %s", method, target, cookie, d)
		}
		if got, want := w.Header().Values("Set-Cookie"), setCookieLines(r.Cookies()); !slices.Equal(got, want) {
			t.Fatalf("Set-Cookie %q, want %q", got, want)
		}
	})
}

func equalCookie(a, b seenCookie) bool {
	return bytes.Equal(a.Name, b.Name) && bytes.Equal(a.Value, b.Value) && a.Quoted == b.Quoted
}

func diff(got, want seen) string {
	switch {
	case got.Method != want.Method:
		return "method " + strconv.Quote(got.Method) + ", want " + strconv.Quote(want.Method)
	case !bytes.Equal(got.Path, want.Path):
		return "path " + strconv.Quote(string(got.Path)) + ", want " + strconv.Quote(string(want.Path))
	case !bytes.Equal(got.Escaped, want.Escaped):
		return "raw path " + strconv.Quote(string(got.Escaped)) + ", want " + strconv.Quote(string(want.Escaped))
	case !bytes.Equal(got.RawQuery, want.RawQuery):
		return "query " + strconv.Quote(string(got.RawQuery)) + ", want " + strconv.Quote(string(want.RawQuery))
	case !slices.EqualFunc(got.Cookies, want.Cookies, equalCookie):
		return "cookies " + strconv.Quote(string(mustJSON(got.Cookies))) + ", want " + strconv.Quote(string(mustJSON(want.Cookies)))
	case !bytes.Equal(got.Body, want.Body):
		return "body " + strconv.Quote(string(got.Body)) + ", want " + strconv.Quote(string(want.Body))
	}
	return ""
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// FuzzHandlerEvent hands Handler arbitrary events, as a caller other than
// the runner might: it never panics, never returns an error, and answers
// either the handler's own status or 400 bad_request, never a 5xx.
func FuzzHandlerEvent(f *testing.F) {
	f.Add("GET", "/api/x", "/api/x", "a=1", "", false, "theme=dark\nvisits=2", "cookie", "theme=dark", "127.0.0.1")
	f.Add("PUT", "", "api/x", "", "!!!", true, "", "content-type", "application/json", "")
	f.Add("", "/api/%zz", "", "#", "\xff", false, "", "", "", "[::1")
	f.Add("GET POST", "//evil.example/x", "", "", "", false, "=", "x-a", "1,2, 3", "a/b@c")
	f.Add("\x00", "/\x7f", "/", "%", "e30=", true, "a=\"b\"", "Host", "h", "h:99999")
	f.Fuzz(func(t *testing.T, method, rawPath, path, rawQuery, body string, b64 bool, cookies, hk, hv, domain string) {
		ev := events.APIGatewayV2HTTPRequest{
			Version: "2.0", RawPath: rawPath, RawQueryString: rawQuery, Body: body, IsBase64Encoded: b64,
			Headers: map[string]string{hk: hv},
			RequestContext: events.APIGatewayV2HTTPRequestContext{DomainName: domain,
				HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}},
		}
		if cookies != "" {
			ev.Cookies = strings.Split(cookies, "\n")
		}
		resp, err := Handler(echoJSON)(context.Background(), ev)
		if err != nil {
			t.Fatalf("Handler returned an error: %v", err)
		}
		switch {
		case resp.StatusCode == http.StatusOK:
		case resp.StatusCode == http.StatusBadRequest && strings.Contains(resp.Body, `"bad_request"`):
		default:
			t.Fatalf("status %d %q, want 200 (the handler's) or 400 bad_request", resp.StatusCode, resp.Body)
		}
	})
}

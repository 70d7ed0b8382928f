package cookies

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/web"
)

// isTokenRef reports whether s is an RFC 9110 §5.6.2 token (RFC 6265's
// cookie-name), written out from the RFC rather than taken from the code
// under test.
func isTokenRef(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// isOctetsRef reports whether every byte of s is an RFC 6265 §4.1.1
// cookie-octet: %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E.
func isOctetsRef(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == 0x21 || 0x23 <= c && c <= 0x2B || 0x2D <= c && c <= 0x3A || 0x3C <= c && c <= 0x5B || 0x5D <= c && c <= 0x7E) {
			return false
		}
	}
	return true
}

// wantCode fails unless err is a *web.Error with status 400 and code.
func wantCode(t *testing.T, err error, status int, code string) {
	t.Helper()
	var we *web.Error
	if !errors.As(err, &we) || we.Status != status || we.Code != code || we.Message == "" {
		t.Fatalf("err = %v, want %d %s", err, status, code)
	}
}

// FuzzCookieName checks checkName against RFC 6265's rule (a token), and
// that every accepted name survives net/http's own parsing of the
// Set-Cookie header the writer makes and of the Cookie header a browser
// sends back.
func FuzzCookieName(f *testing.F) {
	for _, s := range []string{"x", "theme", "__Host-x", "__SECURE-y", "a b", "a=b", "a;b", "", "é", "a\x00", "!#$%&'*+-.^_`|~", "\"q\"", "a,b", strings.Repeat("n", 4096)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := checkName(name)
		if (err == nil) != isTokenRef(name) {
			t.Fatalf("checkName(%q) = %v, but token = %v", name, err, isTokenRef(name))
		}
		if err != nil {
			wantCode(t, err, http.StatusBadRequest, "invalid_cookie_name")
			return
		}
		c := setOne(t, writer{}, http.Cookie{Name: name, Value: "v"})
		if len(name)+1 > maxCookieBytes {
			wantCode(t, c.err, http.StatusBadRequest, "cookie_too_large")
			return
		}
		if c.err != nil {
			t.Fatalf("set %q: %v", name, c.err)
		}
		if c.back.Name != name || c.back.Value != "v" || c.back.Secure != hasSecurePrefix(name) {
			t.Fatalf("Set-Cookie %q reads back as %q=%q secure=%v", c.line, c.back.Name, c.back.Value, c.back.Secure)
		}
		checkCookieHeader(t, name, "v")
	})
}

// FuzzCookieValue checks checkValue against RFC 6265's cookie-octets, and
// the writer against the contract: an accepted cookie is one Set-Cookie
// header that net/http reads back unchanged (name, value unquoted, Path=/,
// SameSite Lax unless asked, Secure when COOKIE_SECURE or SameSite=None,
// Max-Age as asked up to 400 days); a refused one writes nothing and is
// the contract's 400.
func FuzzCookieValue(f *testing.F) {
	f.Add("abc", false, 0, uint8(0), false)
	f.Add("", true, -1, uint8(4), true)
	f.Add("a b", false, 60, uint8(2), false)
	f.Add("a,b", false, 60, uint8(3), false)
	f.Add("\"quoted\"", false, 0, uint8(1), false)
	f.Add("MTc5NTYzNTY0OXxleUpoSWpvaVlpSjlDZz09fISFoqiiXCEW9_PUiNlSAh993nVa-6gGyxgB5hPSJhat", true, maxAgeLimit, uint8(4), true)
	f.Add("x", false, maxAgeLimit+1, uint8(0), false)
	f.Add(strings.Repeat("v", maxCookieBytes-len("fuzz")), false, 1, uint8(0), false)
	f.Add(strings.Repeat("v", maxCookieBytes-len("fuzz")+1), false, 1, uint8(0), false)
	f.Add("back\\slash", false, 0, uint8(0), false)
	f.Add("semi;colon", false, 0, uint8(0), false)
	f.Add("é", false, 0, uint8(0), false)
	f.Fuzz(func(t *testing.T, value string, secure bool, maxAge int, sameSite uint8, httpOnly bool) {
		err := checkValue(value)
		if (err == nil) != isOctetsRef(value) {
			t.Fatalf("checkValue(%q) = %v, but cookie-octets = %v", value, err, isOctetsRef(value))
		}
		ss := http.SameSite(sameSite % 5) // 0 unset, then Default, Lax, Strict, None
		in := http.Cookie{Name: "fuzz", Value: value, MaxAge: maxAge, HttpOnly: httpOnly, SameSite: ss}
		c := setOne(t, writer{secure: secure}, in)
		switch {
		case err != nil:
			wantCode(t, c.err, http.StatusBadRequest, "invalid_cookie_value")
			return
		case len("fuzz")+len(value) > maxCookieBytes:
			wantCode(t, c.err, http.StatusBadRequest, "cookie_too_large")
			return
		case maxAge > maxAgeLimit:
			wantCode(t, c.err, http.StatusBadRequest, "lifetime_too_long")
			return
		case c.err != nil:
			t.Fatalf("set %+v: %v", in, c.err)
		}
		checkAttributes(t, c, in, secure)
		checkCookieHeader(t, "fuzz", value)
	})
}

// written is what one writer.set call did.
type written struct {
	err  error
	line string       // the Set-Cookie header
	back *http.Cookie // line as net/http parses it
}

// setOne calls cw.set and checks that it wrote exactly one Set-Cookie
// header on success and none on failure.
func setOne(t *testing.T, cw writer, c http.Cookie) written {
	t.Helper()
	w := httptest.NewRecorder()
	err := cw.set(w, c)
	lines := w.Header().Values("Set-Cookie")
	if err != nil {
		if len(lines) != 0 {
			t.Fatalf("set failed (%v) but wrote %q", err, lines)
		}
		return written{err: err}
	}
	if len(lines) != 1 {
		t.Fatalf("set wrote %d Set-Cookie headers, want 1", len(lines))
	}
	back, perr := http.ParseSetCookie(lines[0])
	if perr != nil {
		t.Fatalf("net/http cannot read back %q: %v", lines[0], perr)
	}
	if back.Quoted {
		t.Fatalf("Set-Cookie %q has a quoted value", lines[0])
	}
	return written{line: lines[0], back: back}
}

func checkAttributes(t *testing.T, c written, in http.Cookie, secure bool) {
	t.Helper()
	b := c.back
	wantSS := in.SameSite
	if wantSS == 0 || wantSS == http.SameSiteDefaultMode {
		wantSS = http.SameSiteLaxMode
	}
	wantMaxAge := in.MaxAge // ParseSetCookie reads Max-Age=0 as -1
	if wantMaxAge < 0 {
		wantMaxAge = -1
	}
	wantSecure := secure || wantSS == http.SameSiteNoneMode
	if b.Name != in.Name || b.Value != in.Value || b.Path != "/" || b.SameSite != wantSS ||
		b.MaxAge != wantMaxAge || b.Secure != wantSecure || b.HttpOnly != in.HttpOnly || b.Domain != "" {
		t.Fatalf("Set-Cookie %q reads back as %+v, want %+v (secure %v)", c.line, b, in, wantSecure)
	}
}

// checkCookieHeader checks that a browser sending name=value back in a
// Cookie header gives the handler exactly that cookie.
func checkCookieHeader(t *testing.T, name, value string) {
	t.Helper()
	got, err := http.ParseCookie(name + "=" + value)
	if err != nil || len(got) != 1 || got[0].Name != name || got[0].Value != value || got[0].Quoted {
		t.Fatalf("Cookie: %s=%s reads back as %v, %v", name, value, got, err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Cookie", name+"="+value+"; other=1")
	if c, err := r.Cookie(name); err != nil || c.Value != value {
		t.Fatalf("r.Cookie(%q) = %v, %v; want value %q", name, c, err, value)
	}
}

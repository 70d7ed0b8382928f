package cookies

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sessionlab/sessionlab/internal/web"
)

func TestWriterSet(t *testing.T) {
	tests := []struct {
		name   string
		secure bool
		c      http.Cookie
		code   string // "" = written
		want   want
	}{
		{name: "defaults", c: http.Cookie{Name: "a", Value: "b"},
			want: want{name: "a", value: "b"}},
		{name: "empty value", c: http.Cookie{Name: "a"}, want: want{name: "a"}},
		{name: "all cookie-octets", c: http.Cookie{Name: "a", Value: "!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~"},
			want: want{name: "a", value: "!#$%&'()*+-./09:<=>?@AZ[]^_`az{|}~"}},
		{name: "token name", c: http.Cookie{Name: "!#$%&'*+-.^_`|~Az09", Value: "v"},
			want: want{name: "!#$%&'*+-.^_`|~Az09", value: "v"}},
		{name: "max-age, httponly, strict", c: http.Cookie{Name: "a", Value: "b", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteStrictMode},
			want: want{name: "a", value: "b", maxAge: 60, httpOnly: true, sameSite: http.SameSiteStrictMode}},
		{name: "400 days", c: http.Cookie{Name: "a", Value: "b", MaxAge: 34560000},
			want: want{name: "a", value: "b", maxAge: 34560000}},
		{name: "400 days + 1s", c: http.Cookie{Name: "a", Value: "b", MaxAge: 34560001}, code: "lifetime_too_long"},
		{name: "expire", c: http.Cookie{Name: "a", MaxAge: -1}, want: want{name: "a", maxAge: -1}},
		{name: "secure mode", secure: true, c: http.Cookie{Name: "a", Value: "b"},
			want: want{name: "a", value: "b", secure: true}},
		{name: "samesite none is secure", c: http.Cookie{Name: "a", Value: "b", SameSite: http.SameSiteNoneMode},
			want: want{name: "a", value: "b", secure: true, sameSite: http.SameSiteNoneMode}},
		{name: "__Host- prefix is secure", c: http.Cookie{Name: "__Host-x", Value: "b"},
			want: want{name: "__Host-x", value: "b", secure: true}},
		{name: "__secure- prefix any case", c: http.Cookie{Name: "__SECURE-x", Value: "b"},
			want: want{name: "__SECURE-x", value: "b", secure: true}},
		{name: "4096 bytes", c: http.Cookie{Name: "n", Value: strings.Repeat("v", 4095)},
			want: want{name: "n", value: strings.Repeat("v", 4095)}},
		{name: "4097 bytes", c: http.Cookie{Name: "n", Value: strings.Repeat("v", 4096)}, code: "cookie_too_large"},
		{name: "4097-byte name", c: http.Cookie{Name: strings.Repeat("n", 4097)}, code: "cookie_too_large"},
		{name: "empty name", c: http.Cookie{Value: "v"}, code: "invalid_cookie_name"},
		{name: "name with space", c: http.Cookie{Name: "a b"}, code: "invalid_cookie_name"},
		{name: "name with =", c: http.Cookie{Name: "a=b"}, code: "invalid_cookie_name"},
		{name: "name with ;", c: http.Cookie{Name: "a;b"}, code: "invalid_cookie_name"},
		{name: "name with /", c: http.Cookie{Name: "a/b"}, code: "invalid_cookie_name"},
		{name: "name with (", c: http.Cookie{Name: "a(b"}, code: "invalid_cookie_name"},
		{name: "name non-ascii", c: http.Cookie{Name: "café"}, code: "invalid_cookie_name"},
		{name: "value space (net/http would quote)", c: http.Cookie{Name: "a", Value: "b c"}, code: "invalid_cookie_value"},
		{name: "value comma (net/http would quote)", c: http.Cookie{Name: "a", Value: "b,c"}, code: "invalid_cookie_value"},
		{name: "value quote", c: http.Cookie{Name: "a", Value: `"b"`}, code: "invalid_cookie_value"},
		{name: "value semicolon", c: http.Cookie{Name: "a", Value: "b;c=d"}, code: "invalid_cookie_value"},
		{name: "value backslash", c: http.Cookie{Name: "a", Value: `b\c`}, code: "invalid_cookie_value"},
		{name: "value tab", c: http.Cookie{Name: "a", Value: "b\tc"}, code: "invalid_cookie_value"},
		{name: "value newline", c: http.Cookie{Name: "a", Value: "b\r\nSet-Cookie: x=y"}, code: "invalid_cookie_value"},
		{name: "value DEL", c: http.Cookie{Name: "a", Value: "b\x7f"}, code: "invalid_cookie_value"},
		{name: "value NUL", c: http.Cookie{Name: "a", Value: "b\x00"}, code: "invalid_cookie_value"},
		{name: "value non-ascii", c: http.Cookie{Name: "a", Value: "é"}, code: "invalid_cookie_value"},
		{name: "bad domain", c: http.Cookie{Name: "a", Value: "b", Domain: "exa mple"}, code: "invalid_cookie_attribute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			err := writer{secure: tt.secure}.set(w, tt.c)
			if tt.code != "" {
				var we *web.Error
				if !errors.As(err, &we) || we.Code != tt.code || we.Status != http.StatusBadRequest || we.Message == "" {
					t.Fatalf("err = %v, want 400 %s", err, tt.code)
				}
				if got := w.Header().Values("Set-Cookie"); len(got) != 0 {
					t.Fatalf("refused cookie still written: %q", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("set: %v", err)
			}
			checkSetCookies(t, w, tt.want)
		})
	}
}

func TestWriterExpire(t *testing.T) {
	for _, secure := range []bool{false, true} {
		w := httptest.NewRecorder()
		if err := (writer{secure: secure}).expire(w, "x", true); err != nil {
			t.Fatal(err)
		}
		checkSetCookies(t, w, want{name: "x", maxAge: -1, httpOnly: true, secure: secure})
		if line := w.Header().Get("Set-Cookie"); !strings.Contains(line, "; Max-Age=0") {
			t.Errorf("expiring Set-Cookie %q has no Max-Age=0", line)
		}
	}
}

func TestLifetimeAndSameSite(t *testing.T) {
	num := func(n int) *int { return &n }
	str := func(s string) *string { return &s }
	lifetimes := []struct {
		in   *int
		out  int
		code string
	}{
		{nil, 0, ""}, {num(1), 1, ""}, {num(34560000), 34560000, ""},
		{num(0), 0, "invalid_lifetime"}, {num(-1), 0, "invalid_lifetime"},
		{num(34560001), 0, "lifetime_too_long"},
	}
	for _, tt := range lifetimes {
		got, err := lifetime(tt.in)
		if code := codeOf(err); code != tt.code || got != tt.out {
			t.Errorf("lifetime(%v) = %d, %q; want %d, %q", tt.in, got, code, tt.out, tt.code)
		}
	}
	sites := []struct {
		in   *string
		out  http.SameSite
		code string
	}{
		{nil, http.SameSiteLaxMode, ""}, {str("Lax"), http.SameSiteLaxMode, ""},
		{str("strict"), http.SameSiteStrictMode, ""}, {str("NONE"), http.SameSiteNoneMode, ""},
		{str(""), 0, "invalid_cookie_attribute"}, {str("lax "), 0, "invalid_cookie_attribute"},
		{str("default"), 0, "invalid_cookie_attribute"},
	}
	for _, tt := range sites {
		got, err := sameSite(tt.in)
		if code := codeOf(err); code != tt.code || got != tt.out {
			t.Errorf("sameSite(%v) = %v, %q; want %v, %q", tt.in, got, code, tt.out, tt.code)
		}
	}
}

func codeOf(err error) string {
	var we *web.Error
	if errors.As(err, &we) {
		return we.Code
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

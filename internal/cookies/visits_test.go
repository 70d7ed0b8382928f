package cookies

import (
	"net/http"
	"strconv"
	"testing"
)

func TestPostVisits(t *testing.T) {
	tests := []struct {
		name   string
		cookie []string
		want   uint64
	}{
		{"first visit", nil, 1},
		{"counts on", []string{"visits=41"}, 42},
		{"zero", []string{"visits=0"}, 1},
		{"leading zeros", []string{"visits=007"}, 8},
		{"quoted", []string{`visits="5"`}, 6},
		{"unparsable", []string{"visits=abc"}, 1},
		{"empty", []string{"visits="}, 1},
		{"negative", []string{"visits=-5"}, 1},
		{"plus sign", []string{"visits=+5"}, 1},
		{"fraction", []string{"visits=1.5"}, 1},
		{"hex", []string{"visits=0x10"}, 1},
		{"underscore", []string{"visits=1_000"}, 1},
		// 2^53-1 is JavaScript's Number.MAX_SAFE_INTEGER: the largest count
		// the page can show exactly. Written out, not as maxVisits, so that
		// a change of the constant fails here.
		{"largest kept", []string{"visits=9007199254740991"}, 9007199254740992},
		{"absurdly large", []string{"visits=9007199254740992"}, 1},
		{"past uint64", []string{"visits=99999999999999999999999"}, 1},
		{"among others", []string{"a=1", "visits=9", "b=2"}, 10},
	}
	for _, tt := range tests {
		for _, secure := range []bool{false, true} {
			t.Run(tt.name+map[bool]string{true: " secure"}[secure], func(t *testing.T) {
				h := newHandler(t, Config{Secure: secure})
				w := req{method: "POST", path: "/api/visits", cookie: sent(secure, tt.cookie)}.do(t, h)
				expectStatus(t, w, http.StatusOK, "")
				var got visitsBody
				decode(t, w, &got)
				if got.Visits != tt.want {
					t.Fatalf("visits = %d, want %d", got.Visits, tt.want)
				}
				checkSetCookies(t, w, want{name: named(secure, "visits"), value: strconv.FormatUint(tt.want, 10), maxAge: 31536000, secure: secure})
			})
		}
	}
}

// TestVisitsRoundTrip feeds each response's cookie into the next request.
func TestVisitsRoundTrip(t *testing.T) {
	h := newHandler(t, Config{})
	var cookie []string
	for i := uint64(1); i <= 3; i++ {
		w := req{method: "POST", path: "/api/visits", cookie: cookie}.do(t, h)
		var got visitsBody
		decode(t, w, &got)
		if got.Visits != i {
			t.Fatalf("visit %d answered %d", i, got.Visits)
		}
		c := setCookies(t, w)[0]
		cookie = []string{c.Name + "=" + c.Value}
	}
}

// TestVisitsReadOnlyItsName checks that each mode reads only its own name:
// with COOKIE_SECURE a plain visits cookie (which any sibling domain or
// plain-HTTP answer could have planted) counts as none, and without it a
// __Host-visits cookie is not the API's.
func TestVisitsReadOnlyItsName(t *testing.T) {
	for _, tt := range []struct {
		secure bool
		cookie string
		want   uint64
	}{
		{true, "visits=41", 1},
		{true, "__Host-visits=41", 42},
		{true, "visits=9; __Host-visits=41", 42},
		{false, "__Host-visits=41", 1},
		{false, "visits=41; __Host-visits=9", 42},
	} {
		w := req{method: "POST", path: "/api/visits", cookie: []string{tt.cookie}}.do(t, newHandler(t, Config{Secure: tt.secure}))
		var got visitsBody
		decode(t, w, &got)
		if got.Visits != tt.want {
			t.Errorf("secure %v, Cookie %q: visits = %d, want %d", tt.secure, tt.cookie, got.Visits, tt.want)
		}
		checkSetCookies(t, w, want{name: named(tt.secure, "visits"), value: strconv.FormatUint(tt.want, 10), maxAge: 31536000, secure: tt.secure})
	}
}

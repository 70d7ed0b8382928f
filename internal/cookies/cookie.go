package cookies

import (
	"net/http"
	"strings"

	"github.com/sessionlab/sessionlab/internal/web"
)

// Limits every cookie the API writes respects (RFC 6265bis §5.6 and
// §5.6.1, and what browsers enforce): the name and value together at most
// 4096 bytes, a Max-Age of at most 400 days.
const (
	maxCookieBytes = 4096
	maxAgeLimit    = 400 * 24 * 60 * 60 // 34560000 seconds
)

// hostPrefix is the cookie name prefix that binds a cookie to the exact
// origin (RFC 6265bis §4.1.3.2: Secure, Path=/, no Domain). With
// COOKIE_SECURE every cookie the API sets carries it.
const hostPrefix = "__Host-"

// managedNames are the cookies the API sets itself, by their plain names.
var managedNames = []string{sessionCookie, signedCookie, themeCookie, languageCookie, visitsCookie}

// sessionCookie is the server-side session's cookie, which internal/session
// sets; this package only keeps its value out of bodies.
const sessionCookie = "session"

// reservedNames are the cookies the API manages itself, in both forms
// (plain and __Host-), which PUT and DELETE /api/cookies/{name} refuse to
// touch whatever COOKIE_SECURE says. Cookie names are case-sensitive (RFC
// 6265 §5.3 compares them exactly, and so do browsers and net/http), so the
// comparison is exact: "Session" is another cookie.
var reservedNames = func() map[string]bool {
	m := map[string]bool{}
	for _, n := range managedNames {
		m[n], m[hostPrefix+n] = true, true
	}
	return m
}()

// sessionNames are the names of the server-side session cookie (plain and
// with COOKIE_SECURE), whose value never appears in a body.
var sessionNames = map[string]bool{sessionCookie: true, hostPrefix + sessionCookie: true}

// writer writes the API's cookies. Every cookie is checked against the
// contract's limits before its Set-Cookie header is added, so a cookie the
// browser would drop or mangle is refused with a clear error instead.
type writer struct {
	secure bool // COOKIE_SECURE: every cookie carries Secure and a __Host- name
}

// name is the name under which the API sets and reads its cookie called
// plain: "__Host-"+plain with COOKIE_SECURE, else plain. With COOKIE_SECURE
// the API reads only the prefixed name, which a browser accepts only from
// this origin over HTTPS (Secure, Path=/, no Domain), so a sibling domain or
// a plain-HTTP response cannot plant it.
func (cw writer) name(plain string) string {
	if cw.secure {
		return hostPrefix + plain
	}
	return plain
}

// read returns the value of the API's cookie called plain (under its
// name()), and whether the request had it.
func (cw writer) read(r *http.Request, plain string) (string, bool) {
	c, err := r.Cookie(cw.name(plain))
	if err != nil {
		return "", false
	}
	return c.Value, true
}

// set checks c and adds it to w as a Set-Cookie header. c.MaxAge follows
// net/http: 0 is a browser-session cookie, > 0 a lifetime in seconds, < 0
// expires the cookie now (Max-Age=0). Defaults: Path=/ and SameSite=Lax.
// Secure is added when the writer is secure, when SameSite is None
// (browsers drop such a cookie otherwise) and for the __Secure- and __Host-
// name prefixes (RFC 6265bis §4.1.3). The error is a *web.Error with the
// contract's code; nothing is written then.
func (cw writer) set(w http.ResponseWriter, c http.Cookie) error {
	if err := checkName(c.Name); err != nil {
		return err
	}
	if err := checkValue(c.Value); err != nil {
		return err
	}
	if n := len(c.Name) + len(c.Value); n > maxCookieBytes {
		return web.Errorf(http.StatusBadRequest, "cookie_too_large",
			"The cookie's name and value together would be %d bytes; browsers keep at most %d.", n, maxCookieBytes)
	}
	if c.MaxAge > maxAgeLimit {
		return errLifetimeTooLong()
	}
	if c.Path == "" {
		c.Path = "/"
	}
	if c.SameSite == 0 || c.SameSite == http.SameSiteDefaultMode { // 0: unset
		c.SameSite = http.SameSiteLaxMode
	}
	if cw.secure || c.SameSite == http.SameSiteNoneMode || hasSecurePrefix(c.Name) {
		c.Secure = true
	}
	if err := c.Valid(); err != nil {
		return web.Errorf(http.StatusBadRequest, "invalid_cookie_attribute", "The cookie's attributes are not valid.")
	}
	line := c.String()
	// net/http quotes a value it finds awkward rather than refusing it;
	// reading the header back proves the browser gets exactly c.Value.
	back, err := http.ParseSetCookie(line)
	if err != nil || back.Name != c.Name || back.Value != c.Value || back.Quoted {
		return errValue()
	}
	w.Header().Add("Set-Cookie", line)
	return nil
}

// expire adds a Set-Cookie header that removes the cookie name (Max-Age=0,
// Path=/), with the attributes it was set with.
func (cw writer) expire(w http.ResponseWriter, name string, httpOnly bool) error {
	return cw.set(w, http.Cookie{Name: name, MaxAge: -1, HttpOnly: httpOnly})
}

// checkName reports a name that is not an RFC 6265 token (RFC 9110 §5.6.2),
// using net/http's own test.
func checkName(name string) error {
	if name == "" || (&http.Cookie{Name: name}).Valid() != nil {
		return web.Errorf(http.StatusBadRequest, "invalid_cookie_name",
			"A cookie name must be one or more letters, digits or any of !#$%%&'*+-.^_`|~ (an RFC 6265 token).")
	}
	return nil
}

// checkValue reports a value that is not all cookie-octets (RFC 6265
// §4.1.1): printable ASCII without whitespace, '"', ',', ';' and '\'.
// net/http would quote a value with a space or a comma instead.
func checkValue(value string) error {
	for i := 0; i < len(value); i++ {
		if !isCookieOctet(value[i]) {
			return errValue()
		}
	}
	if (&http.Cookie{Name: "x", Value: value}).Valid() != nil {
		return errValue()
	}
	return nil
}

func isCookieOctet(b byte) bool {
	return b > 0x20 && b < 0x7f && b != '"' && b != ',' && b != ';' && b != '\\'
}

func errValue() error {
	return web.Errorf(http.StatusBadRequest, "invalid_cookie_value",
		"A cookie value may hold only printable ASCII without spaces, double quotes, commas, semicolons or backslashes.")
}

func errLifetimeTooLong() error {
	return web.Errorf(http.StatusBadRequest, "lifetime_too_long",
		"A cookie may live at most 400 days (%d seconds); browsers cut anything longer.", maxAgeLimit)
}

// hasSecurePrefix reports whether name starts with __Secure- or __Host-,
// which browsers accept only with Secure. Browsers match the prefixes
// case-insensitively (RFC 6265bis §5.7), so this does too.
func hasSecurePrefix(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasPrefix(lower, "__secure-") || strings.HasPrefix(lower, "__host-")
}

// checkReserved refuses (403 reserved_cookie) a name the API manages itself.
func checkReserved(name string) error {
	if reservedNames[name] {
		return web.Errorf(http.StatusForbidden, "reserved_cookie",
			"The cookie %q is managed by the API itself; use its own endpoint to change it.", name)
	}
	return nil
}

// lifetime turns a requested Max-Age in seconds into the cookie's MaxAge:
// absent is 0 (a browser-session cookie); it must be 1 to 34560000 seconds
// (400 invalid_lifetime below, 400 lifetime_too_long above).
func lifetime(seconds *int) (int, error) {
	switch {
	case seconds == nil:
		return 0, nil
	case *seconds <= 0:
		return 0, web.Errorf(http.StatusBadRequest, "invalid_lifetime",
			"maxAgeSeconds must be at least 1; leave it out for a cookie that ends with the browser session.")
	case *seconds > maxAgeLimit:
		return 0, errLifetimeTooLong()
	}
	return *seconds, nil
}

// sameSite parses a requested SameSite attribute: "Lax", "Strict" or "None",
// in any letter case (as browsers read the attribute, RFC 6265bis §5.6.7);
// absent is Lax. Anything else is 400 invalid_cookie_attribute.
func sameSite(s *string) (http.SameSite, error) {
	if s == nil {
		return http.SameSiteLaxMode, nil
	}
	switch strings.ToLower(*s) {
	case "lax":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, web.Errorf(http.StatusBadRequest, "invalid_cookie_attribute", "sameSite must be \"Lax\", \"Strict\" or \"None\".")
}

package cookies

import (
	"net/http"

	"github.com/sessionlab/sessionlab/internal/web"
)

// receivedCookie is one cookie in GET /api/cookies.
type receivedCookie struct {
	Name     string  `json:"name"`
	Value    *string `json:"value"` // null for the session cookie
	Bytes    int     `json:"bytes"`
	Redacted bool    `json:"redacted,omitempty"`
}

// inspection is the body of GET /api/cookies.
type inspection struct {
	Cookies     []receivedCookie `json:"cookies"`
	HeaderBytes int              `json:"headerBytes"`
}

// listCookies answers GET /api/cookies: the cookies received, in order, as
// net/http reads them (pairs it drops, such as a name that is not a token,
// are not listed; a name sent twice is listed twice). A value the browser
// sent in double quotes is shown with its quotes, as the browser stores
// it. bytes is len(name)+len(value); headerBytes is the length of all
// pairs joined as "name=value; name=value". The session cookie (session
// and __Host-session) is listed with value null and redacted true; its
// bytes still count.
func listCookies(w http.ResponseWriter, r *http.Request) {
	received := r.Cookies()
	out := inspection{Cookies: make([]receivedCookie, 0, len(received))}
	for i, c := range received {
		value := c.Value
		if c.Quoted {
			value = `"` + value + `"`
		}
		rc := receivedCookie{Name: c.Name, Bytes: len(c.Name) + len(value)}
		if sessionNames[c.Name] {
			rc.Redacted = true
		} else {
			rc.Value = &value
		}
		out.Cookies = append(out.Cookies, rc)
		if i > 0 {
			out.HeaderBytes += len("; ")
		}
		out.HeaderBytes += rc.Bytes + len("=")
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// setCookieRequest is the body of PUT /api/cookies/{name}; nil is absent.
type setCookieRequest struct {
	Value         *string `json:"value"`
	MaxAgeSeconds *int    `json:"maxAgeSeconds"`
	HTTPOnly      *bool   `json:"httpOnly"`
	SameSite      *string `json:"sameSite"`
}

// setCookieBody is the body of a successful PUT /api/cookies/{name}.
type setCookieBody struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Bytes int    `json:"bytes"`
}

// putCookie answers PUT /api/cookies/{name}: one Set-Cookie, Path=/.
//   - {name} (unescaped by ServeMux) must be a token (400
//     invalid_cookie_name) and not one the API manages (403
//     reserved_cookie); both are checked before the body is read.
//   - value is required: absent or null is 400 invalid_cookie_value (the
//     body is well-formed JSON, the value is what is wrong); "" is a valid,
//     empty value.
//   - maxAgeSeconds 1–34560000 (400 invalid_lifetime at 0 or less, 400
//     lifetime_too_long above); absent: a browser-session cookie.
//   - httpOnly defaults to false, so the page can read the cookie.
//   - sameSite "Lax" (default), "Strict" or "None" in any letter case,
//     else 400 invalid_cookie_attribute; None always carries Secure.
func (cw writer) putCookie(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := checkTarget(name); err != nil {
		web.WriteError(w, r, err)
		return
	}
	var req setCookieRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := requestedCookie(name, req)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := cw.set(w, c); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, setCookieBody{Name: c.Name, Value: c.Value, Bytes: len(c.Name) + len(c.Value)})
}

func requestedCookie(name string, req setCookieRequest) (http.Cookie, error) {
	if req.Value == nil {
		return http.Cookie{}, web.Errorf(http.StatusBadRequest, "invalid_cookie_value",
			"The body needs a \"value\": a string of cookie characters (it may be empty).")
	}
	maxAge, err := lifetime(req.MaxAgeSeconds)
	if err != nil {
		return http.Cookie{}, err
	}
	site, err := sameSite(req.SameSite)
	if err != nil {
		return http.Cookie{}, err
	}
	return http.Cookie{
		Name:     name,
		Value:    *req.Value,
		MaxAge:   maxAge,
		HttpOnly: req.HTTPOnly != nil && *req.HTTPOnly,
		SameSite: site,
	}, nil
}

// deleteCookie answers DELETE /api/cookies/{name}: 204 with the cookie
// expired (Max-Age=0, Path=/); 400 invalid_cookie_name, 403
// reserved_cookie. It answers 204 whether or not the request had the
// cookie.
func (cw writer) deleteCookie(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if err := checkTarget(name); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := cw.expire(w, name, false); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.NoContent(w)
}

// checkTarget checks a {name} of /api/cookies/{name}.
func checkTarget(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return checkReserved(name)
}

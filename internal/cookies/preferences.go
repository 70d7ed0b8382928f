package cookies

import (
	"net/http"
	"slices"
	"strings"

	"github.com/sessionlab/sessionlab/internal/web"
)

// Preference cookies: plain text, not HttpOnly (the pages read them).
const (
	themeCookie    = "theme"
	languageCookie = "language"

	defaultMaxAgeDays = 365
	maxMaxAgeDays     = maxAgeLimit / (24 * 60 * 60) // 400
)

// preference is one UI preference kept in its own cookie.
type preference struct {
	cookie  string
	allowed []string // the first is the default
}

var (
	themePref    = preference{cookie: themeCookie, allowed: []string{"light", "dark", "system"}}
	languagePref = preference{cookie: languageCookie, allowed: []string{"en", "fr", "de", "es"}}
)

// current is the preference's value in r's cookie (under cw's name for
// it); the default when the cookie is missing or holds a value that is not
// allowed.
func (p preference) current(cw writer, r *http.Request) string {
	if v, ok := cw.read(r, p.cookie); ok && slices.Contains(p.allowed, v) {
		return v
	}
	return p.allowed[0]
}

// check refuses a value that is not allowed (compared exactly: "Dark" is
// not a theme) with 400 invalid_preference naming the allowed values.
func (p preference) check(v string) error {
	if !slices.Contains(p.allowed, v) {
		return web.Errorf(http.StatusBadRequest, "invalid_preference",
			"%s must be one of %s.", p.cookie, strings.Join(p.allowed, ", "))
	}
	return nil
}

// preferences is the body of GET and PUT /api/preferences.
type preferences struct {
	Theme    string `json:"theme"`
	Language string `json:"language"`
}

// preferencesRequest is the body of PUT /api/preferences; nil is absent.
type preferencesRequest struct {
	Theme      *string `json:"theme"`
	Language   *string `json:"language"`
	MaxAgeDays *int    `json:"maxAgeDays"`
}

// getPreferences answers GET /api/preferences.
func (cw writer) getPreferences(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, cw.preferences(r))
}

// preferences are r's preferences as its cookies say.
func (cw writer) preferences(r *http.Request) preferences {
	return preferences{Theme: themePref.current(cw, r), Language: languagePref.current(cw, r)}
}

// putPreferences answers PUT /api/preferences: one Set-Cookie per preference
// given, each with Max-Age maxAgeDays (1–400, default 365), and all
// preferences after the change. Everything is checked before any cookie is
// written. A body with neither theme nor language changes nothing.
func (cw writer) putPreferences(w http.ResponseWriter, r *http.Request) {
	var req preferencesRequest
	if err := web.DecodeJSON(r, &req); err != nil {
		web.WriteError(w, r, err)
		return
	}
	maxAge, err := preferenceLifetime(req.MaxAgeDays)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	out := cw.preferences(r)
	changes := []struct {
		pref preference
		val  *string
		dst  *string
	}{
		{themePref, req.Theme, &out.Theme},
		{languagePref, req.Language, &out.Language},
	}
	for _, c := range changes {
		if c.val != nil {
			if err := c.pref.check(*c.val); err != nil {
				web.WriteError(w, r, err)
				return
			}
		}
	}
	for _, c := range changes {
		if c.val == nil {
			continue
		}
		if err := cw.set(w, http.Cookie{Name: cw.name(c.pref.cookie), Value: *c.val, MaxAge: maxAge}); err != nil {
			web.WriteError(w, r, err)
			return
		}
		*c.dst = *c.val
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// preferenceLifetime turns maxAgeDays into seconds: default 365 days; 400
// invalid_preference below 1, 400 lifetime_too_long above 400.
func preferenceLifetime(days *int) (int, error) {
	switch {
	case days == nil:
		return defaultMaxAgeDays * 24 * 60 * 60, nil
	case *days < 1:
		return 0, web.Errorf(http.StatusBadRequest, "invalid_preference", "maxAgeDays must be at least 1.")
	case *days > maxMaxAgeDays:
		return 0, errLifetimeTooLong()
	}
	return *days * 24 * 60 * 60, nil
}

// deletePreferences answers DELETE /api/preferences: 204, both cookies
// expired.
func (cw writer) deletePreferences(w http.ResponseWriter, r *http.Request) {
	for _, name := range []string{themeCookie, languageCookie} {
		if err := cw.expire(w, cw.name(name), false); err != nil {
			web.WriteError(w, r, err)
			return
		}
	}
	web.NoContent(w)
}

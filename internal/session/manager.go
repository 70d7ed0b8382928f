package session

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/web"
)

// Manager loads, starts, renews and destroys the session of a request. It
// is safe for concurrent use.
type Manager struct {
	store    Store
	codec    *Codec
	timeouts config.Timeouts
	secure   bool
	now      func() time.Time
}

// Options configures a Manager.
type Options struct {
	Store    Store
	Keys     [][]byte // first signs, all verify
	Timeouts config.Timeouts
	Secure   bool             // COOKIE_SECURE: Secure cookies named __Host-session
	Now      func() time.Time // the clock; time.Now when nil
}

// NewManager returns a Manager.
func NewManager(o Options) (*Manager, error) {
	codec, err := NewCodec(o.Keys, max(o.Timeouts.Absolute, o.Timeouts.Remember))
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	return &Manager{store: o.Store, codec: codec, timeouts: o.Timeouts, secure: o.Secure, now: now}, nil
}

// Session is a live session of the current request.
type Session struct {
	Record
	id []byte // the raw ID: only ever written into the signed cookie
}

// PublicID is the session's handle for listings and logs.
func (s *Session) PublicID() string { return PublicID(s.Key) }

// CookieName is the session cookie's name: "__Host-session" when cookies are
// Secure, else "session".
func (m *Manager) CookieName() string {
	if m.secure {
		return "__Host-session"
	}
	return "session"
}

// Now is the manager's clock.
func (m *Manager) Now() time.Time { return m.now() }

// Store is the manager's store.
func (m *Manager) Store() Store { return m.store }

// Load returns the request's live session, or nil when it has none. A cookie
// that is badly signed, or names a session that ended, was revoked or is
// unknown, counts as no session, and the response expires it. A cookie
// signed under an older key is re-issued under the newest. The idle deadline
// is refreshed (one write) only when a quarter of the idle window, at most
// SESSION_TOUCH_INTERVAL, has passed since the last refresh. A non-nil error
// is a store failure.
func (m *Manager) Load(w http.ResponseWriter, r *http.Request) (*Session, error) {
	key, id, current, ok := m.verifiedCookie(w, r)
	if !ok {
		return nil, nil
	}
	ctx, now := r.Context(), m.now()
	rec, found, err := m.store.Get(ctx, key, now)
	if err != nil {
		return nil, fmt.Errorf("load session: %w", err)
	}
	if !found {
		m.ended(w, r, key)
		return nil, nil
	}
	if now.Sub(rec.LastSeenAt) >= m.touchInterval(rec) {
		found, err := m.store.Touch(ctx, key, now)
		if err != nil {
			return nil, fmt.Errorf("refresh session: %w", err)
		}
		if !found {
			m.ended(w, r, key)
			return nil, nil
		}
		rec.LastSeenAt, rec.IdleDeadline = now, now.Add(rec.IdleWindow)
	}
	s := &Session{Record: rec, id: id}
	if !current {
		if err := m.setCookie(w, s, now); err != nil {
			return nil, err
		}
		web.Logger(ctx).Info("session cookie re-issued under the newest key", "session", s.PublicID())
	}
	web.SetSessionID(ctx, s.PublicID())
	return s, nil
}

// CookieKey returns the store key named by the request's session cookie
// after checking its signature, without reading the store: for a change
// that is itself one conditional store call (the cart). A badly signed
// cookie is expired and ok is false. reissue reports that the cookie
// verified only under an older key: then call Load instead, which re-issues
// it with the right lifetime.
func (m *Manager) CookieKey(w http.ResponseWriter, r *http.Request) (key string, reissue, ok bool) {
	key, _, current, ok := m.verifiedCookie(w, r)
	if ok {
		web.SetSessionID(r.Context(), PublicID(key))
	}
	return key, ok && !current, ok
}

// Ended expires the session cookie of a session the store no longer has
// (found == false from a store call made with its key).
func (m *Manager) Ended(w http.ResponseWriter, r *http.Request, key string) {
	m.ended(w, r, key)
}

// StartOptions describes a new session.
type StartOptions struct {
	Username string         // "" for an anonymous session
	Remember bool           // the longer "remember me" lifetimes and a persistent cookie
	Cart     map[string]int // carried over from an earlier session
}

// Start begins a new session with a fresh ID, stores it and sets its cookie.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, o StartOptions) (*Session, error) {
	s, err := m.create(r, o)
	if err != nil {
		return nil, err
	}
	return s, m.issue(w, r, s, o)
}

// create stores a new session with a fresh ID, without telling the browser.
func (m *Manager) create(r *http.Request, o StartOptions) (*Session, error) {
	now := m.now()
	idle, absolute := m.timeouts.Idle, m.timeouts.Absolute
	if o.Remember {
		idle, absolute = m.timeouts.RememberIdle, m.timeouts.Remember
	}
	cart := make(map[string]int, len(o.Cart))
	for sku, q := range o.Cart {
		cart[sku] = q
	}
	id := newID()
	s := &Session{id: id, Record: Record{
		Key:              StoreKey(id),
		Username:         o.Username,
		Cart:             cart,
		CreatedAt:        now,
		LastSeenAt:       now,
		IdleWindow:       idle,
		IdleDeadline:     now.Add(idle),
		AbsoluteDeadline: now.Add(absolute),
		Remember:         o.Remember,
		UserAgent:        truncate(r.UserAgent(), 256),
	}}
	if err := m.store.Create(r.Context(), s.Record); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	return s, nil
}

// issue sets the cookie of a stored session s and logs its creation.
func (m *Manager) issue(w http.ResponseWriter, r *http.Request, s *Session, o StartOptions) error {
	if err := m.setCookie(w, s, s.CreatedAt); err != nil {
		return err
	}
	web.SetSessionID(r.Context(), s.PublicID())
	web.Logger(r.Context()).Info("session created", "session", s.PublicID(), "authenticated", o.Username != "", "remember", o.Remember)
	return nil
}

// Renew replaces old (which may be nil) with a new session under a fresh ID
// (the defence against session fixation), carrying over old's cart, and
// deletes old. The new cookie is set only once old is gone: if old cannot
// be deleted, the new session is removed again and the response sets no
// cookie, so the browser keeps old's, and old (with its cart) stays as it
// was.
func (m *Manager) Renew(w http.ResponseWriter, r *http.Request, old *Session, o StartOptions) (*Session, error) {
	if old == nil {
		return m.Start(w, r, o)
	}
	if o.Cart == nil {
		o.Cart = old.Cart
	}
	s, err := m.create(r, o)
	if err != nil {
		return nil, err
	}
	if _, _, err := m.store.Delete(r.Context(), old.Key, m.now()); err != nil {
		_, _, _ = m.store.Delete(context.WithoutCancel(r.Context()), s.Key, m.now())
		return nil, fmt.Errorf("renew session: delete old: %w", err)
	}
	if err := m.issue(w, r, s, o); err != nil {
		return nil, err
	}
	web.Logger(r.Context()).Info("session renewed", "session", s.PublicID(), "previous", old.PublicID())
	return s, nil
}

// Destroy deletes s from the store and expires its cookie.
func (m *Manager) Destroy(w http.ResponseWriter, r *http.Request, s *Session) error {
	if _, _, err := m.store.Delete(r.Context(), s.Key, m.now()); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	m.expireCookie(w)
	web.Logger(r.Context()).Info("session revoked", "session", s.PublicID(), "by", "logout")
	return nil
}

// ExpireCookie tells the browser to drop the session cookie.
func (m *Manager) ExpireCookie(w http.ResponseWriter) { m.expireCookie(w) }

func (m *Manager) verifiedCookie(w http.ResponseWriter, r *http.Request) (key string, id []byte, current, ok bool) {
	c, err := r.Cookie(m.CookieName())
	if err != nil {
		return "", nil, false, false
	}
	id, current, err = m.codec.Decode(c.Value)
	if err != nil {
		web.Logger(r.Context()).Warn("tampered or foreign session cookie seen", "bytes", len(c.Value))
		m.expireCookie(w)
		return "", nil, false, false
	}
	return StoreKey(id), id, current, true
}

func (m *Manager) ended(w http.ResponseWriter, r *http.Request, key string) {
	web.Logger(r.Context()).Info("session expired or unknown", "session", PublicID(key))
	m.expireCookie(w)
}

// touchInterval is how long after its last refresh a session's idle deadline
// is refreshed again: a quarter of its idle window, at most the configured
// interval. A session used more often than that never ends by idleness.
func (m *Manager) touchInterval(rec Record) time.Duration {
	return min(rec.IdleWindow/4, m.timeouts.MaxTouchInterval)
}

// setCookie writes s's cookie; a remembered session's cookie lives until its
// absolute deadline (seen from now), others end with the browser.
func (m *Manager) setCookie(w http.ResponseWriter, s *Session, now time.Time) error {
	value, err := m.codec.Encode(s.id)
	if err != nil {
		return err
	}
	c := m.baseCookie()
	c.Value = value
	if s.Remember {
		c.MaxAge = int(s.AbsoluteDeadline.Sub(now) / time.Second)
		if c.MaxAge <= 0 {
			c.MaxAge = -1
		}
	}
	http.SetCookie(w, c)
	return nil
}

func (m *Manager) expireCookie(w http.ResponseWriter) {
	c := m.baseCookie()
	c.MaxAge = -1 // "Max-Age=0"
	http.SetCookie(w, c)
}

func (m *Manager) baseCookie() *http.Cookie {
	return &http.Cookie{Name: m.CookieName(), Path: "/", HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// Manager loads, starts, renews and destroys the session of a request, and
// changes its data: handlers reach the store only through it. It is safe
// for concurrent use.
type Manager struct {
	store    Store
	codec    *Codec
	timeouts Timeouts
	secure   bool
	now      func() time.Time
	logger   func(context.Context) *slog.Logger
	tag      func(context.Context, string)
	tampered func(context.Context)
}

// Options configures a Manager.
type Options struct {
	Store    Store
	Keys     [][]byte // first signs, all verify
	Timeouts Timeouts
	Secure   bool             // COOKIE_SECURE: Secure cookies named __Host-session
	Now      func() time.Time // the clock; time.Now when nil
	// Logger returns the logger of a request (the app passes web.Logger);
	// slog.Default when nil.
	Logger func(ctx context.Context) *slog.Logger
	// SetSessionID hands the public ID of the request's session to its log
	// line (the app passes web.SetSessionID); nothing when nil.
	SetSessionID func(ctx context.Context, publicID string)
	// TamperedCookie hears of each request whose session cookie does not
	// verify: edited, forged, guessed, or signed with a key no longer
	// configured (the app counts it: metrics.TamperedSessionCookies);
	// nothing when nil.
	TamperedCookie func(ctx context.Context)
}

// NewManager returns a Manager.
func NewManager(o Options) (*Manager, error) {
	codec, err := NewCodec(o.Keys, max(o.Timeouts.Absolute, o.Timeouts.Remember))
	if err != nil {
		return nil, err
	}
	if o.Store == nil {
		return nil, errors.New("session: no store")
	}
	m := &Manager{store: o.Store, codec: codec, timeouts: o.Timeouts, secure: o.Secure, now: o.Now, logger: o.Logger, tag: o.SetSessionID, tampered: o.TamperedCookie}
	if m.now == nil {
		m.now = time.Now
	}
	if m.logger == nil {
		m.logger = func(context.Context) *slog.Logger { return slog.Default() }
	}
	return m, nil
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
		m.log(ctx).Info("session cookie re-issued under the newest key", "session", s.PublicID())
	}
	m.setSessionID(ctx, s.Key)
	return s, nil
}

// StartOptions describes a new session.
type StartOptions struct {
	// Username is the logged-in user; "" for an anonymous session.
	Username string
	// Remember asks for the longer "remember me" lifetimes and a
	// persistent cookie.
	Remember bool
	// Authenticated sets AuthenticatedAt to now: a login, registration,
	// re-authentication or password change (see Fresh).
	Authenticated bool
	// KeepRemember (Renew only) keeps the replaced session's Remember
	// instead of this Remember: a re-authentication or password change.
	KeepRemember bool
	// DropData (Renew only) starts without the replaced session's data and
	// idempotency keys: another user logs in on this browser.
	DropData bool
}

// Start begins a new session with a fresh ID and no data, stores it and
// sets its cookie.
func (m *Manager) Start(w http.ResponseWriter, r *http.Request, o StartOptions) (*Session, error) {
	s, err := m.create(r, o, Data{}, nil)
	if err != nil {
		return nil, err
	}
	return s, m.issue(w, r, s)
}

// create stores a new session with a fresh ID holding data and ring,
// without telling the browser.
func (m *Manager) create(r *http.Request, o StartOptions, data Data, ring []Applied) (*Session, error) {
	now := m.now()
	idle, absolute := m.timeouts.Idle, m.timeouts.Absolute
	if o.Remember {
		idle, absolute = m.timeouts.RememberIdle, m.timeouts.Remember
	}
	id := newID()
	s := &Session{id: id, Record: Record{
		Key:              StoreKey(id),
		Username:         o.Username,
		Data:             data.Clone(),
		CreatedAt:        now,
		LastSeenAt:       now,
		IdleWindow:       idle,
		IdleDeadline:     now.Add(idle),
		AbsoluteDeadline: now.Add(absolute),
		Remember:         o.Remember,
		UserAgent:        truncate(r.UserAgent(), 256),
		Applied:          LiveEntries(ring, now),
	}}
	if o.Authenticated {
		s.AuthenticatedAt = now
	}
	if err := m.store.Create(r.Context(), s.Record); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	return s, nil
}

// issue sets the cookie of a stored session s and logs its creation.
func (m *Manager) issue(w http.ResponseWriter, r *http.Request, s *Session) error {
	if err := m.setCookie(w, s, s.CreatedAt); err != nil {
		return err
	}
	m.setSessionID(r.Context(), s.Key)
	m.log(r.Context()).Info("session created", "session", s.PublicID(), "authenticated", s.Username != "", "remember", s.Remember)
	return nil
}

// Renew replaces old (which may be nil) with a new session under a fresh ID
// (the defence against session fixation), carrying over old's data and
// idempotency keys (unless o.DropData), and deletes old. The new cookie is
// set only once old is gone: if old cannot be deleted, the new session is
// removed again and the response sets no cookie, so the browser keeps
// old's, and old (with its data) stays as it was.
func (m *Manager) Renew(w http.ResponseWriter, r *http.Request, old *Session, o StartOptions) (*Session, error) {
	if old == nil {
		return m.Start(w, r, o)
	}
	data, ring := old.Data, old.Applied
	if o.DropData {
		data, ring = Data{}, nil
	}
	if o.KeepRemember {
		o.Remember = old.Remember
	}
	s, err := m.create(r, o, data, ring)
	if err != nil {
		return nil, err
	}
	if _, _, err := m.store.Delete(r.Context(), old.Key, m.now()); err != nil {
		_, _, _ = m.store.Delete(context.WithoutCancel(r.Context()), s.Key, m.now())
		return nil, fmt.Errorf("renew session: delete old: %w", err)
	}
	if err := m.issue(w, r, s); err != nil {
		return nil, err
	}
	m.log(r.Context()).Info("session renewed", "session", s.PublicID(), "previous", old.PublicID())
	return s, nil
}

// Destroy deletes s from the store and expires its cookie.
func (m *Manager) Destroy(w http.ResponseWriter, r *http.Request, s *Session) error {
	if _, _, err := m.store.Delete(r.Context(), s.Key, m.now()); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	m.expireCookie(w)
	m.log(r.Context()).Info("session revoked", "session", s.PublicID(), "by", "logout")
	return nil
}

// Change applies c to the data of the request's session as one
// conditional store write (Store.Update), without reading the session
// first; a cookie signed under an older key goes through Load first, which
// re-issues it. Without a live session, c.Start begins an anonymous one
// holding Apply(empty, c.Ops) and c's key, and the outcome is Found;
// otherwise nothing is written, the stale cookie (if any) is expired, and
// Found is false.
//
// A change without a key gets a fresh operation ID, recorded the same way,
// so that when the store client retries a write that did land (its answer
// was lost), the retry finds the ID and applies nothing. Refusals are the
// op's own error, ErrKeyReused, or one wrapping ErrInvalidChange; any
// other error is a store failure.
func (m *Manager) Change(w http.ResponseWriter, r *http.Request, c Change) (Outcome, error) {
	if err := CheckOps(c.Ops); err != nil {
		return Outcome{}, err
	}
	generated := c.Key == ""
	if generated {
		c.Key, c.Fingerprint = operationID(), ""
	}
	ctx := r.Context()
	key, _, current, ok := m.verifiedCookie(w, r)
	if ok && !current {
		s, err := m.Load(w, r) // re-issues the cookie with its lifetime
		if err != nil {
			return Outcome{}, err
		}
		ok = s != nil
	}
	if ok {
		out, err := m.store.Update(ctx, key, c, m.now())
		if err != nil {
			return Outcome{}, fmt.Errorf("change session: %w", err)
		}
		if out.Found {
			m.setSessionID(ctx, key)
			out.Replayed = out.Replayed && !generated // only this request knew its ID
			return out, nil
		}
		m.ended(w, r, key)
	}
	if !c.Start {
		return Outcome{}, nil
	}
	return m.startWith(w, r, c)
}

// startWith begins an anonymous session holding change c.
func (m *Manager) startWith(w http.ResponseWriter, r *http.Request, c Change) (Outcome, error) {
	data, err := Apply(Data{}, c.Ops)
	if err != nil {
		return Outcome{}, err
	}
	var ring []Applied
	if a, ok := AppliedFor(c, m.now()); ok {
		ring = []Applied{a}
	}
	s, err := m.create(r, StartOptions{}, data, ring)
	if err != nil {
		return Outcome{}, err
	}
	if err := m.issue(w, r, s); err != nil {
		return Outcome{}, err
	}
	return Outcome{Data: data, Found: true}, nil
}

// operationID is a fresh idempotency key for a change that came without
// one: 96 random bits.
func operationID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "op-" + base64.RawURLEncoding.EncodeToString(b[:])
}

// Fresh reports whether s was authenticated within the re-authentication
// window (Timeouts.Reauth) before now: the routes that end sessions need
// it. An anonymous session is never fresh.
func (m *Manager) Fresh(s *Session) bool {
	return s != nil && !s.AuthenticatedAt.IsZero() && m.now().Before(m.freshUntil(s.Record))
}

func (m *Manager) freshUntil(rec Record) time.Time { return rec.AuthenticatedAt.Add(m.timeouts.Reauth) }

// List returns every live session of username.
func (m *Manager) List(ctx context.Context, username string) ([]Record, error) {
	recs, err := m.store.ListByUser(ctx, username, m.now())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return recs, nil
}

// RevokeWhere ends every live session of username that match accepts (all
// of them when match is nil) and returns the records it deleted; see the
// function RevokeWhere.
func (m *Manager) RevokeWhere(ctx context.Context, username string, match func(Record) bool) ([]Record, error) {
	return RevokeWhere(ctx, m.store, username, m.now(), match)
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
		m.log(r.Context()).Warn("tampered or foreign session cookie seen", "bytes", len(c.Value))
		if m.tampered != nil {
			m.tampered(r.Context())
		}
		m.expireCookie(w)
		return "", nil, false, false
	}
	return StoreKey(id), id, current, true
}

func (m *Manager) ended(w http.ResponseWriter, r *http.Request, key string) {
	m.log(r.Context()).Info("session expired or unknown", "session", PublicID(key))
	m.expireCookie(w)
}

// log is the logger of the request in ctx.
func (m *Manager) log(ctx context.Context) *slog.Logger { return m.logger(ctx) }

// setSessionID hands the public ID of the session under key to the
// request's log line.
func (m *Manager) setSessionID(ctx context.Context, key string) {
	if m.tag != nil {
		m.tag(ctx, PublicID(key))
	}
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

func truncate(s string, n int) string { return s[:min(len(s), n)] }

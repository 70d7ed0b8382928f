package session

import "time"

// View is the contract's SESSION object.
type View struct {
	ID                string `json:"id"`
	CreatedAt         string `json:"createdAt"`
	LastSeenAt        string `json:"lastSeenAt"`
	ExpiresAt         string `json:"expiresAt"`
	AbsoluteExpiresAt string `json:"absoluteExpiresAt"`
	UserAgent         string `json:"userAgent"`
	Current           bool   `json:"current"`
	// AuthenticatedAt and FreshUntil are null for an anonymous session.
	AuthenticatedAt *string `json:"authenticatedAt"`
	FreshUntil      *string `json:"freshUntil"`
}

// View shows rec; current reports whether it is the request's own session.
// freshUntil is authenticatedAt + the re-authentication window.
func (m *Manager) View(rec Record, current bool) View {
	v := View{
		ID:                PublicID(rec.Key),
		CreatedAt:         timestamp(rec.CreatedAt),
		LastSeenAt:        timestamp(rec.LastSeenAt),
		ExpiresAt:         timestamp(rec.ExpiresAt()),
		AbsoluteExpiresAt: timestamp(rec.AbsoluteDeadline),
		UserAgent:         rec.UserAgent,
		Current:           current,
	}
	if !rec.AuthenticatedAt.IsZero() {
		at, until := timestamp(rec.AuthenticatedAt), timestamp(m.freshUntil(rec))
		v.AuthenticatedAt, v.FreshUntil = &at, &until
	}
	return v
}

// timestamp formats t as RFC 3339 in UTC, to the second.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

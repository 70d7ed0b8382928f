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
}

// NewView shows rec; current reports whether it is the request's own
// session.
func NewView(rec Record, current bool) View {
	return View{
		ID:                PublicID(rec.Key),
		CreatedAt:         timestamp(rec.CreatedAt),
		LastSeenAt:        timestamp(rec.LastSeenAt),
		ExpiresAt:         timestamp(rec.ExpiresAt()),
		AbsoluteExpiresAt: timestamp(rec.AbsoluteDeadline),
		UserAgent:         rec.UserAgent,
		Current:           current,
	}
}

// timestamp formats t as RFC 3339 in UTC, to the second.
func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

package session

import "time"

// Timeouts are the session lifetimes of the contract's "Expiry" paragraph
// and the window of a fresh authentication. config.LoadTimeouts fills them
// from the environment.
type Timeouts struct {
	Idle             time.Duration // SESSION_IDLE_TIMEOUT, default 30m
	Absolute         time.Duration // SESSION_ABSOLUTE_TIMEOUT, default 12h
	Remember         time.Duration // SESSION_REMEMBER_TIMEOUT, default 720h
	RememberIdle     time.Duration // SESSION_REMEMBER_IDLE_TIMEOUT, default 168h
	MaxTouchInterval time.Duration // SESSION_TOUCH_INTERVAL, default 1m
	// Reauth is how long after an authentication a session counts as
	// fresh (Manager.Fresh): SESSION_REAUTH_WINDOW, default 5m.
	Reauth time.Duration
}

// DefaultTimeouts are the contract's defaults.
var DefaultTimeouts = Timeouts{
	Idle:             30 * time.Minute,
	Absolute:         12 * time.Hour,
	Remember:         720 * time.Hour,
	RememberIdle:     168 * time.Hour,
	MaxTouchInterval: time.Minute,
	Reauth:           5 * time.Minute,
}

// Package config turns environment variables into typed configuration. Every
// function reads its environment through a Getenv, so tests (and the template
// tests) can see exactly which variables a function reads.
package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Getenv looks up an environment variable; os.Getenv fits.
type Getenv func(name string) string

// MinKeyBytes is the smallest signing key accepted: 32 bytes (64 hex digits).
const MinKeyBytes = 32

// ErrSecret is wrapped by every SESSION_SECRET error, so callers can tell it
// apart from the rest.
var ErrSecret = errors.New("SESSION_SECRET")

// SecretHelp is appended to every SESSION_SECRET error.
const SecretHelp = "set SESSION_SECRET to one or more comma-separated hex keys of at least 64 hex digits (32 bytes); make one with `make secret`"

// Keys parses SESSION_SECRET: one or more comma-separated hex keys, each at
// least MinKeyBytes long. The first key signs; all keys verify. There is no
// default key.
func Keys(getenv Getenv) ([][]byte, error) {
	raw := strings.TrimSpace(getenv("SESSION_SECRET"))
	if raw == "" {
		return nil, fmt.Errorf("%w is missing: %s", ErrSecret, SecretHelp)
	}
	var keys [][]byte
	for i, part := range strings.Split(raw, ",") {
		key, err := hex.DecodeString(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("%w key %d is not hex: %s", ErrSecret, i+1, SecretHelp)
		}
		if len(key) < MinKeyBytes {
			return nil, fmt.Errorf("%w key %d is %d bytes, shorter than %d: %s", ErrSecret, i+1, len(key), MinKeyBytes, SecretHelp)
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// Cookies is how the API writes cookies.
type Cookies struct {
	// Secure adds the Secure attribute to every cookie and names the session
	// cookie "__Host-session". True in AWS, false for plain-HTTP local runs.
	Secure bool
	// SiteOrigin is the site's origin (scheme://host[:port]), trusted by the
	// cross-site check besides the request's own host. Empty when unset.
	SiteOrigin string
}

// LoadCookies reads COOKIE_SECURE (default false) and SITE_ORIGIN.
func LoadCookies(getenv Getenv) (Cookies, error) {
	secure, err := boolVar(getenv, "COOKIE_SECURE", false)
	if err != nil {
		return Cookies{}, err
	}
	return Cookies{Secure: secure, SiteOrigin: strings.TrimRight(getenv("SITE_ORIGIN"), "/")}, nil
}

// LoadTimeouts reads the SESSION_*_TIMEOUT variables, SESSION_TOUCH_INTERVAL
// and SESSION_REAUTH_WINDOW as Go durations; unset ones keep their defaults
// (session.DefaultTimeouts).
func LoadTimeouts(getenv Getenv) (session.Timeouts, error) {
	t := session.DefaultTimeouts
	for _, v := range []struct {
		name string
		dst  *time.Duration
	}{
		{"SESSION_IDLE_TIMEOUT", &t.Idle},
		{"SESSION_ABSOLUTE_TIMEOUT", &t.Absolute},
		{"SESSION_REMEMBER_TIMEOUT", &t.Remember},
		{"SESSION_REMEMBER_IDLE_TIMEOUT", &t.RememberIdle},
		{"SESSION_TOUCH_INTERVAL", &t.MaxTouchInterval},
		{"SESSION_REAUTH_WINDOW", &t.Reauth},
	} {
		if err := durationVar(getenv, v.name, v.dst); err != nil {
			return session.Timeouts{}, err
		}
	}
	if t.Remember > 400*24*time.Hour {
		return session.Timeouts{}, fmt.Errorf("SESSION_REMEMBER_TIMEOUT %s is longer than a cookie may live (400 days)", t.Remember)
	}
	return t, nil
}

// Dynamo names the DynamoDB tables and endpoint a function uses.
type Dynamo struct {
	SessionsTable string // SESSIONS_TABLE
	UsersTable    string // USERS_TABLE (AuthFunction only)
	Endpoint      string // DYNAMODB_ENDPOINT: empty in AWS
}

func durationVar(getenv Getenv, name string, dst *time.Duration) error {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return fmt.Errorf("%s=%q is not a positive Go duration such as 30m or 12h", name, raw)
	}
	*dst = d
	return nil
}

func boolVar(getenv Getenv, name string, def bool) (bool, error) {
	raw := strings.TrimSpace(getenv(name))
	if raw == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not true or false", name, raw)
	}
	return b, nil
}

// LoadDynamo reads SESSIONS_TABLE, USERS_TABLE (when withUsers) and
// DYNAMODB_ENDPOINT. Table names are required.
func LoadDynamo(getenv Getenv, withUsers bool) (Dynamo, error) {
	d := Dynamo{SessionsTable: strings.TrimSpace(getenv("SESSIONS_TABLE")), Endpoint: strings.TrimSpace(getenv("DYNAMODB_ENDPOINT"))}
	if d.SessionsTable == "" {
		return Dynamo{}, errors.New("SESSIONS_TABLE is empty: name the DynamoDB sessions table")
	}
	if withUsers {
		if d.UsersTable = strings.TrimSpace(getenv("USERS_TABLE")); d.UsersTable == "" {
			return Dynamo{}, errors.New("USERS_TABLE is empty: name the DynamoDB users table")
		}
	}
	return d, nil
}

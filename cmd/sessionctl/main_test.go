package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// TestListAndRevoke runs the tool against the DynamoDB emulator: list shows
// one user's live sessions by public id only; revoke ends all of them and
// no one else's; a second revoke ends none.
func TestListAndRevoke(t *testing.T) {
	env := dynamotest.New(t)
	store := env.Store()
	now := time.Now()
	rec := func(key, user string) session.Record {
		return session.Record{Key: key, Username: user, CreatedAt: now, LastSeenAt: now, UserAgent: "Firefox\x1b[2J",
			IdleWindow: time.Hour, IdleDeadline: now.Add(time.Hour), AbsoluteDeadline: now.Add(2 * time.Hour)}
	}
	for _, r := range []session.Record{rec(strings.Repeat("a", 64), "alice"), rec(strings.Repeat("b", 64), "alice"), rec(strings.Repeat("c", 64), "bob")} {
		if err := store.Create(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	getenv := func(name string) string {
		return map[string]string{"SESSIONS_TABLE": env.SessionsTable, "DYNAMODB_ENDPOINT": env.Endpoint}[name]
	}
	steps := []struct {
		args      []string
		want      []string
		wantAlice int
	}{
		{[]string{"list", "Alice"}, []string{session.PublicID(strings.Repeat("a", 64)), session.PublicID(strings.Repeat("b", 64)), "Firefox?[2J", "2 live session(s)"}, 2},
		{[]string{"revoke", "alice"}, []string{"ended 2 session(s) of alice"}, 0},
		{[]string{"revoke", "alice"}, []string{"ended 0 session(s) of alice"}, 0},
		{[]string{"list", "alice"}, []string{"0 live session(s)"}, 0},
	}
	for _, st := range steps {
		var out bytes.Buffer
		if err := run(t.Context(), st.args, getenv, &out); err != nil {
			t.Fatalf("%v: %v", st.args, err)
		}
		for _, w := range st.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v printed %q, want %q in it", st.args, out.String(), w)
			}
		}
		if strings.Contains(out.String(), strings.Repeat("a", 64)) || strings.Contains(out.String(), "\x1b") {
			t.Errorf("%v printed a store key or a control character: %q", st.args, out.String())
		}
		if recs, _ := store.ListByUser(t.Context(), "alice", time.Now()); len(recs) != st.wantAlice {
			t.Errorf("after %v alice has %d sessions, want %d", st.args, len(recs), st.wantAlice)
		}
	}
	if recs, _ := store.ListByUser(t.Context(), "bob", time.Now()); len(recs) != 1 {
		t.Errorf("bob has %d sessions after alice's were revoked, want 1", len(recs))
	}
}

func TestRunRefuses(t *testing.T) {
	env := dynamotest.New(t)
	good := func(name string) string {
		return map[string]string{"SESSIONS_TABLE": env.SessionsTable, "DYNAMODB_ENDPOINT": env.Endpoint}[name]
	}
	tests := []struct {
		name      string
		args      []string
		getenv    func(string) string
		cut       bool
		wantUsage bool
		wantText  string
	}{
		{"no arguments", nil, good, false, true, "usage"},
		{"unknown command", []string{"delete", "alice"}, good, false, true, "usage"},
		{"no username", []string{"revoke", "  "}, good, false, true, "usage"},
		{"extra argument", []string{"revoke", "alice", "bob"}, good, false, true, "usage"},
		{"no table", []string{"list", "alice"}, func(string) string { return "" }, false, false, "SESSIONS_TABLE"},
		{"store down", []string{"revoke", "alice"}, good, true, false, "list the user's sessions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cut {
				env.Cut()
				defer env.Restore(t)
			}
			var out bytes.Buffer
			err := run(t.Context(), tt.args, tt.getenv, &out)
			if err == nil || errors.Is(err, errUsage) != tt.wantUsage || !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("err = %v, want usage %v and %q", err, tt.wantUsage, tt.wantText)
			}
		})
	}
}

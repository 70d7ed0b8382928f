package dynamostore_test

import (
	"testing"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/session/sessiontest"
	"github.com/sessionlab/sessionlab/internal/user"
	"github.com/sessionlab/sessionlab/internal/user/usertest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func TestSessionStore(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) session.Store { return dynamotest.New(t).Store() })
}

func TestUserStore(t *testing.T) {
	usertest.Run(t, func(t *testing.T) (user.Store, user.Throttle) {
		s := dynamotest.New(t).Store()
		return s, s
	})
}

package dynamostore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/user"
)

// TestLostAnswerAccountChanges: a registration, a password change or an
// account deletion
// reaches DynamoDB, its answer is lost (dropped, or held past the attempt
// timeout), the SDK retries and the retry's condition fails on the item
// the first attempt left; the store still reports the change done, since
// it was this very change. Both ways of learning why a condition failed.
func TestLostAnswerAccountChanges(t *testing.T) {
	for lost, fault := range lostAnswers {
		for client, opt := range clients {
			t.Run(lost+", "+client, func(t *testing.T) {
				t.Parallel()
				t.Run("change password hash", func(t *testing.T) { testLostPasswordChange(t, opt, fault) })
				t.Run("delete user", func(t *testing.T) { testLostDelete(t, opt, fault) })
				t.Run("create user", func(t *testing.T) { testLostRegistration(t, opt, fault) })
			})
		}
	}
}

func newAccount(t *testing.T, s user.Store, name string) user.User {
	t.Helper()
	u := user.User{Username: name, PasswordHash: "$argon2id$v=19$m=64,t=1,p=1$b2xk$b2xk", CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func testLostPasswordChange(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault) {
	env, s := lostEnv(t, opt, f, "UpdateItem", 1)
	u := newAccount(t, s, "lost-change")
	const newHash = "$argon2id$v=19$m=64,t=1,p=1$bmV3$bmV3"
	changed, err := s.ChangePasswordHash(t.Context(), u.Username, u.PasswordHash, newHash)
	if err != nil || !changed {
		t.Fatalf("ChangePasswordHash with a lost answer: %v, %v; want changed", changed, err)
	}
	if env.Proxy.Pending() != 0 || env.Proxy.Forwarded("UpdateItem") != 2 {
		t.Fatalf("the fault was not hit, or the SDK did not retry (%d UpdateItems)", env.Proxy.Forwarded("UpdateItem"))
	}
	if got, _, _ := s.GetUser(t.Context(), u.Username); got.PasswordHash != newHash {
		t.Errorf("the account holds %q, want the new hash", got.PasswordHash)
	}
	// Another change from the old hash still loses: the retry's answer is
	// this change's alone.
	if changed, err := s.ChangePasswordHash(t.Context(), u.Username, u.PasswordHash, "$argon2id$other"); err != nil || changed {
		t.Errorf("a change from the old hash afterwards: %v, %v; want refused", changed, err)
	}
}

func testLostDelete(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault) {
	env, s := lostEnv(t, opt, f, "DeleteItem", 1)
	u := newAccount(t, s, "lost-delete")
	deleted, err := s.DeleteUser(t.Context(), u.Username, u.PasswordHash)
	if err != nil || !deleted {
		t.Fatalf("DeleteUser with a lost answer: %v, %v; want deleted", deleted, err)
	}
	if env.Proxy.Pending() != 0 || env.Proxy.Forwarded("DeleteItem") != 2 {
		t.Fatalf("the fault was not hit, or the SDK did not retry (%d DeleteItems)", env.Proxy.Forwarded("DeleteItem"))
	}
	if _, found, _ := s.GetUser(t.Context(), u.Username); found {
		t.Error("the account is still there")
	}
	// Without a retry, a delete that finds nothing deleted nothing.
	if deleted, err := s.DeleteUser(t.Context(), u.Username, u.PasswordHash); err != nil || deleted {
		t.Errorf("a second delete: %v, %v; want false", deleted, err)
	}
}

func testLostRegistration(t *testing.T, opt func(*dynamodb.Options), f dynamotest.Fault) {
	env, s := lostEnv(t, opt, f, "PutItem", 1)
	u := newAccount(t, s, "lost-create") // fails unless the retry counts as created
	if env.Proxy.Pending() != 0 || env.Proxy.Forwarded("PutItem") != 2 {
		t.Fatalf("the fault was not hit, or the SDK did not retry (%d PutItems)", env.Proxy.Forwarded("PutItem"))
	}
	if got, found, _ := s.GetUser(t.Context(), u.Username); !found || got.PasswordHash != u.PasswordHash {
		t.Errorf("the account: %+v, found %v; want it with its hash", got, found)
	}
	// Another registration of the name, without a retry, is refused.
	other := u
	other.PasswordHash = "$argon2id$v=19$m=64,t=1,p=1$b3RoZXI$b3RoZXI"
	if err := s.CreateUser(t.Context(), other); !errors.Is(err, user.ErrTaken) {
		t.Errorf("a second registration of the name: %v, want ErrTaken", err)
	}
}

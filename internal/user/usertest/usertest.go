// Package usertest is the conformance suite of user.Store and user.Throttle:
// every backend (memstore, dynamostore) must pass Run.
package usertest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/user"
)

// NewStores returns the account store and the throttle of one test, sharing
// one backend as in production (a throttle counter must never clash with an
// account). They hold none of the random usernames the suite makes up.
type NewStores func(t *testing.T) (user.Store, user.Throttle)

// window is the throttle window of the suite.
const window = 15 * time.Minute

// Run runs the whole suite; subtests run in parallel.
func Run(t *testing.T, newStores NewStores) {
	t.Run("CreateGet", func(t *testing.T) { t.Parallel(); testCreateGet(t, newStores) })
	t.Run("Throttle", func(t *testing.T) { t.Parallel(); testThrottle(t, newStores) })
	t.Run("ThrottleBesideAccount", func(t *testing.T) { t.Parallel(); testBesideAccount(t, newStores) })
	t.Run("ConcurrentAttempts", func(t *testing.T) { t.Parallel(); testConcurrentAttempts(t, newStores) })
	t.Run("ConcurrentCreates", func(t *testing.T) { t.Parallel(); testConcurrentCreates(t, newStores) })
	t.Run("ChangePasswordHash", func(t *testing.T) { t.Parallel(); testChangePasswordHash(t, newStores) })
	t.Run("DeleteUser", func(t *testing.T) { t.Parallel(); testDeleteUser(t, newStores) })
	t.Run("ConcurrentChanges", func(t *testing.T) { t.Parallel(); testConcurrentChanges(t, newStores) })
}

func start() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

func newUsername(prefix string) string {
	return prefix + "-" + strings.ToLower(rand.Text()[:10])
}

func newUser(prefix string) user.User {
	return user.User{
		Username:     newUsername(prefix),
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo",
		CreatedAt:    start(),
	}
}

func sameUser(a, b user.User) bool {
	return a.Username == b.Username && a.PasswordHash == b.PasswordHash && a.CreatedAt.Equal(b.CreatedAt)
}

func testCreateGet(t *testing.T, newStores NewStores) {
	s, _ := newStores(t)
	ctx := t.Context()
	u := newUser("frank")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	got, found, err := s.GetUser(ctx, u.Username)
	if err != nil || !found || !sameUser(got, u) {
		t.Fatalf("GetUser = %+v, %v, %v; want %+v", got, found, err, u)
	}
	again := u
	again.PasswordHash = "$argon2id$other"
	if err := s.CreateUser(ctx, again); !errors.Is(err, user.ErrTaken) {
		t.Errorf("CreateUser of a taken name: err = %v, want ErrTaken", err)
	}
	if got, _, _ := s.GetUser(ctx, u.Username); !sameUser(got, u) {
		t.Errorf("a refused CreateUser changed the account: %+v", got)
	}
	for _, name := range []string{newUsername("nobody"), ""} {
		if _, found, err := s.GetUser(ctx, name); err != nil || found {
			t.Errorf("GetUser(%q): found %v, err %v", name, found, err)
		}
	}
	if err := s.CreateUser(ctx, user.User{PasswordHash: "x"}); err == nil || errors.Is(err, user.ErrTaken) {
		t.Errorf("CreateUser without a username: err = %v, want a plain error", err)
	}
}

// throttleStep is one call on the throttle and what it must give.
type throttleStep struct {
	op        string        // "count" or "clear"
	at        time.Duration // after the suite's start
	allowed   bool
	wantCount int
	wantEnds  time.Duration // window end after start
}

func testThrottle(t *testing.T, newStores NewStores) {
	_, th := newStores(t)
	name, now, ctx := newUsername("gina"), start(), t.Context()
	limit := user.Limit{Max: 3, Window: window}
	steps := []throttleStep{
		{"count", 0, true, 1, window}, // the window starts at the first attempt
		{"count", time.Minute, true, 2, window},
		{"count", 2 * time.Minute, true, 3, window},
		{"count", 2 * time.Minute, false, 3, window}, // full: refused, nothing written
		{"count", window - time.Millisecond, false, 3, window},
		{"count", window, true, 1, 2 * window}, // ended, counter still stored: a new window
		{"count", window + time.Second, true, 2, 2 * window},
		{"clear", window + time.Second, false, 0, 0},
		{"clear", window + time.Second, false, 0, 0}, // nothing to forget: no error
		{"count", window + 2*time.Second, true, 1, 2*window + 2*time.Second},
		{"count", window + 3*time.Second, true, 2, 2*window + 2*time.Second},
		{"count", window + 4*time.Second, true, 3, 2*window + 2*time.Second},
		{"count", 2*window + time.Second, false, 3, 2*window + 2*time.Second},
		{"count", 2*window + 2*time.Second, true, 1, 3*window + 2*time.Second},
	}
	for i, st := range steps {
		if st.op == "clear" {
			if err := th.Clear(ctx, name); err != nil {
				t.Fatalf("step %d (clear): %v", i, err)
			}
			continue
		}
		got, err := th.CountAttempt(ctx, name, now.Add(st.at), limit)
		if err != nil {
			t.Fatalf("step %d (count): %v", i, err)
		}
		want := user.Attempt{Allowed: st.allowed, Count: st.wantCount, WindowEnds: now.Add(st.wantEnds)}
		if got.Allowed != want.Allowed || got.Count != want.Count || !got.WindowEnds.Equal(want.WindowEnds) {
			t.Errorf("step %d (count at +%v) = %+v; want %+v", i, st.at, got, want)
		}
	}
	other, err := th.CountAttempt(ctx, newUsername("other"), now.Add(window+time.Second), limit)
	if err != nil || !other.Allowed || other.Count != 1 {
		t.Errorf("another username: %+v, %v; want its own first attempt", other, err)
	}
	for _, bad := range []user.Limit{{Max: 0, Window: window}, {Max: 3}, {Max: 3, Window: -time.Second}} {
		if _, err := th.CountAttempt(ctx, name, now, bad); err == nil {
			t.Errorf("CountAttempt with limit %+v: no error", bad)
		}
	}
}

// testBesideAccount checks that counters and accounts of one name live side
// by side: counting and clearing attempts leaves the account alone.
func testBesideAccount(t *testing.T, newStores NewStores) {
	s, th := newStores(t)
	ctx, u, now := t.Context(), newUser("hank"), start()
	limit := user.Limit{Max: 2, Window: window}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := th.CountAttempt(ctx, u.Username, now, limit); err != nil {
		t.Fatal(err)
	}
	if got, found, err := s.GetUser(ctx, u.Username); err != nil || !found || !sameUser(got, u) {
		t.Errorf("account after an attempt: %+v %v %v", got, found, err)
	}
	if err := th.Clear(ctx, u.Username); err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.GetUser(ctx, u.Username); err != nil || !found {
		t.Errorf("account after Clear: found %v, err %v", found, err)
	}
	if a, _ := th.CountAttempt(ctx, u.Username, now, limit); !a.Allowed || a.Count != 1 {
		t.Errorf("first attempt after Clear: %+v", a)
	}
}

// ConcurrentAttempts is how many attempts the concurrency tests send at
// once for one username; the limit lets 5 of them through.
const ConcurrentAttempts = 40

// testConcurrentAttempts checks that of ConcurrentAttempts attempts sent at
// once for one username exactly Limit.Max are allowed, each seeing its own
// count, in one window, and the rest refused: with no counter stored, and
// with a counter whose window has ended still stored (the second write).
func testConcurrentAttempts(t *testing.T, newStores NewStores) {
	_, th := newStores(t)
	limit := user.Limit{Max: 5, Window: window}
	for _, stale := range []bool{false, true} {
		name, now, ctx := newUsername("ivy"), start(), t.Context()
		if stale {
			for range limit.Max {
				if _, err := th.CountAttempt(ctx, name, now.Add(-window-time.Second), limit); err != nil {
					t.Fatal(err)
				}
			}
		}
		got := make([]user.Attempt, ConcurrentAttempts)
		errs := make([]error, ConcurrentAttempts)
		var wg sync.WaitGroup
		for i := range got {
			wg.Go(func() { got[i], errs[i] = th.CountAttempt(ctx, name, now, limit) })
		}
		wg.Wait()
		var counts []int
		for i, a := range got {
			if errs[i] != nil {
				t.Fatalf("stale %v, goroutine %d: %v", stale, i, errs[i])
			}
			if !a.WindowEnds.Equal(now.Add(window)) {
				t.Errorf("stale %v, goroutine %d: window ends %v, want %v", stale, i, a.WindowEnds, now.Add(window))
			}
			if a.Allowed {
				counts = append(counts, a.Count)
			} else if a.Count != limit.Max {
				t.Errorf("stale %v: a refused attempt says count %d, want %d", stale, a.Count, limit.Max)
			}
		}
		slices.Sort(counts)
		if !slices.Equal(counts, []int{1, 2, 3, 4, 5}) {
			t.Errorf("stale %v: allowed attempts saw counts %v, want each of 1..5 once (%d refused)",
				stale, counts, ConcurrentAttempts-len(counts))
		}
		if a, err := th.CountAttempt(ctx, name, now.Add(time.Second), limit); err != nil || a.Allowed {
			t.Errorf("stale %v: one more attempt after them = %+v, %v; want refused", stale, a, err)
		}
	}
}

// testConcurrentCreates checks that of many creates of one name exactly
// one succeeds.
func testConcurrentCreates(t *testing.T, newStores NewStores) {
	s, _ := newStores(t)
	u := newUser("jack")
	errs := make([]error, 10)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() { errs[i] = s.CreateUser(t.Context(), u) })
	}
	wg.Wait()
	ok, taken := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, user.ErrTaken):
			taken++
		default:
			t.Errorf("CreateUser: %v", err)
		}
	}
	if ok != 1 || taken != 9 {
		t.Errorf("%d creates succeeded and %d got ErrTaken, want 1 and 9", ok, taken)
	}
}

// otherHash is a second well-formed hash for the change tests.
const otherHash = "$argon2id$v=19$m=65536,t=3,p=2$b3RoZXJzYWx0$b3RoZXJoYXNo"

// testChangePasswordHash checks the compare-and-swap of a password hash:
// only from the hash it holds, only on an account, never touching its
// other fields or the username's counter.
func testChangePasswordHash(t *testing.T, newStores NewStores) {
	s, th := newStores(t)
	ctx, u, now := t.Context(), newUser("kate"), start()
	limit := user.Limit{Max: 3, Window: window}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := th.CountAttempt(ctx, u.Username, now, limit); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		what             string
		username         string
		oldHash, newHash string
		changed          bool
		want             string // the account's hash after the step
	}{
		{"from a hash it does not hold", u.Username, otherHash, "$argon2id$x", false, u.PasswordHash},
		{"from the hash it holds", u.Username, u.PasswordHash, otherHash, true, otherHash},
		{"again from the hash it held before", u.Username, u.PasswordHash, "$argon2id$y", false, otherHash},
		{"to the hash it holds", u.Username, otherHash, otherHash, true, otherHash},
		{"an account that does not exist", newUsername("nobody"), u.PasswordHash, otherHash, false, otherHash},
	}
	for _, st := range steps {
		changed, err := s.ChangePasswordHash(ctx, st.username, st.oldHash, st.newHash)
		if err != nil || changed != st.changed {
			t.Errorf("%s: changed %v, err %v; want %v", st.what, changed, err, st.changed)
		}
		got, found, err := s.GetUser(ctx, u.Username)
		want := u
		want.PasswordHash = st.want
		if err != nil || !found || !sameUser(got, want) {
			t.Errorf("%s: the account is %+v (found %v, err %v); want %+v", st.what, got, found, err, want)
		}
	}
	if _, found, _ := s.GetUser(ctx, steps[4].username); found {
		t.Error("a change of a missing account created one")
	}
	if a, err := th.CountAttempt(ctx, u.Username, now, limit); err != nil || a.Count != 2 {
		t.Errorf("the username's counter after the changes: %+v, %v; want its second attempt", a, err)
	}
	for _, bad := range [][3]string{{"", u.PasswordHash, otherHash}, {u.Username, "", otherHash}, {u.Username, otherHash, ""}} {
		if changed, err := s.ChangePasswordHash(ctx, bad[0], bad[1], bad[2]); err == nil || changed {
			t.Errorf("ChangePasswordHash(%q, %q, %q) = %v, %v; want an error", bad[0], bad[1], bad[2], changed, err)
		}
	}
	if got, _, _ := s.GetUser(ctx, u.Username); got.PasswordHash != otherHash {
		t.Errorf("a refused change wrote %q", got.PasswordHash)
	}
}

// testDeleteUser checks that an account is deleted only with the hash it
// holds, that its username may be registered again, and that the
// username's counter lives on.
func testDeleteUser(t *testing.T, newStores NewStores) {
	s, th := newStores(t)
	ctx, u, now := t.Context(), newUser("liam"), start()
	limit := user.Limit{Max: 3, Window: window}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := th.CountAttempt(ctx, u.Username, now, limit); err != nil {
		t.Fatal(err)
	}
	if deleted, err := s.DeleteUser(ctx, u.Username, otherHash); err != nil || deleted {
		t.Errorf("delete with another hash: deleted %v, err %v; want false", deleted, err)
	}
	if _, found, _ := s.GetUser(ctx, u.Username); !found {
		t.Fatal("a refused delete deleted the account")
	}
	if deleted, err := s.DeleteUser(ctx, u.Username, u.PasswordHash); err != nil || !deleted {
		t.Fatalf("delete with its hash: deleted %v, err %v; want true", deleted, err)
	}
	if _, found, err := s.GetUser(ctx, u.Username); found || err != nil {
		t.Errorf("after the delete: found %v, err %v", found, err)
	}
	if deleted, err := s.DeleteUser(ctx, u.Username, u.PasswordHash); err != nil || deleted {
		t.Errorf("a second delete: deleted %v, err %v; want false", deleted, err)
	}
	if a, err := th.CountAttempt(ctx, u.Username, now, limit); err != nil || a.Count != 2 {
		t.Errorf("the username's counter after the delete: %+v, %v; want its second attempt", a, err)
	}
	again := u
	again.PasswordHash = otherHash
	if err := s.CreateUser(ctx, again); err != nil {
		t.Fatalf("registering the username again: %v", err)
	}
	if got, found, _ := s.GetUser(ctx, u.Username); !found || !sameUser(got, again) {
		t.Errorf("the new account is %+v (found %v), want %+v", got, found, again)
	}
	counted := newUsername("mia")
	if _, err := th.CountAttempt(ctx, counted, now, limit); err != nil {
		t.Fatal(err)
	}
	if deleted, err := s.DeleteUser(ctx, counted, u.PasswordHash); err != nil || deleted {
		t.Errorf("delete of a username with only a counter: deleted %v, err %v; want false", deleted, err)
	}
	if a, _ := th.CountAttempt(ctx, counted, now, limit); a.Count != 2 {
		t.Errorf("the counter after a delete of its username: %+v, want its second attempt", a)
	}
	for _, bad := range [][2]string{{"", u.PasswordHash}, {u.Username, ""}} {
		if deleted, err := s.DeleteUser(ctx, bad[0], bad[1]); err == nil || deleted {
			t.Errorf("DeleteUser(%q, %q) = %v, %v; want an error", bad[0], bad[1], deleted, err)
		}
	}
	if _, found, _ := s.GetUser(ctx, u.Username); !found {
		t.Error("a refused delete deleted the account")
	}
}

// testConcurrentChanges checks that of many changes from the same hash at
// once exactly one wins, and the account holds its hash; and that of many
// deletes at once exactly one deletes.
func testConcurrentChanges(t *testing.T, newStores NewStores) {
	s, _ := newStores(t)
	ctx, u := t.Context(), newUser("noah")
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	const n = 10
	changed := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			changed[i], errs[i] = s.ChangePasswordHash(ctx, u.Username, u.PasswordHash, fmt.Sprintf("$argon2id$new-%d", i))
		})
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("change %d: %v", i, errs[i])
		}
		if changed[i] {
			if winner >= 0 {
				t.Fatalf("changes %d and %d both won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		t.Fatal("no change won")
	}
	got, _, _ := s.GetUser(ctx, u.Username)
	if want := fmt.Sprintf("$argon2id$new-%d", winner); got.PasswordHash != want {
		t.Errorf("the account holds %q, want the winner's %q", got.PasswordHash, want)
	}
	deleted := make([]bool, n)
	for i := range n {
		wg.Go(func() { deleted[i], errs[i] = s.DeleteUser(ctx, u.Username, got.PasswordHash) })
	}
	wg.Wait()
	count := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("delete %d: %v", i, errs[i])
		}
		if deleted[i] {
			count++
		}
	}
	if count != 1 {
		t.Errorf("%d of %d concurrent deletes deleted, want 1", count, n)
	}
}

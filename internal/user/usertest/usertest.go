// Package usertest is the conformance suite of user.Store and user.Throttle:
// every backend (memstore, dynamostore) must pass Run.
package usertest

import (
	"crypto/rand"
	"errors"
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
	t.Run("ConcurrentFailures", func(t *testing.T) { t.Parallel(); testConcurrentFailures(t, newStores) })
	t.Run("ConcurrentCreates", func(t *testing.T) { t.Parallel(); testConcurrentCreates(t, newStores) })
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
	op        string        // "record", "failures" or "reset"
	at        time.Duration // after the suite's start
	wantCount int
	wantEnds  time.Duration // window end after start; ignored when wantCount is 0
}

func testThrottle(t *testing.T, newStores NewStores) {
	_, th := newStores(t)
	name, now, ctx := newUsername("gina"), start(), t.Context()
	steps := []throttleStep{
		{"failures", 0, 0, 0},
		{"record", 0, 1, window},
		{"record", time.Minute, 2, window},
		{"failures", 2 * time.Minute, 2, window},
		{"record", window - time.Millisecond, 3, window},
		{"failures", window - time.Millisecond, 3, window},
		{"failures", window, 0, 0}, // the window has ended, counter item or not
		{"record", window, 1, 2 * window},
		{"record", window + time.Second, 2, 2 * window},
		{"reset", window + time.Second, 0, 0},
		{"failures", window + time.Second, 0, 0},
		{"reset", window + time.Second, 0, 0}, // nothing to forget: no error
		{"record", window + 2*time.Second, 1, 2*window + 2*time.Second},
	}
	for i, st := range steps {
		at := now.Add(st.at)
		var count int
		var ends time.Time
		var err error
		switch st.op {
		case "record":
			count, ends, err = th.RecordFailure(ctx, name, at, window)
		case "failures":
			count, ends, err = th.Failures(ctx, name, at)
		case "reset":
			err = th.Reset(ctx, name)
		}
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, st.op, err)
		}
		if st.op == "reset" {
			continue
		}
		if count != st.wantCount || (count > 0 && !ends.Equal(now.Add(st.wantEnds))) {
			t.Errorf("step %d (%s at +%v): count %d, window ends %v; want %d and +%v",
				i, st.op, st.at, count, ends, st.wantCount, st.wantEnds)
		}
		if count == 0 && !ends.IsZero() {
			t.Errorf("step %d (%s): no failures but a window end %v", i, st.op, ends)
		}
	}
	if c, _, err := th.Failures(ctx, newUsername("other"), now); err != nil || c != 0 {
		t.Errorf("another username: count %d, err %v", c, err)
	}
}

// testBesideAccount checks that counters and accounts of one name live side
// by side: recording and resetting failures leaves the account alone.
func testBesideAccount(t *testing.T, newStores NewStores) {
	s, th := newStores(t)
	ctx, u, now := t.Context(), newUser("hank"), start()
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, _, err := th.RecordFailure(ctx, u.Username, now, window); err != nil {
		t.Fatal(err)
	}
	if got, found, err := s.GetUser(ctx, u.Username); err != nil || !found || !sameUser(got, u) {
		t.Errorf("account after a failure: %+v %v %v", got, found, err)
	}
	if err := th.Reset(ctx, u.Username); err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.GetUser(ctx, u.Username); err != nil || !found {
		t.Errorf("account after Reset: found %v, err %v", found, err)
	}
	if c, _, _ := th.Failures(ctx, u.Username, now); c != 0 {
		t.Errorf("count after Reset: %d", c)
	}
}

// testConcurrentFailures checks that concurrent failures are all counted,
// each seeing its own count, in one window.
func testConcurrentFailures(t *testing.T, newStores NewStores) {
	_, th := newStores(t)
	name, now, ctx := newUsername("ivy"), start(), t.Context()
	const n = 50
	counts := make([]int, n)
	ends := make([]time.Time, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { counts[i], ends[i], errs[i] = th.RecordFailure(ctx, name, now, window) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if !ends[i].Equal(now.Add(window)) {
			t.Errorf("goroutine %d: window ends %v, want %v", i, ends[i], now.Add(window))
		}
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts seen %v, want each of 1..%d once", counts, n)
		}
	}
	if c, _, _ := th.Failures(ctx, name, now); c != n {
		t.Errorf("Failures = %d, want %d", c, n)
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

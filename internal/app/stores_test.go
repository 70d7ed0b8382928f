package app

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// fakeStores records the calls that reach it, and answers each with a
// value the test can tell from the zero one.
type fakeStores struct{ calls []string }

var errFake = errors.New("fake store answer")

func (f *fakeStores) Get(context.Context, string, time.Time) (session.Record, bool, error) {
	f.calls = append(f.calls, "Get")
	return session.Record{Key: "got"}, true, errFake
}
func (f *fakeStores) Create(context.Context, session.Record) error {
	f.calls = append(f.calls, "Create")
	return errFake
}
func (f *fakeStores) Touch(context.Context, string, time.Time) (bool, error) {
	f.calls = append(f.calls, "Touch")
	return true, errFake
}
func (f *fakeStores) Delete(context.Context, string, time.Time) (session.Record, bool, error) {
	f.calls = append(f.calls, "Delete")
	return session.Record{Key: "deleted"}, true, errFake
}
func (f *fakeStores) ListByUser(context.Context, string, time.Time) ([]session.Record, error) {
	f.calls = append(f.calls, "ListByUser")
	return []session.Record{{Key: "listed"}}, errFake
}
func (f *fakeStores) Update(context.Context, string, session.Change, time.Time) (session.Outcome, error) {
	f.calls = append(f.calls, "Update")
	return session.Outcome{Found: true}, errFake
}
func (f *fakeStores) CreateUser(context.Context, user.User) error {
	f.calls = append(f.calls, "CreateUser")
	return errFake
}
func (f *fakeStores) GetUser(context.Context, string) (user.User, bool, error) {
	f.calls = append(f.calls, "GetUser")
	return user.User{Username: "got"}, true, errFake
}
func (f *fakeStores) ChangePasswordHash(context.Context, string, string, string) (bool, error) {
	f.calls = append(f.calls, "ChangePasswordHash")
	return true, errFake
}
func (f *fakeStores) DeleteUser(context.Context, string, string) (bool, error) {
	f.calls = append(f.calls, "DeleteUser")
	return true, errFake
}
func (f *fakeStores) CountAttempt(context.Context, string, time.Time, user.Limit) (user.Attempt, error) {
	f.calls = append(f.calls, "CountAttempt")
	return user.Attempt{Allowed: true}, errFake
}
func (f *fakeStores) Clear(context.Context, string) error {
	f.calls = append(f.calls, "Clear")
	return errFake
}

// storeCalls are one call of each use, returning whether the fake's own
// answer came back.
var storeCalls = []struct {
	use  StoreUse
	call func(Stores) (passed bool, err error)
}{
	{SessionsGet, func(s Stores) (bool, error) {
		r, ok, err := s.Sessions.Get(context.Background(), "k", time.Time{})
		return r.Key == "got" && ok, err
	}},
	{SessionsCreateAnonymous, func(s Stores) (bool, error) {
		err := s.Sessions.Create(context.Background(), session.Record{Key: "k"})
		return errors.Is(err, errFake), err
	}},
	{SessionsCreateLoggedIn, func(s Stores) (bool, error) {
		err := s.Sessions.Create(context.Background(), session.Record{Key: "k", Username: "ada", AuthenticatedAt: time.Unix(1, 0)})
		return errors.Is(err, errFake), err
	}},
	{SessionsTouch, func(s Stores) (bool, error) {
		ok, err := s.Sessions.Touch(context.Background(), "k", time.Time{})
		return ok, err
	}},
	{SessionsDelete, func(s Stores) (bool, error) {
		r, ok, err := s.Sessions.Delete(context.Background(), "k", time.Time{})
		return r.Key == "deleted" && ok, err
	}},
	{SessionsListByUser, func(s Stores) (bool, error) {
		recs, err := s.Sessions.ListByUser(context.Background(), "ada", time.Time{})
		return len(recs) == 1, err
	}},
	{SessionsUpdate, func(s Stores) (bool, error) {
		out, err := s.Sessions.Update(context.Background(), "k", session.Change{}, time.Time{})
		return out.Found, err
	}},
	{UsersCreateUser, func(s Stores) (bool, error) {
		err := s.Users.CreateUser(context.Background(), user.User{Username: "ada"})
		return errors.Is(err, errFake), err
	}},
	{UsersGetUser, func(s Stores) (bool, error) {
		u, ok, err := s.Users.GetUser(context.Background(), "ada")
		return u.Username == "got" && ok, err
	}},
	{UsersChangePasswordHash, func(s Stores) (bool, error) {
		return s.Users.ChangePasswordHash(context.Background(), "ada", "old", "new")
	}},
	{UsersDeleteUser, func(s Stores) (bool, error) {
		return s.Users.DeleteUser(context.Background(), "ada", "hash")
	}},
	{ThrottleCountAttempt, func(s Stores) (bool, error) {
		a, err := s.Throttle.CountAttempt(context.Background(), "ada", time.Time{}, user.Limit{Max: 1, Window: time.Second})
		return a.Allowed, err
	}},
	{ThrottleClear, func(s Stores) (bool, error) {
		err := s.Throttle.Clear(context.Background(), "ada")
		return errors.Is(err, errFake), err
	}},
}

// TestStoreGuardLetsThroughExactlyTheDeclaredUses: each use, declared,
// reaches the store with its answer intact and is reported; undeclared, it
// is refused with ErrUndeclaredStoreUse naming the function and the use,
// and the store never sees it.
func TestStoreGuardLetsThroughExactlyTheDeclaredUses(t *testing.T) {
	for _, c := range storeCalls {
		t.Run(string(c.use), func(t *testing.T) {
			fake := &fakeStores{}
			var reported []StoreUse
			all := Stores{Sessions: fake, Users: fake, Throttle: fake}
			used := func(fn string, u StoreUse) {
				if fn != "F" {
					t.Errorf("reported for %q, want F", fn)
				}
				reported = append(reported, u)
			}
			allowed := newStoreGuard("F", []StoreUse{c.use}, used).stores(all)
			if passed, err := c.call(allowed); !passed || !errors.Is(err, errFake) {
				t.Errorf("declared: passed %v, err %v; want the store's own answer", passed, err)
			}
			if len(fake.calls) != 1 || !slices.Equal(reported, []StoreUse{c.use}) {
				t.Errorf("declared: store saw %v, reported %v; want one call, %s", fake.calls, reported, c.use)
			}
			var others []StoreUse
			for _, o := range storeCalls {
				if o.use != c.use {
					others = append(others, o.use)
				}
			}
			fake.calls, reported = nil, nil
			refused := newStoreGuard("F", others, used).stores(all)
			passed, err := c.call(refused)
			if passed || !errors.Is(err, ErrUndeclaredStoreUse) || !strings.Contains(err.Error(), "F calls "+string(c.use)) {
				t.Errorf("undeclared: passed %v, err %v; want ErrUndeclaredStoreUse naming F and %s", passed, err, c.use)
			}
			if len(fake.calls) != 0 || len(reported) != 0 {
				t.Errorf("undeclared: store saw %v, reported %v; want nothing", fake.calls, reported)
			}
		})
	}
}

// TestCreateUse: a session with a username or an authentication time is a
// logged-in one.
func TestCreateUse(t *testing.T) {
	for _, c := range []struct {
		rec  session.Record
		want StoreUse
	}{
		{session.Record{}, SessionsCreateAnonymous},
		{session.Record{Username: "ada"}, SessionsCreateLoggedIn},
		{session.Record{AuthenticatedAt: time.Unix(1, 0)}, SessionsCreateLoggedIn},
	} {
		if got := createUse(c.rec); got != c.want {
			t.Errorf("createUse(%+v) = %s, want %s", c.rec, got, c.want)
		}
	}
}

// TestLimitedGuardsGivenAndOpenedStores: stores given and stores opened
// are both behind the guard; an unset store stays unset (so a function
// still opens its own), and an opening error comes back as it is.
func TestLimitedGuardsGivenAndOpenedStores(t *testing.T) {
	fake := &fakeStores{}
	o := Options{Stores: Stores{Sessions: fake}}.limited("F", nil)
	if _, _, err := o.Stores.Sessions.Get(context.Background(), "k", time.Time{}); !errors.Is(err, ErrUndeclaredStoreUse) {
		t.Errorf("a given store: %v, want refused", err)
	}
	if o.Stores.Users != nil || o.Stores.Throttle != nil {
		t.Errorf("unset stores were set: %+v", o.Stores)
	}
	errOpen := errors.New("cannot open")
	var withUsers bool
	o = Options{OpenStores: func(_ context.Context, _ config.Getenv, u bool) (Stores, error) {
		withUsers = u
		return Stores{Sessions: fake, Users: fake, Throttle: fake}, nil
	}}.limited("F", []StoreUse{UsersGetUser})
	opened, err := o.OpenStores(context.Background(), nil, true)
	if err != nil || !withUsers {
		t.Fatalf("open: %v (withUsers passed: %v)", err, withUsers)
	}
	if _, _, err := opened.Sessions.Get(context.Background(), "k", time.Time{}); !errors.Is(err, ErrUndeclaredStoreUse) {
		t.Errorf("an opened store: %v, want refused", err)
	}
	if _, _, err := opened.Users.GetUser(context.Background(), "ada"); !errors.Is(err, errFake) {
		t.Errorf("an opened store, declared use: %v, want the store's answer", err)
	}
	o = Options{OpenStores: func(context.Context, config.Getenv, bool) (Stores, error) { return Stores{Sessions: fake}, errOpen }}.limited("F", nil)
	if s, err := o.OpenStores(context.Background(), nil, false); !errors.Is(err, errOpen) || s.Sessions != nil {
		t.Errorf("a failed open: %+v, %v; want no stores and its error", s, err)
	}
}

// TestForFunction: a function without an entry in StoreUses is refused;
// one with an entry gets stores behind its guard.
func TestForFunction(t *testing.T) {
	if _, err := (Options{}).ForFunction("UndeclaredFunction"); err == nil || !strings.Contains(err.Error(), "UndeclaredFunction declares no store uses") {
		t.Errorf("ForFunction of an undeclared function: %v", err)
	}
	o, err := Options{Stores: Stores{Sessions: &fakeStores{}}}.ForFunction("CookiesFunction")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := o.Stores.Sessions.Get(context.Background(), "k", time.Time{}); !errors.Is(err, ErrUndeclaredStoreUse) {
		t.Errorf("CookiesFunction reading a session: %v, want refused", err)
	}
}

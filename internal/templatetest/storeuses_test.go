package templatetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// ---- driving each store use through every shape of its requests --------------------

// storeRun is what a driver works with: the store behind the recorder, a
// store and a client that are not recorded (for setting things up), the
// tables, and a clock.
type storeRun struct {
	t      *testing.T
	rec    *dynamostore.Store
	plain  *dynamostore.Store
	raw    *dynamodb.Client
	env    *dynamotest.Env
	now    time.Time
	prefix string // makes each run's keys its own
}

func (r *storeRun) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

// key is a session key of this run.
func (r *storeRun) key(name string) string { return session.StoreKey([]byte(r.prefix + name)) }

// record is a live session under key: logged in as username unless "",
// with a User-Agent, data, a remembered key.
func (r *storeRun) record(key, username string) session.Record {
	rec := session.Record{
		Key: key, Username: username, UserAgent: "templatetest",
		Data:      session.Data{Maps: map[string]map[string]int64{"cart": {"tea": 1}}, Counters: map[string]int64{"visits": 1}},
		CreatedAt: r.now, LastSeenAt: r.now, IdleWindow: 30 * time.Minute,
		IdleDeadline: r.now.Add(30 * time.Minute), AbsoluteDeadline: r.now.Add(12 * time.Hour),
		Applied: []session.Applied{{Key: "01234567", Fingerprint: "fp", At: r.now.Truncate(session.KeyTimePrecision)}},
	}
	if username != "" {
		rec.AuthenticatedAt, rec.Remember = r.now, true
	}
	return rec
}

var errRange = errors.New("out of range")

// add is a change that adds delta to the entry e of map m under key k.
func add(k, m, e string, delta int64) session.Change {
	return session.Change{Key: k, Fingerprint: "fp", Ops: []session.Op{session.AddToEntry{Map: m, Entry: e, Delta: delta, MaxEntries: 50,
		Range: session.Range{Min: 0, Max: 99, Err: errRange}, ErrFull: errRange}}}
}

// storeDrivers make the requests of each use in every shape the store
// has for it: found and missing, refused and replayed, the first write of
// a map, an expired idempotency key, an item of an older layout, a
// password-attempt window that ended. A use without a driver fails the
// test: add one here.
var storeDrivers = map[app.StoreUse]func(r *storeRun){
	app.SessionsGet: func(r *storeRun) {
		r.must(r.plain.Create(r.t.Context(), r.record(r.key("get"), "ada")))
		_, found, err := r.rec.Get(r.t.Context(), r.key("get"), r.now)
		r.must(err)
		_, missing, err := r.rec.Get(r.t.Context(), r.key("none"), r.now)
		r.must(err)
		if !found || missing {
			r.t.Fatalf("Get: found %v, a missing one %v", found, missing)
		}
	},
	app.SessionsCreateAnonymous: func(r *storeRun) {
		rec := r.record(r.key("anon"), "")
		r.must(r.rec.Create(r.t.Context(), rec))
		if err := r.rec.Create(r.t.Context(), rec); !errors.Is(err, session.ErrExists) {
			r.t.Fatalf("Create again: %v, want ErrExists", err)
		}
	},
	app.SessionsCreateLoggedIn: func(r *storeRun) {
		r.must(r.rec.Create(r.t.Context(), r.record(r.key("in"), "ada")))
	},
	app.SessionsTouch: func(r *storeRun) {
		r.must(r.plain.Create(r.t.Context(), r.record(r.key("touch"), "ada")))
		found, err := r.rec.Touch(r.t.Context(), r.key("touch"), r.now.Add(time.Minute))
		r.must(err)
		missing, err := r.rec.Touch(r.t.Context(), r.key("none"), r.now)
		r.must(err)
		if !found || missing {
			r.t.Fatalf("Touch: found %v, a missing one %v", found, missing)
		}
	},
	app.SessionsDelete: func(r *storeRun) {
		r.must(r.plain.Create(r.t.Context(), r.record(r.key("delete"), "ada")))
		_, found, err := r.rec.Delete(r.t.Context(), r.key("delete"), r.now)
		r.must(err)
		if !found {
			r.t.Fatal("Delete found nothing")
		}
	},
	app.SessionsListByUser: func(r *storeRun) {
		name := strings.ToLower(r.prefix) + "lister"
		for _, k := range []string{"l1", "l2"} {
			r.must(r.plain.Create(r.t.Context(), r.record(r.key(k), name)))
		}
		recs, err := r.rec.ListByUser(r.t.Context(), name, r.now)
		r.must(err)
		if len(recs) != 2 {
			r.t.Fatalf("ListByUser: %d records, want 2", len(recs))
		}
	},
	app.SessionsUpdate: func(r *storeRun) {
		ctx, k := r.t.Context(), r.key("update")
		long := r.record(k, "")
		long.IdleWindow, long.IdleDeadline, long.AbsoluteDeadline = 48*time.Hour, r.now.Add(48*time.Hour), r.now.Add(48*time.Hour)
		r.must(r.plain.Create(ctx, long))
		for _, s := range []struct {
			name   string
			change session.Change
			at     time.Time
			check  func(session.Outcome, error) bool
		}{
			{"the fast path", add("k1", "cart", "tea", 1), r.now, func(o session.Outcome, err error) bool { return err == nil && o.Found }},
			{"a map's first write", add("k2", "wishlist", "tea", 1), r.now, func(o session.Outcome, err error) bool { return err == nil && o.Found }},
			{"a replay", add("k2", "wishlist", "tea", 1), r.now, func(o session.Outcome, err error) bool { return err == nil && o.Replayed }},
			{"a refusal", add("k3", "cart", "tea", 200), r.now, func(_ session.Outcome, err error) bool { return errors.Is(err, errRange) }},
			{"an expired key again", add("k1", "cart", "tea", 1), r.now.Add(25 * time.Hour), func(o session.Outcome, err error) bool { return err == nil && o.Found }},
			{"a missing session", add("k4", "cart", "tea", 1), r.now.Add(49 * time.Hour), func(o session.Outcome, err error) bool { return err == nil && !o.Found }},
		} {
			if out, err := r.rec.Update(ctx, k, s.change, s.at); !s.check(out, err) {
				r.t.Fatalf("Update, %s: %+v, %v", s.name, out, err)
			}
		}
		// An item from before version 2: no data, no ring.
		old := r.key("old")
		_, err := r.raw.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(r.env.SessionsTable), Item: map[string]types.AttributeValue{
			"id":               &types.AttributeValueMemberS{Value: old},
			"idleWindow":       &types.AttributeValueMemberN{Value: "1800000"},
			"idleDeadline":     &types.AttributeValueMemberN{Value: fmt.Sprint(r.now.Add(time.Hour).UnixMilli())},
			"absoluteDeadline": &types.AttributeValueMemberN{Value: fmt.Sprint(r.now.Add(time.Hour).UnixMilli())},
		}})
		r.must(err)
		if out, err := r.rec.Update(ctx, old, add("k5", "cart", "tea", 1), r.now); err != nil || !out.Found {
			r.t.Fatalf("Update of an old item: %+v, %v", out, err)
		}
	},
	app.UsersCreateUser: func(r *storeRun) {
		u := user.User{Username: strings.ToLower(r.prefix) + "creates", PasswordHash: "$argon2id$x", CreatedAt: r.now}
		r.must(r.rec.CreateUser(r.t.Context(), u))
		if err := r.rec.CreateUser(r.t.Context(), u); !errors.Is(err, user.ErrTaken) {
			r.t.Fatalf("CreateUser again: %v, want ErrTaken", err)
		}
	},
	app.UsersGetUser: func(r *storeRun) {
		name := strings.ToLower(r.prefix) + "reads"
		r.must(r.plain.CreateUser(r.t.Context(), user.User{Username: name, PasswordHash: "$argon2id$x", CreatedAt: r.now}))
		_, found, err := r.rec.GetUser(r.t.Context(), name)
		r.must(err)
		if !found {
			r.t.Fatal("GetUser found nothing")
		}
	},
	app.UsersChangePasswordHash: func(r *storeRun) {
		ctx, name := r.t.Context(), strings.ToLower(r.prefix)+"changes"
		r.must(r.plain.CreateUser(ctx, user.User{Username: name, PasswordHash: "$argon2id$a", CreatedAt: r.now}))
		changed, err := r.rec.ChangePasswordHash(ctx, name, "$argon2id$a", "$argon2id$b")
		r.must(err)
		stale, err := r.rec.ChangePasswordHash(ctx, name, "$argon2id$a", "$argon2id$c")
		r.must(err)
		if !changed || stale {
			r.t.Fatalf("ChangePasswordHash: changed %v, with a stale hash %v", changed, stale)
		}
	},
	app.UsersDeleteUser: func(r *storeRun) {
		ctx, name := r.t.Context(), strings.ToLower(r.prefix)+"deletes"
		r.must(r.plain.CreateUser(ctx, user.User{Username: name, PasswordHash: "$argon2id$a", CreatedAt: r.now}))
		stale, err := r.rec.DeleteUser(ctx, name, "$argon2id$other")
		r.must(err)
		deleted, err := r.rec.DeleteUser(ctx, name, "$argon2id$a")
		r.must(err)
		if stale || !deleted {
			r.t.Fatalf("DeleteUser: with a stale hash %v, deleted %v", stale, deleted)
		}
	},
	app.ThrottleCountAttempt: func(r *storeRun) {
		ctx, name := r.t.Context(), strings.ToLower(r.prefix)+"guesser"
		limit := user.Limit{Max: 2, Window: time.Minute}
		for i, want := range []bool{true, true, false} {
			a, err := r.rec.CountAttempt(ctx, name, r.now, limit)
			r.must(err)
			if a.Allowed != want {
				r.t.Fatalf("attempt %d: allowed %v", i, a.Allowed)
			}
		}
		// The window ended, its counter still stored: a new window.
		if a, err := r.rec.CountAttempt(ctx, name, r.now.Add(2*time.Minute), limit); err != nil || !a.Allowed {
			r.t.Fatalf("after the window: %+v, %v", a, err)
		}
	},
	app.ThrottleClear: func(r *storeRun) {
		r.must(r.rec.Clear(r.t.Context(), strings.ToLower(r.prefix)+"guesser"))
	},
}

// withoutOldItem drops the item DynamoDB returns with a failed condition,
// as dynalite does, so the store's fallback read is made (and recorded).
func withoutOldItem(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("dropOldItem",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				var ccf *types.ConditionalCheckFailedException
				if errors.As(err, &ccf) {
					ccf.Item = nil
				}
				return out, md, err
			}), middleware.Before)
	})
}

// storeUseCalls are the requests of every store use, found by running its
// driver against the emulator (twice: with DynamoDB's answers as they
// are, and without the old item of a failed condition), with the
// template's logical ID of each table.
type storeUseCalls struct {
	byUse  map[app.StoreUse][]dynamoCall
	tables map[string]string // table name in a request → logical ID
}

var recordedUses struct {
	once sync.Once
	got  storeUseCalls
	errs []string
}

// recordStoreUses runs every driver once per test binary.
func recordStoreUses(t *testing.T) storeUseCalls {
	t.Helper()
	recordedUses.once.Do(func() {
		env := dynamotest.New(t)
		rec := &recorder{}
		recorded := func(extra ...func(*dynamodb.Options)) *dynamostore.Store {
			opts := append([]func(*dynamodb.Options){func(o *dynamodb.Options) { rec.next = o.HTTPClient; o.HTTPClient = rec }}, extra...)
			return dynamostore.New(dynamodb.New(env.Client.Options(), opts...), env.SessionsTable, env.UsersTable)
		}
		got := storeUseCalls{byUse: map[app.StoreUse][]dynamoCall{}, tables: map[string]string{env.SessionsTable: "SessionsTable", env.UsersTable: "UsersTable"}}
		for round, store := range []*dynamostore.Store{recorded(), recorded(withoutOldItem)} {
			for _, use := range slices.Sorted(maps.Keys(storeDrivers)) {
				r := &storeRun{t: t, rec: store, plain: env.Store(), raw: env.Client, env: env,
					now: time.UnixMilli(1_800_000_000_000 + int64(round)*3_600_000).UTC(), prefix: fmt.Sprintf("r%d%s", round, strings.NewReplacer(".", "", "(", "", ")", "", " ", "").Replace(string(use)))}
				storeDrivers[use](r)
				calls, errs := rec.take()
				for _, err := range errs {
					recordedUses.errs = append(recordedUses.errs, fmt.Sprintf("%s: %v", use, err))
				}
				if len(calls) == 0 {
					recordedUses.errs = append(recordedUses.errs, fmt.Sprintf("%s: its driver made no DynamoDB request", use))
				}
				for _, c := range calls {
					if !slices.ContainsFunc(got.byUse[use], func(d dynamoCall) bool { return fmt.Sprint(d) == fmt.Sprint(c) }) {
						got.byUse[use] = append(got.byUse[use], c)
					}
				}
			}
		}
		recordedUses.got = got
	})
	if t.Failed() {
		t.FailNow()
	}
	for _, e := range recordedUses.errs {
		t.Error(e)
	}
	if recordedUses.got.byUse == nil {
		t.Fatal("the store uses were not recorded (an earlier test failed while recording)")
	}
	return recordedUses.got
}

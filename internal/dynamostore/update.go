package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Update applies change as one conditional UpdateItem that also refreshes
// the idle deadline and records the change's idempotency key, and returns
// the data after it (ReturnValues ALL_NEW). The expression, for a live
// item whose maps exist:
//
//	SET lastSeenAt = :now, idleDeadline = idleWindow + :now, <each op's action>,
//	    recentKeys[32] = :key, recentInfo[32] = :info
//	REMOVE recentKeys[0], recentInfo[0]
//	condition: attribute_exists(id) AND idleDeadline > :now AND absoluteDeadline > :now
//	    AND <each op's condition>
//	    AND attribute_exists(recentKeys) AND NOT contains(recentKeys, :key)
//	    AND NOT contains(recentKeys, :legacyKey)
//
// where :key is the key's hash, :legacyKey its hash as items written before
// the ring's entries were shortened hold it, and :info its fingerprint's
// hash and time (ring.go), and each op is (data.#m a feature's map, data.#c a counter,
// :lo and :hi the range of a value before the op that keeps it within the
// op's range after it):
//
//	AddToEntry    SET data.#m.#e = if_not_exists(data.#m.#e, :zero) + :d
//	              if attribute_type(data.#m, :M) AND ((attribute_type(data.#m.#e, :N)
//	                 AND data.#m.#e BETWEEN :lo AND :hi)
//	                 OR (attribute_not_exists(data.#m.#e) AND size(data.#m) < :maxEntries))
//	SetEntry      SET data.#m.#e = :v
//	              if attribute_exists(data.#m.#e)                      (MustExist)
//	              if attribute_type(data.#m, :M) AND (attribute_exists(data.#m.#e)
//	                 OR size(data.#m) < :maxEntries)                   (otherwise)
//	RemoveEntry   REMOVE data.#m.#e  if attribute_exists(data.#m.#e)
//	ClearMap      SET data.#m = :empty  if attribute_not_exists(data.#m) OR attribute_type(data.#m, :M)
//	AddToCounter  SET data.#c = if_not_exists(data.#c, :zero) + :d
//	              if attribute_exists(data) AND ((attribute_type(data.#c, :N)
//	                 AND data.#c BETWEEN :lo AND :hi) OR attribute_not_exists(data.#c))
//
// (the "new entry" and "new counter" branches only when the delta alone is
// within the range). DynamoDB's ADD works only on top-level attributes,
// hence SET with if_not_exists for nested numbers. A path whose parent is
// missing makes DynamoDB refuse the whole update (ValidationException), so
// every parent is in the condition: attribute_type(data.#m, :M),
// attribute_exists(data), attribute_exists(recentKeys). The type tests
// come before each comparison (moto answers 500 to a BETWEEN on a map).
//
// When the condition fails, the item as it was tells why (DynamoDB returns
// it, ReturnValuesOnConditionCheckFailure ALL_OLD; an emulator that does
// not, dynalite, gets one strongly consistent GetItem instead, safe
// because the failed write changed nothing): missing or ended (not found);
// the key recorded and live (a replay, with the data as it is, or
// ErrKeyReused); an op refusing (session.Apply on the old data says which).
// Otherwise the change is allowed but the item is not as the fast path
// assumes, and it is written again, in one UpdateItem, for the item as it
// is:
//   - a map the change adds to does not exist yet (a nested SET needs its
//     parent): SET data.#m = :map, the map as Apply builds it from
//     nothing, if attribute_not_exists(data.#m). So the first use of a map
//     in a session costs one extra write;
//   - the key is in the ring, but only in expired entries (24 hours old):
//     instead of NOT contains, each slot's condition is recentKeys[i] <>
//     :key AND recentKeys[i] <> :legacyKey, or, for a slot holding the
//     expired entry, recentKeys[i] = :thatKey AND recentInfo[i] = :thatInfo
//     as the slot was read (so no write came in between); the stale entry
//     stays until it drops out, and never counts again;
//   - an item from before version 2 without data or ring: SET data = :data
//     if attribute_not_exists(data), SET recentKeys = :keys, recentInfo =
//     :info if attribute_not_exists(recentKeys);
//   - the item changed in between: the same write again.
//
// Each is tried at most maxConditionRetries times in all.
//
// Exactly once: a change whose first attempt reached DynamoDB but whose
// answer was lost is retried by the SDK; the retry finds its own key in the
// ring and applies nothing. Update counts the SDK's attempts: a key found
// by a call that made more than one attempt is reported as applied, not as
// a replay, since it was most likely that call's own first attempt.
func (s *Store) Update(ctx context.Context, key string, change session.Change, now time.Time) (session.Outcome, error) {
	if err := session.CheckOps(change.Ops); err != nil {
		return session.Outcome{}, fmt.Errorf("dynamostore: update session: %w", err)
	}
	if key == "" {
		return session.Outcome{}, nil
	}
	w := newWrite(change, now)
	for range maxConditionRetries {
		var attempts int
		out, err := s.db.UpdateItem(ctx, s.updateInput(key, w), countAttempts(&attempts))
		if err == nil {
			data, err := dataOf(out.Attributes)
			if err != nil {
				return session.Outcome{}, fmt.Errorf("dynamostore: update session: %w", err)
			}
			return session.Outcome{Data: data, Found: true}, nil
		}
		old, failed := isConditionFailed(err)
		if !failed {
			return session.Outcome{}, fmt.Errorf("dynamostore: update session: %w", err)
		}
		if old == nil {
			if old, err = s.getSessionItem(ctx, key); err != nil {
				return session.Outcome{}, fmt.Errorf("dynamostore: update session: read after a failed condition: %w", err)
			}
		}
		outcome, done, err := w.explain(old, attempts > 1)
		if done || err != nil {
			return outcome, err
		}
	}
	return session.Outcome{}, fmt.Errorf("dynamostore: update session: condition failed %d times on a live session that allows the change", maxConditionRetries)
}

// write is one change as the next UpdateItem will send it.
type write struct {
	change session.Change
	now    time.Time
	entry  session.Applied
	record bool // the change has a key to record
	shape  shape
}

// shape is what the item lacks, or holds, that the fast path does not
// expect.
type shape struct {
	noData bool              // no data attribute
	noRing bool              // no recentKeys attribute
	absent map[string]bool   // maps the change adds to that do not exist
	stale  map[int][2]string // ring slots holding an expired entry of the key → the slot as stored (key, info)
}

func newWrite(c session.Change, now time.Time) *write {
	w := &write{change: c, now: now}
	w.entry, w.record = session.AppliedFor(c, now)
	return w
}

// explain tells, from the item as it was when the condition failed, the
// outcome (done), or else reshapes w for the item as it is. retried
// reports that the SDK attempted the failed write more than once.
func (w *write) explain(old map[string]types.AttributeValue, retried bool) (out session.Outcome, done bool, err error) {
	it, err := decodeItem(old)
	if errors.Is(err, errPartial) {
		return session.Outcome{}, true, nil
	}
	if err != nil {
		return session.Outcome{}, true, fmt.Errorf("dynamostore: update session: %w", err)
	}
	if !it.rec.LiveAt(w.now) {
		return session.Outcome{}, true, nil
	}
	replay, err := session.Recall(it.rec.Applied, w.change, w.now)
	switch {
	case err != nil:
		return session.Outcome{}, true, err
	case replay:
		return session.Outcome{Data: it.rec.Data, Found: true, Replayed: !retried}, true, nil
	}
	if _, err := session.Apply(it.rec.Data, w.change.Ops); err != nil {
		return session.Outcome{}, true, err
	}
	w.shape = w.shapeOf(it)
	return session.Outcome{}, false, nil
}

// shapeOf is what the item it lacks or holds for this change.
func (w *write) shapeOf(it sessionItem) shape {
	sh := shape{noData: !it.hasData, noRing: it.keySlots == nil, absent: map[string]bool{}, stale: map[int][2]string{}}
	for _, op := range w.change.Ops {
		if name, ok := addsTo(op); ok {
			if _, exists := it.rec.Data.Maps[name]; !exists {
				sh.absent[name] = true
			}
		}
	}
	for i, key := range it.keySlots {
		if a, ok, _ := decodeSlot(key, it.infoSlots[i]); ok && a.Key == w.entry.Key && !a.LiveAt(w.now) {
			sh.stale[i] = [2]string{key, it.infoSlots[i]}
		}
	}
	return sh
}

// addsTo is the map an op may add an entry to, which must then exist.
func addsTo(op session.Op) (string, bool) {
	switch op := op.(type) {
	case session.AddToEntry:
		return op.Map, true
	case session.SetEntry:
		return op.Map, !op.MustExist
	}
	return "", false
}

// updateInput is the UpdateItem of w on the item under key.
func (s *Store) updateInput(key string, w *write) *dynamodb.UpdateItemInput {
	e := newExpr()
	n := ms(w.now)
	e.live(n)
	e.refresh(n)
	w.data(e)
	w.ring(e)
	in := s.updateItem(key, e)
	in.ReturnValues = types.ReturnValueAllNew
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	return in
}

// data adds the change's ops to e.
func (w *write) data(e *expr) {
	if w.shape.noData {
		d, _ := session.Apply(session.Data{}, w.change.Ops) // explain checked that it applies
		e.Set(e.name(attrData), e.value(encodeData(d)))
		e.If("attribute_not_exists(" + e.name(attrData) + ")")
		return
	}
	for _, op := range w.change.Ops {
		if name, ok := addsTo(op); ok && w.shape.absent[name] {
			wholeMap(e, name, op)
			continue
		}
		opExpr(e, op)
	}
}

// wholeMap writes the map name, which does not exist, as op alone builds
// it from nothing.
func wholeMap(e *expr, name string, op session.Op) {
	d, _ := session.Apply(session.Data{}, []session.Op{op}) // explain checked that it applies
	m := e.path(attrData, name)
	e.Set(m, e.value(encodeEntries(d.Maps[name])))
	e.If("attribute_not_exists(" + m + ")")
}

// opExpr adds one op's action and condition (see Update).
func opExpr(e *expr, op session.Op) {
	switch op := op.(type) {
	case session.AddToEntry:
		m, p := e.path(attrData, op.Map), e.path(attrData, op.Map, op.Entry)
		e.Set(p, "if_not_exists("+p+", "+e.num(0)+") + "+e.num(op.Delta))
		e.If("attribute_type(" + m + ", " + e.value(str("M")) + ")")
		e.If(bounded(e, p, op.Delta, op.Range, func() string { return "size(" + m + ") < " + e.num(int64(op.MaxEntries)) }))
	case session.SetEntry:
		m, p := e.path(attrData, op.Map), e.path(attrData, op.Map, op.Entry)
		e.Set(p, e.num(op.Value))
		if op.MustExist {
			e.If("attribute_exists(" + p + ")")
			return
		}
		e.If("attribute_type(" + m + ", " + e.value(str("M")) + ")")
		e.If("attribute_exists(" + p + ") OR size(" + m + ") < " + e.num(int64(op.MaxEntries)))
	case session.RemoveEntry:
		p := e.path(attrData, op.Map, op.Entry)
		e.Remove(p)
		e.If("attribute_exists(" + p + ")")
	case session.ClearMap:
		m := e.path(attrData, op.Map)
		e.Set(m, e.value(&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}))
		e.If("attribute_not_exists(" + m + ") OR attribute_type(" + m + ", " + e.value(str("M")) + ")")
	case session.AddToCounter:
		p := e.path(attrData, op.Counter)
		e.Set(p, "if_not_exists("+p+", "+e.num(0)+") + "+e.num(op.Delta))
		e.If("attribute_exists(" + e.name(attrData) + ")") // a map op's attribute_type implies it
		e.If(bounded(e, p, op.Delta, op.Range, nil))
	}
}

// bounded is the condition that adding delta to the number at p keeps it
// within r: its type is N and it lies BETWEEN the range before the add;
// or, when delta alone is within r, it is absent (and room(), when given,
// holds). The type test comes first: a map where a number is expected
// fails the condition instead of the comparison (moto answers 500 to a
// BETWEEN on a map).
func bounded(e *expr, p string, delta int64, r session.Range, room func() string) string {
	lo, hi := r.Before(delta)
	cond := "attribute_type(" + p + ", " + e.value(str("N")) + ") AND " + p + " BETWEEN " + e.num(lo) + " AND " + e.num(hi)
	if !r.Holds(delta) {
		return cond // If adds the parentheses; DynamoDB refuses redundant ones
	}
	absent := "attribute_not_exists(" + p + ")"
	if room != nil {
		absent = "(" + absent + " AND " + room() + ")"
	}
	return "(" + cond + ") OR " + absent
}

// ring adds the idempotency entry of the change (see Update and ring.go).
func (w *write) ring(e *expr) {
	if !w.record {
		return
	}
	keys, info := e.name(attrRecentKeys), e.name(attrRecentInfo)
	if w.shape.noRing {
		k, in := encodeRing([]session.Applied{w.entry})
		e.Set(keys, e.value(k))
		e.Set(info, e.value(in))
		e.If("attribute_not_exists(" + keys + ")")
		return
	}
	key, legacy := e.value(str(w.entry.Key)), e.value(str(legacyKeyHash(w.change.Key)))
	switch {
	case len(w.shape.stale) == 0:
		e.If("attribute_exists(" + keys + ") AND NOT contains(" + keys + ", " + key + ") AND NOT contains(" + keys + ", " + legacy + ")")
	default:
		slot := func(list string, i int) string { return list + "[" + strconv.Itoa(i) + "]" }
		for i := range session.MaxKeys {
			if old, stale := w.shape.stale[i]; stale {
				e.If(slot(keys, i) + " = " + e.value(str(old[0])) + " AND " + slot(info, i) + " = " + e.value(str(old[1])))
			} else {
				e.If(slot(keys, i) + " <> " + key + " AND " + slot(keys, i) + " <> " + legacy)
			}
		}
	}
	e.Remove(keys + "[0]")
	e.Remove(info + "[0]")
	e.Set(keys+"["+strconv.Itoa(session.MaxKeys)+"]", key)
	e.Set(info+"["+strconv.Itoa(session.MaxKeys)+"]", e.value(str(encodeInfo(w.entry))))
}

// dataOf reads the data of an item returned by UpdateItem.
func dataOf(av map[string]types.AttributeValue) (session.Data, error) {
	v, ok := av[attrData]
	if !ok {
		return session.Data{}, nil
	}
	return decodeData(v)
}

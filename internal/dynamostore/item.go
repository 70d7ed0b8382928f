package dynamostore

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// Attribute names of a sessions-table item.
const (
	attrID               = "id"
	attrUsername         = "username"
	attrData             = "data"
	attrRecentKeys       = "recentKeys"
	attrRecentInfo       = "recentInfo"
	attrCreatedAt        = "createdAt"
	attrLastSeenAt       = "lastSeenAt"
	attrAuthenticatedAt  = "authenticatedAt"
	attrIdleDeadline     = "idleDeadline"
	attrAbsoluteDeadline = "absoluteDeadline"
	attrIdleWindow       = "idleWindow"
	attrRemember         = "remember"
	attrUserAgent        = "userAgent"
	attrExpiresAt        = "expiresAt"
)

// sessionReads are the attributes decodeItem reads: every read of a
// session item asks for exactly these (a ProjectionExpression), so an IAM
// policy may allow reads of these attributes alone (dynamodb:Attributes
// with dynamodb:Select SPECIFIC_ATTRIBUTES; docs/deploy.md). expiresAt is
// DynamoDB's TTL only, and never read.
var sessionReads = []string{
	attrID, attrUsername, attrData, attrRecentKeys, attrRecentInfo, attrCreatedAt, attrLastSeenAt,
	attrAuthenticatedAt, attrIdleDeadline, attrAbsoluteDeadline, attrIdleWindow, attrRemember, attrUserAgent,
}

// sessionItem is a session record as DynamoDB holds it, decoded: the ring
// keeps its slots (placeholders and expired entries included), which the
// update path needs.
type sessionItem struct {
	rec       session.Record // Applied holds every entry of the ring, expired or not
	keySlots  []string       // the ring as stored (nil when the item has none) ...
	infoSlots []string       // ... slot by slot
	hasData   bool           // the item has a data attribute
}

func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

func num(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// encodeSession turns rec into an item: its data always present (an empty
// map when it has none, so nested writes have a parent) and its ring
// exactly session.MaxKeys slots long.
func encodeSession(rec session.Record) map[string]types.AttributeValue {
	keys, info := encodeRing(rec.Applied)
	item := map[string]types.AttributeValue{
		attrID:               str(rec.Key),
		attrData:             encodeData(rec.Data),
		attrRecentKeys:       keys,
		attrRecentInfo:       info,
		attrCreatedAt:        num(ms(rec.CreatedAt)),
		attrLastSeenAt:       num(ms(rec.LastSeenAt)),
		attrIdleDeadline:     num(ms(rec.IdleDeadline)),
		attrAbsoluteDeadline: num(ms(rec.AbsoluteDeadline)),
		attrIdleWindow:       num(rec.IdleWindow.Milliseconds()),
		attrRemember:         &types.AttributeValueMemberBOOL{Value: rec.Remember},
		attrExpiresAt:        num(ttlSeconds(rec.AbsoluteDeadline)),
	}
	if rec.Username != "" {
		item[attrUsername] = str(rec.Username)
	}
	if !rec.AuthenticatedAt.IsZero() {
		item[attrAuthenticatedAt] = num(ms(rec.AuthenticatedAt))
	}
	if rec.UserAgent != "" {
		item[attrUserAgent] = str(rec.UserAgent)
	}
	return item
}

// encodeData is d as a map attribute: each map a map of numbers, each
// counter a number.
func encodeData(d session.Data) types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(d.Maps)+len(d.Counters))
	for name, m := range d.Maps {
		out[name] = encodeEntries(m)
	}
	for name, v := range d.Counters {
		out[name] = num(v)
	}
	return &types.AttributeValueMemberM{Value: out}
}

func encodeEntries(m map[string]int64) types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = num(v)
	}
	return &types.AttributeValueMemberM{Value: out}
}

// errPartial marks an item that lacks what makes a session.
var errPartial = errors.New("not a session item")

// decodeSession turns an item into a record, with only the idempotency
// entries live at now. ok is false when there is no item or it lacks what
// makes a session (its key and deadlines): such a partial item is treated
// as missing. An attribute of the wrong type is an error.
func decodeSession(av map[string]types.AttributeValue, now time.Time) (rec session.Record, ok bool, err error) {
	it, err := decodeItem(av)
	if errors.Is(err, errPartial) {
		return session.Record{}, false, nil
	}
	if err != nil {
		return session.Record{}, false, err
	}
	it.rec.Applied = session.LiveEntries(it.rec.Applied, now)
	return it.rec, true, nil
}

// decodeItem decodes every attribute of a session item; errPartial when
// it lacks the key or a deadline.
func decodeItem(av map[string]types.AttributeValue) (sessionItem, error) {
	var it sessionItem
	d := decoder{av: av}
	it.rec.Key = d.str(attrID)
	it.rec.Username = d.str(attrUsername)
	it.rec.UserAgent = d.str(attrUserAgent)
	it.rec.CreatedAt = d.time(attrCreatedAt)
	it.rec.LastSeenAt = d.time(attrLastSeenAt)
	it.rec.AuthenticatedAt = d.time(attrAuthenticatedAt)
	it.rec.IdleDeadline = d.time(attrIdleDeadline)
	it.rec.AbsoluteDeadline = d.time(attrAbsoluteDeadline)
	it.rec.IdleWindow = time.Duration(d.num(attrIdleWindow)) * time.Millisecond
	it.rec.Remember = d.bool(attrRemember)
	if v, ok := av[attrData]; ok && d.err == nil {
		it.hasData = true
		it.rec.Data, d.err = decodeData(v)
	}
	keys, hasKeys := av[attrRecentKeys]
	info, hasInfo := av[attrRecentInfo]
	if (hasKeys || hasInfo) && d.err == nil {
		it.keySlots, it.infoSlots, it.rec.Applied, d.err = decodeRing(keys, info)
	}
	if d.err != nil {
		return sessionItem{}, fmt.Errorf("decode session item: %w", d.err)
	}
	if it.rec.Key == "" || it.rec.IdleDeadline.IsZero() || it.rec.AbsoluteDeadline.IsZero() {
		return sessionItem{}, errPartial
	}
	return it, nil
}

// decodeData reads the data attribute: a map whose values are maps of
// numbers (a feature's map) or numbers (a counter).
func decodeData(v types.AttributeValue) (session.Data, error) {
	m, ok := v.(*types.AttributeValueMemberM)
	if !ok {
		return session.Data{}, fmt.Errorf("%s is %T, want a map", attrData, v)
	}
	var d session.Data
	for name, v := range m.Value {
		switch v := v.(type) {
		case *types.AttributeValueMemberM:
			entries := make(map[string]int64, len(v.Value))
			for k, e := range v.Value {
				n, err := parseNum(e)
				if err != nil {
					return session.Data{}, fmt.Errorf("%s.%s.%s: %w", attrData, name, k, err)
				}
				entries[k] = n
			}
			if d.Maps == nil {
				d.Maps = map[string]map[string]int64{}
			}
			d.Maps[name] = entries
		case *types.AttributeValueMemberN:
			n, err := parseNum(v)
			if err != nil {
				return session.Data{}, fmt.Errorf("%s.%s: %w", attrData, name, err)
			}
			if d.Counters == nil {
				d.Counters = map[string]int64{}
			}
			d.Counters[name] = n
		default:
			return session.Data{}, fmt.Errorf("%s.%s is %T, want a map or a number", attrData, name, v)
		}
	}
	return d, nil
}

// parseNum reads an integer number attribute.
func parseNum(v types.AttributeValue) (int64, error) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("%T, want a number", v)
	}
	i, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number", n.Value)
	}
	return i, nil
}

// decoder reads scalar attributes, keeping the first type error.
type decoder struct {
	av  map[string]types.AttributeValue
	err error
}

func (d *decoder) str(name string) string {
	v, ok := d.av[name]
	if !ok || d.err != nil {
		return ""
	}
	s, ok := v.(*types.AttributeValueMemberS)
	if !ok {
		d.err = fmt.Errorf("%s is %T, want a string", name, v)
		return ""
	}
	return s.Value
}

func (d *decoder) num(name string) int64 {
	v, ok := d.av[name]
	if !ok || d.err != nil {
		return 0
	}
	n, err := parseNum(v)
	if err != nil {
		d.err = fmt.Errorf("%s: %w", name, err)
	}
	return n
}

// time reads Unix milliseconds; an absent attribute is the zero time.
func (d *decoder) time(name string) time.Time {
	if _, ok := d.av[name]; !ok {
		return time.Time{}
	}
	return fromMS(d.num(name))
}

func (d *decoder) bool(name string) bool {
	v, ok := d.av[name]
	if !ok || d.err != nil {
		return false
	}
	b, ok := v.(*types.AttributeValueMemberBOOL)
	if !ok {
		d.err = fmt.Errorf("%s is %T, want a boolean", name, v)
		return false
	}
	return b.Value
}

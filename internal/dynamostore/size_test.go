package dynamostore

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/sessionlab/sessionlab/internal/session"
)

// itemSize is the size DynamoDB bills an item by, following its documented
// rules ("Item sizes and formats" in the developer guide): each
// attribute's name plus its value; a string its UTF-8 bytes; a number 1
// byte plus 1 per two significant digits (the exact form dynalite uses,
// whose ReturnConsumedCapacity the benchmarks quote); a boolean 1 byte; a
// list or map 3 bytes plus, per element, 1 byte and the element's size
// (a map element's name included).
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for name, e := range v.Value {
			n += 1 + len(name) + valueSize(e)
		}
		return n
	}
	panic(fmt.Sprintf("itemSize: %T", v))
}

// numberSize is dynalite's size of a decimal integer: 1 byte, plus 1 per
// two significant digits (trailing zeros are not significant), plus 1
// when an even number of digits starts at an odd decimal position, plus 1
// for a sign.
func numberSize(s string) int {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0")
	if s == "" {
		return 1
	}
	exp := len(s) - 1 // the decimal exponent of the first digit
	digits := len(strings.TrimRight(s, "0"))
	n := 1 + (digits+1)/2
	if digits%2 == 0 && exp%2 == 0 {
		n++
	}
	if neg {
		n++
	}
	return n
}

func TestNumberSize(t *testing.T) {
	for s, want := range map[string]int{ // dynalite's valSize for 'N', run under node
		"0": 1, "7": 2, "12": 2, "42": 2, "99": 2, "137": 3, "100": 2, "1000": 2, "120": 3, "-5": 3,
		"1795633200000": 6, "1795633212345": 8, "604800000": 4, "1795633212": 6,
	} {
		if got := numberSize(s); got != want {
			t.Errorf("numberSize(%s) = %d, want %d", s, got, want)
		}
	}
}

// User-Agents of browsers as they send them (late 2026 versions; the
// length is what counts).
var (
	chrome  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	edge    = chrome + " Edg/156.0.0.0"
	firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:150.0) Gecko/20100101 Firefox/150.0"
)

// typicalSession is a logged-in session of a shopper: a browser's
// User-Agent, a cart of four lines, a visit counter, and the ring full of
// live keys, at realistic millisecond times.
func typicalSession(userAgent string) session.Record {
	now := time.UnixMilli(1795633212345).UTC()
	rec := session.Record{
		Key: strings.Repeat("ab", 32), Username: "margaret.hamilton", UserAgent: userAgent,
		CreatedAt: now.Add(-47 * time.Minute), LastSeenAt: now, AuthenticatedAt: now.Add(-46 * time.Minute),
		IdleWindow: 30 * time.Minute, IdleDeadline: now.Add(30 * time.Minute), AbsoluteDeadline: now.Add(12*time.Hour - 47*time.Minute),
		Data: session.Data{
			Maps:     map[string]map[string]int64{"cart": {"tea-sencha": 2, "mug-stoneware": 1, "teapot-glass": 1, "biscuits-oat": 12}},
			Counters: map[string]int64{"visits": 137},
		},
	}
	for i := range session.MaxKeys {
		a, _ := session.AppliedFor(session.Change{Key: fmt.Sprint("6f1c0b0e-2c4b-4d7a-9b8e-", i), Fingerprint: fmt.Sprint("POST /api/cart/items ", i)},
			now.Add(time.Duration(i-session.MaxKeys)*time.Minute))
		rec.Applied = append(rec.Applied, a)
	}
	return rec
}

// TestATypicalSessionIsOneWriteUnit: a shopper's session with a full ring
// stays within 1 KB, so each of its writes (a touch too) costs 1 WCU, for
// the browsers' User-Agents of today and with room for a longer one.
func TestATypicalSessionIsOneWriteUnit(t *testing.T) {
	for name, ua := range map[string]string{"Chrome": chrome, "Edge": edge, "Firefox": firefox, "a 160-byte User-Agent": strings.Repeat("u", 160)} {
		rec := typicalSession(ua)
		size := itemSize(encodeSession(rec))
		empty := rec
		empty.Applied = nil
		t.Logf("%s (%d bytes): %d bytes with %d keys, %d without, %d bytes a key", name, len(ua), size, session.MaxKeys,
			itemSize(encodeSession(empty)), (size-itemSize(encodeSession(empty)))/session.MaxKeys)
		if size > 1024 {
			t.Errorf("%s: a typical session is %d bytes, over the 1 KB of one write unit", name, size)
		}
	}
}

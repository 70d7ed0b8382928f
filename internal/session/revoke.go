package session

import (
	"context"
	"fmt"
	"time"
)

// RevokeWhere ends every live session of username that match accepts (all
// of them when match is nil) and returns the records it deleted. The API's
// "sign out a device" and "sign out everywhere else", and the operator's
// `sessionctl revoke`, all end sessions through it. A record already gone
// when its turn comes is skipped; the first store error stops the loop and
// is returned with the records deleted so far.
func RevokeWhere(ctx context.Context, store Store, username string, now time.Time, match func(Record) bool) ([]Record, error) {
	recs, err := store.ListByUser(ctx, username, now)
	if err != nil {
		return nil, fmt.Errorf("list the user's sessions: %w", err)
	}
	var ended []Record
	for _, rec := range recs {
		if rec.Username != username || (match != nil && !match(rec)) {
			continue
		}
		old, found, err := store.Delete(ctx, rec.Key, now)
		if err != nil {
			return ended, fmt.Errorf("revoke session %s: %w", PublicID(rec.Key), err)
		}
		if found {
			ended = append(ended, old)
		}
	}
	return ended, nil
}

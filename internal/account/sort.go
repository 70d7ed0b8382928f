package account

import (
	"cmp"
	"slices"

	"github.com/sessionlab/sessionlab/internal/session"
)

// sortViews orders sessions for display: the current one first, then the
// most recently used.
func sortViews(v []session.View) {
	slices.SortFunc(v, func(a, b session.View) int {
		if a.Current != b.Current {
			if a.Current {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(b.LastSeenAt, a.LastSeenAt), cmp.Compare(a.ID, b.ID))
	})
}

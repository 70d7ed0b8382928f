package dynamostore_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
)

// BenchmarkStore measures calls per second on the emulator (one client,
// through the test proxy): go test -run '^$' -bench . ./internal/dynamostore
func BenchmarkStore(b *testing.B) {
	env := dynamotest.New(b)
	s := env.Store()
	now := time.Now()
	rec := record(session.StoreKey([]byte("bench")), "pia", now)
	if err := s.Create(b.Context(), rec); err != nil {
		b.Fatal(err)
	}
	b.Run("Get", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := s.Get(b.Context(), rec.Key, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Update", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Update(b.Context(), rec.Key, counterChange(fmt.Sprint("bench-", i), 1), now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateParallel", func(b *testing.B) {
		b.SetParallelism(4)
		n := 0
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				r := record(session.StoreKey(fmt.Appendf(nil, "p-%d-%d", time.Now().UnixNano(), n)), "", now)
				if err := s.Create(b.Context(), r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

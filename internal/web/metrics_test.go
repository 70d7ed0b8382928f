package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sessionlab/sessionlab/internal/metrics"
)

// TestWriteErrorCountsStoreUnavailable: a 503 store_unavailable is counted
// once as metrics.StoreUnavailable; no other error is.
func TestWriteErrorCountsStoreUnavailable(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"unavailable", Unavailable(errors.New("timeout")), `"StoreUnavailable":1`},
		{"client error", Errorf(http.StatusBadRequest, "invalid_json", "no"), ""},
		{"bug", errors.New("nil map"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, nil))
			ctx, rec := metrics.NewContext(context.Background(), "ns")
			WriteError(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(ctx), tt.err)
			rec.Flush(ctx, logger, time.Time{})
			got := buf.String()
			if tt.want == "" && got != "" || tt.want != "" && (!strings.Contains(got, tt.want) || strings.Count(got, "\n") != 1) {
				t.Fatalf("metrics line %q, want %q", got, tt.want)
			}
		})
	}
}

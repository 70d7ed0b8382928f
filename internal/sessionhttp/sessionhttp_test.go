package sessionhttp_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/sessionhttp"
	"github.com/sessionlab/sessionlab/internal/web"
)

// TestFail: the one mapping of the session layer's errors to the
// contract's answers, also when they come wrapped.
func TestFail(t *testing.T) {
	own := web.Errorf(http.StatusConflict, "feature_refused", "A feature's own refusal.")
	for _, tt := range []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter bool
	}{
		{"a feature's refusal", own, 409, "feature_refused", false},
		{"a feature's refusal, wrapped", fmt.Errorf("change session: %w", own), 409, "feature_refused", false},
		{"a reused key", fmt.Errorf("change session: %w", session.ErrKeyReused), 422, "idempotency_key_reused", false},
		{"an invalid change is a bug", fmt.Errorf("%w: two ops on one name", session.ErrInvalidChange), 500, "internal_error", false},
		{"anything else is the store", errors.New("dial tcp: connection refused"), 503, "store_unavailable", true},
	} {
		w := httptest.NewRecorder()
		sessionhttp.Fail(w, httptest.NewRequest("POST", "/api/x", nil), tt.err)
		var body struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %q is not JSON", tt.name, w.Body)
		}
		if w.Code != tt.status || body.Error.Code != tt.code || (w.Header().Get("Retry-After") != "") != tt.retryAfter {
			t.Errorf("%s: %d %q Retry-After %q, want %d %q (Retry-After: %v)", tt.name, w.Code, body.Error.Code, w.Header().Get("Retry-After"), tt.status, tt.code, tt.retryAfter)
		}
	}
}

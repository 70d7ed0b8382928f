// Package web holds what every function's HTTP layer shares: JSON bodies with
// limits, the error body of the contract, security headers, the cross-site
// refusal, API Gateway's 404 for unknown routes, and one log line a request.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/sessionlab/sessionlab/internal/metrics"
)

// Error is an error the client can act on: it becomes the contract's body
// {"error":{"code","message"}} with Status. Message must never carry
// internals (no SDK text, no stack, no secret).
type Error struct {
	Status     int
	Code       string
	Message    string
	RetryAfter time.Duration // sets Retry-After (whole seconds, at least 1) when > 0
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errorf makes an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Unavailable is the contract's 503 for a store that is unreachable or
// throttling past the SDK's retries. cause is logged, never shown.
func Unavailable(cause error) error {
	return &unavailable{cause: cause}
}

type unavailable struct{ cause error }

func (u *unavailable) Error() string { return "store unavailable: " + u.cause.Error() }
func (u *unavailable) Unwrap() error { return u.cause }

// StoreRetryAfter is the Retry-After sent with 503 store_unavailable.
const StoreRetryAfter = 2 * time.Second

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError answers err as the contract's error body. An *Error is shown as
// it is; an Unavailable becomes 503 store_unavailable; anything else is a bug
// and becomes 500 internal_error. Causes are logged, never sent.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	var we *Error
	var un *unavailable
	switch {
	case errors.As(err, &we):
	case errors.As(err, &un):
		Logger(r.Context()).Error("store unavailable", "err", un.cause.Error())
		metrics.Add(r.Context(), metrics.StoreUnavailable)
		we = &Error{Status: http.StatusServiceUnavailable, Code: "store_unavailable",
			Message:    "The session store did not answer. Nothing is half-written, but a change sent just now may or may not have been saved: read it back before you try again.",
			RetryAfter: StoreRetryAfter}
	default:
		Logger(r.Context()).Error("internal error", "err", err.Error())
		we = &Error{Status: http.StatusInternalServerError, Code: "internal_error", Message: "Something went wrong on our side."}
	}
	if we.RetryAfter > 0 {
		secs := int((we.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	}
	WriteJSON(w, we.Status, errorBody{Error: errorDetail{Code: we.Code, Message: we.Message}})
}

// NoContent answers 204. (The Lambda adapter answers 504 to a handler that
// never writes a status, so every handler must write one.)
func NoContent(w http.ResponseWriter) {
	w.WriteHeader(http.StatusNoContent)
}

// logError is used where a response cannot be written any more.
func logError(msg string, err error) {
	slog.Error(msg, "err", err.Error())
}

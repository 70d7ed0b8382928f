package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// captureLog sends the default logger's lines to a buffer, as JSON, for the
// rest of the test.
func captureLog(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return &buf
}

// TestRequestLogLine checks the one line logged per request: the status the
// handler answered first (even when it writes more), the Lambda request ID
// when there is one, the session's public ID, and the duration in
// milliseconds.
func TestRequestLogLine(t *testing.T) {
	buf := captureLog(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/slow", func(w http.ResponseWriter, r *http.Request) {
		SetSessionID(r.Context(), "pub123")
		time.Sleep(20 * time.Millisecond)
		w.WriteHeader(http.StatusTeapot)
		w.WriteHeader(http.StatusInternalServerError) // ignored, as net/http does
		_, _ = w.Write([]byte("short and stout"))
	})
	mux.HandleFunc("GET /api/plain", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("ok"))
	})
	h, err := API(mux, "")
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/api/slow", nil)
	r = r.WithContext(lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"}))
	h.ServeHTTP(httptest.NewRecorder(), r)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/api/plain", nil))

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("request lines %v, want 2", lines)
	}
	slow, plain := lines[0], lines[1]
	if slow["status"] != 418.0 || slow["requestId"] != "req-42" || slow["session"] != "pub123" || slow["route"] != "GET /api/slow" {
		t.Errorf("slow request logged %v", slow)
	}
	if ms, _ := slow["durationMs"].(float64); ms < 20 || ms > 10_000 {
		t.Errorf("durationMs = %v for a 20 ms handler", slow["durationMs"])
	}
	if _, ok := plain["requestId"]; ok || plain["status"] != 200.0 {
		t.Errorf("plain request logged %v; want status 200 (implicit) and no requestId", plain)
	}
	r = httptest.NewRequest("GET", "/api/plain", nil)
	r = r.WithContext(lambdacontext.NewContext(r.Context(), &lambdacontext.LambdaContext{}))
	buf.Reset()
	h.ServeHTTP(httptest.NewRecorder(), r)
	if strings.Contains(buf.String(), "requestId") {
		t.Errorf("an empty Lambda request ID was logged: %s", buf)
	}
}

// TestErrorsWithoutRetryAfter: only an error that says when to come back
// sends Retry-After.
func TestErrorsWithoutRetryAfter(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{Errorf(http.StatusBadRequest, "invalid_json", "x"), ""},
		{&Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: "x", RetryAfter: 1500 * time.Millisecond}, "2"},
		{&Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: "x", RetryAfter: time.Millisecond}, "1"},
		{&Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Message: "x", RetryAfter: 900 * time.Second}, "900"},
	} {
		w := httptest.NewRecorder()
		WriteError(w, httptest.NewRequest("GET", "/", nil), tt.err)
		if got := w.Header().Get("Retry-After"); got != tt.want {
			t.Errorf("%v: Retry-After %q, want %q", tt.err, got, tt.want)
		}
	}
}

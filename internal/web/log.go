package web

import (
	"context"
	"log/slog"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

type logKey struct{}

// requestLog collects what the one line logged per request says.
type requestLog struct {
	logger *slog.Logger
	mu     sync.Mutex
	sessID string
}

// Logger returns the logger of the request in ctx: the default logger with
// the Lambda request ID, API Gateway's request ID and the X-Ray trace ID,
// those that there are (requestIDs).
func Logger(ctx context.Context) *slog.Logger {
	if rl, ok := ctx.Value(logKey{}).(*requestLog); ok {
		return rl.logger
	}
	return withRequestID(ctx, slog.Default())
}

// SetSessionID records the public ID of the request's session for its log
// line. Never pass a raw session ID.
func SetSessionID(ctx context.Context, publicID string) {
	if rl, ok := ctx.Value(logKey{}).(*requestLog); ok {
		rl.mu.Lock()
		rl.sessID = publicID
		rl.mu.Unlock()
	}
}

func withRequestLog(ctx context.Context) (context.Context, *requestLog) {
	rl := &requestLog{logger: withRequestID(ctx, slog.Default())}
	return context.WithValue(ctx, logKey{}, rl), rl
}

func withRequestID(ctx context.Context, l *slog.Logger) *slog.Logger {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		l = l.With("requestId", lc.AwsRequestID)
	}
	return l.With(requestIDs(ctx)...)
}

func (rl *requestLog) sessionID() string {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return rl.sessID
}

package web

import (
	"context"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// traceContextKey is the context key under which aws-lambda-go's runtime
// loop puts the invocation's X-Ray trace header (lambda/invoke_loop.go:
// context.WithValue(ctx, "x-amzn-trace-id", traceID)); it is a plain string
// there, so it is one here.
const traceContextKey = "x-amzn-trace-id"

// requestIDs are the log attributes that tie a line to the other records
// of its request: API Gateway's request ID (the access log's requestId,
// from the event that httpadapter.NewV2 keeps in the request's context) and
// the X-Ray trace ID (the Root of the trace header). Either is left out
// when the context does not have it (tests, a handler run outside Lambda).
func requestIDs(ctx context.Context) []any {
	var attrs []any
	if rc, ok := core.GetAPIGatewayV2ContextFromContext(ctx); ok && rc.RequestID != "" {
		attrs = append(attrs, "apiRequestId", rc.RequestID)
	}
	if root := traceRoot(ctx); root != "" {
		attrs = append(attrs, "traceId", root)
	}
	return attrs
}

// traceRoot is the Root field of the trace header in ctx
// ("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
// gives "1-5759e988-bd862e3fe1be46a994272793"), or "".
func traceRoot(ctx context.Context) string {
	header, _ := ctx.Value(traceContextKey).(string)
	for _, field := range strings.Split(header, ";") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(field), "Root="); ok {
			return v
		}
	}
	return ""
}

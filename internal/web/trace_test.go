package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

func TestTraceRoot(t *testing.T) {
	for _, tt := range []struct{ header, want string }{
		{"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", "1-5759e988-bd862e3fe1be46a994272793"},
		{"Parent=53995c3f42cd8ad8; Root=1-abc;Sampled=0", "1-abc"},
		{"Root=1-abc", "1-abc"},
		{"Parent=53995c3f42cd8ad8;Sampled=1", ""},
		{"", ""},
	} {
		//lint:ignore SA1029 the key aws-lambda-go's runtime uses
		ctx := context.WithValue(context.Background(), traceContextKey, tt.header)
		if got := traceRoot(ctx); got != tt.want {
			t.Errorf("traceRoot(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
	if got := traceRoot(context.Background()); got != "" {
		t.Errorf("no header: %q", got)
	}
}

// TestRequestLineCarriesEveryRequestID sends an event through the adapter
// Lambda runs (httpadapter.NewV2) with the context the runtime gives, and
// reads the request line: Lambda's request ID, API Gateway's and the trace
// ID must all be on it.
func TestRequestLineCarriesEveryRequestID(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&buf, nil)))
	defer slog.SetDefault(prev)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/thing", func(w http.ResponseWriter, r *http.Request) {
		Logger(r.Context()).Info("inside")
		NoContent(w)
	})
	h, err := API(mux, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "lambda-req-1"})
	//lint:ignore SA1029 the key aws-lambda-go's runtime uses
	ctx = context.WithValue(ctx, traceContextKey, "Root=1-66f0c0de-0123456789abcdef01234567;Parent=1;Sampled=1")
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: "/api/thing",
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: "apigw-req-1", DomainName: "abc.execute-api.eu-west-1.amazonaws.com",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/api/thing"},
		},
	}
	resp, err := httpadapter.NewV2(h).ProxyWithContext(ctx, ev)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want the handler's line and the request line, got %q", lines)
	}
	for _, l := range lines {
		var got struct{ RequestID, APIRequestID, TraceID string }
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatal(err)
		}
		if got.RequestID != "lambda-req-1" || got.APIRequestID != "apigw-req-1" || got.TraceID != "1-66f0c0de-0123456789abcdef01234567" {
			t.Errorf("line %s: requestId %q apiRequestId %q traceId %q", l, got.RequestID, got.APIRequestID, got.TraceID)
		}
	}
}

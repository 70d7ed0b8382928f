// Package apigw converts between net/http and API Gateway HTTP API (payload
// format 2.0) events, in both directions: Handler is what each Lambda
// function gives lambda.Start (net/http behind aws-lambda-go-api-proxy), and
// ToEvent / WriteResponse let the local runner send a real HTTP request
// through that very handler, as API Gateway would.
package apigw

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"
)

// LambdaHandler is the signature lambda.Start takes for an HTTP API function.
type LambdaHandler func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)

// badEvent answers an event the adapter cannot turn into a request (a bad
// path or base64 body): a client error, never a 5xx.
var badEvent = events.APIGatewayV2HTTPResponse{
	StatusCode: http.StatusBadRequest,
	Headers:    map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
	Body:       `{"error":{"code":"bad_request","message":"The request could not be read."}}`,
}

// Handler wraps h for Lambda with httpadapter.NewV2. Cookies are read once:
// `sam local start-api` copies the Cookie header into the event's headers as
// well as its Cookies (the deployed HTTP API does not), so when Cookies is
// set the header copy is dropped. A '#' in the raw query (net/http's server
// keeps it there) is escaped as %23: the adapter rebuilds the URL with
// url.Parse, which would cut the query at '#'; the handler's decoded query
// values are the same either way.
func Handler(h http.Handler) LambdaHandler {
	adapter := httpadapter.NewV2(h)
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if len(ev.Cookies) > 0 {
			ev.Headers = withoutCookieHeader(ev.Headers)
		}
		ev.RawQueryString = strings.ReplaceAll(ev.RawQueryString, "#", "%23")
		if ev.IsBase64Encoded {
			if _, err := base64.StdEncoding.DecodeString(ev.Body); err != nil {
				return badEvent, nil
			}
		}
		resp, err := adapter.ProxyWithContext(ctx, ev)
		if err != nil {
			return badEvent, nil
		}
		return resp, nil
	}
}

func withoutCookieHeader(headers map[string]string) map[string]string {
	out := make(map[string]string, len(headers))
	for k, v := range headers {
		if !strings.EqualFold(k, "cookie") {
			out[k] = v
		}
	}
	return out
}

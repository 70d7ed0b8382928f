// Package dynamoclient builds the DynamoDB client of the functions, the
// local runner and the tests: the SDK's default configuration, pointed at an
// emulator when an endpoint is given, and bounded so that an unreachable
// store fails within a few seconds (the handlers then answer 503
// store_unavailable) instead of hanging until the Lambda timeout.
package dynamoclient

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Bounds of one call. At worst a call takes MaxAttempts × AttemptTimeout
// plus two backoffs: under 8 s, inside the functions' 10 s timeout.
const (
	// MaxAttempts is how often the SDK tries one call (the first try included).
	MaxAttempts = 3
	// AttemptTimeout bounds one HTTP exchange, connection included.
	AttemptTimeout = 2 * time.Second
	// DialTimeout bounds opening a connection.
	DialTimeout = time.Second
	// MaxBackoff bounds the wait between two attempts.
	MaxBackoff = 500 * time.Millisecond
	// EmulatorRegion is the region used with an endpoint when none is set.
	EmulatorRegion = "us-east-1"
)

// New returns a DynamoDB client. With endpoint == "" it is the SDK's default
// configuration (region and credentials from the environment, as in Lambda).
// With an endpoint (an emulator such as moto, dynalite, DynamoDB Local or
// LocalStack) it sends every call there, uses region us-east-1 unless
// AWS_REGION or AWS_DEFAULT_REGION says otherwise, and uses static dummy
// credentials unless AWS_ACCESS_KEY_ID or AWS_PROFILE is set (so the SDK
// never looks for credentials on an instance metadata service).
func New(ctx context.Context, endpoint string) (*dynamodb.Client, error) {
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().
			WithTimeout(AttemptTimeout).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout })),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = MaxAttempts
				o.MaxBackoff = MaxBackoff
			})
		}),
	}
	if endpoint != "" {
		if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("dynamoclient: endpoint %q is not an http(s) URL such as http://127.0.0.1:8000", endpoint)
		}
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion(EmulatorRegion))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			opts = append(opts, config.WithCredentialsProvider(
				credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamoclient: load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// Package dynamoclient builds the DynamoDB client of the functions, the
// local runner and the tests: region and credentials from the environment,
// as Lambda provides them, pointed at an emulator when an endpoint is given,
// and bounded so that an unreachable store fails within a few seconds (the
// handlers then answer 503 store_unavailable) instead of hanging until the
// Lambda timeout.
//
// It does not use the SDK's config package: its credential chain (shared
// files, SSO, STS, the instance metadata service) is about 2 MB of every
// bootstrap and work at start that Lambda never needs, since it puts the
// role's credentials in the environment. Tools that want the whole chain
// (cmd/sessionctl, run by an operator with a profile) load it themselves
// and call NewFromConfig.
package dynamoclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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

// New returns a DynamoDB client configured from the environment, as the
// SDK's environment source reads it and nothing else: the region from
// AWS_REGION (or AWS_DEFAULT_REGION), the credentials from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (and
// AWS_ACCOUNT_ID), which is how Lambda hands a function its role. Without credentials the client
// starts and each call fails, naming the variables.
//
// With an endpoint (an emulator such as moto, dynalite, DynamoDB Local or
// LocalStack) it sends every call there, uses region us-east-1 unless the
// environment names one, and uses static dummy credentials unless
// AWS_ACCESS_KEY_ID is set.
func New(_ context.Context, endpoint string) (*dynamodb.Client, error) {
	if err := checkEndpoint(endpoint); err != nil {
		return nil, err
	}
	cfg := aws.Config{Region: firstEnv("AWS_REGION", "AWS_DEFAULT_REGION"), Credentials: envCredentials()}
	if endpoint != "" {
		if cfg.Region == "" {
			cfg.Region = EmulatorRegion
		}
		if firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY") == "" {
			cfg.Credentials = credentials.NewStaticCredentialsProvider("local", "local", "")
		}
	}
	return NewFromConfig(cfg, endpoint)
}

// NewFromConfig returns a client with cfg's region and credentials and this
// package's bounds (MaxAttempts attempts of at most AttemptTimeout, backoff
// capped at MaxBackoff), sending every call to endpoint when it is set.
func NewFromConfig(cfg aws.Config, endpoint string) (*dynamodb.Client, error) {
	if err := checkEndpoint(endpoint); err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.HTTPClient = awshttp.NewBuildableClient().
			WithTimeout(AttemptTimeout).
			WithDialerOptions(func(d *net.Dialer) { d.Timeout = DialTimeout })
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
			so.MaxBackoff = MaxBackoff
		})
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// checkEndpoint accepts "" (AWS) or an http(s) URL with a host.
func checkEndpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("dynamoclient: endpoint %q is not an http(s) URL such as http://127.0.0.1:8000", endpoint)
	}
	return nil
}

// envCredentials are the credentials in the environment, read as the SDK's
// environment source reads them (AWS_ACCESS_KEY and AWS_SECRET_KEY are its
// older names).
func envCredentials() aws.CredentialsProvider {
	id, secret := firstEnv("AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY"), firstEnv("AWS_SECRET_ACCESS_KEY", "AWS_SECRET_KEY")
	if id == "" || secret == "" {
		return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{}, errNoCredentials
		})
	}
	return credentials.StaticCredentialsProvider{Value: aws.Credentials{
		AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"),
		AccountID: os.Getenv("AWS_ACCOUNT_ID"), Source: "EnvConfigCredentials",
	}}
}

// errNoCredentials is each call's error when the environment has no
// credentials.
var errNoCredentials = errors.New("dynamoclient: no AWS credentials in the environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are empty (Lambda sets them from the function's role)")

// firstEnv is the first of the variables names that is set and not empty.
func firstEnv(names ...string) string {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return v
		}
	}
	return ""
}

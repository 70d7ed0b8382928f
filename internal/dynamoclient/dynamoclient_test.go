package dynamoclient

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func TestNewWithEndpoint(t *testing.T) {
	tests := []struct {
		name, region, keyID string
		wantRegion, wantKey string
	}{
		{"defaults", "", "", EmulatorRegion, "local"},
		{"region from the environment", "eu-west-3", "", "eu-west-3", "local"},
		{"credentials from the environment", "", "AKIDEXAMPLE", EmulatorRegion, "AKIDEXAMPLE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tt.region)
			t.Setenv("AWS_DEFAULT_REGION", "")
			t.Setenv("AWS_PROFILE", "")
			t.Setenv("AWS_ACCESS_KEY_ID", tt.keyID)
			t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			c, err := New(t.Context(), "http://127.0.0.1:8000")
			if err != nil {
				t.Fatal(err)
			}
			o := c.Options()
			if o.Region != tt.wantRegion {
				t.Errorf("region %q, want %q", o.Region, tt.wantRegion)
			}
			if o.BaseEndpoint == nil || *o.BaseEndpoint != "http://127.0.0.1:8000" {
				t.Errorf("BaseEndpoint = %v", o.BaseEndpoint)
			}
			creds, err := o.Credentials.Retrieve(t.Context())
			if err != nil || creds.AccessKeyID != tt.wantKey {
				t.Errorf("credentials %q, %v; want %q", creds.AccessKeyID, err, tt.wantKey)
			}
		})
	}
}

// TestNewFromTheEnvironment: without an endpoint the client has the region
// and credentials Lambda puts in the environment, the SDK's older names
// too, and without credentials each call fails naming the variables.
func TestNewFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name                        string
		env                         map[string]string
		wantRegion, wantKey, wantST string
		wantAccount                 string
	}{
		{"as in Lambda", map[string]string{"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-west-1",
			"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token"},
			"eu-central-1", "ASIAEXAMPLE", "token", ""},
		{"older names", map[string]string{"AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY": "AKIDOLD", "AWS_SECRET_KEY": "secret",
			"AWS_ACCOUNT_ID": "123456789012"}, "eu-west-1", "AKIDOLD", "", "123456789012"},
		{"no credentials", map[string]string{"AWS_REGION": "us-west-2", "AWS_ACCESS_KEY_ID": "AKIDNOSECRET"}, "us-west-2", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY",
				"AWS_SECRET_KEY", "AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID", "AWS_PROFILE"} {
				t.Setenv(k, tt.env[k])
			}
			c, err := New(t.Context(), "")
			if err != nil {
				t.Fatal(err)
			}
			o := c.Options()
			if o.Region != tt.wantRegion || o.BaseEndpoint != nil {
				t.Errorf("region %q, endpoint %v; want %q and none", o.Region, o.BaseEndpoint, tt.wantRegion)
			}
			creds, err := o.Credentials.Retrieve(t.Context())
			if tt.wantKey == "" {
				if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY") {
					t.Errorf("credentials %q, err %v; want an error naming the variables", creds.AccessKeyID, err)
				}
				return
			}
			if err != nil || creds.AccessKeyID != tt.wantKey || creds.SecretAccessKey != "secret" || creds.SessionToken != tt.wantST || creds.AccountID != tt.wantAccount {
				t.Errorf("credentials %+v, %v; want key %q, token %q, account %q", creds, err, tt.wantKey, tt.wantST, tt.wantAccount)
			}
		})
	}
}

// TestBounds: both constructors give the client this package's retry
// bounds.
func TestBounds(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	for name, c := range map[string]func() (*dynamodb.Client, error){
		"New":           func() (*dynamodb.Client, error) { return New(t.Context(), "http://127.0.0.1:8000") },
		"NewFromConfig": func() (*dynamodb.Client, error) { return NewFromConfig(aws.Config{Region: "eu-west-1"}, "") },
	} {
		client, err := c()
		if err != nil {
			t.Fatal(err)
		}
		o := client.Options()
		if o.Retryer.MaxAttempts() != MaxAttempts || o.HTTPClient == nil {
			t.Errorf("%s: %d attempts, HTTP client %v", name, o.Retryer.MaxAttempts(), o.HTTPClient)
		}
	}
}

func TestNewRefusesABadEndpoint(t *testing.T) {
	for _, ep := range []string{"127.0.0.1:8000", "ftp://x", "http://", "::"} {
		if _, err := New(t.Context(), ep); err == nil {
			t.Errorf("New(%q) accepted it", ep)
		}
		if _, err := NewFromConfig(aws.Config{}, ep); err == nil {
			t.Errorf("NewFromConfig(%q) accepted it", ep)
		}
	}
}

// TestUnreachableFailsFast checks that a call to a store that accepts no
// connection, or accepts and never answers, fails within the bounds.
func TestUnreachableFailsFast(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "")
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { silent.Close() })
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close() // nothing listens there now

	limit := MaxAttempts*AttemptTimeout + 2*MaxBackoff + time.Second
	for name, addr := range map[string]string{"refused": closedAddr, "silent": silent.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			c, err := New(t.Context(), "http://"+addr)
			if err != nil {
				t.Fatal(err)
			}
			began := time.Now()
			_, err = c.ListTables(t.Context(), &dynamodb.ListTablesInput{})
			took := time.Since(began)
			if err == nil {
				t.Fatal("a call to an unreachable store succeeded")
			}
			if took > limit {
				t.Errorf("took %v, want at most %v", took, limit)
			}
			t.Logf("failed after %v: %v", took.Round(time.Millisecond), err)
		})
	}
}

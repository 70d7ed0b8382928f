package dynamoclient

import (
	"net"
	"testing"
	"time"

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

func TestNewRefusesABadEndpoint(t *testing.T) {
	for _, ep := range []string{"127.0.0.1:8000", "ftp://x", "http://", "::"} {
		if _, err := New(t.Context(), ep); err == nil {
			t.Errorf("New(%q) accepted it", ep)
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

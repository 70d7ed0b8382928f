// Command sessionctl is the operator's tool for the sessions in DynamoDB:
// list the live sessions of one user, or end them all (before deleting or
// disabling an account by hand, or when an account is suspected stolen).
// Ending every session of every user is a key rotation instead:
// `make rotate-secret`, then `make retire-old-keys` (docs/deploy.md).
//
//	sessionctl list USERNAME
//	sessionctl revoke USERNAME
//
// It reads SESSIONS_TABLE and DYNAMODB_ENDPOINT (empty: AWS) like the
// functions, and AWS credentials and region the SDK's usual way (profiles
// and SSO included, which the functions' own client leaves out).
// `make revoke-user ACCOUNT=alice` finds the deployed table for you.
// It prints public session ids only, never a session ID or store key.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/session"
)

const usage = `usage:
  sessionctl list USERNAME     the user's live sessions
  sessionctl revoke USERNAME   end every session of the user
environment: SESSIONS_TABLE (required), DYNAMODB_ENDPOINT (empty: AWS)`

// errUsage is a command line sessionctl does not understand.
var errUsage = errors.New(usage)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "sessionctl:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run carries out one command and writes its result to out.
func run(ctx context.Context, args []string, getenv config.Getenv, out io.Writer) error {
	if len(args) != 2 || (args[0] != "list" && args[0] != "revoke") {
		return errUsage
	}
	username := strings.ToLower(strings.TrimSpace(args[1]))
	if username == "" {
		return errUsage
	}
	store, err := openStore(ctx, getenv)
	if err != nil {
		return err
	}
	now := time.Now()
	if args[0] == "list" {
		recs, err := store.ListByUser(ctx, username, now)
		if err != nil {
			return fmt.Errorf("list sessions: %w", err)
		}
		return printSessions(out, recs)
	}
	ended, err := session.RevokeWhere(ctx, store, username, now, nil)
	for _, rec := range ended {
		slog.Info("session revoked", "session", session.PublicID(rec.Key), "by", "sessionctl")
	}
	if err == nil || len(ended) > 0 {
		fmt.Fprintf(out, "ended %d session(s) of %s\n", len(ended), username)
	}
	return err
}

// openStore opens the sessions table named by the environment. Against
// AWS (no DYNAMODB_ENDPOINT) it loads the SDK's whole default
// configuration, so an operator's profile, SSO login or instance role
// works; against an emulator it is the functions' client.
func openStore(ctx context.Context, getenv config.Getenv) (session.Store, error) {
	cfg, err := config.LoadDynamo(getenv, false)
	if err != nil {
		return nil, err
	}
	var client *dynamodb.Client
	if cfg.Endpoint != "" {
		client, err = dynamoclient.New(ctx, cfg.Endpoint)
	} else {
		client, err = awsClient(ctx)
	}
	if err != nil {
		return nil, err
	}
	return dynamostore.New(client, cfg.SessionsTable, ""), nil
}

// awsClient is a DynamoDB client from the SDK's default configuration
// (environment, shared files and profiles, SSO, instance roles).
func awsClient(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	return dynamoclient.NewFromConfig(cfg, "")
}

// printSessions writes one line per session: public id, times, device.
func printSessions(out io.Writer, recs []session.Record) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tLAST SEEN\tENDS BY\tREMEMBER\tUSER AGENT")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", session.PublicID(r.Key), r.CreatedAt.UTC().Format(time.RFC3339),
			r.LastSeenAt.UTC().Format(time.RFC3339), r.ExpiresAt().UTC().Format(time.RFC3339), r.Remember, printable(r.UserAgent))
	}
	fmt.Fprintf(tw, "%d live session(s)\n", len(recs))
	return tw.Flush()
}

// printable keeps a stored User-Agent from writing control characters to
// the operator's terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

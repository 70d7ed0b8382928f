package dynamostore_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
	"github.com/sessionlab/sessionlab/internal/session"
	"github.com/sessionlab/sessionlab/internal/user"
)

// TestCreateTables checks that the tables made from template.yaml have its
// keys, index (projecting keys only, so refreshes and data changes never
// write it) and TTL, and that creating them again changes nothing.
func TestCreateTables(t *testing.T) {
	env := dynamotest.New(t)
	root, err := dynamotest.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{"SessionsTable": env.SessionsTable, "UsersTable": env.UsersTable}
	if err := dynamostore.CreateTables(t.Context(), env.Client, filepath.Join(root, "template.yaml"), names); err != nil {
		t.Fatalf("CreateTables on existing tables: %v", err)
	}
	desc, err := env.Client.DescribeTable(t.Context(), &dynamodb.DescribeTableInput{TableName: aws.String(env.SessionsTable)})
	if err != nil {
		t.Fatal(err)
	}
	tbl := desc.Table
	if len(tbl.KeySchema) != 1 || *tbl.KeySchema[0].AttributeName != "id" || tbl.KeySchema[0].KeyType != types.KeyTypeHash {
		t.Errorf("sessions key schema %+v", tbl.KeySchema)
	}
	if len(tbl.GlobalSecondaryIndexes) != 1 {
		t.Fatalf("sessions indexes %+v", tbl.GlobalSecondaryIndexes)
	}
	gsi := tbl.GlobalSecondaryIndexes[0]
	if *gsi.IndexName != dynamostore.IndexByUsername || *gsi.KeySchema[0].AttributeName != "username" ||
		gsi.Projection.ProjectionType != types.ProjectionTypeKeysOnly {
		t.Errorf("index %s on %s, projection %s", *gsi.IndexName, *gsi.KeySchema[0].AttributeName, gsi.Projection.ProjectionType)
	}
	for _, name := range names {
		if !hasTTLAPI(t, env.Client, name) {
			t.Logf("%s: the server has no time-to-live API (dynalite); TTL not checked", name)
			continue
		}
		ttl, err := env.Client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != types.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != "expiresAt" {
			t.Errorf("%s: TTL %s on %q", name, d.TimeToLiveStatus, aws.ToString(d.AttributeName))
		}
	}
	if err := dynamostore.CreateTables(t.Context(), env.Client, filepath.Join(root, "template.yaml"),
		map[string]string{"NoSuchTable": "x"}); err == nil {
		t.Error("CreateTables of a table the template lacks: no error")
	}
}

// hasTTLAPI reports whether the server knows UpdateTimeToLive (dynalite
// answers UnknownOperationException; DynamoDB and moto refuse to enable it
// twice).
func hasTTLAPI(t *testing.T, client *dynamodb.Client, table string) bool {
	_, err := client.UpdateTimeToLive(t.Context(), &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true),
		},
	})
	var api smithy.APIError
	return !errors.As(err, &api) || api.ErrorCode() != "UnknownOperationException"
}

// TestUnreachable checks that every call fails with an error (never a
// silent "not found") while the store is cut off, within the client's
// bounds, and that the data is there again after.
func TestUnreachable(t *testing.T) {
	env := dynamotest.New(t)
	s := env.Store()
	now := time.Now()
	rec := record(session.StoreKey([]byte("unreachable")), "olga", now)
	rec.Data = session.Data{Counters: map[string]int64{"tea": 2}}
	if err := s.Create(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	env.Cut()
	calls := map[string]func() error{
		"Get":        func() error { _, _, err := s.Get(t.Context(), rec.Key, now); return err },
		"Create":     func() error { return s.Create(t.Context(), record(session.StoreKey([]byte("new")), "", now)) },
		"Touch":      func() error { _, err := s.Touch(t.Context(), rec.Key, now); return err },
		"Delete":     func() error { _, _, err := s.Delete(t.Context(), rec.Key, now); return err },
		"ListByUser": func() error { _, err := s.ListByUser(t.Context(), "olga", now); return err },
		"Update":     func() error { _, err := s.Update(t.Context(), rec.Key, counterChange("k", 1), now); return err },
		"GetUser":    func() error { _, _, err := s.GetUser(t.Context(), "olga"); return err },
		"CountAttempt": func() error {
			_, err := s.CountAttempt(t.Context(), "olga", now, user.Limit{Max: 5, Window: time.Minute})
			return err
		},
		"Clear": func() error { return s.Clear(t.Context(), "olga") },
	}
	for name, call := range calls {
		began := time.Now()
		if err := call(); err == nil {
			t.Errorf("%s succeeded with the store cut off", name)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("%s took %v to fail", name, took)
		}
	}
	env.Restore(t)
	got, found, err := s.Get(t.Context(), rec.Key, now)
	if err != nil || !found || got.Data.Counters["tea"] != 2 {
		t.Fatalf("after Restore: %+v, %v, %v", got, found, err)
	}
}

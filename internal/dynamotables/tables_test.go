package dynamotables_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/sessionlab/sessionlab/internal/dynamostore"
	"github.com/sessionlab/sessionlab/internal/dynamotables"
	"github.com/sessionlab/sessionlab/internal/dynamotest"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

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
	if err := dynamotables.Create(t.Context(), env.Client, filepath.Join(root, "template.yaml"), names); err != nil {
		t.Fatalf("Create on existing tables: %v", err)
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
	if err := dynamotables.Create(t.Context(), env.Client, filepath.Join(root, "template.yaml"),
		map[string]string{"NoSuchTable": "x"}); err == nil {
		t.Error("Create of a table the template lacks: no error")
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

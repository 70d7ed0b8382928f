// Package dynamotables creates the DynamoDB tables of template.yaml (key
// schema, indexes, billing mode, time to live) in an emulator or any
// DynamoDB, for the local runner, the table tool and the tests. The template
// is the one definition of the tables; nothing of their schema is written
// in Go. It reads the template with goformation, which is why it is a
// package of its own: no Lambda function imports it (the functions only
// use the tables the stack made), so none links goformation.
package dynamotables

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/awslabs/goformation/v7/cloudformation"
	cfndynamodb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"

	"github.com/sessionlab/sessionlab/internal/samtemplate"
)

// LocalNames maps each table's logical ID in template.yaml to the name
// it has locally: the logical ID itself, which is what the template's
// `!Ref SessionsTable` becomes in the local runner's environment.
var LocalNames = map[string]string{"SessionsTable": "SessionsTable", "UsersTable": "UsersTable"}

// tableActiveTimeout bounds the wait for a new table to become active.
const tableActiveTimeout = 2 * time.Minute

// Create reads the template at templatePath and creates each table of
// names (logical ID → table name) as the template defines it, unless a
// table of that name exists. See CreateFrom.
func Create(ctx context.Context, client *dynamodb.Client, templatePath string, names map[string]string) error {
	tpl, err := samtemplate.Load(templatePath) // safe from several goroutines
	if err != nil {
		return fmt.Errorf("dynamotables: create tables: %w", err)
	}
	return CreateFrom(ctx, client, tpl.CFN, names)
}

// CreateFrom creates each table of names (logical ID → table name)
// from its AWS::DynamoDB::Table resource in tpl: key schema, attribute
// definitions, global secondary indexes, billing mode, and time to live.
// The template is the one definition of the tables; nothing of their
// schema is written in Go. Existing tables are left as they are; new ones
// are waited for until active. An emulator that has no time-to-live API
// (dynalite) is tolerated: TTL is garbage collection only.
func CreateFrom(ctx context.Context, client *dynamodb.Client, tpl *cloudformation.Template, names map[string]string) error {
	for _, logical := range slices.Sorted(maps.Keys(names)) {
		name := names[logical]
		table, err := tpl.GetDynamoDBTableWithName(logical)
		if err != nil {
			return fmt.Errorf("dynamotables: create table %s: %w", logical, err)
		}
		if err := createTable(ctx, client, name, table); err != nil {
			return fmt.Errorf("dynamotables: create table %s (%s): %w", logical, name, err)
		}
	}
	return nil
}

func createTable(ctx context.Context, client *dynamodb.Client, name string, t *cfndynamodb.Table) error {
	_, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	var missing *types.ResourceNotFoundException
	switch {
	case errors.As(err, &missing):
		if _, err := client.CreateTable(ctx, createTableInput(name, t)); err != nil {
			var inUse *types.ResourceInUseException
			if !errors.As(err, &inUse) { // made meanwhile by another process: fine
				return err
			}
		}
		waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
			o.MinDelay, o.MaxDelay = 100*time.Millisecond, time.Second
		})
		if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, tableActiveTimeout); err != nil {
			return err
		}
	case err != nil:
		return err
	}
	return enableTTL(ctx, client, name, t.TimeToLiveSpecification)
}

// createTableInput turns the template's table into a CreateTable request.
func createTableInput(name string, t *cfndynamodb.Table) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		KeySchema:   keySchema(t.KeySchema),
		BillingMode: types.BillingModePayPerRequest,
	}
	for _, a := range t.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	if t.BillingMode != nil && *t.BillingMode == string(types.BillingModeProvisioned) {
		in.BillingMode = types.BillingModeProvisioned
		in.ProvisionedThroughput = throughput(t.ProvisionedThroughput)
	}
	for _, g := range t.GlobalSecondaryIndexes {
		gsi := types.GlobalSecondaryIndex{
			IndexName:  aws.String(g.IndexName),
			KeySchema:  keySchema(g.KeySchema),
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
		}
		if p := g.Projection; p != nil {
			gsi.Projection.NonKeyAttributes = p.NonKeyAttributes
			if p.ProjectionType != nil {
				gsi.Projection.ProjectionType = types.ProjectionType(*p.ProjectionType)
			}
		}
		if in.BillingMode == types.BillingModeProvisioned {
			gsi.ProvisionedThroughput = throughput(g.ProvisionedThroughput)
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	return in
}

func keySchema(ks []cfndynamodb.Table_KeySchema) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

func throughput(p *cfndynamodb.Table_ProvisionedThroughput) *types.ProvisionedThroughput {
	if p == nil {
		return &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)}
	}
	return &types.ProvisionedThroughput{
		ReadCapacityUnits:  aws.Int64(int64(p.ReadCapacityUnits)),
		WriteCapacityUnits: aws.Int64(int64(p.WriteCapacityUnits)),
	}
}

// enableTTL turns on time to live as spec says, unless it is on already.
func enableTTL(ctx context.Context, client *dynamodb.Client, name string, spec *cfndynamodb.Table_TimeToLiveSpecification) error {
	if spec == nil || !spec.Enabled || spec.AttributeName == nil {
		return nil
	}
	desc, err := client.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if noTTLAPI(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("describe time to live: %w", err)
	}
	if d := desc.TimeToLiveDescription; d != nil &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: spec.AttributeName,
			Enabled:       aws.Bool(true),
		},
	})
	if noTTLAPI(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enable time to live: %w", err)
	}
	return nil
}

// noTTLAPI reports whether err says the server has no time-to-live API
// (dynalite answers UnknownOperationException to UpdateTimeToLive).
func noTTLAPI(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException"
}

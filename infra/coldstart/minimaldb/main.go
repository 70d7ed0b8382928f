// Command minimaldb is the minimal handler (infra/coldstart/minimal) with a
// DynamoDB client made at start, as the database functions make theirs:
// the second baseline of `make coldstart`, which tells what linking the
// SDK's DynamoDB client costs a start from what our own code costs.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

func main() {
	client := dynamodb.New(dynamodb.Options{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}})
	lambda.Start(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		_ = client.Options() // the handler holds the client, as a function's store does; no call is made
		return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "{}"}, nil
	})
}

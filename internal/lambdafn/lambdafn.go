// Package lambdafn is the whole main of each Lambda function: JSON logs, the
// handler built by internal/app from the environment with DynamoDB stores,
// and lambda.Start.
package lambdafn

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app"
)

// Main is a function's whole main: JSON logs, the handler built from the
// environment, and lambda.Start. A configuration error (such as a missing
// SESSION_SECRET) stops the function at start with the reason.
func Main(name string) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	h, err := app.Build(context.Background(), name, os.Getenv, app.Options{OpenStores: DynamoStores})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s cannot start: %v\n", name, err)
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(h))
}

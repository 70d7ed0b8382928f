// Package lambdafn is the whole main of each Lambda function: JSON logs, the
// function's handler built from the environment behind the edge
// (internal/app/edge), and lambda.Start. It knows no function: each main
// passes its own builder, so each links only what it uses.
package lambdafn

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/sessionlab/sessionlab/internal/apigw"
	"github.com/sessionlab/sessionlab/internal/app/edge"
	"github.com/sessionlab/sessionlab/internal/config"
)

// Main is a function's whole main: JSON logs, the handler build makes from
// the environment behind edge.Wrap, and lambda.Start. A configuration
// error (such as a missing SESSION_SECRET) stops the function called name
// at start with the reason.
func Main(name string, build func(context.Context, config.Getenv) (http.Handler, error)) {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	h, err := build(context.Background(), os.Getenv)
	if err == nil {
		h, err = edge.Wrap(h, os.Getenv)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s cannot start: %v\n", name, err)
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(h))
}

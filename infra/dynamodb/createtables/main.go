// Command createtables creates the tables of template.yaml in a DynamoDB
// emulator (or any DynamoDB), under their local names (the logical IDs,
// which is what the local runner's SESSIONS_TABLE and USERS_TABLE are),
// unless they exist.
//
//	go run ./infra/dynamodb/createtables -endpoint http://127.0.0.1:8000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamotables"
)

func main() {
	endpoint := flag.String("endpoint", os.Getenv("DYNAMODB_ENDPOINT"), "the emulator's URL (default $DYNAMODB_ENDPOINT)")
	template := flag.String("template", "template.yaml", "the SAM template that defines the tables")
	flag.Parse()
	if err := run(*endpoint, *template); err != nil {
		fmt.Fprintln(os.Stderr, "createtables:", err)
		os.Exit(1)
	}
}

func run(endpoint, template string) error {
	if endpoint == "" {
		return fmt.Errorf("no endpoint: pass -endpoint or set DYNAMODB_ENDPOINT (this tool is for local emulators)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client, err := dynamoclient.New(ctx, endpoint)
	if err != nil {
		return err
	}
	if err := dynamotables.Create(ctx, client, template, dynamotables.LocalNames); err != nil {
		return err
	}
	for logical, name := range dynamotables.LocalNames {
		fmt.Printf("table %s ready (%s)\n", name, logical)
	}
	return nil
}

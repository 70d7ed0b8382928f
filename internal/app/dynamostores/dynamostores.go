// Package dynamostores opens the DynamoDB stores a function's environment
// names. Only the mains of the functions with a database import it (and the
// local runner, for STORE=dynamodb), so the CookiesFunction links no
// DynamoDB SDK.
package dynamostores

import (
	"context"
	"net/http"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
)

// Open opens the DynamoDB stores named by a function's environment
// (SESSIONS_TABLE, USERS_TABLE when withUsers, DYNAMODB_ENDPOINT). It is
// app.Options' OpenStores in Lambda and for `make dev STORE=dynamodb`.
func Open(ctx context.Context, getenv config.Getenv, withUsers bool) (app.Stores, error) {
	cfg, err := config.LoadDynamo(getenv, withUsers)
	if err != nil {
		return app.Stores{}, err
	}
	client, err := dynamoclient.New(ctx, cfg.Endpoint)
	if err != nil {
		return app.Stores{}, err
	}
	store := dynamostore.New(client, cfg.SessionsTable, cfg.UsersTable)
	stores := app.Stores{Sessions: store}
	if withUsers {
		stores.Users, stores.Throttle = store, store
	}
	return stores, nil
}

// With is the function called name built with the stores Open opens,
// allowing only the uses it declares (app.Options.ForFunction): what the
// main of a function with a database hands to lambdafn.Main.
func With(name string, build func(context.Context, config.Getenv, app.Options) (http.Handler, error)) func(context.Context, config.Getenv) (http.Handler, error) {
	return func(ctx context.Context, getenv config.Getenv) (http.Handler, error) {
		o, err := app.Options{OpenStores: Open}.ForFunction(name)
		if err != nil {
			return nil, err
		}
		return build(ctx, getenv, o)
	}
}

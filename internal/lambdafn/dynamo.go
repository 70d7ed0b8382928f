package lambdafn

import (
	"context"

	"github.com/sessionlab/sessionlab/internal/app"
	"github.com/sessionlab/sessionlab/internal/config"
	"github.com/sessionlab/sessionlab/internal/dynamoclient"
	"github.com/sessionlab/sessionlab/internal/dynamostore"
)

// DynamoStores opens the DynamoDB stores named by a function's environment
// (SESSIONS_TABLE, USERS_TABLE, DYNAMODB_ENDPOINT). It is app.Options'
// OpenStores in Lambda and for `make dev STORE=dynamodb`.
func DynamoStores(ctx context.Context, getenv config.Getenv, withUsers bool) (app.Stores, error) {
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

# The local DynamoDB emulator (dynalite, data on disk under .local/dynamodb/).
# `make dev STORE=dynamodb` expects it at $(DYNAMODB_ENDPOINT).

DYNAMODB_PORT     ?= 8000
DYNAMODB_ENDPOINT ?= http://127.0.0.1:$(DYNAMODB_PORT)

.PHONY: dynamodb-local dynamodb-local-start dynamodb-local-stop dynamodb-local-reset
dynamodb-local: ## run the local DynamoDB (dynalite) in the foreground on $(DYNAMODB_ENDPOINT), data in .local/dynamodb/
	@DYNAMODB_PORT=$(DYNAMODB_PORT) infra/dynamodb/local.sh run

dynamodb-local-start: ## start the local DynamoDB in the background and create the tables
	@DYNAMODB_PORT=$(DYNAMODB_PORT) infra/dynamodb/local.sh start

dynamodb-local-stop: ## stop the background local DynamoDB
	@infra/dynamodb/local.sh stop

dynamodb-local-reset: dynamodb-local-stop ## stop it and delete its data (every local session and account)
	rm -rf .local/dynamodb/data

## ---- AWS: template checks (no account needed) and deployment (docs/deploy.md) ----

# ENV=dev / ENV=prod: an environment of samconfig.toml (its stack and
# parameter overrides); unset, the [default] one (stack sessionlab).
ENV       ?= default
# STACK=name: another stack than the environment's.
STACK     ?=
# PARAMS="DeletionProtection=false LogRetentionDays=7": template parameters for `make deploy`.
PARAMS    ?=
# CONFIRM=0: `make deploy` executes the change set without asking.
CONFIRM   ?= 1
SAM       := $(PY)/sam
AWSDEPLOY := PYTHONDONTWRITEBYTECODE=1 $(PY)/python infra/deploy/awsdeploy.py --env '$(ENV)' $(if $(STACK),--stack '$(STACK)')
# SAM CLI: no telemetry calls from CI or from anyone's machine.
export SAM_CLI_TELEMETRY := 0

# cfn-lint-serverless's rules on top of cfn-lint's, minus two findings that
# are explained in docs/deploy.md ("Checks that need no AWS account"):
# WS1004 looks for a log group named /aws/lambda/<function> and misses the
# LoggingConfig.LogGroup every function uses (internal/templatetest checks
# that group's retention instead); ES7000 asks for a dead-letter queue on the
# alarm's email subscription.
SERVERLESS_RULES := --append-rules cfn_lint_serverless.rules --ignore-checks WS1004 ES7000

.PHONY: lint-template
lint-template: venv ## cfn-lint (with cfn-lint-serverless's rules) and sam validate --lint on the templates (no AWS account needed)
	$(PY)/cfn-lint template.yaml $(SERVERLESS_RULES)
	$(SAM) validate --lint --template template.yaml
	$(PY)/cfn-lint infra/waf/web-acl.yaml

.PHONY: sam-build
sam-build: venv ## sam build (makefile method, no Docker), then check each bootstrap is a static linux/$(ARCH) ELF
	$(SAM) build --template template.yaml --parameter-overrides Architecture=$(ARCH)
	PYTHONDONTWRITEBYTECODE=1 $(PY)/python infra/deploy/awsdeploy.py check-artifacts --arch $(ARCH)

.PHONY: deploy-test
deploy-test: venv ## the deploy tool's own tests, against moto's in-process AWS (no account needed)
	PYTHONDONTWRITEBYTECODE=1 $(PY)/python -m pytest -q -p no:cacheprovider infra/deploy

.PHONY: deploy
deploy: venv ## deploy everything to your AWS account (ENV=dev|prod): sam build, sam deploy, upload site/, invalidate CloudFront
	@test "$(ARCH)" = arm64 || { echo "make deploy: the template runs arm64 functions; unset ARCH (it is $(ARCH))"; exit 2; }
	@$(AWSDEPLOY) preflight
	@$(MAKE) --no-print-directory sam-build
	@$(AWSDEPLOY) deploy $(if $(filter 0,$(CONFIRM)),--no-confirm) $(if $(strip $(PARAMS)),--param $(PARAMS))

.PHONY: publish
publish: venv ## upload site/ to the deployed bucket and invalidate CloudFront (pages only, no stack change)
	@$(AWSDEPLOY) publish

.PHONY: delete
delete: venv ## delete the stack and all its data (UNPROTECT=1 lifts the tables' deletion protection; YES=1 skips the question)
	@$(AWSDEPLOY) delete $(if $(UNPROTECT),--unprotect) $(if $(YES),--yes)

.PHONY: rotate-secret
rotate-secret: venv ## add a new session signing key in AWS; old keys keep verifying
	@$(AWSDEPLOY) rotate-secret $(if $(YES),--yes)

.PHONY: retire-old-keys
retire-old-keys: venv ## after 31 days, keep only the signing key (FORCE=1 to do it sooner)
	@$(AWSDEPLOY) retire-old-keys $(if $(YES),--yes) $(if $(FORCE),--force)

.PHONY: rotate-origin-secret
rotate-origin-secret: venv ## replace the secret header CloudFront sends the API, in three stack updates that refuse no request
	@$(AWSDEPLOY) rotate-origin-secret $(if $(YES),--yes)

# ACCOUNT=alice: the user whose sessions `make sessions` / `make revoke-user` act on.
ACCOUNT ?=

.PHONY: sessions revoke-user
sessions: venv ## list the live sessions of ACCOUNT=<username> in the deployed stack
	@test -n "$(ACCOUNT)" || { echo "make sessions: name the user, e.g. make sessions ACCOUNT=alice"; exit 2; }
	@$(AWSDEPLOY) sessions list '$(ACCOUNT)'

revoke-user: venv ## end every session of ACCOUNT=<username> in the deployed stack (before disabling or deleting the account)
	@test -n "$(ACCOUNT)" || { echo "make revoke-user: name the user, e.g. make revoke-user ACCOUNT=alice"; exit 2; }
	@$(AWSDEPLOY) sessions revoke '$(ACCOUNT)'

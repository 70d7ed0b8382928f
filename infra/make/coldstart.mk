## ---- cold starts under the Lambda runtime interface emulator (docs/benchmarks.md) ----

# The emulator, pinned (it has no tagged versions), installed into .local/bin
# (never ~/go/bin). Native on this machine: the bootstraps are built for its
# architecture with the flags of `sam build`.
RIE_VERSION     ?= v0.0.0-20261030222936-bef5c4ba774d
RIE             := .local/bin/aws-lambda-rie
COLDSTART_RUNS  ?= 8
COLDSTART_ARCH  ?= $(shell $(GO) env GOARCH)
COLDSTART_DIR   := bin/coldstart
# Each function's first call: a route its handler serves without the store,
# so the number is start-up, not DynamoDB (VisitsFunction: a read without a
# session, which makes no store call). The minimal handler answers any
# event.
COLDSTART_EVENTS := CookiesFunction=events/get-preferences.json AuthFunction=events/get-session.json CartFunction=events/get-products.json VisitsFunction=events/get-session-visits.json

$(RIE):
	GOBIN=$(CURDIR)/.local/bin $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

.PHONY: coldstart
coldstart: $(RIE) ## median of COLDSTART_RUNS cold starts (first call answered) of each function and of a minimal Go handler (and one with a DynamoDB client), under aws-lambda-rie
	@for fn in $(FUNCTIONS); do \
	  $(MAKE) --no-print-directory build-$$fn ARCH=$(COLDSTART_ARCH) ARTIFACTS_DIR=$(CURDIR)/$(COLDSTART_DIR)/$$fn || exit 1; \
	done
	GOOS=linux GOARCH=$(COLDSTART_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
	  -ldflags='-s -w' -o $(COLDSTART_DIR)/minimal/bootstrap ./infra/coldstart/minimal
	GOOS=linux GOARCH=$(COLDSTART_ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
	  -ldflags='-s -w' -o $(COLDSTART_DIR)/minimaldb/bootstrap ./infra/coldstart/minimaldb
	@uptime
	$(GO) run ./infra/coldstart -rie $(RIE) -runs $(COLDSTART_RUNS) \
	  minimal=$(COLDSTART_DIR)/minimal/bootstrap:events/get-preferences.json \
	  minimaldb=$(COLDSTART_DIR)/minimaldb/bootstrap:events/get-preferences.json \
	  $(foreach e,$(COLDSTART_EVENTS),$(word 1,$(subst =, ,$(e)))=$(COLDSTART_DIR)/$(word 1,$(subst =, ,$(e)))/bootstrap:$(word 2,$(subst =, ,$(e))))

## ---- mutation testing (issue 16; docs/testing.md) ---------------------------

# gremlins, pinned, installed into the work tree (never into ~/go/bin, which
# would hide a missing install step): a new version gets a new directory.
GREMLINS_VERSION := v0.6.0
GREMLINS_DIR     := $(CURDIR)/.local/tools/gremlins-$(GREMLINS_VERSION)
GREMLINS         := $(GREMLINS_DIR)/gremlins
# The packages that decide behaviour, each mutated in its own files with its
# own tests (the settings and why: infra/mutate/mutate.sh).
# internal/dynamostore is left out by default: its tests run on moto, its
# coverage run alone takes about 4 minutes here, so its run takes hours
# (docs/testing.md, "Results"); MUTATE_PACKAGES=internal/dynamostore runs it.
MUTATE_PACKAGES ?= internal/session internal/web internal/apigw internal/cookies internal/account \
	internal/cart internal/memstore internal/config internal/password \
	internal/visits internal/sessionhttp
# mutate-short never runs internal/dynamostore, even when MUTATE_PACKAGES
# names it: a change to it would keep `make test` waiting for many minutes.
MUTATE_SHORT_PACKAGES ?= $(filter-out internal/dynamostore,$(MUTATE_PACKAGES))
MUTATE_OUT       ?= $(CURDIR)/.local/mutate
MUTATE_SHORT_OUT ?= $(CURDIR)/.local/mutate-short
# The bars of issue 16: test efficacy and mutator coverage per package.
MUTATE_BARS := -efficacy 95 -coverage 80
MUTATE_ENV   = GREMLINS=$(GREMLINS) VENV=$(CURDIR)/$(VENV) GO=$(GO)

.PHONY: mutate mutate-short mutate-report

$(GREMLINS):
	GOBIN=$(GREMLINS_DIR) $(GO) install github.com/go-gremlins/gremlins/cmd/gremlins@$(GREMLINS_VERSION)

mutate: venv $(GREMLINS) ## mutation testing (gremlins) of MUTATE_PACKAGES, the table, and the bars (efficacy >= 95%, coverage >= 80%)
	@$(MUTATE_ENV) MUTATE_OUT=$(MUTATE_OUT) infra/mutate/mutate.sh full $(MUTATE_PACKAGES)
	@$(MAKE) --no-print-directory mutate-report

mutate-report: ## the table and the surviving mutants of the last make mutate, checked against the bars and docs/testing.md
	@$(GO) run ./infra/mutate/mutreport -dir $(MUTATE_OUT) -check $(MUTATE_BARS) $(MUTATE_PACKAGES)

# MUTATE_BASE=<ref> sets the base of the change (default: where HEAD left
# main; on main itself, the last commit).
mutate-short: venv $(GREMLINS) ## mutation testing of the lines a change touched (since main, or the last commit on main)
	@began=$$(date +%s); \
	  $(MUTATE_ENV) MUTATE_OUT=$(MUTATE_SHORT_OUT) infra/mutate/mutate.sh short $(MUTATE_SHORT_PACKAGES) && \
	  $(GO) run ./infra/mutate/mutreport -dir $(MUTATE_SHORT_OUT) -check -efficacy 0 -coverage 0 $(MUTATE_SHORT_PACKAGES); \
	  status=$$?; echo "mutate-short: $$(( $$(date +%s) - began )) s"; exit $$status

# sessionlab: the two commands a newcomer needs are `make dev` and `make test`.
# Everything else here is a step of those, or a tool for a later day.

SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
# The Go toolchain that builds, tests and ships the functions, fetched once
# through the Go module proxy (about 76 MB). Go 1.26.8's standard library has
# 11 vulnerabilities our code reaches (make govulncheck); go1.27.3 has none.
# go.mod keeps `go 1.26.8` as the minimum; GOTOOLCHAIN=local uses your own Go.
export GOTOOLCHAIN ?= go1.27.3
VENV      := .venv
PY        := $(VENV)/bin
FUNCTIONS := CookiesFunction AuthFunction CartFunction VisitsFunction
# Lambda architecture of `make build` and `sam build` (template: arm64;
# x86_64 and amd64 both mean amd64 for Go).
ARCH      ?= arm64
GOARCH_OF  = $(if $(filter x86_64 amd64,$(ARCH)),amd64,arm64)
PORT      ?= 3000
# STORE=memory (default) or STORE=dynamodb for `make dev`.
STORE     ?= memory

.PHONY: help
# (awk, not column: column is in bsdextrautils, which a minimal Debian lacks.)
help: ## list the targets
	@grep -hE '^[a-zA-Z0-9_.%-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort | \
	  awk -F'\t' '{ n[NR] = $$1; d[NR] = $$2; if (length($$1) > w) w = length($$1) } \
	    END { for (i = 1; i <= NR; i++) printf "%-" w "s  %s\n", n[i], d[i] }'

## ---- the two commands -------------------------------------------------------

.PHONY: dev
dev: env.json $(if $(filter dynamodb,$(STORE)),dynamodb-local-start) ## run site + API on http://localhost:$(PORT) (STORE=dynamodb: a local DynamoDB on disk)
	PORT=$(PORT) STORE=$(STORE) $(if $(filter dynamodb,$(STORE)),DYNAMODB_ENDPOINT=$(DYNAMODB_ENDPOINT)) $(GO) run ./cmd/local

.PHONY: test
test: check go-test lint-template sam-build deploy-test fuzz-short schemathesis loadtest-short lint-go ## run every test (unit, HTTP, DynamoDB emulator, template, SAM build, fuzzing, schemathesis, staticcheck, govulncheck, load and fault, browser, real sam local)

.PHONY: go-test
go-test: deps ## the Go tests (the DynamoDB ones start moto from .venv)
	$(GO) test -count=1 ./...

## ---- steps ---------------------------------------------------------------------

.PHONY: check
check: deps ## gofmt and go vet
	@unformatted=$$("$$($(GO) env GOROOT)/bin/gofmt" -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted"; exit 1; fi
	$(GO) vet ./...

.PHONY: deps
deps: $(VENV)/.ok ## Go modules and the pinned Python tools
	$(GO) mod download

.PHONY: venv
venv: $(VENV)/.ok

# The virtual environment with every Python tool, pinned (infra/requirements.txt).
$(VENV)/.ok: infra/requirements.txt
	python3 -m venv $(VENV)
	$(PY)/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $@

env.json: ## local configuration for `make dev` and `sam local` (made once, never committed)
	@key=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	  printf '{\n  "Parameters": {\n    "SESSION_SECRET": "%s",\n    "COOKIE_SECURE": "false"\n  }\n}\n' "$$key" > $@; \
	  chmod 600 $@; \
	  echo "Made env.json with a fresh random SESSION_SECRET (gitignored; keep it out of version control)."

.PHONY: secret
secret: ## print a new random SESSION_SECRET (32 bytes as 64 hex digits)
	@head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; echo

## ---- Lambda builds -----------------------------------------------------------------

.PHONY: build
build: $(addprefix bin/,$(addsuffix /bootstrap,$(FUNCTIONS))) ## one linux/$(ARCH) bootstrap per function under bin/

bin/%/bootstrap: FORCE
	$(MAKE) --no-print-directory build-$* ARTIFACTS_DIR=$(CURDIR)/bin/$*

# `sam build` (BuildMethod: makefile) calls build-<LogicalId> with ARTIFACTS_DIR.
build-%Function:
	GOOS=linux GOARCH=$(GOARCH_OF) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
	  -ldflags='-s -w' -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo $* | tr A-Z a-z)

.PHONY: FORCE
FORCE:

## ---- local Lambda tools --------------------------------------------------------

.PHONY: invoke
invoke: env.json ## run FN on EVENT in-process and print the response event (the Docker-free `sam local invoke`)
	@test -n "$(FN)" -a -n "$(EVENT)" || { echo "usage: make invoke FN=CookiesFunction EVENT=events/get-preferences.json"; exit 2; }
	@$(GO) run ./cmd/local invoke $(FN) $(EVENT)

-include $(wildcard infra/make/*.mk)

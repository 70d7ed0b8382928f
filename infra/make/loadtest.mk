## ---- load and fault tests (issue 7): see docs/loadtest.md

# Many clients against the local runner over real HTTP on 127.0.0.1, once
# with STORE=memory and once with STORE=dynamodb on dynalite, which is
# killed by its PID in the middle of that run and started again on the same
# port with the same data. Clients send changes with an Idempotency-Key and
# retry them with the same key, as the site does; every cart must end
# exactly as the acknowledged changes say (nothing lost, nothing applied
# twice). `cmd/loadtest` starts the runner and dynalite on free ports and
# stops them by PID; this recipe builds both binaries, prints the machine's
# load (other engineers share it) and stops the load test itself (by PID)
# if make is interrupted.
LOADTEST_CLIENTS ?= 50
# The CI run: well under 90 s with the builds.
LOADTEST_SHORT_MEMORY   ?= -duration 8s
LOADTEST_SHORT_DYNAMODB ?= -duration 15s -fault-down 3s
# The full run.
LOADTEST_LONG_MEMORY    ?= -duration 60s
LOADTEST_LONG_DYNAMODB  ?= -duration 60s -fault-at 25s -fault-down 5s
# Extra flags for both runs, e.g. LOADTEST_FLAGS='-seed 42 -tabs 4'.
LOADTEST_FLAGS ?=
LOADTEST_OUT := $(CURDIR)/.local/loadtest
DYNALITE_BIN := infra/dynamodb/node_modules/.bin/dynalite

.PHONY: loadtest loadtest-short dynalite-installed

loadtest: ## load and fault test, full: 60 s on memory, 60 s on dynalite with a 5 s outage (numbers in .local/loadtest/)
	@$(MAKE) --no-print-directory loadtest-run LOADTEST_SUFFIX= \
	  LOADTEST_MEMORY_ARGS='$(LOADTEST_LONG_MEMORY)' LOADTEST_DYNAMODB_ARGS='$(LOADTEST_LONG_DYNAMODB)'

loadtest-short: ## load and fault test, the CI run: 8 s on memory, 15 s on dynalite with a 3 s outage
	@$(MAKE) --no-print-directory loadtest-run LOADTEST_SUFFIX=-short \
	  LOADTEST_MEMORY_ARGS='$(LOADTEST_SHORT_MEMORY)' LOADTEST_DYNAMODB_ARGS='$(LOADTEST_SHORT_DYNAMODB)'

# dynalite from infra/dynamodb/package-lock.json, as infra/dynamodb/local.sh installs it.
dynalite-installed:
	@if [ ! -x $(DYNALITE_BIN) ] || [ infra/dynamodb/package-lock.json -nt infra/dynamodb/node_modules/.package-lock.json ]; then \
	  echo "installing dynalite (infra/dynamodb/package-lock.json)..."; \
	  npm ci --prefix infra/dynamodb --no-audit --no-fund --loglevel=error; \
	fi

.PHONY: loadtest-run
loadtest-run: dynalite-installed
	@set -uo pipefail; began=$$(date +%s); \
	echo "load test$(LOADTEST_SUFFIX): $$(nproc) CPUs, load average $$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown) before the build"; \
	tmp=$$(mktemp -d); pid=; \
	trap 'if [ -n "$$pid" ]; then kill "$$pid" 2>/dev/null; wait "$$pid" 2>/dev/null; fi; rm -rf "$$tmp"' EXIT; \
	trap 'exit 130' INT TERM; \
	$(GO) build -o "$$tmp/local" ./cmd/local && $(GO) build -o "$$tmp/loadtest" ./cmd/loadtest || exit 1; \
	echo "built the runner and the load test in $$(( $$(date +%s) - began )) s"; \
	status=0; \
	for store in memory dynamodb; do \
	  if [ $$store = memory ]; then args='$(LOADTEST_MEMORY_ARGS)'; else args='$(LOADTEST_DYNAMODB_ARGS)'; fi; \
	  "$$tmp/loadtest" -runner "$$tmp/local" -store $$store -label $$store$(LOADTEST_SUFFIX) \
	    -dynalite $(DYNALITE_BIN) -out "$(LOADTEST_OUT)" -clients $(LOADTEST_CLIENTS) $$args $(LOADTEST_FLAGS) & pid=$$!; \
	  wait $$pid || status=1; pid=; \
	done; \
	echo "load test$(LOADTEST_SUFFIX): $$(( $$(date +%s) - began )) s in all; logs and numbers in $(LOADTEST_OUT)"; \
	exit $$status

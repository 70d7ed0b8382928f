## ---- browser tests (e2e/, docs/e2e.md) ---------------------------------------

# playwright-core drives Debian's chromium; it never downloads a browser.
CHROMIUM       ?= /usr/bin/chromium
# The runner the browser tests start (one per test file, on a free port).
E2E_RUNNER     := bin/e2e/local
E2E_TESTS      := $(wildcard e2e/*.test.mjs)
E2E_REPORTER   ?= spec
# Test files run side by side (each has its own runner and chromium): the
# scenarios mostly wait on the browser, so this roughly halves the time.
E2E_JOBS       ?= 4

.PHONY: e2e
e2e: e2e-deps $(E2E_RUNNER) ## browser tests: chromium + playwright-core + axe-core against the local runner; writes docs/screenshots/
	@start=$$(date +%s); \
	  SESSIONLAB_RUNNER=$(CURDIR)/$(E2E_RUNNER) node --test --test-concurrency=$(E2E_JOBS) --test-reporter=$(E2E_REPORTER) $(E2E_TESTS); \
	  status=$$?; echo "e2e: $$(( $$(date +%s) - start )) s"; exit $$status

# `make test` runs the browser tests too.
test: e2e

.PHONY: e2e-deps
e2e-deps: node_modules/.e2e-ok
	@test -x $(CHROMIUM) || { echo "e2e: $(CHROMIUM) is missing. Install Debian's chromium (apt-get install chromium); the tests never download a browser." >&2; exit 1; }
	@command -v node >/dev/null || { echo "e2e: node is missing (apt-get install nodejs npm)." >&2; exit 1; }

# npm ci from the lock when node_modules is missing or the lock changed.
# --ignore-scripts: no package may run an install step (none downloads a browser).
node_modules/.e2e-ok: package.json package-lock.json
	@command -v npm >/dev/null || { echo "e2e: npm is missing (apt-get install npm)." >&2; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

$(E2E_RUNNER): FORCE
	@mkdir -p $(dir $@)
	$(GO) build -o $@ ./cmd/local

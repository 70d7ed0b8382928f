## ---- security checks (issue 7): schemathesis, Go fuzzing, staticcheck, govulncheck

# schemathesis: test cases per API operation and phase. The default is the
# short CI run; SCHEMATHESIS_MAX_EXAMPLES=300 (or `make schemathesis-long`)
# digs deeper. SCHEMATHESIS_SEED=N replays a run (the seed is printed).
SCHEMATHESIS_MAX_EXAMPLES ?= 15
SCHEMATHESIS_LONG_EXAMPLES ?= 300
SCHEMATHESIS_SEED ?=
# No 5xx, every status and body as docs/openapi.yaml says, required headers
# (Retry-After) present, documented content types.
SCHEMATHESIS_CHECKS := not_a_server_error,status_code_conformance,response_schema_conformance,response_headers_conformance,content_type_conformance
# Reports, the runner's log and schemathesis' example database (gitignored).
SECURITY_OUT := $(CURDIR)/.local/security

# Go fuzzing: each target runs FUZZTIME, one after another.
FUZZTIME ?= 60s
FUZZTIME_SHORT ?= 10s
# Time a worker may spend shrinking one new input. Go's default (60s) can
# eat a whole FUZZTIME while the fuzzer finds nothing new.
FUZZMINIMIZETIME ?= 5s
# package:FuzzTarget, in the order they run.
FUZZ_TARGETS := \
	./internal/session:FuzzCodecDecode \
	./internal/session:FuzzApply \
	./internal/cookies:FuzzCookieName \
	./internal/cookies:FuzzCookieValue \
	./internal/cookies:FuzzSignedSession \
	./internal/web:FuzzDecodeJSON \
	./internal/web:FuzzStrictDecoder \
	./internal/apigw:FuzzRoundTrip \
	./internal/apigw:FuzzHandlerEvent

# Static analysis and known vulnerabilities, pinned and run with `go run`
# so neither enters go.mod.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.9.0
# govulncheck's database: vuln.go.dev when it answers, else the OSV files of
# the golang.org/x/vulndb module fetched through the Go module proxy (the
# same entries; govulncheck reads a directory of OSV files). GOVULNDB=URL
# forces one, e.g. file:///path/to/osv.
GOVULNDB ?=

.PHONY: schemathesis schemathesis-long fuzz fuzz-short lint-go staticcheck govulncheck

schemathesis: venv ## schemathesis vs the local runner on a free port: the short CI run (SCHEMATHESIS_MAX_EXAMPLES=N for more)
	@set -euo pipefail; \
	out=$(SECURITY_OUT)/schemathesis; mkdir -p "$$out"; \
	tmp=$$(mktemp -d); pid=; \
	trap 'if [ -n "$$pid" ]; then kill "$$pid" 2>/dev/null || true; wait "$$pid" 2>/dev/null || true; fi; rm -rf "$$tmp"' EXIT; \
	port=$$($(PY)/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'); \
	base=http://127.0.0.1:$$port; \
	key=$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'); \
	printf '{"Parameters": {"SESSION_SECRET": "%s", "COOKIE_SECURE": "false"}}\n' "$$key" > "$$tmp/env.json"; \
	$(GO) build -o "$$tmp/local" ./cmd/local; \
	env -u SESSION_SECRET -u COOKIE_SECURE -u SITE_ORIGIN HOST=127.0.0.1 PORT=$$port STORE=memory \
	  ENV_FILE="$$tmp/env.json" "$$tmp/local" 2>"$$out/runner.log" & pid=$$!; \
	for i in $$(seq 100); do curl -fs -o /dev/null "$$base/api/products" && break; sleep 0.1; done; \
	curl -fs -o /dev/null "$$base/api/products" || { echo "runner did not start; see $$out/runner.log"; exit 1; }; \
	echo "runner: pid $$pid on $$base; log $$out/runner.log"; \
	st() { (cd "$$out" && $(CURDIR)/$(PY)/schemathesis run $(CURDIR)/docs/openapi.yaml --url "$$base" \
	  -H "Origin: $$base" -c $(SCHEMATHESIS_CHECKS) -n $(SCHEMATHESIS_MAX_EXAMPLES) \
	  $(if $(SCHEMATHESIS_SEED),--seed $(SCHEMATHESIS_SEED)) --no-color --request-timeout 30 "$$@"); }; \
	status=0; \
	echo "== pass 1: every operation, anonymous"; \
	st --report junit --report-junit-path "$$out/anonymous.xml" || status=1; \
	user="st-$${key:0:12}"; creds="{\"username\":\"$$user\",\"password\":\"a long test password\"}"; \
	login() { curl -fs -o /dev/null -D - -X POST "$$base/api/$$1" -H "Origin: $$base" -H 'Content-Type: application/json' \
	  -d "$${2:-$$creds}" | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: session=\([^;]*\);.*/\1/p'; }; \
	cookie=$$(login register); test -n "$$cookie" || { echo "could not register the test user"; exit 1; }; \
	curl -fs -o /dev/null -X POST "$$base/api/cart/items" -H "Origin: $$base" -H "Cookie: session=$$cookie" \
	  -H 'Content-Type: application/json' -d '{"sku":"tea-assam","quantity":2}'; \
	echo "== pass 2: sessions, cart and the session's visit counter, logged in"; \
	st -H "Cookie: session=$$cookie" --include-path-regex '^/api/(sessions|cart|session/visits)' --exclude-path '/api/sessions/{id}' \
	  --report junit --report-junit-path "$$out/logged-in.xml" || status=1; \
	echo "== pass 3: /api/sessions* with two live sessions (revoking one may end its own, so it runs after the passes that need it)"; \
	cookie=$$(login login); test -n "$$cookie" -a -n "$$(login login)" || { echo "could not log the test user in"; exit 1; }; \
	st -H "Cookie: session=$$cookie" --include-path-regex '^/api/sessions' \
	  --report junit --report-junit-path "$$out/revoke.xml" || status=1; \
	echo "== pass 4: the password routes, logged in as a user whose password schemathesis does not know: wrong passwords (5 × 401, then 429), weak new passwords, bad bodies; the session lives on"; \
	cookie=$$(login register "{\"username\":\"st2-$${key:0:12}\",\"password\":\"$$key\"}"); \
	test -n "$$cookie" || { echo "could not register the second test user"; exit 1; }; \
	st -H "Cookie: session=$$cookie" --include-path-regex '^/api/(reauthenticate|password|account)$$' \
	  --report junit --report-junit-path "$$out/password-routes.xml" || status=1; \
	echo "== pass 5: each password route alone, as a user whose password is the spec's example: the example succeeds (re-authenticated, password changed, account deleted), so these run last"; \
	for route in reauthenticate password account; do \
	  cookie=$$(login register "{\"username\":\"st-$$route-$${key:0:8}\",\"password\":\"correct horse battery\"}"); \
	  test -n "$$cookie" || { echo "could not register the $$route test user"; exit 1; }; \
	  st -H "Cookie: session=$$cookie" --include-path-regex "^/api/$$route\$$" \
	    --report junit --report-junit-path "$$out/$$route.xml" || status=1; \
	done; \
	if grep -q 'status=5' "$$out/runner.log"; then echo "5xx in the runner's log:"; grep 'status=5' "$$out/runner.log" | head -20; status=1; fi; \
	exit $$status

schemathesis-long: ## schemathesis with 300 test cases per operation and phase (SCHEMATHESIS_LONG_EXAMPLES)
	@$(MAKE) --no-print-directory schemathesis SCHEMATHESIS_MAX_EXAMPLES=$(SCHEMATHESIS_LONG_EXAMPLES)

fuzz: ## every Go fuzz target for FUZZTIME (default 60s) each, one after another
	@set -e; for t in $(FUZZ_TARGETS); do \
	  pkg=$${t%%:*}; name=$${t##*:}; echo "== $$name ($$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) "$$pkg"; \
	done

fuzz-short: ## every Go fuzz target for FUZZTIME_SHORT (default 10s) each: the CI run
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT)

lint-go: staticcheck govulncheck ## staticcheck and govulncheck over ./... (pinned, via go run)

staticcheck: ## staticcheck (pinned v0.8.2) over ./...
	$(GO) run $(STATICCHECK) ./...

govulncheck: ## govulncheck over ./...: known vulnerabilities in the modules and the Go toolchain that build us
	@set -euo pipefail; db="$(GOVULNDB)"; \
	if [ -z "$$db" ] && ! curl -fsS -o /dev/null -m 5 https://vuln.go.dev/index/db.json.gz 2>/dev/null; then \
	  tmp=$$(mktemp -d); \
	  dir=$$(cd "$$tmp" && $(GO) mod download -json golang.org/x/vulndb@latest | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$$/\1/p'); \
	  rmdir "$$tmp"; test -d "$$dir/data/osv"; db=file://$$dir/data/osv; \
	  echo "vuln.go.dev is not reachable: using golang.org/x/vulndb from the module proxy ($$db)"; \
	fi; \
	echo "$(GO) run $(GOVULNCHECK) $${db:+-db $$db }./..."; \
	$(GO) run $(GOVULNCHECK) $${db:+-db "$$db"} ./...

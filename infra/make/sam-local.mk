## ---- the real SAM CLI, under podman (issue 8; docs/sam-local.md) ---------------

# Lambda architecture for sam local: arm64 (the template's; emulated with
# qemu-user on an x86_64 host) or x86_64 (native on x86_64, faster).
SAM_ARCH ?= arm64
# Port of `sam local start-api` on 127.0.0.1 (empty: a free one).
SAM_PORT ?=
SAM_LOCAL := SAM_ARCH=$(SAM_ARCH) SAM_PORT=$(SAM_PORT) VENV=$(CURDIR)/$(VENV) infra/sam-local/sam-local.sh

.PHONY: sam-local sam-local-test sam-local-install sam-local-down

# `make test` ends with the real SAM CLI: the scenarios and every sample
# event through `sam local` (5-8 min, most of it arm64 emulation).
# SAM_LOCAL_TEST=skip leaves it out on a machine without podman or root.
SAM_LOCAL_TEST ?= run
ifeq ($(SAM_LOCAL_TEST),run)
test: sam-local-test
endif
sam-local: venv env.json sam-local-install ## the real `sam local start-api` under podman (SAM_ARCH=x86_64 to skip emulation)
	$(SAM_LOCAL) serve

sam-local-test: venv env.json sam-local-install ## HTTP scenarios and every sample event through the real SAM CLI
	$(SAM_LOCAL) test

sam-local-install: ## apt packages for sam-local: podman, runc, busybox-static, qemu-user-static
	$(SAM_LOCAL) install

sam-local-down: ## stop what `make sam-local` started, if it is still running
	$(SAM_LOCAL) down

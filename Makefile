# smeplatform.deploy: `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := $(CURDIR)/.venv
REQUIREMENTS := requirements/requirements.txt $(wildcard tests/lab/requirements.txt)
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENTS) | sha256sum | cut -c1-16)
COLLECTION_LINK := .collections/ansible_collections/smeplatform/deploy
INVENTORY ?= inventories/lab
PYTEST_ARGS ?=

export PATH := $(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: setup
setup: $(STAMP) $(COLLECTION_LINK) ## Install the pinned toolchain into .venv and link the collection
$(STAMP): $(REQUIREMENTS)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet $(addprefix -r ,$(REQUIREMENTS))
	@rm -f $(VENV)/.installed-*
	@touch $@
$(COLLECTION_LINK):
	@mkdir -p $(dir $@)
	@ln -sfn ../../.. $@

.PHONY: lint
lint: setup ## Shell syntax, ansible-lint (production profile), yamllint, ruff, ansible-test sanity
	for f in .ci/run $$(git ls-files '*.sh'); do bash -n "$$f" || exit 1; done
	ansible-lint
	yamllint --strict .
	ruff check .
	ruff format --check .
	tests/tools/sanity.sh

.PHONY: sanity
sanity: setup ## ansible-test sanity alone (tests/tools/sanity.sh; pass TEST=name for one test)
	tests/tools/sanity.sh $(if $(TEST),--test $(TEST))

.PHONY: unit
unit: setup ## Unit tests of modules, plugins and module_utils
	python -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: integration
integration: setup lab-up ## Tests against the lab's real servers (brings the lab up), then Molecule
	eval "$$(tests/lab/lab.sh env)" && python -m pytest tests/integration --ignore=tests/integration/kind $(PYTEST_ARGS)
	$(MAKE) --no-print-directory molecule

.PHONY: molecule
molecule: setup ## Molecule scenario `default` on the lab (its create and destroy bring the lab up and down)
	@mkdir -p reports
	started=$$(date +%s); molecule test -s default 2>&1 | tee reports/molecule.log \
	  || { python tests/tools/no_go_digest.py reports --since "$$started" --log reports/molecule.log; exit 1; }

.PHONY: molecule-kind
molecule-kind: setup ## Molecule scenario `kind`: deploy.yml with inventories/kind on the kind cluster (create and destroy bring it up and down)
	@mkdir -p reports
	started=$$(date +%s); molecule test -s kind 2>&1 | tee reports/molecule-kind.log \
	  || { python tests/tools/no_go_digest.py reports --since "$$started" --log reports/molecule-kind.log; exit 1; }

.PHONY: test
test: lint unit integration kind-test ## Everything CI runs

.PHONY: demo
demo: setup lab-up ## Start the lab, run the whole deploy flow on it, print where the report is
	ansible-playbook playbooks/pre_deploy.yml -i $(INVENTORY) --check --diff -e report_gate=false
	ansible-playbook playbooks/deploy.yml -i $(INVENTORY)
	@echo "reports: $$(ls -t reports/*.md | head -n 2 | tr '\n' ' ')"

.PHONY: bench
bench: setup lab-up ## Every speed target side by side (pre_deploy --check, deploy overhead, rollback, fleet of 3, smoke) with a task profile
	eval "$$(tests/lab/lab.sh env)" && python tests/bench/bench.py

.PHONY: lab-up
lab-up: setup ## Build what is missing and start the lab (idempotent)
	tests/lab/lab.sh up

.PHONY: lab-down
lab-down: ## Stop every lab process
	tests/lab/lab.sh down

.PHONY: lab-env
lab-env: ## Print shell exports for the lab: eval "$$(make -s lab-env)"
	@tests/lab/lab.sh env
	@tests/lab/kind/lab.sh env

.PHONY: kind-up
kind-up: setup ## Build what is missing (offline) and start the kind cluster: real nodes and pods (idempotent)
	tests/lab/kind/lab.sh up

.PHONY: kind-down
kind-down: ## Delete the kind cluster and stop the dockerd kind-up started (no process or container left)
	tests/lab/kind/lab.sh down

.PHONY: kind-env
kind-env: ## Print shell exports that point kubectl at the kind cluster: eval "$$(make -s kind-env)"
	@tests/lab/kind/lab.sh env --kubeconfig

.PHONY: kind-test
kind-test: setup ## One kind cluster: up, tests/integration/kind, Molecule's kind scenario on it, down (destroy)
	@mkdir -p reports
	molecule reset -s kind >/dev/null  # no state of an earlier run: its create and prepare must run
	rc=0; tests/lab/kind/lab.sh up || rc=$$?; \
	if [ $$rc = 0 ]; then python -m pytest tests/integration/kind $(PYTEST_ARGS) || rc=$$?; fi; \
	if [ $$rc = 0 ]; then \
	  started=$$(date +%s); \
	  molecule test -s kind --destroy=never 2>&1 | tee reports/molecule-kind.log \
	    || { rc=1; python tests/tools/no_go_digest.py reports --since "$$started" --log reports/molecule-kind.log || true; }; \
	fi; \
	molecule destroy -s kind 2>&1 | tail -n 20 || { tests/lab/lab.sh down tls data edge; tests/lab/kind/lab.sh down; rc=1; }; \
	exit $$rc

.PHONY: post-deploy-test
post-deploy-test: setup lab-up ## The post-deployment stages on the lab alone (make integration runs them too)
	eval "$$(tests/lab/lab.sh env)" && python -m pytest tests/integration/post_deploy $(PYTEST_ARGS)

.PHONY: clean
clean: lab-down kind-down ## Stop the lab and the kind cluster, remove local state (.venv, .lab, reports)
	rm -rf .lab reports .collections tests/output .pytest_cache .ruff_cache
	rm -rf $(VENV)

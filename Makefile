# The suite's targets. `make help` lists them. Everything runs inside .venv (made on first use).
SHELL := /bin/bash
PY := .venv/bin/python
SCALE ?= m
SCALES ?= s,m
comma := ,
STAMP := .venv/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help
.PHONY: help setup db seed run render report report-quick reference lab test lint bench-seed pg15 clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	@touch $(STAMP)

$(NODE_STAMP): package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --silent && touch $(NODE_STAMP); \
	else echo "npm not found: the node-postgres read-path client is skipped (run.json says why)"; fi

setup: $(STAMP) $(NODE_STAMP) ## create .venv, install the pinned dependencies and node-postgres (npm ci) once

db: setup ## start the embedded PostgreSQL (data/pg)
	$(PY) -m bench db start

pg15: setup ## install Debian's postgresql-15 where apt is available (as root), start its cluster (data/pg15), print its DSN
	@if [ ! -x /usr/lib/postgresql/15/bin/postgres ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 pgbouncer >/dev/null; fi
	$(PY) -m bench db start --server pg15
	@$(PY) -m bench db url --server pg15

seed: db ## seed the star datasets at SCALES (default s,m); reused when the manifest matches
	$(PY) -m bench seed --scale $(SCALES)

run: seed ## run every experiment at SCALES into data/results/<run> (SERVERS=embedded,pg15: one run per server)
	$(PY) -m bench run --scale $(SCALES) $(EXTRA_SCALES) $(if $(SERVERS),--servers $(SERVERS))

render: setup ## execute the notebooks against the newest run and write reports/
	$(PY) -m bench render

# the main job runs at scale m alone, without the RLS forms at l (the reference has both): within 30 min on 2 cores
report: SCALES := m
report: EXTRA_SCALES := --no-extra-scales
report: run ## the main job: setup, db, seed m, run every experiment at m, render your run into reports/runs/<run>/
	$(PY) -m bench render --run "$$(ls -1d data/results/2* | tail -n 1)"

report-quick: setup db ## the main job in its quick form (scale s, small matrices): a first look in a few minutes
	$(PY) -m bench seed --scale s
	$(PY) -m bench run --scale s --quick
	$(PY) -m bench render --run "$$(ls -1d data/results/2* | tail -n 1)"

reference: seed pg15 ## re-make the committed reference run (SCALES, default s,m), its A/A twin (read paths and caching) and its PostgreSQL 15 run (read paths, RLS, locks), both at the largest scale, rewrite notebooks/, reports/, README findings
	rm -rf data/reference.new
	$(PY) -m bench run --scale $(SCALES) --out data/reference.new
	run="$$(ls -1d data/reference.new/2* | tail -n 1)"; \
	$(PY) -m bench run read_paths caching --scale $(lastword $(subst $(comma), ,$(SCALES))) --no-extra-scales --out "data/reference.new/aa/$$(basename "$$run")" && \
	$(PY) -m bench run read_paths rls locks --servers pg15 --scale $(lastword $(subst $(comma), ,$(SCALES))) --no-extra-scales \
	  --out "data/reference.new/servers/$$(basename "$$run")"
	rm -rf data/reference && mv data/reference.new data/reference
	$(PY) -m bench render --run "$$(ls -1d data/reference/2* | tail -n 1)"

lab: setup ## JupyterLab on notebooks/ (each notebook opens on the committed reference run)
	$(PY) -m jupyter lab notebooks/

test: setup lint ## lint, then unit, database, notebook and browser tests at scale xs; ends on pytest's closing line
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench-seed: db ## seeding benchmark at SCALE: rows/s per table and the ratio to a raw COPY
	$(PY) -m bench seed --scale $(SCALE) --benchmark

lint: setup ## ruff (pinned) over the package and the tests
	$(PY) -m ruff check bench tests

clean: ## stop the servers, remove the clusters, local results and .venv
	-$(PY) -m bench db stop
	-$(PY) -m bench db stop --server pg15
	rm -rf data/pg data/pg15 data/pg15-test data/results .venv node_modules

# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
# Demo credentials for the agent workspace (README); change them on anything but a laptop.
DEMO_ADMIN ?= admin@example.com
DEMO_ADMIN_PASSWORD ?= manzil-demo-admin
DEMO_AGENT ?= agent@example.com
DEMO_AGENT_PASSWORD ?= manzil-demo-agent
DEMO_LEAD ?= lead@example.com
DEMO_LEAD_PASSWORD ?= manzil-demo-lead

.PHONY: run test install index lint bench clean chromium postgresql dovecot
CATALOGS := $(patsubst %.po,%.mo,$(wildcard webapp/translations/*/LC_MESSAGES/messages.po))

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first, pinned: pip takes the CPU build from this machine's disk instead of a multi-GB CUDA one.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) $(CATALOGS)

# Interface translations: translators edit the .po files; the compiled .mo files are built, never committed.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

index: install
	$(BIN)/kb index

run: install
	$(BIN)/kb index || test $$? -eq 2
	$(BIN)/kb tickets import content/_demo/tickets.jsonl
	printf '%s\n' '$(DEMO_ADMIN_PASSWORD)' | $(BIN)/kb agents create $(DEMO_ADMIN) --name "Demo admin" --admin --password-stdin --if-missing
	printf '%s\n' '$(DEMO_AGENT_PASSWORD)' | $(BIN)/kb agents create $(DEMO_AGENT) --name "Demo agent" --password-stdin --if-missing
	printf '%s\n' '$(DEMO_LEAD_PASSWORD)' | $(BIN)/kb agents create $(DEMO_LEAD) --name "Demo lead" --lead --password-stdin --if-missing
	$(BIN)/kb demo seed
	# The worker (git sync, background jobs) runs beside the server and stops with it. Its mails link to
	# this server (PORT=5077 included) unless KB_BASE_URL says otherwise: it has no request to read the host from.
	KB_BASE_URL="$${KB_BASE_URL:-http://$(HOST):$(PORT)}" $(BIN)/kb worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/kb serve --host $(HOST) --port $(PORT)

# The browser tests drive Debian's chromium (never a Playwright browser download).
chromium:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# The desk, site, agent and browser tests run a second time on PostgreSQL: Debian's server, a throwaway
# cluster on 127.0.0.1 that pytest starts and removes (tests/postgres.py).
postgresql:
	ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# `kb mail fetch` is tested against Debian's IMAP server, started by the test on loopback (tests/desk/test_mail_imap.py).
dovecot:
	command -v dovecot >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null)

DATABASE_TESTS := tests/desk tests/webapp tests/browser

# The two pytest runs (SQLite: everything; PostgreSQL: the database tests) go side by side: each is mostly one busy
# process, so on CI's 2 cores together they take about as long as the longer one alone, where one after the other
# they took 86 minutes. Each line carries its run's name; --durations lists each run's slowest tests in the log,
# the first place to look when the suite grows (unbuffered, so the log shows each run's progress as it goes). Both runs
# always finish; either failing fails the target.
TEST_TIMES := --durations=25

test: install chromium postgresql dovecot
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/kb lint
	@mkdir -p var && rm -f var/test-sqlite.rc var/test-postgresql.rc
	@export PYTHONUNBUFFERED=1; ( $(BIN)/pytest -q $(TEST_TIMES); echo $$? > var/test-sqlite.rc ) 2>&1 | sed -u 's/^/[sqlite] /' & \
	( $(BIN)/pytest -q $(TEST_TIMES) --postgresql $(DATABASE_TESTS); echo $$? > var/test-postgresql.rc ) 2>&1 \
		| sed -u 's/^/[postgresql] /' & \
	wait; echo "pytest exit codes: sqlite $$(cat var/test-sqlite.rc) postgresql $$(cat var/test-postgresql.rc)"; \
	test "$$(cat var/test-sqlite.rc)" = 0 && test "$$(cat var/test-postgresql.rc)" = 0

bench: $(STAMP)
	$(BIN)/python bench/index_bench.py
	$(BIN)/python bench/search_bench.py

clean:
	rm -rf var .pytest_cache

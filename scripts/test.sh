#!/usr/bin/env bash
# Newcomer command 2: set everything up and run the whole test suite (unit, action, view, API and browser tests).
# SQLite by default; set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Parallel workers (pytest-xdist), one per core; each test file stays on one worker (module fixtures are built
# once) and each worker has its own database (tests/conftest.py). TEST_WORKERS=0 runs in one process.
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "$@"

#!/usr/bin/env bash
# Newcomer command 2: set everything up and run the whole test suite (unit, action, view, API and browser tests).
# SQLite by default; set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python -m pytest "$@"

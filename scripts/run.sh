#!/usr/bin/env bash
# Newcomer command 1: set everything up and run the app on the embedded default (SQLite under instance/),
# with the schema migrated and demo data seeded. Set DATABASE_URL to use PostgreSQL instead.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export FLASK_APP=app
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-5000}
.venv/bin/flask db upgrade
.venv/bin/flask seed demo
cat <<MSG

  学徒制培训备案与补贴申领系统 is running at  http://${HOST}:${PORT}/
  Demo accounts (password: ${DEMO_PASSWORD:-Demo@2026}):
    admin        省级管理员
    gz_reviewer  地市审核员 (广州)
    sz_reviewer  地市审核员 (深圳)
    ent_gz       企业用户 (广州, 生态链链主)
    ent_sz       企业用户 (深圳, 无生态链认定)
  Stop with Ctrl+C.

MSG
# One thread per worker: FAB keeps per-request filter state on its (shared) view objects.
exec .venv/bin/gunicorn --workers "${WORKERS:-3}" --threads 1 --bind "${HOST}:${PORT}" --access-logfile - app:app

#!/usr/bin/env bash
# Load test (issue 15): gunicorn on the PostgreSQL data set of `flask seed scale`, locust headless and bounded.
#
#   LOAD_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale1m bench/load.sh [app dir] [label]
#
# Starts gunicorn (WORKERS, default 3, sync workers) from the app directory (default: this checkout; give another
# checkout of the project to measure a "before"), runs bench/locustfile.py with USERS (20) users spawned at 5/s
# for RUN_TIME (60s), prints locust's summary (requests/s, p50/p95/p99, failures) and keeps the CSV in
# bench-results/<label>_*.csv. The login rate limit is switched off for the run (all users come from 127.0.0.1).
# gunicorn is stopped by its own pid at the end.
set -euo pipefail
HERE="$(cd "$(dirname "$0")/.." && pwd)"
APP_DIR="$(cd "${1:-$HERE}" && pwd)"
LABEL="${2:-load}"
PORT="${PORT:-8077}"
: "${LOAD_DATABASE_URL:?set LOAD_DATABASE_URL to the PostgreSQL database of flask seed scale}"
mkdir -p "$HERE/bench-results"
cd "$APP_DIR"
DATABASE_URL="$LOAD_DATABASE_URL" RATELIMIT_ENABLED=0 SECRET_KEY="${SECRET_KEY:-load-test-secret-0123456789abcdef0123456789}" PYTHONWARNINGS=ignore \
  "$HERE/.venv/bin/gunicorn" --workers "${WORKERS:-3}" --threads 1 --bind "127.0.0.1:$PORT" \
  --timeout 60 --log-level error app:app 2>/dev/null &
GUNICORN=$!
trap 'kill "$GUNICORN" 2>/dev/null || true; wait "$GUNICORN" 2>/dev/null || true' EXIT
for _ in $(seq 1 90); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/login/" && break
  sleep 1
done
for _ in $(seq 1 "$((${WORKERS:-3} * 3))"); do  # warm every worker (first-request template compilation)
  curl -s -o /dev/null "http://127.0.0.1:$PORT/login/"
done
cd "$HERE"
"$HERE/.venv/bin/locust" -f bench/locustfile.py --headless --users "${USERS:-20}" --spawn-rate "${SPAWN_RATE:-5}" \
  --run-time "${RUN_TIME:-60s}" --host "http://127.0.0.1:$PORT" --csv "bench-results/$LABEL" --only-summary \
  --exit-code-on-error 0 2>&1 | tail -40

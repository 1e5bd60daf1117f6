#!/usr/bin/env bash
# Backs up the database of DATABASE_URL (default: the embedded SQLite file instance/app.db) into <file>:
#   PostgreSQL: pg_dump --format=custom (restore it with scripts/restore.sh, i.e. pg_restore); pg_dump's major
#               version must be at least the server's (Debian 12: postgresql-client, installed by scripts/setup.sh);
#   SQLite:     the online backup API (sqlite3 Connection.backup): a consistent copy while the app runs, the WAL
#               included (a plain file copy of a live WAL database can be torn or miss committed rows).
# The dump is written to <file>.partial and renamed when complete, so <file> is never a half-written backup.
# Attachment files kept in a directory or S3 store (ATTACHMENT_STORAGE) are not in the dump: the script says how many
# and how to copy them (README "Backup and restore").
set -euo pipefail

usage="usage: scripts/backup.sh <file>    (backs up the database of DATABASE_URL into <file>)"
if [ $# -ne 1 ] || [ -z "${1:-}" ]; then
  echo "$usage" >&2
  echo "refused: give exactly one argument, the backup file to write." >&2
  exit 2
fi
file=$1
if [ -e "$file" ]; then
  echo "refused: $file already exists; choose another name or remove it first." >&2
  exit 2
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$ROOT/.venv/bin/python
if [ ! -x "$PY" ]; then
  echo "refused: $PY is missing; run scripts/setup.sh first." >&2
  exit 2
fi
INSTANCE=${INSTANCE_PATH:-$ROOT/instance}
url=${DATABASE_URL:-sqlite:///$INSTANCE/app.db}

# The URL's parts as shell assignments (the password goes to pg_dump through PGPASSWORD, never on a command line).
parts=$("$PY" - "$url" <<'PY'
import shlex, sys
from sqlalchemy.engine import make_url

url = make_url(sys.argv[1])
backend = url.get_backend_name()
out = {"backend": backend, "database": url.database or ""}
if backend == "postgresql":
    out.update(PGHOST=url.host or url.query.get("host") or "", PGPORT=str(url.port or ""),
               PGUSER=url.username or "", PGPASSWORD=url.password or "", PGDATABASE=url.database or "",
               PGSSLMODE=url.query.get("sslmode") or "")
for key, value in out.items():
    print(f"{key}={shlex.quote(str(value))}")
PY
)
eval "$parts"

mkdir -p "$(dirname "$file")"
partial="$file.partial"
rm -f "$partial"
trap 'rm -f "$partial"' EXIT

case "$backend" in
  postgresql)
    for var in PGHOST PGPORT PGUSER PGPASSWORD PGSSLMODE; do
      if [ -n "${!var}" ]; then export "${var?}"; else unset "$var"; fi
    done
    export PGDATABASE
    if ! command -v pg_dump >/dev/null; then
      echo "refused: pg_dump is missing; run scripts/setup.sh as root (it installs postgresql-client)." >&2
      exit 2
    fi
    echo "==> $(pg_dump --version): database '$PGDATABASE' on ${PGHOST:-local socket}:${PGPORT:-5432} (custom format)"
    pg_dump --format=custom --no-password --file="$partial"
    ;;
  sqlite)
    if [ -z "$database" ] || [ "$database" = ":memory:" ]; then
      echo "refused: DATABASE_URL names no SQLite file ($url)." >&2
      exit 2
    fi
    if [ ! -f "$database" ]; then
      echo "refused: the SQLite database $database does not exist." >&2
      exit 2
    fi
    echo "==> SQLite online backup (sqlite3 Connection.backup) of $database"
    "$PY" - "$database" "$partial" <<'PY'
import sqlite3, sys

source_path, target_path = sys.argv[1:3]
source = sqlite3.connect(source_path, timeout=30)
target = sqlite3.connect(target_path)
with target:
    source.backup(target)  # page by page under SQLite's locks: a consistent snapshot, WAL content included
source.close()
target.execute("PRAGMA journal_mode=DELETE")  # the backup is one self-contained file (no -wal / -shm beside it)
check = target.execute("PRAGMA integrity_check").fetchall()
target.close()
if check != [("ok",)]:
    sys.exit(f"refused: the backup fails PRAGMA integrity_check: {check[:5]}")
PY
    ;;
  *)
    echo "refused: DATABASE_URL is neither PostgreSQL nor SQLite ($backend)." >&2
    exit 2
    ;;
esac

mv "$partial" "$file"
trap - EXIT
echo "==> backup written: $file ($(stat -c %s "$file") bytes); restore it with: scripts/restore.sh $file"

# Attachments whose bytes are in a blob store (ATTACHMENT_STORAGE=directory|s3) are not in this file: say so, and
# how to copy them (README "Backup and restore"). Copy them after the dump, so every file it refers to is there.
"$PY" - "$url" <<'PY' || true
import os, sys
from sqlalchemy import create_engine, text

try:
    with create_engine(sys.argv[1]).connect() as conn:
        outside = conn.execute(text("SELECT storage, count(*) FROM attachment WHERE storage <> 'database' "
                                    "GROUP BY storage ORDER BY storage")).all()
except Exception:  # an older schema without attachment.storage: every file is in the database
    outside = []
stores = {storage for storage, _ in outside} | ({os.environ.get("ATTACHMENT_STORAGE", "").strip().lower()}
                                                & {"directory", "s3"})
for storage, count in outside:
    print(f"==> note: {count} attachments keep their bytes in the {storage} store, which this backup does NOT contain")
if "directory" in stores:
    folder = os.environ.get("ATTACHMENT_DIR") or "<ATTACHMENT_DIR>"
    print(f"    back up the directory store now, adding without deleting: rsync -a {folder}/ <backup place>/attachments/")
if "s3" in stores:
    bucket = os.environ.get("S3_BUCKET") or "<S3_BUCKET>"
    print(f"    back up the S3 bucket now: keep bucket versioning on, or: aws s3 sync s3://{bucket} "
          "<backup place>/attachments/ (no --delete)")
PY

#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the database of DATABASE_URL (default: instance/app.db).
# Stop the app first: the restore replaces every table.
#   PostgreSQL: pg_restore --clean --if-exists in one transaction (all or nothing) into DATABASE_URL's database,
#               which must exist (an empty one made by createdb will do); owners are kept, so restore as a
#               superuser or as the owner of the dumped tables.
#   SQLite:     the backup is checked with PRAGMA integrity_check, then written to the database path with the
#               online backup API (the database's -wal/-shm stay consistent; a file copy would not).
# Attachment files kept in a directory or S3 store are not in the backup: put their copy back into ATTACHMENT_DIR /
# the bucket as well, then `flask --app app attachments verify` lists any attachment whose file is missing.
set -euo pipefail

usage="usage: scripts/restore.sh <file>    (restores a scripts/backup.sh file into the database of DATABASE_URL)"
if [ $# -ne 1 ] || [ -z "${1:-}" ]; then
  echo "$usage" >&2
  echo "refused: give exactly one argument, the backup file to restore." >&2
  exit 2
fi
file=$1
if [ ! -f "$file" ]; then
  echo "refused: the backup file $file does not exist." >&2
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

case "$backend" in
  postgresql)
    for var in PGHOST PGPORT PGUSER PGPASSWORD PGSSLMODE; do
      if [ -n "${!var}" ]; then export "${var?}"; else unset "$var"; fi
    done
    export PGDATABASE
    if ! command -v pg_restore >/dev/null; then
      echo "refused: pg_restore is missing; run scripts/setup.sh as root (it installs postgresql-client)." >&2
      exit 2
    fi
    if ! pg_restore --list "$file" >/dev/null 2>&1; then
      echo "refused: $file is not a pg_dump custom-format archive (scripts/backup.sh of a PostgreSQL database)." >&2
      exit 2
    fi
    echo "==> $(pg_restore --version): $file into database '$PGDATABASE' on ${PGHOST:-local socket}:${PGPORT:-5432}" \
         "(--clean --if-exists, one transaction)"
    pg_restore --clean --if-exists --single-transaction --exit-on-error --no-password --dbname="$PGDATABASE" "$file"
    tables=$(psql --no-password -XAtc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
    echo "==> restored: $tables tables in '$PGDATABASE'"
    ;;
  sqlite)
    if [ -z "$database" ] || [ "$database" = ":memory:" ]; then
      echo "refused: DATABASE_URL names no SQLite file ($url)." >&2
      exit 2
    fi
    mkdir -p "$(dirname "$database")"
    echo "==> checking $file (PRAGMA integrity_check), then writing it to $database (sqlite3 Connection.backup)"
    "$PY" - "$file" "$database" <<'PY'
import pathlib, sqlite3, sys

backup_path, database_path = sys.argv[1:3]
try:
    backup = sqlite3.connect(pathlib.Path(backup_path).resolve().as_uri() + "?mode=ro", uri=True)
    check = backup.execute("PRAGMA integrity_check").fetchall()
except sqlite3.DatabaseError as exc:
    sys.exit(f"refused: {backup_path} is not a SQLite database ({exc}); nothing was changed.")
if check != [("ok",)]:
    sys.exit(f"refused: {backup_path} fails PRAGMA integrity_check ({check[:5]}); nothing was changed.")
tables = backup.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
target = sqlite3.connect(database_path, timeout=30)
backup.backup(target)  # replaces every page of the target under its write lock
backup.close()
check = target.execute("PRAGMA integrity_check").fetchall()
target.close()
if check != [("ok",)]:
    sys.exit(f"the restored database {database_path} fails PRAGMA integrity_check: {check[:5]}")
print(f"==> restored: {tables} tables in {database_path}")
PY
    ;;
  *)
    echo "refused: DATABASE_URL is neither PostgreSQL nor SQLite ($backend)." >&2
    exit 2
    ;;
esac
echo "==> attachment files kept in a directory or S3 store (ATTACHMENT_STORAGE) are not in the backup: put their copy back too, then check with: flask --app app attachments verify"

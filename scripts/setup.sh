#!/usr/bin/env bash
# Sets up everything on a fresh machine: Debian packages (Chromium, CJK fonts, Pango for WeasyPrint, poppler,
# postgresql-client for scripts/backup.sh and restore.sh) when run as root, a virtualenv in .venv and the Python
# packages of pyproject.toml (with the dev extras) at the exact versions of requirements.lock (pip constraints).
# Safe to run again: it only installs what is missing, and reinstalls when pyproject.toml or requirements.lock change.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(chromium fonts-wqy-zenhei poppler-utils libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libffi-dev
              postgresql-client)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "==> apt-get install ${missing[*]}"
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing system packages. Run as root:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-$(cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "==> pip install -e .[dev] -c requirements.lock"
  .venv/bin/pip install -q -c requirements.lock --upgrade pip >/dev/null 2>&1 || true
  if ! .venv/bin/pip install -q -e ".[dev]" -c requirements.lock >.venv/pip-install.log 2>&1; then
    grep -v "^WARNING: Location" .venv/pip-install.log >&2 || true
    echo "pip install failed. A requirement of pyproject.toml that requirements.lock cannot satisfy? Regenerate" \
         "the lock as its header says." >&2
    exit 1
  fi
  grep -v "^WARNING: Location" .venv/pip-install.log || true
  .venv/bin/python -c "import flask_appbuilder, weasyprint, python_calamine, playwright" 
  rm -f .venv/.installed-*
  touch "$stamp"
fi

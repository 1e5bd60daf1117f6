#!/usr/bin/env bash
# Rebuild the translation catalogs under translations/ (run after adding or changing any _l("…") / _("…")).
#
#   (a) extract our own msgids (babel.cfg: app.py, config.py, models/, views/, actions/, seed/, templates/)
#       into translations/messages.pot;
#   (b) `pybabel update` translations/zh and translations/en from it (created with --init-missing when absent),
#       then merge translations/zh/fab_overrides.po into the zh catalog;
#   (c) compile both catalogs to messages.mo (`pybabel compile -d translations`); the .mo files are committed
#       because the app loads them at runtime;
#   then report the en entries still untranslated (or fuzzy) and any Flask-AppBuilder string without Chinese.
#
# How the Flask-AppBuilder (FAB) strings survive updates: FAB's own zh catalog is incomplete, so the Chinese for
# FAB's English UI strings ("Show", "Edit record", "Page size", filter operators, login/user-info texts, flash
# messages …) is kept in the hand-maintained translations/zh/fab_overrides.po. Those msgids are not in our
# messages.pot, so `pybabel update --ignore-obsolete` drops them from zh/messages.po and step (b) then merges every
# entry of fab_overrides.po back in, replacing any entry with the same msgid. Edit FAB translations ONLY in
# fab_overrides.po (edits made in zh/LC_MESSAGES/messages.po are overwritten). Flask-Babel loads FAB's catalog
# first and ours second, so ours win.
#
# zh: our msgids are Chinese already, so their zh msgstr stays empty (shown as written; not put in the .mo).
# en: translate every msgid in translations/en/LC_MESSAGES/messages.po. Entries marked fuzzy by the update are NOT
#     compiled: review them, fix the msgstr and delete the "#, fuzzy" line. Obsolete en entries are kept (#~) so a
#     reworded string's old translation can be reused.
#
# Usage: scripts/translations.sh            (needs .venv; see scripts/setup.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

PYBABEL=${PYBABEL:-.venv/bin/pybabel}
PYTHON=${PYTHON:-.venv/bin/python}
DIR=translations
POT=$DIR/messages.pot
WIDTH=120
KEYWORDS=(-k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2)

# Snapshot of the current catalogs: a file whose only change is its creation/revision date is put back at the end,
# so running the script without string changes leaves git clean (the .mo header carries those dates too).
SNAPSHOT=$(mktemp -d)
trap 'rm -rf "$SNAPSHOT"' EXIT
for f in "$POT" "$DIR"/zh/LC_MESSAGES/messages.po "$DIR"/en/LC_MESSAGES/messages.po; do
  if [ -f "$f" ]; then mkdir -p "$SNAPSHOT/$(dirname "$f")" && cp -p "$f" "$SNAPSHOT/$f"; fi
done

echo "==> (a) extract -> $POT"
"$PYBABEL" -q extract -F babel.cfg "${KEYWORDS[@]}" -c TRANSLATORS: -w "$WIDTH" \
  --project="apprenticeship-filing" --version="0.1.0" -o "$POT" .

echo "==> (b) update zh and en"
"$PYBABEL" -q update -i "$POT" -d "$DIR" -l zh -w "$WIDTH" --init-missing --ignore-obsolete --no-fuzzy-matching
"$PYBABEL" -q update -i "$POT" -d "$DIR" -l en -w "$WIDTH" --init-missing

"$PYTHON" - "$DIR" "$WIDTH" <<'PY'
"""Merge zh/fab_overrides.po into zh/messages.po; clear the "fuzzy" header `pybabel init` sets (it blocks compile)."""
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

directory, width = Path(sys.argv[1]), int(sys.argv[2])


def load(path):
    with path.open("rb") as handle:
        return read_po(handle)


def save(catalog, path):
    with path.open("wb") as handle:
        write_po(handle, catalog, width=width)


for lang in ("zh", "en"):
    path = directory / lang / "LC_MESSAGES" / "messages.po"
    catalog = load(path)
    catalog.fuzzy = False
    if lang == "zh":
        overrides = load(directory / "zh" / "fab_overrides.po")
        merged = 0
        for message in overrides:
            if not message.id:
                continue
            if message.id in catalog:
                del catalog[message.id]
            catalog.obsolete.pop(message.id, None)
            message.auto_comments = ["Flask-AppBuilder string: edit it in translations/zh/fab_overrides.po"]
            catalog[message.id] = message
            merged += 1
        print(f"    zh: merged {merged} Flask-AppBuilder translations from fab_overrides.po")
    save(catalog, path)
PY

"$PYTHON" - "$SNAPSHOT" "$POT" "$DIR"/zh/LC_MESSAGES/messages.po "$DIR"/en/LC_MESSAGES/messages.po <<'PY'
"""Put back files whose only change is a POT-Creation-Date / PO-Revision-Date header line."""
import re
import shutil
import sys
from pathlib import Path

snapshot, files = Path(sys.argv[1]), sys.argv[2:]
DATES = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*$', re.M)
for name in files:
    old = snapshot / name
    if old.exists() and DATES.sub("", old.read_text("utf-8")) == DATES.sub("", Path(name).read_text("utf-8")):
        shutil.copy2(old, name)
PY

echo "==> (c) compile"
"$PYBABEL" compile -d "$DIR" --statistics

"$PYTHON" - "$DIR" <<'PY'
"""Report what a developer still has to translate."""
import sys
from pathlib import Path

import flask_appbuilder
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

directory = Path(sys.argv[1])


def load(path):
    with path.open("rb") as handle:
        return read_po(handle)


def done(message):
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings) and not message.fuzzy


en = load(directory / "en" / "LC_MESSAGES" / "messages.po")
todo = [m for m in en if m.id and not done(m)]
print(f"==> untranslated en entries: {len(todo)} (of {len([m for m in en if m.id])})")
for message in todo:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    print(f"    {'fuzzy ' if message.fuzzy else ''}{msgid}")

fab_dir = Path(flask_appbuilder.__file__).parent
method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "__": None}
fab_ids = {m if isinstance(m, str) else m[0]
           for _f, _l, m, _c, _x in extract_from_dir(str(fab_dir), method_map, keywords=keywords)}
zh_catalogs = [load(fab_dir / "translations" / "zh" / "LC_MESSAGES" / "messages.po"),
               load(directory / "zh" / "LC_MESSAGES" / "messages.po")]
missing = sorted(i for i in fab_ids if i and not any(c.get(i) is not None and done(c.get(i)) for c in zh_catalogs))
print(f"==> Flask-AppBuilder strings without Chinese: {len(missing)}")
for msgid in missing:
    print(f"    {msgid!r}  -> add it to translations/zh/fab_overrides.po")
PY

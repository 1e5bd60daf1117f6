"""Search inputs of the list screens: the one LIKE "contains" condition (``%`` and ``_`` typed by the user match
literally) and the parsing of date filter inputs (a Chinese message per bad field; the screen decides whether it
shows it under the field or as a notice, and the bad value is then ignored)."""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Mapping, Optional

from flask_babel import lazy_gettext as _l

from core.clock import local_day_end_utc, local_day_start_utc
from core.errors import ValidationFailed
from core.validators import parse_date

#: ``message(label, raw)`` → the text shown for a date input that is not a date.
BadDateMessage = Callable[[Any, str], Any]


def contains(column: Any, text: str) -> Any:
    """``column LIKE '%text%'`` with the wildcards ``%`` and ``_`` (and the escape character) in ``text`` matched
    literally (SQLAlchemy ``autoescape``). Case sensitivity is the database's (SQLite folds ASCII, PostgreSQL
    does not)."""
    return column.contains(text, autoescape=True)


def _escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def starts_with(column: Any, text: str) -> Any:
    """``column LIKE 'text%'`` (wildcards typed by the user match literally). The pattern is built here, not in
    SQL, so PostgreSQL sees a constant prefix and uses a ``text_pattern_ops`` index (issue 15)."""
    return column.like(_escaped(text) + "%", escape="/")


#: Typed text of at least this many characters is searched anywhere in a name; shorter text is a prefix.
CONTAINS_FROM = 3


def name_matches(column: Any, text: str) -> Any:
    """The name search of the person lists (issue 15): one or two characters find names *starting* with them (张 →
    张伟, 张三; a prefix is served by a btree pattern index), three or more find names *containing* them (served by
    the pg_trgm index where the extension exists, migration e6f7a8b9c0d1). A substring search of one character
    over a million names would read them all for a list nobody can use."""
    if len(text) >= CONTAINS_FROM:
        return contains(column, text)
    return starts_with(column, text)


def bad_date_message(label: Any, raw: str) -> Any:
    """The default message for a bad date input (the wording of 办理结果)."""
    return _l("%(label)s格式不正确，应为 YYYY-MM-DD", label=label)


def parse_day(raw: Any) -> Optional[date]:
    """A date typed in a filter (``YYYY-MM-DD``, ``YYYY/M/D``, ``YYYY年M月D日`` … as ``core.validators.parse_date``);
    ``None`` when empty.

    :raises ValidationFailed: not a date.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_date(raw)


def parse_days(values: Mapping[str, Any], labels: Mapping[str, Any],
               message: BadDateMessage = bad_date_message) -> tuple[dict[str, date], dict[str, str]]:
    """Parse the date inputs named by ``labels`` (key → field label) out of ``values``.

    Returns ``({key: date}, {key: message})``: empty inputs are in neither, a bad one only in the second with
    ``message(label, raw)`` as text.
    """
    days: dict[str, date] = {}
    errors: dict[str, str] = {}
    for key, label in labels.items():
        raw = values.get(key)
        try:
            day = parse_day(raw)
        except ValidationFailed:
            errors[key] = str(message(label, str(raw).strip()))
            continue
        if day is not None:
            days[key] = day
    return days, errors


def timestamp_on_days(column: Any, first: Optional[date], last: Optional[date]) -> list:
    """Conditions on a stored naive-UTC timestamp ``column``: on or after ``first`` and up to and including
    ``last``, both calendar days in Asia/Shanghai (either may be ``None``)."""
    out = []
    if first is not None:
        out.append(column >= local_day_start_utc(first))
    if last is not None:
        out.append(column < local_day_end_utc(last))
    return out


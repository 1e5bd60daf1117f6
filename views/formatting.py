"""How plain values read on Chinese screens: no "None"/"True"/"False" leaking from Jinja."""
from __future__ import annotations

from typing import Any

from flask_babel import gettext


def display_value(value: Any) -> Any:
    """Empty for None, 是/否 for booleans, the value itself otherwise."""
    if value is None:
        return ""
    if value is True:
        return gettext("是")
    if value is False:
        return gettext("否")
    return value


def plain_formatters(*column_lists: list[str] | None, existing: dict | None = None) -> dict:
    """FAB ``formatters_columns`` applying ``display_value`` to every listed column not already formatted."""
    out = dict(existing or {})
    for columns in column_lists:
        for column in columns or []:
            out.setdefault(column, display_value)
    return out

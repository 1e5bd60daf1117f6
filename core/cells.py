"""Spreadsheet cells written from data (exports, templates' option lists, annotated error workbooks): a text that a
spreadsheet program would run as a formula (OWASP CSV / formula injection) is written with a leading apostrophe."""
from __future__ import annotations

from typing import Any

#: First characters that make a spreadsheet read a text as a formula.
FORMULA_PREFIXES = "=+-@\t\r"


def neutralise(value: Any) -> Any:
    """``value`` unchanged, unless it is a text a spreadsheet would read as a formula (= + - @, tab, CR first):
    then with a leading ``'``."""
    if isinstance(value, str) and value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value

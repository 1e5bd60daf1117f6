"""SQL fragments the scale generator (seed/scale.py) writes in both dialects: a number series, date arithmetic,
zero padding and the GB 11643 check digit computed inside the database.

The generator builds every large table with one ``INSERT … SELECT`` over a series of numbers ``s(n)``: on PostgreSQL
``generate_series``, on SQLite a recursive CTE (the same statement shape; SQLite runs it in a single pass without a
Python round trip per row). Everything here returns SQL text; numbers are formatted in, never user input.
"""
from __future__ import annotations


#: GB 11643-1999 weights of the first 17 digits and the check characters by (weighted sum mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECKS = "10X98765432"


class Dialect:
    """The few spellings that differ between PostgreSQL and SQLite."""

    def __init__(self, name: str):
        if name not in ("postgresql", "sqlite"):
            raise ValueError(f"seed scale: unsupported database {name}")
        self.pg = name == "postgresql"

    def series(self, count: int, name: str = "s") -> str:
        """A CTE ``name(n)`` of the numbers 1..count (to put after WITH / WITH RECURSIVE)."""
        count = int(count)
        if self.pg:
            return f"{name}(n) AS (SELECT generate_series(1, {count}))"
        return f"{name}(n) AS (SELECT 1 WHERE {count} >= 1 UNION ALL SELECT n + 1 FROM {name} WHERE n < {count})"

    def with_series(self, count: int, name: str = "s") -> str:
        return ("WITH " if self.pg else "WITH RECURSIVE ") + self.series(count, name)

    def add_days(self, date_expr: str, days_expr: str) -> str:
        """``date_expr`` plus a non-negative number of days, as a date."""
        if self.pg:
            return f"(CAST({date_expr} AS date) + CAST({days_expr} AS integer))"
        return f"date({date_expr}, '+' || ({days_expr}) || ' days')"

    def sub_days(self, date_expr: str, days: int) -> str:
        if self.pg:
            return f"(CAST({date_expr} AS date) - {int(days)})"
        return f"date({date_expr}, '-{int(days)} days')"

    def dates_json(self, start_expr: str, end_expr: str) -> str:
        """``{"start_date": "YYYY-MM-DD", "end_date": …}`` as a change request of class dates keeps them."""
        if self.pg:
            return (f"json_build_object('start_date', CAST({start_expr} AS text), "
                    f"'end_date', CAST({end_expr} AS text))")
        return f"json_object('start_date', {start_expr}, 'end_date', {end_expr})"

    def add_minutes(self, ts_expr: str, minutes_expr: str) -> str:
        """``ts_expr`` (a timestamp or date) plus a non-negative number of minutes, as a timestamp."""
        if self.pg:
            return f"(CAST({ts_expr} AS timestamp) + ({minutes_expr}) * INTERVAL '1 minute')"
        return f"datetime({ts_expr}, '+' || ({minutes_expr}) || ' minutes')"

    def yyyymmdd(self, date_expr: str) -> str:
        if self.pg:
            return f"to_char({date_expr}, 'YYYYMMDD')"
        return f"strftime('%Y%m%d', {date_expr})"

    def year(self, date_expr: str) -> str:
        if self.pg:
            return f"CAST(extract(year FROM {date_expr}) AS integer)"
        return f"CAST(strftime('%Y', {date_expr}) AS integer)"

    def pad(self, expr: str, width: int) -> str:
        """A non-negative integer as text, zero-padded on the left to ``width`` digits."""
        if self.pg:
            return f"lpad(CAST({expr} AS text), {int(width)}, '0')"
        return f"printf('%0{int(width)}d', {expr})"

    def json(self, literal: str) -> str:
        quoted = literal.replace("'", "''")
        return f"CAST('{quoted}' AS json)" if self.pg else f"'{quoted}'"

    def true(self) -> str:
        return "TRUE" if self.pg else "1"

    def false(self) -> str:
        return "FALSE" if self.pg else "0"

    def id_check(self, base_expr: str) -> str:
        """The GB 11643 check character of the 17-digit text ``base_expr`` (a column of a subquery)."""
        terms = " + ".join(f"CAST(substr({base_expr}, {i + 1}, 1) AS integer) * {w}"
                           for i, w in enumerate(ID_WEIGHTS))
        return f"substr('{ID_CHECKS}', (({terms}) % 11) + 1, 1)"

    def pick(self, choices: str, index_expr: str) -> str:
        """One character of ``choices`` (Chinese text is fine: substr counts characters in both databases)."""
        return f"substr('{choices}', (({index_expr}) % {len(choices)}) + 1, 1)"

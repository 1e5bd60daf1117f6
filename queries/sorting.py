"""Server-side sorting of a list screen by a whitelisted column (issue 12): the URL carries ``sort=<key>`` and
``dir=asc|desc``; a key that is not in the screen's whitelist is ignored (the screen's default order), a bad
``dir`` gives the column's first direction. Rows whose sort value is NULL (a draft's 提交时间 or 备案编号) come
last in both directions, and ties are broken by id in the same direction so pages never overlap."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from sqlalchemy import case, literal_column

DIRECTIONS = ("asc", "desc")


@dataclass(frozen=True)
class SortColumn:
    """One sortable column: the SQL expressions it orders by and the direction of a first click."""

    expressions: Sequence[Any]
    first: str = "asc"


@dataclass(frozen=True)
class Sort:
    """The chosen order of a list: ``key`` is ``""`` for the screen's default order."""

    key: str = ""
    direction: str = "asc"

    @classmethod
    def from_args(cls, args: Mapping[str, Any], columns: Mapping[str, SortColumn]) -> "Sort":
        key = str(args.get("sort") or "").strip()
        if key not in columns:
            return cls()
        direction = str(args.get("dir") or "").strip().lower()
        return cls(key, direction if direction in DIRECTIONS else columns[key].first)

    def as_args(self) -> dict[str, str]:
        """The URL arguments that keep this order (none for the default order)."""
        return {"sort": self.key, "dir": self.direction} if self.key else {}

    def toggled(self, key: str, columns: Mapping[str, SortColumn]) -> "Sort":
        """The order a click on the header of ``key`` asks for: the other direction when it is the current
        column, else the column's first direction."""
        if key == self.key:
            return Sort(key, "desc" if self.direction == "asc" else "asc")
        return Sort(key, columns[key].first)

    def order_by(self, columns: Mapping[str, SortColumn], tie_breaker: Any) -> Optional[list]:
        """ORDER BY terms of the chosen column (NULLs last, then ``tie_breaker``); ``None`` for the default."""
        if not self.key:
            return None
        column = columns[self.key]
        terms = [(e.desc() if self.direction == "desc" else e.asc()).nulls_last() for e in column.expressions]
        return [*terms, tie_breaker.desc() if self.direction == "desc" else tie_breaker.asc()]


def code_order(column: Any, codes: Sequence[str]) -> Any:
    """A CASE giving each code its position in ``codes`` (statuses sort in workflow order, not alphabetically)."""
    return case({code: position for position, code in enumerate(codes)}, value=column, else_=len(codes))


def pending_first(status_column: Any, pending: str = "SUBMITTED") -> Any:
    """0 for a row waiting for review, 1 for the others — the first key of the review queues' default order.

    Its constants are written inline, not bound: ``CASE WHEN (filing.status = 'SUBMITTED') THEN 0 ELSE 1 END`` is then
    the very expression of the queue indexes of migration e6f7a8b9c0d1, which PostgreSQL and SQLite match only
    textually (issue 15: the queue sorted every filing in scope for each page; the index serves the page at once)."""
    if not pending.isalpha():  # inlined into SQL: only status codes
        raise ValueError(pending)
    return case((status_column == literal_column(f"'{pending}'"), literal_column("0")), else_=literal_column("1"))

"""One paging helper for every list screen: a page number as typed in the URL is clamped into range, the page is
one COUNT plus one SELECT (LIMIT/OFFSET) whatever the page size, and the pager's page links are derived here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

#: Largest page number taken from a URL before clamping (keeps absurd inputs out of the arithmetic).
MAX_PAGE_INPUT = 10**9

Rows = Literal["scalars", "rows", "mappings"]


def page_number(raw: Any) -> int:
    """A page number from user input: anything that is not a positive integer gives 1 (``"x"``, ``""``, ``None``,
    ``-3``, ``"1.5"``); huge numbers are capped at ``MAX_PAGE_INPUT`` (``clamp_page`` then brings them in range)."""
    if isinstance(raw, bool):
        return 1
    if isinstance(raw, int):
        number = raw
    else:
        text = ("" if raw is None else str(raw)).strip()
        digits = text[1:] if text[:1] in ("+", "-") else text
        if not digits.isdecimal():
            return 1
        if len(digits) > 18:  # out of range anyway (and Python refuses int() of thousands of digits)
            return 1 if text.startswith("-") else MAX_PAGE_INPUT
        number = int(text)
    return min(max(number, 1), MAX_PAGE_INPUT)


def page_count(total: int, page_size: int) -> int:
    """Number of pages for ``total`` rows (at least 1: an empty list still shows page 1 of 1)."""
    return max(1, -(-max(total, 0) // max(page_size, 1)))


def clamp_page(raw: Any, pages: int) -> int:
    """``raw`` (user input) as a page number within 1 … ``pages``: past the end gives the last page."""
    return min(page_number(raw), max(pages, 1))


def page_numbers(page: int, pages: int) -> list[int]:
    """Page links around the current page: 1 … p-2 … p+2 … last (0 marks a gap)."""
    shown = sorted({1, pages, *range(max(1, page - 2), min(pages, page + 2) + 1)})
    out: list[int] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(0)
        out.append(n)
    return out


@dataclass
class Page:
    """One page of a list: its rows and where it is (``page`` is already clamped into 1 … ``pages``)."""

    items: list
    total: int
    page: int
    pages: int
    page_size: int
    #: the count stopped at its cap: there are more than ``total`` rows (shown "10,000+"; issue 15)
    capped: bool = False

    @property
    def offset(self) -> int:
        """How many rows come before this page (the row number of the first item is ``offset + 1``)."""
        return (self.page - 1) * self.page_size

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def numbers(self) -> list[int]:
        """The page links to show (see ``page_numbers``)."""
        return page_numbers(self.page, self.pages)


#: Default cap of the counts that would cost more than the page they decorate (issue 15: a province-wide list of
#: a million trainees counted every row for the "共 N 条" line). Beyond it the list says "10,000+".
COUNT_CAP = 10_000


def capped_count_of(rows: Select, cap: int = COUNT_CAP) -> Select:
    """``SELECT count(*)`` of at most ``cap + 1`` rows of ``rows`` (which should select one narrow column):
    the database stops reading once it knows there are more than ``cap``."""
    return select(func.count()).select_from(rows.order_by(None).limit(cap + 1).subquery())


def count_of(stmt: Select) -> Select:
    """``SELECT count(*)`` of the rows of ``stmt`` (its ORDER BY dropped)."""
    return select(func.count()).select_from(stmt.order_by(None).subquery())


def paginate(session: Session, stmt: Select, page: Any, page_size: int, count_stmt: Optional[Select] = None, *,
             rows: Rows = "scalars", count_cap: Optional[int] = None) -> Page:
    """Run one page of ``stmt`` (already ordered): one COUNT (``count_stmt`` or a count over ``stmt``) and one
    LIMIT/OFFSET SELECT — two statements whatever the page size.

    ``page`` is user input (clamped: garbage and negatives give 1, past the end gives the last page). ``rows``
    says what the items are: ``"scalars"`` (entities, de-duplicated after joined eager loads), ``"rows"``
    (tuples, de-duplicated likewise) or ``"mappings"`` (dict-like rows of plain columns). With ``count_cap`` the
    count statement is expected to stop at ``count_cap + 1`` (``capped_count_of``): more rows than the cap give
    ``capped=True`` and the pages of the first ``count_cap`` rows.
    """
    page_size = max(int(page_size), 1)
    total = session.scalar(count_stmt if count_stmt is not None else count_of(stmt)) or 0
    capped = count_cap is not None and total > count_cap
    if capped:
        total = count_cap  # the pages of the first ``count_cap`` rows; narrow the search to reach the others
    pages = page_count(total, page_size)
    number = clamp_page(page, pages)
    limited = stmt.limit(page_size).offset((number - 1) * page_size)
    if rows == "scalars":
        items = list(session.scalars(limited).unique().all())
    elif rows == "rows":
        items = list(session.execute(limited).unique().all())
    elif rows == "mappings":
        items = list(session.execute(limited).mappings())
    else:
        raise ValueError(f"rows must be scalars, rows or mappings, not {rows!r}")
    return Page(items=items, total=total, page=number, pages=pages, page_size=page_size, capped=capped)

"""统计分析 as Excel (issue 14 tables, issue 15 "statistics exports run as jobs"): the one writer of the xlsx of the
figures of ``queries.statistics.FIGURES``.

- ``figure_workbook``: one figure's table (the 导出 Excel link under each card; a handful of aggregate rows, answered
  in the request);
- ``write_all_figures``: every figure of the dashboard in one workbook, one sheet per figure, in the dashboard's
  order — the 导出全部报表 background job (``services.job_kinds``), with progress per figure.

Each sheet: the title, the filter (city and dates) with what the dates apply to, the header, the rows. Texts are
neutralised (``core.cells``: a cell starting with = + - @ is never read as a formula); counts are integers and money
numbers with two decimals. openpyxl's write-only mode: rows go to the file as they are appended.
"""
from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any, BinaryIO, Callable, Optional, Union

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.orm import Session

from core.cells import neutralise
from models.scope import Actor
from queries import statistics as stats

#: Characters Excel refuses in a sheet name; a sheet name has at most 31 characters.
_SHEET_NAME_REFUSED = re.compile(r"[\[\]:*?/\\]")


def filter_text(filters: stats.StatFilters, city_name: Optional[str]) -> str:
    """统计范围：广州市；日期：2026-01-01 — 不限 (the line under each title, also on the dashboard)."""
    period = "{} — {}".format(filters.first.isoformat() if filters.first else str(_l("不限")),
                              filters.last.isoformat() if filters.last else str(_l("不限")))
    return str(_l("统计范围：%(city)s；日期：%(period)s", city=city_name or _l("全省"), period=period))


def scope_city_name(session: Session, actor: Actor, filters: stats.StatFilters) -> Optional[str]:
    """The name of the filter's city (``None``: the province)."""
    if not filters.city_code:
        return None
    return dict(stats.cities(session, actor)).get(filters.city_code)


def sheet_name(title: Any, taken: set[str]) -> str:
    """A valid, unique sheet name from a figure's title."""
    base = _SHEET_NAME_REFUSED.sub("", str(title))[:31] or str(_l("统计"))
    name, n = base, 2
    while name in taken:
        suffix = f"({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


def _append_figure(book: Workbook, name: str, figure: stats.Figure, rows: list[dict], scope_line: str) -> None:
    columns = figure.shown_columns()
    sheet = book.create_sheet(name)
    sheet.append([neutralise(str(figure.title))])
    sheet.append([neutralise(scope_line), neutralise(str(figure.date_basis))])
    sheet.append([str(column.label) for column in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = stats.cell_text(column, row)
            if column.kind == "money":
                cell = WriteOnlyCell(sheet, value=Decimal(value))
                cell.number_format = "#,##0.00"
                cells.append(cell)
            elif column.kind == "count":
                cells.append(int(value or 0))
            else:
                cells.append(neutralise("" if value is None else str(value)))
        sheet.append(cells)


def figure_workbook(figure: stats.Figure, rows: list[dict], filters: stats.StatFilters,
                    city_name: Optional[str]) -> bytes:
    """One figure's table as an xlsx."""
    book = Workbook(write_only=True)
    _append_figure(book, str(_l("统计")), figure, rows, filter_text(filters, city_name))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_all_figures(session: Session, actor: Actor, filters: stats.StatFilters, target: Union[str, BinaryIO],
                      on_figure: Optional[Callable[[int, int, stats.Figure], None]] = None) -> int:
    """Every figure in ``actor``'s scope and ``filters`` into ``target`` (a path or a binary file), one sheet each;
    ``on_figure(done, total, figure)`` after each. Returns the number of sheets."""
    scope_line = filter_text(filters, scope_city_name(session, actor, filters))
    figures = list(stats.FIGURES.values())
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for done, figure in enumerate(figures, start=1):
        rows = stats.figure_rows(session, actor, figure, filters)
        _append_figure(book, sheet_name(figure.title, taken), figure, rows, scope_line)
        if on_figure is not None:
            on_figure(done, len(figures), figure)
    book.save(target)
    return len(figures)

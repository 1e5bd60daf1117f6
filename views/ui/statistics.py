"""统计分析 (issue 14; DESIGN §6: the reviewer's city, the admin's province with a city filter).

- ``/statistics/``: the filter form (开始日期 / 结束日期, the admin's 地市 select) and one card per figure of
  ``queries.statistics.FIGURES``: an ECharts chart drawn by ``static/statistics.js`` from the JSON of
  ``GET /api/v1/statistics/<name>`` (the same arguments) and the same numbers as an HTML table (caption, th scope;
  the table is what screen readers and printing use), with the link to its xlsx;
- ``/statistics/export/<name>.xlsx``: the table of one figure as an xlsx (cells neutralised: ``core.cells``).

Reads only (``queries.statistics``). Bad dates: the form again with the message under the field (422); a city out of
the user's scope or unknown: 404; the enterprise role has no ``Statistics`` permission (403).
"""
from __future__ import annotations

import io
import json
from typing import Optional

from flask import abort, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from core.clock import format_local, today
from core.errors import NotFound, ValidationFailed
from models.base import db
from models.scope import current_actor
from queries import statistics as stats
from views.api.imports import download


def export_workbook(figure: stats.Figure, rows: list[dict], filters: stats.StatFilters,
                    city_name: Optional[str]) -> bytes:
    """One figure's table as an xlsx: a title line, the filter, the header and the rows (openpyxl write-only;
    texts neutralised so no cell is read as a formula; counts and money as numbers)."""
    from decimal import Decimal

    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from core.cells import neutralise

    columns = figure.shown_columns()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_l("统计")))
    sheet.append([neutralise(str(figure.title))])
    sheet.append([neutralise(_filter_text(filters, city_name)), neutralise(str(figure.date_basis))])
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
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _filter_text(filters: stats.StatFilters, city_name: Optional[str]) -> str:
    period = "{} — {}".format(filters.first.isoformat() if filters.first else str(_l("不限")),
                              filters.last.isoformat() if filters.last else str(_l("不限")))
    return str(_l("统计范围：%(city)s；日期：%(period)s", city=city_name or _l("全省"), period=period))


class StatisticsView(BaseView):
    """统计分析: the dashboard and the per-figure xlsx."""

    route_base = "/statistics"
    default_view = "dashboard"
    class_permission_name = "Statistics"
    method_permission_name = {"dashboard": "read", "export": "read"}

    def _filters(self):
        """(filters, errors) of the request; an unknown or foreign city: 404."""
        actor = current_actor()
        try:
            return stats.parse_filters(db.session, actor, request.args), {}
        except ValidationFailed as error:
            return None, {item.field: str(item.message) for item in error.errors}
        except NotFound:
            abort(404)

    @expose("/")
    @has_access
    def dashboard(self):
        actor = current_actor()
        if not (actor.is_admin or actor.is_reviewer):
            abort(403)
        filters, errors = self._filters()
        cities = stats.cities(db.session, actor)
        cards = []
        stamps: dict = {}  # the pre-aggregate's time, read once for the cards that share it
        if filters is not None:
            for figure in stats.FIGURES.values():
                query = filters.as_args()
                if figure.refreshed not in stamps:
                    stamps[figure.refreshed] = stats.refreshed_at(db.session, figure)
                refreshed = stamps[figure.refreshed]
                cards.append({
                    "figure": figure, "columns": figure.shown_columns(),
                    "rows": stats.figure_rows(db.session, actor, figure, filters),
                    "chart": json.dumps(figure.chart.as_dict(figure.columns), ensure_ascii=False),
                    "api_url": url_for("StatisticsApi.figure", name=figure.name, **query),
                    "export_url": url_for("StatisticsView.export", name=figure.name, **query),
                    "refreshed_at": format_local(refreshed) if refreshed else None,
                })
        values = {key: (request.args.get(key) or "").strip()[:40] for key in ("from", "to", "city_code")}
        if actor.is_reviewer:
            values["city_code"] = actor.city_code
        city_name = dict(cities).get(filters.city_code) if filters and filters.city_code else None
        html = self.render_template(
            "statistics/dashboard.html", cards=cards, cities=cities, values=values, errors=errors,
            is_admin=actor.is_admin, today=today(),
            scope_text=_filter_text(filters, city_name) if filters else "",
            stats=stats)
        return html, (422 if errors else 200)

    @expose("/export/<name>.xlsx")
    @has_access
    def export(self, name: str):
        actor = current_actor()
        figure = stats.figure_or_none(name)
        if figure is None or not (actor.is_admin or actor.is_reviewer):
            abort(404)
        filters, errors = self._filters()
        if filters is None:
            from views.errors import _render

            return _render(422, _l("日期格式不正确"), "；".join(errors.values()))
        rows = stats.figure_rows(db.session, actor, figure, filters)
        city_name = dict(stats.cities(db.session, actor)).get(filters.city_code) if filters.city_code else None
        content = export_workbook(figure, rows, filters, city_name)
        file_name = f"{figure.title}-{city_name or _l('全省')}-{today():%Y%m%d}.xlsx"
        return download(content, str(file_name), f"statistics_{figure.name}.xlsx")

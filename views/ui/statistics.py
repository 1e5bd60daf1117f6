"""统计分析 (issue 14; DESIGN §6: the reviewer's city, the admin's province with a city filter).

- ``/statistics/``: the filter form (开始日期 / 结束日期, the admin's 地市 select) and one card per figure of
  ``queries.statistics.FIGURES``: an ECharts chart drawn by ``static/statistics.js`` from the JSON of
  ``GET /api/v1/statistics/<name>`` (the same arguments) and the same numbers as an HTML table (caption, th scope;
  the table is what screen readers and printing use), with the link to its xlsx;
- ``/statistics/export/<name>.xlsx``: the table of one figure as an xlsx (``services.statistics_export``);
- ``POST /statistics/export_all``: 导出全部报表 — every figure in one workbook as a background job (issue 15): the
  progress page, then the file in 我的下载.

Reads only (``queries.statistics``). Bad dates: the form again with the message under the field (422); a city out of
the user's scope or unknown: 404; the enterprise role has no ``Statistics`` permission (403).
"""
from __future__ import annotations

import json

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from core.clock import format_local, today
from core.errors import NotFound, ValidationFailed
from models.base import db
from models.scope import current_actor
from queries import statistics as stats
from services import statistics_export
from views.api.imports import download
from views.api.jobs import start_job


class StatisticsView(BaseView):
    """统计分析: the dashboard and the per-figure xlsx."""

    route_base = "/statistics"
    default_view = "dashboard"
    class_permission_name = "Statistics"
    method_permission_name = {"dashboard": "read", "export": "read", "export_all": "read"}

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
            scope_text=statistics_export.filter_text(filters, city_name) if filters else "",
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
        city_name = statistics_export.scope_city_name(db.session, actor, filters)
        content = statistics_export.figure_workbook(figure, rows, filters, city_name)
        file_name = f"{figure.title}-{city_name or _l('全省')}-{today():%Y%m%d}.xlsx"
        return download(content, str(file_name), f"statistics_{figure.name}.xlsx")

    @expose("/export_all", methods=["POST"])
    @has_access
    def export_all(self):
        """导出全部报表: every figure of the filter in one workbook, as a background job (the progress page, then
        the file, also in 我的下载). Bad dates or a foreign city: the dashboard again with the message."""
        actor = current_actor()
        if not (actor.is_admin or actor.is_reviewer):
            abort(403)
        try:
            filters = stats.parse_filters(db.session, actor, request.form)
        except ValidationFailed as error:
            flash("；".join(str(item.message) for item in error.errors), "danger")
            return redirect(url_for("StatisticsView.dashboard"))
        except NotFound:
            abort(404)
        public_id, error = start_job("statistics_xlsx", filters.as_args())
        if error is not None:
            flash(str(error.message), "danger")
            return redirect(url_for("StatisticsView.dashboard", **filters.as_args()))
        return redirect(url_for("DownloadsView.progress", job_id=public_id))

"""工作日历 → 导入全年安排 (R19): the provincial admin uploads the year's holiday schedule (日期, 放假/调休上班, 备注);
all or nothing, every problem named by row and column; the deadlines of R15 then use it (actions/calendar.py)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from actions.calendar import import_holidays
from core.clock import today
from core.errors import ValidationFailed
from imports import holidays, reader
from models.scope import current_actor
from views.api.imports import download, import_limits
from views.glue import attempt
from views.ui.forms import abort_for


class WorkdayImportView(BaseView):
    """导入全年安排 (admin only: the 工作日历 permission)."""

    route_base = "/workdays"
    default_view = "upload"
    class_permission_name = "WorkdayOverride"
    method_permission_name = {"upload": "write", "template": "read"}

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def upload(self):
        errors, message, status = [], None, 200
        if request.method == "POST":
            upload = request.files.get("file")
            content = upload.read() if upload else b""
            name = upload.filename if upload else ""
            try:
                parsed = reader.read_workbook(content, name or "", holidays.COLUMNS, sheet_hint=holidays.SHEET,
                                              **import_limits())
                rows = [{"row": row.number, **row.values} for row in parsed.rows]
                error, result = attempt(import_holidays, current_actor(), rows)
            except ValidationFailed as exc:
                error, result = exc, None
            if error is None:
                flash(str(_l("已导入 %(year)d 年的工作日历安排 %(n)d 天（替换原有 %(old)d 天）", year=result["year"],
                             n=result["days"], old=result["replaced"])), "success")
                return redirect(url_for("WorkdayOverrideView.list"))
            abort_for(error)
            errors, message, status = error.errors, error.message, error.status_code
        return self.render_template("workdays/import.html", errors=errors, message=message,
                                    next_year=today().year + 1, columns=holidays.COLUMNS), status

    @expose("/import/template")
    @has_access
    def template(self):
        year = request.args.get("year", type=int) or today().year + 1
        year = min(max(year, 2000), 2100)
        return download(holidays.template_bytes(year), f"工作日历{year}.xlsx", f"workdays_{year}.xlsx")


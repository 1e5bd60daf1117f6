"""培训情况跟踪 (manual §3.2.1.5 / §3.2.2.5, R18, R24): one screen for both programme menus and the city.

- ``/tracking/<programme>`` (enterprise menus): the classes of the enterprise's APPROVED (and CANCELLED) filings of
  the programme — 备案编号 (to the read-only filing), 职业, 等级, dates, headcount, configured courses, attendance
  rate, status; filters 备案编号 / 职业 / 培训期间 / 状态. ``/tracking/`` (审核管理 → 培训情况跟踪): the same list for
  the reviewer's city (the admin: the province), read-only.
- ``/tracking/class/<id>`` 【查看考勤】: the tabs 培训教师考勤 / 培训学员考勤 / 培训课程考勤 (worst first), each with a
  drill-down to the person's check-in records and an xlsx export.
- Row actions of the class come from the transition table (screen ``tracking``): actions without inputs are the
  ``_row_actions`` buttons; an action with inputs (【注销培训班】: reason) has its own form page
  (``/tracking/class/<id>/form/<action>``) posting to ``/tracking/class/<id>/do/<action>`` →
  ``views.ui.row_actions.dispatch``.
Reads only through ``queries.attendance``; every write through the transition runner.
"""
from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Optional

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from core.clock import format_local, today
from core.errors import NotFound
from models.base import db
from models.enums import AttendanceSource, ClassStatus, FilingStatus, Programme, TeacherKind, TraineeStatus
from models.filing import Teacher, Trainee, TrainingClass
from models.scope import current_actor, load_scoped
from queries import attendance as aq
from queries.filings import active_occupations
from views.api.imports import download
from views.ui.forms import error_map, programme_or_404
from views.ui.row_actions import dispatch, offered, transition_or_404

TAB_LABELS = {"teachers": _l("培训教师考勤"), "trainees": _l("培训学员考勤"), "courses": _l("培训课程考勤")}
PERSON_TABS = {"teachers": Teacher, "trainees": Trainee}
SCREEN = "tracking"


def _percent(value: Optional[float]) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _back_url(training_class: TrainingClass) -> str:
    """The list the class was reached from: the programme's list (enterprise) or the city's (reviewer, admin)."""
    if current_actor().is_enterprise:
        return url_for("TrackingView.programme_list", programme=training_class.filing.programme)
    return url_for("TrackingView.city")


def load_tracked_class(class_id: int) -> TrainingClass:
    """The class through the scope, of a tracked (APPROVED / CANCELLED) filing; anything else 404."""
    try:
        training_class = load_scoped(db.session, TrainingClass, class_id, current_actor())
    except NotFound:
        abort(404)
    if training_class.filing.status not in aq.TRACKED_FILINGS:
        abort(404)
    return training_class


def _export_columns(tab: str) -> list[tuple]:
    """(header, key, kind) of a tab's workbook: s text, n number, p percent."""
    if tab == "courses":
        return [(_l("课程名称"), "name", "s"), (_l("培训日期"), "start_date", "s"), (_l("授课教师"), "teacher", "s"),
                (_l("课时"), "hours", "n"), (_l("应到人数"), "expected", "n"), (_l("实到人数"), "present", "n"),
                (_l("出勤率"), "rate", "p")]
    return [(_l("姓名"), "name", "s"), (_l("身份证号码"), "id_number", "s"), (_l("已出勤课时"), "attended_hours", "n"),
            (_l("应出勤课时"), "due_hours", "n"), (_l("出勤率"), "rate", "p")]


def export_workbook(rows: list[dict], tab: str) -> bytes:
    """One tab as an xlsx (openpyxl write-only; texts neutralised so no cell is read as a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from core.cells import neutralise

    columns = _export_columns(tab)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(TAB_LABELS[tab]))
    sheet.append([str(header) for header, _, _ in columns])
    for row in rows:
        cells = []
        for _, key, kind in columns:
            value = row.get(key)
            if kind == "s":
                cells.append(neutralise("" if value is None else str(value)))
            elif kind == "p":
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.0%"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class TrackingView(BaseView):
    """培训情况跟踪: the class list, 查看考勤 with its tabs and records, exports, the class's row actions."""

    route_base = "/tracking"
    default_view = "city"
    class_permission_name = "TrainingClass"
    method_permission_name = {"city": "read", "programme_list": "read", "attendance": "read", "records": "read",
                              "export": "read", "action_form": "write", "class_action": "write"}

    def _list(self, programme: Optional[str], endpoint: str, endpoint_args: dict):
        filters = aq.TrackingFilters.from_args(programme, request.args)
        found = aq.tracking_page(db.session, current_actor(), filters, request.args.get("page", 1))
        for item in found.items:
            # the class's row actions (transition table, screen "tracking") need only its id and status
            item["row"] = SimpleNamespace(id=item["id"], status=item["status"])
        args = filters.as_args()
        return self.render_template(
            "tracking/list.html", programme=programme,
            programme_label=Programme.label(programme) if programme else None, found=found, filters=filters,
            occupations=active_occupations(db.session), ClassStatus=ClassStatus, FilingStatus=FilingStatus,
            percent=_percent, read_only=not current_actor().is_enterprise,
            list_url=url_for(endpoint, **endpoint_args),
            page_url=lambda n: url_for(endpoint, page=n, **endpoint_args, **args))

    @expose("/")
    @has_access
    def city(self):
        """审核管理 → 培训情况跟踪: every programme of the reviewer's city (admin: all), read-only."""
        actor = current_actor()
        if not (actor.is_reviewer or actor.is_admin):
            abort(403)
        return self._list(None, "TrackingView.city", {})

    @expose("/<programme>")
    @has_access
    def programme_list(self, programme: str):
        programme = programme_or_404(programme)
        return self._list(programme, "TrackingView.programme_list", {"programme": programme})

    # -- 查看考勤 ---------------------------------------------------------------------------------------------
    @expose("/class/<int:class_id>")
    @has_access
    def attendance(self, class_id: int):
        training_class = load_tracked_class(class_id)
        tab = request.args.get("tab", "trainees")
        if tab not in TAB_LABELS:
            tab = "trainees"
        found = aq.tab_page(db.session, training_class, tab, request.args.get("page", 1))
        return self.render_template(
            "tracking/attendance.html", cls=training_class, filing=training_class.filing, tab=tab, found=found,
            tabs=TAB_LABELS, percent=_percent, today=today(), ClassStatus=ClassStatus,
            status_label=TraineeStatus.label, kind_label=TeacherKind.label,
            programme_label=Programme.label(training_class.filing.programme), back_url=_back_url(training_class),
            page_url=lambda n: url_for("TrackingView.attendance", class_id=class_id, tab=tab, page=n))

    @expose("/class/<int:class_id>/<tab>/<int:person_id>")
    @has_access
    def records(self, class_id: int, tab: str, person_id: int):
        training_class = load_tracked_class(class_id)
        model = PERSON_TABS.get(tab)
        if model is None:
            abort(404)
        person = db.session.get(model, person_id)
        if person is None or person.filing_id != training_class.filing_id:
            abort(404)
        role = "trainee" if tab == "trainees" else "teacher"
        found = aq.records_page(db.session, training_class, role, person_id, request.args.get("page", 1))
        return self.render_template(
            "tracking/records.html", cls=training_class, filing=training_class.filing, person=person, tab=tab,
            tab_label=TAB_LABELS[tab], found=found, source_label=AttendanceSource.label, format_local=format_local,
            programme_label=Programme.label(training_class.filing.programme),
            page_url=lambda n: url_for("TrackingView.records", class_id=class_id, tab=tab, person_id=person_id,
                                       page=n))

    @expose("/class/<int:class_id>/export/<tab>.xlsx")
    @has_access
    def export(self, class_id: int, tab: str):
        training_class = load_tracked_class(class_id)
        if tab not in TAB_LABELS:
            abort(404)
        rows = aq.tab_rows(db.session, training_class, tab)
        name = f"{training_class.filing.filing_no or training_class.filing_id}-{TAB_LABELS[tab]}.xlsx"
        return download(export_workbook(rows, tab), name, f"attendance_{class_id}_{tab}.xlsx")

    # -- the class's row actions (R18 注销培训班) -------------------------------------------------------------
    def _transition_offered(self, training_class: TrainingClass, action: str):
        t = next((t for t in offered("training_class", training_class, SCREEN) if t.action == action), None)
        if t is None:
            transition_or_404("training_class", action)  # unknown: 404; known but not offered here: 409 page
        return t

    @expose("/class/<int:class_id>/form/<action>")
    @has_access
    def action_form(self, class_id: int, action: str, values: Optional[dict] = None, errors: Optional[dict] = None,
                    general: Optional[list] = None, status: int = 200):
        training_class = load_tracked_class(class_id)
        t = self._transition_offered(training_class, action)
        if t is None:
            # the class is in scope, its state does not allow the action (e.g. already cancelled): 409, not 404
            from views.errors import _render as render_error

            return render_error(409, _l("当前状态不能办理"), _l("该培训班的当前状态不允许此操作，状态可能已变化，请返回刷新后重试。"))
        if not t.inputs:
            abort(404)
        return self.render_template(
            "tracking/action.html", cls=training_class, filing=training_class.filing, transition=t,
            values=values or {}, errors=errors or {}, general=general or [],
            programme_label=Programme.label(training_class.filing.programme)), status

    @expose("/class/<int:class_id>/do/<action>", methods=["POST"])
    @has_access
    def class_action(self, class_id: int, action: str):
        training_class = load_tracked_class(class_id)
        programme = training_class.filing.programme
        t = transition_or_404("training_class", action)
        if SCREEN not in t.screens:
            abort(404)
        data = {item.name: request.form.get(item.name) for item in t.inputs}
        error, _ = dispatch("training_class", action, class_id, data)
        if error is None:
            return redirect(url_for("TrackingView.programme_list", programme=programme))
        db.session.rollback()
        fields = tuple(item.name for item in t.inputs)
        errors, general = error_map(error, fields)
        if not t.inputs:
            flash(str(error.message), "danger")
            return redirect(url_for("TrackingView.programme_list", programme=programme))
        return self.action_form(class_id, action, values=data, errors=errors, general=general,
                                status=error.status_code)

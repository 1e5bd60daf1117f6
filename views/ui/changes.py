"""备案变更申请 screens (manual §3.2.1.4 / §3.2.2.4) and the city's 审核管理 → 变更审核.

- ``ChangeView`` (enterprise, ``/changes/<programme>``): the APPROVED filings with their classes — per class the
  remaining date changes and the deadline (R15; 暂按周一至周五计算 when provisional) and 【开班信息变更】; per filing
  【师资信息变更】 (R17: new teachers, 【变更培训教师】, 师资变更原因, 提交) and 【查看变更内容】.
- ``ChangeReviewView`` (reviewer, ``/review/changes/``): the queue of teacher-change requests of its city, the
  detail with every item before/after, 通过 / 退回 from the change-request table.
Every write goes through actions/changes.py or the transition runner (views.ui.row_actions.dispatch).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from actions import changes
from actions.calendar import CHANGE_DEADLINE_WORKDAYS, load_calendar, nth_workday_before
from actions.specs import TEACHER
from core.clock import today
from core.errors import NotFound
from models.base import db
from models.enums import ChangeRequestKind, ChangeRequestStatus, ClassStatus, CourseStatus, Programme, TeacherKind
from models.filing import ChangeRequest, Filing, Teacher, TrainingClass
from models.scope import current_actor, load_scoped
from queries import changes as change_queries
from views.glue import attempt
from views.ui.forms import abort_for, error_map, posted, programme_or_404
from views.ui.row_actions import dispatch, offered, transition_or_404


def _deadlines(classes: list[TrainingClass]) -> dict[int, dict]:
    """R15 status of each class of a page, on one calendar load (not a query per class)."""
    normal = [c for c in classes if c.status == ClassStatus.NORMAL]
    if not normal:
        return {}
    calendar = load_calendar(db.session, min(c.start_date for c in normal) - timedelta(days=60),
                             max(c.start_date for c in normal))
    out = {}
    for c in normal:
        deadline, provisional = nth_workday_before(calendar, c.start_date, CHANGE_DEADLINE_WORKDAYS)
        remaining = max(0, changes.MAX_DATE_CHANGES - (c.date_change_count or 0))
        out[c.id] = {"deadline": deadline, "provisional": provisional, "remaining_changes": remaining,
                     "open": remaining > 0 and today() <= deadline}
    return out


def _history(filing: Filing) -> dict:
    requests = changes.change_history(db.session, current_actor(), filing.id)
    return {"requests": requests,
            "items": change_queries.names_of_items(db.session, requests, changes.change_items)}


class ChangeView(BaseView):
    """备案变更申请 of the enterprise (both programmes; the programme is a URL part)."""

    route_base = "/changes"
    class_permission_name = "ChangeRequest"
    method_permission_name = {"list": "read", "dates": "write", "teachers": "read", "open_request": "write",
                              "add_teacher": "write", "remove_teacher": "write", "swap": "write", "reason": "write",
                              "request_action": "write", "history": "read", "courses": "read",
                              "configure": "write"}

    @expose("/<programme>")
    @has_access
    def list(self, programme: str):
        programme = programme_or_404(programme)
        filing_no = (request.args.get("filing_no") or "").strip()[:32]
        found = change_queries.approved_filings_page(db.session, current_actor(), programme, filing_no,
                                                     request.args.get("page", 1))
        classes = [c for item in found.items for c in item["filing"].classes]
        return self.render_template(
            "changes/list.html", programme=programme, programme_label=Programme.label(programme), found=found,
            deadlines=_deadlines(classes), filing_no=filing_no, ClassStatus=ClassStatus,
            status_label=ChangeRequestStatus.label,
            page_url=lambda n: url_for("ChangeView.list", programme=programme, filing_no=filing_no or None, page=n))

    # -- R15 开班信息变更 -----------------------------------------------------------------------------------------
    @expose("/class/<int:class_id>/dates", methods=["GET", "POST"])
    @has_access
    def dates(self, class_id: int):
        try:
            training_class = load_scoped(db.session, TrainingClass, class_id, current_actor())
        except NotFound:
            abort(404)
        t = transition_or_404("training_class", "change_dates")
        fields = tuple(item.name for item in t.inputs)
        values = {"start_date": training_class.start_date.isoformat(),
                  "end_date": training_class.end_date.isoformat(), "reason": ""}
        errors: dict = {}
        general: list = []
        status_code = 200
        if request.method == "POST":
            values = posted(fields)
            error, _ = dispatch("training_class", "change_dates", class_id, values)
            if error is None:
                return redirect(url_for("ChangeView.list", programme=training_class.filing.programme))
            errors, general = error_map(error, fields)
            status_code = error.status_code
            db.session.expire_all()
            training_class = db.session.get(TrainingClass, class_id)
        status = changes.date_change_status(db.session, training_class)
        return self.render_template("changes/dates.html", cls=training_class, filing=training_class.filing,
                                    transition=t, status=status, values=values, errors=errors, general=general,
                                    programme_label=Programme.label(training_class.filing.programme)), status_code

    # -- R16 课程信息配置 -----------------------------------------------------------------------------------------
    @expose("/filing/<int:filing_id>/courses")
    @has_access
    def courses(self, filing_id: int):
        filing = self._filing(filing_id)
        rows = [(cls, course, changes.configure_deadline(course)) for cls in filing.classes for course in cls.courses]
        return self.render_template("changes/courses.html", filing=filing, rows=rows, today=today(),
                                    status_label=CourseStatus.label, ClassStatus=ClassStatus,
                                    programme_label=Programme.label(filing.programme))

    @expose("/course/<int:course_id>/configure", methods=["GET", "POST"])
    @has_access
    def configure(self, course_id: int):
        from models.enterprise import Venue
        from models.filing import Course

        actor = current_actor()
        try:
            course = load_scoped(db.session, Course, course_id, actor)
        except NotFound:
            abort(404)
        t = transition_or_404("course", "configure")
        fields = tuple(item.name for item in t.inputs)
        values = {name: ("" if getattr(course, name) is None else
                         getattr(course, name).strftime("%H:%M") if name.endswith("_time") else str(getattr(course, name)))
                  for name in fields}
        errors: dict = {}
        general: list = []
        status_code = 200
        if request.method == "POST":
            values = posted(fields)
            data = {**values, "venue_id": values.get("venue_id") or None}
            error, _ = dispatch("course", "configure", course_id, data)
            if error is None:
                return redirect(url_for("ChangeView.courses", filing_id=course.training_class.filing_id))
            errors, general = error_map(error, fields)
            status_code = error.status_code
            db.session.expire_all()
            course = db.session.get(Course, course_id)
        venues = db.session.query(Venue).filter(Venue.enterprise_id == course.training_class.filing.enterprise_id) \
            .order_by(Venue.name).all() if actor.enterprise_id else []
        return self.render_template(
            "changes/configure.html", course=course, cls=course.training_class, filing=course.training_class.filing,
            transition=t, values=values, errors=errors, general=general, deadline=changes.configure_deadline(course),
            venue_options=[(v.id, f"{v.name}（{v.address}）") for v in venues],
            programme_label=Programme.label(course.training_class.filing.programme)), status_code

    # -- R17 师资信息变更 -----------------------------------------------------------------------------------------
    def _filing(self, filing_id: int) -> Filing:
        try:
            return load_scoped(db.session, Filing, filing_id, current_actor())
        except NotFound:
            abort(404)

    def _open_request(self, filing: Filing):
        return db.session.query(ChangeRequest).filter(
            ChangeRequest.filing_id == filing.id, ChangeRequest.kind == ChangeRequestKind.TEACHER,
            ChangeRequest.status.in_(changes.OPEN_STATES)).first()

    @expose("/filing/<int:filing_id>/teachers")
    @has_access
    def teachers(self, filing_id: int, form_values=None, form_errors=None, general=None, status: int = 200):
        filing = self._filing(filing_id)
        change = self._open_request(filing)
        pending = changes.pending_teachers(db.session, change) if change else []
        courses = [c for cls in filing.classes for c in cls.courses if c.status != ClassStatus.CANCELLED]
        swaps = {s["course_id"]: s["teacher_id"] for s in (change.after or {}).get("swaps", [])} if change else {}
        editable = change is not None and change.status in changes.EDITABLE_STATES
        return self.render_template(
            "changes/teachers.html", filing=filing, change=change, pending=pending, courses=courses, swaps=swaps,
            editable=editable, teacher_fields=TEACHER.fields_for(filing.apprenticeship_type),
            form_values=form_values or {}, form_errors=form_errors or {}, general=general or [],
            teacher_names={t.id: t.name for t in [*filing.teachers, *pending]}, TeacherKind=TeacherKind,
            choices=[t for t in filing.teachers if t.active] + pending, statuses=ChangeRequestStatus,
            programme_label=Programme.label(filing.programme)), status

    @expose("/filing/<int:filing_id>/teachers/open", methods=["POST"])
    @has_access
    def open_request(self, filing_id: int):
        error, _ = attempt(changes.open_teacher_change, current_actor(), filing_id)
        if error is not None:
            abort_for(error)
            flash(str(error.message), "danger")
        return redirect(url_for("ChangeView.teachers", filing_id=filing_id))

    def _request_of(self, request_id: int) -> ChangeRequest:
        try:
            return load_scoped(db.session, ChangeRequest, request_id, current_actor())
        except NotFound:
            abort(404)

    @expose("/request/<int:request_id>/teacher", methods=["POST"])
    @has_access
    def add_teacher(self, request_id: int):
        change = self._request_of(request_id)
        fields = TEACHER.form_fields()
        data = posted(fields)
        error, _ = attempt(changes.add_new_teacher, current_actor(), request_id, data)
        if error is None:
            flash(str(_l("新增师资已保存（审核通过后生效）")), "success")
            return redirect(url_for("ChangeView.teachers", filing_id=change.filing_id))
        abort_for(error)
        errors, general = error_map(error, fields)
        return self.teachers(change.filing_id, form_values=data, form_errors=errors, general=general,
                             status=error.status_code)

    @expose("/teacher/<int:teacher_id>/remove", methods=["POST"])
    @has_access
    def remove_teacher(self, teacher_id: int):
        try:
            filing_id = load_scoped(db.session, Teacher, teacher_id, current_actor()).filing_id
        except NotFound:
            abort(404)
        error, _ = attempt(changes.remove_new_teacher, current_actor(), teacher_id)
        self._report(error, _l("已删除"))
        return redirect(url_for("ChangeView.teachers", filing_id=filing_id))

    @expose("/request/<int:request_id>/swap", methods=["POST"])
    @has_access
    def swap(self, request_id: int):
        change = self._request_of(request_id)
        error, _ = attempt(changes.swap_teacher, current_actor(), request_id, request.form.get("course_id"),
                           request.form.get("teacher_id"))
        self._report(error, _l("已变更该课程的授课教师（审核通过后生效）"))
        return redirect(url_for("ChangeView.teachers", filing_id=change.filing_id) + "#courses")

    @expose("/request/<int:request_id>/reason", methods=["POST"])
    @has_access
    def reason(self, request_id: int):
        change = self._request_of(request_id)
        error, _ = attempt(changes.save_reason, current_actor(), request_id, request.form.get("reason"))
        self._report(error, _l("师资变更原因已保存"))
        return redirect(url_for("ChangeView.teachers", filing_id=change.filing_id))

    @expose("/request/<int:request_id>/do/<action>", methods=["POST"])
    @has_access
    def request_action(self, request_id: int, action: str):
        change = self._request_of(request_id)
        filing_id, programme = change.filing_id, change.filing.programme
        error, _ = dispatch("change_request", action, request_id)
        if error is not None:
            self._report(error, None)
            return redirect(url_for("ChangeView.teachers", filing_id=filing_id))
        return redirect(url_for("ChangeView.list", programme=programme))

    @staticmethod
    def _report(error, success) -> None:
        if error is not None:
            abort_for(error)
            flash(str(error.message), "danger")
            for item in error.errors[1:] if len(error.errors) > 1 else []:
                flash(str(item.message), "danger")
        elif success:
            flash(str(success), "success")

    # -- 查看变更内容 ------------------------------------------------------------------------------------------
    @expose("/filing/<int:filing_id>/history")
    @has_access
    def history(self, filing_id: int):
        filing = self._filing(filing_id)
        return self.render_template("changes/history.html", filing=filing, **_history(filing),
                                    kind_label=ChangeRequestKind.label, status_label=ChangeRequestStatus.label,
                                    programme_label=Programme.label(filing.programme))


class ChangeReviewView(BaseView):
    """审核管理 → 变更审核: the city's teacher-change requests, pending first; detail and decision."""

    route_base = "/review/changes"
    default_view = "queue"
    class_permission_name = "ChangeRequest"
    method_permission_name = {"queue": "read", "detail": "read", "decide": "review"}

    @expose("/")
    @has_access
    def queue(self):
        actor = current_actor()
        if not (actor.is_reviewer or actor.is_admin):
            abort(403)
        status = request.args.get("status", "")
        found = change_queries.change_queue_page(db.session, actor, status, request.args.get("page", 1))
        return self.render_template("changes/review_list.html", found=found, status=status,
                                    statuses=[(s, ChangeRequestStatus.label(s)) for s in
                                              (ChangeRequestStatus.SUBMITTED, ChangeRequestStatus.RETURNED,
                                               ChangeRequestStatus.APPROVED)],
                                    status_label=ChangeRequestStatus.label,
                                    page_url=lambda n: url_for("ChangeReviewView.queue", status=status or None,
                                                               page=n))

    @expose("/<int:request_id>")
    @has_access
    def detail(self, request_id: int, opinion: str = "", opinion_error: Any = None, status: int = 200):
        actor = current_actor()
        if not (actor.is_reviewer or actor.is_admin):
            abort(403)  # 变更审核 is the city's screen; the enterprise reads its requests under 备案变更申请
        try:
            change = load_scoped(db.session, ChangeRequest, request_id, actor)
        except NotFound:
            abort(404)
        items = change_queries.names_of_items(db.session, [change], changes.change_items)[change.id]
        return self.render_template(
            "changes/review_detail.html", change=change, filing=change.filing, items=items,
            decisions=offered("change_request", change, "change_review"), opinion=opinion,
            opinion_error=opinion_error, status_label=ChangeRequestStatus.label,
            pending=changes.pending_teachers(db.session, change), TeacherKind=TeacherKind), status

    @expose("/<int:request_id>/<action>", methods=["POST"])
    @has_access
    def decide(self, request_id: int, action: str):
        t = transition_or_404("change_request", action)
        if "change_review" not in t.screens:
            abort(404)
        data = {item.name: request.form.get(item.name, "") for item in t.inputs}
        error, _ = dispatch("change_request", action, request_id, data)
        if error is None:
            return redirect(url_for("ChangeReviewView.detail", request_id=request_id))
        flash(str(error.message), "danger")
        db.session.expire_all()
        field_error = next((e.message for e in error.errors if e.field == "opinion"), None)
        return self.detail(request_id, opinion=data.get("opinion", ""), opinion_error=field_error,
                           status=error.status_code)

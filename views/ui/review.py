"""审核管理 → 备案审核 (R13, R14) and 打印备案表 (R12).

- ``ReviewFilingView``: the city reviewer's queue (``queries.review``: pending first; filters; 20 per page), a
  read-only detail page with every tab of the filing, its materials and its audit timeline
  (``queries.audit.timeline_context``, labels from ``views.ui.timeline``), and the decisions 【通过】 / 【退回】
  (POST + CSRF, through ``actions.review`` via ``views.glue.run_action``). The provincial admin may open the queue
  and the detail read-only; enterprise users use their own filing pages (``views.ui.filing``).
- ``FilingPrintView`` (``/filing/<id>/form.pdf``): the 备案表 of an APPROVED filing, loaded and rendered by the
  same functions as ``GET /api/v1/filing/<pk>/form.pdf`` (``views.api.documents``).

The menu entry 备案审核 is in ``views/menu.py``.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlencode

from flask import abort, current_app, flash, make_response, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from actions import checklist as checklist_actions
from actions import filings as filing_actions
from core.errors import DomainError, NotFound
from models.base import db
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    ClassStatus,
    CourseMode,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TeacherKind,
    TraineeStatus,
)
from models.filing import Attachment, Filing
from models.scope import Actor, current_actor, load_scoped
from models.security import AppUser
from queries import review as review_queries
from queries.filings import SORT_COLUMNS
from queries.sorting import Sort
from queries.children import PAGE_SIZES, ListArgs, child_page
from queries.audit import timeline_context
from views.api.documents import pdf_response, printable_filing
from views.downloads import INLINE_TYPES, attachment_response
from views.ui.row_actions import dispatch, offered, transition_or_404


def _message_page(status: int, title: Any, message: Any, back_url: Optional[str] = None, back_label: Any = None):
    """Stop the request with a short Chinese page (instead of the server's English error page)."""
    from flask import render_template

    html = render_template("review/message.html", appbuilder=current_app.appbuilder, title=title, message=message,
                           back_url=back_url, back_label=back_label)
    abort(make_response(html, status))


def _not_found() -> None:
    """404 for a missing row, another city's / enterprise's row, or a draft (never any of its data)."""
    if current_actor().is_reviewer or current_actor().is_admin:
        back_url, back_label = url_for("ReviewFilingView.list"), _l("返回备案审核列表")
    else:
        back_url, back_label = None, None
    _message_page(404, _l("记录不存在"), _l("记录不存在或无权访问（备案可能已被企业撤回）。"), back_url, back_label)


def _require_review_reader(actor: Actor) -> None:
    """The review screens are for the city reviewer and the provincial admin (read-only)."""
    if not (actor.is_reviewer or actor.is_admin):
        _message_page(403, _l("无权访问"), _l("备案审核仅供地市审核员和省级管理员使用。"))


def _trainee_rows(trainees: list, full_id: bool) -> list[dict]:
    from core.validators import mask_id_number

    return [
        {"t": t, "id_number": t.id_number if full_id else mask_id_number(t.id_number),
         "gender": Gender.label(t.gender) if t.gender else "",
         "education": Education.label(t.education) if t.education else "",
         "status": TraineeStatus.label(t.status)}
        for t in trainees
    ]


class ReviewFilingView(BaseView):
    """审核管理 → 备案审核: queue, read-only detail with every tab, decisions, scoped material downloads."""

    route_base = "/review"
    default_view = "list"
    class_permission_name = "Filing"
    method_permission_name = {
        "list": "read",
        "detail": "read",
        "attachment": "read",
        "decide": "review",
    }

    # -- queue --------------------------------------------------------------------------------------------
    @expose("/filings/")
    @has_access
    def list(self):
        actor = current_actor()
        _require_review_reader(actor)
        filters = review_queries.QueueFilters.from_args(request.args, actor)
        sort = Sort.from_args(request.args, SORT_COLUMNS)  # issue 12: whitelisted; default = pending first
        found = review_queries.queue_page(db.session, actor, filters, request.args.get("page", 1), sort=sort)
        base = url_for("ReviewFilingView.list")

        def page_url(n: int) -> str:
            return base + "?" + urlencode({**filters.as_args(), **sort.as_args(), "page": n})

        def sort_url(key: str) -> str:
            return base + "?" + urlencode({**filters.as_args(), **sort.toggled(key, SORT_COLUMNS).as_args()})

        # 地市 filter: the admin's only (a reviewer is fixed to its city)
        cities = review_queries.city_choices(db.session) if actor.is_admin else []
        return self.render_template(
            "review/list.html", rows=found.items, filters=filters, total=found.total, page=found.page,
            pages=found.pages, page_url=page_url, page_size=found.page_size, actor=actor,
            sort=sort, sort_url=sort_url, cities=cities,
            programmes=Programme.choices(), types=ApprenticeshipType.choices(),
            statuses=[(s, FilingStatus.label(s)) for s in review_queries.visible_statuses(actor)],
            programme_label=Programme.label, type_label=ApprenticeshipType.label, status_label=FilingStatus.label,
        )

    # -- detail -------------------------------------------------------------------------------------------
    def _render_detail(self, filing_id: int, *, opinion: str = "", opinion_error: Any = None, status: int = 200):
        actor = current_actor()
        _require_review_reader(actor)
        db.session.expire_all()  # after a refused decision: show the row as it is now
        filing = review_queries.filing_detail(db.session, actor, filing_id, with_trainees=False)
        if filing is None:
            _not_found()
        reviewer = None
        if filing.reviewed_by_id:
            reviewer = db.session.get(AppUser, filing.reviewed_by_id)
        decisions = offered("filing", filing, "review")  # the table's reviewer rows for this state
        courses = [c for cls in filing.classes for c in cls.courses]
        trainee_args = ListArgs.from_args(request.args, prefix="t_")  # issue 12: 3,000 trainees page, not render
        trainee_page = child_page(db.session, filing, "trainees", trainee_args)

        def trainee_url(**changes: Any) -> str:
            position = {key: changes.pop(key) for key in ("q", "page", "size") if key in changes}
            return url_for("ReviewFilingView.detail", filing_id=filing.id,
                           **trainee_args.as_args(**position), **changes) + "#tab-trainees"

        html = self.render_template(
            "review/detail.html", filing=filing, actor=actor, decisions=decisions,
            opinion=opinion, opinion_error=opinion_error, reviewer=reviewer,
            trainees=_trainee_rows(trainee_page.items, full_id=actor.is_reviewer), courses=courses,
            rows_page=trainee_page, list_args=trainee_args, page_sizes=PAGE_SIZES, tab_url=trainee_url,
            counts=filing_actions.count_rows(db.session, filing),
            warnings=checklist_actions.review_warnings(db.session, filing),  # issue 12: as on 提交审核
            full_id=actor.is_reviewer, preview_types=INLINE_TYPES,
            programme_label=Programme.label, type_label=ApprenticeshipType.label, status_label=FilingStatus.label,
            kind_label=TeacherKind.label, mode_label=CourseMode.label, class_status_label=ClassStatus.label,
            attachment_label=AttachmentKind.label,
            **timeline_context(db.session, actor, filing),
        )
        return make_response(html, status)

    @expose("/filing/<int:filing_id>")
    @has_access
    def detail(self, filing_id: int):
        return self._render_detail(filing_id)

    # -- decisions ----------------------------------------------------------------------------------------
    @expose("/filing/<int:filing_id>/<action>", methods=["POST"])
    @has_access
    def decide(self, filing_id: int, action: str):
        """A reviewer's row of the filing table (通过 / 退回 …) with the form's inputs (审核意见)."""
        t = transition_or_404("filing", action)
        if "review" not in t.screens:
            abort(404)
        actor = current_actor()
        data = {item.name: request.form.get(item.name, "") for item in t.inputs}
        error, _ = dispatch("filing", action, filing_id, data)
        if error is None:
            return redirect(url_for("ReviewFilingView.detail", filing_id=filing_id))
        try:
            load_scoped(db.session, Filing, filing_id, actor)
        except NotFound:
            # Withdrawn by the enterprise meanwhile (a draft again, out of the reviewer's sight): 409, no data.
            _message_page(error.status_code, _l("状态已变化"), error.message,
                          url_for("ReviewFilingView.list"), _l("返回备案审核列表"))
        flash(str(error.message), "danger")
        field_error = next((e.message for e in error.errors if e.field == "opinion"), None)
        return self._render_detail(filing_id, opinion=data.get("opinion", ""), opinion_error=field_error,
                                   status=error.status_code)

    # -- materials ----------------------------------------------------------------------------------------
    @expose("/attachment/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        actor = current_actor()
        _require_review_reader(actor)
        try:
            row = load_scoped(db.session, Attachment, attachment_id, actor)
        except NotFound:
            row = None
        if row is None or row.filing_id is None:
            _not_found()
        return attachment_response(row, inline_allowed=request.args.get("inline") == "1")


class FilingPrintView(BaseView):
    """打印备案表: ``/filing/<id>/form.pdf`` for the enterprise (own), the city reviewer and the admin."""

    route_base = "/filing"
    default_view = "form_pdf"
    class_permission_name = "Filing"
    method_permission_name = {"form_pdf": "read"}

    @expose("/<int:filing_id>/form.pdf")
    @has_access
    def form_pdf(self, filing_id: int):
        actor = current_actor()
        try:
            filing = printable_filing(actor, filing_id)
        except NotFound:
            _not_found()
        except DomainError as error:
            filing = load_scoped(db.session, Filing, filing_id, actor)
            html = self.render_template("pdf/unavailable.html", message=str(error.message), filing=filing,
                                        filing_status=FilingStatus.label(filing.status), actor=actor)
            return make_response(html, error.status_code)
        return pdf_response(filing)

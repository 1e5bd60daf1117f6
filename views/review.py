"""审核管理 → 备案审核 (R13, R14), the audit timeline of a filing, and 打印备案表 (R12) as PDF.

- ``ReviewFilingView``: the city reviewer's queue (``queries.review``: pending first; filters; 20 per page), a
  read-only detail page with every tab of the filing and its materials, and the decisions 【通过】 / 【退回】
  (POST + CSRF, through ``actions.review`` via ``views.glue.run_action``). The provincial admin may open the queue
  and the detail read-only; enterprise users use their own filing pages.
- The audit timeline: its rows come from ``queries.audit.timeline_context`` (shared with the enterprise pages),
  its labels from the template globals ``audit_action_label`` / ``audit_status_label`` / ``audit_entity_label``
  registered here for ``templates/audit/_timeline.html``.
- ``FilingPrintView`` (``/filing/<id>/form.pdf``) and ``FilingFormPdfApi`` (``GET /api/v1/filing/<pk>/form.pdf``):
  the 备案表 of an APPROVED filing rendered by ``services.pdf``.
- ``AuditEventApi``: read-only ``/api/v1/audit_event/`` (GET only; audit rows are never edited or deleted).
"""
from __future__ import annotations

import io
from typing import Any, Optional
from urllib.parse import urlencode

from flask import (abort, current_app, flash, get_flashed_messages, make_response, redirect, request,
                   send_file, url_for)
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from actions import review as review_actions
from core.errors import DomainError, NotFound
from actions.transitions import FILING_TRANSITIONS, allowed
from models.audit import AuditEvent
from models.base import db
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    ChangeRequestStatus,
    ClaimStatus,
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
from queries.audit import timeline_context
from views.base import ScopedModelRestApi, interface
from views.glue import error_response, run_action

#: Materials a browser may show inline (预览); everything else is always a download.
PREVIEW_TYPES = {"application/pdf", "image/png", "image/jpeg"}

# ---------------------------------------------------------------------------------------------------------
# Audit timeline labels (template globals; the events come from queries.audit)
# ---------------------------------------------------------------------------------------------------------

#: (entity, action) → label; ``(None, action)`` is the fallback for any entity.
AUDIT_ACTION_LABELS: dict[tuple[Optional[str], str], Any] = {
    ("filing", "create"): _l("新建备案"),
    ("filing", "update"): _l("修改备案"),
    ("filing", "delete"): _l("删除备案"),
    ("trainee", "create"): _l("新增培训人员"),
    ("trainee", "update"): _l("修改培训人员"),
    ("trainee", "delete"): _l("删除培训人员"),
    ("teacher", "create"): _l("新增培训师资"),
    ("training_class", "cancel"): _l("注销培训班"),
    (None, "create"): _l("新建"),
    (None, "update"): _l("修改"),
    (None, "delete"): _l("删除"),
    (None, "submit"): _l("提交审核"),
    (None, "withdraw"): _l("撤回"),
    (None, "approve"): _l("审核通过"),
    (None, "return"): _l("退回"),
    (None, "mark_lost"): _l("标记为流失"),
    (None, "cancel_class"): _l("注销培训班"),
    (None, "cancel"): _l("取消申请"),
    (None, "import"): _l("导入"),
}

AUDIT_ENTITY_LABELS = {
    "filing": _l("备案"),
    "trainee": _l("培训人员"),
    "teacher": _l("培训师资"),
    "training_class": _l("培训班"),
    "course": _l("培训课程"),
    "change_request": _l("变更申请"),
    "attachment": _l("上传材料"),
}

_STATUS_SETS = {
    "filing": FilingStatus,
    "trainee": TraineeStatus,
    "training_class": ClassStatus,
    "course": ClassStatus,
    "change_request": ChangeRequestStatus,
    "subsidy_claim": ClaimStatus,
}


def audit_action_label(event: AuditEvent) -> str:
    """The Chinese label of an audit event's action (falls back to the stored code)."""
    label = AUDIT_ACTION_LABELS.get((event.entity, event.action)) or AUDIT_ACTION_LABELS.get((None, event.action))
    return str(label) if label is not None else event.action


def audit_status_label(event: AuditEvent, code: Optional[str]) -> str:
    """A from/to status of an audit event as its Chinese label (per the event's entity)."""
    if not code:
        return ""
    codeset = _STATUS_SETS.get(event.entity, FilingStatus)
    return codeset.label(code)


def audit_entity_label(event: AuditEvent) -> str:
    label = AUDIT_ENTITY_LABELS.get(event.entity)
    return str(label) if label is not None else event.entity


# ---------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------


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


def _trainee_rows(filing: Filing, full_id: bool) -> list[dict]:
    from core.validators import mask_id_number

    return [
        {"t": t, "id_number": t.id_number if full_id else mask_id_number(t.id_number),
         "gender": Gender.label(t.gender) if t.gender else "",
         "education": Education.label(t.education) if t.education else "",
         "status": TraineeStatus.label(t.status)}
        for t in filing.trainees
    ]


# ---------------------------------------------------------------------------------------------------------
# 备案审核 screens
# ---------------------------------------------------------------------------------------------------------


class ReviewFilingView(BaseView):
    """审核管理 → 备案审核: queue, read-only detail with every tab, decisions, scoped material downloads."""

    route_base = "/review"
    default_view = "list"
    class_permission_name = "Filing"
    method_permission_name = {
        "list": "read",
        "detail": "read",
        "attachment": "read",
        "approve": "review",
        "return_filing": "review",
    }

    # -- queue --------------------------------------------------------------------------------------------
    @expose("/filings/")
    @has_access
    def list(self):
        actor = current_actor()
        _require_review_reader(actor)
        filters = review_queries.QueueFilters.from_args(request.args)
        found = review_queries.queue_page(db.session, actor, filters, request.args.get("page", 1))

        def page_url(n: int) -> str:
            return url_for("ReviewFilingView.list") + "?" + urlencode({**filters.as_args(), "page": n})

        return self.render_template(
            "review/list.html", rows=found.items, filters=filters, total=found.total, page=found.page,
            pages=found.pages, page_url=page_url, page_size=found.page_size, actor=actor,
            programmes=Programme.choices(), types=ApprenticeshipType.choices(),
            statuses=[(s, FilingStatus.label(s)) for s in review_queries.visible_statuses(actor)],
            programme_label=Programme.label, type_label=ApprenticeshipType.label, status_label=FilingStatus.label,
        )

    # -- detail -------------------------------------------------------------------------------------------
    def _render_detail(self, filing_id: int, *, opinion: str = "", opinion_error: Any = None, status: int = 200):
        actor = current_actor()
        _require_review_reader(actor)
        db.session.expire_all()  # after a refused decision: show the row as it is now
        filing = review_queries.filing_detail(db.session, actor, filing_id)
        if filing is None:
            _not_found()
        reviewer = None
        if filing.reviewed_by_id:
            reviewer = db.session.get(AppUser, filing.reviewed_by_id)
        can_decide = actor.is_reviewer and allowed(FILING_TRANSITIONS, filing.status, "approve")
        courses = [c for cls in filing.classes for c in cls.courses]
        html = self.render_template(
            "review/detail.html", filing=filing, actor=actor, can_decide=can_decide,
            opinion=opinion, opinion_error=opinion_error, reviewer=reviewer,
            trainees=_trainee_rows(filing, full_id=actor.is_reviewer), courses=courses,
            full_id=actor.is_reviewer, preview_types=PREVIEW_TYPES,
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
    def _decide(self, fn, filing_id: int):
        actor = current_actor()
        opinion = request.form.get("opinion", "")
        ok, result = run_action(fn, actor, filing_id, opinion)
        if ok:
            if fn is review_actions.approve:
                flash(str(_l("已审核通过，备案编号：%(no)s", no=result.filing_no)), "success")
            else:
                flash(str(_l("已退回，审核意见已告知企业")), "success")
            return redirect(url_for("ReviewFilingView.detail", filing_id=filing_id))
        if isinstance(result, NotFound):
            get_flashed_messages()  # nothing about a row out of scope is shown, not even later
            _not_found()
        try:
            load_scoped(db.session, Filing, filing_id, actor)
        except NotFound:
            # Withdrawn by the enterprise meanwhile (a draft again, out of the reviewer's sight): 409, no data.
            get_flashed_messages()
            _message_page(result.status_code, _l("状态已变化"), result.message,
                          url_for("ReviewFilingView.list"), _l("返回备案审核列表"))
        field_error = next((e.message for e in result.errors if e.field == "opinion"), None)
        return self._render_detail(filing_id, opinion=opinion, opinion_error=field_error,
                                   status=result.status_code)

    @expose("/filing/<int:filing_id>/approve", methods=["POST"])
    @has_access
    def approve(self, filing_id: int):
        return self._decide(review_actions.approve, filing_id)

    @expose("/filing/<int:filing_id>/return", methods=["POST"])
    @has_access
    def return_filing(self, filing_id: int):
        return self._decide(review_actions.return_filing, filing_id)

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
        inline = request.args.get("inline") == "1" and row.media_type in PREVIEW_TYPES
        response = send_file(io.BytesIO(row.content), mimetype=row.media_type, as_attachment=not inline,
                             download_name=row.file_name, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response


# ---------------------------------------------------------------------------------------------------------
# 打印备案表
# ---------------------------------------------------------------------------------------------------------


def _printable_filing(actor: Actor, filing_id: Any) -> Filing:
    """The filing to print, loaded through the scope with its rows.

    :raises NotFound: missing or out of scope.
    :raises TransitionNotAllowed: not APPROVED.
    """
    from core.errors import TransitionNotAllowed

    filing = review_queries.filing_detail(db.session, actor, filing_id)
    if filing is None:
        raise NotFound()
    if filing.status != FilingStatus.APPROVED:
        raise TransitionNotAllowed(_l("只有审核通过的备案才能打印备案表"))
    return filing


def _pdf_response(filing: Filing):
    from services.pdf import pdf_filename, render_filing_form

    response = send_file(io.BytesIO(render_filing_form(filing)), mimetype="application/pdf", as_attachment=False,
                         download_name=pdf_filename(filing), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


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
            filing = _printable_filing(actor, filing_id)
        except NotFound:
            _not_found()
        except DomainError as error:
            filing = load_scoped(db.session, Filing, filing_id, actor)
            html = self.render_template("pdf/unavailable.html", message=str(error.message), filing=filing,
                                        filing_status=FilingStatus.label(filing.status), actor=actor)
            return make_response(html, error.status_code)
        return _pdf_response(filing)


class FilingFormPdfApi(BaseApi):
    """``GET /api/v1/filing/<pk>/form.pdf``: the 备案表 PDF (404 out of scope, 409 not approved)."""

    resource_name = "filing"
    openapi_spec_tag = "filing 培训备案"  # grouped with the filing resource in Swagger
    class_permission_name = "Filing"
    method_permission_name = {"form_pdf": "read"}
    allow_browser_login = True

    @api_expose("/<int:pk>/form.pdf", methods=["GET"])
    @protect()
    def form_pdf(self, pk: int):
        """Download the 备案表 (PDF) of an approved filing.
        ---
        get:
          summary: 打印备案表 (PDF) of an APPROVED filing
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: the PDF (inline, file name 备案表-<filing_no>.pdf)
              content:
                application/pdf:
                  schema:
                    type: string
                    format: binary
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              description: the filing is not approved
        """
        try:
            filing = _printable_filing(current_actor(), pk)
        except DomainError as error:
            db.session.rollback()
            return error_response(error)
        return _pdf_response(filing)


# ---------------------------------------------------------------------------------------------------------
# Read-only audit API
# ---------------------------------------------------------------------------------------------------------


class AuditEventApi(ScopedModelRestApi):
    """``/api/v1/audit_event/``: read the audit trail in scope; no POST/PUT/DELETE routes exist (append-only)."""

    resource_name = "audit_event"
    openapi_spec_tag = "audit_event 审计记录"
    datamodel = interface(AuditEvent)
    class_permission_name = "AuditEvent"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read"}
    base_permissions = ["can_read"]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = [
        "id", "created_at", "actor_id", "actor_name", "role", "action", "entity", "entity_id",
        "from_status", "to_status", "reason", "diff", "enterprise_id", "city_code",
    ]
    search_columns = ["entity", "entity_id", "action", "actor_name", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "asc")
    page_size = 50


# ---------------------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------------------


def register(appbuilder) -> None:
    """Menu 审核管理 → 备案审核, the print view, the PDF and audit APIs, and the timeline's template helpers."""
    appbuilder.add_view(ReviewFilingView, "ReviewFilings", label=_l("备案审核"), icon="fa-check-square-o",
                        category="Review", category_label=_l("审核管理"), category_icon="fa-gavel")
    appbuilder.add_view_no_menu(FilingPrintView)
    appbuilder.add_api(FilingFormPdfApi)
    appbuilder.add_api(AuditEventApi)
    current_app.jinja_env.globals.update(
        audit_action_label=audit_action_label,
        audit_status_label=audit_status_label,
        audit_entity_label=audit_entity_label,
    )

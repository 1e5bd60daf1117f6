"""审核管理 → 补贴审核 (R23, manual §3.2.3; DESIGN §5 R21–R23): the city reviewer's screens for subsidy claims.

- queue (``/review/claims/``): the claims of the reviewer's city (never drafts; the admin: the province, read-only),
  已提交待审核 first, then newest; filters and paging on the server (``queries.claim_review``);
- detail (``/review/claims/<id>``): unit and bank info, the class, the stage, totals (requested / approved so far),
  the materials (scoped download ``/review/claims/attachment/<id>``), and the persons page (20/50/100, search by
  姓名 / 身份证号码) with the stored pre-check results (R21), the live attendance in the class (R24), and per person
  the decision form (核定金额 defaulting to the claimed amount; 核减原因 required when lower; never higher) →
  ``actions.subsidies.decisions.decide_person``;
- the claim's decision (审核通过 / 退回) from the transition table's reviewer rows (screen ``claim_review``,
  ``templates/_row_actions.html`` ``decision_form``).

Every write goes through the actions (``views.glue.attempt`` / ``views.ui.row_actions.dispatch``): one commit,
rollback and a Chinese message on a refusal, the typed input kept. A row out of scope answers 404, a role that may
never decide 403. Read-only for the admin and once the claim is decided. The menu entry is in ``views/menu.py``.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import urlencode

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from actions.subsidies import decisions
from actions.subsidies.prechecks import CHECKS
from core.errors import NotFound
from models.base import db
from models.enums import AttachmentKind, ClaimStage, ClaimStatus, ClassStatus
from models.filing import Attachment
from models.scope import Actor, current_actor, load_scoped
from models.security import AppUser
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from queries import claim_review as queries
from views.downloads import INLINE_TYPES, attachment_response
from views.glue import attempt
from views.ui.forms import abort_for
from views.ui.row_actions import dispatch, offered, transition_or_404

SCREEN = "claim_review"
PERSON_FIELDS = ("approved_amount", "reason")
STATUS_STYLE = {ClaimStatus.SUBMITTED: "warning", ClaimStatus.APPROVED: "success", ClaimStatus.RETURNED: "danger",
                ClaimStatus.DRAFT: "default"}


def _message_page(status: int, title: Any, message: Any, back: bool = True) -> None:
    """Stop the request with a short Chinese page (not the server's English error page)."""
    html = render_template("review/message.html", appbuilder=current_app.appbuilder, title=title, message=message,
                           back_url=url_for("ClaimReviewView.list") if back else None,
                           back_label=_l("返回补贴审核列表") if back else None)
    abort(make_response(html, status))


def _not_found() -> None:
    """404 for a missing claim, another city's, or a draft (never any of its data)."""
    _message_page(404, _l("记录不存在"), _l("记录不存在或无权访问（补贴申请可能已被企业取消）。"))


def _require_reader(actor: Actor) -> None:
    """补贴审核 is for the city reviewer and the provincial admin (read-only); enterprises use 办理结果."""
    if not (actor.is_reviewer or actor.is_admin):
        _message_page(403, _l("无权访问"), _l("补贴审核仅供地市审核员和省级管理员使用。"), back=False)


def _person_args(source) -> dict:
    """The persons table's place (search, page size, page) from the URL or the posted form."""
    return {"q": (source.get("q") or "").strip()[:64], "size": queries.person_page_size(source.get("size")),
            "page": source.get("page") or 1}


class ClaimReviewView(BaseView):
    """审核管理 → 补贴审核: queue, detail with per-person decisions, the claim's decision, scoped materials."""

    route_base = "/review/claims"
    default_view = "list"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"list": "read", "detail": "read", "attachment": "read", "decide_person": "review",
                              "decide": "review"}

    # -- queue --------------------------------------------------------------------------------------------
    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        _require_reader(actor)
        filters = queries.QueueFilters.from_args(request.args)
        found = queries.queue_page(db.session, actor, filters, request.args.get("page", 1))

        def page_url(n: int) -> str:
            return url_for("ClaimReviewView.list") + "?" + urlencode({**filters.as_args(), "page": n})

        return self.render_template(
            "claim_review/list.html", found=found, filters=filters, page_url=page_url, actor=actor,
            stages=ClaimStage.choices(),
            statuses=[(s, ClaimStatus.label(s)) for s in queries.visible_statuses(actor)],
            stage_label=ClaimStage.label, status_label=ClaimStatus.label, status_style=STATUS_STYLE)

    # -- detail -------------------------------------------------------------------------------------------
    def _render_detail(self, claim_id: int, *, place: Optional[dict] = None, opinion: str = "",
                       opinion_error: Any = None, person_values: Optional[dict] = None,
                       person_errors: Optional[dict] = None, status: int = 200):
        actor = current_actor()
        _require_reader(actor)
        db.session.expire_all()  # after a refused decision: show the rows as they are now
        claim = queries.claim_detail(db.session, actor, claim_id)
        if claim is None:
            _not_found()
        place = place or _person_args(request.args)
        persons = queries.persons_page(db.session, claim, place["q"], place["page"], place["size"])
        editable = actor.is_reviewer and claim.status == ClaimStatus.SUBMITTED
        reviewer = db.session.get(AppUser, claim.reviewed_by_id) if claim.reviewed_by_id else None

        def persons_url(n: int, size: Optional[int] = None) -> str:
            args = {"q": place["q"], "size": size or persons.page_size, "page": n}
            return url_for("ClaimReviewView.detail", claim_id=claim.id,
                           **{k: v for k, v in args.items() if v}) + "#persons"

        html = self.render_template(
            "claim_review/detail.html", claim=claim, actor=actor, cls=claim.training_class, filing=claim.filing,
            totals=queries.claim_totals(db.session, claim),
            attachments=queries.claim_attachments(db.session, claim), preview_types=INLINE_TYPES,
            persons=persons, place={**place, "page": persons.page, "size": persons.page_size},
            persons_url=persons_url, page_sizes=queries.PERSON_PAGE_SIZES, full_id=actor.is_reviewer,
            editable=editable, decisions=offered("subsidy_claim", claim, SCREEN), opinion=opinion,
            opinion_error=opinion_error, person_values=person_values or {}, person_errors=person_errors or {},
            reviewer=reviewer, check_labels=CHECKS, decision_labels=decisions.DECISIONS,
            stage_label=ClaimStage.label, status_label=ClaimStatus.label, status_style=STATUS_STYLE,
            class_status_label=ClassStatus.label, attachment_label=AttachmentKind.label)
        return make_response(html, status)

    @expose("/<int:claim_id>")
    @has_access
    def detail(self, claim_id: int):
        return self._render_detail(claim_id)

    # -- R23 per-person decision --------------------------------------------------------------------------
    @expose("/person/<int:person_id>/decide", methods=["POST"])
    @has_access
    def decide_person(self, person_id: int):
        """核定 one person: the amount (≤ claimed) and, when lower, the reason; refusals keep the input."""
        actor = current_actor()
        data = {name: request.form.get(name, "") for name in PERSON_FIELDS}
        place = _person_args(request.form)
        error, person = attempt(decisions.decide_person, actor, person_id, data)
        if error is None:
            flash(str(_l("已核定 %(name)s：%(amount)s 元", name=person.trainee.name, amount=person.approved_amount)),
                  "success")
            return redirect(url_for("ClaimReviewView.detail", claim_id=person.subsidy_claim_id,
                                    **{k: v for k, v in place.items() if v}) + f"#person-{person_id}")
        abort_for(error)  # out of scope: 404; not a reviewer: 403
        try:
            claim_id = load_scoped(db.session, SubsidyClaimPerson, person_id, actor).subsidy_claim_id
        except NotFound:
            # the claim was cancelled by the enterprise meanwhile (a draft again, out of the reviewer's sight)
            _message_page(error.status_code, _l("状态已变化"), error.message)
        fields = {e.field: str(e.message) for e in error.errors if e.field in PERSON_FIELDS}
        if not fields:
            fields["general"] = str(error.message)
        flash(str(_l("未能核定：%(message)s", message="；".join(fields.values()))), "danger")
        return self._render_detail(claim_id, place=place, person_values={person_id: data},
                                   person_errors={person_id: fields}, status=error.status_code)

    # -- the claim's decision -----------------------------------------------------------------------------
    @expose("/<int:claim_id>/<action>", methods=["POST"])
    @has_access
    def decide(self, claim_id: int, action: str):
        """A reviewer's row of the claim table (审核通过 / 退回) with the form's inputs (审核意见)."""
        t = transition_or_404("subsidy_claim", action)
        if SCREEN not in t.screens:
            abort(404)
        actor = current_actor()
        data = {item.name: request.form.get(item.name, "") for item in t.inputs}
        error, _ = dispatch("subsidy_claim", action, claim_id, data)
        if error is None:
            return redirect(url_for("ClaimReviewView.detail", claim_id=claim_id))
        try:
            load_scoped(db.session, SubsidyClaim, claim_id, actor)
        except NotFound:
            _message_page(error.status_code, _l("状态已变化"), error.message)
        flash(str(error.message), "danger")
        field_error = next((e.message for e in error.errors if e.field == "opinion"), None)
        return self._render_detail(claim_id, opinion=data.get("opinion", ""), opinion_error=field_error,
                                   status=error.status_code)

    # -- materials ----------------------------------------------------------------------------------------
    @expose("/attachment/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        actor = current_actor()
        _require_reader(actor)
        try:
            row = load_scoped(db.session, Attachment, attachment_id, actor)
        except NotFound:
            row = None
        if row is None or row.subsidy_claim_id is None:
            _not_found()
        return attachment_response(row, inline_allowed=request.args.get("inline") == "1")

"""企业新型学徒制培训补贴: the enterprise's 补贴申请 screens (manual §3.2.3.1 立即办理, §3.2.3.2 办理结果; R20–R23).

Screens of ``ClaimView`` (enterprise users only; reviewers and the admin answer 403 — they have 补贴审核):

- ``/claims/apply``: the 承诺书 (R20: ticked before anything else can be chosen), then the class (a paged, searchable
  list of the classes of the enterprise's APPROVED filings, cancelled ones left out) and the stage (预拨 / 清算);
  POST creates the DRAFT claim (``actions.subsidies.claims.create_claim``) and opens it.
- ``/claims/<id>/<tab>``: the claim page (进入处理) with the tabs 单位基本信息 / 人员信息 / 附件 / 提交审核; editable
  while DRAFT / RETURNED, read-only otherwise (status, 审核意见, approved amounts and per-person decisions).
  The 人员信息 tab and its 【新增】 / 【删除】 / certificate forms are in ``views.ui.claim_persons``.
- ``/claims/results``: 办理结果 with 申请阶段 / 状态 / 提交日期 filters, 【进入处理】 and the row actions.
- ``/claims/<id>/do/<action>``: any enterprise row of the claim table (删除 / 提交审核 / 取消申请,
  ``actions/transitions.py`` CLAIM) through ``views.ui.row_actions.dispatch``.
- ``/claims/<id>/form.pdf`` / ``roster.pdf`` / ``roster.xlsx``: 下载申请表 / 下载花名册 / 导出花名册 once SUBMITTED or
  APPROVED (R23, ``services.claim_documents``).
Every write goes through one action of ``actions.subsidies.claims`` (``views.glue.attempt``: one commit); a refused
save shows each error under its field with the input kept.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote, urlencode

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.utils.base import get_safe_redirect
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from actions.specs import CLAIM_UNIT
from actions.subsidies import amounts
from actions.subsidies import claims as ca
from actions.workflow import workflow
from core.clock import today
from core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from models.base import db
from models.enums import ApprenticeshipType, AttachmentKind, ClaimStage, ClaimStatus, ClassStatus, Programme
from models.filing import Attachment
from models.scope import current_actor, load_scoped
from models.subsidy import SubsidyClaim
from queries import claims as cq
from views.api.jobs import start_job
from views.downloads import attachment_response
from views.glue import attempt
from views.ui.forms import abort_for, error_map, posted, posted_file, row_values
from views.ui.row_actions import dispatch, offered

ENTITY = "subsidy_claim"
TABS: dict[str, Any] = {
    "unit": _l("单位基本信息"),
    "persons": _l("人员信息"),
    "attachments": _l("附件"),
    "submit": _l("提交审核"),
}
UNIT_FIELDS = CLAIM_UNIT.form_fields()
APPLY_FIELDS = ("commitment_accepted", "training_class_id", "stage")
STATUS_STYLE = {
    ClaimStatus.DRAFT: "default",
    ClaimStatus.SUBMITTED: "primary",
    ClaimStatus.RETURNED: "warning",
    ClaimStatus.APPROVED: "success",
}
#: R21/R22: what each stage means, shown next to the choice.
STAGE_HELP = {
    ClaimStage.ADVANCE: _l("培训班开班后申请：按补贴标准 × 培训年限 × 预拨比例（企业新型学徒制 40%，产教评技能生态链 30%）预先拨付。"),
    ClaimStage.BALANCE: _l("培训班结业、学员取得不低于培训目标等级的职业技能等级证书后申请：补贴总额减去已核定的预拨金额。"),
}
#: Documents of a submitted claim (R23): URL suffix → (claim_documents kind, label, media type).
DOCUMENTS = {
    "form.pdf": ("form", _l("下载申请表"), "application/pdf"),
    "roster.pdf": ("roster", _l("下载花名册"), "application/pdf"),
    "roster.xlsx": ("roster_xlsx", _l("导出花名册"),
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
DOCUMENT_STATES = ca.DOCUMENT_STATES


# ---------------------------------------------------------------------------------------------------------
# Shared by the claim screens (also views.ui.claim_persons)
# ---------------------------------------------------------------------------------------------------------


def enterprise_actor():
    """The current actor, who must be an enterprise user: reviewers and the admin use 补贴审核 (403 here)."""
    actor = current_actor()
    if not actor.is_enterprise:
        abort(403)
    return actor


def load_claim_or_404(claim_id: Any) -> SubsidyClaim:
    """The claim through the scope (another enterprise's or a missing one: 404), for an enterprise user."""
    actor = enterprise_actor()
    try:
        return ca.load_claim(db.session, actor, claim_id)
    except NotFound:
        abort(404)


def is_editable(claim: SubsidyClaim) -> bool:
    return claim.status in ca.EDITABLE


def claim_url(claim_id: int, tab: str = "unit", **args: Any) -> str:
    return url_for("ClaimView.tab", claim_id=claim_id, tab=tab, **args)


def render_claim(view: BaseView, claim: SubsidyClaim, tab: str, *, body: Optional[str] = None, status: int = 200,
                 **context: Any):
    """The claim page with one tab's body (``claims/tab_<tab>.html`` unless ``body`` names another template)."""
    session = db.session
    actor = current_actor()
    editable = is_editable(claim)
    tabs = [(key, label) for key, label in TABS.items() if editable or key != "submit"]
    cls = claim.training_class
    persons = cq.person_count(session, claim)
    documents = [_document_link(claim, suffix, label, persons)
                 for suffix, (_kind, label, _type) in DOCUMENTS.items()] if claim.status in DOCUMENT_STATES else []
    html = view.render_template(
        "claims/claim.html", claim=claim, cls=cls, filing=claim.filing, tab=tab, tabs=tabs, editable=editable,
        body_template=body or f"claims/tab_{tab}.html", actor=actor, status_style=STATUS_STYLE,
        status_label=ClaimStatus.label, stage_label=ClaimStage.label, ClaimStatus=ClaimStatus,
        ClassStatus=ClassStatus, AttachmentKind=AttachmentKind, programme_label=Programme.label,
        type_label=ApprenticeshipType.label, person_count=persons, documents=documents,
        actions={t.action: t for t in offered(ENTITY, claim, "claim")}, **context)
    return html, status


def roster_as_job(persons: int) -> bool:
    """A 花名册 PDF of more than ``ROSTER_DIRECT_MAX_PERSONS`` persons is made by a background job (DESIGN §9)."""
    return persons > int(current_app.config.get("ROSTER_DIRECT_MAX_PERSONS", 300))


def _document_link(claim: SubsidyClaim, suffix: str, label: Any, persons: int) -> tuple[str, str, Any, str]:
    """``(url, suffix, label, method)`` of a document button: a GET download, or for a large roster the POST that
    starts its background job."""
    if suffix == "roster.pdf" and roster_as_job(persons):
        return url_for("ClaimView.roster_job", claim_id=claim.id), suffix, label, "post"
    return url_for("ClaimView." + suffix.replace(".", "_"), claim_id=claim.id), suffix, label, "get"


def render_tab(view: BaseView, claim: SubsidyClaim, tab: str, *, status: int = 200, **context: Any):
    """One tab with its own context (``context`` carries a failed form's input and errors)."""
    session = db.session
    if tab == "unit":
        context.setdefault("form_values", row_values(claim, UNIT_FIELDS))
        context.setdefault("form_errors", {})
        context.setdefault("general", [])
        context["spec_fields"] = CLAIM_UNIT.fields
    elif tab == "persons":
        from views.ui.claim_persons import persons_context

        context = {**persons_context(claim), **context}
    elif tab == "attachments":
        rows = session.scalars(select(Attachment).where(Attachment.subsidy_claim_id == claim.id)
                               .order_by(Attachment.id)).all()
        context.setdefault("form_values", {"kind": ""})
        context.setdefault("form_errors", {})
        context.setdefault("general", [])
        context.update(attachments=rows, required_kinds=ca.REQUIRED_KINDS[claim.stage],
                       present_kinds={row.kind for row in rows},
                       kind_choices=AttachmentKind.choices_of(AttachmentKind.CLAIM_CODES),
                       upload_max_mb=current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024) // (1024 * 1024))
    elif tab == "submit":
        context.update(submit_context(session, claim))
    return render_claim(view, claim, tab, status=status, **context)


class ClaimView(BaseView):
    """立即办理 (承诺书 → class and stage), the claim page, 办理结果, row actions and documents."""

    route_base = "/claims"
    default_view = "results"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {
        "results": "read", "tab": "read", "attachment": "read", "form_pdf": "read", "roster_pdf": "read",
        "roster_job": "read",
        "roster_xlsx": "read", "apply": "write",
        "save_unit": "write", "upload": "write", "delete_attachment": "write", "transition": "write",
    }

    # -----------------------------------------------------------------------------------------------------
    # 立即办理: 承诺书, class and stage (R20)
    # -----------------------------------------------------------------------------------------------------

    @expose("/apply", methods=["GET", "POST"])
    @has_access
    def apply(self):
        actor = enterprise_actor()
        source = request.form if request.method == "POST" else request.args
        q = (source.get("q") or "").strip()
        page_arg = source.get("page", 1)
        values = {"commitment_accepted": "1" if source.get("commitment_accepted") or source.get("accepted") else "",
                  "training_class_id": source.get("training_class_id", ""), "stage": source.get("stage", "")}
        errors: dict[str, list[str]] = {}
        general: list[str] = []
        if request.method == "POST":
            values = posted(APPLY_FIELDS)
            data = {"commitment_accepted": values["commitment_accepted"] in ("1", "on", "true", "y"),
                    "training_class_id": values["training_class_id"] or None, "stage": values["stage"] or None}
            if not data["training_class_id"]:
                data.pop("training_class_id")
            error, claim = attempt(ca.create_claim, actor, data)
            if error is None:
                flash(str(_l("已确认承诺书并创建补贴申请（编号 %(id)s），请核对单位基本信息后保存", id=claim.id)), "success")
                return redirect(claim_url(claim.id, "unit"))
            abort_for(error)
            errors, general = error_map(error, APPLY_FIELDS)
            if "filing_id" in errors:
                errors.setdefault("training_class_id", []).extend(errors.pop("filing_id"))
            if not values["training_class_id"] and "training_class_id" not in errors:
                errors["training_class_id"] = [str(_l("请选择培训班"))]  # every missing choice at once
        found = cq.class_choices(db.session, actor, q, page_arg)
        keep = {"q": q, **({"accepted": "1"} if values["commitment_accepted"] else {})}

        def page_url(n: int) -> str:
            return url_for("ClaimView.apply") + "?" + urlencode({**{k: v for k, v in keep.items() if v}, "page": n})

        from models.enterprise import Enterprise

        body = self.render_template(
            "claims/apply.html", enterprise=db.session.get(Enterprise, actor.enterprise_id), found=found,
            page_url=page_url, q=q, values=values, errors=errors, general=general, today=today(),
            stages=[(code, ClaimStage.label(code), STAGE_HELP[code]) for code in ClaimStage.codes()],
            period_of=lambda row: cq.class_period(row["start_date"], row["end_date"], today()),
            period_labels=cq.PERIOD_LABELS, type_label=ApprenticeshipType.label, class_status=ClassStatus.label)
        return body, (422 if errors or general else 200)

    # -----------------------------------------------------------------------------------------------------
    # 办理结果 (manual §3.2.3.2)
    # -----------------------------------------------------------------------------------------------------

    @expose("/results")
    @has_access
    def results(self):
        actor = enterprise_actor()
        filters = cq.ClaimFilters.from_args(request.args)
        size = cq.page_size(request.args.get("size"))
        found = cq.results_page(db.session, actor, filters, request.args.get("page", 1), size)
        keep = {**filters.as_args(), "size": str(size)}

        def page_url(n: int) -> str:
            return url_for("ClaimView.results") + "?" + urlencode({**keep, "page": n})

        return self.render_template(
            "claims/results.html", found=found, page_url=page_url, query=filters.values, errors=filters.errors,
            stages=ClaimStage.choices(), statuses=ClaimStatus.choices(), status_style=STATUS_STYLE, size=size,
            page_sizes=cq.PAGE_SIZES,
            status_label=ClaimStatus.label, stage_label=ClaimStage.label)

    # -----------------------------------------------------------------------------------------------------
    # The claim page
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/<tab>")
    @has_access
    def tab(self, claim_id: int, tab: str):
        if tab not in TABS:
            abort(404)
        claim = load_claim_or_404(claim_id)
        return render_tab(self, claim, tab)

    # -----------------------------------------------------------------------------------------------------
    # 单位基本信息 (R20)
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/unit/save", methods=["POST"])
    @has_access
    def save_unit(self, claim_id: int):
        actor = enterprise_actor()
        data = posted(UNIT_FIELDS)
        error, _ = attempt(ca.save_unit_info, actor, claim_id, data)
        if error is None:
            flash(str(_l("单位基本信息已保存，请添加人员信息")), "success")
            return redirect(claim_url(claim_id, "persons"))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(claim_url(claim_id, "unit"))
        claim = load_claim_or_404(claim_id)
        errors, general = error_map(error, UNIT_FIELDS)
        general.insert(0, str(_l("保存失败，请按提示修改后重新保存")))
        return render_tab(self, claim, "unit", form_values=data, form_errors=errors, general=general, status=422)

    # -----------------------------------------------------------------------------------------------------
    # 附件 (R23)
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/attachments/upload", methods=["POST"])
    @has_access
    def upload(self, claim_id: int):
        actor = enterprise_actor()
        kind = request.form.get("kind", "")
        name, content = posted_file()
        error, row = attempt(ca.add_claim_attachment, actor, claim_id, kind, name, content)
        if error is None:
            flash(str(_l("附件“%(name)s”已上传", name=row.file_name)), "success")
            return redirect(claim_url(claim_id, "attachments"))
        abort_for(error)
        if isinstance(error, TransitionNotAllowed):
            flash(str(error.message), "danger")
            return redirect(claim_url(claim_id, "attachments"))
        claim = load_claim_or_404(claim_id)
        errors, general = error_map(error, ("kind", "file"))
        return render_tab(self, claim, "attachments", form_values={"kind": kind}, form_errors=errors,
                               general=general, status=422)

    def _attachment_of(self, attachment_id: Any, claim: Optional[SubsidyClaim] = None) -> Attachment:
        """A material of a claim of the enterprise (of ``claim`` when given); anything else 404."""
        actor = enterprise_actor()
        try:
            row = load_scoped(db.session, Attachment, attachment_id, actor)
        except NotFound:
            abort(404)
        if row.subsidy_claim_id is None or (claim is not None and row.subsidy_claim_id != claim.id):
            abort(404)
        return row

    @expose("/<int:claim_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
    @has_access
    def delete_attachment(self, claim_id: int, attachment_id: int):
        actor = enterprise_actor()
        claim = load_claim_or_404(claim_id)
        row = self._attachment_of(attachment_id, claim)
        name = row.file_name
        error, _ = attempt(ca.delete_claim_attachment, actor, row.id)
        if error is None:
            flash(str(_l("附件“%(name)s”已删除", name=name)), "success")
        else:
            abort_for(error)
            flash(str(error.message), "danger")
        return redirect(claim_url(claim_id, "attachments"))

    @expose("/attachment/<int:attachment_id>")
    @has_access
    def attachment(self, attachment_id: int):
        return attachment_response(self._attachment_of(attachment_id), inline_allowed=True)

    # -----------------------------------------------------------------------------------------------------
    # 删除 / 提交审核 / 取消申请 (R23)
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/do/<action>", methods=["POST"])
    @has_access
    def transition(self, claim_id: int, action: str):
        enterprise_actor()
        load_claim_or_404(claim_id)
        back = request.form.get("next")
        error, _ = dispatch(ENTITY, action, claim_id)
        if error is not None:
            flash(str(error.message), "danger")
            if action == "submit" and isinstance(error, ValidationFailed):
                for item in error.errors:
                    flash(str(item.message), "danger")
                return redirect(claim_url(claim_id, "submit"))
            return redirect(get_safe_redirect(back) if back else claim_url(claim_id, "unit"))
        if back:
            return redirect(get_safe_redirect(back))
        if workflow(ENTITY).transition(action).target in (None, ClaimStatus.SUBMITTED):
            return redirect(url_for("ClaimView.results"))  # gone, or out of the user's hands until reviewed
        return redirect(claim_url(claim_id, "unit"))

    # -----------------------------------------------------------------------------------------------------
    # 下载申请表 / 下载花名册 / 导出花名册 (R23)
    # -----------------------------------------------------------------------------------------------------

    @expose("/<int:claim_id>/form.pdf")
    @has_access
    def form_pdf(self, claim_id: int):
        return self._document(claim_id, "form.pdf")

    @expose("/<int:claim_id>/roster.pdf")
    @has_access
    def roster_pdf(self, claim_id: int):
        return self._document(claim_id, "roster.pdf")

    @expose("/<int:claim_id>/roster.xlsx")
    @has_access
    def roster_xlsx(self, claim_id: int):
        return self._document(claim_id, "roster.xlsx")

    @expose("/<int:claim_id>/roster.pdf/job", methods=["POST"])
    @has_access
    def roster_job(self, claim_id: int):
        """下载花名册 of a large roster: a background job, then its progress page (我的下载)."""
        claim = load_claim_or_404(claim_id)
        if claim.status not in DOCUMENT_STATES:
            flash(str(_l("补贴申请提交审核后才能下载申请表和花名册")), "warning")
            return redirect(claim_url(claim.id, "unit"))
        public_id, error = start_job("claim_roster_pdf", {"claim_id": claim.id},
                                     title=_l("补贴花名册（PDF）- 申请 %(id)s", id=claim.id))
        if error is not None:
            flash(str(error.message), "danger")
            return redirect(claim_url(claim.id, "unit"))
        return redirect(url_for("DownloadsView.progress", job_id=public_id))

    def _document(self, claim_id: int, document: str):
        claim = load_claim_or_404(claim_id)
        if claim.status not in DOCUMENT_STATES:
            flash(str(_l("补贴申请提交审核后才能下载申请表和花名册")), "warning")
            return redirect(claim_url(claim.id, "unit"))
        if document == "roster.pdf" and roster_as_job(cq.person_count(db.session, claim)):
            flash(str(_l("花名册人数较多，请点击“下载花名册”在后台生成，完成后自动下载")), "warning")
            return redirect(claim_url(claim.id, "unit"))
        from services import claim_documents as docs

        kind, _label, media_type = DOCUMENTS[document]
        build = {"form": docs.claim_form_pdf, "roster": docs.claim_roster_pdf,
                 "roster_xlsx": docs.claim_roster_xlsx}[kind]
        content = build(db.session, claim)
        name = docs.claim_document_name(claim, kind)
        response = Response(content, mimetype=media_type)
        response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


# ---------------------------------------------------------------------------------------------------------
# 提交审核: the readiness checklist and the amounts (R21, R22)
# ---------------------------------------------------------------------------------------------------------


def submit_context(session, claim: SubsidyClaim) -> dict[str, Any]:
    """The checklist (``ca.readiness``), the failing count, the live total and the reckoning of the amount."""
    ready = ca.readiness(session, claim)
    persons = ready["persons"]
    failing = [p for p in persons if not p["ok"]]
    amounts_known = [p["amount"] for p in persons if p["amount"] is not None]
    from decimal import Decimal

    total = sum((Decimal(a) for a in amounts_known), Decimal("0.00")) if persons else None
    figures = None
    if claim.training_class is not None:
        figures = amounts.class_amount(session, claim.filing, claim.training_class, claim.stage)
    return {"readiness": ready, "failing_count": len(failing), "total": total,
            "unknown_amounts": len(persons) - len(amounts_known), "figures": figures,
            "percent": lambda v: f"{(Decimal(v) * 100).quantize(Decimal('0.1'))}%",
            "item_tabs": {"unit_info": "unit", "persons": "persons", "attachments": "attachments"}}

"""人员信息【导入】 screen of a subsidy claim (manual §3.2.3.1: 在人员信息界面点击导入按钮，进入导入界面。点击下载模板，
将导入模板填写完毕后点击导入上传): 下载模板 → upload → 检查 (every error by row / column / value, or a preview) →
确认导入, and 下载错误标注文件 (the user's workbook with the bad cells marked). Reached from the 【导入】 button of the
claim page's 人员信息 tab (``/claims/<claim_id>/import``), no menu; back there after 确认导入.

As the filing imports (``views.ui.imports``) the app keeps nothing between the steps: the workbook travels back in a
hidden form field and is checked again in full at 确认导入 — the steps and the page are the filing imports'
(``views.ui.import_steps``, ``templates/imports/_upload_page.html``). Reading + importing is
``views.api.claim_import`` (shared with the REST endpoint); every rule is in ``actions.subsidies.person_import``.
Only the claim's enterprise uses it (``SubsidyClaim`` write permission: reviewers and the admin get 403; another
enterprise's claim 404); a claim that is not DRAFT/RETURNED is shown read-only and an upload answers 409.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions.subsidies import person_import
from actions.subsidies.claims import EDITABLE
from actions.subsidies.person_import import PersonImportResult
from core.errors import NotFound
from core.validators import mask_id_number
from models.base import db
from models.enums import ClaimStage, ClaimStatus
from models.lookups import SkillLevel
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from views.api.claim_import import KIND, load_claim, run_claim_import, template_response
from views.ui.forms import endpoint_exists
from views.ui.import_steps import check_or_confirm, error_workbook, page_context


def claim_page_url(claim_id: int) -> Optional[str]:
    """The claim page's 人员信息 tab (``views.ui.claims``), when that screen is registered."""
    if endpoint_exists("ClaimView.tab"):
        return url_for("ClaimView.tab", claim_id=claim_id, tab="persons")
    return None


class ClaimImportView(BaseView):
    """下载模板 / upload / check / preview / 确认导入 / 错误标注文件 for the persons of one claim."""

    route_base = "/claims"
    default_view = "upload"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"upload": "write", "template": "write", "errors": "write"}

    def _claim(self, claim_id: int) -> SubsidyClaim:
        try:
            return load_claim(claim_id)
        except NotFound:
            abort(404)

    def _page(self, claim: SubsidyClaim, *, status: int = 200, **check: Any):
        context = page_context(preview_type=PersonImportResult, **check)
        levels = {lv.level: lv.name for lv in db.session.query(SkillLevel)} if context["preview"] else {}
        existing = db.session.scalar(select(func.count()).select_from(SubsidyClaimPerson)
                                     .where(SubsidyClaimPerson.subsidy_claim_id == claim.id)) or 0
        return self.render_template(
            "claim_import/upload.html", claim=claim, columns=person_import.columns(), kind=KIND,
            editable=claim.status in EDITABLE, back_url=claim_page_url(claim.id), existing=existing,
            template_url=url_for("ClaimImportView.template", claim_id=claim.id), upload_url=_upload_url(claim.id),
            errors_url=url_for("ClaimImportView.errors", claim_id=claim.id),
            preview_cells=lambda v: [v["name"], mask_id_number(v["id_number"]), v.get("certificate_no") or "",
                                     str(levels.get(v.get("skill_level"), v.get("skill_level") or ""))],
            stage_label=ClaimStage.label(claim.stage), status_label=ClaimStatus.label(claim.status), **context,
        ), status

    @expose("/<int:claim_id>/import", methods=["GET", "POST"])
    @has_access
    def upload(self, claim_id: int):
        claim = self._claim(claim_id)
        if request.method == "GET":
            return self._page(claim)
        return check_or_confirm(
            _runner(claim.id), preview_type=PersonImportResult, retry_url=_upload_url(claim.id),
            page=lambda status, **check: self._page(self._claim(claim_id), status=status, **check),
            done=lambda result: (_l("已成功导入 %(n)d 名人员", n=result.count),
                                 claim_page_url(claim_id) or _upload_url(claim_id)))

    @expose("/<int:claim_id>/import/template")
    @has_access
    def template(self, claim_id: int):
        return template_response(self._claim(claim_id))

    @expose("/<int:claim_id>/import/errors", methods=["POST"])
    @has_access
    def errors(self, claim_id: int):
        claim = self._claim(claim_id)
        return error_workbook(_runner(claim.id), retry_url=_upload_url(claim.id),
                              ascii_name="claim_persons_errors.xlsx")


def _upload_url(claim_id: int) -> str:
    return url_for("ClaimImportView.upload", claim_id=claim_id)


def _runner(claim_id: int):
    """``import_steps.Run`` of the claim: read + import (or check) its persons."""
    return lambda content, file_name, dry_run: run_claim_import(claim_id, content, file_name, dry_run=dry_run)

"""人员信息【导入】 screen of a subsidy claim (manual §3.2.3.1: 在人员信息界面点击导入按钮，进入导入界面。点击下载模板，
将导入模板填写完毕后点击导入上传): 下载模板 → upload → 检查 (every error by row / column / value, or a preview) →
确认导入, and 下载错误标注文件 (the user's workbook with the bad cells marked). Reached from the 【导入】 button of the
claim page's 人员信息 tab (``/claims/<claim_id>/import``), no menu; back there after 确认导入.

As the filing imports (``views.ui.imports``) the app keeps nothing between the steps: the workbook travels back in a
hidden form field and is checked again in full at 确认导入. Reading + importing is ``views.api.claim_import``
(shared with the REST endpoint); every rule is in ``actions.subsidies.person_import``. Only the claim's enterprise
uses it (``SubsidyClaim`` write permission: reviewers and the admin get 403; another enterprise's claim 404); a claim
that is not DRAFT/RETURNED is shown read-only and an upload answers 409.
"""
from __future__ import annotations

import base64
from typing import Any, Optional

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions.subsidies import person_import
from actions.subsidies.claims import EDITABLE
from actions.subsidies.person_import import PersonImportResult
from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from core.validators import mask_id_number
from imports import annotate
from imports.reader import ParsedSheet
from models.base import db
from models.enums import ClaimStage, ClaimStatus
from models.lookups import SkillLevel
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from views.api.claim_import import load_claim, run_claim_import, template_response
from views.api.imports import download, import_limits
from views.ui.forms import endpoint_exists
from views.ui.imports import _letter, _posted_payload  # the filing import screen's helpers, shared

#: The page lists at most this many errors; the annotated workbook and the API list every one.
MAX_ERRORS_SHOWN = 1000


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

    def _page(self, claim: SubsidyClaim, *, parsed: Optional[ParsedSheet] = None, result: Any = None,
              content: Optional[bytes] = None, file_name: Optional[str] = None, status: int = 200):
        errors: list[FieldError] = []
        message = None
        if isinstance(result, DomainError):
            message = str(result.message)
            errors = list(result.errors)
        preview = result if isinstance(result, PersonImportResult) else None
        row_errors = bool(parsed) and any(e.row and e.row > parsed.header_row for e in errors)
        payload = base64.b64encode(content).decode("ascii") if content is not None and (preview or row_errors) \
            else None
        levels = {lv.level: lv.name for lv in db.session.query(SkillLevel)} if preview else {}
        existing = db.session.scalar(select(func.count()).select_from(SubsidyClaimPerson)
                                     .where(SubsidyClaimPerson.subsidy_claim_id == claim.id)) or 0
        limits = import_limits()
        return self.render_template(
            "claim_import/upload.html", claim=claim, columns=person_import.columns(),
            editable=claim.status in EDITABLE, parsed=parsed, preview=preview, message=message,
            errors=errors[:MAX_ERRORS_SHOWN], error_total=len(errors), row_errors=row_errors, payload=payload,
            file_name=file_name, back_url=claim_page_url(claim.id), existing=existing,
            letter_of=lambda e: _letter(parsed, e),
            preview_cells=lambda v: [v["name"], mask_id_number(v["id_number"]), v.get("certificate_no") or "",
                                     str(levels.get(v.get("skill_level"), v.get("skill_level") or ""))],
            stage_label=ClaimStage.label(claim.stage), status_label=ClaimStatus.label(claim.status),
            max_rows=limits["max_rows"], max_mb=max(1, limits["max_bytes"] // (1024 * 1024)),
        ), status

    @expose("/<int:claim_id>/import", methods=["GET", "POST"])
    @has_access
    def upload(self, claim_id: int):
        claim = self._claim(claim_id)
        if request.method == "GET":
            return self._page(claim)
        action = request.form.get("action", "check")
        if action == "confirm":
            content, file_name = _posted_payload()
        else:
            upload = request.files.get("file")
            content = upload.read() if upload else b""
            file_name = (upload.filename if upload else "") or ""
        if content is None:
            flash(str(_l("确认导入的数据已失效，请重新选择文件上传")), "danger")
            return redirect(url_for("ClaimImportView.upload", claim_id=claim.id))
        if not content and not file_name:
            error = ValidationFailed([FieldError("file", _l("请选择要导入的 Excel 文件（.xlsx）"))])
            return self._page(claim, result=error, status=422)
        parsed, result = run_claim_import(claim.id, content, file_name, dry_run=action != "confirm")
        if isinstance(result, PersonImportResult) and not result.dry_run:
            flash(str(_l("已成功导入 %(n)d 名人员", n=result.count)), "success")
            return redirect(claim_page_url(claim.id) or url_for("ClaimImportView.upload", claim_id=claim.id))
        db.session.expire_all()
        claim = self._claim(claim_id)
        status = 200 if isinstance(result, PersonImportResult) else getattr(result, "status_code", 422)
        return self._page(claim, parsed=parsed, result=result, content=content, file_name=file_name, status=status)

    @expose("/<int:claim_id>/import/template")
    @has_access
    def template(self, claim_id: int):
        return template_response(self._claim(claim_id))

    @expose("/<int:claim_id>/import/errors", methods=["POST"])
    @has_access
    def errors(self, claim_id: int):
        claim = self._claim(claim_id)
        content, file_name = _posted_payload()
        if not content:
            flash(str(_l("错误标注文件已失效，请重新上传文件")), "danger")
            return redirect(url_for("ClaimImportView.upload", claim_id=claim.id))
        parsed, result = run_claim_import(claim.id, content, file_name, dry_run=True)
        if parsed is None or not isinstance(result, DomainError) or not result.errors:
            flash(str(_l("该文件没有可标注的数据错误，请重新上传检查")), "info")
            return redirect(url_for("ClaimImportView.upload", claim_id=claim.id))
        annotated = annotate.annotate(content, parsed, result.errors)
        return download(annotated, annotate.error_file_name(file_name), "claim_persons_errors.xlsx")


"""The documents of a 补贴申请 once submitted (R23: 下载申请表, 下载花名册, 导出花名册; DESIGN §10):
``GET /api/v1/subsidy_claim/<pk>/form.pdf``, ``roster.pdf`` and ``roster.xlsx`` (``ClaimDocumentsApi``), rendered by
``services.claim_documents``. 404 missing or out of scope (a reviewer never sees a DRAFT), 409 until submitted.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, current_app
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions.subsidies.claims import DOCUMENT_STATES, document_claim  # noqa: F401 (re-exported)
from core.errors import DomainError
from models.base import db
from models.scope import current_actor
from queries.claims import person_count
from views.api.openapi import CONFLICT, RULE_FAILED, add_components, operation
from views.base import ChineseApiResponses
from views.glue import error_response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: kind → (media type, what the 200 answer is)
DOCUMENTS = {
    "form": ("application/pdf", "补贴申请表 PDF（附件名 补贴申请表-<编号>.pdf）"),
    "roster": ("application/pdf", "补贴花名册 PDF（附件名 补贴花名册-<编号>.pdf，每页小计、末页合计）"),
    "roster_xlsx": (XLSX, "补贴花名册 xlsx（附件名 补贴花名册-<编号>.xlsx；身份证号码为文本，金额为数字）"),
}


def _document(kind: str, pk: Any):
    from services import claim_documents as docs

    build = {"form": docs.claim_form_pdf, "roster": docs.claim_roster_pdf, "roster_xlsx": docs.claim_roster_xlsx}
    try:
        claim = document_claim(db.session, current_actor(), pk)
        if kind == "roster":
            refuse_large_roster(claim)
        content = build[kind](db.session, claim)
        name = docs.claim_document_name(claim, kind)
    except DomainError as exc:
        return error_response(exc)
    finally:
        db.session.rollback()  # read-only
    response = Response(content, mimetype=DOCUMENTS[kind][0])
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def refuse_large_roster(claim) -> None:
    """DESIGN §9: a roster PDF of more than ``ROSTER_DIRECT_MAX_PERSONS`` persons is not rendered in a request.

    :raises DomainError: (422) too many persons, pointing to ``POST /api/v1/subsidy_claim/<pk>/roster.pdf/job``.
    """
    limit = int(current_app.config.get("ROSTER_DIRECT_MAX_PERSONS", 300))
    persons = person_count(db.session, claim)
    if persons > limit:
        raise DomainError(_l("花名册共 %(n)d 人，超过直接下载的上限 %(limit)d 人：请用 POST "
                             "/api/v1/subsidy_claim/%(id)s/roster.pdf/job 在后台生成", n=persons, limit=limit,
                             id=claim.id))


def _operation(kind: str, summary: str):
    media_type, description = DOCUMENTS[kind]
    large = {422: RULE_FAILED} if kind == "roster" else {}
    return operation("get", summary,
                     "按权限范围（审核员看不到未提交的申请：404）；申请须已提交（已提交待审核或审核通过），否则答 409（R23）。"
                     + ("人数超过 ROSTER_DIRECT_MAX_PERSONS 时答 422：请用 POST …/roster.pdf/job 在后台生成。"
                        if kind == "roster" else ""),
                     ok={"description": description,
                         "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}},
                     responses={409: CONFLICT, **large})


class ClaimDocumentsApi(ChineseApiResponses, BaseApi):
    """``GET /api/v1/subsidy_claim/<pk>/form.pdf|roster.pdf|roster.xlsx``."""

    resource_name = "subsidy_claim"
    openapi_spec_tag = "subsidy_claim 补贴申领"  # grouped with the claim resource in Swagger
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"form_pdf": "read", "roster_pdf": "read", "roster_xlsx": "read"}
    allow_browser_login = True

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        add_components(api_spec)

    @expose("/<int:pk>/form.pdf", methods=["GET"])
    @protect()
    @safe
    @permission_name("form_pdf")
    @_operation("form", "下载申请表（PDF，R23）")
    def form_pdf(self, pk: int):
        return _document("form", pk)

    @expose("/<int:pk>/roster.pdf", methods=["GET"])
    @protect()
    @safe
    @permission_name("roster_pdf")
    @_operation("roster", "下载花名册（PDF，R23）")
    def roster_pdf(self, pk: int):
        return _document("roster", pk)

    @expose("/<int:pk>/roster.xlsx", methods=["GET"])
    @protect()
    @safe
    @permission_name("roster_xlsx")
    @_operation("roster_xlsx", "导出花名册（xlsx，R23）")
    def roster_xlsx(self, pk: int):
        return _document("roster_xlsx", pk)

"""人员信息【导入】 of a subsidy claim over REST (DESIGN §10 Subsidy bullet; manual §3.2.3.1), and the helpers the
import screen (``views.ui.claim_import``) shares with it:

- ``GET /api/v1/subsidy_claim/<pk>/import/person/template``: the 下载模板 workbook;
- ``POST /api/v1/subsidy_claim/<pk>/import/person`` (multipart ``file``; ``?dry_run=1`` checks only): all rows or none
  (``actions.subsidies.person_import.import_persons``); 422 with ``errors: [{row, column, value, message}]``.

Reading, the template and the annotated error workbook are the filing imports' machinery (``imports.reader``,
``imports.template``, ``imports.annotate``, ``views.api.imports.run_upload`` / ``import_answer`` / ``download`` /
``import_limits``); only the columns, the rules and the target differ. Only the claim's enterprise may import
(``SubsidyClaim`` write permission: reviewers and the admin get 403), only into a DRAFT/RETURNED claim (409),
another enterprise's claim is 404.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Response
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions.subsidies import claims, person_import
from core.errors import NotFound
from imports import reader, template
from imports.reader import ParsedSheet
from models.base import db
from models.enums import ClaimStage
from models.scope import current_actor
from models.subsidy import SubsidyClaim
from views.api.imports import download, import_answer, import_limits, run_upload
from views.base import ChineseApiResponses
from views.glue import error_response

KIND = "subsidy_claim_person"
TEMPLATE_NAME = f"{person_import.SHEET}导入模板.xlsx"
PREVIEW_ROWS = 20


def load_claim(claim_id: Any) -> SubsidyClaim:
    """The claim through the scope (another enterprise's, or a reviewer's draft: NotFound)."""
    return claims.load_claim(db.session, current_actor(), claim_id)


def template_response(claim: SubsidyClaim) -> Response:
    """下载模板: 身份证号码 (text), 姓名, 证书编号 (text), 证书等级 (dropdown of the 技能等级 table) and a 填写说明."""
    subtitle = (f"补贴申请：{claim.enterprise.name} · {ClaimStage.label(claim.stage)}"
                f" · 备案编号 {claim.filing.filing_no or claim.filing_id}")
    content = template.build_template(db.session, claim.filing, KIND, person_import.columns(),
                                      max_rows=import_limits()["max_rows"], title=person_import.SHEET,
                                      subtitle=subtitle, rules=person_import.template_rules())
    return download(content, TEMPLATE_NAME, "claim_persons_template.xlsx")


def _check_editable(session: Session, claim_id: int) -> None:
    """A claim that is not DRAFT/RETURNED answers 409 whatever the file holds (the action's own check, its row lock
    released while the file is read; the action takes it again)."""
    claims.load_claim(session, current_actor(), claim_id, editable=True)
    session.rollback()


def run_claim_import(claim_id: int, content: bytes, file_name: str, *, dry_run: bool
                     ) -> tuple[Optional[ParsedSheet], Any]:
    """``views.api.imports.run_upload`` of a claim's persons: ``(parsed sheet or None, PersonImportResult or
    DomainError)``; commits once on success, rolls back on any failure."""
    return run_upload(
        content, file_name, dry_run=dry_run, check=lambda session: _check_editable(session, claim_id),
        read=lambda c, n: reader.read_workbook(c, n, person_import.columns(), sheet_hint=person_import.SHEET,
                                               min_headers=1, **import_limits()),
        store=lambda session, parsed, source: person_import.import_persons(
            session, current_actor(), claim_id, parsed.rows, dry_run=dry_run, sheet=parsed.sheet,
            preview_rows=PREVIEW_ROWS, source=source))


class ClaimPersonImportApi(ChineseApiResponses, BaseApi):
    """``/api/v1/subsidy_claim/<pk>/import/person[/template]`` — next to the ``subsidy_claim`` resource."""

    resource_name = "subsidy_claim"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"import_person_template": "write", "import_person": "write"}
    openapi_spec_tag = "Subsidy claim import"
    allow_browser_login = False  # a write endpoint exempt from CSRF: Bearer JWT only

    @api_expose("/<int:pk>/import/person/template", methods=["GET"])
    @protect()
    @safe
    def import_person_template(self, pk: int):
        """The 人员信息 import template (xlsx) of one claim.
        ---
        get:
          summary: 下载人员信息导入模板
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            200: {description: xlsx template}
            401: {description: not logged in}
            403: {description: not an enterprise user}
            404: {description: missing or out of scope}
        """
        try:
            claim = load_claim(pk)
        except NotFound as exc:
            return error_response(exc)
        return template_response(claim)

    @api_expose("/<int:pk>/import/person", methods=["POST"])
    @protect()
    @safe
    def import_person(self, pk: int):
        """Import persons (multipart field ``file``, xlsx) into a DRAFT/RETURNED claim; ``?dry_run=1`` checks only.
        ---
        post:
          summary: 导入人员信息（全部成功或全部不导入）
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: query, name: dry_run, schema: {type: integer, enum: [0, 1]}}
          requestBody:
            content:
              multipart/form-data:
                schema: {type: object, properties: {file: {type: string, format: binary}}}
          responses:
            200: {description: 'dry run passed: {message, count, dry_run, warnings}'}
            201: {description: 'every person added: {message, count, dry_run, warnings}'}
            400: {description: malformed request}
            401: {description: not logged in}
            403: {description: not an enterprise user}
            404: {description: missing or out of scope}
            409: {description: the claim is not editable (not DRAFT/RETURNED)}
            413: {description: the upload is too large}
            422: {description: 'errors: [{row, column, value, message}]; nothing added'}
        """
        try:
            load_claim(pk)
        except NotFound as exc:
            return error_response(exc)
        return import_answer(
            self, lambda content, name, dry_run: run_claim_import(pk, content, name, dry_run=dry_run),
            lambda n, dry_run: (_l("检查通过，可导入 %(n)d 名人员", n=n) if dry_run
                                else _l("已成功导入 %(n)d 名人员", n=n)))

"""Registry imports over REST (issue 14) and the helpers the import screens (``views.ui.registry_imports``) share:

- ``POST /api/v1/occupation/import``, ``/api/v1/enterprise/import``, ``/api/v1/training_institution/import``
  (multipart field ``file``; ``?dry_run=1`` checks only): all rows or none
  (``actions.registry_imports.import_registry``); 200 (checked) / 201 (stored) with ``count``, ``created``,
  ``updated``, ``unchanged``; 422 with ``errors: [{row, column, value, message}]``; a 单位 import that created first
  accounts also answers ``accounts: [{username, enterprise_id, one_time_password}]`` (once; ``no-store``);
- ``GET …/import/template``: the 下载模板 workbook.

Reading, the template and the annotated error workbook are the filing imports' machinery (``imports.reader``,
``imports.template``, ``imports.annotate``, ``views.api.imports.run_upload`` / ``import_answer`` / ``download`` /
``import_limits``). 职业工种 and 培训机构: the provincial admin (their ``Occupation`` / ``TrainingInstitution`` write
permission); 单位: the admin and the city reviewers (``EnterpriseImport``, models/roles.py; a reviewer its own city).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Response
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import lazy_gettext as _l

from actions import registry_imports
from imports import reader
from imports import registry as layout
from imports.reader import ParsedSheet
from models.base import db
from models.scope import current_actor
from views.api.imports import download, import_answer, import_limits, run_upload
from views.base import ChineseApiResponses

PREVIEW_ROWS = 20
#: Names of the kinds on screen (translated with the UI; the files keep their Chinese sheet names).
KIND_UI = {"occupation": _l("职业工种"), "enterprise": _l("单位信息"), "training_institution": _l("培训机构")}


def template_response(kind: str) -> Response:
    """下载模板 of ``kind`` for the current user (a city reviewer's 地市 dropdown holds its own city)."""
    actor = current_actor()
    session = db.session
    choices = {"city": registry_imports.city_choices(session, actor)} if kind == "enterprise" else None
    who = "省级管理员" if actor.is_admin else f"地市审核员（{registry_imports.city_names(session).get(actor.city_code)}）"
    content = layout.template_bytes(session, kind, registry_imports.columns(kind),
                                    max_rows=import_limits()["max_rows"], subtitle=f"{layout.SHEETS[kind]} · {who}",
                                    choices=choices)
    return download(content, layout.template_file_name(kind), f"{kind}_template.xlsx")


def run_registry_import(kind: str, content: bytes, file_name: str, *, dry_run: bool
                        ) -> tuple[Optional[ParsedSheet], Any]:
    """``run_upload`` of a registry import: ``(parsed sheet or None, RegistryImportResult or DomainError)``; commits
    once on success, rolls back on any failure."""
    return run_upload(
        content, file_name, dry_run=dry_run,
        read=lambda c, n: reader.read_workbook(c, n, registry_imports.columns(kind), sheet_hint=layout.SHEETS[kind],
                                               **import_limits()),
        store=lambda session, parsed, source: registry_imports.import_registry(
            session, current_actor(), kind, parsed.rows, dry_run=dry_run, sheet=parsed.sheet,
            preview_rows=PREVIEW_ROWS, source=source))


def result_message(kind: str, result: Any) -> Any:
    """检查通过 / 已导入 with the created and updated counts."""
    if result.dry_run:
        return _l("检查通过：%(kind)s共 %(n)d 条，将新增 %(c)d 条、更新 %(u)d 条、%(s)d 条无变化", kind=KIND_UI[kind],
                  n=result.count, c=result.created, u=result.updated, s=result.unchanged)
    done = _l("已导入%(kind)s：新增 %(c)d 条，更新 %(u)d 条，%(s)d 条无变化", kind=KIND_UI[kind], c=result.created,
              u=result.updated, s=result.unchanged)
    if result.accounts:  # the first accounts of imported enterprises (actions.registry_imports.FirstAccount)
        return _l("%(done)s；创建账号 %(n)d 个", done=done, n=len(result.accounts))
    return done


_DOC_RESPONSES = """
          responses:
            200: {description: 'dry run passed: {message, count, created, updated, unchanged, dry_run, warnings}'}
            201: {description: 'stored: {message, count, created, updated, unchanged, dry_run, warnings[, accounts]}'}
            400: {description: malformed request}
            401: {description: not logged in}
            403: {description: not allowed to import this registry}
            413: {description: the upload is too large}
            422: {description: 'errors: [{row, column, value, message}]; nothing stored'}
"""


class _RegistryImportApi(ChineseApiResponses, BaseApi):
    """``/api/v1/<resource>/import[/template]`` — next to the registry's own resource (views/api/registry.py)."""

    kind = ""
    method_permission_name = {"import_template": "write", "import_file": "write"}
    allow_browser_login = False  # a write endpoint exempt from CSRF: Bearer JWT only

    def _template(self):
        return template_response(self.kind)

    def _import(self):
        kind = self.kind
        holder: dict[str, Any] = {}

        def run(content: bytes, name: str, dry_run: bool):
            parsed, result = run_registry_import(kind, content, name, dry_run=dry_run)
            holder["result"] = result
            return parsed, result

        response = import_answer(self, run, lambda n, dry_run: result_message(kind, holder["result"]))
        result = holder.get("result")
        if response.status_code in (200, 201) and result is not None:
            body = response.get_json()
            body.update(created=result.created, updated=result.updated, unchanged=result.unchanged)
            if result.accounts:  # the first accounts' one-time passwords: this answer is their only copy
                body["accounts"] = [{k: a[k] for k in ("username", "enterprise_id", "one_time_password")}
                                    for a in result.accounts]
            if kind == "occupation":
                body.update(skipped=result.skipped, samples_removed=result.samples_removed,
                            samples_deactivated=result.samples_deactivated)
            response = self.response(response.status_code, **body)
            if result.accounts:
                response.headers["Cache-Control"] = "no-store"
        return response


def _documented(summary: str):
    """The OpenAPI text of the two endpoints (one place for the three kinds)."""
    template_doc = f"""The import template (xlsx).
        ---
        get:
          summary: 下载{summary}导入模板
          responses:
            200: {{description: xlsx template}}
            401: {{description: not logged in}}
            403: {{description: not allowed to import this registry}}
        """
    import_doc = f"""Import an xlsx file (multipart field ``file``); ``?dry_run=1`` checks only.
        ---
        post:
          summary: 导入{summary}（全部成功或全部不导入）
          parameters:
          - {{in: query, name: dry_run, schema: {{type: integer, enum: [0, 1]}}}}
          requestBody:
            content:
              multipart/form-data:
                schema: {{type: object, properties: {{file: {{type: string, format: binary}}}}}}
{_DOC_RESPONSES}        """
    return template_doc, import_doc


def _api(class_name: str, kind: str, resource: str, permission: str, summary: str) -> type:
    """One registry's import API: the two endpoints with their OpenAPI documentation."""
    template_doc, import_doc = _documented(summary)

    def import_template(self):
        return self._template()

    def import_file(self):
        return self._import()

    import_template.__doc__, import_file.__doc__ = template_doc, import_doc
    import_template.__name__, import_file.__name__ = "import_template", "import_file"
    return type(class_name, (_RegistryImportApi,), {
        "__doc__": f"``/api/v1/{resource}/import[/template]``: {summary}导入.",
        "kind": kind, "resource_name": resource, "class_permission_name": permission,
        "openapi_spec_tag": f"{summary} import",
        "import_template": api_expose("/import/template", methods=["GET"])(protect()(safe(import_template))),
        "import_file": api_expose("/import", methods=["POST"])(protect()(safe(import_file))),
    })


OccupationImportApi = _api("OccupationImportApi", "occupation", "occupation", "Occupation", "职业工种")
EnterpriseImportApi = _api("EnterpriseImportApi", "enterprise", "enterprise", "EnterpriseImport", "单位")
TrainingInstitutionImportApi = _api("TrainingInstitutionImportApi", "training_institution", "training_institution",
                                    "TrainingInstitution", "培训机构")
APIS = (OccupationImportApi, EnterpriseImportApi, TrainingInstitutionImportApi)

"""The Excel REST endpoints (DESIGN §10) and the file helpers the import and trainee screens share with them:

- ``GET /api/v1/filing/<pk>/import/<kind>/template`` and ``POST /api/v1/filing/<pk>/import/<kind>``
  (``?dry_run=1``): ``FilingImportApi`` — all rows or none (``actions.imports.import_rows``);
- ``GET /api/v1/trainee/export.xlsx``: ``TraineeExportApi`` — 导出学员名单 (``services.trainee_export``) in the
  request, up to ``TRAINEE_EXPORT_DIRECT_MAX_ROWS`` rows (larger: 422 pointing to ``POST /api/v1/trainee/export``,
  the background job of views/api/jobs.py).

``run_upload`` (read + check or import, one commit; ``run_import`` for a filing), ``import_answer`` (the POST's
answer), ``template_response``, ``download`` (an xlsx attachment), ``import_limits`` and ``export_response`` are
written once here; ``views.ui.imports``, ``views.ui.trainees`` and the subsidy claim's person import
(``views.api.claim_import``, ``views.ui.claim_import``) use them too.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Optional
from urllib.parse import quote

from flask import Response, current_app, request
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions.imports import import_rows
from actions.specs import import_columns
from core.clock import today
from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from imports import reader, template
from imports.reader import ParsedSheet
from imports.specs import KIND_LABELS, KINDS
from models.base import db
from models.filing import Filing
from models.scope import current_actor, load_scoped
from queries import trainees
from services import trainee_export
from views.base import ChineseApiResponses
from views.glue import error_response, translate_exception

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Names of the kinds on screen (translated with the UI; the files themselves keep their Chinese sheet names).
KIND_UI = {"training_class": _l("培训信息"), "teacher": _l("培训师资信息"), "trainee": _l("培训人员信息"),
           "course": _l("培训课程信息")}
PREVIEW_ROWS = 20


# ---------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------


def import_limits() -> dict:
    """The Excel import limits of the configuration (rows, upload bytes, unpacked bytes)."""
    config = current_app.config
    max_bytes = config.get("IMPORT_MAX_BYTES", config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024))
    return {
        "max_rows": int(config.get("IMPORT_MAX_ROWS", 10_000)),
        "max_bytes": int(max_bytes),
        "max_uncompressed": int(config.get("IMPORT_MAX_UNCOMPRESSED", 100 * 1024 * 1024)),
    }


def download(content: bytes, file_name: str, ascii_name: str) -> Response:
    """An xlsx attachment with a UTF-8 file name (RFC 5987) and an ASCII fallback."""
    response = Response(content, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(file_name)}")
    response.headers["Cache-Control"] = "no-store"
    return response


def template_response(filing: Filing, kind: str) -> Response:
    """下载模板: the import template of ``kind`` for ``filing`` (its columns and drop-down lists)."""
    columns = import_columns(kind, filing.apprenticeship_type)
    content = template.build_template(db.session, filing, kind, columns, max_rows=import_limits()["max_rows"])
    return download(content, template.template_file_name(kind), f"{kind}_template.xlsx")


def _parse(content: bytes, file_name: str, filing: Filing, kind: str) -> ParsedSheet:
    return reader.read_workbook(content, file_name, import_columns(kind, filing.apprenticeship_type),
                                sheet_hint=KIND_LABELS[kind], **import_limits())


def run_upload(content: bytes, file_name: str, *, dry_run: bool, read: Callable[[bytes, str], ParsedSheet],
               store: Callable[[Session, ParsedSheet, dict], Any],
               check: Optional[Callable[[Session], None]] = None) -> tuple[Optional[ParsedSheet], Any]:
    """Read and import (or check) an upload; commits once on success, rolls back on any failure.

    ``check(session)`` refuses before reading (e.g. a target that is not editable), ``read(content, file_name)`` is
    ``imports.reader``, ``store(session, parsed, source)`` the import action (``source``: file name, SHA-256, rows
    for its audit event). Returns ``(parsed sheet or None, the action's result or DomainError)``.
    """
    session = db.session
    parsed = None
    try:
        if check is not None:
            check(session)
        parsed = read(content, file_name)
        source = {"file_name": file_name, "sha256": hashlib.sha256(content).hexdigest(), "rows": len(parsed.rows)}
        result = store(session, parsed, source)
        if dry_run:
            session.rollback()
        else:
            session.commit()
        return parsed, result
    except Exception as exc:  # noqa: BLE001 - every failure rolls back; unknown ones are re-raised
        session.rollback()
        error = translate_exception(exc)
        if error is None:
            raise
        return parsed, error


def run_import(filing: Filing, kind: str, content: bytes, file_name: str, *, dry_run: bool
               ) -> tuple[Optional[ParsedSheet], Any]:
    """``run_upload`` of a filing import: returns ``(parsed sheet or None, ImportResult or DomainError)``."""
    return run_upload(
        content, file_name, dry_run=dry_run, read=lambda c, n: _parse(c, n, filing, kind),
        store=lambda session, parsed, source: import_rows(
            session, current_actor(), filing.id, kind, parsed.rows, dry_run=dry_run, sheet=parsed.sheet,
            preview_rows=PREVIEW_ROWS, source=source))


def import_answer(api: BaseApi, run: Callable[[bytes, str, bool], tuple[Any, Any]],
                  message: Callable[[int, bool], Any], **extra: Any) -> Response:
    """The POST of an import endpoint: the multipart field ``file``, ``?dry_run=1`` checks only. 200 (checked) or
    201 (stored) with ``message`` (``message(count, dry_run)``), ``extra``, ``count``, ``dry_run`` and ``warnings``;
    400 without a file; a refusal (409, 413, 422 with ``errors: [{row, column, value, message}]``) as DESIGN §10."""
    upload = request.files.get("file")
    if upload is None:
        return error_response(ValidationFailed([FieldError("file", _l("请以 multipart 字段 file 上传 .xlsx 文件"))]))
    dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
    _parsed, result = run(upload.read(), upload.filename or "", dry_run)
    if isinstance(result, DomainError):
        return error_response(result)
    return api.response(200 if dry_run else 201, message=str(message(result.count, dry_run)), **extra,
                        count=result.count, dry_run=dry_run, warnings=[w.as_dict() for w in result.warnings])


def export_response(filters: trainees.TraineeFilters) -> Response | DomainError:
    """The streamed 导出学员名单 workbook of the current user's trainees matching ``filters`` — or, above
    ``TRAINEE_EXPORT_DIRECT_MAX_ROWS`` rows, the DomainError pointing to the background export (DESIGN §9: no
    request works more than a few seconds; a province-wide export is ``POST /api/v1/trainee/export``)."""
    limit = int(current_app.config.get("TRAINEE_EXPORT_DIRECT_MAX_ROWS", 20_000))
    total = trainees.count_trainees(db.session, current_actor(), filters)
    if total > limit:
        db.session.rollback()
        return DomainError(_l("共 %(n)d 人，超过直接下载的上限 %(limit)d 人：请点击“导出学员名单”在后台导出"
                              "（接口：POST /api/v1/trainee/export），完成后在“我的下载”中下载", n=total, limit=limit))
    path, count = trainee_export.export_trainees(db.session, current_actor(), filters)
    db.session.rollback()  # the read transaction ends before the (possibly slow) download
    response = Response(trainee_export.stream_and_remove(path), mimetype=XLSX, direct_passthrough=True)
    name = trainee_export.export_file_name(today())
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"trainees_{today():%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Row-Count"] = str(count)
    return response


# ---------------------------------------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------------------------------------


class FilingImportApi(ChineseApiResponses, BaseApi):
    """``/api/v1/filing/<pk>/import/<kind>[/template]`` — next to the ``filing`` resource of views/api/filings.py."""

    resource_name = "filing"
    class_permission_name = "Filing"
    method_permission_name = {"import_template": "read", "import_file": "write"}
    openapi_spec_tag = "Filing import"
    allow_browser_login = False  # a write endpoint exempt from CSRF: Bearer JWT only

    @api_expose("/<int:pk>/import/<kind>/template", methods=["GET"])
    @protect()
    @safe
    def import_template(self, pk: int, kind: str):
        """The import template (xlsx) of one kind for one filing.
        ---
        get:
          summary: 下载导入模板
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: kind, required: true, schema: {type: string,
             enum: [training_class, teacher, trainee, course]}}
          responses:
            200: {description: xlsx template}
            404: {description: missing or out of scope}
        """
        if kind not in KINDS:
            return error_response(NotFound())
        try:
            filing = load_scoped(db.session, Filing, pk, current_actor())
        except NotFound as exc:
            return error_response(exc)
        return template_response(filing, kind)

    @api_expose("/<int:pk>/import/<kind>", methods=["POST"])
    @protect()
    @safe
    def import_file(self, pk: int, kind: str):
        """Import an xlsx file (multipart field ``file``) into a DRAFT/RETURNED filing; ``?dry_run=1`` checks only.
        ---
        post:
          summary: 导入（全部成功或全部不导入）
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          - {in: path, name: kind, required: true, schema: {type: string,
             enum: [training_class, teacher, trainee, course]}}
          - {in: query, name: dry_run, schema: {type: integer, enum: [0, 1]}}
          requestBody:
            content:
              multipart/form-data:
                schema: {type: object, properties: {file: {type: string, format: binary}}}
          responses:
            200: {description: dry run passed (count)}
            201: {description: all rows stored (count)}
            404: {description: missing or out of scope}
            409: {description: the filing is not editable}
            422: {description: 'errors: [{row, column, value, message}]'}
        """
        if kind not in KINDS:
            return error_response(NotFound())
        try:
            filing = load_scoped(db.session, Filing, pk, current_actor())
        except NotFound as exc:
            return error_response(exc)
        return import_answer(
            self, lambda content, name, dry_run: run_import(filing, kind, content, name, dry_run=dry_run),
            lambda n, dry_run: (_l("检查通过，可导入 %(n)d 条%(kind)s", n=n, kind=KIND_UI[kind]) if dry_run
                                else _l("已成功导入 %(n)d 条%(kind)s", n=n, kind=KIND_UI[kind])), kind=kind)


class TraineeExportApi(ChineseApiResponses, BaseApi):
    """``/api/v1/trainee/export.xlsx?<filters>`` — next to the ``trainee`` resource of views/api/children.py."""

    resource_name = "trainee"
    class_permission_name = "Trainee"
    method_permission_name = {"export_xlsx": "read"}
    openapi_spec_tag = "Trainee export"
    allow_browser_login = True  # read-only

    @api_expose("/export.xlsx", methods=["GET"])
    @protect()
    @safe
    def export_xlsx(self):
        """导出学员名单: the trainees in scope matching the filters, as a streamed xlsx.
        ---
        get:
          summary: 导出学员名单
          parameters:
          - {in: query, name: name, schema: {type: string}}
          - {in: query, name: id_number, schema: {type: string}}
          - {in: query, name: filing_no, schema: {type: string}}
          - {in: query, name: programme, schema: {type: string, enum: [ECOSYSTEM, ENTERPRISE]}}
          - {in: query, name: apprenticeship_type, schema: {type: string}}
          - {in: query, name: filing_status, schema: {type: string}}
          - {in: query, name: status, schema: {type: string, enum: [ACTIVE, LOST]}}
          - {in: query, name: date_from, schema: {type: string, format: date}}
          - {in: query, name: date_to, schema: {type: string, format: date}}
          responses:
            200: {description: xlsx}
            422: {description: '条件不正确；或人数超过 TRAINEE_EXPORT_DIRECT_MAX_ROWS（请用 POST /api/v1/trainee/export）'}
        """
        filters = trainees.TraineeFilters.from_args(request.args)
        if filters.errors:
            return error_response(ValidationFailed([FieldError(None, m) for m in filters.errors]))
        answer = export_response(filters)
        return error_response(answer) if isinstance(answer, DomainError) else answer

"""Excel import screens (【导入】 on the filing tabs: 下载模板 → upload → check → preview → 确认导入, or the error list
with 【下载错误标注文件】), 单位培训人员查询 with 【导出学员名单】 (manual §3.2.1.3, §3.2.2.3), and their REST endpoints
(DESIGN §10): ``GET /api/v1/filing/<pk>/import/<kind>/template``, ``POST /api/v1/filing/<pk>/import/<kind>``
(``?dry_run=1``) and ``GET /api/v1/trainee/export.xlsx``.

The app is stateless: between 检查 and 确认导入 (and for the annotated error file) the uploaded workbook travels
back in a hidden form field (base64, url-encoded form — no per-field size limit) and is checked again in full;
nothing is kept on the server. Views are thin: reading is ``imports.reader``, every rule is in
``actions.imports.import_rows``, the trainee query is ``queries.trainees`` and the export
``services.trainee_export``.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, Optional
from urllib.parse import quote

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.api import protect, safe
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from core.clock import today
from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from actions.imports import MODELS, ImportResult, import_rows
from actions.transitions import FILING_EDITABLE
from core.validators import mask_id_number
from imports import annotate, reader, template
from imports.reader import ParsedSheet
from actions.specs import import_columns
from imports.specs import KIND_LABELS, KINDS
from models.base import db
from models.enums import (
    ApprenticeshipType,
    CourseMode,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TeacherKind,
    TraineeStatus,
)
from models.filing import Course, Filing, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import current_actor, load_scoped
from queries import trainees
from services import trainee_export
from views.glue import error_response, translate_exception

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TAB_OF_KIND = {"training_class": "classes", "teacher": "teachers", "trainee": "trainees", "course": "courses"}
#: Names of the kinds on screen (translated with the UI; the files themselves keep their Chinese sheet names).
KIND_UI = {"training_class": _l("培训信息"), "teacher": _l("培训师资信息"), "trainee": _l("培训人员信息"),
           "course": _l("培训课程信息")}
#: The page lists at most this many errors; the annotated workbook and the API list every one.
MAX_ERRORS_SHOWN = 1000
PREVIEW_ROWS = 20


# ---------------------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------------------


def _limits() -> dict:
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


def _parse(content: bytes, file_name: str, filing: Filing, kind: str) -> ParsedSheet:
    return reader.read_workbook(content, file_name, import_columns(kind, filing.apprenticeship_type),
                                sheet_hint=KIND_LABELS[kind], **_limits())


def run_import(filing: Filing, kind: str, content: bytes, file_name: str, *, dry_run: bool
               ) -> tuple[Optional[ParsedSheet], Any]:
    """Read and import (or check) an upload; commits once on success, rolls back on any failure.

    Returns ``(parsed sheet or None, ImportResult or DomainError)``.
    """
    session = db.session
    parsed = None
    try:
        parsed = _parse(content, file_name, filing, kind)
        result = import_rows(session, current_actor(), filing.id, kind, parsed.rows, dry_run=dry_run,
                             sheet=parsed.sheet, preview_rows=PREVIEW_ROWS,
                             source={"file_name": file_name, "sha256": hashlib.sha256(content).hexdigest(),
                                     "rows": len(parsed.rows)})
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


# ---------------------------------------------------------------------------------------------------------
# 【导入】 screens
# ---------------------------------------------------------------------------------------------------------


class FilingImportView(BaseView):
    """下载模板 / upload / check / preview / 确认导入 for one kind of row of one filing."""

    route_base = "/filing"
    default_view = "upload"
    class_permission_name = "Filing"
    method_permission_name = {"upload": "write", "template": "read", "errors": "write"}

    def _filing(self, filing_id: int, kind: str) -> Filing:
        if kind not in KINDS:
            abort(404)
        try:
            return load_scoped(db.session, Filing, filing_id, current_actor())
        except NotFound:
            abort(404)

    def _back_url(self, filing: Filing, kind: str) -> Optional[str]:
        if "FilingView.tab" in current_app.view_functions:
            return url_for("FilingView.tab", filing_id=filing.id, tab=TAB_OF_KIND[kind])
        return None

    def _page(self, filing: Filing, kind: str, *, parsed: Optional[ParsedSheet] = None,
              result: Any = None, content: Optional[bytes] = None, file_name: Optional[str] = None,
              status: int = 200):
        actor = current_actor()
        editable = actor.is_enterprise and filing.status in FILING_EDITABLE
        columns = import_columns(kind, filing.apprenticeship_type)
        errors: list[FieldError] = []
        message = None
        if isinstance(result, DomainError):
            message = str(result.message)
            errors = list(result.errors)
        preview = result if isinstance(result, ImportResult) else None
        row_errors = bool(parsed) and any(e.row and e.row > parsed.header_row for e in errors)
        payload = base64.b64encode(content).decode("ascii") if content is not None and (preview or row_errors) \
            else None
        context = _preview_context(filing, kind) if preview else {}
        return self.render_template(
            "imports/upload.html", filing=filing, kind=kind, kind_label=KIND_UI[kind], columns=columns,
            editable=editable, parsed=parsed, preview=preview, message=message,
            errors=errors[:MAX_ERRORS_SHOWN], error_total=len(errors), error_rows=len({e.row for e in errors if e.row}),
            row_errors=row_errors, payload=payload, file_name=file_name, back_url=self._back_url(filing, kind),
            letter_of=lambda e: _letter(parsed, e), preview_cells=lambda v: _preview_cells(kind, v, context),
            existing=_existing(filing, kind), programme_label=Programme.label(filing.programme),
            type_label=ApprenticeshipType.label, status_label=FilingStatus.label, max_rows=_limits()["max_rows"],
            max_mb=max(1, _limits()["max_bytes"] // (1024 * 1024)),
        ), status

    @expose("/<int:filing_id>/import/<kind>", methods=["GET", "POST"])
    @has_access
    def upload(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        if request.method == "GET":
            return self._page(filing, kind)
        action = request.form.get("action", "check")
        if action == "confirm":
            content, file_name = _posted_payload()
        else:
            upload = request.files.get("file")
            content = upload.read() if upload else b""
            file_name = (upload.filename if upload else "") or ""
        if content is None:
            flash(str(_l("确认导入的数据已失效，请重新选择文件上传")), "danger")
            return redirect(url_for("FilingImportView.upload", filing_id=filing.id, kind=kind))
        if not content and not file_name:
            error = ValidationFailed([FieldError("file", _l("请选择要导入的 Excel 文件（.xlsx）"))])
            return self._page(filing, kind, result=error, status=422)
        parsed, result = run_import(filing, kind, content, file_name, dry_run=action != "confirm")
        if isinstance(result, ImportResult) and not result.dry_run:
            flash(str(_l("已成功导入 %(n)d 条%(kind)s", n=result.count, kind=KIND_UI[kind])), "success")
            return redirect(self._back_url(filing, kind)
                            or url_for("FilingImportView.upload", filing_id=filing.id, kind=kind))
        db.session.expire_all()
        filing = self._filing(filing_id, kind)
        status = 200 if isinstance(result, ImportResult) else getattr(result, "status_code", 422)
        return self._page(filing, kind, parsed=parsed, result=result, content=content, file_name=file_name,
                          status=status)

    @expose("/<int:filing_id>/import/<kind>/template")
    @has_access
    def template(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        content = template.build_template(db.session, filing, kind, import_columns(kind, filing.apprenticeship_type), max_rows=_limits()["max_rows"])
        return download(content, template.template_file_name(kind), f"{kind}_template.xlsx")

    @expose("/<int:filing_id>/import/<kind>/errors", methods=["POST"])
    @has_access
    def errors(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        content, file_name = _posted_payload()
        if not content:
            flash(str(_l("错误标注文件已失效，请重新上传文件")), "danger")
            return redirect(url_for("FilingImportView.upload", filing_id=filing.id, kind=kind))
        parsed, result = run_import(filing, kind, content, file_name, dry_run=True)
        if parsed is None or not isinstance(result, DomainError) or not result.errors:
            flash(str(_l("该文件没有可标注的数据错误，请重新上传检查")), "info")
            return redirect(url_for("FilingImportView.upload", filing_id=filing.id, kind=kind))
        annotated = annotate.annotate(content, parsed, result.errors)
        return download(annotated, annotate.error_file_name(file_name), f"{kind}_errors.xlsx")


def _posted_payload() -> tuple[Optional[bytes], str]:
    try:
        content = base64.b64decode(request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        return None, ""
    return content or None, (request.form.get("file_name") or "")[:255]


def _letter(parsed: Optional[ParsedSheet], error: FieldError) -> str:
    if parsed is None:
        return ""
    letter = parsed.letter_of(error.field)
    if letter:
        return letter
    column = error.column or ""
    return column if column.isascii() and column.isalpha() else ""


def _existing(filing: Filing, kind: str) -> int:
    """How many rows of ``kind`` the filing has (a COUNT, not a load of 10,000 rows)."""
    if kind == "course":
        stmt = (select(func.count()).select_from(Course).join(TrainingClass)
                .where(TrainingClass.filing_id == filing.id))
    else:
        model = MODELS[kind]
        stmt = select(func.count()).select_from(model).where(model.filing_id == filing.id)
    return db.session.scalar(stmt) or 0


def _preview_context(filing: Filing, kind: str) -> dict:
    """Names for the codes and ids of the preview rows (a few small look-ups)."""
    return {
        "levels": {lv.level: lv.name for lv in db.session.query(SkillLevel)},
        "occupations": dict(db.session.execute(select(Occupation.code, Occupation.name)).all())
        if kind == "training_class" else {},
        "classes": {c.id: f"{c.occupation_code} {c.occupation.name if c.occupation else ''}" for c in filing.classes},
        "teachers": {t.id: t.name for t in filing.teachers},
    }


def _preview_cells(kind: str, values: dict, context: dict) -> list[str]:
    """A cleaned row as the user reads it (Chinese labels; ID numbers masked)."""
    def day(v):
        return v.isoformat() if v else ""

    if kind == "trainee":
        return [values["name"], mask_id_number(values["id_number"]), Gender.label(values.get("gender")),
                values.get("phone") or "", Education.label(values.get("education")), day(values.get("contract_start")),
                day(values.get("contract_end")), day(values.get("hire_date"))]
    if kind == "teacher":
        return [values["name"], mask_id_number(values["id_number"]), values.get("phone") or "",
                TeacherKind.label(values.get("kind")), values.get("title") or "", values.get("certificate_no") or ""]
    if kind == "training_class":
        code = values["occupation_code"]
        return [f"{code} {context['occupations'].get(code, '')}".strip(),
                str(context["levels"].get(values["skill_level"], values["skill_level"])),
                day(values["start_date"]), day(values["end_date"]), str(values["hours"]),
                str(values["planned_headcount"]), values.get("extension_reason") or ""]
    return [context["classes"].get(values.get("training_class_id"), ""), values["name"],
            CourseMode.label(values.get("mode")), str(values["hours"]),
            context["teachers"].get(values.get("teacher_id"), "")]


# ---------------------------------------------------------------------------------------------------------
# 单位培训人员查询 and 导出学员名单
# ---------------------------------------------------------------------------------------------------------


class TraineeQueryBase(BaseView):
    """The trainees of the enterprise's filings (both programmes), searched, 20 a page, exported to xlsx."""

    class_permission_name = "Trainee"
    method_permission_name = {"list": "read", "export": "read"}
    default_view = "list"
    programme: str = Programme.ECOSYSTEM

    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        filters = trainees.TraineeFilters.from_args(request.args)
        for message in filters.errors:
            flash(message, "warning")
        found = trainees.trainee_page(db.session, actor, filters, request.args.get("page", 1))
        args = filters.as_args()
        endpoint = f"{type(self).__name__}.list"

        def page_url(n: int) -> str:
            return url_for(endpoint, **args, page=n)

        return self.render_template(
            "imports/trainees.html", rows=found.items, filters=filters, total=found.total, page=found.page,
            pages=found.pages, page_size=found.page_size, page_url=page_url, page_numbers=found.numbers,
            menu_programme=Programme.label(self.programme),
            export_url=url_for(f"{type(self).__name__}.export", **args),
            reset_url=url_for(endpoint), action_url=url_for(endpoint),
            mask=mask_id_number, occupation_text=trainees.occupation_text,
            programmes=Programme.choices(), types=ApprenticeshipType.choices(), filing_statuses=FilingStatus.choices(),
            statuses=TraineeStatus.choices(), programme_label=Programme.label, type_label=ApprenticeshipType.label,
            filing_status_label=FilingStatus.label, status_label=TraineeStatus.label, gender_label=Gender.label,
            filing_url=_filing_url,
        )

    @expose("/export.xlsx")
    @has_access
    def export(self):
        return export_response(trainees.TraineeFilters.from_args(request.args))


def _filing_url(filing_id: int) -> Optional[str]:
    if "FilingView.tab" in current_app.view_functions:
        return url_for("FilingView.tab", filing_id=filing_id, tab="trainees")
    return None


def export_response(filters: trainees.TraineeFilters) -> Response:
    """The streamed 导出学员名单 workbook of the current user's trainees matching ``filters``."""
    path, count = trainee_export.export_trainees(db.session, current_actor(), filters)
    db.session.rollback()  # the read transaction ends before the (possibly slow) download
    response = Response(trainee_export.stream_and_remove(path), mimetype=XLSX, direct_passthrough=True)
    name = trainee_export.export_file_name(today())
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"trainees_{today():%Y%m%d}.xlsx\"; filename*=UTF-8''{quote(name)}")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Row-Count"] = str(count)
    return response


class EcosystemTraineeQueryView(TraineeQueryBase):
    route_base = "/ecosystem/trainees"
    programme = Programme.ECOSYSTEM


class EnterpriseTraineeQueryView(TraineeQueryBase):
    route_base = "/enterprise/trainees"
    programme = Programme.ENTERPRISE


# ---------------------------------------------------------------------------------------------------------
# REST API (DESIGN §10)
# ---------------------------------------------------------------------------------------------------------


class FilingImportApi(BaseApi):
    """``/api/v1/filing/<pk>/import/<kind>[/template]`` — next to the ``filing`` resource of views/filing_api."""

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
        content = template.build_template(db.session, filing, kind, import_columns(kind, filing.apprenticeship_type), max_rows=_limits()["max_rows"])
        return download(content, template.template_file_name(kind), f"{kind}_template.xlsx")

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
        upload = request.files.get("file")
        if upload is None:
            return error_response(ValidationFailed([FieldError("file", _l("请以 multipart 字段 file 上传 .xlsx 文件"))]))
        dry_run = request.args.get("dry_run", "").lower() in ("1", "true", "yes")
        content = upload.read()
        _parsed, result = run_import(filing, kind, content, upload.filename or "", dry_run=dry_run)
        if isinstance(result, DomainError):
            return error_response(result)
        body = {"message": str(_l("检查通过，可导入 %(n)d 条%(kind)s", n=result.count, kind=KIND_UI[kind])
                               if dry_run else _l("已成功导入 %(n)d 条%(kind)s", n=result.count, kind=KIND_UI[kind])),
                "kind": kind, "count": result.count, "dry_run": dry_run}
        return self.response(200 if dry_run else 201, **body)


class TraineeExportApi(BaseApi):
    """``/api/v1/trainee/export.xlsx?<filters>`` — next to the ``trainee`` resource of views/filing_api."""

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
        """
        filters = trainees.TraineeFilters.from_args(request.args)
        if filters.errors:
            return error_response(ValidationFailed([FieldError(None, m) for m in filters.errors]))
        return export_response(filters)


def register(appbuilder) -> None:
    """The import screens (no menu: reached from the filing tabs), 单位培训人员查询 in both programme menus,
    and the import / export REST endpoints."""
    appbuilder.add_view_no_menu(FilingImportView())
    appbuilder.add_view(EcosystemTraineeQueryView, "EcosystemTraineeQuery", label=_l("单位培训人员查询"),
                        icon="fa-users", category="Ecosystem",
                        category_label=_l("产教评技能生态链企业新型学徒制培训"), category_icon="fa-link")
    appbuilder.add_view(EnterpriseTraineeQueryView, "EnterpriseTraineeQuery", label=_l("单位培训人员查询"),
                        icon="fa-users", category="Enterprise", category_label=_l("企业新型学徒制培训"),
                        category_icon="fa-graduation-cap")
    appbuilder.add_api(FilingImportApi)
    appbuilder.add_api(TraineeExportApi)

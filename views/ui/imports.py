"""Excel import screens (【导入】 on the filing tabs): 下载模板 → upload → check → preview → 确认导入, or the error
list with 【下载错误标注文件】 (``FilingImportView``, no menu: reached from the filing tabs).

The app is stateless: between 检查 and 确认导入 (and for the annotated error file) the uploaded workbook travels
back in a hidden form field (base64, url-encoded form — no per-field size limit) and is checked again in full;
nothing is kept on the server. Views are thin: reading is ``imports.reader``, every rule is in
``actions.imports.import_rows``, and reading + importing is ``views.api.imports.run_import`` (shared with the REST
endpoint).
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Optional

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions.imports import MODELS, ImportResult
from actions.specs import import_columns
from actions.transitions import FILING_EDITABLE
from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from core.validators import mask_id_number
from imports import annotate
from imports.reader import ParsedSheet
from imports.specs import KINDS
from models.base import db
from models.enums import ApprenticeshipType, CourseMode, Education, FilingStatus, Gender, Programme, TeacherKind
from models.filing import Course, Filing, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import current_actor, load_scoped
from views.api.imports import KIND_UI, download, import_limits, run_import, template_response
from views.ui.forms import endpoint_exists

TAB_OF_KIND = {"training_class": "classes", "teacher": "teachers", "trainee": "trainees", "course": "courses"}
#: The page lists at most this many errors; the annotated workbook and the API list every one.
MAX_ERRORS_SHOWN = 1000


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
        if endpoint_exists("FilingView.tab"):
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
            type_label=ApprenticeshipType.label, status_label=FilingStatus.label, max_rows=import_limits()["max_rows"],
            max_mb=max(1, import_limits()["max_bytes"] // (1024 * 1024)),
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
        return template_response(filing, kind)

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

"""Excel import screens (【导入】 on the filing tabs): 下载模板 → upload → check → preview → 确认导入, or the error
list with 【下载错误标注文件】 (``FilingImportView``, no menu: reached from the filing tabs).

The app is stateless: between 检查 and 确认导入 (and for the annotated error file) the uploaded workbook travels
back in a hidden form field and is checked again in full; nothing is kept on the server. The steps and the page
are shared with a subsidy claim's person import (``views.ui.import_steps``, ``templates/imports/_upload_page.html``).
Views are thin: reading is ``imports.reader``, every rule is in ``actions.imports.import_rows``, and reading +
importing is ``views.api.imports.run_import`` (shared with the REST endpoint). A 确认导入 of more than
``IMPORT_DIRECT_MAX_ROWS`` rows runs as a background job (``import_confirm``, services/job_kinds.py).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions.imports import MODELS, ImportResult
from actions.specs import import_columns
from actions.transitions import FILING_EDITABLE
from core.errors import NotFound
from core.validators import mask_id_number
from imports.specs import KINDS
from models.base import db
from models.enums import ApprenticeshipType, CourseMode, Education, FilingStatus, Gender, Programme, TeacherKind
from models.filing import Course, Filing, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import current_actor, load_scoped
from views.api.imports import KIND_UI, import_limits, run_import, template_response
from views.api.jobs import start_job
from views.ui.forms import endpoint_exists
from views.ui.import_steps import check_or_confirm, error_workbook, page_context

TAB_OF_KIND = {"training_class": "classes", "teacher": "teachers", "trainee": "trainees", "course": "courses"}


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

    def _page(self, filing: Filing, kind: str, *, status: int = 200, **check: Any):
        actor = current_actor()
        editable = actor.is_enterprise and filing.status in FILING_EDITABLE
        columns = import_columns(kind, filing.apprenticeship_type)
        context = page_context(preview_type=ImportResult, **check)
        names = _preview_context(filing, kind) if context["preview"] else {}
        return self.render_template(
            "imports/upload.html", filing=filing, kind=kind, kind_label=KIND_UI[kind], columns=columns,
            editable=editable, back_url=self._back_url(filing, kind),
            template_url=url_for("FilingImportView.template", filing_id=filing.id, kind=kind),
            upload_url=_upload_url(filing, kind),
            errors_url=url_for("FilingImportView.errors", filing_id=filing.id, kind=kind),
            preview_cells=lambda v: _preview_cells(kind, v, names)[:len(columns)],
            existing=_existing(filing, kind), programme_label=Programme.label(filing.programme),
            type_label=ApprenticeshipType.label, status_label=FilingStatus.label, **context,
        ), status

    @expose("/<int:filing_id>/import/<kind>", methods=["GET", "POST"])
    @has_access
    def upload(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        if request.method == "GET":
            return self._page(filing, kind)
        return check_or_confirm(
            _runner(filing, kind), preview_type=ImportResult, retry_url=_upload_url(filing, kind),
            page=lambda status, **check: self._page(self._filing(filing_id, kind), kind, status=status, **check),
            done=lambda result: (_l("已成功导入 %(n)d 条%(kind)s", n=result.count, kind=KIND_UI[kind]),
                                 self._back_url(filing, kind) or _upload_url(filing, kind)),
            as_job=lambda content, file_name: _confirm_as_job(filing, kind, content, file_name))

    @expose("/<int:filing_id>/import/<kind>/template")
    @has_access
    def template(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        return template_response(filing, kind)

    @expose("/<int:filing_id>/import/<kind>/errors", methods=["POST"])
    @has_access
    def errors(self, filing_id: int, kind: str):
        filing = self._filing(filing_id, kind)
        return error_workbook(_runner(filing, kind), retry_url=_upload_url(filing, kind),
                              ascii_name=f"{kind}_errors.xlsx")


def _confirm_as_job(filing: Filing, kind: str, content: bytes, file_name: str):
    """确认导入 of a large file (DESIGN §9): a background job (``import_confirm``: the filing's state re-checked
    under its row lock, all rows or none), then its progress page, which ends on the same result."""
    params = {"filing_id": filing.id, "kind": kind, "file_name": file_name, "limits": import_limits()}
    public_id, error = start_job("import_confirm", params, content=content,
                                 title=_l("导入%(kind)s（%(file)s）", kind=KIND_UI[kind], file=file_name[:80]))
    if error is not None:
        flash(str(error.message), "danger")
        return redirect(_upload_url(filing, kind))
    return redirect(url_for("DownloadsView.progress", job_id=public_id))


def _upload_url(filing: Filing, kind: str) -> str:
    return url_for("FilingImportView.upload", filing_id=filing.id, kind=kind)


def _runner(filing: Filing, kind: str):
    """``import_steps.Run`` of one kind of row of the filing."""
    return lambda content, file_name, dry_run: run_import(filing, kind, content, file_name, dry_run=dry_run)


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

"""The steps every Excel import screen takes — upload → 检查 → preview → 确认导入, or the error list with
【下载错误标注文件】 — written once for the filing imports (``views.ui.imports``) and a subsidy claim's 人员信息【导入】
(``views.ui.claim_import``); the page is ``templates/imports/_upload_page.html``.

The app keeps nothing between the steps: at 检查 the chosen file is read; the page carries the workbook back in a
hidden form field (base64, url-encoded form — no per-field size limit) for 确认导入 and for the annotated error file,
and it is checked again in full each time. A screen hands in ``run(content, file_name, dry_run)`` — read + import
(or check) with one commit, ``views.api.imports.run_upload`` — and says where to go and what to say.
"""
from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, Optional

from flask import current_app, flash, redirect, request
from flask_babel import lazy_gettext as _l

from core.errors import DomainError, FieldError, ValidationFailed
from imports import annotate
from imports.reader import ParsedSheet
from models.base import db
from views.api.imports import download, import_limits
from views.ui.forms import posted_file

#: The page lists at most this many errors; the annotated workbook and the API list every one.
MAX_ERRORS_SHOWN = 1000

#: ``run(content, file_name, dry_run) -> (parsed sheet or None, the import's result or DomainError)``.
Run = Callable[[bytes, str, bool], tuple[Optional[ParsedSheet], Any]]


def posted_payload() -> tuple[Optional[bytes], str]:
    """The workbook the page carried back (``content``, base64) and its name; ``None`` when spoiled or empty."""
    try:
        content = base64.b64decode(request.form.get("content", ""), validate=True)
    except (binascii.Error, ValueError):
        return None, ""
    return content or None, (request.form.get("file_name") or "")[:255]


def letter_of(parsed: Optional[ParsedSheet], error: FieldError) -> str:
    """The Excel column letter of an error's cell, when known (shown next to the column's name)."""
    if parsed is None:
        return ""
    letter = parsed.letter_of(error.field)
    if letter:
        return letter
    column = error.column or ""
    return column if column.isascii() and column.isalpha() else ""


def page_context(*, parsed: Optional[ParsedSheet] = None, result: Any = None, content: Optional[bytes] = None,
                 file_name: Optional[str] = None, preview_type: type) -> dict:
    """What the page shows of a check: the error message and list, or the preview (``result`` of ``preview_type``),
    the workbook to carry back (only when it can be confirmed or annotated) and the configured limits."""
    errors: list[FieldError] = []
    message = None
    if isinstance(result, DomainError):
        message = str(result.message)
        errors = list(result.errors)
    preview = result if isinstance(result, preview_type) else None
    row_errors = bool(parsed) and any(e.row and e.row > parsed.header_row for e in errors)
    payload = base64.b64encode(content).decode("ascii") if content is not None and (preview or row_errors) \
        else None
    limits = import_limits()
    return {
        "parsed": parsed, "preview": preview, "message": message, "errors": errors[:MAX_ERRORS_SHOWN],
        "error_total": len(errors), "row_errors": row_errors, "payload": payload, "file_name": file_name,
        "letter_of": lambda e: letter_of(parsed, e), "max_rows": limits["max_rows"],
        "max_mb": max(1, limits["max_bytes"] // (1024 * 1024)),
    }


def confirmed_rows() -> int:
    """The row count the preview showed (the 确认导入 form carries it back; it only decides request vs job)."""
    try:
        return max(0, int(request.form.get("row_count", "0")))
    except ValueError:
        return 0


def check_or_confirm(run: Run, *, page: Callable[..., Any], preview_type: type, retry_url: str,
                     done: Callable[[Any], tuple[Any, str]],
                     as_job: Optional[Callable[[bytes, str], Any]] = None):
    """The POST of the upload form (``action=check``, the chosen file) or of 确认导入 (``action=confirm``, the
    carried-back workbook). ``page(**page_context args, status=…)`` renders the screen (loading its target again);
    ``done(result)`` gives the success message and where to go after 确认导入. ``as_job(content, file_name)``: a
    确认导入 of more than ``IMPORT_DIRECT_MAX_ROWS`` rows runs as a background job (DESIGN §9) — its answer."""
    action = request.form.get("action", "check")
    if action == "confirm":
        content, file_name = posted_payload()
    else:
        file_name, content = posted_file()
    if content is None:
        flash(str(_l("确认导入的数据已失效，请重新选择文件上传")), "danger")
        return redirect(retry_url)
    limit = int(current_app.config.get("IMPORT_DIRECT_MAX_ROWS", 1000))
    if action == "confirm" and as_job is not None and confirmed_rows() > limit:
        return as_job(content, file_name)
    if not content and not file_name:
        error = ValidationFailed([FieldError("file", _l("请选择要导入的 Excel 文件（.xlsx）"))])
        return page(result=error, status=422)
    parsed, result = run(content, file_name, action != "confirm")
    if isinstance(result, preview_type) and not result.dry_run:
        message, next_url = done(result)
        flash(str(message), "success")
        return redirect(next_url)
    db.session.expire_all()
    status = 200 if isinstance(result, preview_type) else getattr(result, "status_code", 422)
    return page(parsed=parsed, result=result, content=content, file_name=file_name, status=status)


def error_workbook(run: Run, *, retry_url: str, ascii_name: str):
    """【下载错误标注文件】: the carried-back workbook checked again, its bad cells marked (``imports.annotate``)."""
    content, file_name = posted_payload()
    if not content:
        flash(str(_l("错误标注文件已失效，请重新上传文件")), "danger")
        return redirect(retry_url)
    parsed, result = run(content, file_name, True)
    if parsed is None or not isinstance(result, DomainError) or not result.errors:
        flash(str(_l("该文件没有可标注的数据错误，请重新上传检查")), "info")
        return redirect(retry_url)
    annotated = annotate.annotate(content, parsed, result.errors)
    return download(annotated, annotate.error_file_name(file_name), ascii_name)

"""Form and error helpers of the HTML screens that post plain forms (the filing tabs, 申请备案, 标记为流失).

A failed action comes back as a ``DomainError`` (``views.glue.attempt``); these helpers turn it into messages
under each form field plus general messages above the form, keep the user's input, and map "out of scope" to
404 and "never for this role" to 403 — never showing the row's data.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import abort, current_app, request

from core.errors import DomainError, FieldError, Forbidden, NotFound
from models.enums import Programme


def abort_for(error: DomainError) -> None:
    """Out of scope (or missing) answers 404, a role that may never act 403 — never the row's data."""
    if isinstance(error, NotFound):
        abort(404)
    if isinstance(error, Forbidden):
        abort(403)


def error_map(error: DomainError, fields: tuple[str, ...]) -> tuple[dict[str, list[str]], list[str]]:
    """Split a domain error into messages per form field and general messages (shown above the form)."""
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    items = error.errors or [FieldError(None, error.message)]
    for item in items:
        if item.field in fields:
            by_field.setdefault(item.field, []).append(str(item.message))
        else:
            general.append(str(item.message))
    return by_field, general


def programme_or_404(programme: str) -> str:
    """The programme code of a URL (``ecosystem`` / ``ENTERPRISE`` …), 404 for anything else."""
    code = (programme or "").upper()
    if code not in Programme.codes():
        abort(404)
    return code


def form_value(v: Any) -> str:
    """A model value as a form input value."""
    if v is None:
        return ""
    if isinstance(v, (date, datetime)):
        return v.strftime("%Y-%m-%d")
    return str(v)


def row_values(row: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """The form values of ``fields`` read from a row (to fill the 修改 form)."""
    return {f: form_value(getattr(row, f, None)) for f in fields}


def posted(fields: tuple[str, ...]) -> dict[str, str]:
    """The posted values of ``fields`` (missing ones as empty strings), kept to show the form again."""
    return {f: request.form.get(f, "") for f in fields}


def posted_file(field: str = "file") -> tuple[str, bytes]:
    """The uploaded file of a multipart form: ``(file name, content)``, both empty when none was chosen."""
    upload = request.files.get(field)
    if upload is None:
        return "", b""
    return upload.filename or "", upload.read()


def endpoint_exists(name: str) -> bool:
    """Whether a screen is registered (links to screens of other modules are only shown when they exist)."""
    return name in current_app.view_functions

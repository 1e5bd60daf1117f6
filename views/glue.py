"""The one place where views and APIs call an action: commit once on success, roll back and report on failure.

- ``run_action`` for HTML views: flashes the DomainError message (Chinese) and returns ``(ok, result)``.
- ``api_call`` for REST endpoints: returns the DESIGN §10 JSON body and status code.
A lost optimistic-lock race (StaleDataError) is reported as StaleState (409, "状态已变化，请刷新后重试").
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from flask import flash, jsonify
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from core.errors import DomainError, StaleState
from models.audit import AuditImmutable

log = logging.getLogger(__name__)


def _session():
    from models.base import db

    return db.session


def translate_exception(exc: Exception) -> DomainError | None:
    """Map database-level failures onto domain errors the user can act on."""
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, StaleDataError):
        return StaleState()
    if isinstance(exc, IntegrityError):
        return DomainError(_l("数据与已有记录重复，或仍被其他记录引用，未能保存"))
    if isinstance(exc, AuditImmutable):
        return DomainError(_l("审计记录不可修改或删除"))
    return None


def attempt(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[DomainError | None, Any]:
    """Call ``fn(session, *args, **kwargs)`` and commit once; on failure roll back and return the domain error.

    Unknown exceptions are re-raised (after the rollback): they are bugs, not user errors.
    """
    session = _session()
    try:
        result = fn(session, *args, **kwargs)
        session.commit()
    except Exception as exc:  # noqa: BLE001 - every failure rolls back
        session.rollback()
        error = translate_exception(exc)
        if error is None:
            raise
        return error, None
    return None, result


def flash_error(error: DomainError) -> None:
    """Flash the error's message and, when it has several, each field's message."""
    flash(str(error.message), "danger")
    if len(error.errors) > 1:
        for item in error.errors:
            flash(str(item.message), "danger")


def run_action(fn: Callable[..., Any], *args: Any, success: Any = None, **kwargs: Any) -> tuple[bool, Any]:
    """Call ``fn(session, *args, **kwargs)``, commit once; flash ``success`` or the error."""
    error, result = attempt(fn, *args, **kwargs)
    if error is not None:
        flash_error(error)
        return False, error
    if success:
        flash(str(success), "success")
    return True, result


def error_response(error: DomainError):
    """JSON body ``{"message", "errors": [...]}`` with the error's status code (DESIGN §10)."""
    response = jsonify(error.as_dict())
    response.status_code = error.status_code
    return response


def api_call(fn: Callable[..., Any], *args: Any, status: int = 200, render: Callable[[Any], dict] | None = None,
             **kwargs: Any):
    """Call ``fn(session, *args, **kwargs)`` for an API endpoint, commit once, answer JSON."""
    error, result = attempt(fn, *args, **kwargs)
    if error is not None:
        return error_response(error)
    response = jsonify(render(result) if render else {"message": "OK"})
    response.status_code = status
    return response

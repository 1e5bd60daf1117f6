"""Domain errors raised by actions/ and translated by the view/API glue into flashes or HTTP answers.

Every message is Chinese through Flask-Babel (lazy_gettext), so the same error reads right in the UI,
the REST API (422 body, DESIGN §10) and import reports.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

#: Longest input value echoed back in an error (longer ones are cut and end with "…"): a 1 MB field must not come
#: back as a 1 MB error body.
MAX_ECHOED_VALUE = 200


def echoed(value: Any) -> Any:
    """``value`` as an error body may show it: booleans, finite floats and integers within ±2⁵³ as they are (JSON
    numbers), anything else as text of at most ``MAX_ECHOED_VALUE`` characters ending with "…" when cut."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and -2**53 < value < 2**53:
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    try:
        text = value if isinstance(value, str) else str(value)
    except ValueError:  # an integer of more than 4,300 digits cannot even be printed
        return "…"
    return text if len(text) <= MAX_ECHOED_VALUE else text[:MAX_ECHOED_VALUE] + "…"


@dataclass
class FieldError:
    """One problem with one input value: the field (and for imports the row and column) it concerns."""

    field: str | None
    message: Any  # str or lazy string
    value: Any = None
    row: int | None = None
    column: str | None = None
    sheet: str | None = None

    def as_dict(self) -> dict:
        out: dict[str, Any] = {"message": str(self.message)}
        if self.field is not None:
            out["field"] = self.field
        if self.row is not None:
            out["row"] = self.row
        if self.column is not None:
            out["column"] = self.column
        if self.sheet is not None:
            out["sheet"] = self.sheet
        if self.value is not None:
            out["value"] = echoed(self.value)
        return out


class DomainError(Exception):
    """Base class: a business rule refused the request. HTTP 422 unless a subclass says otherwise."""

    status_code = 422

    def __init__(self, message: Any = None, errors: list[FieldError] | None = None):
        self.message = message if message is not None else _l("请求未能处理")
        self.errors = list(errors or [])
        super().__init__(str(self.message))

    def as_dict(self) -> dict:
        return {"message": str(self.message), "errors": [e.as_dict() for e in self.errors]}


class ValidationFailed(DomainError):
    """Input values are invalid; ``errors`` names each field (and row/column for imports)."""

    def __init__(self, errors: list[FieldError], message: Any = None):
        if message is None:
            message = errors[0].message if len(errors) == 1 else _l("提交的数据有 %(n)d 处错误，请修改后重试", n=len(errors))
        super().__init__(message, errors)


class FieldInvalid(ValidationFailed):
    """Shortcut for a single invalid field."""

    def __init__(self, field_name: str, message: Any, value: Any = None):
        super().__init__([FieldError(field_name, message, value)])


class NotFound(DomainError):
    """The row does not exist or lies outside the actor's scope (both answer the same, DESIGN §2)."""

    status_code = 404

    def __init__(self, message: Any = None):
        super().__init__(message or _l("记录不存在或无权访问"))


class TransitionNotAllowed(DomainError):
    """The action is not allowed in the row's current state (or another user changed it first)."""

    status_code = 409

    def __init__(self, message: Any = None):
        super().__init__(message or _l("当前状态不允许该操作，状态可能已变化，请刷新后重试"))


class StaleState(TransitionNotAllowed):
    """Lost a concurrent update (optimistic version check)."""

    def __init__(self, message: Any = None):
        super().__init__(message or _l("状态已变化，请刷新后重试"))


class Forbidden(DomainError):
    """The actor's role may never do this (as opposed to a row out of scope, which is NotFound)."""

    status_code = 403

    def __init__(self, message: Any = None):
        super().__init__(message or _l("您没有执行该操作的权限"))


class BlobError(DomainError):
    """A file's bytes cannot be kept or given back as stored (attachment storage, issue 15). ``detail`` says where
    and why for the log; ``message`` is what the user reads (no paths, no bucket names)."""

    status_code = 503

    def __init__(self, detail: str, message: Any = None):
        self.detail = detail
        super().__init__(message)


class StoreUnavailable(BlobError):
    """The file store did not answer (network, permissions, not configured): try again later."""

    def __init__(self, detail: str, message: Any = None):
        super().__init__(detail, message or _l("文件存储暂时无法访问，请稍后重试；如仍有问题请联系管理员"))


class BlobMissing(BlobError):
    """No bytes where the row says they are."""

    status_code = 410

    def __init__(self, detail: str, message: Any = None):
        super().__init__(detail, message or _l(
            "该材料的文件内容在文件存储中找不到（已记录）。请联系管理员从备份恢复，或重新上传该材料"))


class BlobCorrupt(BlobError):
    """The stored bytes differ from the recorded sha256 / size: never handed out."""

    status_code = 410

    def __init__(self, detail: str, message: Any = None):
        super().__init__(detail, message or _l(
            "该材料的文件内容与上传时的校验值（SHA-256）不符，可能已损坏，为避免给出错误的文件已停止下载（已记录）。"
            "请联系管理员从备份恢复，或重新上传该材料"))

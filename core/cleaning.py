"""Input cleaning shared by forms, the REST API and Excel imports: one ``Cleaner`` turns a dict of raw values
into typed, normalised values and collects *every* field error (Chinese, naming the field) before raising."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l

from core.errors import FieldError, ValidationFailed
from core.validators import IdNumberInfo, normalize_text, parse_date, parse_id_number, validate_phone


class Cleaner:
    """Collects cleaned values in ``out`` and errors in ``errors``; ``finish()`` raises them all at once."""

    def __init__(self, data: dict[str, Any]):
        self.data = data or {}
        self.out: dict[str, Any] = {}
        self.errors: list[FieldError] = []

    def error(self, key: str, message: Any, value: Any = None) -> None:
        self.errors.append(FieldError(key, message, value))

    def has_error(self, key: str) -> bool:
        return any(e.field == key for e in self.errors)

    def raw(self, key: str) -> Any:
        value = self.data.get(key)
        return normalize_text(value) if isinstance(value, str) else value

    def text(self, key: str, label: Any, *, required: bool = False, max_len: int = 128) -> str | None:
        value = self.raw(key)
        if value is not None and not isinstance(value, str):
            value = normalize_text(str(value))
        if not value:
            if required:
                self.error(key, _l("请填写%(label)s", label=label))
            self.out[key] = None
            return None
        if len(value) > max_len:
            self.error(key, _l("%(label)s不能超过%(n)d个字", label=label, n=max_len), value)
        self.out[key] = value
        return value

    def integer(self, key: str, label: Any, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.raw(key)
        if value in (None, ""):
            if required:
                self.error(key, _l("请填写%(label)s", label=label))
            self.out[key] = None
            return None
        try:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            number = int(value) if not isinstance(value, str) else int(value.strip())
        except (TypeError, ValueError):
            self.error(key, _l("%(label)s应为整数", label=label), value)
            self.out[key] = None
            return None
        if minimum is not None and number < minimum:
            self.error(key, _l("%(label)s不能小于%(n)d", label=label, n=minimum), value)
        if maximum is not None and number > maximum:
            self.error(key, _l("%(label)s不能大于%(n)d", label=label, n=maximum), value)
        self.out[key] = number
        return number

    def day(self, key: str, label: Any, *, required: bool = False) -> date | None:
        value = self.data.get(key)
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, _l("请填写%(label)s", label=label))
            self.out[key] = None
            return None
        if isinstance(value, datetime):
            value = value.date()
        try:
            parsed = value if isinstance(value, date) else parse_date(value, key)
        except ValidationFailed:
            self.error(key, _l("%(label)s格式不正确，应为 YYYY-MM-DD", label=label), value)
            self.out[key] = None
            return None
        self.out[key] = parsed
        return parsed

    def choice(self, key: str, label: Any, allowed: Iterable[Any], *, required: bool = False) -> Any:
        value = self.raw(key)
        if value in (None, ""):
            if required:
                self.error(key, _l("请选择%(label)s", label=label))
            self.out[key] = None
            return None
        allowed = list(allowed)
        if value not in allowed and str(value) not in [str(a) for a in allowed]:
            self.error(key, _l("%(label)s的值“%(value)s”不在可选范围内", label=label, value=value), value)
            self.out[key] = None
            return None
        for option in allowed:
            if str(option) == str(value):
                value = option
        self.out[key] = value
        return value

    def id_number(self, key: str = "id_number") -> IdNumberInfo | None:
        try:
            info = parse_id_number(self.data.get(key), key)
        except ValidationFailed as exc:
            self.errors.extend(exc.errors)
            self.out[key] = None
            return None
        self.out[key] = info.number
        return info

    def phone(self, key: str, label: Any, *, required: bool = False) -> str | None:
        value = self.raw(key)
        if not value:
            if required:
                self.error(key, _l("请填写%(label)s", label=label))
            self.out[key] = None
            return None
        try:
            self.out[key] = validate_phone(value, key)
        except ValidationFailed as exc:
            self.errors.extend(exc.errors)
            self.out[key] = None
        return self.out[key]

    def finish(self) -> dict[str, Any]:
        if self.errors:
            raise ValidationFailed(self.errors)
        return self.out

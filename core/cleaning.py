"""Input cleaning shared by forms, the REST API and Excel imports: one ``Cleaner`` turns a dict of raw values
into typed, normalised values and collects *every* field error (Chinese, naming the field) before raising."""
from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any, Iterable

from flask_babel import lazy_gettext as _l

from core.errors import FieldError, ValidationFailed, echoed
from core.validators import IdNumberInfo, NoSuchDate, normalize_text, parse_date, parse_id_number, validate_phone

#: The range of an INTEGER column (PostgreSQL's 4-byte integer): a larger number is refused as out of range.
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
_DIGITS = re.compile(r"[+-]?[0-9]{1,19}")


def _whole_number(value: Any) -> int | None:
    """``value`` as an int when it is one: an int (not a bool), a float without fraction, or ASCII digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) and value.is_integer() else None
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        return int(value.strip())
    return None


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

    def missing(self, key: str, label: Any, *, select: bool = False) -> None:
        """The error of a required field left empty: 请选择… for a value picked from a list (``select``: a dropdown,
        a code or a reference), 请填写… for one typed (issue 12: selects said 请填写)."""
        self.error(key, _l("请选择%(label)s", label=label) if select else _l("请填写%(label)s", label=label))

    def text(self, key: str, label: Any, *, required: bool = False, max_len: int = 128,
             select: bool = False) -> str | None:
        """A free text. Only text is accepted: a JSON number, ``true``, a list or an object is refused ("应为文本";
        the Excel reader turns numbers typed into text columns into text itself, ``imports/reader.py``), and so is
        the NUL character, which PostgreSQL cannot store. ``select``: a code picked from a dropdown (``missing``)."""
        value = self.raw(key)
        if value is not None and not isinstance(value, str):
            self.error(key, _l("%(label)s应为文本", label=label), value)
            self.out[key] = None
            return None
        if not value:
            if required:
                self.missing(key, label, select=select)
            self.out[key] = None
            return None
        if "\x00" in value:
            self.error(key, _l("%(label)s不能包含空字符", label=label), value.replace("\x00", "\\0"))
            self.out[key] = None
            return None
        if len(value) > max_len:
            self.error(key, _l("%(label)s不能超过%(n)d个字", label=label, n=max_len), value)
        self.out[key] = value
        return value

    def integer(self, key: str, label: Any, *, required: bool = False, minimum: int | None = None,
                maximum: int | None = None, select: bool = False) -> int | None:
        """A whole number, from an int, a whole float (Excel) or digits. ``true``/``false``, lists, fractions and
        numbers outside the database's INTEGER range (±2³¹) are refused even without ``minimum``/``maximum``.
        ``select``: an id or level picked from a dropdown (see ``missing``)."""
        value = self.raw(key)
        if value is None or (isinstance(value, str) and not value):
            if required:
                self.missing(key, label, select=select)
            self.out[key] = None
            return None
        number = _whole_number(value)
        if number is None:
            self.error(key, _l("%(label)s应为整数", label=label), value)
            self.out[key] = None
            return None
        if minimum is not None and number < minimum:
            self.error(key, _l("%(label)s不能小于%(n)d", label=label, n=minimum), value)
        elif maximum is not None and number > maximum:
            self.error(key, _l("%(label)s不能大于%(n)d", label=label, n=maximum), value)
        elif not INTEGER_MIN <= number <= INTEGER_MAX:
            self.error(key, _l("%(label)s超出允许的数值范围", label=label), value)
            self.out[key] = None
            return None
        self.out[key] = number
        return number

    def day(self, key: str, label: Any, *, required: bool = False) -> date | None:
        """A calendar date: a date (Excel) or a text such as ``2026-03-01``; a date that does not exist
        (``2026-02-29``) is named as such, anything else that is not a date gets the format message."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(key, _l("请填写%(label)s", label=label))
            self.out[key] = None
            return None
        if isinstance(value, datetime):
            value = value.date()
        try:
            if not isinstance(value, (date, str)):
                raise ValidationFailed([])
            parsed = value if isinstance(value, date) else parse_date(value, key)
        except NoSuchDate:
            self.error(key, _l("%(label)s有误：日期 %(value)s 不存在，请核对", label=label,
                               value=normalize_text(value)), value)
            self.out[key] = None
            return None
        except ValidationFailed:
            self.error(key, _l("%(label)s格式不正确，应为 YYYY-MM-DD", label=label), value)
            self.out[key] = None
            return None
        self.out[key] = parsed
        return parsed

    def choice(self, key: str, label: Any, allowed: Iterable[Any], *, required: bool = False) -> Any:
        """One of ``allowed`` (codes as text, or numbers such as skill levels); ``true``, lists and objects never
        match (``True == 1`` must not pick level 1)."""
        value = self.raw(key)
        if value is None or (isinstance(value, str) and not value):
            if required:
                self.missing(key, label, select=True)
            self.out[key] = None
            return None
        allowed = list(allowed)
        if isinstance(value, bool) or not isinstance(value, (str, int)) or (
                value not in allowed and str(value) not in [str(a) for a in allowed]):
            self.error(key, _l("%(label)s的值“%(value)s”不在可选范围内", label=label, value=echoed(value)), value)
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

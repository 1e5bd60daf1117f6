"""Field validators and normalisers for form and Excel input (DESIGN rule R8).

Every value that enters the system from a form, the REST API or an Excel import passes through
:func:`normalize_text` first (full-width ASCII to half-width, surrounding blanks removed), then through
the validator of its kind:

* Chinese resident ID numbers (GB 11643-1999, including the HK/Macau/Taiwan residence permits that use the
  same format with the prefixes 810000/820000/830000): :func:`normalize_id_number`, :func:`parse_id_number`,
  :func:`id_birth_date`, :func:`mask_id_number`.
* Unified social credit codes (GB 32100-2015): :func:`normalize_uscc`, :func:`validate_uscc`.
  python-stdnum is deliberately not used: it also checks the embedded organisation code and the
  registration-authority/type pairs, which refuses real codes found in practice.
* Contact phone numbers (mainland mobile or landline with area code): :func:`validate_phone`.
* Calendar dates typed by people: :func:`parse_date` (Excel serial numbers are converted elsewhere).

Validators raise :class:`core.errors.FieldInvalid` with a precise Chinese message (lazy, through
Flask-Babel) naming the field, so forms, the API (422) and import reports can all show it. They never need
an application context.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import FieldInvalid

__all__ = [
    "IdNumberInfo",
    "normalize_text",
    "normalize_id_number",
    "parse_id_number",
    "region_warning",
    "password_problem",
    "id_birth_date",
    "mask_id_number",
    "shown_id_number",
    "normalize_uscc",
    "validate_uscc",
    "validate_phone",
    "parse_date",
    "NoSuchDate",
]

# ---------------------------------------------------------------------------------------------------------
# Text normalisation
# ---------------------------------------------------------------------------------------------------------

# Full-width ASCII U+FF01..U+FF5E maps to U+0021..U+007E (offset 0xFEE0); the ideographic space to a space.
_FULLWIDTH_TABLE = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH_TABLE[0x3000] = 0x20
# For free text only digits, Latin letters and the symbols of codes, numbers and e-mail addresses are folded;
# Chinese punctuation （），：；！？ stays as typed (it belongs in names, reasons and opinions).
_TEXT_TABLE = {cp: to for cp, to in _FULLWIDTH_TABLE.items() if chr(to).isalnum() or chr(to) in " +-./@#_"}

# Characters stripped from both ends in addition to str.strip()'s whitespace: zero-width space/joiners,
# word joiner and the BOM (U+FEFF, also "zero-width no-break space"). NBSP is whitespace for str.strip().
_EXTRA_STRIP = "\u200b\u200c\u200d\u2060\ufeff"


def normalize_text(value: Any) -> str | None:
    """Return ``value`` as clean text, or ``None`` when it is ``None`` or blank.

    Full-width digits, Latin letters and the symbols ``＋－．／＠＃＿`` (e.g. ``４４０１`` or ``ｘ``) become
    half-width, the ideographic space U+3000 becomes a space, and surrounding whitespace (including NBSP),
    zero-width spaces and BOMs are stripped. Chinese punctuation such as （），： is kept. Non-string values
    (e.g. an int from Excel) are converted with ``str()``.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text.translate(_TEXT_TABLE)
    # Alternate until stable: "\u200b  x \ufeff" needs both kinds of stripping, in either order.
    while True:
        stripped = text.strip().strip(_EXTRA_STRIP)
        if stripped == text:
            break
        text = stripped
    return text or None


def _squeeze_spaces(text: str) -> str:
    """Drop every inner whitespace and zero-width character (codes are often pasted in groups)."""
    return re.sub(r"[\s\u200b\u200c\u200d\u2060\ufeff]+", "", text)


# ---------------------------------------------------------------------------------------------------------
# Resident ID number, GB 11643-1999 (R8)
# ---------------------------------------------------------------------------------------------------------

# R8: check digit weights W_i = 2^(17-i) mod 11 for positions 1..17; the remainder of the weighted sum mod 11
# indexes this string.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"

# R8: province-level codes of GB/T 2260, plus 71 (Taiwan) and 81/82/83 (HK, Macau, Taiwan residence permits).
_PROVINCE_CODES = frozenset(
    [11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
     50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83]
)
# R8: residence permits for HK/Macau/Taiwan residents carry exactly these six-digit prefixes.
_RESIDENCE_PERMIT_REGIONS = {"81": "810000", "82": "820000", "83": "830000"}

_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


@dataclass(frozen=True)
class IdNumberInfo:
    """A valid resident ID number and what it encodes.

    ``gender`` is ``"M"`` or ``"F"`` (17th digit odd = male); ``region_code`` is the first six digits;
    ``region_warning`` is a lazy Chinese message when the region prefix looks wrong (a warning only,
    DESIGN R8), otherwise ``None``.
    """

    number: str
    birth_date: date
    gender: str
    region_code: str
    region_warning: Any = None

    def age_on(self, on: date) -> int:
        """Return the full years of age on the day ``on``."""
        years = on.year - self.birth_date.year
        if (on.month, on.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def _id_check_char(first17: str) -> str:
    """Return the GB 11643 check character for 17 digits."""
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK_CHARS[total % 11]


def normalize_id_number(value: Any) -> str:
    """Return the ID number in canonical form: half-width, no blanks, upper-case ``X``; ``""`` when empty.

    The result is not validated; use :func:`parse_id_number` for that.
    """
    text = normalize_text(value)
    if text is None:
        return ""
    return _squeeze_spaces(text).upper()


def parse_id_number(value: Any, field: str = "id_number", *, today: date | None = None) -> IdNumberInfo:
    """Validate a resident ID number (R8) and return an :class:`IdNumberInfo`.

    Accepts full-width digits, surrounding blanks and a lower-case ``x``. Raises
    :class:`~core.errors.FieldInvalid` on ``field`` when the number is empty, not 18 characters long
    (old 15-digit numbers are refused), contains characters other than digits (only the last may be X),
    encodes an impossible birth date (not a calendar date, before 1900 or after ``today``) or has a wrong
    check digit. An unknown province prefix is not an error: it is reported in ``region_warning``.
    """
    number = normalize_id_number(value)
    if not number:
        raise FieldInvalid(field, _l("请填写身份证号码"), value)
    # R8: only the 18-character second-generation format; 15-digit numbers must be converted by the holder.
    if len(number) != 18:
        raise FieldInvalid(field, _l("身份证号码应为18位，旧的15位号码请换用18位号码"), value)
    if not _ID_SHAPE.fullmatch(number):
        raise FieldInvalid(field, _l("身份证号码只能由数字组成，仅最后一位可以是 X"), value)

    # R8: positions 7-14 are the birth date YYYYMMDD; it must exist and lie between 1900-01-01 and today.
    raw_date = number[6:14]
    shown = f"{raw_date[:4]}-{raw_date[4:6]}-{raw_date[6:]}"
    try:
        birth = date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        raise FieldInvalid(field, _l("身份证号码中的出生日期 %(date)s 不存在，请核对", date=shown), value) from None
    if birth.year < 1900:
        raise FieldInvalid(field, _l("身份证号码中的出生日期 %(date)s 早于1900年，请核对", date=shown), value)
    if birth > (today or date.today()):
        raise FieldInvalid(field, _l("身份证号码中的出生日期 %(date)s 晚于今天，请核对", date=shown), value)

    # R8: check digit per GB 11643 (ISO 7064 MOD 11-2).
    if number[17] != _id_check_char(number[:17]):
        raise FieldInvalid(field, _l("身份证号码校验位错误，请核对"), value)

    region_code = number[:6]
    # R8: the 17th digit is the sequence code's last digit, odd for men and even for women.
    gender = "M" if int(number[16]) % 2 == 1 else "F"
    return IdNumberInfo(number=number, birth_date=birth, gender=gender, region_code=region_code,
                        region_warning=region_warning(number))


def region_warning(number: str) -> Any:
    """R8 / DESIGN: a doubtful region prefix of a valid ID number is a warning only (a lazy message), never a
    refusal; None when the prefix is a province (or the right prefix of a residence permit)."""
    province = number[:2]
    if not province.isdigit() or int(province) not in _PROVINCE_CODES:
        return _l("身份证号码前两位 %(code)s 不是有效的省级行政区划代码，请核对", code=province)
    if province in _RESIDENCE_PERMIT_REGIONS and number[:6] != _RESIDENCE_PERMIT_REGIONS[province]:
        return _l("港澳台居民居住证号码前6位应为 %(expected)s，请核对", expected=_RESIDENCE_PERMIT_REGIONS[province])
    return None


def id_birth_date(number: Any, field: str = "id_number") -> date:
    """Return the birth date encoded in a valid ID number (raises like :func:`parse_id_number`)."""
    return parse_id_number(number, field).birth_date


def mask_id_number(number: Any) -> str:
    """Mask an ID number for display: first 6 and last 4 characters kept, e.g. ``440106********1234``.

    Works on any length (the middle is starred); numbers of 10 characters or fewer are starred completely,
    and an empty value gives ``""``.

    **Display policy of ID numbers on pages** (issue 12; the one rule every screen follows, tested page × role in
    tests/test_masking_policy.py):

    * *Lists* — screens that gather persons across records or for monitoring: 单位培训人员查询, 培训情况跟踪 →
      查看考勤 (培训人员 / 培训师资 tabs), 新增人员 (the claim's picker), import previews, the audit log's diffs:
      **masked for everyone** (Jinja filter ``mask_id``).
    * *A record's own detail* — a filing's tabs (培训师资, 培训人员), 备案审核 detail, a teacher change request
      (师资信息变更 and 变更审核 detail), a claim's 人员信息 and 补贴审核 detail: **full for the owning enterprise
      and the city reviewer**, who act on the record and check it against documents; **masked for the provincial
      admin**, who only reads (Jinja filter ``id_detail``: ``shown_id_number(n, full=...)`` with
      ``full = actor is an enterprise user or a reviewer``; the row scope has already limited both to their own
      records). The review screens pass the same decision as ``full_id=actor.is_reviewer`` (only reviewers and
      the admin open them).
    * Documents (备案表 PDF, 花名册, the exported 学员名单) are official forms: full numbers.
    """
    text = normalize_id_number(number)
    if len(text) <= 10:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 10) + text[-4:]


def shown_id_number(number: Any, *, full: bool) -> str:
    """An ID number as a page shows it under the display policy of :func:`mask_id_number`."""
    return normalize_id_number(number) if full else mask_id_number(number)


# ---------------------------------------------------------------------------------------------------------
# Unified social credit code, GB 32100-2015 (R8)
# ---------------------------------------------------------------------------------------------------------

# R8: GB 32100 character set (digits and upper-case letters without I, O, Z, S, V); a char's value is its index.
_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {ch: i for i, ch in enumerate(_USCC_CHARSET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# R8: registration-authority codes (position 1) assigned so far; position 2 (type) is not checked.
_USCC_AUTHORITIES = "123456789ANY"


def _uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for 17 valid characters."""
    total = sum(_USCC_VALUES[ch] * w for ch, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def normalize_uscc(value: Any) -> str:
    """Return the credit code in canonical form: half-width, no blanks, upper case; ``""`` when empty."""
    text = normalize_text(value)
    if text is None:
        return ""
    return _squeeze_spaces(text).upper()


def validate_uscc(value: Any, field: str = "uscc") -> str:
    """Validate a unified social credit code (R8) and return it normalised.

    Checks: not empty, 18 characters, only GB 32100 characters, a known registration-authority code in
    position 1, digits in positions 3–8 (administrative division) and the check character (position 18).
    Raises :class:`~core.errors.FieldInvalid` on ``field`` with a precise Chinese message.
    """
    code = normalize_uscc(value)
    if not code:
        raise FieldInvalid(field, _l("请填写统一社会信用代码"), value)
    if len(code) != 18:
        raise FieldInvalid(field, _l("统一社会信用代码应为18位"), value)
    illegal = "".join(dict.fromkeys(ch for ch in code if ch not in _USCC_VALUES))
    if illegal:
        raise FieldInvalid(field, _l("统一社会信用代码含有非法字符：%(chars)s", chars=illegal), value)
    # R8: position 1 is the registration-authority code (1-9 government bodies, A central military, N/Y others).
    if code[0] not in _USCC_AUTHORITIES:
        raise FieldInvalid(field, _l("统一社会信用代码第1位（登记管理部门代码）不正确"), value)
    # R8: positions 3-8 are the administrative division code of the registering authority.
    if not code[2:8].isascii() or not code[2:8].isdigit():
        raise FieldInvalid(field, _l("统一社会信用代码第3至8位（行政区划码）应为数字"), value)
    # R8: check character, weights 3^(i-1) mod 31, check = 31 - sum mod 31 (31 becomes 0).
    if code[17] != _uscc_check_char(code[:17]):
        raise FieldInvalid(field, _l("统一社会信用代码校验位错误，请核对"), value)
    return code


# ---------------------------------------------------------------------------------------------------------
# Phone numbers (R8)
# ---------------------------------------------------------------------------------------------------------

_DASHES = re.compile(r"[\u2010-\u2015\u2212\uff0d]")  # hyphen/en/em dashes, minus, full-width hyphen
# R8: mainland mobile, optionally with the country code +86 / 86 / 0086.
_MOBILE = re.compile(r"(?:\+?86|0086)?(1[3-9][0-9]{9})")
# R8: landline. Area codes form a prefix code: 010 and 02X have three digits, all others (03XX-09XX) four.
_LANDLINE_COMPACT = re.compile(r"(010|02[0-9]|0[3-9][0-9]{2})([0-9]{7,8})")
_LANDLINE = re.compile(r"(010|02[0-9]|0[3-9][0-9]{2})-?([0-9]{7,8})(?:(?:-|转|#)([0-9]{1,6}))?")


def validate_phone(value: Any, field: str = "phone") -> str:
    """Validate a contact phone number (R8) and return it normalised.

    A mainland mobile (``1[3-9]`` + 9 digits, optionally prefixed by +86/86 and written with spaces or
    hyphens) becomes its 11 digits. A landline with area code (``020-12345678``, ``0755 12345678``,
    ``(020)12345678``, ``02012345678``, optional extension ``-123``/``转123``) becomes ``AREA-NUMBER`` or
    ``AREA-NUMBER-EXT``, the area code having 3 digits for 010 and 02X and 4 digits otherwise.
    Raises :class:`~core.errors.FieldInvalid` on ``field`` otherwise (also when empty).
    """
    text = normalize_text(value)
    if text is None:
        raise FieldInvalid(field, _l("请填写联系电话"), value)
    text = _DASHES.sub("-", text.translate(_FULLWIDTH_TABLE))

    compact = re.sub(r"[\s\-]+", "", text)
    mobile = _MOBILE.fullmatch(compact)
    if mobile:
        return mobile.group(1)
    # Digits grouped by blanks, e.g. "020 1234 5678": area codes form a prefix code, so the split is unique.
    # A hyphen, however, says where the area code ends and is respected below ("075-12345678" is refused).
    grouped = _LANDLINE_COMPACT.fullmatch(re.sub(r"[()]", "", compact)) if "-" not in text else None
    if grouped:
        return f"{grouped.group(1)}-{grouped.group(2)}"

    # Landline: "(020)1234..." -> "020-1234...", blanks and dash runs -> one hyphen.
    landline_text = re.sub(r"^\(\s*(0[0-9]{2,3})\s*\)\s*", r"\1-", text)
    landline_text = re.sub(r"\s*-[\s\-]*|\s+", "-", landline_text)
    landline = _LANDLINE.fullmatch(landline_text)
    if landline:
        area, local, ext = landline.groups()
        return f"{area}-{local}" + (f"-{ext}" if ext else "")
    raise FieldInvalid(field, _l("联系电话格式不正确，应为11位手机号码或带区号的固定电话（如 020-12345678）"), value)


# ---------------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------------

_TIME_TAIL = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_DATE_SEPARATED = re.compile(r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})" + _TIME_TAIL)
_DATE_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")  # 20270301, as typed into a date field
_DATE_CHINESE = re.compile(r"([0-9]{4})\s*年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日")


class NoSuchDate(FieldInvalid):
    """A well-formed date that is not in the calendar (``2026-02-29``, ``2026-04-31``): callers say so instead of
    calling the format wrong."""


def parse_date(value: Any, field: str = "date") -> date:
    """Return ``value`` as a :class:`datetime.date`.

    Accepts ``date``/``datetime`` objects (a datetime gives its date) and the texts ``YYYY-MM-DD``,
    ``YYYY/M/D``, ``YYYY.M.D``, ``YYYYMMDD`` and ``YYYY年M月D日``, also with full-width digits, surrounding blanks and a
    trailing time of day (``2024-01-05 00:00:00``). Numbers (e.g. Excel serials) are refused here.
    Raises :class:`~core.errors.FieldInvalid` on ``field`` when empty or malformed, and :class:`NoSuchDate` when
    the text is a date that does not exist ("日期 2026-02-29 不存在").
    """
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or (isinstance(value, str) and normalize_text(value) is None):
        raise FieldInvalid(field, _l("请填写日期"), value)
    if not isinstance(value, str):
        # Excel serial numbers and other numbers are converted by the import layer, not guessed here.
        raise FieldInvalid(field, _l("日期格式不正确，应为 YYYY-MM-DD"), value)

    text = normalize_text(value)
    match = _DATE_SEPARATED.fullmatch(text)
    compact = _DATE_COMPACT.fullmatch(text)
    if match:
        year, month, day = match.group(1), match.group(3), match.group(4)
    elif compact:
        year, month, day = compact.groups()
    else:
        match = _DATE_CHINESE.fullmatch(text)
        if not match:
            raise FieldInvalid(field, _l("日期格式不正确，应为 YYYY-MM-DD"), value)
        year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        # A real month and a day up to 31 that the calendar lacks (2026-02-29, 2026-04-31) is NoSuchDate;
        # month 13 or day 32 is rather a mistyped date (callers may call that a format error).
        plausible = 1 <= int(month) <= 12 and 1 <= int(day) <= 31
        raise (NoSuchDate if plausible else FieldInvalid)(
            field, _l("日期 %(value)s 不存在，请核对", value=text), value) from None


def complete_id_number(first17: str) -> str:
    """The 18-character ID number whose first 17 digits are ``first17`` (demo data and test factories)."""
    return first17 + _id_check_char(first17)


def complete_uscc(first17: str) -> str:
    """The 18-character USCC whose first 17 characters are ``first17`` (demo data and test factories)."""
    return first17 + _uscc_check_char(first17)


# ---------------------------------------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------------------------------------

PASSWORD_MIN_LENGTH = 8


def password_problem(password: str, username: str | None = None) -> Any:
    """Why ``password`` is refused by the password policy (a lazy Chinese message), or None when it is fine:
    at least 8 characters with letters and digits, and not the username (in any letter case)."""
    password = password or ""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _l("密码至少 %(n)d 位", n=PASSWORD_MIN_LENGTH)
    if not re.search(r"[A-Za-z]", password) or not re.search(r"[0-9]", password):
        return _l("密码须同时包含字母和数字")
    if username and username.strip() and username.strip().lower() in password.lower():
        return _l("密码不能包含用户名")
    return None

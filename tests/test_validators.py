"""Tests for core.validators (rule R8): text normalisation, ID numbers, credit codes, phones, dates.

Valid ID numbers and credit codes are built here with check-digit helpers written independently of the
module, so the tests do not merely repeat the implementation. No Flask app context is needed: lazy strings
fall back to the untranslated Chinese text outside a request.
"""
from __future__ import annotations

import os
import sys
from datetime import date, datetime

import pytest

# The project root holds the ``actions`` package; make it importable when no conftest does so.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from core.errors import FieldInvalid, ValidationFailed  # noqa: E402
from core.validators import (  # noqa: E402
    IdNumberInfo,
    id_birth_date,
    mask_id_number,
    normalize_id_number,
    normalize_text,
    normalize_uscc,
    parse_date,
    parse_id_number,
    validate_phone,
    validate_uscc,
)

# ---------------------------------------------------------------------------------------------------------
# Independent check-digit helpers
# ---------------------------------------------------------------------------------------------------------


def id_with_check(first17: str) -> str:
    """Append the GB 11643 (ISO 7064 MOD 11-2) check character to 17 digits."""
    assert len(first17) == 17 and first17.isdigit()
    total = 0
    for i, ch in enumerate(first17):
        total += int(ch) * (2 ** (17 - i) % 11)
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))


def wrong_id_check(number: str) -> str:
    """Return the same number with a different (wrong) check character."""
    return number[:17] + ("0" if number[17] != "0" else "1")


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc_with_check(first17: str) -> str:
    """Append the GB 32100 check character (weights 3^i mod 31) to 17 code characters."""
    assert len(first17) == 17
    total = sum(USCC_CHARS.index(ch) * (3 ** i % 31) for i, ch in enumerate(first17))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def first17_with_check_digit_x() -> str:
    """Find a 17-digit base (born 1990-03-07 in Guangzhou) whose check character is X."""
    for seq in range(1000):
        number = id_with_check(f"44010619900307{seq:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no base with check character X found")


def message_of(exc_info) -> str:
    """The (single) error message of a FieldInvalid as plain text."""
    exc = exc_info.value
    assert isinstance(exc, FieldInvalid)
    assert len(exc.errors) == 1
    return str(exc.errors[0].message)


# ---------------------------------------------------------------------------------------------------------
# normalize_text
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("\u3000\u00a0\u200b\ufeff", None),
        ("  abc  ", "abc"),
        ("\ufeff\u200b 张三 \u00a0", "张三"),
        ("４４０１０６", "440106"),
        ("ＡＢＣ－１２３", "ABC-123"),
        ("ａ\u3000ｂ", "a b"),
        ("（０２０）", "（020）"),
        ("培训机构（演示），退回：材料不全！", "培训机构（演示），退回：材料不全！"),
        (123, "123"),
        ("中文不变", "中文不变"),
    ],
)
def test_normalize_text(raw, expected):
    assert normalize_text(raw) == expected


# ---------------------------------------------------------------------------------------------------------
# Resident ID numbers
# ---------------------------------------------------------------------------------------------------------

GZ_MALE = id_with_check("44010619900307123")  # 17th digit 3 -> male
GZ_FEMALE = id_with_check("44010619851231002")  # 17th digit 2 -> female
LEAP_DAY = id_with_check("44030420000229001")  # 2000 is a leap year
ID_WITH_X = first17_with_check_digit_x()


def test_lazy_messages_work_without_app_context():
    with pytest.raises(FieldInvalid) as exc_info:
        parse_id_number("")
    assert message_of(exc_info) == "请填写身份证号码"
    assert exc_info.value.as_dict()["errors"][0]["field"] == "id_number"


@pytest.mark.parametrize(
    "raw, expected_number",
    [
        (GZ_MALE, GZ_MALE),
        (GZ_FEMALE, GZ_FEMALE),
        (LEAP_DAY, LEAP_DAY),
        (ID_WITH_X, ID_WITH_X),
        (ID_WITH_X.lower(), ID_WITH_X),  # lower-case x is normalised to X
        ("  " + GZ_MALE.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + "\u3000", GZ_MALE),
        ("\ufeff" + GZ_FEMALE + "\u00a0", GZ_FEMALE),
        (id_with_check("11010519491001001"), id_with_check("11010519491001001")),
        (id_with_check("65010219000101001"), id_with_check("65010219000101001")),  # 1900 is accepted
    ],
)
def test_parse_id_number_valid(raw, expected_number):
    info = parse_id_number(raw)
    assert isinstance(info, IdNumberInfo)
    assert info.number == expected_number
    assert info.region_warning is None


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_parse_id_number_residence_permits_accepted(prefix):
    number = id_with_check(prefix + "19951120003")
    info = parse_id_number(number)
    assert info.number == number
    assert info.region_code == prefix
    assert info.region_warning is None


def test_parse_id_number_residence_permit_with_odd_region_warns_only():
    number = id_with_check("810101" + "19951120003")
    info = parse_id_number(number)
    assert info.number == number
    assert "810000" in str(info.region_warning)


@pytest.mark.parametrize("prefix", ["990101", "100101", "000000", "910000"])
def test_parse_id_number_unknown_province_is_warning_not_error(prefix):
    number = id_with_check(prefix + "19900307123")
    info = parse_id_number(number)
    assert info.number == number
    assert info.region_code == prefix
    assert info.region_warning is not None
    assert prefix[:2] in str(info.region_warning)


@pytest.mark.parametrize(
    "number, birth, gender",
    [
        (GZ_MALE, date(1990, 3, 7), "M"),
        (GZ_FEMALE, date(1985, 12, 31), "F"),
        (LEAP_DAY, date(2000, 2, 29), "M"),  # 17th digit 1 -> male
    ],
)
def test_parse_id_number_birth_date_and_gender(number, birth, gender):
    info = parse_id_number(number)
    assert info.birth_date == birth
    assert info.gender == gender
    assert info.region_code == number[:6]
    assert id_birth_date(number) == birth


@pytest.mark.parametrize("digit17, gender", [(str(d), "M" if d % 2 else "F") for d in range(10)])
def test_parse_id_number_gender_from_17th_digit(digit17, gender):
    number = id_with_check("4401061990030712" + digit17)
    assert parse_id_number(number).gender == gender


def test_id_number_info_age_on():
    info = parse_id_number(GZ_MALE)  # born 1990-03-07
    assert info.age_on(date(2008, 3, 6)) == 17
    assert info.age_on(date(2008, 3, 7)) == 18


def test_id_number_info_is_frozen():
    info = parse_id_number(GZ_MALE)
    with pytest.raises(Exception):
        info.number = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (None, "请填写身份证号码"),
        ("", "请填写身份证号码"),
        ("  \u3000 ", "请填写身份证号码"),
        ("440106900307123", "15位"),  # old 15-digit number
        (GZ_MALE[:17], "应为18位"),
        (GZ_MALE + "1", "应为18位"),
        ("4401061990A307123" + "4", "只能由数字组成"),  # letter in the middle
        ("44010619900307X23" + "4", "只能由数字组成"),  # X not in last position
        ("44010619900307123-", "只能由数字组成"),
        (wrong_id_check(GZ_MALE), "校验位错误"),
        (wrong_id_check(ID_WITH_X), "校验位错误"),
        (id_with_check("44010619990229001"), "不存在"),  # 1999 not a leap year
        (id_with_check("44010619001301001"), "不存在"),  # month 13
        (id_with_check("44010619900000001"), "不存在"),  # month 00
        (id_with_check("44010619900132001"), "不存在"),  # day 32
        (id_with_check("44010619000229001"), "不存在"),  # 1900 not a leap year
        (id_with_check("44010618991231001"), "早于1900年"),
        (id_with_check("44010629990101001"), "晚于今天"),
    ],
)
def test_parse_id_number_invalid(raw, fragment):
    with pytest.raises(FieldInvalid) as exc_info:
        parse_id_number(raw, field="trainee_id")
    assert fragment in message_of(exc_info)
    assert exc_info.value.errors[0].field == "trainee_id"
    assert isinstance(exc_info.value, ValidationFailed)


def test_parse_id_number_exact_messages():
    with pytest.raises(FieldInvalid) as exc_info:
        parse_id_number("440106900307123")
    assert message_of(exc_info) == "身份证号码应为18位，旧的15位号码请换用18位号码"
    with pytest.raises(FieldInvalid) as exc_info:
        parse_id_number(wrong_id_check(GZ_MALE))
    assert message_of(exc_info) == "身份证号码校验位错误，请核对"


def test_parse_id_number_future_relative_to_today_argument():
    number = id_with_check("44010620240601001")
    assert parse_id_number(number, today=date(2024, 6, 1)).birth_date == date(2024, 6, 1)
    with pytest.raises(FieldInvalid):
        parse_id_number(number, today=date(2024, 5, 31))


def test_normalize_id_number():
    assert normalize_id_number(" ４４０１０６ １９９００３０７ １２３ｘ ") == "44010619900307123X"
    assert normalize_id_number(None) == ""


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("440106199003071234", "440106********1234"),
        ("44010619900307123x", "440106********123X"),
        (" 440106199003071234 ", "440106********1234"),
        ("", ""),
        (None, ""),
        ("12345", "*****"),
    ],
)
def test_mask_id_number(raw, masked):
    assert mask_id_number(raw) == masked


# ---------------------------------------------------------------------------------------------------------
# Unified social credit codes
# ---------------------------------------------------------------------------------------------------------

USCC_COMPANY = uscc_with_check("91440101MA59ABCD1")
USCC_SOCIAL_ORG = uscc_with_check("51440000500000001")
USCC_INSTITUTION = uscc_with_check("12440000455858582")
USCC_N = uscc_with_check("N2440106MA1234567")
USCC_Y = uscc_with_check("Y1440300L12345678")
USCC_A = uscc_with_check("A1110000MA0000001")
REAL_PUBLIC_EXAMPLE = "91350100M000100Y43"


def test_real_public_example_checksum_matches_test_helper():
    assert uscc_with_check(REAL_PUBLIC_EXAMPLE[:17]) == REAL_PUBLIC_EXAMPLE


@pytest.mark.parametrize(
    "raw, expected",
    [
        (USCC_COMPANY, USCC_COMPANY),
        (USCC_SOCIAL_ORG, USCC_SOCIAL_ORG),
        (USCC_INSTITUTION, USCC_INSTITUTION),
        (USCC_N, USCC_N),
        (USCC_Y, USCC_Y),
        (USCC_A, USCC_A),
        (REAL_PUBLIC_EXAMPLE, REAL_PUBLIC_EXAMPLE),
        (REAL_PUBLIC_EXAMPLE.lower(), REAL_PUBLIC_EXAMPLE),
        ("  " + REAL_PUBLIC_EXAMPLE + "\u3000", REAL_PUBLIC_EXAMPLE),
        (REAL_PUBLIC_EXAMPLE.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}), REAL_PUBLIC_EXAMPLE),
    ],
)
def test_validate_uscc_valid(raw, expected):
    assert validate_uscc(raw) == expected


def test_uscc_check_char_zero_case_is_handled():
    # Find a base whose weighted sum is a multiple of 31 (check 31 -> 0) and make sure it validates.
    for n in range(100000):
        code = uscc_with_check(f"9144010{n:05d}MA000"[:17])
        if code.endswith("0"):
            assert validate_uscc(code) == code
            return
    raise AssertionError("no base with check character 0 found")


def _replace(code: str, index: int, ch: str) -> str:
    return code[:index] + ch + code[index + 1:]


def _wrong_uscc_check(code: str) -> str:
    return _replace(code, 17, "0" if code[17] != "0" else "1")


@pytest.mark.parametrize(
    "raw, fragment",
    [
        (None, "请填写统一社会信用代码"),
        ("   ", "请填写统一社会信用代码"),
        (REAL_PUBLIC_EXAMPLE[:17], "应为18位"),
        (REAL_PUBLIC_EXAMPLE + "1", "应为18位"),
        ("440106123456789", "应为18位"),
        (_wrong_uscc_check(REAL_PUBLIC_EXAMPLE), "校验位错误"),
        (_wrong_uscc_check(USCC_N), "校验位错误"),
        (_wrong_uscc_check(USCC_Y), "校验位错误"),
        (_replace(REAL_PUBLIC_EXAMPLE, 8, "I"), "非法字符：I"),
        (_replace(REAL_PUBLIC_EXAMPLE, 10, "O"), "非法字符：O"),
        (_replace(_replace(REAL_PUBLIC_EXAMPLE, 9, "Z"), 11, "S"), "非法字符：ZS"),
        (_replace(REAL_PUBLIC_EXAMPLE, 12, "V"), "非法字符：V"),
        (_replace(REAL_PUBLIC_EXAMPLE, 12, "-"), "非法字符：-"),
        (uscc_with_check("B1440101MA59ABCD1"), "第1位"),  # B is not a registration authority
        (uscc_with_check("0144010100000001X"), "第1位"),
        (uscc_with_check("9144A101MA59ABCD1"), "第3至8位"),
    ],
)
def test_validate_uscc_invalid(raw, fragment):
    with pytest.raises(FieldInvalid) as exc_info:
        validate_uscc(raw, field="company_uscc")
    assert fragment in message_of(exc_info)
    assert exc_info.value.errors[0].field == "company_uscc"


def test_validate_uscc_exact_messages():
    with pytest.raises(FieldInvalid) as exc_info:
        validate_uscc("1234")
    assert message_of(exc_info) == "统一社会信用代码应为18位"
    with pytest.raises(FieldInvalid) as exc_info:
        validate_uscc(_wrong_uscc_check(REAL_PUBLIC_EXAMPLE))
    assert message_of(exc_info) == "统一社会信用代码校验位错误，请核对"
    with pytest.raises(FieldInvalid) as exc_info:
        validate_uscc(_replace(REAL_PUBLIC_EXAMPLE, 8, "I"))
    assert message_of(exc_info) == "统一社会信用代码含有非法字符：I"


def test_normalize_uscc():
    assert normalize_uscc(" 9135 0100 m000 100y43 ") == REAL_PUBLIC_EXAMPLE
    assert normalize_uscc(None) == ""


# ---------------------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+86-13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("１９９１２３４５６７８", "19912345678"),
        (13812345678, "13812345678"),
        ("020-12345678", "020-12345678"),
        ("02012345678", "020-12345678"),
        ("020 12345678", "020-12345678"),
        ("(020)12345678", "020-12345678"),
        ("（020）12345678", "020-12345678"),
        ("010-1234567", "010-1234567"),
        ("0755 12345678", "0755-12345678"),
        ("0755-12345678", "0755-12345678"),
        ("075512345678", "0755-12345678"),
        ("0755－12345678", "0755-12345678"),
        ("0760-8765432", "0760-8765432"),
        ("020-12345678-123", "020-12345678-123"),
        ("020-12345678转8001", "020-12345678-8001"),
        ("0755 - 12345678", "0755-12345678"),
    ],
)
def test_validate_phone_valid(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345678901",  # mobile must start 13-19
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+1 138 1234 5678",
        "12345678",  # landline without area code
        "020-123456",  # local number too short
        "020-123456789",  # local number too long
        "0201-2345678",  # 02X area codes have three digits
        "075-12345678",  # other area codes have four digits
        "0755-12345678-1234567",  # extension too long
        "abc",
        "138l2345678",
    ],
)
def test_validate_phone_invalid(raw):
    with pytest.raises(FieldInvalid) as exc_info:
        validate_phone(raw, field="contact_phone")
    assert message_of(exc_info) == "联系电话格式不正确，应为11位手机号码或带区号的固定电话（如 020-12345678）"
    assert exc_info.value.errors[0].field == "contact_phone"


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_validate_phone_empty(raw):
    with pytest.raises(FieldInvalid) as exc_info:
        validate_phone(raw)
    assert message_of(exc_info) == "请填写联系电话"


# ---------------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (date(2024, 3, 5), date(2024, 3, 5)),
        (datetime(2024, 3, 5, 14, 30), date(2024, 3, 5)),
        ("2024-03-05", date(2024, 3, 5)),
        ("2024-3-5", date(2024, 3, 5)),
        ("2024/3/5", date(2024, 3, 5)),
        ("2024/03/05", date(2024, 3, 5)),
        ("2024.3.5", date(2024, 3, 5)),
        ("2024年3月5日", date(2024, 3, 5)),
        ("2024 年 03 月 05 日", date(2024, 3, 5)),
        ("２０２４－０３－０５", date(2024, 3, 5)),
        ("２０２４年３月５日", date(2024, 3, 5)),
        ("  2024-03-05\u3000", date(2024, 3, 5)),
        ("2024-03-05 00:00:00", date(2024, 3, 5)),
        ("2024-02-29", date(2024, 2, 29)),
        ("20240305", date(2024, 3, 5)),  # typed without separators (issue 12)
    ],
)
def test_parse_date_valid(raw, expected):
    assert parse_date(raw, "start_date") == expected


@pytest.mark.parametrize(
    "raw",
    [
        "2024-03",
        "03/05/2024",
        "2024-03/05",  # mixed separators
        "2024035",
        "2024年3月5",
        "明天",
        45356.0,  # Excel serial: handled elsewhere
        45356,
        True,
    ],
)
def test_parse_date_bad_format(raw):
    with pytest.raises(FieldInvalid) as exc_info:
        parse_date(raw, "start_date")
    assert message_of(exc_info) == "日期格式不正确，应为 YYYY-MM-DD"
    assert exc_info.value.errors[0].field == "start_date"


@pytest.mark.parametrize("raw", ["2023-02-29", "2024-13-01", "2024/4/31", "2024年0月1日"])
def test_parse_date_impossible(raw):
    with pytest.raises(FieldInvalid) as exc_info:
        parse_date(raw, "start_date")
    assert "不存在" in message_of(exc_info)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_parse_date_empty(raw):
    with pytest.raises(FieldInvalid) as exc_info:
        parse_date(raw, "start_date")
    assert message_of(exc_info) == "请填写日期"

"""What an import file of each kind holds: its columns and the dropdown choices of its enumerated columns.

A column maps a Chinese header to the data key the action's cleaner expects (``actions.filings.clean_*``),
so an import row becomes exactly the dict a form would send. Headers are the file format, so they are fixed
Chinese text (not translated with the UI language). Reading matches headers by name — order is free — after
normalisation (full-width brackets, blanks, the ``*`` that marks required columns, ``（必填）``), and accepts a few
common synonyms (身份证号 for 身份证号码, 手机号码 for 联系电话 …).

Dropdown columns hold Chinese labels (企业导师, 线下培训, 四级/中级工, "6-18-01-01 车工"); ``Choices`` maps a label
(or the code itself) back to the code the cleaner validates.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.validators import normalize_id_number, normalize_text
from models.enums import ApprenticeshipType, ClassStatus, CourseMode, Education, Gender, TeacherKind

TEXT, ID, PHONE, DATE, INT, CHOICE = "text", "id", "phone", "date", "int", "choice"
_BLANKS = re.compile(r"\s+")

KINDS = ("training_class", "teacher", "trainee", "course")
KIND_LABELS = {
    "training_class": "培训信息",
    "teacher": "培训师资信息",
    "trainee": "培训人员信息",
    "course": "培训课程信息",
}

#: Headers that are accepted and ignored: a running number, notes, and our own 错误说明 column (a user fixes
#: the annotated error workbook and uploads it again).
IGNORED_HEADERS = ("序号", "编号", "备注", "错误说明")
ERROR_HEADER = "错误说明"


@dataclass(frozen=True)
class Column:
    """One column of an import file."""

    key: str  # the cleaner's data key
    header: str  # Chinese header written into the template
    type: str  # TEXT / ID / PHONE / DATE / INT / CHOICE
    required: bool = False
    source: Optional[str] = None  # dropdown source of CHOICE columns (see ``build_choices``)
    help: str = ""  # one line for the 填写说明 sheet
    example: str = ""
    width: int = 16
    aliases: tuple[str, ...] = ()
    required_note: str = ""  # for conditionally required columns (shown instead of 是/否)


def header_key(text: Any) -> str:
    """The form a header is compared in: half-width, no blanks, ASCII brackets, no required marks."""
    value = normalize_text(text) if text is not None else None
    if not value:
        return ""
    value = value.replace("（", "(").replace("）", ")")
    value = re.sub(r"[\s\u3000]+", "", value)
    value = re.sub(r"\((必填|选填|必录|可选)\)$", "", value)
    return value.strip("*＊")


def _contract(filing_type: str) -> tuple[str, bool]:
    """Trainee contract wording and whether it is required (R10: 企业新型学徒制 needs a labour contract)."""
    if filing_type == ApprenticeshipType.NEW_APPRENTICE:
        return "劳动合同", True
    return "学徒培训协议", False


def columns_for(kind: str, apprenticeship_type: str) -> list[Column]:
    """The columns of ``kind`` for a filing of ``apprenticeship_type`` (wording and required-ness differ, R10)."""
    if kind == "training_class":
        cols = [
            Column("occupation_code", "职业（工种）", CHOICE, True, "occupation",
                   "从下拉列表选择，格式为“职业编码 名称”；也可只填国家职业分类大典编码", "6-18-01-01 车工", 28,
                   ("职业工种", "职业", "工种", "职业(工种)编码")),
            Column("skill_level", "培训等级", CHOICE, True, "skill_level",
                   "从下拉列表选择" + ("；企业新型学徒制应为四级/中级工及以上"
                                       if apprenticeship_type == ApprenticeshipType.NEW_APPRENTICE else ""),
                   "四级/中级工", 16, ("技能等级", "培训技能等级")),
            Column("start_date", "培训开始日期", DATE, True, None,
                   "日期，如 2026-03-01（也可写 2026/3/1 或 2026年3月1日）", "2026-03-01", 14, ("开班日期", "开始日期")),
            Column("end_date", "培训结束日期", DATE, True, None,
                   "日期，不早于开始日期" + ("；企业新型学徒制培训期限1至2年（最长3年，超过2年须填写原因）"
                                             if apprenticeship_type == ApprenticeshipType.NEW_APPRENTICE else ""),
                   "2027-02-28", 14, ("结班日期", "结束日期")),
            Column("hours", "培训课时", INT, True, None, "整数，1 至 10000", "400", 10, ("课时", "总课时")),
            Column("planned_headcount", "计划培训人数", INT, True, None, "整数，至少 1", "30", 12,
                   ("计划人数", "培训人数")),
        ]
        if apprenticeship_type == ApprenticeshipType.NEW_APPRENTICE:
            cols.append(Column("extension_reason", "延长培训期限原因", TEXT, False, None,
                               "培训期限超过2年时必填，最多500字", "", 30, ("延期原因",),
                               required_note="期限超过2年时必填"))
        return cols
    if kind == "teacher":
        return [
            Column("name", "姓名", TEXT, True, None, "最多64字", "陈导师", 12, ("导师姓名", "教师姓名")),
            Column("id_number", "身份证号码", ID, True, None,
                   "18位居民身份证号码（含港澳台居民居住证），本列为文本格式，请勿改为数字", "440106198001010012", 22,
                   ("身份证号", "公民身份号码", "证件号码")),
            Column("phone", "联系电话", PHONE, True, None, "11位手机号码或带区号的固定电话（如 020-12345678）",
                   "13900139000", 16, ("手机号码", "手机号", "电话", "联系方式")),
            Column("kind", "导师类型", CHOICE, True, "teacher_kind", "从下拉列表选择：企业导师或院校导师", "企业导师", 12,
                   ("师资类型", "导师类别")),
            Column("title", "职称/技能等级", TEXT, False, None, "最多64字", "高级技师", 16, ("职称", "技能等级")),
            Column("certificate_no", "证书编号", TEXT, False, None, "最多64字；本列为文本格式", "", 20,
                   ("职业资格证书编号", "证书号")),
        ]
    if kind == "trainee":
        contract, required = _contract(apprenticeship_type)
        other = "学徒培训协议" if contract == "劳动合同" else "劳动合同"
        return [
            Column("name", "姓名", TEXT, True, None, "最多64字", "张三", 12, ("学员姓名", "学徒姓名")),
            Column("id_number", "身份证号码", ID, True, None,
                   "18位居民身份证号码（含港澳台居民居住证），本列为文本格式，请勿改为数字；同一文件内不能重复",
                   "440106199503070011", 22, ("身份证号", "公民身份号码", "证件号码")),
            Column("gender", "性别", CHOICE, False, "gender", "可不填（按身份证号码自动识别）；填写时须与身份证号码一致",
                   "男", 8),
            Column("phone", "联系电话", PHONE, True, None, "11位手机号码或带区号的固定电话；本列为文本格式",
                   "13800138000", 16, ("手机号码", "手机号", "电话", "联系方式")),
            Column("education", "文化程度", CHOICE, True, "education", "从下拉列表选择", "中专/中职/技工学校", 20,
                   ("学历",)),
            Column("contract_start", f"{contract}开始日期", DATE, required, None,
                   "日期，如 2026-01-01" + ("" if required else "（可不填）"), "2026-01-01", 16,
                   (f"{other}开始日期", "合同开始日期", "协议开始日期")),
            Column("contract_end", f"{contract}结束日期", DATE, required, None,
                   "日期，不早于开始日期" + ("；劳动合同期限应不少于1年" if required else "（可不填）"), "2028-12-31", 16,
                   (f"{other}结束日期", "合同结束日期", "协议结束日期")),
            Column("hire_date", "入职日期", DATE, required, None,
                   "日期" + ("" if required else "（可不填）"), "2026-01-01", 14, ("入职时间",)),
        ]
    if kind == "course":
        return [
            Column("training_class_id", "培训班（职业工种）", CHOICE, True, "class",
                   "从下拉列表选择本备案的培训信息；只有一个该职业的培训班时也可只填职业编码", "6-18-01-01 车工", 34,
                   ("培训班", "职业（工种）", "职业工种")),
            Column("name", "课程名称", TEXT, True, None, "最多128字", "数控车削实训", 24, ("课程",)),
            Column("mode", "授课方式", CHOICE, True, "course_mode", "从下拉列表选择：线上培训或线下培训", "线下培训", 12,
                   ("培训方式",)),
            Column("hours", "课时", INT, True, None, "整数，1 至 1000", "40", 8, ("课程课时", "学时")),
            Column("teacher_id", "授课教师", CHOICE, False, "teacher",
                   "从下拉列表选择本备案的培训师资，也可填写导师姓名或身份证号码；授课方式为线下培训时必填",
                   "陈导师", 20, ("授课老师", "导师", "教师"), required_note="线下培训必填"),
        ]
    raise KeyError(kind)


# ---------------------------------------------------------------------------------------------------------
# Dropdown choices: Chinese label ↔ code
# ---------------------------------------------------------------------------------------------------------


def choice_key(value: Any) -> str:
    """Normalised lookup key of a dropdown value: half-width, no blanks, ASCII brackets, upper case."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = normalize_text(value) if value is not None else None
    if not text:
        return ""
    text = text.replace("（", "(").replace("）", ")")
    return _BLANKS.sub("", text).upper()


@dataclass
class Choices:
    """The labels of one dropdown (template order) and how each accepted spelling maps to its code."""

    labels: list[str] = field(default_factory=list)
    codes: dict[str, Any] = field(default_factory=dict)
    ambiguous: set[str] = field(default_factory=set)
    exact: dict[Any, Any] = field(default_factory=dict)  # label as written in the dropdown → code (fast path)
    _fast: Optional[dict] = field(default=None, repr=False)

    def add(self, label: str, code: Any, *spellings: Any, code_typed: bool = True) -> None:
        """One option; ``code_typed`` False when the code is a database id nobody types (classes, teachers)."""
        self.labels.append(label)
        self.exact[label] = code
        self._fast = None
        for spelling in (label, *([code] if code_typed else []), *spellings):
            key = choice_key(spelling)
            if not key:
                continue
            if key in self.codes and self.codes[key] != code:
                self.ambiguous.add(key)
            else:
                self.codes[key] = code

    def lookup(self, value: Any) -> tuple[Any, Optional[str]]:
        """``(code, None)`` when found; ``(value, "ambiguous"|"unknown")`` otherwise."""
        if self._fast is None:
            self._fast = {label: code for label, code in self.exact.items() if choice_key(label) not in self.ambiguous}
        if isinstance(value, str) and value in self._fast:
            return self._fast[value], None
        key = choice_key(value)
        if key in self.ambiguous:
            return value, "ambiguous"
        if key in self.codes:
            return self.codes[key], None
        return value, "unknown"


def _zh(codeset) -> list[tuple[str, str]]:
    with force_locale("zh"):
        return [(code, str(label)) for code, label in codeset.LABELS.items()]


def build_choices(session: Session, filing: Any, source: str) -> Choices:
    """The dropdown of ``source`` for ``filing`` (labels in Chinese; codes as the cleaners expect)."""
    from models.lookups import Occupation, SkillLevel

    choices = Choices()
    if source == "occupation":
        rows = session.execute(select(Occupation.code, Occupation.name).where(Occupation.active.is_(True))
                               .order_by(Occupation.code)).all()
        for code, name in rows:
            # A bare name is accepted too; shared by two occupations it is ambiguous (see Choices.add).
            choices.add(f"{code} {name}", code, name)
    elif source == "skill_level":
        for level, name in session.execute(select(SkillLevel.level, SkillLevel.name)
                                           .order_by(SkillLevel.level.desc())).all():
            # "四级/中级工" also as "四级", "中级工" and the number 4.
            choices.add(name, level, *name.split("/"))
    elif source == "education":
        for code, label in _zh(Education):
            choices.add(label, code)
    elif source == "gender":
        for code, label in _zh(Gender):
            choices.add(label, code, label + "性")
    elif source == "teacher_kind":
        for code, label in _zh(TeacherKind):
            choices.add(label, code, label.replace("导师", ""))
    elif source == "course_mode":
        for code, label in _zh(CourseMode):
            choices.add(label, code, label.replace("培训", ""))
    elif source == "class":
        classes = [c for c in filing.classes if c.status == ClassStatus.NORMAL and c.id is not None]
        per_code: dict[str, int] = {}
        for c in classes:
            per_code[c.occupation_code] = per_code.get(c.occupation_code, 0) + 1
        seen: set[str] = set()
        for c in classes:
            occupation = f"{c.occupation_code} {c.occupation.name if c.occupation else ''}".strip()
            spellings = [occupation, c.occupation_code, c.occupation.name if c.occupation else None]
            if per_code[c.occupation_code] == 1:
                label = occupation
            else:  # two classes of one occupation: the label names level and start, the code is ambiguous
                level = c.level.name if c.level else str(c.skill_level)
                label = f"{occupation}（{level}，{c.start_date:%Y-%m-%d}开班）"
            if label in seen:
                label = f"{label} [{c.id}]"
            seen.add(label)
            choices.add(label, c.id, *spellings, code_typed=False)
    elif source == "teacher":
        teachers = [t for t in filing.teachers if t.active and t.id is not None]
        per_name: dict[str, int] = {}
        for t in teachers:
            per_name[t.name] = per_name.get(t.name, 0) + 1
        for t in teachers:
            label = t.name if per_name[t.name] == 1 else f"{t.name}（身份证尾号{t.id_number[-4:]}）"
            choices.add(label, t.id, normalize_id_number(t.id_number), t.name, code_typed=False)
    else:
        raise KeyError(source)
    return choices


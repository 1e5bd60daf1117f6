"""What an import file of each kind holds: its columns and the dropdown choices of its enumerated columns.

A column maps a Chinese header to the data key the action's cleaner expects; the columns of each kind are
derived from the entity's field spec (``actions.specs.import_columns``),
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
from models.enums import ClassStatus, CourseMode, Education, Gender, TeacherKind

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
    elif source == "city":
        from models.lookups import City

        for code, name in session.execute(select(City.code, City.name).order_by(City.sort_order, City.code)).all():
            # "广州市" also as "广州" and the code 4401 (the registry imports take a city by code or name).
            choices.add(name, code, name[:-1] if name.endswith("市") else None, f"{code} {name}")
    elif source == "yes_no":
        choices.add("是", True, "启用", "Y", "YES", "TRUE", "1")
        choices.add("否", False, "停用", "N", "NO", "FALSE", "0")
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


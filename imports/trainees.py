"""单位培训人员查询 and 导出学员名单 (manual §3.2.1.3, §3.2.2.3): the trainees of the user's filings (both
programmes), searchable by name, ID number, filing number, programme, type, filing status, trainee status and
class dates; ID numbers masked in the list and complete in the export.

One SELECT gives a page (plus one COUNT), whatever the page size: the class period and first occupation of
each filing come from a grouped sub-query joined once. The export streams the same SELECT (``yield_per``;
a server-side cursor on PostgreSQL) into xlsxwriter in ``constant_memory`` mode, so memory stays flat
whatever the number of rows; every text that starts with = + - @ (or a tab / carriage return) is prefixed
with ' so a spreadsheet never evaluates it as a formula.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Iterator, Optional

import xlsxwriter
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from core.errors import ValidationFailed
from core.validators import normalize_id_number, normalize_text, parse_date
from models.enums import (
    ApprenticeshipType,
    ClassStatus,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TraineeStatus,
)
from models.filing import Filing, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel
from models.scope import Actor, scope_condition

PAGE_SIZE = 20
#: First characters that make a spreadsheet read a text as a formula (OWASP CSV / formula injection).
FORMULA_PREFIXES = "=+-@\t\r"


def neutralise(value: str) -> str:
    """A text that a spreadsheet would read as a formula (= + - @, tab, CR first) gets a leading '."""
    if value and value[0] in FORMULA_PREFIXES:
        return "'" + value
    return value


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class TraineeFilters:
    """The search form of 单位培训人员查询 (query-string values, validated)."""

    name: Optional[str] = None
    id_number: Optional[str] = None
    filing_no: Optional[str] = None
    programme: Optional[str] = None
    apprenticeship_type: Optional[str] = None
    filing_status: Optional[str] = None
    status: Optional[str] = None
    date_from: Optional[date] = None
    date_to: Optional[date] = None
    errors: list[str] = field(default_factory=list)

    FIELDS = ("name", "id_number", "filing_no", "programme", "apprenticeship_type", "filing_status", "status",
              "date_from", "date_to")

    @classmethod
    def from_args(cls, args: Any) -> "TraineeFilters":
        out = cls()
        out.name = normalize_text(args.get("name"))
        number = normalize_id_number(args.get("id_number"))
        out.id_number = number or None
        out.filing_no = normalize_text(args.get("filing_no"))
        for key, codeset in (("programme", Programme), ("apprenticeship_type", ApprenticeshipType),
                             ("filing_status", FilingStatus), ("status", TraineeStatus)):
            value = normalize_text(args.get(key))
            setattr(out, key, value if value in codeset.codes() else None)
        for key, label in (("date_from", _l("培训期间起")), ("date_to", _l("培训期间止"))):
            raw = normalize_text(args.get(key))
            if raw:
                try:
                    setattr(out, key, parse_date(raw, key))
                except ValidationFailed:
                    out.errors.append(str(_l("%(label)s“%(value)s”不是有效日期，应为 YYYY-MM-DD，已忽略",
                                             label=label, value=raw)))
        return out

    def as_args(self) -> dict[str, str]:
        """The non-empty filters as query-string values (pagination and export links)."""
        out = {}
        for key in self.FIELDS:
            value = getattr(self, key)
            if value not in (None, ""):
                out[key] = value.isoformat() if isinstance(value, date) else str(value)
        return out

    def conditions(self) -> list:
        conds = []
        if self.name:
            conds.append(Trainee.name.like(_like(self.name), escape="\\"))
        if self.id_number:
            if len(self.id_number) == 18:
                conds.append(Trainee.id_number == self.id_number)
            else:
                conds.append(Trainee.id_number.like(_like(self.id_number), escape="\\"))
        if self.filing_no:
            conds.append(Filing.filing_no.like(_like(self.filing_no.upper()), escape="\\"))
        if self.programme:
            conds.append(Filing.programme == self.programme)
        if self.apprenticeship_type:
            conds.append(Filing.apprenticeship_type == self.apprenticeship_type)
        if self.filing_status:
            conds.append(Filing.status == self.filing_status)
        if self.status:
            conds.append(Trainee.status == self.status)
        if self.date_from or self.date_to:
            # Class dates: the filing has a normal class whose period meets [date_from, date_to].
            period = [TrainingClass.filing_id == Filing.id, TrainingClass.status == ClassStatus.NORMAL]
            if self.date_to:
                period.append(TrainingClass.start_date <= self.date_to)
            if self.date_from:
                period.append(TrainingClass.end_date >= self.date_from)
            conds.append(exists(select(TrainingClass.id).where(and_(*period))))
        return conds


COLUMNS = (
    Trainee.id, Trainee.name, Trainee.id_number, Trainee.gender, Trainee.birth_date, Trainee.phone,
    Trainee.education, Trainee.contract_start, Trainee.contract_end, Trainee.hire_date, Trainee.status,
    Trainee.lost_reason, Trainee.lost_date, Filing.id.label("filing_id"), Filing.filing_no, Filing.programme,
    Filing.apprenticeship_type, Filing.status.label("filing_status"),
)


def trainee_select(actor: Actor, filters: TraineeFilters):
    """SELECT of the trainees in the actor's scope matching ``filters``, newest filing first."""
    visible = scope_condition(Filing, actor)
    classes = (
        select(TrainingClass.filing_id.label("filing_id"), func.min(TrainingClass.id).label("first_class_id"),
               func.min(TrainingClass.start_date).label("class_start"),
               func.max(TrainingClass.end_date).label("class_end"), func.count().label("class_count"))
        .where(TrainingClass.status == ClassStatus.NORMAL,
               TrainingClass.filing_id.in_(select(Filing.id).where(visible)))
        .group_by(TrainingClass.filing_id)
        .subquery("filing_classes")
    )
    first = aliased(TrainingClass, name="first_class")
    return (
        select(*COLUMNS, classes.c.class_start, classes.c.class_end, classes.c.class_count,
               first.occupation_code, Occupation.name.label("occupation_name"),
               SkillLevel.name.label("skill_level_name"))
        .select_from(Trainee)
        .join(Filing, Filing.id == Trainee.filing_id)
        .outerjoin(classes, classes.c.filing_id == Filing.id)
        .outerjoin(first, first.id == classes.c.first_class_id)
        .outerjoin(Occupation, Occupation.code == first.occupation_code)
        .outerjoin(SkillLevel, SkillLevel.level == first.skill_level)
        .where(visible, *filters.conditions())
        .order_by(Filing.id.desc(), Trainee.id)
    )


def count_trainees(session: Session, actor: Actor, filters: TraineeFilters) -> int:
    stmt = (select(func.count()).select_from(Trainee).join(Filing, Filing.id == Trainee.filing_id)
            .where(scope_condition(Filing, actor), *filters.conditions()))
    return session.scalar(stmt) or 0


def trainee_page(session: Session, actor: Actor, filters: TraineeFilters, page: int,
                 page_size: int = PAGE_SIZE) -> list:
    stmt = trainee_select(actor, filters).limit(page_size).offset(max(page - 1, 0) * page_size)
    return list(session.execute(stmt).mappings())


def occupation_text(code: Optional[str], name: Optional[str], count: Optional[int]) -> str:
    if not code:
        return ""
    text = f"{code} {name or ''}".strip()
    if count and count > 1:
        text += f" 等{count}个工种"
    return text


# ---------------------------------------------------------------------------------------------------------
# 导出学员名单
# ---------------------------------------------------------------------------------------------------------

S, D, N = "s", "d", "n"  # cell kinds: text, date, number
EXPORT_COLUMNS = (
    ("姓名", 12, S), ("身份证号码", 21, S), ("性别", 6, S), ("出生日期", 12, D), ("联系电话", 15, S),
    ("文化程度", 18, S), ("劳动合同/学徒培训协议开始日期", 16, D), ("劳动合同/学徒培训协议结束日期", 16, D),
    ("入职日期", 12, D), ("人员状态", 9, S), ("流失原因", 20, S), ("流失日期", 12, D), ("备案编号", 20, S),
    ("培训项目", 30, S), ("学徒制培训类型", 14, S), ("备案状态", 12, S), ("职业（工种）", 26, S), ("培训等级", 14, S),
    ("培训开始日期", 12, D), ("培训结束日期", 12, D),
)


def _labels(codeset) -> dict[str, str]:
    with force_locale("zh"):
        return {code: str(label) for code, label in codeset.LABELS.items()}


class ExportConverter:
    """Turns a query row into the cell values of EXPORT_COLUMNS (labels in Chinese, texts neutralised)."""

    def __init__(self):
        self.gender = _labels(Gender)
        self.education = _labels(Education)
        self.status = _labels(TraineeStatus)
        self.programme = _labels(Programme)
        self.type = _labels(ApprenticeshipType)
        self.filing_status = _labels(FilingStatus)

    def __call__(self, row: Any) -> tuple:
        (_id, name, id_number, gender, birth, phone, education, c_start, c_end, hire, status, lost_reason, lost_date,
         _filing_id, filing_no, programme, a_type, f_status, class_start, class_end, class_count, occ_code,
         occ_name, level) = row
        return (
            neutralise(name or ""), neutralise(id_number or ""), self.gender.get(gender, ""), birth,
            neutralise(phone or ""), self.education.get(education, education or ""), c_start, c_end, hire,
            self.status.get(status, status), neutralise(lost_reason or ""), lost_date, filing_no or "",
            self.programme.get(programme, programme), self.type.get(a_type, a_type),
            self.filing_status.get(f_status, f_status), neutralise(occupation_text(occ_code, occ_name, class_count)),
            level or "", class_start, class_end,
        )


def open_export_workbook(path: str):
    """An xlsxwriter workbook in constant_memory mode (rows go to a temp file as written) and its sheet."""
    book = xlsxwriter.Workbook(path, {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,  # a text is never written as a formula
        "strings_to_urls": False,
        "tmpdir": tempfile.gettempdir(),
    })
    book.set_properties({"title": "单位培训人员名单", "author": "学徒制培训备案与补贴申领系统"})
    sheet = book.add_worksheet("培训人员名单")
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                              "valign": "vcenter", "align": "center"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    formats = []
    for ci, (title, width, kind) in enumerate(EXPORT_COLUMNS):
        fmt = day if kind == D else text
        sheet.set_column(ci, ci, width, fmt)
        formats.append(fmt)
    sheet.set_row(0, 30)
    for ci, (title, _width, _kind) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, ci, title, header)
    sheet.freeze_panes(1, 0)
    return book, sheet, formats


def write_rows(sheet, formats: list, rows: Iterable[tuple]) -> int:
    """Write cell values row after row (typed writes: text stays text, dates are dates). Returns the count."""
    writers = []
    for ci, (_title, _width, kind) in enumerate(EXPORT_COLUMNS):
        if kind == D:
            writers.append((ci, sheet.write_datetime, formats[ci]))
        elif kind == N:
            writers.append((ci, sheet.write_number, formats[ci]))
        else:
            writers.append((ci, sheet.write_string, formats[ci]))
    count = 0
    for count, values in enumerate(rows, start=1):
        for (ci, write, fmt), value in zip(writers, values):
            if value is None or value == "":
                continue
            write(count, ci, value, fmt)
    return count


def export_trainees(session: Session, actor: Actor, filters: TraineeFilters, *, batch: int = 2000) -> tuple[str, int]:
    """Write the trainees matching ``filters`` to a temporary .xlsx file; returns (path, row count).

    Rows are streamed from the database (``yield_per``) into xlsxwriter's constant-memory writer. The caller
    streams the file to the client and removes it (``stream_and_remove``).
    """
    handle, path = tempfile.mkstemp(prefix="trainees-", suffix=".xlsx")
    os.close(handle)
    try:
        book, sheet, formats = open_export_workbook(path)
        convert = ExportConverter()
        result = session.execute(trainee_select(actor, filters), execution_options={"yield_per": batch})
        count = write_rows(sheet, formats, (convert(row) for row in result))
        if count:
            sheet.autofilter(0, 0, count, len(EXPORT_COLUMNS) - 1)
        book.close()
    except BaseException:
        os.unlink(path)
        raise
    return path, count


def stream_and_remove(path: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """Yield a file in chunks, then delete it (also when the client goes away)."""
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(chunk_size)
                if not chunk:
                    break
                yield chunk
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def export_file_name(today: date) -> str:
    return f"单位培训人员名单_{today:%Y%m%d}.xlsx"

"""Excel 导入 (manual: 【导入】 on the 培训信息 / 培训师资信息 / 培训人员信息 / 培训课程信息 tabs): every row of an
upload is validated by the same cleaners as the forms (R4-R10), and either all rows are stored in one
transaction or nothing is, with every error named by sheet, row, column and value.

Checks on top of the per-row cleaners: a person (ID number) only once per file, R4 (学生学徒制: one 培训信息 per
filing, counting the file), R9 (one active filing per person, province-wide) in one query for the whole
file, and a 性别 column, when filled, agreeing with the ID number.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert
from sqlalchemy.orm import Session

from actions import audit
from core.errors import FieldError, FieldInvalid, NotFound, ValidationFailed
from actions.filings import (
    R9_CONFLICT,
    clean_course,
    clean_teacher,
    clean_trainee,
    id_index,
    clean_training_class,
    conflicting_id_numbers,
    load_filing,
    row_warnings,
    rules_for,
)
from core.validators import normalize_id_number
from actions.specs import import_columns
from imports.specs import CHOICE, KINDS, Column, build_choices
from models.base import utcnow
from models.enums import ClassStatus, Gender, TraineeStatus
from models.filing import Course, Teacher, Trainee, TrainingClass
from models.scope import Actor

MODELS = {"training_class": TrainingClass, "teacher": Teacher, "trainee": Trainee, "course": Course}
#: R9 look-up in one statement per this many ID numbers (below every driver's bound-parameter limit).
R9_BATCH = 30000


@dataclass
class Row:
    """One row to import: its Excel row number, the raw values by data key, problems found while reading."""

    number: int
    values: dict[str, Any]
    errors: list[FieldError] = field(default_factory=list)


@dataclass
class ImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    count: int
    existing: int
    dry_run: bool
    preview: list[tuple[int, dict]] = field(default_factory=list)  # (row number, cleaned values), first rows
    warnings: list[FieldError] = field(default_factory=list)  # not refused, worth a look (R8 region prefix)


def _as_rows(rows: Iterable[Any]) -> list[Any]:
    out = []
    for i, row in enumerate(rows):
        out.append(Row(i + 2, dict(row)) if isinstance(row, dict) else row)
    return out


def _count_existing(filing: Any, kind: str) -> int:
    if kind == "training_class":
        return len(filing.classes)
    if kind == "teacher":
        return len(filing.teachers)
    if kind == "trainee":
        return len(filing.trainees)
    return sum(len(c.courses) for c in filing.classes)


def import_rows(session: Session, actor: Actor, filing_id: Any, kind: str, rows: Iterable[Any], *,
                dry_run: bool = False, sheet: Optional[str] = None, source: Optional[dict] = None,
                preview_rows: int = 10) -> ImportResult:
    """Validate every row of an import of ``kind`` into an editable filing, then add them all (or, with
    ``dry_run``, nothing) and write one AuditEvent with the count.

    ``rows``: objects with ``number`` (Excel row), ``values`` (data key → raw cell value; dropdown columns hold
    the Chinese label or the code) and ``errors`` (problems found while reading), or plain dicts.
    :raises NotFound: unknown kind, or the filing is missing / out of scope.
    :raises Forbidden: not an enterprise user.
    :raises TransitionNotAllowed: the filing is not DRAFT/RETURNED.
    :raises ValidationFailed: any problem in any row — each one with row, column, value and message; nothing
        is stored.
    """
    if kind not in KINDS:
        raise NotFound()
    # The row lock (PostgreSQL) makes two imports into one filing run one after the other.
    filing = load_filing(session, actor, filing_id, editable=True, for_update=not dry_run)
    rules = rules_for(filing)
    if kind == "course" and not rules.has_courses:
        raise FieldInvalid("file", _l("学生学徒制备案没有培训课程信息，不能导入培训课程"))
    rows = _as_rows(rows)
    if not rows:
        raise FieldInvalid("file", _l("文件中没有数据行"))
    columns = import_columns(kind, filing.apprenticeship_type)
    specs = {c.key: c for c in columns}
    choice_columns = [(c, build_choices(session, filing, c.source)) for c in columns if c.type == CHOICE]
    if kind == "course" and not any(c.status == ClassStatus.NORMAL for c in filing.classes):
        raise FieldInvalid("file", _l("请先填写培训信息（培训班），再导入培训课程"))
    existing = _count_existing(filing, kind)
    cleaner = {"training_class": clean_training_class, "teacher": clean_teacher, "trainee": clean_trainee,
               "course": clean_course}[kind]

    def located(key: Optional[str], message: Any, value: Any, number: int) -> FieldError:
        column = specs[key].header if key in specs else None
        if isinstance(value, (list, dict)):
            value = str(value)
        return FieldError(key, message, value=value, row=number, column=column, sheet=sheet)

    errors: list[FieldError] = []
    cleaned: list[tuple[Any, dict]] = []
    first_seen: dict[str, int] = {}
    class_count = len(filing.classes)
    kwargs: dict[str, Any] = {}
    if kind == "trainee":  # R9: the whole file at once, below; the filing's rows indexed once (linear)
        kwargs = {"check_r9": False, "taken": id_index(filing.trainees)}
    elif kind == "teacher":
        kwargs = {"taken": id_index(filing.teachers)}
    for index, row, row_errors, data in data_rows(rows, errors, choice_columns, located):
        values = row.values
        gender = data.pop("gender", None) if kind == "trainee" else None

        if kind == "training_class":
            kwargs = {"row_count": class_count + index}  # R4 counts the rows above in this file too
        try:
            out = cleaner(session, filing, data, **kwargs)
        except ValidationFailed as exc:
            out = None
            add_cleaner_errors(row_errors, exc.errors, values,
                               lambda key, message, shown: located(key, message, shown, row.number))
        if kind in ("teacher", "trainee"):
            # A person once per file (the cleaners check the rows already in the filing).
            number = out["id_number"] if out is not None else normalize_id_number(values.get("id_number"))
            if len(number) == 18:
                row_errors.extend(repeated_person(number, first_seen, row.number,
                                                  lambda message: located("id_number", message,
                                                                          values.get("id_number"), row.number)))
        if out is not None and kind == "trainee" and gender not in (None, "") and gender != out["gender"] \
                and not any(e.field == "gender" for e in row_errors):
            given = values.get("gender")
            row_errors.append(located("gender", _l("性别“%(given)s”与身份证号码不符（身份证号码显示为%(real)s）",
                                                   given=given, real=Gender.label(out["gender"])),
                                      given, row.number))
        if row_errors:
            errors.extend(row_errors)
        elif out is not None:
            cleaned.append((row, out))

    if kind == "trainee" and cleaned:
        numbers = [out["id_number"] for _row, out in cleaned]
        conflicts: set[str] = set()
        for start in range(0, len(numbers), R9_BATCH):
            conflicts |= conflicting_id_numbers(session, filing, numbers[start:start + R9_BATCH])
        if conflicts:
            for row, out in cleaned:
                if out["id_number"] in conflicts:
                    errors.append(located("id_number", R9_CONFLICT, row.values.get("id_number"), row.number))

    if errors:
        sort_by_cell(errors, columns)
        bad_rows = len({e.row for e in errors})
        raise ValidationFailed(errors, _l("导入文件有 %(n)d 处错误（涉及 %(rows)d 行），未导入任何数据。"
                                          "请按错误列表修改后重新导入", n=len(errors), rows=bad_rows))

    warnings = [located(w.field, w.message, w.value, row.number) for row, out in cleaned for w in row_warnings(out)]
    result = ImportResult(kind, len(cleaned), existing, dry_run,
                          [(row.number, out) for row, out in cleaned[:preview_rows]], warnings)
    if dry_run:
        return result
    _store(session, filing, kind, [out for _row, out in cleaned])
    filing.updated_at = utcnow()  # bumps the filing's version: a concurrent import or edit loses cleanly
    audit.record(session, actor, "import", filing,
                 diff={"kind": kind, "count": len(cleaned), **({"source": source} if source else {})})
    return result


# ---------------------------------------------------------------------------------------------------------
# Row checks shared with the subsidy claim's person import (actions.subsidies.person_import)
# ---------------------------------------------------------------------------------------------------------


def data_rows(rows: list[Any], errors: list[FieldError], choice_columns: list[tuple[Column, Any]],
              located: Callable[[str, Any, Any, int], FieldError], *, clear: bool = False
              ) -> Iterator[tuple[int, Any, list[FieldError], dict]]:
    """The rows that hold values, each as ``(index in the file, row, its problems so far, its values to clean)`` with
    the dropdown cells resolved (``resolve_choices``); a row that only carries reading problems (e.g. a merged cell)
    adds them to ``errors`` and is passed over."""
    for index, row in enumerate(rows):
        row_errors = list(row.errors)
        if not row.values:
            errors.extend(row_errors)
            continue
        data = dict(row.values)
        resolve_choices(data, choice_columns, row_errors,
                        lambda key, message, raw: located(key, message, raw, row.number), clear=clear)
        yield index, row, row_errors, data


def resolve_choices(data: dict, choice_columns: list[tuple[Column, Any]], row_errors: list[FieldError],
                    located: Callable[[str, Any, Any], FieldError], *, clear: bool = False) -> None:
    """The dropdown cells of a row (``data``) replaced by their codes. A value that is not in the list, or names
    several options, is an error of the row (``located(key, message, raw)``) unless a reading problem already
    explains that cell; with ``clear`` such a cell becomes ``None`` (its cleaner then says nothing more)."""
    for col, choices in choice_columns:
        raw = data.get(col.key)
        if raw is None or raw == "":
            continue
        code, problem = choices.lookup(raw)
        if problem is None:
            data[col.key] = code
            continue
        if clear:
            data[col.key] = None
        if not any(e.field == col.key for e in row_errors):
            row_errors.append(located(col.key, choice_message(col, raw, problem), raw))


def add_cleaner_errors(row_errors: list[FieldError], found: Iterable[FieldError], values: dict,
                       located: Callable[[Optional[str], Any, Any], FieldError]) -> None:
    """The cleaner's errors of a row added to ``row_errors`` (``located(key, message, value as typed)``), but for the
    cells a reading or dropdown problem already explains."""
    seen = {e.field for e in row_errors}
    for error in found:
        if error.field in seen and error.field is not None:
            continue
        shown = values.get(error.field) if error.field in values else error.value
        row_errors.append(located(error.field, error.message, shown))


def repeated_person(number: str, first_seen: dict[str, int], row_number: int,
                    located: Callable[[Any], FieldError]) -> list[FieldError]:
    """A person (cleaned ID number) only once per file: the error of a repeat (``located(message)``), or none —
    the first row of each number is remembered in ``first_seen``."""
    if number in first_seen:
        return [located(_l("身份证号码与第 %(row)d 行重复，同一文件中同一人只能出现一次", row=first_seen[number]))]
    first_seen[number] = row_number
    return []


def sort_by_cell(errors: list[FieldError], columns: list[Column]) -> None:
    """Errors in reading order: by row, then by the column's place in the template."""
    order = {c.key: i for i, c in enumerate(columns)}
    errors.sort(key=lambda e: (e.row or 0, order.get(e.field, len(order))))


def choice_message(col: Column, raw: Any, problem: str) -> Any:
    """Why a dropdown cell was refused (``problem``: ``ambiguous`` or not found), naming the column and value."""
    if col.source == "teacher":
        if problem == "ambiguous":
            return _l("本备案有多名导师叫“%(value)s”，请填写身份证号码或从下拉列表选择", value=raw)
        return _l("授课教师“%(value)s”不是本备案的培训师资，请从下拉列表选择（或填写本备案导师的姓名、身份证号码）",
                  value=raw)
    if col.source == "class":
        if problem == "ambiguous":
            return _l("本备案有多个职业（工种）为“%(value)s”的培训班，请从下拉列表选择带等级和开班日期的选项", value=raw)
        return _l("“%(value)s”不是本备案的培训班，请从下拉列表选择", value=raw)
    if problem == "ambiguous":
        return _l("%(label)s“%(value)s”对应多个选项，请从下拉列表选择", label=col.header, value=raw)
    return _l("%(label)s“%(value)s”不在可选范围内，请从下拉列表选择", label=col.header, value=raw)


def _store(session: Session, filing: Any, kind: str, rows: list[dict]) -> None:
    """Add every cleaned row in one multi-row INSERT (the ORM's bulk path; no per-row objects)."""
    table = MODELS[kind].__table__
    names = set(table.columns.keys())
    now = utcnow()
    extra: dict[str, Any]
    if kind == "training_class":
        extra = {"filing_id": filing.id, "status": ClassStatus.NORMAL, "date_change_count": 0}
    elif kind == "teacher":
        extra = {"filing_id": filing.id, "active": True}
    elif kind == "trainee":
        extra = {"filing_id": filing.id, "status": TraineeStatus.ACTIVE, "created_at": now}
    else:
        extra = {"status": ClassStatus.NORMAL}
    payload = [{**{k: v for k, v in row.items() if k in names}, **extra} for row in rows]
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy(connection, table, payload)
    else:
        # Core executemany: no per-row ORM bookkeeping for 10,000 rows.
        connection.execute(insert(table), payload)
    # The filing's loaded collections no longer match the table: reload them on next access.
    session.expire(filing, ["classes", "teachers", "trainees"])
    if kind == "course":
        for cls in filing.classes:
            session.expire(cls, ["courses"])


def _copy(connection: Any, table: Any, payload: list[dict]) -> None:
    """PostgreSQL: COPY … FROM STDIN in the session's transaction (several times faster than INSERTs)."""
    import psycopg
    from psycopg import sql
    from sqlalchemy.exc import IntegrityError

    columns = list(payload[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    raw = connection.connection.driver_connection
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in payload:
                copy.write_row([row[c] for c in columns])
    except psycopg.errors.IntegrityError as exc:  # reported like any other duplicate (views.glue)
        raise IntegrityError(str(statement.as_string(raw)), None, exc) from exc

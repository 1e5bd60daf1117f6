"""The pieces of the registry imports (``actions.registry_imports``) that the three kinds share: the result, a
record of the file, the check context (session, actor, columns, errors placed on cells), set-based look-ups of stored
rows, repeats inside the file, the base ``Kind`` (who may import, how a row is cleaned, what identifies a record), the
地市 dropdown."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.imports import add_cleaner_errors, data_rows
from core.cleaning import Cleaner
from core.errors import FieldError, ValidationFailed
from core.validators import validate_uscc
from imports.specs import CHOICE, Choices, Column, build_choices
from models.lookups import City
from models.scope import Actor


#: Keys per look-up statement (below every driver's bound-parameter limit).
CHUNK = 5000
OCCUPATION_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")
CATEGORY_CODE = re.compile(r"\d(-\d{2}){0,2}")
DASHES = re.compile(r"[\u2010-\u2015\u2212\uff0d\s]+")
LOOKS_LIKE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?")
WORK_TYPE_SEPARATOR = "、"


@dataclass
class Record:
    """One record of the file: the Excel rows it comes from and its cleaned values."""

    rows: list[int]
    values: dict[str, Any]
    action: str = "create"  # create / update / unchanged (set by the plan)
    stored: Optional[dict] = None  # the stored row with the same key
    changes: dict[str, list] = field(default_factory=dict)  # column → [before, after] as the audit trail holds them
    updates: dict[str, Any] = field(default_factory=dict)  # column → new value, of a stored row that changes
    valid: bool = True  # False: the row has errors of its own (kept only to find repeats of its key)


@dataclass
class RegistryImportResult:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    count: int  # records (职业工种: 职业, however many 工种 rows)
    created: int
    updated: int
    unchanged: int
    dry_run: bool
    #: ("3" or "3、4": the Excel rows of a record, values + "action") of the first records
    preview: list[tuple[str, dict]] = field(default_factory=list)
    warnings: list[FieldError] = field(default_factory=list)
    skipped: int = 0  # 大典 category rows
    samples_removed: list[str] = field(default_factory=list)
    samples_deactivated: list[str] = field(default_factory=list)
    #: the first accounts created (``actions.account_admin.create_first_accounts``): username, enterprise_id,
    #: enterprise_name, one_time_password — shown once, never stored or audited in clear
    accounts: list[dict] = field(default_factory=list)


class Context:
    """What a kind's checks need: the session, the actor, the columns and how to place an error on a cell."""

    def __init__(self, session: Session, actor: Actor, cols: list[Column], sheet: Optional[str]):
        self.session, self.actor, self.sheet = session, actor, sheet
        self.specs = {c.key: c for c in cols}
        self.errors: list[FieldError] = []

    def located(self, key: Optional[str], message: Any, value: Any, row: int) -> FieldError:
        column = self.specs[key].header if key in self.specs else None
        if isinstance(value, (list, dict)):
            value = str(value)
        return FieldError(key, message, value=value, row=row, column=column, sheet=self.sheet)

    def refuse(self, key: Optional[str], message: Any, value: Any, rows: Iterable[int]) -> None:
        for row in rows:
            self.errors.append(self.located(key, message, value, row))


def rows_text(rows: list[int]) -> str:
    return "、".join(str(r) for r in rows)


def chunks(keys: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start:start + CHUNK]


def stored_by_key(session: Session, model: type, key: str, keys: list[Any], names: Iterable[str]) -> dict[Any, dict]:
    """The stored rows whose ``key`` is among ``keys``: key → {column: value} (one SELECT per chunk)."""
    wanted = [getattr(model, n) for n in ("id", *names)]
    out: dict[Any, dict] = {}
    for part in chunks(keys):
        for row in session.execute(select(*wanted).where(getattr(model, key).in_(part))).mappings():
            out[row[key]] = dict(row)
    return out


def repeated(ctx: Context, records: list[Record], key: str, message: Callable[[Any, str], Any]) -> None:
    """Every record whose ``key`` value another record of the file has too: an error on each of their rows."""
    seen: dict[Any, list[Record]] = {}
    for record in records:
        value = record.values.get(key)
        if value:
            seen.setdefault(value, []).append(record)
    for value, group in seen.items():
        if len(group) > 1:
            rows = sorted(r for record in group for r in record.rows)
            for record in group:
                ctx.refuse(key, message(value, rows_text(rows)), value, record.rows)


# ---------------------------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------------------------


class Kind:
    model: type
    key: str  # the column that identifies a record
    fields: tuple[str, ...]  # the columns an import sets

    def allowed(self, actor: Actor) -> bool:
        return actor.is_admin

    def records(self, ctx: Context, rows: list[Any]) -> tuple[list[Record], int]:
        """The file's records (and the number of rows skipped); row errors go to ``ctx.errors``."""
        cols = list(ctx.specs.values())
        choice_columns = [(c, self.choices(ctx, c.source)) for c in cols if c.type == CHOICE]
        records: list[Record] = []
        for _index, row, row_errors, data in data_rows(rows, ctx.errors, choice_columns,
                                                      lambda k, m, v, n: ctx.located(k, m, v, n), clear=True):
            cleaner = Cleaner(data)
            self.clean(ctx, cleaner, row.number)
            add_cleaner_errors(row_errors, cleaner.errors, row.values,
                               lambda k, m, v, n=row.number: ctx.located(k, m, v, n))
            present = {k for k in row.values if k in self.fields or k.startswith("account_")}
            values = {k: v for k, v in cleaner.out.items() if k in present}
            if row_errors:
                ctx.errors.extend(row_errors)
                if values.get(self.key) and not cleaner.has_error(self.key):
                    # still compared with the other rows, so a repeat names both rows (the file is refused anyway)
                    records.append(Record([row.number], values, valid=False))
            else:
                records.append(Record([row.number], values))
        return records, 0

    def choices(self, ctx: Context, source: str) -> Choices:
        return build_choices(ctx.session, None, source)

    def clean(self, ctx: Context, c: Cleaner, row: int) -> None:
        raise NotImplementedError

    def check(self, ctx: Context, records: list[Record], stored: dict[Any, dict]) -> None:
        """Checks of the records against each other and the stored rows."""

    def stored_rows(self, ctx: Context, records: list[Record]) -> dict[Any, dict]:
        keys = [r.values[self.key] for r in records]
        return stored_by_key(ctx.session, self.model, self.key, keys, self.fields)

    def new_row(self, values: dict) -> dict:
        """The columns of a new row."""
        return {name: values.get(name) for name in self.fields}

    def updates(self, values: dict, stored: dict) -> dict:
        """What a stored row gets from the file: every column the file has, but for its empty cells."""
        return {k: v for k, v in values.items() if k in self.fields and k != self.key and v is not None}

    def after(self, ctx: Context, records: list[Record], result: RegistryImportResult, dry_run: bool) -> None:
        """Work once the records are planned (and, unless ``dry_run``, stored)."""


def clean_uscc(c: Cleaner, key: str, *, required: bool) -> None:
    value = c.raw(key)
    if not value:
        if required:
            c.error(key, _l("请填写统一社会信用代码"))
        c.out[key] = None
        return
    try:
        c.out[key] = validate_uscc(value, key)
    except ValidationFailed as exc:
        c.errors.extend(exc.errors)
        c.out[key] = None


def city_names(session: Session) -> dict[str, str]:
    return dict(session.execute(select(City.code, City.name)).all())


def city_choices(session: Session, actor: Actor) -> Choices:
    """The 地市 dropdown of an import: every city; a city reviewer's own city only (a row naming another city is then
    told so by the import's check, not as "not in the list")."""
    choices = build_choices(session, None, "city")
    if actor.is_reviewer:
        own = Choices()
        for label, code in choices.exact.items():
            if code == actor.city_code:
                own.add(label, code, label[:-1] if label.endswith("市") else None)
        own.codes = choices.codes  # every city is understood; the check refuses the others by name
        return own
    return choices

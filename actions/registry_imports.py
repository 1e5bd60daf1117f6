"""Registry imports (issue 14): 职业工种 from the 国家职业分类大典, 单位 and 培训机构 — the same all-or-nothing machinery as
the filing imports (``imports.reader`` rows, ``actions.imports.data_rows`` for the dropdown cells, one
``ValidationFailed`` naming every bad cell by row and column, the annotated error workbook on the screen), written once
for the three kinds; each kind (``_Occupations``, ``_Enterprises``, ``_Institutions``) only says who may import, how a
row is cleaned, what identifies a record and what it checks against the stored rows.

The flow (``import_registry``): clean every row → records (a file row, or for 职业工种 the rows of one 职业) →
duplicates inside the file, each named with all its rows → the stored rows with the same keys, loaded in one query per
5,000 keys → the kind's checks against them → on any error nothing is stored; otherwise a plan (created / updated with
before→after / unchanged), which a dry run (检查) returns and a real import stores with one multi-row INSERT and one
executemany UPDATE — no statement per row.

Updates: an empty cell leaves the stored value as it is (a registry list seldom holds every field; clearing a value is
an edit on the list screen); a column the file does not have is not touched either.

职业工种 (the 大典 layout, ``imports.registry``):
- a record is one 细类（职业）: code ``d-dd-dd-dd`` whose 大类 digit is 1–8, and 职业名称; rows with a category code
  (``6``, ``6-18``, ``6-18-01``) or with only the 大类/中类/小类 columns filled are category rows and are skipped;
- a 工种 is a field of its 职业 (``Occupation.work_types``, names joined by "、"), not a row of its own: the 大典 gives
  工种 no code, and classes refer to the 职业 code. The 大典 lists a 职业 once per 工种, so rows with the same code are one
  record; they must agree on the name, and no 工种 (nor the 职业 without 工种) may appear twice. When the file has a 工种
  column, the 工种 of each listed 职业 are replaced by the file's;
- existing codes are updated (name, 工种; 启用 is the admin's choice and stays), new codes inserted (启用);
- the seed's sample occupations (``is_sample``) are replaced: one in the file becomes regular data; one not in the file
  is deleted, or, while a training class refers to it (``actions.registry.referenced_keys``), deactivated — never
  deleted. Occupations that are neither samples nor in the file stay as they are (a file may add to the list).

单位: the provincial admin imports any city's enterprises, a city reviewer only its own city's (a row of another city
is refused and named; the whole file is refused). The key is the USCC (GB 32100, ``core.validators.validate_uscc``;
authority letters A/N/Y pass), once per file; an existing USCC updates the listed fields, but an import never moves an
enterprise to another city: a row naming another city than the stored one is refused (for a reviewer, an enterprise
registered in another city is refused whatever the row says — it is not the reviewer's to change). 地市 by code or
name. Optionally a row asks for the enterprise's first account (columns 登录账号 / 账号邮箱): those columns exist only
while an account creator is installed in ``first_account_hook`` (the account administration of issue 14).

培训机构: keyed by name (unique), 统一社会信用代码 optional but checked and unique (in the file and against the other
institutions), 地市, 地址, 联系人, 联系电话, 启用 (是/否; empty: 是 for a new one).

Audit: one ``import`` event per import with the counts, the file (name, SHA-256, rows) and, for 职业工种 and 培训机构
(lookup rows nobody owns), the before→after of every updated row, the keys of the created ones and the removed or
deactivated samples — one event keeps the trail of a 3,000-row list readable while losing nothing. 单位 belong to an
enterprise and a city: each created or changed enterprise also gets its own ``create``/``update`` event with its
before→after (written in one INSERT), so its history shows the import to its city's reviewer and to the enterprise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from actions import audit
from actions.imports import add_cleaner_errors, data_rows, sort_by_cell
from actions.registry import referenced_keys
from core.cleaning import Cleaner
from core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from core.validators import normalize_text, validate_uscc
from imports import registry as layout
from imports.specs import CHOICE, Choices, Column, build_choices
from models.enterprise import Enterprise
from models.lookups import City, Occupation, TrainingInstitution
from models.scope import Actor

#: Keys per look-up statement (below every driver's bound-parameter limit).
CHUNK = 5000
OCCUPATION_CODE = re.compile(r"\d-\d{2}-\d{2}-\d{2}")
CATEGORY_CODE = re.compile(r"\d(-\d{2}){0,2}")
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uff0d\s]+")
_LOOKS_LIKE_DATE = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?")
WORK_TYPE_SEPARATOR = "、"


@dataclass
class FirstAccount:
    """An enterprise's first account asked for by an import row (columns 登录账号 / 账号邮箱)."""

    row: int  # Excel row
    enterprise_id: Optional[int]  # None in a dry run for an enterprise the import creates
    uscc: str
    city_code: str
    username: str
    email: Optional[str]
    contact_name: Optional[str]


#: The account creator of the account administration (``actions.account_admin.create_account``, issue 14), installed
#: at start-up: ``hook(session, actor, requests, dry_run) -> results`` creates (or, dry, checks) one account per request
#: and raises ``ValidationFailed`` whose errors carry ``row`` / ``column`` to refuse the file. None: no account columns.
first_account_hook: Optional[Callable[[Session, Actor, list[FirstAccount], bool], list[Any]]] = None


def columns(kind: str) -> list[Column]:
    """The columns of ``kind`` as the reader and the template use them now (account columns with a creator)."""
    if kind not in layout.KINDS:
        raise NotFound()
    return layout.columns(kind, with_account=first_account_hook is not None)


@dataclass
class Record:
    """One record of the file: the Excel rows it comes from and its cleaned values."""

    rows: list[int]
    values: dict[str, Any]
    action: str = "create"  # create / update / unchanged (set by the plan)
    stored: Optional[dict] = None  # the stored row with the same key
    changes: dict[str, list] = field(default_factory=dict)
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
    preview: list[tuple[int, dict]] = field(default_factory=list)  # (first row, values + "action"), first records
    warnings: list[FieldError] = field(default_factory=list)
    skipped: int = 0  # 大典 category rows
    samples_removed: list[str] = field(default_factory=list)
    samples_deactivated: list[str] = field(default_factory=list)
    accounts: list[Any] = field(default_factory=list)  # what ``first_account_hook`` returned


class _Context:
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


def _rows_text(rows: list[int]) -> str:
    return "、".join(str(r) for r in rows)


def _chunks(keys: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start:start + CHUNK]


def _stored(session: Session, model: type, key: str, keys: list[Any], names: Iterable[str]) -> dict[Any, dict]:
    """The stored rows whose ``key`` is among ``keys``: key → {column: value} (one SELECT per chunk)."""
    wanted = [getattr(model, n) for n in ("id", *names)]
    out: dict[Any, dict] = {}
    for part in _chunks(keys):
        for row in session.execute(select(*wanted).where(getattr(model, key).in_(part))).mappings():
            out[row[key]] = dict(row)
    return out


def _repeated(ctx: _Context, records: list[Record], key: str, message: Callable[[Any, str], Any]) -> None:
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
                ctx.refuse(key, message(value, _rows_text(rows)), value, record.rows)


# ---------------------------------------------------------------------------------------------------------
# The kinds
# ---------------------------------------------------------------------------------------------------------


class _Kind:
    model: type
    key: str  # the column that identifies a record
    fields: tuple[str, ...]  # the columns an import sets

    def allowed(self, actor: Actor) -> bool:
        return actor.is_admin

    def records(self, ctx: _Context, rows: list[Any]) -> tuple[list[Record], int]:
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

    def choices(self, ctx: _Context, source: str) -> Choices:
        return build_choices(ctx.session, None, source)

    def clean(self, ctx: _Context, c: Cleaner, row: int) -> None:
        raise NotImplementedError

    def check(self, ctx: _Context, records: list[Record], stored: dict[Any, dict]) -> None:
        """Checks of the records against each other and the stored rows."""

    def stored_rows(self, ctx: _Context, records: list[Record]) -> dict[Any, dict]:
        keys = [r.values[self.key] for r in records]
        return _stored(ctx.session, self.model, self.key, keys, self.fields)

    def new_row(self, values: dict) -> dict:
        return {name: values.get(name) for name in self.fields}


def _uscc(c: Cleaner, key: str, *, required: bool) -> None:
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


class _Occupations(_Kind):
    model = Occupation
    key = "code"
    fields = ("code", "name", "work_types")

    def records(self, ctx: _Context, rows: list[Any]) -> tuple[list[Record], int]:
        by_code: dict[str, list[tuple[int, dict]]] = {}
        skipped = 0
        has_work_types = False
        for row in rows:
            if not row.values:
                ctx.errors.extend(row.errors)
                continue
            values = row.values
            has_work_types = has_work_types or "work_type" in values
            c = Cleaner(values)
            raw_code = c.raw("code")
            code = _DASHES.sub("-", raw_code) if isinstance(raw_code, str) else raw_code
            if not code and any(c.raw(k) for k in ("major", "middle", "minor")) and not row.errors:
                skipped += 1  # a 大典 category row (大类/中类/小类 columns only)
                continue
            if isinstance(code, str) and CATEGORY_CODE.fullmatch(code) and not row.errors:
                skipped += 1  # a 大典 category row (大类 / 中类 / 小类 code)
                continue
            c.data = {**values, "code": code}
            c.text("code", "职业编码", required=True, max_len=16)
            c.text("name", "职业名称", required=True, max_len=128)
            c.text("work_type", "工种", max_len=64)
            if c.out.get("code") and not c.has_error("code"):
                if _LOOKS_LIKE_DATE.fullmatch(code):
                    c.error("code", _l("职业编码被 Excel 识别成了日期（显示为 %(v)s）。请将该列设置为“文本”格式后重新输入",
                                       v=code), code)
                elif not OCCUPATION_CODE.fullmatch(code):
                    c.error("code", _l("职业编码格式应为 d-dd-dd-dd（细类/职业编码，如 6-18-01-01）"), raw_code)
                elif code[0] not in "12345678":
                    c.error("code", _l("职业编码第1位为大类，应为1至8"), raw_code)
            row_errors = list(row.errors)
            add_cleaner_errors(row_errors, c.errors, values,
                               lambda k, m, v, n=row.number: ctx.located(k, m, v, n))
            if row_errors:
                ctx.errors.extend(row_errors)
                continue
            by_code.setdefault(c.out["code"], []).append((row.number, c.out))
        records = []
        for code, group in by_code.items():
            numbers = [n for n, _ in group]
            names = list(dict.fromkeys(out["name"] for _, out in group))
            if len(names) > 1:
                ctx.refuse("name", _l("职业编码 %(code)s 在第 %(rows)s 行对应不同的职业名称（%(names)s），请统一",
                                      code=code, rows=_rows_text(numbers), names=" / ".join(names)),
                           None, numbers)
                continue
            work_rows: dict[Optional[str], list[int]] = {}
            for number, out in group:
                work_rows.setdefault(out.get("work_type"), []).append(number)
            repeated = False
            for work_type, where in work_rows.items():
                if len(where) > 1:
                    repeated = True
                    message = (_l("职业 %(code)s 的工种“%(w)s”重复（第 %(rows)s 行）", code=code, w=work_type,
                                  rows=_rows_text(where)) if work_type else
                               _l("职业编码 %(code)s 重复（第 %(rows)s 行）；同一职业有多个工种时每行填写不同的工种",
                                  code=code, rows=_rows_text(where)))
                    ctx.refuse("work_type" if work_type else "code", message, work_type or code, where)
            if repeated:
                continue
            values = {"code": code, "name": names[0]}
            if has_work_types:
                kinds = [w for w in work_rows if w]
                values["work_types"] = WORK_TYPE_SEPARATOR.join(kinds) if kinds else None
            records.append(Record(numbers, values))
        return records, skipped

    def stored_rows(self, ctx: _Context, records: list[Record]) -> dict[Any, dict]:
        return _stored(ctx.session, Occupation, "code", [r.values["code"] for r in records],
                       ("code", "name", "work_types", "is_sample", "active"))

    def new_row(self, values: dict) -> dict:
        return {"code": values["code"], "name": values["name"], "work_types": values.get("work_types"),
                "is_sample": False, "active": True}

    def after(self, ctx: _Context, records: list[Record], result: RegistryImportResult, dry_run: bool) -> None:
        """The seed's samples are replaced: in the file → regular data (the update sets is_sample False); not in
        the file → deleted, or deactivated while a class refers to it."""
        listed = {r.values["code"] for r in records}
        samples = [code for code in ctx.session.scalars(select(Occupation.code).where(Occupation.is_sample.is_(True)))
                   if code not in listed]
        used = referenced_keys(ctx.session, Occupation, "code", samples)
        result.samples_deactivated = sorted(c for c in samples if c in used)
        result.samples_removed = sorted(c for c in samples if c not in used)
        if dry_run:
            return
        if result.samples_removed:
            ctx.session.execute(delete(Occupation).where(Occupation.code.in_(result.samples_removed)))
        if result.samples_deactivated:
            ctx.session.execute(update(Occupation).where(Occupation.code.in_(result.samples_deactivated))
                                .values(active=False))


class _Enterprises(_Kind):
    model = Enterprise
    key = "uscc"
    fields = ("uscc", "name", "city_code", "address", "legal_representative", "contact_name", "contact_phone")

    def allowed(self, actor: Actor) -> bool:
        return actor.is_admin or actor.is_reviewer

    def choices(self, ctx: _Context, source: str) -> Choices:
        return city_choices(ctx.session, ctx.actor) if source == "city" else super().choices(ctx, source)

    def clean(self, ctx: _Context, c: Cleaner, row: int) -> None:
        _uscc(c, "uscc", required=True)
        c.text("name", "单位名称", required=True, max_len=128)
        c.text("city_code", "所在地市", required=True, max_len=6, select=True)
        c.text("address", "地址", max_len=255)
        c.text("legal_representative", "法定代表人", max_len=64)
        c.text("contact_name", "联系人", max_len=64)
        c.phone("contact_phone", "联系电话")
        c.text("account_username", "登录账号", max_len=64)
        c.text("account_email", "账号邮箱", max_len=128)

    def check(self, ctx: _Context, records: list[Record], stored: dict[Any, dict]) -> None:
        actor = ctx.actor
        names = city_names(ctx.session)
        _repeated(ctx, records, "uscc", lambda v, rows: _l("统一社会信用代码 %(v)s 在文件中重复出现（第 %(rows)s 行），"
                                                           "每个单位只能填写一行", v=v, rows=rows))
        _repeated(ctx, records, "account_username", lambda v, rows: _l(
            "登录账号“%(v)s”在文件中重复出现（第 %(rows)s 行）", v=v, rows=rows))
        for record in records:
            values, rows = record.values, record.rows
            city = values.get("city_code")
            if actor.is_reviewer and city and city != actor.city_code:
                ctx.refuse("city_code", _l("地市审核员只能导入本市（%(own)s）的单位，该行为%(city)s",
                                           own=names.get(actor.city_code, actor.city_code),
                                           city=names.get(city, city)), city, rows)
                continue
            old = stored.get(values["uscc"])
            if old is None:
                continue
            if actor.is_reviewer and old["city_code"] != actor.city_code:
                ctx.refuse("uscc", _l("该统一社会信用代码已登记为其他地市的单位，不能由本市导入或修改；如需变更请联系省级管理员"),
                           values["uscc"], rows)
            elif city and city != old["city_code"]:
                ctx.refuse("city_code", _l("该单位已登记在%(old)s，导入不能修改所属地市；如需变更请在“单位信息”中编辑",
                                           old=names.get(old["city_code"], old["city_code"])), city, rows)

    def after(self, ctx: _Context, records: list[Record], result: RegistryImportResult, dry_run: bool) -> None:
        """The enterprises' own audit events and the optional first accounts (``first_account_hook``)."""
        ids = {} if dry_run else {row["uscc"]: row["id"] for row in _stored(
            ctx.session, Enterprise, "uscc", [r.values["uscc"] for r in records], ("uscc",)).values()}
        if not dry_run:
            audit.record_bulk(ctx.session, ctx.actor, "enterprise", [
                {"action": r.action, "entity_id": ids[r.values["uscc"]], "enterprise_id": ids[r.values["uscc"]],
                 "city_code": (r.stored or r.values)["city_code"],
                 "diff": {"changes": r.changes, "row": r.values.get("name") or r.stored["name"], "import": True}}
                for r in records if r.action != "unchanged"])
        wanted = [r for r in records if r.values.get("account_username")]
        if not wanted:
            return
        if first_account_hook is None:  # the columns are not read without a creator; a safety net all the same
            raise Forbidden(_l("本系统未启用批量创建账号，请删除“登录账号”列后重新导入"))
        requests = [FirstAccount(r.rows[0], ids.get(r.values["uscc"]) if not dry_run else
                                 (r.stored or {}).get("id"), r.values["uscc"],
                                 (r.stored or r.values)["city_code"], r.values["account_username"],
                                 r.values.get("account_email"),
                                 r.values.get("contact_name") or (r.stored or {}).get("contact_name"))
                    for r in wanted]
        result.accounts = list(first_account_hook(ctx.session, ctx.actor, requests, dry_run) or [])


class _Institutions(_Kind):
    model = TrainingInstitution
    key = "name"
    fields = ("name", "uscc", "city_code", "address", "contact_name", "contact_phone", "active")

    def clean(self, ctx: _Context, c: Cleaner, row: int) -> None:
        c.text("name", "机构名称", required=True, max_len=128)
        _uscc(c, "uscc", required=False)
        c.text("city_code", "所在地市", max_len=6, select=True)
        c.text("address", "地址", max_len=255)
        c.text("contact_name", "联系人", max_len=64)
        c.phone("contact_phone", "联系电话")
        active = c.data.get("active")
        c.out["active"] = active if isinstance(active, bool) else None

    def check(self, ctx: _Context, records: list[Record], stored: dict[Any, dict]) -> None:
        _repeated(ctx, records, "name", lambda v, rows: _l("机构名称“%(v)s”在文件中重复出现（第 %(rows)s 行）",
                                                           v=v, rows=rows))
        _repeated(ctx, records, "uscc", lambda v, rows: _l("统一社会信用代码 %(v)s 在文件中重复出现（第 %(rows)s 行）",
                                                           v=v, rows=rows))
        codes = [r.values["uscc"] for r in records if r.values.get("uscc")]
        holders = {row["uscc"]: row["name"] for row in _stored(ctx.session, TrainingInstitution, "uscc", codes,
                                                               ("uscc", "name")).values()}
        for record in records:
            code = record.values.get("uscc")
            holder = holders.get(code)
            if holder is not None and holder != record.values["name"]:
                ctx.refuse("uscc", _l("统一社会信用代码已被培训机构“%(name)s”使用", name=holder), code, record.rows)

    def new_row(self, values: dict) -> dict:
        row = super().new_row(values)
        row["active"] = True if values.get("active") is None else values["active"]
        return row


KIND_RULES: dict[str, _Kind] = {"occupation": _Occupations(), "enterprise": _Enterprises(),
                                "training_institution": _Institutions()}


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


# ---------------------------------------------------------------------------------------------------------
# The flow
# ---------------------------------------------------------------------------------------------------------


def import_registry(session: Session, actor: Actor, kind: str, rows: Iterable[Any], *, dry_run: bool = False,
                    sheet: Optional[str] = None, source: Optional[dict] = None,
                    preview_rows: int = 20) -> RegistryImportResult:
    """Check every row of a registry import of ``kind`` (occupation / enterprise / training_institution) and store
    them all (or, with ``dry_run``, nothing): new records inserted, existing ones updated, one audit event.

    ``rows``: ``imports.reader.ImportRow``-like objects (``number``, ``values``, ``errors``).
    :raises NotFound: unknown kind.
    :raises Forbidden: 职业工种 / 培训机构 by anyone but the provincial admin; 单位 by an enterprise user.
    :raises ValidationFailed: any problem in any row, each with row, column, value and message; nothing stored.
    """
    rules = KIND_RULES.get(kind)
    if rules is None:
        raise NotFound()
    if not rules.allowed(actor):
        raise Forbidden()
    rows = list(rows)
    ctx = _Context(session, actor, columns(kind), sheet)
    records, skipped = rules.records(ctx, rows)
    if not records and not ctx.errors:
        ctx.errors.append(FieldError("file", _l("文件中没有可导入的数据行")))
    stored = rules.stored_rows(ctx, records) if records else {}
    rules.check(ctx, records, stored)
    if ctx.errors:
        _refuse(ctx.errors, list(ctx.specs.values()))

    result = _plan(kind, rules, records, stored, dry_run, skipped, preview_rows)
    if not dry_run:
        _store(session, rules, records)
    after = getattr(rules, "after", None)
    if after is not None:
        try:
            after(ctx, records, result, dry_run)
        except ValidationFailed as exc:  # the account creator's refusals, located by row
            _refuse(exc.errors, list(ctx.specs.values()))
    if not dry_run:
        _audit(session, actor, kind, records, result, source)
    return result


def _refuse(errors: list[FieldError], cols: list[Column]) -> None:
    sort_by_cell(errors, cols)
    bad_rows = len({e.row for e in errors if e.row})
    raise ValidationFailed(errors, _l("导入文件有 %(n)d 处错误（涉及 %(rows)d 行），未导入任何数据。请按错误列表修改后重新导入",
                                      n=len(errors), rows=bad_rows))


def _plan(kind: str, rules: _Kind, records: list[Record], stored: dict[Any, dict], dry_run: bool, skipped: int,
          preview_rows: int) -> RegistryImportResult:
    """Each record: created, updated (with its before→after of the columns the file sets) or unchanged."""
    counts = {"create": 0, "update": 0, "unchanged": 0}
    for record in records:
        old = stored.get(record.values[rules.key])
        record.stored = old
        if old is None:
            record.action = "create"
            record.changes = {k: [None, audit.plain(k, v)] for k, v in rules.new_row(record.values).items()
                              if v is not None}
        else:
            wanted = {k: v for k, v in record.values.items() if k in rules.fields and k != rules.key
                      and (v is not None or k == "work_types")}
            if old.get("is_sample"):
                wanted["is_sample"] = False  # a sample listed in the 大典 file becomes regular data
            record.changes = {k: [audit.plain(k, old.get(k)), audit.plain(k, v)] for k, v in wanted.items()
                              if old.get(k) != v}
            record.action = "update" if record.changes else "unchanged"
        counts[record.action] += 1
    preview = [(r.rows[0], {**r.values, "action": r.action}) for r in records[:preview_rows]]
    return RegistryImportResult(kind, len(records), counts["create"], counts["update"], counts["unchanged"], dry_run,
                                preview, skipped=skipped)


def _store(session: Session, rules: _Kind, records: list[Record]) -> None:
    """One multi-row INSERT of the new records, one executemany UPDATE (by primary key) of the changed ones."""
    created = [rules.new_row(r.values) for r in records if r.action == "create"]
    changed = [{"id": r.stored["id"], **{k: new for k, (_old, new) in r.changes.items()}}
               for r in records if r.action == "update"]
    for part in _chunks(created):
        # Core executemany on the table: every row with the same columns (the ORM's bulk path leaves out None
        # values and would split the rows into one statement per run of equal column sets)
        session.execute(insert(rules.model.__table__), part)
    if changed:
        values = {r.stored["id"]: r for r in records if r.action == "update"}
        # the typed values (audit.plain made texts of them for the diff), grouped by the columns they set: the ORM's
        # bulk UPDATE by primary key runs one executemany per group of equal column sets
        typed = [{"id": row["id"], **{k: _typed(values[row["id"]], k) for k in row if k != "id"}} for row in changed]
        typed.sort(key=lambda row: tuple(sorted(row)))
        session.execute(update(rules.model), typed)


def _typed(record: Record, key: str) -> Any:
    return False if key == "is_sample" else record.values.get(key)


def _audit(session: Session, actor: Actor, kind: str, records: list[Record], result: RegistryImportResult,
           source: Optional[dict]) -> None:
    """One ``import`` event with the counts (and, for the lookup tables, every change); see the module docstring."""
    key = KIND_RULES[kind].key
    diff: dict[str, Any] = {"kind": kind, "count": result.count, "created": result.created,
                            "updated": result.updated, "unchanged": result.unchanged}
    if source:
        diff["source"] = source
    if kind != "enterprise":
        diff["new"] = [r.values[key] for r in records if r.action == "create"]
        diff["changes"] = {r.values[key]: r.changes for r in records if r.action == "update"}
    if kind == "occupation":
        diff.update(skipped=result.skipped, samples_removed=result.samples_removed,
                    samples_deactivated=result.samples_deactivated)
    if result.accounts:
        diff["accounts"] = len(result.accounts)
    audit.record_bulk(session, actor, KIND_RULES[kind].model.__tablename__, [
        {"action": "import", "diff": diff, "city_code": actor.city_code if actor.is_reviewer else None}])

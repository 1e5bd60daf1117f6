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
name. Optionally a row asks for the enterprise's first account (columns 登录账号 / 账号邮箱, always offered, optional):
``actions.account_admin.create_first_accounts`` checks them for the whole file (a repeated or taken username or
e-mail, an enterprise that already has an account: refused by row and column, the whole file with them) and creates
them with one-time passwords, which the caller shows once.

培训机构: keyed by name (unique), 统一社会信用代码 optional but checked and unique (in the file and against the other
institutions), 地市, 地址, 联系人, 联系电话, 启用 (是/否; empty: 是 for a new one).

Audit: one ``import`` event per import with the counts, the file (name, SHA-256, rows) and, for 职业工种 and 培训机构
(lookup rows nobody owns), the before→after of every updated row, the keys of the created ones and the removed or
deactivated samples — one event keeps the trail of a 3,000-row list readable while losing nothing. 单位 belong to an
enterprise and a city: each created or changed enterprise also gets its own ``create``/``update`` event with its
before→after (written in one INSERT), so its history shows the import to its city's reviewer and to the enterprise.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from actions import audit
from actions.imports import sort_by_cell
from actions.registry_imports.base import (  # noqa: F401 - the package's public names
    Context, Kind, Record, RegistryImportResult, chunks, city_choices, city_names, rows_text,
)
from actions.registry_imports.kinds import KIND_RULES
from core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from imports import registry as layout
from imports.specs import Column
from models.scope import Actor


def columns(kind: str) -> list[Column]:
    """The columns of ``kind`` as the reader and the template use them (单位: with the optional account columns)."""
    if kind not in layout.KINDS:
        raise NotFound()
    return layout.columns(kind)


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
    ctx = Context(session, actor, columns(kind), sheet)
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
    try:
        rules.after(ctx, records, result, dry_run)
    except ValidationFailed as exc:  # the first accounts' refusals (单位), located by row and column
        _refuse(exc.errors, list(ctx.specs.values()))
    if not dry_run:
        _audit(session, actor, kind, records, result, source)
    return result


def _refuse(errors: list[FieldError], cols: list[Column]) -> None:
    sort_by_cell(errors, cols)
    bad_rows = len({e.row for e in errors if e.row})
    raise ValidationFailed(errors, _l("导入文件有 %(n)d 处错误（涉及 %(rows)d 行），未导入任何数据。请按错误列表修改后重新导入",
                                      n=len(errors), rows=bad_rows))


def _plan(kind: str, rules: Kind, records: list[Record], stored: dict[Any, dict], dry_run: bool, skipped: int,
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
            record.updates = {k: v for k, v in rules.updates(record.values, old).items() if old.get(k) != v}
            record.changes = {k: [audit.plain(k, old.get(k)), audit.plain(k, v)] for k, v in record.updates.items()}
            record.action = "update" if record.updates else "unchanged"
        counts[record.action] += 1
    preview = [(rows_text(r.rows), {**r.values, "action": r.action}) for r in records[:preview_rows]]
    return RegistryImportResult(kind, len(records), counts["create"], counts["update"], counts["unchanged"], dry_run,
                                preview, skipped=skipped)


def _store(session: Session, rules: Kind, records: list[Record]) -> None:
    """One multi-row INSERT of the new records, one executemany UPDATE (by primary key) of the changed ones."""
    created = [rules.new_row(r.values) for r in records if r.action == "create"]
    for part in chunks(created):
        # Core executemany on the table: every row with the same columns (the ORM's bulk path leaves out None
        # values and would split the rows into one statement per run of equal column sets)
        session.execute(insert(rules.model.__table__), part)
    # The ORM's bulk UPDATE by primary key runs one executemany per run of rows setting the same columns: sorted so
    # that rows setting the same columns come together
    changed = sorted(({"id": r.stored["id"], **r.updates} for r in records if r.action == "update"),
                     key=lambda row: tuple(sorted(row)))
    if changed:
        session.execute(update(rules.model), changed)


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

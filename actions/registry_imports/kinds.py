"""The three registry import kinds (rules: the docstring of ``actions.registry_imports``): 职业工种 (国家职业分类大典),
单位 and 培训机构 — each says who may import it, how a row is cleaned, what identifies a record and what it checks
against the stored rows; the flow that runs them is ``actions.registry_imports.import_registry``."""
from __future__ import annotations

from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from actions import audit
from actions.account_admin import FirstAccount, create_first_accounts
from actions.imports import add_cleaner_errors
from actions.registry import referenced_keys
from actions.registry_imports.base import (
    CATEGORY_CODE, DASHES, LOOKS_LIKE_DATE, OCCUPATION_CODE, WORK_TYPE_SEPARATOR, Context, Kind, Record,
    RegistryImportResult,
    city_choices, city_names, clean_uscc, repeated, rows_text, stored_by_key,
)
from core.cleaning import Cleaner
from imports.specs import Choices
from models.enterprise import Enterprise
from models.lookups import Occupation, TrainingInstitution
from models.scope import Actor

class _Occupations(Kind):
    model = Occupation
    key = "code"
    fields = ("code", "name", "work_types")

    def records(self, ctx: Context, rows: list[Any]) -> tuple[list[Record], int]:
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
            code = DASHES.sub("-", raw_code) if isinstance(raw_code, str) else raw_code
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
                if LOOKS_LIKE_DATE.fullmatch(code):
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
                                      code=code, rows=rows_text(numbers), names=" / ".join(names)),
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
                                  rows=rows_text(where)) if work_type else
                               _l("职业编码 %(code)s 重复（第 %(rows)s 行）；同一职业有多个工种时每行填写不同的工种",
                                  code=code, rows=rows_text(where)))
                    ctx.refuse("work_type" if work_type else "code", message, work_type or code, where)
            if repeated:
                continue
            values = {"code": code, "name": names[0]}
            if has_work_types:
                kinds = [w for w in work_rows if w]
                values["work_types"] = WORK_TYPE_SEPARATOR.join(kinds) if kinds else None
            records.append(Record(numbers, values))
        return records, skipped

    def stored_rows(self, ctx: Context, records: list[Record]) -> dict[Any, dict]:
        return stored_by_key(ctx.session, Occupation, "code", [r.values["code"] for r in records],
                       ("code", "name", "work_types", "is_sample", "active"))

    def new_row(self, values: dict) -> dict:
        return {"code": values["code"], "name": values["name"], "work_types": values.get("work_types"),
                "is_sample": False, "active": True}

    def updates(self, values: dict, stored: dict) -> dict:
        """Name and 工种 (an empty 工种 list clears them: the file lists the 职业 without 工种); a sample becomes
        regular data."""
        out = {k: v for k, v in values.items() if k in ("name", "work_types")}
        if stored["is_sample"]:
            out["is_sample"] = False
        return out

    def after(self, ctx: Context, records: list[Record], result: RegistryImportResult, dry_run: bool) -> None:
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


class _Enterprises(Kind):
    model = Enterprise
    key = "uscc"
    fields = ("uscc", "name", "city_code", "address", "legal_representative", "contact_name", "contact_phone")

    def allowed(self, actor: Actor) -> bool:
        return actor.is_admin or actor.is_reviewer

    def choices(self, ctx: Context, source: str) -> Choices:
        return city_choices(ctx.session, ctx.actor) if source == "city" else super().choices(ctx, source)

    def clean(self, ctx: Context, c: Cleaner, row: int) -> None:
        clean_uscc(c, "uscc", required=True)
        c.text("name", "单位名称", required=True, max_len=128)
        c.text("city_code", "所在地市", required=True, max_len=6, select=True)
        c.text("address", "地址", max_len=255)
        c.text("legal_representative", "法定代表人", max_len=64)
        c.text("contact_name", "联系人", max_len=64)
        c.phone("contact_phone", "联系电话")
        c.text("account_username", "登录账号", max_len=64)
        c.text("account_email", "账号邮箱", max_len=128)

    def check(self, ctx: Context, records: list[Record], stored: dict[Any, dict]) -> None:
        actor = ctx.actor
        names = city_names(ctx.session)
        repeated(ctx, records, "uscc", lambda v, rows: _l("统一社会信用代码 %(v)s 在文件中重复出现（第 %(rows)s 行），"
                                                           "每个单位只能填写一行", v=v, rows=rows))
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

    def after(self, ctx: Context, records: list[Record], result: RegistryImportResult, dry_run: bool) -> None:
        """The enterprises' own audit events and the optional first accounts (columns 登录账号 / 账号邮箱: a row
        with a 登录账号 asks for its enterprise's first account, ``actions.account_admin.create_first_accounts``;
        its refusals, by row and column, refuse the whole file)."""
        ids = {} if dry_run else {row["uscc"]: row["id"] for row in stored_by_key(
            ctx.session, Enterprise, "uscc", [r.values["uscc"] for r in records], ("uscc",)).values()}
        if not dry_run:
            audit.record_bulk(ctx.session, ctx.actor, "enterprise", [
                {"action": r.action, "entity_id": ids[r.values["uscc"]], "enterprise_id": ids[r.values["uscc"]],
                 "city_code": (r.stored or r.values)["city_code"],
                 "diff": {"changes": r.changes, "row": r.values.get("name") or r.stored["name"], "import": True}}
                for r in records if r.action != "unchanged"])
        requests = [FirstAccount(row=r.rows[0],
                                 enterprise_id=(r.stored or {}).get("id") if dry_run else ids.get(r.values["uscc"]),
                                 enterprise_name=r.values.get("name") or r.stored["name"],
                                 city_code=(r.stored or r.values)["city_code"],
                                 username=r.values["account_username"], email=r.values.get("account_email"),
                                 contact_name=r.values.get("contact_name") or (r.stored or {}).get("contact_name"))
                    for r in records if r.values.get("account_username")]
        if requests:
            result.accounts = create_first_accounts(ctx.session, ctx.actor, requests, dry_run)


class _Institutions(Kind):
    model = TrainingInstitution
    key = "name"
    fields = ("name", "uscc", "city_code", "address", "contact_name", "contact_phone", "active")

    def clean(self, ctx: Context, c: Cleaner, row: int) -> None:
        c.text("name", "机构名称", required=True, max_len=128)
        clean_uscc(c, "uscc", required=False)
        c.text("city_code", "所在地市", max_len=6, select=True)
        c.text("address", "地址", max_len=255)
        c.text("contact_name", "联系人", max_len=64)
        c.phone("contact_phone", "联系电话")
        active = c.data.get("active")
        c.out["active"] = active if isinstance(active, bool) else None

    def check(self, ctx: Context, records: list[Record], stored: dict[Any, dict]) -> None:
        repeated(ctx, records, "name", lambda v, rows: _l("机构名称“%(v)s”在文件中重复出现（第 %(rows)s 行）",
                                                           v=v, rows=rows))
        repeated(ctx, records, "uscc", lambda v, rows: _l("统一社会信用代码 %(v)s 在文件中重复出现（第 %(rows)s 行）",
                                                           v=v, rows=rows))
        codes = [r.values["uscc"] for r in records if r.values.get("uscc")]
        holders = {row["uscc"]: row["name"] for row in stored_by_key(ctx.session, TrainingInstitution, "uscc", codes,
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


KIND_RULES: dict[str, Kind] = {"occupation": _Occupations(), "enterprise": _Enterprises(),
                                "training_institution": _Institutions()}

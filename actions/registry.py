"""Registries kept by the provincial administrator (lookup tables, enterprises) and the city reviewers
(产教评技能生态链企业认定, manual §3.2.1.1 注意). Every create/update/delete goes through these functions,
from the screens and from the REST API alike."""
from __future__ import annotations

import re
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions import audit
from core.errors import DomainError, FieldError, Forbidden, ValidationFailed
from core.validators import normalize_text, validate_phone, validate_uscc
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import ApprenticeshipType, Programme, RecognitionRole
from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
from models.scope import Actor, load_scoped

OCCUPATION_CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
CITY_CODE = re.compile(r"^44\d{2}$")


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden()


def _diff(item: Any, is_new: bool) -> dict:
    """Column values of a new row, or old→new of the changed columns of an existing row."""
    from sqlalchemy import inspect

    state = inspect(item)
    out = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if attr.key in ("content",):
            continue
        if is_new:
            value = getattr(item, attr.key)
            if value is not None:
                out[attr.key] = str(value)
        elif hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            out[attr.key] = [None if old is None else str(old), None if new is None else str(new)]
    return out


def _normalise_strings(item: Any, *names: str) -> None:
    for name in names:
        setattr(item, name, normalize_text(getattr(item, name)))


def _collect(errors: list[FieldError], check, value: Any, field: str) -> Any:
    """Run a validator; keep its normalised result, or record its errors and keep the raw value."""
    try:
        return check(value, field)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return value


def save_lookup(session: Session, actor: Actor, item: Any, is_new: bool) -> None:
    """Create or update a lookup-table row (地市, 职业工种, 技能等级, 培训机构, 补贴标准, 工作日历).

    :raises Forbidden: the actor is not the provincial administrator.
    :raises ValidationFailed: a field breaks the table's format rules.
    """
    _require_admin(actor)
    errors: list[FieldError] = []
    if isinstance(item, City):
        _normalise_strings(item, "code", "name")
        if not item.code or not CITY_CODE.match(item.code):
            errors.append(FieldError("code", _l("地市代码应为以44开头的4位数字，如 4401"), item.code))
    elif isinstance(item, Occupation):
        _normalise_strings(item, "code", "name", "work_types")
        if not item.code or not OCCUPATION_CODE.match(item.code):
            errors.append(FieldError("code", _l("职业编码格式应为 d-dd-dd-dd，如 6-18-01-01"), item.code))
    elif isinstance(item, SkillLevel):
        if item.level not in (1, 2, 3, 4, 5):
            errors.append(FieldError("level", _l("技能等级只能是1至5级"), item.level))
    elif isinstance(item, TrainingInstitution):
        _normalise_strings(item, "name", "address", "contact_name")
        item.uscc = _collect(errors, validate_uscc, item.uscc, "uscc") if item.uscc else None
        if item.contact_phone:
            item.contact_phone = _collect(errors, validate_phone, item.contact_phone, "contact_phone")
    elif isinstance(item, SubsidyStandard):
        if item.programme not in Programme.codes():
            errors.append(FieldError("programme", _l("请选择培训项目"), item.programme))
        if item.apprenticeship_type not in ApprenticeshipType.codes():
            errors.append(FieldError("apprenticeship_type", _l("请选择学徒制培训类型"), item.apprenticeship_type))
        if item.amount_yuan is None or item.amount_yuan <= 0:
            errors.append(FieldError("amount_yuan", _l("补贴标准金额必须大于0"), item.amount_yuan))
        if item.advance_ratio is None or not (0 < item.advance_ratio <= 1):
            errors.append(FieldError("advance_ratio", _l("预拨比例应在0到1之间，如 0.4 表示40%"), item.advance_ratio))
        if item.valid_from and item.valid_to and item.valid_to < item.valid_from:
            errors.append(FieldError("valid_to", _l("有效期止不能早于有效期起"), item.valid_to))
    elif isinstance(item, WorkdayOverride):
        item.note = normalize_text(item.note)
    if errors:
        raise ValidationFailed(errors)
    session.add(item)
    audit.record(session, actor, "create" if is_new else "update", item, diff=_diff(item, is_new))


#: Chinese names of the tables whose rows may refer to a lookup row (the refusal names them).
TABLE_LABELS = {
    "training_class": _l("培训信息"), "trainee": _l("培训人员"), "filing": _l("备案申请"), "enterprise": _l("单位"),
    "training_institution": _l("培训机构"), "subsidy_standard": _l("补贴标准"), "ab_user": _l("账号"),
    "ecosystem_recognition": _l("生态链企业认定"), "subsidy_claim": _l("补贴申请"),
    "subsidy_claim_person": _l("补贴申领人员"), "teacher": _l("师资"), "course": _l("培训课程"),
}


def references(session: Session, item: Any) -> list[tuple[str, int]]:
    """``[(table label, rows)]`` of the rows that still refer to ``item`` through a foreign key (one COUNT per
    referring table), so a refused delete can say which records use it."""
    from sqlalchemy import func, inspect, select

    table = type(item).__table__
    found = []
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is not table:
                continue
            value = inspect(item).attrs[fk.column.key].value if fk.column.key in inspect(item).attrs else None
            if value is None:
                continue
            count = session.scalar(select(func.count()).select_from(other).where(fk.parent == value))
            if count:
                found.append((str(TABLE_LABELS.get(other.name, other.name)), int(count)))
    return found


def referenced_keys(session: Session, model: type, column: str, keys: list[Any]) -> set[Any]:
    """The values of ``model.column`` among ``keys`` that rows of other tables still refer to — the set-based twin of
    ``references`` for an import (one SELECT DISTINCT per referring table, however many keys)."""
    from sqlalchemy import select

    table = model.__table__
    found: set[Any] = set()
    if not keys:
        return found
    for other in table.metadata.sorted_tables:
        for fk in other.foreign_keys:
            if fk.column.table is table and fk.column.key == column:
                found.update(session.scalars(select(fk.parent).distinct().where(fk.parent.in_(keys))))
    return found


def delete_lookup(session: Session, actor: Actor, item: Any) -> None:
    """Delete a lookup-table row; refused while rows still refer to it, naming them and offering 停用 instead.

    :raises Forbidden: the actor is not the provincial administrator.
    :raises DomainError: the row is still in use.
    """
    _require_admin(actor)
    used = references(session, item)
    if used:
        where = "、".join(str(_l("%(table)s %(n)d 条", table=label, n=n)) for label, n in used)
        hint = _l("可改为停用：编辑该记录，取消勾选“启用”。") if hasattr(item, "active") else \
            _l("请先修改或删除这些记录。")
        raise DomainError(_l("该记录仍被使用，不能删除：%(where)s。%(hint)s", where=where, hint=hint))
    audit.record(session, actor, "delete", item, diff=_diff(item, True))
    session.delete(item)


def save_enterprise(session: Session, actor: Actor, item: Enterprise, is_new: bool) -> None:
    """Create or update an enterprise in the registry (R8: USCC and phone checked).

    :raises Forbidden: the actor is not the provincial administrator.
    :raises ValidationFailed: invalid USCC, phone or missing required fields.
    """
    _require_admin(actor)
    errors: list[FieldError] = []
    _normalise_strings(
        item, "name", "address", "legal_representative", "contact_name", "bank_name", "bank_account_name"
    )
    item.uscc = _collect(errors, validate_uscc, item.uscc, "uscc")
    if not item.name:
        errors.append(FieldError("name", _l("请填写单位名称")))
    if item.contact_phone:
        item.contact_phone = _collect(errors, validate_phone, item.contact_phone, "contact_phone")
    if item.bank_account_no:
        item.bank_account_no = re.sub(r"[\s-]", "", normalize_text(item.bank_account_no) or "")
        if not re.fullmatch(r"\d{6,32}", item.bank_account_no):
            errors.append(FieldError("bank_account_no", _l("银行账号应为6至32位数字"), item.bank_account_no))
    if errors:
        raise ValidationFailed(errors)
    session.add(item)
    audit.record(session, actor, "create" if is_new else "update", item, diff=_diff(item, is_new))


def delete_enterprise(session: Session, actor: Actor, item: Enterprise) -> None:
    """Delete an enterprise that has no filings or accounts yet.

    :raises Forbidden: the actor is not the provincial administrator.
    """
    _require_admin(actor)
    audit.record(session, actor, "delete", item, diff=_diff(item, True))
    session.delete(item)


def save_recognition(session: Session, actor: Actor, item: EcosystemRecognition, is_new: bool) -> None:
    """Record or update a 产教评技能生态链企业认定. A reviewer records for its own city only.

    :raises Forbidden: an enterprise user tried to write.
    :raises NotFound: the enterprise is outside the actor's scope.
    :raises ValidationFailed: missing fields or an invalid validity period.
    """
    if not (actor.is_admin or actor.is_reviewer):
        raise Forbidden()
    if actor.is_reviewer:
        item.city_code = actor.city_code  # a reviewer maintains its own city's recognitions (DESIGN §2)
    errors: list[FieldError] = []
    _normalise_strings(item, "chain_name", "note")
    if item.enterprise_id is None and item.enterprise is None:
        errors.append(FieldError("enterprise", _l("请选择单位")))
    else:
        load_scoped(session, Enterprise, item.enterprise_id or item.enterprise.id, actor)
    if not item.chain_name:
        errors.append(FieldError("chain_name", _l("请填写生态链名称")))
    if item.role not in RecognitionRole.codes():
        errors.append(FieldError("role", _l("请选择链主或链员"), item.role))
    if not item.city_code:
        errors.append(FieldError("city", _l("请选择认定地市")))
    if item.valid_from is None:
        errors.append(FieldError("valid_from", _l("请填写有效期起")))
    elif item.valid_to is not None and item.valid_to < item.valid_from:
        errors.append(FieldError("valid_to", _l("有效期止不能早于有效期起"), item.valid_to))
    if errors:
        raise ValidationFailed(errors)
    if is_new:
        item.recorded_by_id = actor.user_id
    session.add(item)
    audit.record(session, actor, "create" if is_new else "update", item, diff=_diff(item, is_new),
                 enterprise_id=item.enterprise_id or item.enterprise.id)


def delete_recognition(session: Session, actor: Actor, item: EcosystemRecognition) -> None:
    """Delete a recognition of the actor's city (admin: any).

    :raises Forbidden: an enterprise user tried to delete.
    :raises NotFound: the recognition is outside the actor's scope.
    """
    if not (actor.is_admin or actor.is_reviewer):
        raise Forbidden()
    row = load_scoped(session, EcosystemRecognition, item.id, actor)
    audit.record(session, actor, "delete", row, diff=_diff(row, True))
    session.delete(row)


def delete_recognitions(session: Session, actor: Actor, items: list[EcosystemRecognition]) -> None:
    """Delete several recognitions at once (all or none).

    :raises Forbidden: an enterprise user tried to delete.
    :raises NotFound: one of them is outside the actor's scope.
    """
    for item in items:
        delete_recognition(session, actor, item)

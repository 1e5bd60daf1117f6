"""企业注册 read side (issue 14): the 注册审核 queue of a reviewer's city (the admin: every city), pending first,
searched by 统一社会信用代码 / 单位名称 / 用户名 and filtered by status — one COUNT and one page SELECT whatever
its size — and the registrant's own status look-up (USCC + username + password: nothing without the password)."""
from __future__ import annotations

from typing import Optional

from flask import current_app
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from core.validators import normalize_uscc
from models.enums import RegistrationStatus
from models.registration import EnterpriseRegistration
from models.scope import Actor, scope_condition
from queries.children import ListArgs
from queries.paging import Page, paginate
from queries.search import contains

#: A hash to check a password against when no registration matched, so the answer takes as long either way
#: (FAB's own ``AUTH_DB_FAKE_PASSWORD_HASH_CHECK`` when configured, as the login does).
_NO_MATCH_HASH = "pbkdf2:sha256:1000$nomatch0$" + "0" * 64


def queue_conditions(actor: Actor, status: str, q: str) -> list:
    conditions = [scope_condition(EnterpriseRegistration, actor)]
    if status in RegistrationStatus.codes():
        conditions.append(EnterpriseRegistration.status == status)
    if q:
        conditions.append(or_(contains(EnterpriseRegistration.uscc, normalize_uscc(q)),
                              contains(EnterpriseRegistration.enterprise_name, q),
                              contains(EnterpriseRegistration.username, q)))
    return conditions


def queue_page(session: Session, actor: Actor, status: str, args: ListArgs) -> Page:
    """注册审核: the registrations the actor may see, PENDING first, then newest first."""
    conditions = queue_conditions(actor, status, args.q)
    pending_first = case((EnterpriseRegistration.status == RegistrationStatus.PENDING, 0), else_=1)
    stmt = (select(EnterpriseRegistration).where(*conditions)
            .order_by(pending_first, EnterpriseRegistration.created_at.desc(), EnterpriseRegistration.id.desc()))
    count = select(func.count()).select_from(EnterpriseRegistration).where(*conditions)
    return paginate(session, stmt, args.page, args.size, count)


def pending_count(session: Session, actor: Actor) -> int:
    """待审核注册 of the home page's counters."""
    return session.scalar(select(func.count()).select_from(EnterpriseRegistration).where(
        scope_condition(EnterpriseRegistration, actor),
        EnterpriseRegistration.status == RegistrationStatus.PENDING)) or 0


def own_registration(session: Session, uscc: str, username: str, password: str) -> Optional[EnterpriseRegistration]:
    """注册进度查询: the latest registration with this USCC and username whose password is ``password``; None
    otherwise (wrong password, unknown USCC or username all answer the same)."""
    row = session.scalars(
        select(EnterpriseRegistration)
        .where(EnterpriseRegistration.uscc == normalize_uscc(uscc),
               func.lower(EnterpriseRegistration.username) == (username or "").strip().lower())
        .order_by(EnterpriseRegistration.created_at.desc(), EnterpriseRegistration.id.desc())
        .limit(1)).first()
    fake = current_app.config.get("AUTH_DB_FAKE_PASSWORD_HASH_CHECK") or _NO_MATCH_HASH
    matches = check_password_hash(row.password_hash if row is not None else fake, password or "")
    return row if row is not None and matches else None

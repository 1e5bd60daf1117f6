"""The accounts list of 企业账号 (reviewer: its city's enterprise accounts) and 开通账号 (admin: every reviewer and
enterprise account), and ``GET /api/v1/account/``: one COUNT and one page SELECT (plus one SELECT of the page's
roles), searched by username, name, e-mail or the enterprise's name / 统一社会信用代码, filtered by role and state.

The rows are what ``actions.account_admin.managed_accounts`` lets the actor manage (issue 14); nothing here reads
a password hash.
"""
from __future__ import annotations

from typing import Any, Optional

from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from actions.account_admin import AccountRole, managed_accounts
from models.enterprise import Enterprise
from models.scope import Actor
from models.security import AppUser
from queries.paging import Page, count_of, paginate
from queries.search import contains

#: ``state`` filter values
STATES = ("active", "inactive")


def account_statement(actor: Actor, q: str = "", role: Optional[str] = None, state: Optional[str] = None):
    """The ordered SELECT of the accounts ``actor`` manages matching the search text and filters (newest first)."""
    stmt = managed_accounts(actor)
    if q:
        enterprises = select(Enterprise.id).where(or_(contains(Enterprise.name, q), Enterprise.uscc == q.upper()))
        stmt = stmt.where(or_(contains(AppUser.username, q), contains(AppUser.first_name, q),
                              contains(AppUser.last_name, q), contains(AppUser.email, q),
                              AppUser.enterprise_id.in_(enterprises)))
    if role in (AccountRole.REVIEWER, AccountRole.ENTERPRISE):
        stmt = stmt.where(AppUser.roles.any(Role.name == AccountRole.ROLE_NAMES[role]))
    if state in STATES:
        stmt = stmt.where(AppUser.active.is_(state == "active"))
    return stmt.order_by(AppUser.id.desc())


def account_page(session: Session, actor: Actor, page: Any, page_size: int, *, q: str = "",
                 role: Optional[str] = None, state: Optional[str] = None) -> Page:
    """One page of the accounts ``actor`` manages (``page`` is user input, clamped)."""
    stmt = account_statement(actor, q, role, state)
    loaded = stmt.options(selectinload(AppUser.roles), joinedload(AppUser.enterprise), joinedload(AppUser.city))
    return paginate(session, loaded, page, page_size, count_of(stmt))

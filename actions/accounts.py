"""Login lockout of accounts (security finding: password guessing).

After ``AUTH_LOCKOUT_FAILURES`` (default 5) consecutive failed passwords — each within ``AUTH_LOCKOUT_MINUTES``
(default 15) of the previous one — the account is locked for ``AUTH_LOCKOUT_MINUTES``: the login (form and API)
refuses it even with the right password, with the same message as a wrong password or an unknown user, until the
time passes or the provincial admin unlocks it (账号管理 → 解除锁定). Each lockout and each unlock is audited.

FAB keeps ``fail_login_count`` on ``ab_user`` (reset to 0 by a successful login); ``AppUser.last_failed_login``
and ``AppUser.locked_until`` (naive UTC) hold the rest. The counter and the lock are changed by single UPDATE
statements so that parallel guesses cannot lose increments or lock twice. Called from the security manager
(views/security.py).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable, Optional

from flask import current_app, has_app_context
from sqlalchemy import case, func, or_, update
from sqlalchemy.orm import Session

from actions import audit
from core.errors import Forbidden
from models.base import utcnow
from models.scope import Actor
from models.security import AppUser

DEFAULT_FAILURES = 5
DEFAULT_MINUTES = 15


def lockout_failures() -> int:
    """Consecutive failed passwords that lock an account (config ``AUTH_LOCKOUT_FAILURES``)."""
    value = current_app.config.get("AUTH_LOCKOUT_FAILURES") if has_app_context() else None
    return int(value) if value else DEFAULT_FAILURES


def lockout_window() -> timedelta:
    """How long a lockout lasts, and how close failures must follow each other to count as consecutive
    (config ``AUTH_LOCKOUT_MINUTES``)."""
    value = current_app.config.get("AUTH_LOCKOUT_MINUTES") if has_app_context() else None
    return timedelta(minutes=float(value) if value else DEFAULT_MINUTES)


def is_locked(user: AppUser, now: Optional[datetime] = None) -> bool:
    """True while the account's lockout lasts."""
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def register_failed_login(session: Session, user: AppUser, *, ip: Optional[str] = None,
                          now: Optional[datetime] = None) -> bool:
    """Count one failed password of ``user``; lock the account (and audit it) when the count reaches the limit.

    A failure more than the lockout window after the previous one starts counting again at 1 (so does the first
    failure after a lockout ended). Returns True when this failure locked the account. The caller commits.
    """
    now = now or utcnow()
    window = lockout_window()
    starts_over = or_(AppUser.last_failed_login.is_(None), AppUser.last_failed_login <= now - window)
    session.execute(
        update(AppUser)
        .where(AppUser.id == user.id)
        .values(fail_login_count=case((starts_over, 1), else_=func.coalesce(AppUser.fail_login_count, 0) + 1),
                last_failed_login=now)
        .execution_options(synchronize_session=False)
    )
    until = now + window
    locked = session.execute(
        update(AppUser)
        .where(AppUser.id == user.id, AppUser.fail_login_count >= lockout_failures(),
               or_(AppUser.locked_until.is_(None), AppUser.locked_until <= now))
        .values(locked_until=until)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    session.refresh(user)
    if locked:
        audit.record(session, Actor.from_user(None, ip), "lock", user, to_status="LOCKED",
                     reason=f"连续 {user.fail_login_count} 次密码错误，自动锁定",
                     diff={"fail_login_count": user.fail_login_count, "locked_until": until.isoformat()})
    return locked


def clear_lock(user: AppUser) -> None:
    """A successful login: an expired lock is forgotten (FAB resets ``fail_login_count`` itself)."""
    if user.locked_until is not None:
        user.locked_until = None


def unlock(session: Session, actor: Actor, users: Iterable[AppUser]) -> int:
    """The provincial admin unlocks accounts: counter back to 0, lock lifted, one AuditEvent per account.

    ``users`` must have been loaded through the scope. Returns how many accounts were unlocked.
    """
    if not actor.is_admin:
        raise Forbidden()
    now = utcnow()
    count = 0
    for user in users:
        before = {"fail_login_count": user.fail_login_count or 0,
                  "locked_until": user.locked_until.isoformat() if user.locked_until else None}
        was_locked = is_locked(user, now)
        user.fail_login_count = 0
        user.locked_until = None
        audit.record(session, actor, "unlock", user, from_status="LOCKED" if was_locked else None,
                     to_status="ACTIVE", diff={"before": before, "after": {"fail_login_count": 0,
                                                                         "locked_until": None}})
        count += 1
    return count


# ---------------------------------------------------------------------------------------------------------
# Account changes by the admin (账号管理): every create / edit / delete audited with a before/after diff
# ---------------------------------------------------------------------------------------------------------

#: What an account change records (never the password hash: a password change is recorded as such).
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email", "active", "roles", "enterprise_id", "city_code")


def account_snapshot(user: AppUser, *, committed: bool = False) -> dict:
    """The audited fields of ``user``; ``committed`` gives the values as loaded, before this request's changes."""
    from sqlalchemy import inspect as sa_inspect

    state = sa_inspect(user)
    out = {}
    for name in ACCOUNT_FIELDS:
        value = getattr(user, name)
        if committed and state.persistent:
            history = state.attrs[name].history
            if history.has_changes():
                value = list(history.unchanged) + list(history.deleted) if name == "roles" else (
                    history.deleted[0] if history.deleted else None)
        out[name] = sorted(r.name for r in value) if name == "roles" else value
    return out


def record_account_change(session: Session, actor: Actor, action: str, user: AppUser, before: dict,
                          after: dict) -> None:
    """Audit an admin's change of an account (granting 省级管理员 leaves a trace, issue: roles audited).

    :raises Forbidden: the actor is not the provincial admin (accounts are the admin's alone).
    """
    if not actor.is_admin:
        raise Forbidden()
    audit.record_edit(session, actor, action, user, before, after, row_name=user.username)

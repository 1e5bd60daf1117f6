"""Account onboarding per city (issue 14; DESIGN §2, §10 ``/api/v1/account``): who creates, lists and (de)activates
which accounts.

- The provincial admin creates 地市审核员 accounts (city required) and 企业用户 accounts for any enterprise; a city
  reviewer creates 企业用户 accounts for its own city's enterprises only (never a reviewer's or an admin's: 403;
  an enterprise of another city answers like a missing one: 404).
- A new account gets a one-time password (``secrets``, within the password policy), shown once to its creator;
  only its hash is stored, and ``must_change_password`` closes every screen and the API until the user has set a
  password of its own (views/request_guards.py).
- Deactivation sets ``active=False`` and ``tokens_valid_after=now`` in one action: the account's sessions and JWTs
  are refused at their next request (FAB refuses inactive users; the revocation keeps the old ones dead after a
  reactivation). Nobody deactivates itself; a reviewer (de)activates its city's enterprise accounts only.

Which accounts an actor manages is ``models.scope.managed_accounts_condition``. Every write is audited with a
before/after snapshot (never the password or its hash). Callers commit (views/glue.py).

The 单位 import (``actions.registry_imports``) creates the first account of its enterprises with
``create_first_accounts``: the same rules, checked for the whole file at once (a row per account, errors by row and
column), all or nothing with the rest of the import.
"""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app, has_app_context
from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from actions import audit
from actions.accounts import account_snapshot
from core.errors import FieldError, Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from core.validators import normalize_text, password_problem
from models.base import utcnow
from models.enterprise import Enterprise
from models.enums import CodeSet, RoleName
from models.lookups import City
from models.scope import Actor, load_scoped, managed_accounts_condition, scope_condition, take_write_lock
from models.security import AppUser


class AccountRole(CodeSet):
    """The ``role`` codes of ``POST /api/v1/account/`` (DESIGN §10) and the FAB role each stands for."""

    REVIEWER = "REVIEWER"
    ENTERPRISE = "ENTERPRISE"
    ADMIN = "ADMIN"  # shown in lists; never created here
    LABELS = {REVIEWER: _l("地市审核员"), ENTERPRISE: _l("企业用户"), ADMIN: _l("省级管理员")}
    ROLE_NAMES = {REVIEWER: RoleName.REVIEWER, ENTERPRISE: RoleName.ENTERPRISE, ADMIN: RoleName.ADMIN}

    @classmethod
    def of(cls, user: AppUser) -> Optional[str]:
        """The code of the account's business role (the most powerful one it holds), None for none."""
        names = {role.name for role in user.roles or []}
        return next((code for code in (cls.ADMIN, cls.REVIEWER, cls.ENTERPRISE) if cls.ROLE_NAMES[code] in names),
                    None)


#: The fields ``create_account`` takes (the API refuses any other).
CREATE_FIELDS = ("username", "role", "city_code", "enterprise_id", "first_name", "last_name", "email")
#: Column lengths (FAB's ab_user: username 128, names 64, e-mail 320) — kept shorter where a clerk types them.
MAX_USERNAME, MAX_NAME, MAX_EMAIL = 64, 64, 320
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]*")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: One-time passwords: 12 characters from letters and digits without the look-alikes 0/O, 1/l/I.
ONE_TIME_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
ONE_TIME_LENGTH = 12
#: Largest id an INTEGER primary key holds.
MAX_ID = 2**31 - 1

LABELS = {
    "username": _l("用户名"),
    "role": _l("角色"),
    "city_code": _l("所属地市"),
    "enterprise_id": _l("所属单位"),
    "first_name": _l("名字"),
    "last_name": _l("姓氏"),
    "email": _l("电子邮箱"),
}


# ---------------------------------------------------------------------------------------------------------
# Reading (the list scope)
# ---------------------------------------------------------------------------------------------------------

def managed_accounts(actor: Actor):
    """``select(AppUser)`` of the accounts ``actor`` manages (the list of 企业账号 / 开通账号 and the API)."""
    return select(AppUser).where(managed_accounts_condition(actor))


def load_account(session: Session, actor: Actor, pk: Any, *, for_update: bool = False) -> AppUser:
    """One account ``actor`` manages.

    :raises Forbidden: the actor manages no accounts (an enterprise user).
    :raises NotFound: missing, or not one of the actor's (another city's, a reviewer's for a reviewer, an admin's).
    """
    _require_manager(actor)
    try:
        pk_value = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    if not 0 < pk_value <= MAX_ID:
        raise NotFound()  # beyond any id (PostgreSQL would refuse to compare it with an INTEGER)
    stmt = managed_accounts(actor).where(AppUser.id == pk_value)
    if for_update:
        take_write_lock(session, AppUser, pk_value)  # two (de)activations at once: the second sees the first's state
        stmt = stmt.with_for_update(of=AppUser).execution_options(populate_existing=True)
    user = session.scalars(stmt).unique().first()
    if user is None:
        raise NotFound()
    return user


def _require_manager(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_reviewer):
        raise Forbidden(_l("只有省级管理员和地市审核员可以管理账号"))


# ---------------------------------------------------------------------------------------------------------
# Creating
# ---------------------------------------------------------------------------------------------------------

def one_time_password(username: str) -> str:
    """A random password the policy accepts (letters and digits, not containing the username)."""
    while True:
        candidate = "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(ONE_TIME_LENGTH))
        if password_problem(candidate, username) is None:
            return candidate


def _hash(password: str) -> str:
    """The stored form of a password, as FAB's security manager makes it (config FAB_PASSWORD_HASH_*)."""
    config = current_app.config if has_app_context() else {}
    return generate_password_hash(password, method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                  salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def _text(value: Any, field: str, errors: list[FieldError], *, limit: int) -> Optional[str]:
    """A required text field, cleaned; problems are added to ``errors``."""
    if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
        errors.append(FieldError(field, _l("%(label)s应为文字", label=LABELS[field]), value))
        return None
    text = normalize_text(value)
    if text is None:
        errors.append(FieldError(field, _l("请填写%(label)s", label=LABELS[field])))
        return None
    if len(text) > limit:
        errors.append(FieldError(field, _l("%(label)s最多 %(n)d 个字符", label=LABELS[field], n=limit), text))
        return None
    return text


def _check_identity(session: Session, data: dict[str, Any], errors: list[FieldError]) -> dict[str, Optional[str]]:
    """Username, names and e-mail: cleaned, well-formed, username and e-mail not used by another account."""
    username = _text(data.get("username"), "username", errors, limit=MAX_USERNAME)
    if username is not None and not USERNAME_PATTERN.fullmatch(username):
        errors.append(FieldError("username", _l("用户名只能由字母、数字和 _ . @ - 组成，并以字母或数字开头"), username))
        username = None
    email = _text(data.get("email"), "email", errors, limit=MAX_EMAIL)
    if email is not None and not EMAIL_PATTERN.fullmatch(email):
        errors.append(FieldError("email", _l("电子邮箱格式不正确"), email))
        email = None
    values = {"username": username, "email": email,
              "first_name": _text(data.get("first_name"), "first_name", errors, limit=MAX_NAME),
              "last_name": _text(data.get("last_name"), "last_name", errors, limit=MAX_NAME)}
    if username is not None or email is not None:
        taken = session.execute(
            select(func.lower(AppUser.username), func.lower(AppUser.email)).where(or_(
                func.lower(AppUser.username) == (username or "").lower(),
                func.lower(AppUser.email) == (email or "").lower()))).all()
        if username is not None and any(row[0] == username.lower() for row in taken):
            errors.append(FieldError("username", _l("用户名“%(name)s”已被其他账号使用，请换一个", name=username),
                                     username))
        if email is not None and any(row[1] == email.lower() for row in taken):
            errors.append(FieldError("email", _l("电子邮箱“%(email)s”已被其他账号使用", email=email), email))
    return values


def _check_role(actor: Actor, role: Any) -> str:
    """R: the admin creates reviewers and enterprise users; a reviewer enterprise users only.

    :raises Forbidden: a reviewer asks for a reviewer or admin account.
    :raises ValidationFailed: not a role code, or ADMIN asked by the admin.
    """
    if not isinstance(role, str) or role not in AccountRole.codes():
        raise ValidationFailed([FieldError("role", _l("角色应为 REVIEWER（地市审核员）或 ENTERPRISE（企业用户）"),
                                           role)])
    if actor.is_reviewer and role != AccountRole.ENTERPRISE:
        raise Forbidden(_l("地市审核员只能为本市单位开通企业用户账号"))
    if role == AccountRole.ADMIN:
        raise ValidationFailed([FieldError("role", _l("省级管理员账号不能在此开通，请在“账号列表”中新增"), role)])
    return role


def _scope_link(session: Session, actor: Actor, role: str, city_code: Any, enterprise_id: Any
                ) -> tuple[Optional[str], Optional[Enterprise]]:
    """The city of a reviewer account or the enterprise of an enterprise account.

    :raises ValidationFailed: the link is missing, of the wrong kind, or names no city.
    :raises NotFound: the enterprise is missing or outside the actor's scope (another city's, for a reviewer).
    """
    if role == AccountRole.REVIEWER:
        if enterprise_id not in (None, ""):
            raise ValidationFailed([FieldError("enterprise_id", _l("地市审核员账号不属于单位，请不要填写所属单位"),
                                               enterprise_id)])
        code = normalize_text(city_code) if isinstance(city_code, (str, int)) and not isinstance(
            city_code, bool) else None
        if code is None:
            raise ValidationFailed([FieldError("city_code", _l("地市审核员账号必须选择所属地市（city_code）"),
                                               city_code)])
        if session.get(City, code) is None:
            raise ValidationFailed([FieldError("city_code", _l("所属地市“%(code)s”不存在", code=code), code)])
        return code, None
    if city_code not in (None, ""):
        raise ValidationFailed([FieldError("city_code", _l("企业用户账号的地市由所属单位决定，请不要填写所属地市"),
                                           city_code)])
    if enterprise_id in (None, ""):
        raise ValidationFailed([FieldError("enterprise_id", _l("企业用户账号必须选择所属单位（enterprise_id）"))])
    if isinstance(enterprise_id, bool) or not isinstance(enterprise_id, (int, str)) or not str(
            enterprise_id).strip().isdecimal():
        raise ValidationFailed([FieldError("enterprise_id", _l("所属单位编号应为整数"), enterprise_id)])
    pk = int(str(enterprise_id).strip())
    if not 0 < pk <= MAX_ID:
        raise NotFound()  # no enterprise has such an id (PostgreSQL would refuse to compare it with an INTEGER)
    return None, load_scoped(session, Enterprise, pk, actor)


def create_account(session: Session, actor: Actor, *, username: Any, role: Any, city_code: Any = None,
                   enterprise_id: Any = None, first_name: Any, last_name: Any, email: Any) -> tuple[AppUser, str]:
    """Create a reviewer or enterprise account with a one-time password; returns ``(user, one_time_password)``.

    The password is shown once by the caller and never stored or audited in clear; the user must replace it at
    the first login (``must_change_password``).

    :raises Forbidden: an enterprise user, or a reviewer asking for a reviewer / admin account.
    :raises NotFound: the enterprise is missing or of another city (reviewer).
    :raises ValidationFailed: a field is missing or wrong (each named), or the username / e-mail is taken.
    """
    _require_manager(actor)
    role = _check_role(actor, role)
    city, enterprise = _scope_link(session, actor, role, city_code, enterprise_id)
    errors: list[FieldError] = []
    values = _check_identity(session, {"username": username, "first_name": first_name, "last_name": last_name,
                                       "email": email}, errors)
    if errors:
        raise ValidationFailed(errors)
    fab_role = session.scalars(select(Role).where(Role.name == AccountRole.ROLE_NAMES[role])).one()
    password = one_time_password(values["username"])
    user = AppUser(**values, active=True, password=_hash(password), roles=[fab_role], must_change_password=True,
                   city_code=city, enterprise_id=enterprise.id if enterprise is not None else None,
                   created_by_fk=actor.user_id, changed_by_fk=actor.user_id, created_on=utcnow(), changed_on=utcnow())
    session.add(user)
    session.flush()
    _audit(session, actor, "create", user, {}, enterprise)
    return user, password


# ---------------------------------------------------------------------------------------------------------
# Deactivating / reactivating
# ---------------------------------------------------------------------------------------------------------

def deactivate_account(session: Session, actor: Actor, pk: Any) -> AppUser:
    """停用: the account can no longer log in, and its open sessions and JWTs are refused from their next request.

    :raises NotFound: not an account the actor manages (one's own included). :raises Forbidden: an enterprise user.
    :raises TransitionNotAllowed: already deactivated.
    """
    return _set_active(session, actor, pk, False)


def activate_account(session: Session, actor: Actor, pk: Any) -> AppUser:
    """启用: the account may log in again (sessions and JWTs from before the deactivation stay revoked).

    :raises NotFound: not an account the actor manages (one's own included). :raises Forbidden: an enterprise user.
    :raises TransitionNotAllowed: already active.
    """
    return _set_active(session, actor, pk, True)


def _set_active(session: Session, actor: Actor, pk: Any, active: bool) -> AppUser:
    user = load_account(session, actor, pk, for_update=True)
    if user.id == actor.user_id:
        # nobody (de)activates itself: the scope already leaves one's own account out (an admin manages no admin,
        # a reviewer no reviewer); kept here should the scope ever widen
        raise NotFound()
    if bool(user.active) == active:
        raise TransitionNotAllowed(_l("该账号已是启用状态") if active else _l("该账号已是停用状态"))
    before = account_snapshot(user)
    user.active = active
    user.changed_by_fk = actor.user_id
    user.changed_on = utcnow()
    if not active:
        user.tokens_valid_after = utcnow()  # its sessions and JWTs issued until now stay refused after a reactivation
    enterprise = session.get(Enterprise, user.enterprise_id) if user.enterprise_id else None
    _audit(session, actor, "activate" if active else "deactivate", user, before, enterprise)
    return user


def _audit(session: Session, actor: Actor, action: str, user: AppUser, before: dict,
           enterprise: Optional[Enterprise]) -> None:
    """The AuditEvent of an account change: who, when, before/after (never the password), filed under the
    account's city (an enterprise account under its enterprise's) so that the city's reviewer sees it."""
    after = account_snapshot(user)
    diff = audit.changes(before, after, user.username) or {"row": user.username}
    audit.record(session, actor, action, user, from_status=_state(before), to_status=_state(after), diff=diff,
                 enterprise_id=user.enterprise_id,
                 city_code=enterprise.city_code if enterprise is not None else user.city_code)


def _state(snapshot: dict) -> Optional[str]:
    if not snapshot:
        return None
    return "ACTIVE" if snapshot.get("active") else "INACTIVE"


def enterprise_for_uscc(session: Session, actor: Actor, uscc: Any) -> int:
    """The id of the enterprise with 统一社会信用代码 ``uscc`` among those ``actor`` sees (the 开通账号 form takes the
    code a clerk has at hand instead of an internal id).

    :raises ValidationFailed: empty, or no such enterprise in the actor's scope (another city's reads the same).
    """
    code = (normalize_text(uscc) or "").replace(" ", "").upper() if isinstance(uscc, str) else ""
    if not code:
        raise ValidationFailed([FieldError("enterprise_uscc", _l("请填写所属单位的统一社会信用代码"))])
    found = session.scalars(select(Enterprise.id).where(Enterprise.uscc == code,
                                                        scope_condition(Enterprise, actor))).first()
    if found is None:
        message = _l("本市没有统一社会信用代码为 %(code)s 的单位", code=code) if actor.is_reviewer else _l(
            "没有统一社会信用代码为 %(code)s 的单位，请先在“单位信息”中新增", code=code)
        raise ValidationFailed([FieldError("enterprise_uscc", message, code)])
    return found


# ---------------------------------------------------------------------------------------------------------
# First accounts of imported enterprises (the 单位 import's 登录账号 / 账号邮箱 columns)
# ---------------------------------------------------------------------------------------------------------

@dataclass
class FirstAccount:
    """An enterprise's first account asked for by a 单位 import row (columns 登录账号 / 账号邮箱)."""

    row: int  # Excel row
    enterprise_id: Optional[int]  # None in a dry run for an enterprise the import creates
    enterprise_name: str
    city_code: str
    username: Any
    email: Any
    contact_name: Optional[str]


#: The import's columns of the account fields (errors are placed on these cells).
ACCOUNT_COLUMNS = {"username": ("account_username", "登录账号"), "email": ("account_email", "账号邮箱")}


def create_first_accounts(session: Session, actor: Actor, requests: list[FirstAccount], dry_run: bool
                          ) -> list[dict[str, Any]]:
    """Create (or, with ``dry_run``, only check) the first 企业用户 account of each enterprise of a 单位 import.

    The rules of ``create_account`` checked set-based for the whole file: one query for the usernames, one for the
    e-mails, one for the enterprises that already have an account; a username or e-mail repeated in the file is
    named on every row that has it. Names as the registration makes them: 姓 = the first character of 联系人,
    名 = the rest (the username when there is no 联系人). Returns, per account, ``username``, ``enterprise_id``,
    ``enterprise_name`` and the ``one_time_password`` (shown once by the caller; never audited or logged).

    :raises Forbidden: the actor manages no accounts.
    :raises ValidationFailed: every problem, with the Excel row and column (the import then stores nothing).
    """
    _require_manager(actor)
    errors: list[FieldError] = []

    def refuse(name: str, message: Any, value: Any, row: int) -> None:
        key, header = ACCOUNT_COLUMNS[name]
        errors.append(FieldError(key, message, value, row=row, column=header))

    # Each account costs a deliberately slow password hash (~0.2 s): a file may open a bounded number of accounts
    # so that 确认导入 stays a request of a few seconds (DESIGN §9); more are imported in several files.
    limit = int(current_app.config.get("IMPORT_MAX_ACCOUNTS", 20))
    if len(requests) > limit:
        refuse("username", _l("一个文件最多开通 %(limit)d 个账号（本文件 %(n)d 个）；请分成几个文件导入，或先不填登录账号",
                              limit=limit, n=len(requests)), None, requests[limit].row)
        raise ValidationFailed(errors)

    cleaned: list[tuple[FirstAccount, str, str]] = []
    for request in requests:
        before = len(errors)
        username = _import_text(request.username, MAX_USERNAME)
        if username is None or not USERNAME_PATTERN.fullmatch(username):
            refuse("username", _l("登录账号只能由字母、数字和 _ . @ - 组成（最多 %(n)d 个字符），并以字母或数字开头",
                                  n=MAX_USERNAME), request.username, request.row)
        email = _import_text(request.email, MAX_EMAIL)
        if email is None:
            refuse("email", _l("填写登录账号时必须填写账号邮箱"), request.email, request.row)
        elif not EMAIL_PATTERN.fullmatch(email):
            refuse("email", _l("账号邮箱格式不正确"), email, request.row)
        if actor.is_reviewer and request.city_code != actor.city_code:
            refuse("username", _l("地市审核员只能为本市单位开通账号"), request.username, request.row)
        if len(errors) == before:
            cleaned.append((request, username, email))

    for name, position in (("username", 1), ("email", 2)):
        rows_of: dict[str, list[int]] = {}
        for item in cleaned:
            rows_of.setdefault(item[position].lower(), []).append(item[0].row)
        for item in cleaned:
            rows = rows_of[item[position].lower()]
            if len(rows) > 1:
                label = _l("登录账号") if name == "username" else _l("账号邮箱")
                refuse(name, _l("%(label)s“%(v)s”在文件中重复出现（第 %(rows)s 行）", label=label, v=item[position],
                                rows="、".join(str(r) for r in rows)), item[position], item[0].row)

    usernames = [u.lower() for _, u, _ in cleaned]
    emails = [e.lower() for _, _, e in cleaned]
    enterprise_ids = [r.enterprise_id for r, _, _ in cleaned if r.enterprise_id is not None]
    taken_names = set(session.scalars(select(func.lower(AppUser.username)).where(
        func.lower(AppUser.username).in_(usernames)))) if usernames else set()
    taken_emails = set(session.scalars(select(func.lower(AppUser.email)).where(
        func.lower(AppUser.email).in_(emails)))) if emails else set()
    with_account = set(session.scalars(select(AppUser.enterprise_id).where(
        AppUser.enterprise_id.in_(enterprise_ids)))) if enterprise_ids else set()
    for request, username, email in cleaned:
        if username.lower() in taken_names:
            refuse("username", _l("登录账号“%(name)s”已被其他账号使用，请换一个", name=username), username, request.row)
        if email.lower() in taken_emails:
            refuse("email", _l("账号邮箱“%(email)s”已被其他账号使用", email=email), email, request.row)
        if request.enterprise_id in with_account:
            refuse("username", _l("单位“%(name)s”已有账号，导入只能创建单位的第一个账号；请留空登录账号，"
                                  "或在“开通账号”中为其增加账号", name=request.enterprise_name), username, request.row)
    if errors:
        raise ValidationFailed(errors)
    if dry_run or not cleaned:
        return []
    return _store_first_accounts(session, actor, cleaned)


def _import_text(value: Any, limit: int) -> Optional[str]:
    text = normalize_text(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    return text if text is not None and len(text) <= limit else None


def _store_first_accounts(session: Session, actor: Actor, cleaned: list[tuple[FirstAccount, str, str]]
                          ) -> list[dict[str, Any]]:
    """The checked accounts added in one flush, and their ``create`` events in one INSERT (no password in them)."""
    fab_role = session.scalars(select(Role).where(Role.name == RoleName.ENTERPRISE)).one()
    now = utcnow()
    made: list[tuple[FirstAccount, AppUser, str]] = []
    for request, username, email in cleaned:
        name = request.contact_name or username  # as the registration names its account (actions/registration.py)
        password = one_time_password(username)
        user = AppUser(username=username, last_name=name[:1], first_name=name[1:] or name, email=email,
                       active=True, password=_hash(password), roles=[fab_role], must_change_password=True,
                       enterprise_id=request.enterprise_id, created_by_fk=actor.user_id,
                       changed_by_fk=actor.user_id, created_on=now, changed_on=now)
        made.append((request, user, password))
    session.add_all([user for _, user, _ in made])
    session.flush()
    audit.record_bulk(session, actor, AppUser.__tablename__, [
        {"action": "create", "entity_id": user.id, "enterprise_id": request.enterprise_id,
         "city_code": request.city_code,
         "diff": {**(audit.changes({}, account_snapshot(user), user.username) or {"row": user.username}),
                  "import": True}}
        for request, user, _ in made])
    return [{"username": user.username, "enterprise_id": request.enterprise_id,
             "enterprise_name": request.enterprise_name, "one_time_password": password}
            for request, user, password in made]

"""企业注册 (issue 14): an enterprise registers itself on the public page (no account yet); its city's reviewer
approves the registration — the account is created and the enterprise created or linked — or returns it with a
reason. The transitions (approve, return) are rows of ``actions/transitions.py`` run by ``actions.workflow.run``;
this module holds the rules: the field spec, ``register`` and the guard/effects of the rows.

- Fields: 统一社会信用代码 (GB 32100, R8), 单位名称, 所属地市 (must exist), 法定代表人, 联系人, 联系电话 (R8), 电子邮箱
  (optional), 用户名 and 密码 (the password policy of every account; stored only as FAB's hash).
- "A USCC already registered is refused": an enterprise with that USCC that already has an account, or a PENDING
  registration with it → 422 naming ``uscc``. The username must be free among the accounts and the PENDING
  registrations. Two registrations sent at the same moment: the partial unique indexes of
  ``models/registration.py`` let one in; the other gets the same 422.
- Approval (地市审核员 of the registration's city): an Enterprise with that USCC and no account (e.g. imported by the
  admin) is linked — its data is kept, only its empty fields are filled from the registration (the reviewer sees
  the differences first, ``differences``); otherwise a new Enterprise is created. The account (企业用户, linked to the
  enterprise, active, the registrant's own password) is created in the same transaction. The checks are made again
  under the row lock: an account created meanwhile for the USCC or the username refuses the approval (422).
- A RETURNED registrant may register again (a new registration; the returned one stays as it was).
Every step is audited, the anonymous registration with the client's IP.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import current_app
from flask_appbuilder.security.sqla.models import Role
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from actions import audit
from actions.fields import PHONE_T, TEXT_T, EntitySpec, FieldSpec
from core.cleaning import Cleaner
from core.errors import FieldError, FieldInvalid, ValidationFailed
from core.validators import password_problem, validate_uscc
from models.base import utcnow
from models.enterprise import Enterprise
from models.enums import RegistrationStatus, RoleName
from models.lookups import City
from models.registration import EnterpriseRegistration
from models.scope import Actor
from models.security import AppUser

#: 用户名: letters, digits and ``_ . - @``, 3 to 64 characters (it is typed at every login).
USERNAME = re.compile(r"[A-Za-z0-9_.@-]{3,64}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PASSWORD_MAX = 128

REGISTRATION = EntitySpec("registration", _l("企业注册"), (
    FieldSpec("uscc", _l("统一社会信用代码"), TEXT_T, required=True, max_len=32, in_import=False,
              hint=_l("18位，见营业执照；字母须大写（系统会自动转换）")),
    FieldSpec("enterprise_name", _l("单位名称"), TEXT_T, required=True, max_len=128, in_import=False,
              hint=_l("与营业执照上的名称一致")),
    FieldSpec("city_code", _l("所属地市"), TEXT_T, required=True, max_len=6, source="city", in_import=False,
              hint=_l("由该地市人社部门审核注册申请")),
    FieldSpec("legal_representative", _l("法定代表人"), TEXT_T, required=True, max_len=64, in_import=False),
    FieldSpec("contact_name", _l("联系人"), TEXT_T, required=True, max_len=64, in_import=False),
    FieldSpec("contact_phone", _l("联系电话"), PHONE_T, required=True, in_import=False,
              hint=_l("11位手机号码或带区号的固定电话，如 020-12345678")),
    FieldSpec("email", _l("电子邮箱"), TEXT_T, max_len=320, in_import=False, hint=_l("可不填")),
    FieldSpec("username", _l("用户名"), TEXT_T, required=True, max_len=64, in_import=False,
              hint=_l("登录时使用，3至64位字母、数字或 _ . - @")),
    FieldSpec("password", _l("密码"), TEXT_T, required=True, max_len=PASSWORD_MAX, in_import=False,
              hint=_l("至少8位，须同时包含字母和数字，不能包含用户名")),
))
#: The enterprise's fields a registration carries (registration attribute → Enterprise attribute).
ENTERPRISE_FIELDS = {"enterprise_name": "name", "city_code": "city_code",
                     "legal_representative": "legal_representative", "contact_name": "contact_name",
                     "contact_phone": "contact_phone"}
USCC_HAS_ACCOUNT = _l("该统一社会信用代码已注册账号，请使用已有账号登录；如需新增账号请联系所在地市人社部门")
USCC_PENDING = _l("该统一社会信用代码已有待审核的注册申请，请等待审核结果，不要重复注册")
USERNAME_TAKEN = _l("用户名已被使用，请换一个")


# ---- reads the rules need --------------------------------------------------------------------------------

def _enterprise_with_uscc(session: Session, uscc: str) -> Optional[Enterprise]:
    return session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).first()


def _has_account(session: Session, enterprise_id: int) -> bool:
    return bool(session.scalar(select(exists().where(AppUser.enterprise_id == enterprise_id))))


def _username_in_use(session: Session, username: str, *, pending_too: bool) -> bool:
    """The username (in any letter case: FAB's login compares case-insensitively) belongs to an account, or —
    ``pending_too`` — to a PENDING registration."""
    lowered = username.lower()
    taken = session.scalar(select(exists().where(func.lower(AppUser.username) == lowered)))
    if not taken and pending_too:
        taken = session.scalar(select(exists().where(
            func.lower(EnterpriseRegistration.username) == lowered,
            EnterpriseRegistration.status == RegistrationStatus.PENDING)))
    return bool(taken)


def _email_in_use(session: Session, email: str) -> bool:
    return bool(session.scalar(select(exists().where(func.lower(AppUser.email) == email.lower()))))


# ---- 企业注册 ------------------------------------------------------------------------------------------------

def clean_registration(session: Session, data: dict) -> dict:
    """The registration's values cleaned and checked (every error at once, each naming its field).

    :raises ValidationFailed: a field is missing or invalid, the city does not exist, the USCC is already registered
        (an enterprise with an account, or a PENDING registration), the username or e-mail is taken.
    """
    clean = Cleaner(data)
    for f in REGISTRATION.fields:  # every field is text: a JSON number, list or object is refused, named
        if data.get(f.name) is not None and not isinstance(data.get(f.name), str):
            clean.error(f.name, _l("%(label)s应为文本", label=f.label), data.get(f.name))
    REGISTRATION.clean_fields(clean, names=[f.name for f in REGISTRATION.fields if not clean.has_error(f.name)])
    out = clean.out
    if out.get("uscc") and not clean.has_error("uscc"):
        try:
            out["uscc"] = validate_uscc(out["uscc"], "uscc")
        except ValidationFailed as exc:
            clean.errors.extend(exc.errors)
    if out.get("city_code") and not clean.has_error("city_code") and session.get(City, out["city_code"]) is None:
        clean.error("city_code", _l("所属地市不存在，请从列表中选择"), out["city_code"])
    username = out.get("username")
    if username and not clean.has_error("username") and not USERNAME.fullmatch(username):
        clean.error("username", _l("用户名应为3至64位字母、数字或 _ . - @"), username)
    password = data.get("password")
    if out.get("password") and not clean.has_error("password"):
        # the password exactly as typed (the cleaner trims blanks; a password keeps them)
        problem = password_problem(password, username)
        if problem is not None:
            clean.error("password", problem)
        out["password"] = password
    email = out.get("email")
    if email and not clean.has_error("email") and not EMAIL.fullmatch(email):
        clean.error("email", _l("电子邮箱格式不正确，如 name@example.com"), email)
    if not clean.has_error("uscc") and out.get("uscc"):
        problem = uscc_problem(session, out["uscc"])
        if problem is not None:
            clean.error("uscc", problem, out["uscc"])
    if username and not clean.has_error("username") and _username_in_use(session, username, pending_too=True):
        clean.error("username", USERNAME_TAKEN, username)
    if email and not clean.has_error("email") and _email_in_use(session, email):
        clean.error("email", _l("该电子邮箱已被其他账号使用，请换一个或不填"), email)
    return clean.finish()


def uscc_problem(session: Session, uscc: str) -> Any:
    """Why a registration with ``uscc`` is refused ("a USCC already registered"), or None."""
    enterprise = _enterprise_with_uscc(session, uscc)
    if enterprise is not None and _has_account(session, enterprise.id):
        return USCC_HAS_ACCOUNT
    pending = session.scalar(select(exists().where(EnterpriseRegistration.uscc == uscc,
                                                   EnterpriseRegistration.status == RegistrationStatus.PENDING)))
    return USCC_PENDING if pending else None


def hash_password(password: str) -> str:
    """FAB's password hash, as its security manager makes it (``FAB_PASSWORD_HASH_METHOD``)."""
    config = current_app.config
    return generate_password_hash(password=password, method=config.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                  salt_length=config.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))


def register(session: Session, actor: Actor, data: dict) -> EnterpriseRegistration:
    """企业注册: a PENDING registration from the public page or ``POST /api/v1/registration/`` (no login).

    :raises ValidationFailed: see ``clean_registration``; also when another registration with the same USCC or
        username got in at the same moment (the database's partial unique indexes).
    """
    values = clean_registration(session, data)
    row = EnterpriseRegistration(
        uscc=values["uscc"], enterprise_name=values["enterprise_name"], city_code=values["city_code"],
        legal_representative=values["legal_representative"], contact_name=values["contact_name"],
        contact_phone=values["contact_phone"], email=values.get("email"), username=values["username"],
        password_hash=hash_password(values["password"]), status=RegistrationStatus.PENDING, created_at=utcnow())
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a registration sent at the same moment got in first
        raise _duplicate(exc, values) from None
    audit.record(session, actor, "register", row, to_status=RegistrationStatus.PENDING,
                 diff={"row": row.enterprise_name, "uscc": row.uscc, "username": row.username,
                       "city_code": row.city_code})
    return row


def _duplicate(exc: IntegrityError, values: dict) -> ValidationFailed:
    text = str(exc.orig)
    if "username" in text:
        return FieldInvalid("username", USERNAME_TAKEN, values["username"])
    return FieldInvalid("uscc", USCC_PENDING, values["uscc"])


# ---- 注册审核: the rows' guard and effects (actions/transitions.py REGISTRATION) -------------------------------

def differences(session: Session, row: EnterpriseRegistration) -> dict:
    """What approval does with the enterprise: ``{"enterprise": the existing one or None, "has_account": bool,
    "fields": [{"field", "label", "registered", "existing", "differs", "fills"}]}`` — shown to the reviewer
    before deciding (an existing enterprise's data is never overwritten; only its empty fields are filled)."""
    enterprise = _enterprise_with_uscc(session, row.uscc)
    fields = []
    if enterprise is not None:
        for name, attr in ENTERPRISE_FIELDS.items():
            registered, existing = getattr(row, name), getattr(enterprise, attr)
            item = {"field": name, "label": str(REGISTRATION.field(name).label), "registered": registered,
                    "existing": existing, "differs": (existing or "") != (registered or ""),
                    "fills": existing in (None, "") and registered not in (None, "")}
            if name == "city_code":  # shown by name (the codes stay in the API's answer)
                item.update(registered_shown=row.city.name, existing_shown=enterprise.city.name)
            fields.append(item)
    return {"enterprise": enterprise, "has_account": enterprise is not None and _has_account(session, enterprise.id),
            "fields": fields}


def approve_guard(session: Session, actor: Actor, row: EnterpriseRegistration, values: dict) -> None:
    """Checked again under the row lock: the USCC has no account yet (nor an enterprise of another city), the
    username and e-mail are still free.

    :raises ValidationFailed: naming the field; the reviewer returns the registration with a reason.
    """
    errors = []
    enterprise = _enterprise_with_uscc(session, row.uscc)
    if enterprise is not None and _has_account(session, enterprise.id):
        errors.append(FieldError("uscc", _l("该统一社会信用代码的单位已有账号，不能再通过注册开通，请退回"), row.uscc))
    elif enterprise is not None and enterprise.city_code != row.city_code:
        errors.append(FieldError("city_code", _l("该单位已登记在%(city)s，与注册所选地市不一致，请退回并请企业选择正确的所属地市",
                                                 city=enterprise.city.name), row.city_code))
    if _username_in_use(session, row.username, pending_too=False):
        errors.append(FieldError("username", _l("用户名已被其他账号使用，请退回并请企业换一个用户名"), row.username))
    if row.email and _email_in_use(session, row.email):
        errors.append(FieldError("email", _l("电子邮箱已被其他账号使用，请退回并请企业换一个或不填"), row.email))
    if errors:
        raise ValidationFailed(errors, "；".join(str(e.message) for e in errors))


def _enterprise_for(session: Session, actor: Actor, row: EnterpriseRegistration) -> tuple[Enterprise, dict]:
    """The existing enterprise (its empty fields filled) or a new one; the audit diff of what changed."""
    enterprise = _enterprise_with_uscc(session, row.uscc)
    if enterprise is None:
        enterprise = Enterprise(uscc=row.uscc, **{attr: getattr(row, name) for name, attr in ENTERPRISE_FIELDS.items()})
        session.add(enterprise)
        session.flush()
        after = audit.snapshot(enterprise, ["uscc", *ENTERPRISE_FIELDS.values()])
        audit.record_edit(session, actor, "create", enterprise, {}, after, row_name=enterprise.name)
        return enterprise, {"enterprise": "created"}
    before = audit.snapshot(enterprise, ENTERPRISE_FIELDS.values())
    for name, attr in ENTERPRISE_FIELDS.items():
        if getattr(enterprise, attr) in (None, "") and getattr(row, name) not in (None, ""):
            setattr(enterprise, attr, getattr(row, name))
    audit.record_edit(session, actor, "update", enterprise, before, audit.snapshot(enterprise, ENTERPRISE_FIELDS.values()),
                      row_name=enterprise.name)
    return enterprise, {"enterprise": "linked"}


def _create_account(session: Session, actor: Actor, row: EnterpriseRegistration, enterprise: Enterprise) -> AppUser:
    """The 企业用户 account: active, linked to the enterprise, the registrant's own password (no change forced)."""
    role = session.scalars(select(Role).where(Role.name == RoleName.ENTERPRISE)).one()
    name = row.contact_name
    user = AppUser(username=row.username, last_name=name[:1], first_name=name[1:] or name,
                   email=row.email or f"{row.username}@registration.invalid", active=True, roles=[role],
                   password=row.password_hash, enterprise_id=enterprise.id, must_change_password=False)
    session.add(user)
    session.flush()
    audit.record(session, actor, "create", user, diff={"row": user.username, "role": RoleName.ENTERPRISE,
                                                       "enterprise_id": enterprise.id, "source": "registration"},
                 enterprise_id=enterprise.id, city_code=enterprise.city_code)
    return user


def approve_effect(session: Session, actor: Actor, row: EnterpriseRegistration, values: dict) -> dict:
    """通过: the enterprise created or linked, the account created and activated — one transaction."""
    enterprise, diff = _enterprise_for(session, actor, row)
    user = _create_account(session, actor, row, enterprise)
    row.enterprise_id, row.user_id = enterprise.id, user.id
    row.reviewed_by_id = actor.user_id
    return {**diff, "enterprise_id": enterprise.id, "user_id": user.id, "username": user.username}


def return_effect(session: Session, actor: Actor, row: EnterpriseRegistration, values: dict) -> None:
    """退回: the reason (required by the row's input) is shown to the registrant on the status page."""
    row.reason = values["reason"]
    row.reviewed_by_id = actor.user_id

"""Row scope, in one place per entity (DESIGN §2).

``Actor`` is who acts (role + enterprise or city). ``scope_condition(model, actor)`` is the SQL condition
that limits any query on ``model`` to the actor's rows; it is used by

- FAB views as ``base_filters`` (``ScopeFilter``), which also covers related-field dropdowns,
- the REST APIs (same filter),
- ``load_scoped`` — the one loader every action uses (FAB's row actions ignore ``base_filters``).

A row out of scope answers exactly like a missing row (``NotFound`` → 404).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, TypeVar

from flask import g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.sqla.models import Role
from sqlalchemy import false, select, true, update
from sqlalchemy.orm import Session

from core.errors import NotFound
from models.attendance import CheckInDevice
from models.audit import AuditEvent
from models.enterprise import EcosystemRecognition, Enterprise, Venue
from models.enums import ChangeRequestStatus, FilingStatus, RoleName
from models.filing import (
    Attachment,
    Attendance,
    ChangeRequest,
    Course,
    Filing,
    FilingNumberCounter,
    PersonLock,
    Teacher,
    Trainee,
    TrainingClass,
)
from models.job import Job
from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
from models.numbering import ApplicationNumberCounter
from models.registration import EnterpriseRegistration
from models.security import AppUser
from models.statistics import ClassFigures, StatisticsRefresh
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """The acting user as the business rules see it."""

    user_id: Optional[int]
    username: str
    role: Optional[str]  # RoleName.* or None (no business role: sees nothing)
    enterprise_id: Optional[int] = None
    city_code: Optional[str] = None
    ip: Optional[str] = None

    @property
    def is_enterprise(self) -> bool:
        return self.role == RoleName.ENTERPRISE and self.enterprise_id is not None

    @property
    def is_reviewer(self) -> bool:
        return self.role == RoleName.REVIEWER and self.city_code is not None

    @property
    def is_admin(self) -> bool:
        return self.role == RoleName.ADMIN

    @classmethod
    def from_user(cls, user: Any, ip: Optional[str] = None) -> "Actor":
        """Build the actor from a FAB user. A user holding several business roles gets the most limited one."""
        if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
            return cls(None, "anonymous", None, ip=ip)
        names = {r.name for r in user.roles}
        role = None
        for candidate in (RoleName.ENTERPRISE, RoleName.REVIEWER, RoleName.ADMIN):
            if candidate in names:
                role = candidate
                break
        return cls(user.id, user.username, role, user.enterprise_id, user.city_code, ip)


def current_actor() -> Actor:
    """The actor of the current request (``g.user`` as FAB sets it), built once per request and user: templates ask
    for it per row (``id_detail``: dozens of times a page). Built anew when ``g.user`` is another object (a login
    or logout within the request)."""
    from flask import request

    user = getattr(g, "user", None)
    known = g.get("_actor_of_user")
    if known is not None and known[0] is user:
        return known[1]
    ip = request.remote_addr if has_request_context() else None
    actor = Actor.from_user(user, ip)
    g._actor_of_user = (user, actor)
    return actor


def _filings_visible(actor: Actor):
    if actor.is_admin:
        return true()
    if actor.is_enterprise:
        return Filing.enterprise_id == actor.enterprise_id
    if actor.is_reviewer:
        # A reviewer sees its city's filings once submitted; drafts belong to the enterprise alone.
        return (Filing.city_code == actor.city_code) & (Filing.status != FilingStatus.DRAFT)
    return false()


def _claims_visible(actor: Actor):
    if actor.is_admin:
        return true()
    if actor.is_enterprise:
        return SubsidyClaim.enterprise_id == actor.enterprise_id
    if actor.is_reviewer:
        return (SubsidyClaim.city_code == actor.city_code) & (SubsidyClaim.status != FilingStatus.DRAFT)
    return false()


def _filing_ids(actor: Actor):
    return select(Filing.id).where(_filings_visible(actor))


def _class_ids(actor: Actor):
    return select(TrainingClass.id).where(TrainingClass.filing_id.in_(_filing_ids(actor)))


LOOKUP_MODELS = (City, Occupation, SkillLevel, TrainingInstitution, SubsidyStandard, WorkdayOverride)


def scope_condition(model: type, actor: Actor):
    """SQL condition limiting ``model`` rows to what ``actor`` may see (the single definition of scope)."""
    if model in LOOKUP_MODELS:
        return true() if actor.role else false()
    if model is Enterprise:
        if actor.is_admin:
            return true()
        if actor.is_enterprise:
            return Enterprise.id == actor.enterprise_id
        if actor.is_reviewer:
            return Enterprise.city_code == actor.city_code
        return false()
    if model is EcosystemRecognition:
        if actor.is_admin:
            return true()
        if actor.is_enterprise:
            return EcosystemRecognition.enterprise_id == actor.enterprise_id
        if actor.is_reviewer:
            return EcosystemRecognition.city_code == actor.city_code
        return false()
    if model is Venue:
        if actor.is_admin:
            return true()
        if actor.is_enterprise:
            return Venue.enterprise_id == actor.enterprise_id
        if actor.is_reviewer:
            return Venue.enterprise_id.in_(select(Enterprise.id).where(Enterprise.city_code == actor.city_code))
        return false()
    if model is CheckInDevice:  # 考勤设备 (R24): the enterprise's own; its city's enterprises for a reviewer
        if actor.is_admin:
            return true()
        if actor.is_enterprise:
            return CheckInDevice.enterprise_id == actor.enterprise_id
        if actor.is_reviewer:
            return CheckInDevice.enterprise_id.in_(select(Enterprise.id).where(Enterprise.city_code == actor.city_code))
        return false()
    if model is Filing:
        return _filings_visible(actor)
    if model is ChangeRequest:
        if actor.is_admin:
            return true()
        visible = ChangeRequest.filing_id.in_(_filing_ids(actor))
        # a change request still being written is the enterprise's alone, like a draft filing
        return visible & (ChangeRequest.status != ChangeRequestStatus.DRAFT) if actor.is_reviewer else visible
    if model in (TrainingClass, Teacher, Trainee):
        return true() if actor.is_admin else model.filing_id.in_(_filing_ids(actor))
    if model is Course:
        return true() if actor.is_admin else Course.training_class_id.in_(_class_ids(actor))
    if model is Attendance:
        if actor.is_admin:
            return true()
        return Attendance.course_id.in_(select(Course.id).where(Course.training_class_id.in_(_class_ids(actor))))
    if model is SubsidyClaim:
        return _claims_visible(actor)
    if model is SubsidyClaimPerson:
        if actor.is_admin:
            return true()
        return SubsidyClaimPerson.subsidy_claim_id.in_(select(SubsidyClaim.id).where(_claims_visible(actor)))
    if model is Attachment:
        if actor.is_admin:
            return true()
        return (
            Attachment.filing_id.in_(_filing_ids(actor))
            | Attachment.subsidy_claim_id.in_(select(SubsidyClaim.id).where(_claims_visible(actor)))
            | Attachment.change_request_id.in_(
                select(ChangeRequest.id).where(ChangeRequest.filing_id.in_(_filing_ids(actor)))
            )
        )
    if model is AuditEvent:
        if actor.is_admin:
            return true()
        if actor.is_enterprise:
            return AuditEvent.enterprise_id == actor.enterprise_id
        if actor.is_reviewer:
            # A filing's events are the reviewer's once the filing is (still) visible to it: not a draft.
            # Events of a filing or of its rows are the reviewer's once the filing is (still) visible to it: not a
            # draft. Older events without filing_id fall back to the entity test.
            return (AuditEvent.city_code == actor.city_code) & (
                AuditEvent.filing_id.in_(_filing_ids(actor))
                | (AuditEvent.filing_id.is_(None) & ((AuditEvent.entity != Filing.__tablename__)
                                                     | AuditEvent.entity_id.in_(_filing_ids(actor)))))
        return false()
    if model is ClassFigures:  # 统计分析's class pre-aggregate: the filing's city
        if actor.is_admin:
            return true()
        return ClassFigures.city_code == actor.city_code if actor.is_reviewer else false()
    if model is StatisticsRefresh:  # when a pre-aggregate was rebuilt: no data of anybody
        return true() if actor.role else false()
    if model in (FilingNumberCounter, PersonLock, ApplicationNumberCounter):
        return true() if actor.is_admin else false()
    if model is EnterpriseRegistration:  # 注册审核 (issue 14): the reviewer its city's, the admin all (read-only)
        if actor.is_admin:
            return true()
        if actor.is_reviewer:
            return EnterpriseRegistration.city_code == actor.city_code
        return false()
    if model is Job:  # 我的下载: a job is its requester's alone, whatever the role (the admin included)
        return Job.requester_id == actor.user_id if actor.user_id is not None else false()
    if model is AppUser:
        return true() if actor.is_admin else AppUser.id == actor.user_id
    raise LookupError(f"no scope defined for {model.__name__}")  # a new model must be scoped here first


def managed_accounts_condition(actor: Actor):
    """SQL condition on ``AppUser``: the accounts ``actor`` may create, list and (de)activate (issue 14, 账号开通).

    The provincial admin manages every reviewer and enterprise account (never an admin's: those stay on FAB's
    own 账号列表); a city reviewer manages the enterprise accounts of its city's enterprises only (never a reviewer's
    or an admin's); an enterprise user manages none. This is a second scope of ``AppUser`` beside
    ``scope_condition`` (which gives a non-admin its own account only, for 我的信息).
    """
    holds_admin = AppUser.roles.any(Role.name == RoleName.ADMIN)
    if actor.is_admin:
        return AppUser.roles.any(Role.name.in_((RoleName.REVIEWER, RoleName.ENTERPRISE))) & ~holds_admin
    if actor.is_reviewer:
        return (AppUser.roles.any(Role.name == RoleName.ENTERPRISE)
                & ~AppUser.roles.any(Role.name.in_((RoleName.REVIEWER, RoleName.ADMIN)))
                & AppUser.enterprise_id.in_(select(Enterprise.id).where(Enterprise.city_code == actor.city_code)))
    return false()


def scoped_select(model: type[T], actor: Actor):
    """``select(model)`` limited to the actor's scope."""
    return select(model).where(scope_condition(model, actor))


def take_write_lock(session: Session, model: type, pk_value: Any) -> None:
    """Before a locking read: on SQLite, which has no row locks and ignores FOR UPDATE, take the database's write
    lock now with a no-op UPDATE of the row, so the state read next is the latest and stays so until commit (two
    requests that check-then-write the same filing run one after the other). PostgreSQL: nothing (FOR UPDATE)."""
    if session.get_bind().dialect.name != "sqlite":
        return
    pk_col = model.__table__.primary_key.columns.values()[0]
    session.execute(update(model.__table__).where(pk_col == pk_value).values({pk_col.name: pk_col}))


def load_scoped(session: Session, model: type[T], pk: Any, actor: Actor, *, for_update: bool = False) -> T:
    """Load one row through the scope; missing and out-of-scope both raise NotFound (never the row's data).

    :raises NotFound: no such row, or not the actor's.
    """
    try:
        pk_col = model.__mapper__.primary_key[0]
        pk_value = pk_col.type.python_type(pk)
    except (TypeError, ValueError, NotImplementedError):
        raise NotFound() from None
    stmt = scoped_select(model, actor).where(pk_col == pk_value)
    if for_update:
        take_write_lock(session, model, pk_value)
        # populate_existing: a row already in the session is refreshed from the locked read, so the caller checks
        # the state as it is under the lock, not as it was read before.
        stmt = stmt.with_for_update(of=model).execution_options(populate_existing=True)
    row = session.scalars(stmt).unique().first()
    if row is None:
        raise NotFound()
    return row


class ScopeFilter(BaseFilter):
    """FAB ``base_filters`` entry applying ``scope_condition`` for the request's user.

    Usage: ``base_filters = [["id", ScopeFilter, None]]`` (the column name is ignored).
    """

    name = "scope"
    arg_name = "scope"

    def apply(self, query, value):
        return query.filter(scope_condition(self.model, current_actor()))

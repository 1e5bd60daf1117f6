"""企业注册 (issue 14): an enterprise registers itself on the public page; its city's reviewer approves it (the
account is created and the enterprise created or linked) or returns it with a reason.

The password is stored only as a hash (FAB's method, ``FAB_PASSWORD_HASH_METHOD``); the account created on approval
takes that hash as it is. Two registrations waiting at the same time with the same USCC or the same username are
refused by the database (partial unique indexes on the PENDING rows), whatever the timing of the two requests.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Union

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.clock import to_local
from models.base import Model, utcnow
from models.enterprise import Enterprise
from models.enums import RegistrationStatus
from models.lookups import City

PENDING_ONLY = text("status = 'PENDING'")


def application_no(pk: Optional[int], created_at: Union[datetime, str, None]) -> str:
    """申请编号 of a registration, e.g. ``ZC20261201000123``: its creation day in Asia/Shanghai and its id (stored
    UTC time, or the API's ISO text of it)."""
    if pk is None or created_at is None:
        return ""
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    return f"ZC{to_local(created_at):%Y%m%d}{pk:06d}"


class EnterpriseRegistration(Model):
    """One self-registration: the enterprise's data, the account it asks for, and the review."""

    __tablename__ = "enterprise_registration"
    __table_args__ = (
        # "A USCC already registered is refused" / one pending request per username, enforced by the database.
        Index("ux_registration_pending_uscc", "uscc", unique=True, sqlite_where=PENDING_ONLY,
              postgresql_where=PENDING_ONLY),
        Index("ux_registration_pending_username", "username", unique=True, sqlite_where=PENDING_ONLY,
              postgresql_where=PENDING_ONLY),
        # 注册审核 queue: a city's rows, pending first, newest first.
        Index("ix_registration_city_status", "city_code", "status", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    enterprise_name: Mapped[str] = mapped_column(String(128), nullable=False)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), nullable=False)
    legal_representative: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_name: Mapped[str] = mapped_column(String(64), nullable=False)
    contact_phone: Mapped[str] = mapped_column(String(32), nullable=False)
    email: Mapped[Optional[str]] = mapped_column(String(320))
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=RegistrationStatus.PENDING)
    reason: Mapped[Optional[str]] = mapped_column(Text)  # 退回原因 (or the reviewer's note on approval)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    #: the account and the enterprise the approval created or linked
    user_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    enterprise_id: Mapped[Optional[int]] = mapped_column(ForeignKey("enterprise.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    city: Mapped[City] = relationship(lazy="joined")
    enterprise: Mapped[Optional[Enterprise]] = relationship(foreign_keys=[enterprise_id])

    @property
    def application_no(self) -> str:
        """申请编号 shown to the registrant (see ``application_no``)."""
        return application_no(self.id, self.created_at)

    def __repr__(self) -> str:
        return self.enterprise_name

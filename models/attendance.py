"""考勤设备 (R24): the check-in devices of an enterprise and how an attendance record came in.

A device authenticates with a random key shown once when it is created; only the key's SHA-256 (``key_hash``)
and its first characters (``key_prefix``, to tell keys apart on screen) are stored. Revoking a device keeps the
row (attendance records name it) and refuses its key from then on.
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model, utcnow
from models.enterprise import Enterprise
from models.enums import AttendanceSource, CodeSet


#: The sources R24 accepts (the one code set of models/enums.py).
CheckInSource = AttendanceSource


class CheckInRole(CodeSet):
    """Who checks in: a trainee or a teacher of the course's filing (stored as trainee_id / teacher_id)."""

    TRAINEE = "TRAINEE"
    TEACHER = "TEACHER"
    LABELS = {TRAINEE: _l("学员"), TEACHER: _l("教师")}


class CheckInDevice(Model):
    """考勤设备 of an enterprise: posts attendance with header ``X-Device-Key`` (DESIGN §10)."""

    __tablename__ = "check_in_device"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)  # sha256 hex of the key
    key_prefix: Mapped[str] = mapped_column(String(8), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    enterprise: Mapped[Enterprise] = relationship()

    def __repr__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

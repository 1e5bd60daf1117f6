"""Enterprises (单位), their 产教评技能生态链 recognitions and training venues."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Optional

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model, utcnow
from models.lookups import City


class Enterprise(Model):
    """单位: identified by its 统一社会信用代码; holds the basic bank account used by subsidy claims."""

    __tablename__ = "enterprise"
    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), nullable=False, index=True)
    address: Mapped[Optional[str]] = mapped_column(String(255))
    legal_representative: Mapped[Optional[str]] = mapped_column(String(64))
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(32))
    bank_name: Mapped[Optional[str]] = mapped_column(String(128))
    bank_account_name: Mapped[Optional[str]] = mapped_column(String(128))
    bank_account_no: Mapped[Optional[str]] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    city: Mapped[City] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return self.name


class EcosystemRecognition(Model):
    """产教评技能生态链企业认定: recorded by the city reviewer; required by R3."""

    __tablename__ = "ecosystem_recognition"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False, index=True)
    chain_name: Mapped[str] = mapped_column(String(128), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), nullable=False, index=True)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[Optional[date]] = mapped_column(Date)
    note: Mapped[Optional[str]] = mapped_column(Text)
    recorded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    city: Mapped[City] = relationship(lazy="joined")

    def role_label(self) -> str:
        from models.enums import RecognitionRole

        return RecognitionRole.label(self.role)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Venue(Model):
    """培训场地 of an enterprise, with map coordinates (GCJ-02 or WGS-84 as the tile provider uses)."""

    __tablename__ = "venue"
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    address: Mapped[str] = mapped_column(String(255), nullable=False)
    longitude: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 6))
    latitude: Mapped[Optional[Decimal]] = mapped_column(Numeric(10, 6))
    capacity: Mapped[Optional[int]] = mapped_column(Integer)
    note: Mapped[Optional[str]] = mapped_column(Text)  # 备注

    enterprise: Mapped[Enterprise] = relationship()

    def __repr__(self) -> str:
        return self.name

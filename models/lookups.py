"""Lookup tables kept by the provincial administrator: cities, occupations, skill levels, training
institutions, subsidy standards and working-day overrides (DESIGN §3)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Optional

from sqlalchemy import Boolean, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model


class City(Model):
    """A Guangdong prefecture-level city (地市), keyed by its 4-digit code (4401 广州 … 4453 云浮)."""

    __tablename__ = "city"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    def __repr__(self) -> str:
        return self.name


class Occupation(Model):
    """职业（工种） from the 国家职业分类大典, code ``d-dd-dd-dd``; ``work_types`` holds the 职业's 工种 names joined by
    "、" (the 大典 gives 工种 no code of their own: see actions/registry_imports.py)."""

    __tablename__ = "occupation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(128), nullable=False, index=True)
    work_types: Mapped[Optional[str]] = mapped_column(Text)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    def __repr__(self) -> str:
        return f"{self.code} {self.name}"


class SkillLevel(Model):
    """职业技能等级: 5 五级/初级工 … 1 一级/高级技师 (the level number is the key)."""

    __tablename__ = "skill_level"
    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(32), unique=True, nullable=False)

    def __repr__(self) -> str:
        return self.name


class TrainingInstitution(Model):
    """合作培训机构 registry entry."""

    __tablename__ = "training_institution"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    uscc: Mapped[Optional[str]] = mapped_column(String(18), unique=True)
    city_code: Mapped[Optional[str]] = mapped_column(ForeignKey("city.code"), index=True)
    address: Mapped[Optional[str]] = mapped_column(String(255))
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    city: Mapped[Optional[City]] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return self.name


class SubsidyStandard(Model):
    """补贴标准: yuan per person per training year, by programme, type and (optionally) skill level (R22)."""

    __tablename__ = "subsidy_standard"
    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    apprenticeship_type: Mapped[str] = mapped_column(String(16), nullable=False)
    skill_level: Mapped[Optional[int]] = mapped_column(ForeignKey("skill_level.level"))
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(12, 2), nullable=False)
    advance_ratio: Mapped[Decimal] = mapped_column(Numeric(5, 4), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[Optional[date]] = mapped_column(Date)
    note: Mapped[Optional[str]] = mapped_column(Text)

    level: Mapped[Optional[SkillLevel]] = relationship(lazy="joined")

    def programme_label(self) -> str:
        from models.enums import Programme

        return Programme.label(self.programme)

    def type_label(self) -> str:
        from models.enums import ApprenticeshipType

        return ApprenticeshipType.label(self.apprenticeship_type)


class WorkdayOverride(Model):
    """A date whose working-day status the admin sets (R19: years the holiday package does not know yet)."""

    __tablename__ = "workday_override"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    is_workday: Mapped[bool] = mapped_column(Boolean, nullable=False)
    note: Mapped[Optional[str]] = mapped_column(String(128))

"""补贴申领: a claim per enterprise, filing, class and stage, and its persons with pre-check results (R20–R23).

R21's province-wide rule "a person is claimed at most once per filing and stage" is held by the database: a person row
of a SUBMITTED or APPROVED claim has ``held = True`` (NULL otherwise) and the unique index over
``(trainee_id, stage, held)`` lets one such row exist per trainee (a trainee row belongs to one filing) and stage —
NULLs are distinct in SQLite and PostgreSQL, so drafts and returned claims never collide.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Model, utcnow
from models.enterprise import Enterprise
from models.enums import ClaimStatus
from models.filing import PENDING_FIRST_SQL, Filing, Trainee, TrainingClass
from models.lookups import City


class SubsidyClaim(Model):
    """补贴申请 with a snapshot of the enterprise's basic bank account at submission."""

    __tablename__ = "subsidy_claim"
    __table_args__ = (
        Index("ix_subsidy_claim_city_status", "city_code", "status"),
        # Issue 15: 补贴审核's default order (pending first, newest submission first), for the admin and per city.
        Index("ix_subsidy_claim_queue", text(PENDING_FIRST_SQL), text("submitted_at DESC NULLS LAST"), text("id DESC")),
        Index("ix_subsidy_claim_city_queue", "city_code", text(PENDING_FIRST_SQL), text("submitted_at DESC NULLS LAST"),
              text("id DESC")),
        {"extend_existing": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False, index=True)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), nullable=False)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filing.id"), nullable=False, index=True)
    training_class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("training_class.id"), index=True)
    stage: Mapped[str] = mapped_column(String(16), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.DRAFT, nullable=False)
    commitment_accepted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    commitment_accepted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    commitment_accepted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    bank_name: Mapped[Optional[str]] = mapped_column(String(128))
    bank_account_name: Mapped[Optional[str]] = mapped_column(String(128))
    bank_account_no: Mapped[Optional[str]] = mapped_column(String(40))
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(32))
    requested_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    approved_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(14, 2))
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    review_opinion: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    city: Mapped[City] = relationship(lazy="joined")
    filing: Mapped[Filing] = relationship()
    training_class: Mapped[Optional[TrainingClass]] = relationship()
    persons: Mapped[list["SubsidyClaimPerson"]] = relationship(
        back_populates="claim", cascade="all, delete-orphan", order_by="SubsidyClaimPerson.id"
    )


class SubsidyClaimPerson(Model):
    """One trainee in a claim: level, certificate, amount, pre-check results (R21) and the reviewer's decision."""

    __tablename__ = "subsidy_claim_person"
    __table_args__ = (
        Index("ix_subsidy_claim_person_claim_trainee", "subsidy_claim_id", "trainee_id", unique=True),
        # R21: one SUBMITTED/APPROVED claim per person and stage (held is True there, NULL elsewhere)
        Index("ux_subsidy_claim_person_held", "trainee_id", "stage", "held", unique=True),
        {"extend_existing": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    subsidy_claim_id: Mapped[int] = mapped_column(
        ForeignKey("subsidy_claim.id", ondelete="CASCADE"), nullable=False
    )
    trainee_id: Mapped[int] = mapped_column(ForeignKey("trainee.id"), nullable=False, index=True)
    stage: Mapped[str] = mapped_column(String(16), nullable=False)  # the claim's, copied for the unique index
    held: Mapped[Optional[bool]] = mapped_column(Boolean)  # True while the claim is SUBMITTED or APPROVED
    skill_level: Mapped[Optional[int]] = mapped_column(ForeignKey("skill_level.level"))
    certificate_no: Mapped[Optional[str]] = mapped_column(String(64))
    amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    precheck: Mapped[Optional[list[dict[str, Any]]]] = mapped_column(JSON)
    decision: Mapped[Optional[str]] = mapped_column(String(16))
    approved_amount: Mapped[Optional[Decimal]] = mapped_column(Numeric(12, 2))
    decision_reason: Mapped[Optional[str]] = mapped_column(Text)
    decided_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    claim: Mapped[SubsidyClaim] = relationship(back_populates="persons")
    trainee: Mapped[Trainee] = relationship()

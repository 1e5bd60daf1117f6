"""培训备案 and its child rows: training classes, teachers, trainees, courses, attendance, change requests
and attachments (DESIGN §3). ``status`` columns change only through actions/ (DESIGN §4)."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from models.attendance import CheckInDevice, CheckInRole
from models.base import Model, utcnow
from models.enterprise import Enterprise, Venue
from models.enums import ClassStatus, CourseMode, CourseStatus, FilingStatus, TraineeStatus
from models.lookups import City, Occupation, SkillLevel, TrainingInstitution

#: The review queues' first sort key as an index expression (migration e6f7a8b9c0d1 creates it; the SQL that
#: queries.sorting.pending_first renders is the same expression). Written here exactly as PostgreSQL reflects it,
#: line breaks included, because that is what the migrations-match-models check compares it with.
PENDING_FIRST_SQL = "(\nCASE\n    WHEN status::text = 'SUBMITTED'::text THEN 0\n    ELSE 1\nEND)"


class Filing(Model):
    """培训备案: one programme + apprenticeship type, filed by an enterprise in a city."""

    __tablename__ = "filing"
    # sqlite_autoincrement (here and on the child tables): SQLite never gives a deleted row's id to a new row, so
    # the audit trail, which names rows by id, never mixes two filings (migration 7e3f4a5b6c7d).
    __table_args__ = (
        Index("ix_filing_enterprise_status", "enterprise_id", "status"),
        Index("ix_filing_city_status", "city_code", "status"),
        # Issue 12: 申请编号 is unique; the lists sort by it, by 创建时间 and by 提交时间 on the server.
        Index("ux_filing_application_no", "application_no", unique=True),
        Index("ix_filing_created_at", "created_at"),
        Index("ix_filing_submitted_at", "submitted_at"),
        # Issue 15 (migration e6f7a8b9c0d1): the review queue's default order, for the admin and per city (the
        # expression is the one queries.sorting.pending_first renders), and newest-first paging per enterprise/city.
        Index("ix_filing_queue", text(PENDING_FIRST_SQL), text("submitted_at DESC NULLS LAST"), text("id DESC")),
        Index("ix_filing_city_queue", "city_code", text(PENDING_FIRST_SQL), text("submitted_at DESC NULLS LAST"),
              text("id DESC")),
        Index("ix_filing_enterprise_id", "enterprise_id", "id"),
        Index("ix_filing_city_id", "city_code", "id"),
        {"extend_existing": True, "sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    programme: Mapped[str] = mapped_column(String(16), nullable=False)
    apprenticeship_type: Mapped[str] = mapped_column(String(16), nullable=False)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprise.id"), nullable=False)
    city_code: Mapped[str] = mapped_column(ForeignKey("city.code"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=FilingStatus.DRAFT, nullable=False)
    filing_no: Mapped[Optional[str]] = mapped_column(String(32), unique=True)
    # 申请编号: set on INSERT and never changed (models/numbering.py, issue 12).
    application_no: Mapped[str] = mapped_column(String(32), nullable=False)
    commitment_accepted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    commitment_accepted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    commitment_accepted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    institution_id: Mapped[Optional[int]] = mapped_column(ForeignKey("training_institution.id"))
    other_institution_name: Mapped[Optional[str]] = mapped_column(String(128))
    contact_name: Mapped[Optional[str]] = mapped_column(String(64))
    contact_phone: Mapped[Optional[str]] = mapped_column(String(32))
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    approved_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    review_opinion: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    # Optimistic locking: two people acting on one filing at once — exactly one wins (DESIGN §4).
    __mapper_args__ = {"version_id_col": version}

    enterprise: Mapped[Enterprise] = relationship(lazy="joined")
    city: Mapped[City] = relationship(lazy="joined")
    institution: Mapped[Optional[TrainingInstitution]] = relationship()
    classes: Mapped[list["TrainingClass"]] = relationship(
        back_populates="filing", cascade="all, delete-orphan", order_by="TrainingClass.id"
    )
    teachers: Mapped[list["Teacher"]] = relationship(
        back_populates="filing", cascade="all, delete-orphan", order_by="Teacher.id"
    )
    trainees: Mapped[list["Trainee"]] = relationship(
        back_populates="filing", cascade="all, delete-orphan", order_by="Trainee.id"
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="filing", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    def __repr__(self) -> str:
        return self.filing_no or f"#{self.id}"


class TrainingClass(Model):
    """培训信息 / 培训班 of a filing."""

    __tablename__ = "training_class"
    __table_args__ = (
        CheckConstraint("end_date >= start_date", name="ck_training_class_dates"),
        {"extend_existing": True, "sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filing.id", ondelete="CASCADE"), nullable=False, index=True)
    occupation_code: Mapped[str] = mapped_column(ForeignKey("occupation.code"), nullable=False)
    skill_level: Mapped[int] = mapped_column(ForeignKey("skill_level.level"), nullable=False)
    start_date: Mapped[date] = mapped_column(Date, nullable=False)
    end_date: Mapped[date] = mapped_column(Date, nullable=False)
    hours: Mapped[int] = mapped_column(Integer, nullable=False)
    planned_headcount: Mapped[int] = mapped_column(Integer, nullable=False)
    extension_reason: Mapped[Optional[str]] = mapped_column(Text)
    date_change_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=ClassStatus.NORMAL, nullable=False)
    cancel_reason: Mapped[Optional[str]] = mapped_column(Text)
    cancelled_at: Mapped[Optional[datetime]] = mapped_column(DateTime)

    filing: Mapped[Filing] = relationship(back_populates="classes")
    occupation: Mapped[Occupation] = relationship(lazy="joined")
    level: Mapped[SkillLevel] = relationship(lazy="joined")
    courses: Mapped[list["Course"]] = relationship(
        back_populates="training_class", cascade="all, delete-orphan", order_by="Course.id"
    )


class Teacher(Model):
    """培训师资: 企业导师 or 院校导师."""

    __tablename__ = "teacher"
    __table_args__ = {"sqlite_autoincrement": True}  # SQLite never reuses the id of a deleted row (audit trail)
    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filing.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    title: Mapped[Optional[str]] = mapped_column(String(64))
    certificate_no: Mapped[Optional[str]] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    change_request_id: Mapped[Optional[int]] = mapped_column(ForeignKey("change_request.id"))

    filing: Mapped[Filing] = relationship(back_populates="teachers")

    def __repr__(self) -> str:
        return self.name


class Trainee(Model):
    """培训人员; gender and birth date derive from the ID number (R8)."""

    __tablename__ = "trainee"
    __table_args__ = (
        Index("ix_trainee_filing_id_number", "filing_id", "id_number", unique=True),
        # Issue 15 (migration e6f7a8b9c0d1): a filing's trainees in id order; prefix search of name and ID number
        # (text_pattern_ops on PostgreSQL serves LIKE '张伟%' under any collation; a plain index on SQLite).
        Index("ix_trainee_filing_id_id", "filing_id", "id"),
        Index("ix_trainee_name_pattern", "name", postgresql_ops={"name": "text_pattern_ops"}),
        Index("ix_trainee_id_number_pattern", "id_number", postgresql_ops={"id_number": "text_pattern_ops"}),
        # names containing 3+ typed characters: a pg_trgm GIN index where the extension can be created, else a
        # stand-in of the same name (see the migration)
        Index("ix_trainee_name_trgm", text("(name)::text gin_trgm_ops"), postgresql_using="gin"),
        {"extend_existing": True, "sqlite_autoincrement": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filing.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(64), nullable=False)
    id_number: Mapped[str] = mapped_column(String(18), nullable=False, index=True)
    gender: Mapped[Optional[str]] = mapped_column(String(1))
    birth_date: Mapped[Optional[date]] = mapped_column(Date)
    phone: Mapped[Optional[str]] = mapped_column(String(32))
    education: Mapped[Optional[str]] = mapped_column(String(32))
    contract_start: Mapped[Optional[date]] = mapped_column(Date)
    contract_end: Mapped[Optional[date]] = mapped_column(Date)
    hire_date: Mapped[Optional[date]] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default=TraineeStatus.ACTIVE, nullable=False, index=True)
    lost_reason: Mapped[Optional[str]] = mapped_column(Text)
    lost_date: Mapped[Optional[date]] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    filing: Mapped[Filing] = relationship(back_populates="trainees")

    def __repr__(self) -> str:
        return self.name


class Course(Model):
    """培训课程 of a class; date, times and venue are configured after approval (R7, R16)."""

    __tablename__ = "course"
    __table_args__ = {"sqlite_autoincrement": True}  # SQLite never reuses the id of a deleted row (audit trail)
    id: Mapped[int] = mapped_column(primary_key=True)
    training_class_id: Mapped[int] = mapped_column(
        ForeignKey("training_class.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(String(128), nullable=False)
    mode: Mapped[str] = mapped_column(String(16), default=CourseMode.OFFLINE, nullable=False)
    hours: Mapped[int] = mapped_column(Integer, nullable=False)
    teacher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teacher.id"))
    start_date: Mapped[Optional[date]] = mapped_column(Date)  # R16: configured after approval
    end_date: Mapped[Optional[date]] = mapped_column(Date)
    start_time: Mapped[Optional[time]] = mapped_column(Time)  # daily start and end time
    end_time: Mapped[Optional[time]] = mapped_column(Time)
    venue_id: Mapped[Optional[int]] = mapped_column(ForeignKey("venue.id"))
    status: Mapped[str] = mapped_column(String(16), default=CourseStatus.UNCONFIGURED, nullable=False)

    training_class: Mapped[TrainingClass] = relationship(back_populates="courses")
    teacher: Mapped[Optional[Teacher]] = relationship()
    venue: Mapped[Optional[Venue]] = relationship()


class Attendance(Model):
    """考勤 record of a teacher or trainee at a course (R24): exactly one of ``trainee_id`` / ``teacher_id`` says who
    and in which role. One record per (course, person, check-in time): the UNIQUE constraints make repeats — also
    two identical posts at the same moment — insert nothing (actions/attendance.py, ON CONFLICT DO NOTHING).
    Their indexes also serve the read side's (course, trainee) and (course, teacher) look-ups."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("course_id", "trainee_id", "check_in", name="uq_attendance_course_trainee_check_in"),
        UniqueConstraint("course_id", "teacher_id", "check_in", name="uq_attendance_course_teacher_check_in"),
        CheckConstraint("(trainee_id IS NULL) <> (teacher_id IS NULL)", name="ck_attendance_one_person"),
        CheckConstraint("check_out IS NULL OR check_out >= check_in", name="ck_attendance_check_out"),
        {"extend_existing": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), nullable=False)
    trainee_id: Mapped[Optional[int]] = mapped_column(ForeignKey("trainee.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[Optional[int]] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    check_in: Mapped[datetime] = mapped_column(DateTime, nullable=False)  # naive UTC
    check_out: Mapped[Optional[datetime]] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # CheckInSource (DEVICE / QR)
    device_id: Mapped[Optional[int]] = mapped_column(ForeignKey("check_in_device.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    course: Mapped[Course] = relationship()
    trainee: Mapped[Optional[Trainee]] = relationship()
    teacher: Mapped[Optional[Teacher]] = relationship()
    device: Mapped[Optional[CheckInDevice]] = relationship()

    @property
    def role(self) -> str:
        """TRAINEE or TEACHER, implied by which person column is set."""
        return CheckInRole.TRAINEE if self.trainee_id is not None else CheckInRole.TEACHER


class ChangeRequest(Model):
    """变更申请 after approval: class dates (R15) or teachers (R17); ``before``/``after`` keep the diff."""

    __tablename__ = "change_request"
    __table_args__ = (
        # Issue 15: 变更审核's default order (pending first, newest submission first).
        Index("ix_change_request_queue", text(PENDING_FIRST_SQL), text("submitted_at DESC NULLS LAST"),
              text("id DESC")),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[int] = mapped_column(ForeignKey("filing.id", ondelete="CASCADE"), nullable=False, index=True)
    training_class_id: Mapped[Optional[int]] = mapped_column(ForeignKey("training_class.id"))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    submitted_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_at: Mapped[Optional[datetime]] = mapped_column(DateTime)
    reviewed_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    review_opinion: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    filing: Mapped[Filing] = relationship()
    training_class: Mapped[Optional[TrainingClass]] = relationship()


class Attachment(Model):
    """上传材料 of a filing, subsidy claim or change request. sha256, size, media type and name are always here; the
    bytes are where ``storage`` says (``ATTACHMENT_STORAGE``, services/storage.py): ``database`` = ``content``,
    ``directory`` / ``s3`` = the blob ``storage_key`` of that store (content-addressed by sha256, shared by equal
    files). Rows of both kinds coexist while ``flask attachments move`` runs; the app stays stateless either way."""

    __tablename__ = "attachment"
    __table_args__ = (
        # The bytes are always somewhere: in the row, or in a store under a key.
        CheckConstraint("(storage = 'database' AND content IS NOT NULL) OR "
                        "(storage IN ('directory', 's3') AND storage_key IS NOT NULL)",
                        name="ck_attachment_storage_place"),
        {"sqlite_autoincrement": True},  # SQLite never reuses the id of a deleted row (audit trail)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    filing_id: Mapped[Optional[int]] = mapped_column(ForeignKey("filing.id", ondelete="CASCADE"), index=True)
    subsidy_claim_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("subsidy_claim.id", ondelete="CASCADE"), index=True
    )
    change_request_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("change_request.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    media_type: Mapped[str] = mapped_column(String(128), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)  # blob references (dedup)
    storage: Mapped[str] = mapped_column(String(16), nullable=False, default="database",
                                         server_default="database")
    storage_key: Mapped[Optional[str]] = mapped_column(String(255))
    content: Mapped[Optional[bytes]] = deferred(mapped_column(LargeBinary))
    uploaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)

    filing: Mapped[Optional[Filing]] = relationship(back_populates="attachments")


class FilingNumberCounter(Model):
    """Last filing number issued per city and year (R13); incremented atomically on approval."""

    __tablename__ = "filing_number_counter"
    city_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class PersonLock(Model):
    """One row per ID number ever submitted or approved: the row a submission or approval locks (in ID-number
    order) before it checks R9, so two filings with the same person cannot both pass the check at once."""

    __tablename__ = "person_lock"
    id_number: Mapped[str] = mapped_column(String(18), primary_key=True)

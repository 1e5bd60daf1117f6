"""The data model (DESIGN §3). Importing this package registers every table on FAB's metadata,
which is what Alembic compares against (migrations/env.py)."""
from models.attendance import CheckInDevice
from models.audit import AuditEvent
from models.base import Model, utcnow
from models.enterprise import EcosystemRecognition, Enterprise, Venue
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
from models.numbering import ApplicationNumberCounter  # also registers the 申请编号 listener on Filing
from models.registration import EnterpriseRegistration
from models.security import AppUser
from models.statistics import ClassFigures, StatisticsRefresh
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

__all__ = [
    "AppUser",
    "ApplicationNumberCounter",
    "Attachment",
    "Attendance",
    "AuditEvent",
    "ChangeRequest",
    "CheckInDevice",
    "City",
    "ClassFigures",
    "Course",
    "EcosystemRecognition",
    "Enterprise",
    "EnterpriseRegistration",
    "Filing",
    "FilingNumberCounter",
    "Job",
    "PersonLock",
    "Model",
    "Occupation",
    "SkillLevel",
    "StatisticsRefresh",
    "SubsidyClaim",
    "SubsidyClaimPerson",
    "SubsidyStandard",
    "Teacher",
    "Trainee",
    "TrainingClass",
    "TrainingInstitution",
    "Venue",
    "WorkdayOverride",
    "utcnow",
]

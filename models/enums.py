"""Codes of the public API contract (DESIGN §10) and their Chinese labels.

Codes are stored and exchanged as these strings; the UI shows the labels (lazy, so they follow the locale).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class CodeSet:
    """A fixed set of string codes with translatable labels: ``choices()`` feeds forms and dropdowns."""

    LABELS: dict[str, object] = {}

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(code, str(label)) for code, label in cls.LABELS.items()]

    @classmethod
    def label(cls, code: str | None) -> str:
        if code is None:
            return ""
        return str(cls.LABELS.get(code, code))

    @classmethod
    def codes(cls) -> list[str]:
        return list(cls.LABELS)


class Programme(CodeSet):
    ECOSYSTEM = "ECOSYSTEM"
    ENTERPRISE = "ENTERPRISE"
    LABELS = {
        ECOSYSTEM: _l("产教评技能生态链企业新型学徒制培训"),
        ENTERPRISE: _l("企业新型学徒制培训"),
    }


class ApprenticeshipType(CodeSet):
    STUDENT = "STUDENT"
    TECH_TRAINEE = "TECH_TRAINEE"
    NEW_APPRENTICE = "NEW_APPRENTICE"
    LABELS = {
        STUDENT: _l("学生学徒制"),
        TECH_TRAINEE: _l("技培生学徒制"),
        NEW_APPRENTICE: _l("企业新型学徒制"),
    }


# R2: which apprenticeship types each programme offers.
TYPES_BY_PROGRAMME = {
    Programme.ECOSYSTEM: (ApprenticeshipType.STUDENT, ApprenticeshipType.TECH_TRAINEE),
    Programme.ENTERPRISE: (ApprenticeshipType.NEW_APPRENTICE, ApprenticeshipType.STUDENT),
}


class FilingStatus(CodeSet):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    RETURNED = "RETURNED"
    APPROVED = "APPROVED"
    CANCELLED = "CANCELLED"
    LABELS = {
        DRAFT: _l("未提交"),
        SUBMITTED: _l("已提交待审核"),
        RETURNED: _l("已退回"),
        APPROVED: _l("审核通过"),
        CANCELLED: _l("已注销"),
    }


class ChangeRequestStatus(CodeSet):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"
    APPLIED = "APPLIED"  # R15: a class-date change is filed (变更备案) and applied at once, without review
    LABELS = {
        DRAFT: _l("未提交"),
        SUBMITTED: _l("已提交待审核"),
        APPROVED: _l("审核通过"),
        RETURNED: _l("已退回"),
        APPLIED: _l("已变更备案"),
    }


class ChangeRequestKind(CodeSet):
    CLASS_DATES = "CLASS_DATES"
    TEACHER = "TEACHER"
    LABELS = {CLASS_DATES: _l("开班信息变更"), TEACHER: _l("师资信息变更")}


class ClaimStatus(CodeSet):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    RETURNED = "RETURNED"
    APPROVED = "APPROVED"
    LABELS = {
        DRAFT: _l("未提交"),
        SUBMITTED: _l("已提交待审核"),
        RETURNED: _l("已退回"),
        APPROVED: _l("审核通过"),
    }


class ClaimStage(CodeSet):
    ADVANCE = "ADVANCE"
    BALANCE = "BALANCE"
    LABELS = {ADVANCE: _l("预拨"), BALANCE: _l("清算")}


class CourseStatus(CodeSet):
    """培训课程: its date, times and venue are configured after approval (R16); cancelled with its class (R18)."""

    UNCONFIGURED = "UNCONFIGURED"
    CONFIGURED = "CONFIGURED"
    CANCELLED = "CANCELLED"
    LABELS = {UNCONFIGURED: _l("未配置"), CONFIGURED: _l("已配置"), CANCELLED: _l("已取消")}


class ClassStatus(CodeSet):
    NORMAL = "NORMAL"
    CANCELLED = "CANCELLED"
    LABELS = {NORMAL: _l("正常"), CANCELLED: _l("已注销")}


class TraineeStatus(CodeSet):
    ACTIVE = "ACTIVE"
    LOST = "LOST"
    LABELS = {ACTIVE: _l("在训"), LOST: _l("流失")}


class TeacherKind(CodeSet):
    ENTERPRISE = "ENTERPRISE"
    SCHOOL = "SCHOOL"
    LABELS = {ENTERPRISE: _l("企业导师"), SCHOOL: _l("院校导师")}


class CourseMode(CodeSet):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    LABELS = {ONLINE: _l("线上培训"), OFFLINE: _l("线下培训")}


class Gender(CodeSet):
    MALE = "M"
    FEMALE = "F"
    LABELS = {MALE: _l("男"), FEMALE: _l("女")}


class Education(CodeSet):
    LABELS = {
        "JUNIOR_HIGH": _l("初中及以下"),
        "SENIOR_HIGH": _l("高中"),
        "SECONDARY_VOCATIONAL": _l("中专/中职/技工学校"),
        "JUNIOR_COLLEGE": _l("大专/高职"),
        "BACHELOR": _l("本科"),
        "POSTGRADUATE": _l("研究生及以上"),
    }


class RecognitionRole(CodeSet):
    LEADER = "LEADER"
    MEMBER = "MEMBER"
    LABELS = {LEADER: _l("链主"), MEMBER: _l("链员")}


class AttachmentKind(CodeSet):
    TRAINING_PLAN = "TRAINING_PLAN"
    COOPERATION_AGREEMENT = "COOPERATION_AGREEMENT"
    LABOUR_CONTRACT = "LABOUR_CONTRACT"
    APPRENTICE_AGREEMENT = "APPRENTICE_AGREEMENT"
    COMMITMENT = "COMMITMENT"
    OTHER = "OTHER"
    CERTIFICATE = "CERTIFICATE"
    PAYMENT_PROOF = "PAYMENT_PROOF"
    ATTENDANCE_RECORD = "ATTENDANCE_RECORD"
    LABELS = {
        TRAINING_PLAN: _l("培训计划"),
        COOPERATION_AGREEMENT: _l("校企合作协议"),
        LABOUR_CONTRACT: _l("劳动合同"),
        APPRENTICE_AGREEMENT: _l("学徒培训协议"),
        COMMITMENT: _l("承诺书"),
        OTHER: _l("其他"),
        CERTIFICATE: _l("职业技能等级证书"),
        PAYMENT_PROOF: _l("培训费用支付凭证"),
        ATTENDANCE_RECORD: _l("培训考勤记录"),
    }
    #: The kinds a filing's materials may be (R11) and a subsidy claim's (R23; which are required: per stage in
    #: ``actions.subsidies.claims.REQUIRED_KINDS``).
    FILING_CODES = (TRAINING_PLAN, COOPERATION_AGREEMENT, LABOUR_CONTRACT, APPRENTICE_AGREEMENT, COMMITMENT, OTHER)
    CLAIM_CODES = (TRAINING_PLAN, ATTENDANCE_RECORD, CERTIFICATE, PAYMENT_PROOF, COMMITMENT, OTHER)

    @classmethod
    def choices_of(cls, codes: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(code, str(cls.LABELS[code])) for code in codes]


class AttendanceSource(CodeSet):
    """Where an attendance record came from (R24): a check-in device (API) or the course's QR page (扫码签到)."""

    DEVICE = "DEVICE"
    QR = "QR"
    IMPORT = "IMPORT"
    MANUAL = "MANUAL"
    LABELS = {DEVICE: _l("考勤设备"), QR: _l("扫码签到"), IMPORT: _l("导入"), MANUAL: _l("手工录入")}


class RegistrationStatus(CodeSet):
    """企业注册 (issue 14): a self-registration waits for its city's reviewer, who approves or returns it."""

    PENDING = "PENDING"
    APPROVED = "APPROVED"
    RETURNED = "RETURNED"
    LABELS = {PENDING: _l("待审核"), APPROVED: _l("审核通过"), RETURNED: _l("已退回")}


class RoleName:
    """FAB role names (DESIGN §2)."""

    ENTERPRISE = "企业用户"
    REVIEWER = "地市审核员"
    ADMIN = "省级管理员"


class JobStatus(CodeSet):
    """The states of a background job (``GET /api/v1/job/<id>`` ``status``, DESIGN §10)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    FINISHED = (DONE, FAILED)
    LABELS = {
        QUEUED: _l("排队中"),
        RUNNING: _l("处理中"),
        DONE: _l("已完成"),
        FAILED: _l("失败"),
    }

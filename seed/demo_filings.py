"""Demo filings per demo enterprise (ent_gz 广州, ent_sz 深圳), all 企业新型学徒制培训 / 企业新型学徒制:

- a DRAFT with a class, one teacher, two trainees and one course but no materials (not yet submittable),
- a SUBMITTED one (waiting for the city), a RETURNED one (with the reviewer's opinion) and an APPROVED one
  (filing number from ``actions.review.approve``), each complete.

Runs inside ``flask seed demo`` and before every test, so it is fast (rows built with the models, transitions
through the real actions so the audit trail and the filing-number counter stay consistent) and idempotent:
an enterprise that already has filings is left alone. Trainee ID numbers use region 440305 (no test uses it)
and classes run in 2027, so the demo people never collide with test data under R9. The approved filings take
their numbers from the shared counter (``actions.review.next_filing_number``), so the first number a test's
approval gets in a city is ``…-000002``.
"""
from __future__ import annotations

import hashlib
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import audit
from actions.filings import TYPE_RULES
from core.clock import today
from actions.review import next_filing_number
from core.validators import complete_id_number
from models.base import utcnow
from models.enterprise import Enterprise
from models.enums import ApprenticeshipType, AttachmentKind, FilingStatus, Programme, RoleName
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from models.lookups import TrainingInstitution
from models.scope import Actor
from models.security import AppUser

# A minimal valid PDF for the demo materials (sniffed as application/pdf like a real upload).
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")

# username → (reviewer of its city, institution name, occupation, enterprise seq for ID numbers)
DEMO = {
    "ent_gz": ("gz_reviewer", "广州示范技师学院（演示）", "6-18-01-01", 1),
    "ent_sz": ("sz_reviewer", "深圳示范职业技术学校（演示）", "6-31-01-03", 2),
}

TRAINEE_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽"]
TEACHER_NAMES = ["周建国", "吴志强", "郑海燕", "孙立新", "马俊", "胡晓梅", "林国栋", "何文"]
RETURN_OPINION = "培训计划未写明各阶段的课时安排，劳动合同扫描件不清晰，请补充完善后重新提交。"


def _actor(session: Session, username: str) -> Actor | None:
    user = session.scalars(select(AppUser).filter_by(username=username)).first()
    return Actor.from_user(user) if user is not None else None


def _person_id(ent_seq: int, filing_seq: int, person: int, teacher: bool = False) -> str:
    """A valid ID number of region 440305 (深圳南山) — unused by tests — unique per enterprise/filing/person."""
    birth = "1978%02d%02d" % (ent_seq, filing_seq + 10) if teacher else "2001%02d%02d" % (ent_seq, filing_seq + 10)
    order = ent_seq * 100 + filing_seq * 10 + person  # 3 digits; odd = male, even = female
    return complete_id_number(f"440305{birth}{order:03d}")


def _build(session: Session, ent: Enterprise, user: Actor, seq: int, filing_seq: int, institution_id: int | None,
           occupation: str, complete: bool) -> Filing:
    """One 企业新型学徒制 filing with a class, a teacher, two trainees and a course (materials if ``complete``)."""
    now = utcnow()
    filing = Filing(programme=Programme.ENTERPRISE, apprenticeship_type=ApprenticeshipType.NEW_APPRENTICE,
                    enterprise_id=ent.id, city_code=ent.city_code, status=FilingStatus.DRAFT,
                    commitment_accepted=True, commitment_accepted_by_id=user.user_id, commitment_accepted_at=now,
                    institution_id=institution_id, contact_name=ent.contact_name or "李四",
                    contact_phone=ent.contact_phone or "13800138000")
    session.add(filing)
    month = 1 + filing_seq * 2
    cls = TrainingClass(occupation_code=occupation, skill_level=4 if filing_seq % 2 else 3,
                        start_date=date(2027, month, 1), end_date=date(2028, month, 1) - date.resolution,
                        hours=480, planned_headcount=2)
    filing.classes.append(cls)
    teacher = Teacher(name=TEACHER_NAMES[(seq * 4 + filing_seq) % len(TEACHER_NAMES)],
                      id_number=_person_id(seq, filing_seq, 1, teacher=True),
                      phone="13902%06d" % (seq * 100 + filing_seq),
                      kind="ENTERPRISE", title="高级技师", certificate_no=f"GJJS{seq}{filing_seq:02d}0001")
    filing.teachers.append(teacher)
    for person in (1, 2):
        number = _person_id(seq, filing_seq, person + 2)
        filing.trainees.append(Trainee(
            name=TRAINEE_NAMES[(seq * 4 + filing_seq * 2 + person) % len(TRAINEE_NAMES)], id_number=number,
            gender="M" if int(number[16]) % 2 else "F", birth_date=date(int(number[6:10]), int(number[10:12]),
                                                                          int(number[12:14])),
            phone="13703%06d" % (seq * 100 + filing_seq * 10 + person), education="SECONDARY_VOCATIONAL",
            contract_start=date(2026, 7, 1), contract_end=date(2029, 6, 30), hire_date=date(2026, 7, 1)))
    session.flush()
    cls.courses.append(Course(name="数控加工工艺与实训" if filing_seq % 2 else "安全生产与职业素养", mode="OFFLINE",
                              hours=40, teacher_id=teacher.id))
    if complete:
        for kind in TYPE_RULES[filing.apprenticeship_type].required_attachments:
            filing.attachments.append(Attachment(
                kind=kind, file_name=f"{AttachmentKind.label(kind)}.pdf", media_type="application/pdf",
                size=len(DEMO_PDF), sha256=hashlib.sha256(DEMO_PDF).hexdigest(), content=DEMO_PDF,
                uploaded_by_id=user.user_id))
    audit.record(session, user, "create", filing, to_status=FilingStatus.DRAFT,
                 diff={"programme": filing.programme, "apprenticeship_type": filing.apprenticeship_type,
                       "commitment_accepted": True, "demo": True})
    return filing


def _submit(session: Session, user: Actor, filing: Filing) -> None:
    """DRAFT → SUBMITTED as ``actions.filings.submit`` would (the demo rows are complete by construction)."""
    filing.status = FilingStatus.SUBMITTED
    filing.submitted_at = utcnow()
    audit.record(session, user, "submit", filing, from_status=FilingStatus.DRAFT, to_status=FilingStatus.SUBMITTED)


def seed(session: Session) -> None:
    """Four demo filings per demo enterprise (DRAFT, SUBMITTED, RETURNED, APPROVED); no-op once it has filings."""
    for username, (reviewer_name, institution_name, occupation, seq) in DEMO.items():
        user = _actor(session, username)
        reviewer = _actor(session, reviewer_name)
        if user is None or reviewer is None or user.enterprise_id is None or user.role != RoleName.ENTERPRISE:
            continue
        if session.scalars(select(Filing.id).filter_by(enterprise_id=user.enterprise_id)).first() is not None:
            continue
        ent = session.get(Enterprise, user.enterprise_id)
        institution_id = session.scalars(select(TrainingInstitution.id).filter_by(name=institution_name)).first()
        _build(session, ent, user, seq, 0, institution_id, occupation, complete=False)  # DRAFT
        submitted = _build(session, ent, user, seq, 1, institution_id, occupation, complete=True)
        returned = _build(session, ent, user, seq, 2, institution_id, occupation, complete=True)
        approved = _build(session, ent, user, seq, 3, institution_id, occupation, complete=True)
        for filing in (submitted, returned, approved):
            _submit(session, user, filing)
        session.flush()
        _decide(session, reviewer, returned, "return", FilingStatus.RETURNED, RETURN_OPINION)
        _decide(session, reviewer, approved, "approve", FilingStatus.APPROVED, "材料齐全，同意备案。")
    session.flush()


def _decide(session: Session, reviewer: Actor, filing: Filing, action: str, target: str, opinion: str) -> None:
    """The city's decision with the same fields and audit event as ``actions.review.approve`` / ``return_filing``
    (the filing number comes from the shared counter, R13). Not called through those functions because their
    ``load_scoped(..., for_update=True)`` fails on PostgreSQL (FOR UPDATE on a query with outer joins)."""
    now = utcnow()
    filing.status = target
    filing.reviewed_at = now
    filing.reviewed_by_id = reviewer.user_id
    filing.review_opinion = opinion
    diff = None
    if target == FilingStatus.APPROVED:
        filing.approved_at = now
        filing.filing_no = next_filing_number(session, filing.city_code, today().year)
        diff = {"filing_no": filing.filing_no}
    session.flush()
    audit.record(session, reviewer, action, filing, from_status=FilingStatus.SUBMITTED, to_status=target,
                 reason=opinion, diff=diff)

"""The demo class that is running now (培训情况跟踪 / 查看考勤, R24): ``ent_gz`` gets an APPROVED 企业新型学徒制
filing whose class started about two months before today (``core.clock.today``), with 6 trainees, 2 teachers, a
venue of ent_gz, weekly configured courses in the past with device check-ins (most trainees above 80 %, 杨帆 at
half), one course today and some to come (plus two not configured yet).

Part of ``flask seed demo`` only (``run_demo_seed(running_class=True)``), not of the per-test seed: the tests count
the demo rows of ``seed/demo_filings.py`` (ent_gz: one APPROVED filing, 8 trainees). Idempotent: an enterprise that
already has the running class (its first trainee's ID number) is left alone. ID numbers are of region 440305 with
filing sequence 5 (unused by the other demo filings and by tests).
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions import audit
from actions.filings import TYPE_RULES
from core.clock import SHANGHAI, add_years, today
from models.base import utcnow
from models.enterprise import Enterprise, Venue
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    AttendanceSource,
    CourseStatus,
    FilingStatus,
    Programme,
    TraineeStatus,
)
from models.filing import Attachment, Attendance, Course, Filing, Teacher, Trainee, TrainingClass
from models.lookups import TrainingInstitution
from seed.demo_filings import DEMO, DEMO_PDF, _actor, _decide, _person_id, _submit

USERNAME = "ent_gz"
FILING_SEQ = 5
TRAINEES = ["张晓明", "李思雨", "王建华", "陈佳怡", "刘子轩", "杨帆"]
TEACHERS = [("周建国", "高级技师"), ("郑海燕", "技师")]
#: trainee index → the past courses (by index) they missed: one below 80 % (杨帆), one at 87.5 %, the rest 100 %.
MISSED = {4: {2}, 5: {1, 3, 5, 6}}
PAST_COURSES = ["安全生产与职业素养", "机械识图", "数控车床操作基础", "数控编程（一）", "数控编程（二）",
                "零件测量与质量控制", "数控铣削实训（一）", "数控铣削实训（二）"]
FUTURE_COURSES = ["加工中心操作", "工艺优化与成本", "综合实训考核"]
UNCONFIGURED = ["企业文化与岗位实践", "结业考核"]
VENUE = ("黄埔实训基地（演示）", "广州市黄埔区科学大道1号实训楼3层")


def _utc(day: date, at: time) -> datetime:
    """A Shanghai wall-clock moment as naive UTC (how timestamps are stored)."""
    return datetime.combine(day, at, SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)


def _venue(session: Session, enterprise_id: int) -> Venue:
    venue = session.scalars(select(Venue).filter_by(enterprise_id=enterprise_id, name=VENUE[0])).first()
    if venue is None:
        venue = Venue(enterprise_id=enterprise_id, name=VENUE[0], address=VENUE[1], capacity=40,
                      note="演示数据：在训班的培训场地")
        session.add(venue)
        session.flush()
    return venue


def seed(session: Session) -> None:
    """Add the running class to ent_gz once (no-op when it exists or the demo accounts are missing)."""
    user = _actor(session, USERNAME)
    reviewer = _actor(session, DEMO[USERNAME][0])
    if user is None or reviewer is None or user.enterprise_id is None:
        return
    seq = DEMO[USERNAME][3]
    marker = _person_id(seq, FILING_SEQ, 3)
    if session.scalars(select(Trainee.id).join(Filing, Filing.id == Trainee.filing_id).where(
            Trainee.id_number == marker, Filing.enterprise_id == user.enterprise_id)).first() is not None:
        return
    ent = session.get(Enterprise, user.enterprise_id)
    day = today()
    start = day - timedelta(days=61)
    now = utcnow()
    institution_id = session.scalars(select(TrainingInstitution.id).filter_by(name=DEMO[USERNAME][1])).first()
    filing = Filing(programme=Programme.ENTERPRISE, apprenticeship_type=ApprenticeshipType.NEW_APPRENTICE,
                    enterprise_id=ent.id, city_code=ent.city_code, status=FilingStatus.DRAFT,
                    commitment_accepted=True, commitment_accepted_by_id=user.user_id, commitment_accepted_at=now,
                    institution_id=institution_id, contact_name=ent.contact_name or "李四",
                    contact_phone=ent.contact_phone or "13800138000")
    session.add(filing)
    cls = TrainingClass(occupation_code=DEMO[USERNAME][2], skill_level=4, start_date=start,
                        end_date=add_years(start, 1) - timedelta(days=1), hours=480,
                        planned_headcount=len(TRAINEES))
    filing.classes.append(cls)
    for i, (name, title) in enumerate(TEACHERS):
        filing.teachers.append(Teacher(name=name, id_number=_person_id(seq, FILING_SEQ, i + 1, teacher=True),
                                       phone="13902%06d" % (seq * 1000 + FILING_SEQ * 10 + i), kind="ENTERPRISE",
                                       title=title, certificate_no=f"GJJS{seq}{FILING_SEQ:02d}{i + 1:04d}"))
    for i, name in enumerate(TRAINEES):
        number = _person_id(seq, FILING_SEQ, i + 3)
        filing.trainees.append(Trainee(
            name=name, id_number=number, gender="M" if int(number[16]) % 2 else "F",
            birth_date=date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            phone="13703%06d" % (seq * 1000 + FILING_SEQ * 10 + i), education="SECONDARY_VOCATIONAL",
            contract_start=start - timedelta(days=30), contract_end=add_years(start, 3), hire_date=start,
            status=TraineeStatus.ACTIVE))
    for kind in TYPE_RULES[filing.apprenticeship_type].required_attachments:
        filing.attachments.append(Attachment(
            kind=kind, file_name=f"{AttachmentKind.label(kind)}.pdf", media_type="application/pdf",
            size=len(DEMO_PDF), sha256=hashlib.sha256(DEMO_PDF).hexdigest(), content=DEMO_PDF,
            uploaded_by_id=user.user_id))
    session.flush()
    audit.record(session, user, "create", filing, to_status=FilingStatus.DRAFT,
                 diff={"programme": filing.programme, "apprenticeship_type": filing.apprenticeship_type,
                       "commitment_accepted": True, "demo": True})
    _submit(session, user, filing)
    session.flush()
    _decide(session, reviewer, filing, "approve", FilingStatus.APPROVED, "材料齐全，同意备案。")

    venue = _venue(session, ent.id)
    teachers, trainees = filing.teachers, filing.trainees

    def course(name: str, when: date | None, teacher: Teacher) -> Course:
        configured = when is not None
        row = Course(name=name, mode="OFFLINE", hours=8, teacher_id=teacher.id,
                     start_date=when, end_date=when, start_time=time(9) if configured else None,
                     end_time=time(17) if configured else None, venue_id=venue.id if configured else None,
                     status=CourseStatus.CONFIGURED if configured else CourseStatus.UNCONFIGURED)
        cls.courses.append(row)
        return row

    # weekly past courses (the last one a week ago), today's, three to come, two not configured yet
    past = [course(name, day - timedelta(days=7 * (len(PAST_COURSES) - i)), teachers[i % 2])
            for i, name in enumerate(PAST_COURSES)]
    today_course = course("数控铣削实训（三）", day, teachers[0])
    for i, name in enumerate(FUTURE_COURSES):
        course(name, day + timedelta(days=7 * (i + 1)), teachers[(i + 1) % 2])
    for name in UNCONFIGURED:
        course(name, None, teachers[1])
    session.flush()

    records = []
    for c_index, c in enumerate(past):
        teacher = teachers[c_index % 2]
        records.append(Attendance(course_id=c.id, teacher_id=teacher.id, source=AttendanceSource.DEVICE,
                                  check_in=_utc(c.start_date, time(8, 45)), check_out=_utc(c.start_date, time(17, 5))))
        for t_index, trainee in enumerate(trainees):
            if c_index in MISSED.get(t_index, ()):
                continue
            check_in = _utc(c.start_date, time(8, 50 + t_index))
            records.append(Attendance(course_id=c.id, trainee_id=trainee.id, source=AttendanceSource.DEVICE,
                                      check_in=check_in, check_out=_utc(c.start_date, time(17, 2 + t_index))))
    # today's course: the teacher and the first trainees checked in this morning
    records.append(Attendance(course_id=today_course.id, teacher_id=teachers[0].id, source=AttendanceSource.DEVICE,
                              check_in=_utc(day, time(8, 40))))
    for t_index, trainee in enumerate(trainees[:4]):
        records.append(Attendance(course_id=today_course.id, trainee_id=trainee.id, source=AttendanceSource.DEVICE,
                                  check_in=_utc(day, time(8, 52 + t_index))))
    session.add_all(records)
    session.flush()

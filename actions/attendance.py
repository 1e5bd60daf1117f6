"""考勤 sources (R24, DESIGN §10 ``POST /api/v1/attendance/``): check-in devices and their keys, the batch recorder
both doors use (devices / the enterprise's JWT, and the course's QR check-in page 扫码签到), and the QR tokens.

The enterprise never writes attendance itself: it manages its devices (the key is shown once, only its SHA-256 is
kept) and opens the QR page of a configured course. ``record_check_ins`` checks every record on its own — the
course belongs to the enterprise (filing APPROVED, class NORMAL, course CONFIGURED), the person is an active
trainee (not lost) or an active teacher of the course's filing, the check-in lies inside the course's window
(any day of its period, from start time − 2 h to end time + 2 h, Asia/Shanghai) — with one query for the
courses, one for the persons and one bulk INSERT … ON CONFLICT DO NOTHING, so a repeat (also a concurrent one)
is stored once and counted as a duplicate.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from actions import audit
from core.clock import SHANGHAI, local_day_end_utc, local_day_start_utc, to_local
from core.errors import DomainError, FieldError, FieldInvalid, Forbidden, TransitionNotAllowed, ValidationFailed
from core.validators import normalize_id_number, normalize_text
from models.attendance import CheckInDevice, CheckInRole, CheckInSource
from models.base import utcnow
from models.enterprise import Enterprise
from models.enums import ClassStatus, CourseStatus, FilingStatus, TraineeStatus
from models.filing import Attendance, Course, Filing, Teacher, Trainee, TrainingClass
from models.scope import Actor, load_scoped, scoped_select

#: Most records one POST may carry (a larger body: 413).
MAX_RECORDS = 5000
#: R24: a check-in counts from this long before the course's daily start until this long after its end.
WINDOW_MARGIN = timedelta(hours=2)
#: QR tokens: a new one every ``QR_ROTATION`` seconds, each accepted for ``QR_VALIDITY`` seconds.
QR_ROTATION = 60
QR_VALIDITY = 120
QR_SALT = "attendance-qr"
#: Rows per INSERT statement (SQLite allows 32,766 bound values per statement).
INSERT_CHUNK = 1000

ENTERPRISE_ONLY = _l("考勤设备由企业用户管理；审核员和管理员只能查看")


class TooManyRecords(DomainError):
    """More than ``MAX_RECORDS`` records in one body."""

    status_code = 413


class DeviceKeyRefused(DomainError):
    """Unknown or revoked device key."""

    status_code = 401


class QrRefused(DomainError):
    """The QR check-in page refused (expired or forged token, stranger, wrong name)."""


# ---------------------------------------------------------------------------------------------------------
# Devices
# ---------------------------------------------------------------------------------------------------------


def hash_key(key: str) -> str:
    """The stored form of a device key: SHA-256 hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_device(session: Session, actor: Actor, name: Any) -> tuple[CheckInDevice, str]:
    """新增考勤设备 (R24): a device of the actor's enterprise and its key, returned ONCE (only the hash is kept).

    :raises Forbidden: not an enterprise user.
    :raises ValidationFailed: name missing or over 64 characters.
    """
    if not actor.is_enterprise:
        raise Forbidden(ENTERPRISE_ONLY)
    text = normalize_text(name) if isinstance(name, str) else None
    if not text:
        raise FieldInvalid("name", _l("请填写设备名称"))
    if len(text) > 64:
        raise FieldInvalid("name", _l("设备名称最多 64 个字"), text)
    key = secrets.token_urlsafe(32)
    device = CheckInDevice(enterprise_id=actor.enterprise_id, name=text, key_hash=hash_key(key), key_prefix=key[:6],
                           active=True, created_at=utcnow())
    session.add(device)
    session.flush()
    audit.record(session, actor, "create_device", device, diff={"row": text, "key_prefix": device.key_prefix},
                 city_code=_city_of(session, device.enterprise_id))
    return device, key


def revoke_device(session: Session, actor: Actor, pk: Any) -> CheckInDevice:
    """吊销考勤设备 (R24): its key is refused from now on; the row stays (records name it).

    :raises Forbidden: not an enterprise user.
    :raises NotFound: no such device of the actor's enterprise.
    :raises TransitionNotAllowed: already revoked.
    """
    if not actor.is_enterprise:
        raise Forbidden(ENTERPRISE_ONLY)
    device = load_scoped(session, CheckInDevice, pk, actor, for_update=True)
    if not device.active:
        raise TransitionNotAllowed(_l("该设备已吊销"))
    device.active = False
    device.revoked_at = utcnow()
    audit.record(session, actor, "revoke_device", device, from_status="ACTIVE", to_status="REVOKED",
                 diff={"row": device.name, "key_prefix": device.key_prefix},
                 city_code=_city_of(session, device.enterprise_id))
    return device


def device_for_key(session: Session, key: Optional[str]) -> Optional[CheckInDevice]:
    """The ACTIVE device whose key is ``key`` (hashes compared in constant time), or None."""
    if not key or not isinstance(key, str) or len(key) > 200:
        return None
    wanted = hash_key(key.strip())
    device = session.scalars(select(CheckInDevice).where(CheckInDevice.key_hash == wanted)).first()
    if device is None or not hmac.compare_digest(device.key_hash, wanted) or not device.active:
        return None
    return device


def device_actor(device: CheckInDevice, ip: Optional[str] = None) -> Actor:
    """Who a device's post is audited as (no user account)."""
    return Actor(None, f"考勤设备 {device.name} ({device.key_prefix}…)", None, device.enterprise_id, ip=ip)


def _city_of(session: Session, enterprise_id: int) -> Optional[str]:
    return session.scalar(select(Enterprise.city_code).where(Enterprise.id == enterprise_id))


# ---------------------------------------------------------------------------------------------------------
# The course window (R24)
# ---------------------------------------------------------------------------------------------------------


def window_of_day(course: Any, day: date) -> tuple[datetime, datetime]:
    """The check-in window of ``course`` on ``day`` as aware Asia/Shanghai datetimes (start − 2 h, end + 2 h)."""
    start = datetime.combine(day, course.start_time, SHANGHAI) - WINDOW_MARGIN
    end = datetime.combine(day, course.end_time, SHANGHAI) + WINDOW_MARGIN
    return start, end


def window_at(course: Any, moment: datetime) -> Optional[tuple[datetime, datetime]]:
    """The course's window containing ``moment`` (aware, or naive UTC), edges included; None when outside."""
    if None in (course.start_date, course.end_date, course.start_time, course.end_time):
        return None
    local = to_local(moment)
    for offset in (-1, 0, 1):  # a window may reach over midnight
        day = local.date() + timedelta(days=offset)
        if course.start_date <= day <= course.end_date:
            start, end = window_of_day(course, day)
            if start <= local <= end:
                return start, end
    return None


# ---------------------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------------------


def parse_moment(value: Any) -> datetime:
    """An ISO 8601 date-time WITH offset as naive UTC, whole seconds.

    :raises ValueError: with the Chinese reason.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and 0 < len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(str(_l("时间格式应为 ISO 8601 并带时区偏移，如 2027-03-01T08:30:00+08:00"))) from None
    else:
        raise ValueError(str(_l("时间格式应为 ISO 8601 并带时区偏移，如 2027-03-01T08:30:00+08:00")))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(str(_l("时间须带时区偏移（如 +08:00），不接受不带时区的时间")))
    return moment.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass
class _Record:
    index: int
    course_id: int
    id_number: str
    role: str
    check_in: datetime
    check_out: Optional[datetime]
    name: Optional[str] = None


def _read_record(index: int, raw: Any) -> _Record | str:
    """One body record cleaned, or the Chinese reason it is refused."""
    if not isinstance(raw, dict):
        return str(_l("记录应为 JSON 对象"))
    unknown = sorted(set(raw) - {"course_id", "id_number", "role", "check_in", "check_out", "name"})
    if unknown:
        return str(_l("不可提交的字段：%(f)s", f="、".join(unknown)[:200]))
    course_id = raw.get("course_id")
    if isinstance(course_id, bool) or not isinstance(course_id, (int, str)) or not str(course_id).isdecimal() \
            or len(str(course_id)) > 10:
        return str(_l("course_id（课程编号）应为整数"))
    number = normalize_id_number(raw.get("id_number")) if isinstance(raw.get("id_number"), str) else ""
    if len(number) != 18:
        return str(_l("id_number（身份证号码）应为 18 位"))
    role = raw.get("role")
    if role not in CheckInRole.codes():
        return str(_l("role 应为 TRAINEE（学员）或 TEACHER（教师）"))
    try:
        check_in = parse_moment(raw.get("check_in"))
    except ValueError as exc:
        return str(_l("check_in（签到时间）：%(m)s", m=str(exc)))
    check_out = None
    if raw.get("check_out") not in (None, ""):
        try:
            check_out = parse_moment(raw.get("check_out"))
        except ValueError as exc:
            return str(_l("check_out（签退时间）：%(m)s", m=str(exc)))
        if check_out < check_in:
            return str(_l("签退时间不能早于签到时间"))
    name = normalize_text(raw.get("name")) if isinstance(raw.get("name"), str) else None
    return _Record(index, int(course_id), number, role, check_in, check_out, name)


def _course_problem(row: Any, enterprise_id: int) -> Optional[str]:
    if row is None or row.enterprise_id != enterprise_id:
        return str(_l("课程不存在或不属于本单位"))
    if row.filing_status != FilingStatus.APPROVED:
        return str(_l("课程所属备案未审核通过，不能记录考勤"))
    if row.class_status != ClassStatus.NORMAL:
        return str(_l("课程所属培训班已注销，不能记录考勤"))
    if row.course.status != CourseStatus.CONFIGURED:
        return str(_l("课程尚未配置培训日期和时间（或已取消），不能记录考勤"))
    return None


def record_check_ins(session: Session, enterprise_id: int, records: Any, source: str,
                     device: Optional[CheckInDevice] = None, actor: Optional[Actor] = None) -> dict:
    """Store the check-ins of ``records`` (R24) for courses of ``enterprise_id``; each record is checked on its own.

    Answer ``{"accepted": n, "duplicates": n, "refused": [{"index", "message"}]}``; a repeat of a stored record (same
    course, person and check-in time — also inside the batch or from a concurrent post) is a duplicate. One audit
    event for the batch.

    :raises ValidationFailed: ``records`` is not a list.
    :raises TooManyRecords: more than ``MAX_RECORDS`` records.
    """
    if not isinstance(records, list):
        raise ValidationFailed([FieldError("records", _l("records 应为考勤记录的数组"))])
    if len(records) > MAX_RECORDS:
        raise TooManyRecords(_l("一次最多提交 %(n)d 条考勤记录（本次 %(m)d 条），请分批提交", n=MAX_RECORDS,
                                m=len(records)))
    refused: list[dict] = []
    cleaned: list[_Record] = []
    for index, raw in enumerate(records):
        item = _read_record(index, raw)
        if isinstance(item, str):
            refused.append({"index": index, "message": item})
        else:
            cleaned.append(item)

    courses = _load_courses(session, {r.course_id for r in cleaned})
    candidates: list[tuple[_Record, Any]] = []
    for record in cleaned:
        problem = _course_problem(courses.get(record.course_id), enterprise_id)
        if problem is None and window_at(courses[record.course_id].course, record.check_in) is None:
            problem = str(_l("签到时间不在课程的考勤时段内（培训日期内，开始时间前 2 小时至结束时间后 2 小时）"))
        if problem:
            refused.append({"index": record.index, "message": problem})
        else:
            candidates.append((record, courses[record.course_id]))

    persons = _load_persons(session, {row.filing_id for _, row in candidates}, {r.id_number for r, _ in candidates})
    rows: dict[tuple, dict] = {}
    in_batch_repeats = 0
    for record, course_row in candidates:
        person = persons.get((course_row.filing_id, record.role, record.id_number))
        problem = _person_problem(person, record)
        if problem:
            refused.append({"index": record.index, "message": problem})
            continue
        key = (record.course_id, record.role, person.id, record.check_in)
        if key in rows:
            in_batch_repeats += 1
            continue
        rows[key] = {"course_id": record.course_id,
                     "trainee_id": person.id if record.role == CheckInRole.TRAINEE else None,
                     "teacher_id": person.id if record.role == CheckInRole.TEACHER else None,
                     "check_in": record.check_in, "check_out": record.check_out, "source": source,
                     "device_id": device.id if device is not None else None, "created_at": utcnow()}

    accepted = insert_ignoring_repeats(session, list(rows.values()))
    refused.sort(key=lambda item: item["index"])
    result = {"accepted": accepted, "duplicates": len(rows) - accepted + in_batch_repeats, "refused": refused}
    if device is not None:
        device.last_seen_at = utcnow()
    _audit_batch(session, actor, enterprise_id, source, device, result, len(records))
    return result


def _load_courses(session: Session, ids: set[int]) -> dict[int, Any]:
    """The courses of ``ids`` with their filing's enterprise and status and their class's status: one query."""
    if not ids:
        return {}
    stmt = (select(Course, Filing.id.label("filing_id"), Filing.enterprise_id, Filing.status.label("filing_status"),
                   TrainingClass.status.label("class_status"))
            .join(TrainingClass, TrainingClass.id == Course.training_class_id)
            .join(Filing, Filing.id == TrainingClass.filing_id)
            .where(Course.id.in_(sorted(ids))))
    return {row.Course.id: _CourseRow(row.Course, row.filing_id, row.enterprise_id, row.filing_status,
                                      row.class_status) for row in session.execute(stmt)}


@dataclass
class _CourseRow:
    course: Course
    filing_id: int
    enterprise_id: int
    filing_status: str
    class_status: str


@dataclass
class _Person:
    id: int
    name: str
    ok: bool  # an ACTIVE trainee / an active teacher


def _load_persons(session: Session, filing_ids: set[int], numbers: set[str]) -> dict[tuple, _Person]:
    """(filing_id, role, id_number) → the trainee or teacher of those filings: one query (UNION ALL)."""
    if not filing_ids or not numbers:
        return {}
    filings, wanted = sorted(filing_ids), sorted(numbers)
    trainees = select(literal(CheckInRole.TRAINEE).label("role"), Trainee.id, Trainee.filing_id, Trainee.id_number,
                      Trainee.name, (Trainee.status == TraineeStatus.ACTIVE).label("ok")) \
        .where(Trainee.filing_id.in_(filings), Trainee.id_number.in_(wanted))
    teachers = select(literal(CheckInRole.TEACHER).label("role"), Teacher.id, Teacher.filing_id, Teacher.id_number,
                      Teacher.name, Teacher.active.label("ok")) \
        .where(Teacher.filing_id.in_(filings), Teacher.id_number.in_(wanted))
    out: dict[tuple, _Person] = {}
    for row in session.execute(union_all(trainees, teachers)):
        key = (row.filing_id, row.role, row.id_number)
        if key not in out or (row.ok and not out[key].ok):  # a teacher listed twice: the active entry counts
            out[key] = _Person(row.id, row.name, bool(row.ok))
    return out


def _person_problem(person: Optional[_Person], record: _Record) -> Optional[str]:
    trainee = record.role == CheckInRole.TRAINEE
    if person is None:
        return str(_l("该人员不是本课程所属培训班的学员") if trainee else _l("该人员不是本课程所属备案的教师"))
    if not person.ok:
        return str(_l("该学员已流失，不能签到") if trainee else _l("该教师尚未生效或已停用，不能签到"))
    if record.name is not None and record.name != person.name:
        return str(_l("姓名与身份证号码不匹配"))
    return None


def insert_ignoring_repeats(session: Session, rows: list[dict]) -> int:
    """INSERT … ON CONFLICT DO NOTHING of attendance rows (both databases); the number actually inserted."""
    if not rows:
        return 0
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = 0
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = insert(Attendance).values(rows[start:start + INSERT_CHUNK]).on_conflict_do_nothing() \
            .returning(Attendance.id)
        inserted += len(session.execute(stmt).all())
    return inserted


def _audit_batch(session: Session, actor: Optional[Actor], enterprise_id: int, source: str,
                 device: Optional[CheckInDevice], result: dict, total: int) -> None:
    actor = actor or (device_actor(device) if device is not None else Actor(None, "system", None, enterprise_id))
    entity = device if device is not None else session.get(Enterprise, enterprise_id)
    diff = {"source": source, "records": total, "accepted": result["accepted"],
            "duplicates": result["duplicates"], "refused": len(result["refused"])}
    if device is not None:
        diff.update(device_id=device.id, key_prefix=device.key_prefix)
    audit.record(session, actor, "record_check_ins", entity, diff=diff, enterprise_id=enterprise_id,
                 city_code=_city_of(session, enterprise_id))


# ---------------------------------------------------------------------------------------------------------
# 扫码签到: signed, rotating QR tokens
# ---------------------------------------------------------------------------------------------------------


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=QR_SALT)


def qr_course(session: Session, actor: Actor, course_id: Any) -> Course:
    """The course whose QR page the enterprise opens: its own, filing APPROVED, class NORMAL, course CONFIGURED.

    :raises Forbidden: not an enterprise user.
    :raises NotFound: no such course of the enterprise.
    :raises DomainError: not in a state to take check-ins.
    """
    if not actor.is_enterprise:
        raise Forbidden(_l("扫码签到由企业用户发起"))
    course = load_scoped(session, Course, course_id, actor)
    cls = course.training_class
    row = _CourseRow(course, cls.filing_id, cls.filing.enterprise_id, cls.filing.status, cls.status)
    problem = _course_problem(row, actor.enterprise_id)
    if problem:
        raise DomainError(problem)
    return course


def issue_qr_token(secret: str, course: Course, now: Optional[datetime] = None) -> Optional[dict]:
    """The current QR token of ``course`` (one per ``QR_ROTATION`` seconds), or None outside the course window.

    ``{"token", "issued_at", "expires_at", "window": (start, end)}`` with aware datetimes.
    """
    now = now or datetime.now(timezone.utc)
    epoch = int(now.timestamp()) // QR_ROTATION * QR_ROTATION
    issued = datetime.fromtimestamp(epoch, timezone.utc)
    window = window_at(course, now)
    if window is None or window_at(course, issued) is None:
        return None
    token = _serializer(secret).dumps({"c": course.id, "t": epoch})
    return {"token": token, "issued_at": issued, "expires_at": issued + timedelta(seconds=QR_VALIDITY),
            "window": window}


def read_qr_token(secret: str, token: str, now: Optional[datetime] = None) -> tuple[int, datetime]:
    """(course id, issue time as aware UTC) of a genuine QR token not older than ``QR_VALIDITY`` seconds.

    :raises QrRefused: forged, malformed or expired.
    """
    now = now or datetime.now(timezone.utc)
    try:
        data = _serializer(secret).loads(token or "")
        course_id, epoch = int(data["c"]), int(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise QrRefused(_l("二维码无效，请扫描培训现场的签到二维码")) from None
    age = now.timestamp() - epoch
    if not -5 <= age <= QR_VALIDITY:
        raise QrRefused(_l("二维码已过期，请重新扫描培训现场的签到二维码"))
    return course_id, datetime.fromtimestamp(epoch, timezone.utc)


def qr_check_in(session: Session, secret: str, token: str, name: Any, id_number: Any,
                ip: Optional[str] = None, now: Optional[datetime] = None) -> dict:
    """扫码签到 (R24): the person (name + ID number) checks in to the token's course, source QR; the check-in time is
    the token's issue time, so the same token used twice by one person is stored once. A person already checked in
    to the course that day gets 已签到 too.

    Answer ``{"status": "ACCEPTED" | "ALREADY", "message", "course": Course, "name"}``.

    :raises QrRefused: bad or expired token, missing name / ID number, stranger, name not matching.
    """
    course_id, issued = read_qr_token(secret, token, now)
    person_name = normalize_text(name) if isinstance(name, str) else None
    number = normalize_id_number(id_number) if isinstance(id_number, str) else ""
    errors = []
    if not person_name:
        errors.append(FieldError("name", _l("请填写姓名")))
    if len(number) != 18:
        errors.append(FieldError("id_number", _l("请填写 18 位身份证号码"), id_number))
    if errors:
        raise ValidationFailed(errors)
    course = session.get(Course, course_id)
    if course is None:
        raise QrRefused(_l("二维码无效，请扫描培训现场的签到二维码"))
    filing = course.training_class.filing
    role = _role_in_filing(session, filing.id, number)
    if role is None:
        raise QrRefused(_l("您不在本课程所属培训班的名单中，不能签到"))
    person_column = Attendance.trainee_id if role == CheckInRole.TRAINEE else Attendance.teacher_id
    person_model = Trainee if role == CheckInRole.TRAINEE else Teacher
    day = to_local(issued).date()
    already = session.scalar(
        select(func.count()).select_from(Attendance)
        .join(person_model, person_model.id == person_column)
        .where(Attendance.course_id == course.id, person_model.id_number == number,
               person_model.filing_id == filing.id, Attendance.check_in >= local_day_start_utc(day),
               Attendance.check_in < local_day_end_utc(day)))
    actor = Actor(None, "扫码签到", None, filing.enterprise_id, ip=ip)
    if already:
        return {"status": "ALREADY", "message": _l("已签到（今天已记录过本课程的签到）"), "course": course,
                "name": person_name}
    result = record_check_ins(session, filing.enterprise_id,
                              [{"course_id": course.id, "id_number": number, "role": role, "name": person_name,
                                "check_in": issued.isoformat()}], CheckInSource.QR, actor=actor)
    if result["refused"]:
        raise QrRefused(result["refused"][0]["message"])
    if result["accepted"]:
        return {"status": "ACCEPTED", "message": _l("签到成功"), "course": course, "name": person_name}
    return {"status": "ALREADY", "message": _l("已签到（今天已记录过本课程的签到）"), "course": course,
            "name": person_name}


def _role_in_filing(session: Session, filing_id: int, number: str) -> Optional[str]:
    """TRAINEE when the ID number is a trainee of the filing (even a lost one: refused later with its reason),
    TEACHER when it is only a teacher, None for a stranger."""
    if session.scalar(select(Trainee.id).where(Trainee.filing_id == filing_id, Trainee.id_number == number)):
        return CheckInRole.TRAINEE
    if session.scalar(select(Teacher.id).where(Teacher.filing_id == filing_id, Teacher.id_number == number)):
        return CheckInRole.TEACHER
    return None


def device_rows(session: Session, actor: Actor) -> list[CheckInDevice]:
    """The devices the actor sees (its enterprise's; a reviewer its city's), newest first."""
    return list(session.scalars(scoped_select(CheckInDevice, actor).order_by(CheckInDevice.id.desc())))



def qr_courses(session: Session, actor: Actor, today_: date) -> list[Course]:
    """The enterprise's courses that can take QR check-ins from ``today_`` on: CONFIGURED, class NORMAL, filing
    APPROVED, not yet ended; by start date."""
    if not actor.is_enterprise:
        return []
    stmt = (scoped_select(Course, actor)
            .join(TrainingClass, TrainingClass.id == Course.training_class_id)
            .join(Filing, Filing.id == TrainingClass.filing_id)
            .where(Course.status == CourseStatus.CONFIGURED, TrainingClass.status == ClassStatus.NORMAL,
                   Filing.status == FilingStatus.APPROVED, Course.end_date >= today_)
            .order_by(Course.start_date, Course.start_time, Course.id).limit(200))
    return list(session.scalars(stmt))

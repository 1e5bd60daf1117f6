"""备案变更申请 (manual §3.2.1.4 / §3.2.2.4): what may change on an APPROVED filing, and how.

- 开班信息变更 (R15): a class's start/end dates, at most 3 times, until the 5th working day before the current start
  (R19, ``actions.calendar``); filed at once as an APPLIED ``CLASS_DATES`` change request with before/after.
- 课程信息配置 (R16): a course's dates, daily times and venue, until the day before its (or its class's) start;
  the course table's ``configure`` row (UNCONFIGURED/CONFIGURED → CONFIGURED).
- 师资信息变更 (R17): one open ``TEACHER`` change request per filing — new teachers (inactive until approved) and
  swaps of a course's teacher — reviewed by the city; approval applies every item at once.
The state changes run on the transition tables (actions/transitions.py); the functions here are their guards and
effects, each citing its rule.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from sqlalchemy import select

from actions import audit, filings
from actions.calendar import change_deadline
from core.cleaning import Cleaner
from core.clock import today
from core.errors import FieldError, Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from models.base import utcnow
from models.enums import ChangeRequestKind, ChangeRequestStatus, ClassStatus, CourseMode, CourseStatus, FilingStatus
from models.filing import ChangeRequest, Course, Filing, Teacher, TrainingClass
from models.scope import Actor, load_scoped

#: R15: a class's dates may be changed at most this many times.
MAX_DATE_CHANGES = 3


def _refuse(field: str, message: Any, value: Any = None) -> None:
    raise ValidationFailed([FieldError(field, message, value)])


def lock_filing_of_class(session: Session, actor: Actor, training_class: TrainingClass) -> None:
    """A class's change locks its filing first and re-checks it under the lock (a child's edit, DESIGN §7)."""
    load_scoped(session, Filing, training_class.filing_id, actor, for_update=True)


def require_approved(filing: Filing) -> None:
    """Changes after approval act on APPROVED filings only.

    :raises TransitionNotAllowed: the filing is not (or no longer) APPROVED.
    """
    if filing.status != FilingStatus.APPROVED:
        raise TransitionNotAllowed(_l("只有审核通过的备案才能办理备案变更"))


# ---------------------------------------------------------------------------------------------------------
# R15 开班信息变更
# ---------------------------------------------------------------------------------------------------------


def date_change_status(session: Session, training_class: TrainingClass) -> dict[str, Any]:
    """What the screen shows before the user tries (R15): ``{"deadline", "provisional", "remaining_changes",
    "open"}`` — open while changes remain and today is not past the deadline."""
    deadline, provisional = change_deadline(session, training_class.start_date)
    remaining = max(0, MAX_DATE_CHANGES - (training_class.date_change_count or 0))
    return {"deadline": deadline, "provisional": provisional, "remaining_changes": remaining,
            "open": remaining > 0 and today() <= deadline}


def change_dates_guard(session: Session, actor: Actor, training_class: TrainingClass, values: dict) -> None:
    """R15: filing APPROVED, changes left, today ≤ the deadline, the new period starts after today, differs from
    the current one and obeys R10.

    :raises TransitionNotAllowed: the filing is not APPROVED.
    :raises ValidationFailed: the rule that refuses, named by field.
    """
    require_approved(training_class.filing)
    status = date_change_status(session, training_class)
    if status["remaining_changes"] == 0:
        _refuse("start_date", _l("该培训班的开班日期已变更%(n)d次，不能再变更", n=MAX_DATE_CHANGES))
    if today() > status["deadline"]:
        _refuse("start_date", _l("已超过变更期限：须在开班前第5个工作日（%(day)s）前办理%(note)s",
                                 day=status["deadline"].isoformat(),
                                 note=_l("（暂按周一至周五计算）") if status["provisional"] else ""))
    start, end = values["start_date"], values["end_date"]
    if start <= today():
        _refuse("start_date", _l("新的培训开始日期须晚于今天"), start)
    if (start, end) == (training_class.start_date, training_class.end_date):
        _refuse("start_date", _l("开班日期未变化"), start)
    problems = filings.period_problems(filings.rules_for(training_class.filing), start, end,
                                       training_class.extension_reason)
    if problems:
        raise ValidationFailed([FieldError(key, message, value) for key, message, value in problems])


def change_dates_effect(session: Session, actor: Actor, training_class: TrainingClass, values: dict) -> dict:
    """R15: new dates applied and counted, filed as an APPLIED ``CLASS_DATES`` change request; R9 re-checked for
    the new period under the person locks (nobody may end up in two overlapping active filings)."""
    filing = training_class.filing
    before = {"start_date": training_class.start_date.isoformat(), "end_date": training_class.end_date.isoformat()}
    training_class.start_date, training_class.end_date = values["start_date"], values["end_date"]
    training_class.date_change_count = (training_class.date_change_count or 0) + 1
    filings.lock_persons(session, filings.active_id_numbers(session, filing))
    conflicts = filings.conflicting_id_numbers(session, filing)
    if conflicts:
        names = "、".join(t.name for t in filing.trainees if t.id_number in conflicts)
        _refuse("start_date", _l("变更后的培训期间与以下人员的其他在训备案重叠（R9）：%(names)s", names=names))
    after = {"start_date": values["start_date"].isoformat(), "end_date": values["end_date"].isoformat()}
    session.add(ChangeRequest(filing_id=filing.id, training_class_id=training_class.id,
                              kind=ChangeRequestKind.CLASS_DATES, status=ChangeRequestStatus.APPLIED,
                              before=before, after=after, reason=values.get("reason"), submitted_at=utcnow()))
    return {"changes": {key: [before[key], after[key]] for key in before if before[key] != after[key]},
            "row": filings.row_name(training_class), "date_change_count": training_class.date_change_count}


def change_history(session: Session, actor: Actor, filing_id: Any) -> list[ChangeRequest]:
    """查看变更内容: every change request of a filing in scope, newest first."""
    filing = load_scoped(session, Filing, filing_id, actor)
    return list(session.scalars(select(ChangeRequest).where(ChangeRequest.filing_id == filing.id)
                                .order_by(ChangeRequest.id.desc())))



# ---------------------------------------------------------------------------------------------------------
# R18 注销培训班
# ---------------------------------------------------------------------------------------------------------


def cancel_class_guard(session: Session, actor: Actor, training_class: TrainingClass, values: dict) -> None:
    """R18: only a class of an APPROVED filing.

    :raises TransitionNotAllowed: the filing is not APPROVED.
    """
    require_approved(training_class.filing)


def cancel_class_effect(session: Session, actor: Actor, training_class: TrainingClass, values: dict) -> dict:
    """R18: the reason is kept; the class's courses not yet started are CANCELLED; its trainees stop counting for R9
    at once (R9 only counts NORMAL classes); the filing is closed (CANCELLED) with its last class."""
    from actions.workflow import run

    training_class.cancel_reason = values["reason"]
    cancelled = []
    for course in training_class.courses:
        if course.status != CourseStatus.CANCELLED and (course.start_date is None or course.start_date > today()):
            course.status = CourseStatus.CANCELLED
            cancelled.append(course.name)
    filing = training_class.filing
    if all(c.status == ClassStatus.CANCELLED for c in filing.classes):
        session.flush()
        run(session, actor, "filing", "close", filing.id)
    return {"row": filings.row_name(training_class), "cancelled_courses": cancelled}


def close_filing_guard(session: Session, actor: Actor, filing: Filing, values: dict) -> None:
    """The filing is closed only when every class of it is cancelled (run by 注销培训班, never by a user).

    :raises TransitionNotAllowed: a class is still running.
    """
    if any(c.status != ClassStatus.CANCELLED for c in filing.classes):
        raise TransitionNotAllowed(_l("备案还有未注销的培训班"))


# ---------------------------------------------------------------------------------------------------------
# R16 课程信息配置
# ---------------------------------------------------------------------------------------------------------


def lock_filing_of_course(session: Session, actor: Actor, course: Course) -> None:
    """A course's configuration locks its filing first (a child's change re-checks the parent under the lock)."""
    load_scoped(session, Filing, course.training_class.filing_id, actor, for_update=True)


def configure_deadline(course: Course) -> date:
    """R16: the last day a course may be (re)configured — the day before its current start, or, not configured
    yet, the day before its class starts."""
    return (course.start_date or course.training_class.start_date) - timedelta(days=1)


def configure_guard(session: Session, actor: Actor, course: Course, values: dict) -> None:
    """R16: filing APPROVED, class NORMAL, today ≤ the day before the current start; the new dates start after
    today, inside the class period, end ≥ start; the daily end after the start; a venue of the enterprise,
    required for 线下培训. The teacher is not changed here (R17).

    :raises TransitionNotAllowed: the filing is not APPROVED or the class is cancelled.
    :raises ValidationFailed: each problem named by field.
    """
    from models.enterprise import Venue

    training_class = course.training_class
    require_approved(training_class.filing)
    if training_class.status != ClassStatus.NORMAL:
        raise TransitionNotAllowed(_l("培训班已注销，不能配置课程"))
    deadline = configure_deadline(course)
    if today() > deadline:
        _refuse("start_date", _l("课程信息只能在培训日期前一天（%(day)s）及以前配置", day=deadline.isoformat()))
    errors: list[FieldError] = []
    start, end = values["start_date"], values["end_date"]
    if start <= today():
        errors.append(FieldError("start_date", _l("课程开始日期须晚于今天"), start))
    if end < start:
        errors.append(FieldError("end_date", _l("课程结束日期不能早于开始日期"), end))
    if start < training_class.start_date or end > training_class.end_date:
        errors.append(FieldError("start_date", _l("课程日期须在培训班期间（%(s)s 至 %(e)s）内",
                                                  s=training_class.start_date.isoformat(),
                                                  e=training_class.end_date.isoformat()), start))
    if values["end_time"] <= values["start_time"]:
        errors.append(FieldError("end_time", _l("结束时间须晚于开始时间"), values["end_time"]))
    venue_id = values.get("venue_id")
    if venue_id is None:
        if course.mode == CourseMode.OFFLINE:
            errors.append(FieldError("venue_id", _l("线下培训须选择培训场地")))
    else:
        venue = session.get(Venue, venue_id)
        if venue is None or venue.enterprise_id != training_class.filing.enterprise_id:
            errors.append(FieldError("venue_id", _l("请选择本单位的培训场地（可在“培训场地维护”中新增）"), venue_id))
    if errors:
        raise ValidationFailed(errors)


def configure_effect(session: Session, actor: Actor, course: Course, values: dict) -> dict:
    """The course takes its dates, daily times and venue; the diff is audited."""
    names = ("start_date", "end_date", "start_time", "end_time", "venue_id")
    before = audit.snapshot(course, names)
    for name in names:
        setattr(course, name, values.get(name))
    return audit.changes(before, audit.snapshot(course, names), course.name) or {"row": course.name}


# ---------------------------------------------------------------------------------------------------------
# R17 师资信息变更: one open TEACHER change request per filing; new teachers and swaps; city review
# ---------------------------------------------------------------------------------------------------------

OPEN_STATES = (ChangeRequestStatus.DRAFT, ChangeRequestStatus.SUBMITTED, ChangeRequestStatus.RETURNED)
EDITABLE_STATES = (ChangeRequestStatus.DRAFT, ChangeRequestStatus.RETURNED)


def _require_enterprise(actor: Actor) -> None:
    if not actor.is_enterprise:
        raise Forbidden(_l("只有企业用户可以办理备案变更"))


def open_teacher_change(session: Session, actor: Actor, filing_id: Any) -> ChangeRequest:
    """【师资信息变更】: the filing's open TEACHER change request, created (DRAFT) when there is none (R17: one at a
    time). The filing row is locked first, so two clicks at once still make one.

    :raises Forbidden / NotFound / TransitionNotAllowed: not an enterprise user / not its filing / not APPROVED.
    """
    _require_enterprise(actor)
    filing = load_scoped(session, Filing, filing_id, actor, for_update=True)
    require_approved(filing)
    existing = session.scalars(select(ChangeRequest).where(
        ChangeRequest.filing_id == filing.id, ChangeRequest.kind == ChangeRequestKind.TEACHER,
        ChangeRequest.status.in_(OPEN_STATES))).first()
    if existing is not None:
        return existing
    request = ChangeRequest(filing_id=filing.id, kind=ChangeRequestKind.TEACHER, status=ChangeRequestStatus.DRAFT,
                            before={"swaps": []}, after={"swaps": []})
    session.add(request)
    audit.record(session, actor, "create", request, to_status=ChangeRequestStatus.DRAFT,
                 enterprise_id=filing.enterprise_id, city_code=filing.city_code, filing_id=filing.id)
    return request


def load_editable_request(session: Session, actor: Actor, request_id: Any) -> ChangeRequest:
    """A TEACHER change request the enterprise may still edit (DRAFT/RETURNED), its filing locked and APPROVED.

    :raises Forbidden / NotFound / TransitionNotAllowed.
    """
    _require_enterprise(actor)
    request = load_scoped(session, ChangeRequest, request_id, actor)
    load_scoped(session, Filing, request.filing_id, actor, for_update=True)
    request = load_scoped(session, ChangeRequest, request.id, actor, for_update=True)
    if request.kind != ChangeRequestKind.TEACHER:
        raise NotFound()
    require_approved(request.filing)
    if request.status not in EDITABLE_STATES:
        raise TransitionNotAllowed(_l("变更申请已提交或已审核，当前不能修改"))
    return request


def pending_teachers(session: Session, request: ChangeRequest) -> list[Teacher]:
    return list(session.scalars(select(Teacher).where(Teacher.change_request_id == request.id)
                                .order_by(Teacher.id)))


def add_new_teacher(session: Session, actor: Actor, request_id: Any, data: dict) -> Teacher:
    """师资信息 tab of a change request: a new teacher, inactive until the city approves (R17).

    :raises ValidationFailed: the teacher's fields (the same rules as the filing's 师资 tab).
    """
    request = load_editable_request(session, actor, request_id)
    filing = request.filing
    values = filings.clean_teacher(session, filing, data)
    teacher = Teacher(filing_id=filing.id, change_request_id=request.id, active=False, **values)
    session.add(teacher)
    session.flush()
    audit.record_edit(session, actor, "create", teacher, {}, audit.snapshot(teacher, values),
                      row_name=teacher.name, filing=filing)
    return teacher


def remove_new_teacher(session: Session, actor: Actor, teacher_id: Any) -> None:
    """Take a not-yet-approved teacher out of its change request (and any swap to it)."""
    teacher = load_scoped(session, Teacher, teacher_id, actor)
    if teacher.change_request_id is None or teacher.active:
        raise TransitionNotAllowed(_l("只能删除本次变更申请中新增、尚未生效的师资"))
    request = load_editable_request(session, actor, teacher.change_request_id)
    swaps = [s for s in _swaps(request) if s["teacher_id"] != teacher.id]
    request.after = {**(request.after or {}), "swaps": swaps}
    audit.record_edit(session, actor, "delete", teacher, audit.snapshot(teacher, ("name", "id_number", "kind")), {},
                      row_name=teacher.name, filing=request.filing)
    session.delete(teacher)
    session.flush()


def _swaps(request: ChangeRequest) -> list[dict]:
    return list((request.after or {}).get("swaps") or [])


def swap_teacher(session: Session, actor: Actor, request_id: Any, course_id: Any, teacher_id: Any) -> ChangeRequest:
    """【变更培训教师】: the course of this filing gets another teacher once the request is approved (R17) — an
    active teacher of the filing or a new one of this request; one swap per course (a later choice replaces it).

    :raises ValidationFailed: course or teacher not of this filing, the same teacher, a cancelled course.
    """
    request = load_editable_request(session, actor, request_id)
    filing = request.filing
    clean = Cleaner({"course_id": course_id, "teacher_id": teacher_id})
    course_pk = clean.integer("course_id", _l("培训课程"), required=True)
    teacher_pk = clean.integer("teacher_id", _l("新授课教师"), required=True, select=True)
    clean.finish()
    course = session.scalars(select(Course).join(TrainingClass).where(
        Course.id == course_pk, TrainingClass.filing_id == filing.id)).first()
    if course is None or course.status == CourseStatus.CANCELLED:
        _refuse("course_id", _l("请选择本备案未取消的培训课程"), course_id)
    teacher = session.scalars(select(Teacher).where(Teacher.id == teacher_pk, Teacher.filing_id == filing.id)).first()
    if teacher is None or not (teacher.active or teacher.change_request_id == request.id):
        _refuse("teacher_id", _l("新授课教师须为本备案的师资，或本次变更申请中新增的师资"), teacher_id)
    if teacher.id == course.teacher_id:
        _refuse("teacher_id", _l("所选教师已是该课程的授课教师"), teacher_id)
    swaps = [s for s in _swaps(request) if s["course_id"] != course.id]
    swaps.append({"course_id": course.id, "from_teacher_id": course.teacher_id, "teacher_id": teacher.id})
    request.after = {**(request.after or {}), "swaps": swaps}
    audit.record(session, actor, "swap", request, diff={"changes": {"teacher_id": [course.teacher_id, teacher.id]},
                                                         "row": course.name},
                 enterprise_id=filing.enterprise_id, city_code=filing.city_code, filing_id=filing.id)
    return request


def save_reason(session: Session, actor: Actor, request_id: Any, reason: Any) -> ChangeRequest:
    """师资变更原因 (required before submitting, R17)."""
    request = load_editable_request(session, actor, request_id)
    clean = Cleaner({"reason": reason})
    text = clean.text("reason", _l("师资变更原因"), max_len=1000)
    clean.finish()
    before = request.reason
    request.reason = text
    audit.record_edit(session, actor, "update", request, {"reason": before}, {"reason": text},
                      row_name=ChangeRequestKind.label(request.kind), filing=request.filing)
    return request


def submit_change_guard(session: Session, actor: Actor, request: ChangeRequest, values: dict) -> None:
    """提交: the filing still APPROVED, a reason, and at least one new teacher or swap (R17).

    :raises ValidationFailed: what is missing, named.
    """
    require_approved(request.filing)
    errors = []
    if not request.reason:
        errors.append(FieldError("reason", _l("请填写师资变更原因")))
    if not _swaps(request) and not pending_teachers(session, request):
        errors.append(FieldError("swaps", _l("请至少新增一名师资或变更一门课程的授课教师")))
    if errors:
        raise ValidationFailed(errors)


def lock_request_for_decision(session: Session, actor: Actor, request_id: Any) -> ChangeRequest:
    """The reviewer's decision locks the request's filing and the request (city scope, not a draft)."""
    request = load_scoped(session, ChangeRequest, request_id, actor)
    load_scoped(session, Filing, request.filing_id, actor, for_update=True)
    return load_scoped(session, ChangeRequest, request.id, actor, for_update=True)


def approve_change_effect(session: Session, actor: Actor, request: ChangeRequest, values: dict) -> dict:
    """审核通过: every item at once (R17) — the new teachers become active, each swap is applied; a swap whose
    course or teacher is gone meanwhile fails the whole approval (nothing applied)."""
    require_approved(request.filing)
    changes_made = []
    for teacher in pending_teachers(session, request):
        teacher.active = True
        teacher.change_request_id = None
        changes_made.append({"entity": "teacher", "entity_id": teacher.id, "field": "active", "before": False,
                             "after": True})
    for swap in _swaps(request):
        course = session.get(Course, swap["course_id"])
        teacher = session.get(Teacher, swap["teacher_id"])
        if course is None or teacher is None or not teacher.active or course.status == CourseStatus.CANCELLED:
            _refuse("swaps", _l("变更项已失效（课程或教师已不存在），请退回企业重新办理"))
        changes_made.append({"entity": "course", "entity_id": course.id, "field": "teacher_id",
                             "before": course.teacher_id, "after": teacher.id})
        course.teacher_id = teacher.id
    request.reviewed_at = utcnow()
    request.reviewed_by_id = actor.user_id
    request.review_opinion = values.get("opinion")
    request.before = {**(request.before or {}), "applied": changes_made}
    return {"changes": {f"{c['entity']}#{c['entity_id']}.{c['field']}": [c["before"], c["after"]]
                        for c in changes_made}}


def return_change_effect(session: Session, actor: Actor, request: ChangeRequest, values: dict) -> None:
    request.reviewed_at = utcnow()
    request.reviewed_by_id = actor.user_id
    request.review_opinion = values["opinion"]


def submit_change_effect(session: Session, actor: Actor, request: ChangeRequest, values: dict) -> None:
    request.submitted_at = utcnow()


def delete_change_effect(session: Session, actor: Actor, request: ChangeRequest, values: dict) -> dict:
    """删除: the request's pending teachers go with it."""
    names = [t.name for t in pending_teachers(session, request)]
    for teacher in pending_teachers(session, request):
        session.delete(teacher)
    return {"teachers": names, "swaps": len(_swaps(request))}


def change_items(session: Session, request: ChangeRequest) -> list[dict]:
    """查看变更内容 / the API's ``changes``: each item with before/after (``entity, entity_id, field, before,
    after``) — dates for CLASS_DATES; new teachers and swaps for TEACHER (applied values once approved)."""
    if request.kind == ChangeRequestKind.CLASS_DATES:
        before, after = request.before or {}, request.after or {}
        return [{"entity": "training_class", "entity_id": request.training_class_id, "field": key,
                 "before": before.get(key), "after": after.get(key)} for key in ("start_date", "end_date")
                if before.get(key) != after.get(key)]
    if request.status == ChangeRequestStatus.APPROVED:
        return list((request.before or {}).get("applied") or [])
    items = [{"entity": "teacher", "entity_id": t.id, "field": "active", "before": False, "after": True}
             for t in pending_teachers(session, request)]
    items += [{"entity": "course", "entity_id": s["course_id"], "field": "teacher_id",
               "before": s["from_teacher_id"], "after": s["teacher_id"]} for s in _swaps(request)]
    return items

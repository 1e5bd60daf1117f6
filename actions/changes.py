"""备案变更申请 (manual §3.2.1.4 / §3.2.2.4): what may change on an APPROVED filing, and how.

- 开班信息变更 (R15): a class's start/end dates, at most 3 times, until the 5th working day before the current start
  (R19, ``actions.calendar``); filed at once as an APPLIED ``CLASS_DATES`` change request with before/after.
- 课程信息配置 (R16): a course's dates, daily times and venue, until the day before its (or its class's) start.
- 师资信息变更 (R17): one open ``TEACHER`` change request per filing — new teachers (inactive until approved) and
  swaps of a course's teacher — reviewed by the city; approval applies every item at once.
The state changes run on the transition tables (actions/transitions.py); the functions here are their guards and
effects, each citing its rule.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions import filings
from actions.calendar import change_deadline
from core.clock import today
from core.errors import FieldError, TransitionNotAllowed, ValidationFailed
from models.base import utcnow
from models.enums import ChangeRequestKind, ChangeRequestStatus, FilingStatus
from models.filing import ChangeRequest, Filing, TrainingClass
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
    from sqlalchemy import select

    filing = load_scoped(session, Filing, filing_id, actor)
    return list(session.scalars(select(ChangeRequest).where(ChangeRequest.filing_id == filing.id)
                                .order_by(ChangeRequest.id.desc())))


"""The transition runner (actions/workflow.py) over every row of every transition table × role × scope × state.

The cases are generated from the tables themselves (``actions.transitions``): a new row is covered without a new
test. Expected answer, in the runner's order: a role that may not run the row → 403; a row outside the actor's
scope → 404; a state the row does not start from (or a parent in the wrong state) → 409; otherwise the status
becomes the row's target (or the row is gone), timestamps are set and one AuditEvent records from/to.
"""
from __future__ import annotations

import itertools
from datetime import date

import pytest
from sqlalchemy import func, select

from actions import review
from actions import changes
from actions.transitions import CHANGE_REQUEST, COURSE, FILING, TRAINEE, TRAINING_CLASS
from actions.workflow import DATE, run, workflow
from core.errors import Forbidden, NotFound, TransitionNotAllowed
from models.audit import AuditEvent
from models.base import db, utcnow
from models.enums import ChangeRequestStatus, ClassStatus, CourseStatus, FilingStatus, RoleName, TraineeStatus
from models.filing import ChangeRequest, Course, Filing, Trainee, TrainingClass
from tests import factories

OWNER = "ent_gz"  # every row below belongs to 广州示范智能制造有限公司 (city 4401)
ROLES = {"ent_gz": (RoleName.ENTERPRISE, True), "ent_sz": (RoleName.ENTERPRISE, False),
         "gz_reviewer": (RoleName.REVIEWER, True), "sz_reviewer": (RoleName.REVIEWER, False),
         "admin": (RoleName.ADMIN, True)}
SAMPLE = {"text": "测试意见：材料齐全", DATE: None}
#: Inputs a row needs to succeed when its defaults would not do (the demo classes start on 2027-03-01).
SAMPLE_INPUTS = {("training_class", "change_dates"): {"start_date": date(2027, 4, 1), "end_date": date(2028, 3, 31),
                                                      "reason": "场地调整"}}
CODES = {Forbidden: 403, NotFound: 404, TransitionNotAllowed: 409}


def _filing(state: str) -> Filing:
    row = factories.complete_filing(factories.demo_enterprise(OWNER).id, status=state)
    if state != FilingStatus.DRAFT:
        row.submitted_at = utcnow()
    if state in (FilingStatus.APPROVED, FilingStatus.CANCELLED):
        row.filing_no = f"XT4401-2025-{900000 + row.id:06d}"
    db.session.commit()
    return row


def _expected(t, username: str, status: str, filing_status: str):
    role, own = ROLES[username]
    if role != t.role:
        return Forbidden
    if t.entity == "change_request" and role == RoleName.REVIEWER:
        in_scope = own and status != ChangeRequestStatus.DRAFT  # a request being written is the enterprise's
    elif role == RoleName.REVIEWER:
        in_scope = own and filing_status != FilingStatus.DRAFT
    else:
        in_scope = own
    if not in_scope:
        return NotFound
    if status not in t.sources:
        return TransitionNotAllowed
    if t.entity in ("trainee", "training_class", "course") and filing_status != FilingStatus.APPROVED:
        return TransitionNotAllowed  # the guards: 标记为流失 and 备案变更 only on an APPROVED filing
    return None


def _inputs(t) -> dict:
    return SAMPLE_INPUTS.get((t.entity, t.action)) or {item.name: SAMPLE[item.kind] for item in t.inputs}


def _audits() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def _check(t, username, row_id, model, status, filing_status):
    error = _expected(t, username, status, filing_status)
    before_audits = _audits()
    before_version = db.session.get(model, row_id).version if hasattr(model, "version") else None
    actor = factories.actor(username)
    if error is not None:
        with pytest.raises(error) as info:
            run(db.session, actor, t.entity, t.action, row_id, _inputs(t))
        db.session.rollback()
        assert info.value.status_code == CODES[error]
        db.session.expire_all()
        assert db.session.get(model, row_id).status == status
        assert _audits() == before_audits
        return
    run(db.session, actor, t.entity, t.action, row_id, _inputs(t))
    db.session.commit()
    db.session.expire_all()
    row = db.session.get(model, row_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == model.__tablename__,
                                                        AuditEvent.entity_id == row_id)
                               .order_by(AuditEvent.id.desc())).first()
    # one event for the row (注销培训班 of a filing's last class also closes the filing: a second event, its own)
    assert _audits() == before_audits + (2 if (t.entity, t.action) == ("training_class", "cancel") else 1)
    assert (event.action, event.entity, event.entity_id) == (t.action, model.__tablename__, row_id)
    assert (event.from_status, event.to_status) == (status, t.target)
    if t.target is None:
        assert row is None
        return
    assert row.status == t.target
    for stamp in t.stamps:
        assert getattr(row, stamp) is not None
    if before_version is not None:
        assert row.version > before_version
    if t.reason_input:
        assert event.reason == _inputs(t)[t.reason_input]


@pytest.mark.parametrize("action,username,status", list(itertools.product(
    [t.action for t in FILING.transitions if not t.internal], ROLES, FilingStatus.codes())))
def test_filing_table_row_role_state(app, action, username, status):
    t = workflow("filing").transition(action)
    with app.app_context():
        row = _filing(status)
        _check(t, username, row.id, Filing, status, status)


@pytest.mark.parametrize("action,username,filing_status,status", list(itertools.product(
    [t.action for t in TRAINEE.transitions], ROLES, FilingStatus.codes(), TraineeStatus.codes())))
def test_trainee_table_row_role_state(app, action, username, filing_status, status):
    t = workflow("trainee").transition(action)
    with app.app_context():
        filing = _filing(filing_status)
        trainee = filing.trainees[0]
        trainee.status = status
        db.session.commit()
        _check(t, username, trainee.id, Trainee, status, filing_status)


@pytest.mark.parametrize("action,username,filing_status,status", list(itertools.product(
    [t.action for t in TRAINING_CLASS.transitions], ROLES, FilingStatus.codes(), ClassStatus.codes())))
def test_training_class_table_row_role_state(app, action, username, filing_status, status):
    t = workflow("training_class").transition(action)
    with app.app_context():
        filing = _filing(filing_status)
        training_class = filing.classes[0]
        training_class.status = status
        db.session.commit()
        _check(t, username, training_class.id, TrainingClass, status, filing_status)


@pytest.mark.parametrize("action,username,status", list(itertools.product(
    [t.action for t in CHANGE_REQUEST.transitions], ROLES, ChangeRequestStatus.codes())))
def test_change_request_table_row_role_state(app, action, username, status):
    """师资信息变更 (R17) on an APPROVED filing: a request with a reason and one new teacher."""
    t = workflow("change_request").transition(action)
    with app.app_context():
        filing = _filing(FilingStatus.APPROVED)
        request = changes.open_teacher_change(db.session, factories.actor(OWNER), filing.id)
        db.session.flush()
        changes.add_new_teacher(db.session, factories.actor(OWNER), request.id,
                                {"name": "新导师", "id_number": factories.id_number(birth="19850505"),
                                 "phone": "13900139001", "kind": "ENTERPRISE"})
        changes.save_reason(db.session, factories.actor(OWNER), request.id, "原导师离职")
        request.status = status
        db.session.commit()
        _check(t, username, request.id, ChangeRequest, status, FilingStatus.APPROVED)


@pytest.mark.parametrize("action,username,filing_status,status", list(itertools.product(
    [t.action for t in COURSE.transitions], ROLES, FilingStatus.codes(), CourseStatus.codes())))
def test_course_table_row_role_state(app, action, username, filing_status, status):
    from models.enterprise import Venue

    t = workflow("course").transition(action)
    with app.app_context():
        filing = _filing(filing_status)
        course = filing.classes[0].courses[0]
        course.status = status
        venue = Venue(enterprise_id=filing.enterprise_id, name="实训楼", address="广州市示范路1号")
        db.session.add(venue)
        db.session.commit()
        SAMPLE_INPUTS[("course", "configure")] = {"start_date": date(2027, 3, 2), "end_date": date(2027, 3, 5),
                                                  "start_time": "09:00", "end_time": "12:00", "venue_id": venue.id}
        _check(t, username, course.id, Course, status, filing_status)


def test_every_table_row_declares_its_row_action():
    """Row actions are declared with the rows: a label, a screen to show them on, and a confirmation text for
    destructive or final steps (delete, approve, return, mark_lost, submit)."""
    for flow in (FILING, TRAINEE, TRAINING_CLASS, CHANGE_REQUEST, COURSE):
        for t in flow.transitions:
            assert str(t.label) and (t.screens or t.internal), t.action
            assert t.confirm, t.action
            assert t.role in (RoleName.ENTERPRISE, RoleName.REVIEWER, RoleName.ADMIN)


def test_required_input_is_named_and_nothing_changes(app):
    with app.app_context():
        row = _filing(FilingStatus.SUBMITTED)
        with pytest.raises(Exception) as info:
            run(db.session, factories.actor("gz_reviewer"), "filing", "return", row.id, {"opinion": "  "})
        db.session.rollback()
        assert info.value.status_code == 422
        assert [e.field for e in info.value.errors] == ["opinion"]
        assert "审核意见" in str(info.value.errors[0].message)
        db.session.expire_all()
        assert db.session.get(Filing, row.id).status == FilingStatus.SUBMITTED


def test_unknown_entity_or_action_is_not_found(app):
    with app.app_context():
        row = _filing(FilingStatus.DRAFT)
        for entity, action in (("filing", "publish"), ("nothing", "submit")):
            with pytest.raises(NotFound):
                run(db.session, factories.actor(OWNER), entity, action, row.id)


@pytest.mark.parametrize("typed,expected", [("09:00", (9, 0)), ("9:00", (9, 0)), ("09：30", (9, 30)),
                                            ("0900", (9, 0)), ("1730", (17, 30))])
def test_times_typed_without_a_colon_are_accepted(app, typed, expected):
    """Issue 12: a time typed as 0900 is the time the user meant, never rewritten and never refused."""
    from datetime import time as _time

    from actions.workflow import clean_inputs, workflow as _workflow

    with app.test_request_context():
        values = clean_inputs(_workflow("course").transition("configure"),
                              {"start_date": "2027-03-02", "end_date": "2027-03-02", "start_time": typed,
                               "end_time": "18:00"})
    assert values["start_time"] == _time(*expected)


@pytest.mark.parametrize("typed", ["9点", "2400", "0960", "9:0", "abc"])
def test_times_that_are_not_times_are_refused_by_name(app, typed):
    from actions.workflow import clean_inputs, workflow as _workflow
    from core.errors import ValidationFailed

    with app.test_request_context(), pytest.raises(ValidationFailed) as exc:
        clean_inputs(_workflow("course").transition("configure"),
                     {"start_date": "2027-03-02", "end_date": "2027-03-02", "start_time": typed, "end_time": "18:00"})
    assert [e.field for e in exc.value.errors] == ["start_time"] and "HH:MM" in str(exc.value.errors[0].message)

"""备案变更申请 — 开班信息变更 (R15 on the working-day calendar of R19): deadline edges with frozen time, the
3-change limit (also under two concurrent requests over HTTP), R10 on the new period, R9 re-checked, the APPLIED
change request with before/after, the API and the reviewer's scope."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from actions import changes
from actions.workflow import run
from core.errors import NotFound, TransitionNotAllowed, ValidationFailed
from models.audit import AuditEvent
from models.base import db
from models.enums import ChangeRequestKind, ChangeRequestStatus, FilingStatus
from models.filing import ChangeRequest, TrainingClass
from tests import factories

NEW = {"start_date": "2027-04-01", "end_date": "2028-03-31", "reason": "场地调整"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def approved(owner: str = "ent_gz", **kw) -> TrainingClass:
    """An APPROVED filing whose class starts on Mon 2027-03-01 (deadline: Mon 2027-02-22, provisional)."""
    filing = factories.complete_filing(factories.demo_enterprise(owner).id, status=FilingStatus.APPROVED, **kw)
    filing.filing_no = f"XT{filing.city_code}-2026-{800000 + filing.id:06d}"
    db.session.commit()
    return filing.classes[0]


def change(cls_id: int, username: str = "ent_gz", **data):
    return run(db.session, factories.actor(username), "training_class", "change_dates", cls_id, {**NEW, **data})


def test_status_shown_before_trying(ctx):
    cls = approved()
    status = changes.date_change_status(db.session, cls)
    assert status == {"deadline": date(2027, 2, 22), "provisional": True, "remaining_changes": 3, "open": True}


@pytest.mark.parametrize("moment,allowed", [
    (datetime(2027, 2, 22, 15, 59, tzinfo=timezone.utc), True),   # 23:59 上海 on the deadline
    (datetime(2027, 2, 22, 16, 0, tzinfo=timezone.utc), False),   # 00:00 上海 the day after
])
def test_deadline_edge(ctx, moment, allowed):
    cls_id = approved().id
    with time_machine.travel(moment, tick=False):
        if allowed:
            change(cls_id)
            db.session.commit()
            assert db.session.get(TrainingClass, cls_id).start_date == date(2027, 4, 1)
        else:
            with pytest.raises(ValidationFailed) as info:
                change(cls_id)
            assert "已超过变更期限" in str(info.value.errors[0].message) and "2027-02-22" in str(
                info.value.errors[0].message) and "暂按周一至周五计算" in str(info.value.errors[0].message)


def test_three_changes_then_refused_and_each_filed(ctx):
    cls_id = approved().id
    for n, start in enumerate(("2027-04-01", "2027-04-02", "2027-04-03"), start=1):
        change(cls_id, start_date=start, end_date="2028-06-30")
        db.session.commit()
        assert db.session.get(TrainingClass, cls_id).date_change_count == n
    with pytest.raises(ValidationFailed) as info:
        change(cls_id, start_date="2027-04-04", end_date="2028-06-30")
    assert "已变更3次" in str(info.value.errors[0].message)
    db.session.rollback()
    filed = db.session.scalars(select(ChangeRequest).where(ChangeRequest.training_class_id == cls_id)
                               .order_by(ChangeRequest.id)).all()
    assert [(r.kind, r.status) for r in filed] == [(ChangeRequestKind.CLASS_DATES, ChangeRequestStatus.APPLIED)] * 3
    assert filed[0].before == {"start_date": "2027-03-01", "end_date": "2028-02-29"}
    assert filed[0].after == {"start_date": "2027-04-01", "end_date": "2028-06-30"} and filed[0].reason == "场地调整"
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "training_class",
                                                         AuditEvent.entity_id == cls_id).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["change_dates"] * 3
    assert events[0].diff["changes"]["start_date"] == ["2027-03-01", "2027-04-01"]


@pytest.mark.parametrize("data,field,message", [
    ({"start_date": "2026-12-01"}, "start_date", "须晚于今天"),
    ({"start_date": "2027-03-01", "end_date": "2028-02-29"}, "start_date", "未变化"),
    ({"end_date": "2027-09-30"}, "end_date", "不能少于1年"),  # R10 on the new period
    ({"end_date": "2027-03-01"}, "end_date", "不能早于"),
    ({"start_date": ""}, "start_date", "请填写"),
])
def test_new_period_rules(ctx, data, field, message):
    cls_id = approved().id
    with pytest.raises(ValidationFailed) as info:
        change(cls_id, **data)
    assert info.value.errors[0].field == field and message in str(info.value.errors[0].message)


def test_r9_rechecked_for_the_new_period(ctx):
    person = factories.id_number(birth="19970707", seq=77)
    cls_id = approved(id_numbers=[person], trainees=1).id
    other = factories.complete_filing(factories.demo_enterprise("ent_sz").id, status=FilingStatus.SUBMITTED,
                                      trainees=1, id_numbers=[person], start=date(2028, 3, 1), end=date(2029, 2, 28))
    db.session.commit()
    assert other.id
    with pytest.raises(ValidationFailed) as info:
        change(cls_id, start_date="2027-04-01", end_date="2028-03-31")  # now overlaps March 2028
    assert "R9" in str(info.value.errors[0].message)
    db.session.rollback()
    assert db.session.get(TrainingClass, cls_id).date_change_count == 0


def test_scope_and_roles(ctx):
    cls_id = approved().id
    with pytest.raises(NotFound):
        change(cls_id, "ent_sz")
    with pytest.raises(Exception) as info:
        change(cls_id, "gz_reviewer")
    assert info.value.status_code == 403
    draft = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        change(draft.classes[0].id)


def test_api_deadline_and_change(app, api):
    with app.app_context():
        cls_id = approved().id
    client = api("ent_gz")
    info = client.get(f"/api/v1/training_class/{cls_id}/change_deadline")
    assert info.status_code == 200 and info.get_json() == {"deadline": "2027-02-22", "provisional": True,
                                                           "remaining_changes": 3, "open": True}
    done = client.post(f"/api/v1/training_class/{cls_id}/change_dates", json=NEW)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["start_date"] == "2027-04-01"
    assert client.get(f"/api/v1/training_class/{cls_id}/change_deadline").get_json()["remaining_changes"] == 2
    assert client.post(f"/api/v1/training_class/{cls_id}/change_dates", json={**NEW, "x": 1}).status_code == 422
    assert api("ent_sz").get(f"/api/v1/training_class/{cls_id}/change_deadline").status_code == 404
    assert api("sz_reviewer").get(f"/api/v1/training_class/{cls_id}/change_deadline").status_code == 404
    assert api("gz_reviewer").post(f"/api/v1/training_class/{cls_id}/change_dates", json=NEW).status_code == 403


def test_the_limit_holds_under_two_concurrent_requests(app, live_server):
    """Two changes sent at the same moment when one change is left: exactly one wins (SQLite and PostgreSQL)."""
    from tests.test_r9_concurrency import _post_json, _race, _token

    token = _token(live_server, "ent_gz")
    with app.app_context():
        ids = []
        for _ in range(3):
            cls = approved()
            cls.date_change_count = 2
            db.session.commit()
            ids.append(cls.id)
    for cls_id in ids:
        answers = _race([
            lambda: _post_json(live_server, f"/api/v1/training_class/{cls_id}/change_dates",
                               {**NEW, "start_date": "2027-04-05", "end_date": "2028-06-30"}, token),
            lambda: _post_json(live_server, f"/api/v1/training_class/{cls_id}/change_dates",
                               {**NEW, "start_date": "2027-04-06", "end_date": "2028-06-30"}, token),
        ])
        assert sorted(status for status, _ in answers) == [200, 422], answers
        with app.app_context():
            cls = db.session.get(TrainingClass, cls_id)
            assert cls.date_change_count == 3
            assert db.session.scalars(select(ChangeRequest).where(ChangeRequest.training_class_id == cls_id)
                                      ).all().__len__() == 1


# ---- 师资信息变更 (R17) ----------------------------------------------------------------------------------------

NEW_TEACHER = {"name": "新导师", "phone": "13900139002", "kind": "SCHOOL", "title": "讲师"}


def teacher_change_world(ctx_owner: str = "ent_gz"):
    cls = approved(ctx_owner)
    filing = cls.filing
    course = cls.courses[0]
    second = type(course)(name="数控铣削实训", mode="OFFLINE", hours=20, teacher_id=course.teacher_id)
    cls.courses.append(second)
    db.session.commit()
    return filing, course, second


def test_teacher_change_through_review_applies_every_item(ctx):
    from models.filing import Course, Teacher

    filing, course, second = teacher_change_world()
    ent = factories.actor("ent_gz")
    request = changes.open_teacher_change(db.session, ent, filing.id)
    assert changes.open_teacher_change(db.session, ent, filing.id).id == request.id  # one open request (R17)
    teacher = changes.add_new_teacher(db.session, ent, request.id,
                                      {**NEW_TEACHER, "id_number": factories.id_number(birth="19860606")})
    assert teacher.active is False
    changes.swap_teacher(db.session, ent, request.id, course.id, teacher.id)
    db.session.commit()
    old_teacher = second.teacher_id
    with pytest.raises(ValidationFailed) as info:
        run(db.session, ent, "change_request", "submit", request.id)
    assert [e.field for e in info.value.errors] == ["reason"]
    db.session.rollback()
    changes.save_reason(db.session, ent, request.id, "原导师调岗")
    run(db.session, ent, "change_request", "submit", request.id)
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        changes.swap_teacher(db.session, ent, request.id, second.id, teacher.id)  # submitted: no more edits
    db.session.rollback()
    with pytest.raises(NotFound):
        run(db.session, factories.actor("sz_reviewer"), "change_request", "approve", request.id)
    run(db.session, factories.actor("gz_reviewer"), "change_request", "approve", request.id, {"opinion": "同意"})
    db.session.commit()
    assert db.session.get(Teacher, teacher.id).active is True
    assert db.session.get(Course, course.id).teacher_id == teacher.id
    assert db.session.get(Course, second.id).teacher_id == old_teacher
    items = changes.change_items(db.session, db.session.get(ChangeRequest, request.id))
    assert {(i["entity"], i["field"]) for i in items} == {("teacher", "active"), ("course", "teacher_id")}


def test_approval_is_all_or_nothing(ctx):
    """A swap whose course is gone meanwhile fails the approval: the new teacher stays inactive and the other
    swap is not applied either."""
    from models.filing import Course, Teacher

    filing, course, second = teacher_change_world()
    ent = factories.actor("ent_gz")
    request = changes.open_teacher_change(db.session, ent, filing.id)
    teacher = changes.add_new_teacher(db.session, ent, request.id,
                                      {**NEW_TEACHER, "id_number": factories.id_number(birth="19870707")})
    changes.swap_teacher(db.session, ent, request.id, course.id, teacher.id)
    changes.swap_teacher(db.session, ent, request.id, second.id, teacher.id)
    changes.save_reason(db.session, ent, request.id, "调整")
    run(db.session, ent, "change_request", "submit", request.id)
    db.session.commit()
    second_id, course_teacher = second.id, course.teacher_id
    second.status = "CANCELLED"
    db.session.commit()
    with pytest.raises(ValidationFailed):
        run(db.session, factories.actor("gz_reviewer"), "change_request", "approve", request.id, {"opinion": "同意"})
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(Teacher, teacher.id).active is False
    assert db.session.get(Course, course.id).teacher_id == course_teacher
    assert db.session.get(ChangeRequest, request.id).status == ChangeRequestStatus.SUBMITTED
    assert second_id


def test_teacher_change_api_round(app, api):
    with app.app_context():
        filing, course, _second = teacher_change_world()
        filing_id, course_id = filing.id, course.id
    client = api("ent_gz")
    created = client.post("/api/v1/change_request/", json={"filing_id": filing_id, "kind": "TEACHER"})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    assert client.post("/api/v1/change_request/", json={"filing_id": filing_id, "kind": "TEACHER"}
                       ).get_json()["id"] == pk
    new = client.post("/api/v1/teacher/", json={**NEW_TEACHER, "id_number": factories.id_number(birth="19880808"),
                                                "filing_id": filing_id, "change_request_id": pk})
    assert new.status_code == 201, new.get_json()
    teacher_id = new.get_json()["id"]
    assert new.get_json()["result"]["active"] is False
    assert client.post(f"/api/v1/change_request/{pk}/swap", json={"course_id": course_id,
                                                                  "teacher_id": teacher_id}).status_code == 200
    assert client.put(f"/api/v1/change_request/{pk}", json={"reason": "原导师离职"}).status_code == 200
    submitted = client.post(f"/api/v1/change_request/{pk}/submit")
    assert submitted.status_code == 200 and submitted.get_json()["result"]["status"] == "SUBMITTED"
    shown = api("gz_reviewer").get(f"/api/v1/change_request/{pk}").get_json()["result"]
    assert {(c["entity"], c["field"], c["after"]) for c in shown["changes"]} == {
        ("teacher", "active", True), ("course", "teacher_id", teacher_id)}
    assert api("sz_reviewer").get(f"/api/v1/change_request/{pk}").status_code == 404
    returned = api("gz_reviewer").post(f"/api/v1/change_request/{pk}/return", json={})
    assert returned.status_code == 422 and returned.get_json()["errors"][0]["field"] == "opinion"
    assert api("gz_reviewer").post(f"/api/v1/change_request/{pk}/return", json={"opinion": "请补充证书"}
                                   ).status_code == 200
    assert client.post(f"/api/v1/change_request/{pk}/submit").status_code == 200
    assert api("gz_reviewer").post(f"/api/v1/change_request/{pk}/approve", json={}).status_code == 200
    with app.app_context():
        from models.filing import Course

        assert db.session.get(Course, course_id).teacher_id == teacher_id


# ---- 课程信息配置 (R16) ------------------------------------------------------------------------------------------

def _venue(owner: str = "ent_gz"):
    from models.enterprise import Venue

    venue = Venue(enterprise_id=factories.demo_enterprise(owner).id, name="实训楼一层", address="广州市黄埔区示范路1号")
    db.session.add(venue)
    db.session.commit()
    return venue


CONFIG = {"start_date": "2027-03-02", "end_date": "2027-03-05", "start_time": "09:00", "end_time": "12:00"}


def configure(course_id: int, username: str = "ent_gz", **data):
    return run(db.session, factories.actor(username), "course", "configure", course_id, {**CONFIG, **data})


@pytest.mark.parametrize("moment,allowed", [
    (datetime(2027, 2, 28, 15, 59, tzinfo=timezone.utc), True),   # 23:59 上海, the day before the class start
    (datetime(2027, 2, 28, 16, 0, tzinfo=timezone.utc), False),   # 00:00 上海 on the class start day
])
def test_configure_until_the_day_before(ctx, moment, allowed):
    from models.filing import Course

    cls = approved()
    course_id, venue_id = cls.courses[0].id, _venue().id
    with time_machine.travel(moment, tick=False):
        if allowed:
            configure(course_id, venue_id=venue_id, start_date="2027-03-08", end_date="2027-03-09")
            db.session.commit()
            course = db.session.get(Course, course_id)
            assert (course.status, course.venue_id, str(course.start_time)) == ("CONFIGURED", venue_id, "09:00:00")
        else:
            with pytest.raises(ValidationFailed) as info:
                configure(course_id, venue_id=venue_id, start_date="2027-03-08", end_date="2027-03-09")
            assert "前一天（2027-02-28）" in str(info.value.errors[0].message)


def test_a_configured_course_until_the_day_before_its_own_start(ctx):
    from models.filing import Course

    cls = approved()
    course_id, venue_id = cls.courses[0].id, _venue().id
    configure(course_id, venue_id=venue_id, start_date="2027-03-10", end_date="2027-03-10")
    db.session.commit()
    with time_machine.travel(datetime(2027, 3, 9, 15, 0, tzinfo=timezone.utc), tick=False):  # 23:00 on the 9th
        configure(course_id, venue_id=venue_id, start_date="2027-03-12", end_date="2027-03-12")
        db.session.commit()
    assert db.session.get(Course, course_id).start_date == date(2027, 3, 12)


@pytest.mark.parametrize("data,field,message", [
    ({"start_date": "2027-02-20"}, "start_date", "培训班期间"),
    ({"end_date": "2028-03-01"}, "start_date", "培训班期间"),
    ({"end_date": "2027-03-01"}, "end_date", "不能早于开始日期"),
    ({"end_time": "08:00"}, "end_time", "晚于开始时间"),
    ({"start_time": "9点"}, "start_time", "HH:MM"),
    ({"venue_id": None}, "venue_id", "线下培训须选择培训场地"),
])
def test_configure_rules(ctx, data, field, message):
    cls = approved()
    course_id, venue_id = cls.courses[0].id, _venue().id
    with pytest.raises(ValidationFailed) as info:
        configure(course_id, **{"venue_id": venue_id, **data})
    assert field in [e.field for e in info.value.errors]
    assert any(message in str(e.message) for e in info.value.errors if e.field == field)


def test_configure_scope_and_another_enterprises_venue(ctx):
    cls = approved()
    course_id = cls.courses[0].id
    foreign = _venue("ent_sz").id
    with pytest.raises(ValidationFailed) as info:
        configure(course_id, venue_id=foreign)
    assert info.value.errors[0].field == "venue_id"
    with pytest.raises(NotFound):
        configure(course_id, "ent_sz", venue_id=foreign)


def test_configure_api(app, api):
    with app.app_context():
        cls = approved()
        course_id, venue_id = cls.courses[0].id, _venue().id
    response = api("ent_gz").post(f"/api/v1/course/{course_id}/configure", json={**CONFIG, "venue_id": venue_id})
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["result"]
    assert (result["start_date"], result["start_time"], result["status"]) == ("2027-03-02", "09:00", "CONFIGURED")
    assert api("gz_reviewer").post(f"/api/v1/course/{course_id}/configure", json=CONFIG).status_code == 403


# ---- 注销培训班 (R18) --------------------------------------------------------------------------------------------

def cancel(cls_id: int, username: str = "ent_gz", reason: str = "企业经营调整，停止开班"):
    return run(db.session, factories.actor(username), "training_class", "cancel", cls_id, {"reason": reason})


def test_cancel_class_effects(ctx):
    """R18: reason kept; courses not yet started cancelled, started ones kept; the filing CANCELLED with its last
    class; the trainees released for R9 at once (another filing with the same person can be submitted)."""
    from models.filing import Course, Filing

    person = factories.id_number(birth="19960606", seq=66)
    cls = approved(id_numbers=[person], trainees=1)
    first = cls.courses[0]
    first.start_date, first.end_date, first.status = date(2026, 11, 1), date(2026, 11, 2), "CONFIGURED"
    later = Course(name="后续课程", mode="ONLINE", hours=8, status="UNCONFIGURED")
    cls.courses.append(later)
    db.session.commit()
    other = factories.complete_filing(factories.demo_enterprise("ent_sz").id, trainees=1, id_numbers=[person])
    db.session.commit()
    with pytest.raises(ValidationFailed):  # R9 holds while the class runs
        run(db.session, factories.actor("ent_sz"), "filing", "submit", other.id)
    db.session.rollback()
    with pytest.raises(ValidationFailed) as info:
        cancel(cls.id, reason="  ")
    assert info.value.errors[0].field == "reason"
    db.session.rollback()
    cancel(cls.id)
    db.session.commit()
    db.session.expire_all()
    cls_row = db.session.get(TrainingClass, cls.id)
    assert (cls_row.status, cls_row.cancel_reason) == ("CANCELLED", "企业经营调整，停止开班")
    assert cls_row.cancelled_at is not None
    assert {c.name: c.status for c in cls_row.courses} == {"数控车削实训": "CONFIGURED", "后续课程": "CANCELLED"}
    assert db.session.get(Filing, cls_row.filing_id).status == FilingStatus.CANCELLED
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.filing_id == cls_row.filing_id)
                                .order_by(AuditEvent.id)).all()
    assert [(e.entity, e.action) for e in events[-2:]] == [("filing", "close"), ("training_class", "cancel")]
    run(db.session, factories.actor("ent_sz"), "filing", "submit", other.id)  # released for R9
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        cancel(cls.id)


def test_cancel_one_of_two_classes_keeps_the_filing(ctx):
    from models.filing import Filing

    cls = approved()
    second = TrainingClass(occupation_code=cls.occupation_code, skill_level=cls.skill_level,
                           start_date=date(2027, 5, 1), end_date=date(2028, 4, 30), hours=400, planned_headcount=5)
    cls.filing.classes.append(second)
    db.session.commit()
    cancel(second.id)
    db.session.commit()
    assert db.session.get(Filing, cls.filing_id).status == FilingStatus.APPROVED


def test_cancel_class_roles_and_states(ctx):
    cls = approved()
    for username, error in (("gz_reviewer", 403), ("admin", 403)):
        with pytest.raises(Exception) as info:
            cancel(cls.id, username)
        assert info.value.status_code == error
        db.session.rollback()
    with pytest.raises(NotFound):
        cancel(cls.id, "ent_sz")
    draft = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        cancel(draft.classes[0].id)


def test_cancel_class_api(app, api):
    with app.app_context():
        cls_id = approved().id
    assert api("ent_gz").post(f"/api/v1/training_class/{cls_id}/cancel", json={}).status_code == 422
    done = api("ent_gz").post(f"/api/v1/training_class/{cls_id}/cancel", json={"reason": "停止开班"})
    assert done.status_code == 200 and done.get_json()["result"]["status"] == "CANCELLED"
    assert api("ent_gz").post("/api/v1/filing/1/close").status_code == 404  # internal: no endpoint

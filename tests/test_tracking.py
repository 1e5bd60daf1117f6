"""培训情况跟踪 and 查看考勤 (manual §3.2.1.5, R24, R18 slot): attendance rates against hand-computed cases (a course
not ended yet, cancelled and unconfigured courses, duplicates, a lost trainee, a check-in on a course not the
person's), the tracking list (headcount, configured courses, class rate, filters, constant statement count), scope
(another enterprise 404, a reviewer of another city 404, the own city read-only), the drill-down, the xlsx export,
the API shape, the 注销培训班 form, and the demo running class."""
from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event, func, select

from core.clock import today
from models.base import db
from models.enums import ClassStatus, CourseStatus, FilingStatus, TraineeStatus
from models.filing import Attendance, Course, Filing, Trainee, TrainingClass
from queries import attendance as aq
from tests import factories
from tests.conftest import csrf_token_from

DAY = today()  # the hand-computed world is dated around today (Asia/Shanghai): D = DAY + days


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def _at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def D(days: int) -> date:
    return DAY + timedelta(days=days)


def world(owner: str = "ent_gz") -> dict:
    """An APPROVED filing with a class D-165..D+199, 4 trainees, one teacher and these courses:

    c1 10 h D-106 ended · c2 20 h D-75 ended · c3 30 h D+16 not ended · c4 40 h CANCELLED (dated D-134) · the
    factory's 40 h UNCONFIGURED course. Check-ins: A three on c1 (duplicates) + c2; B c1 + c4 (cancelled);
    C (LOST on D-92) c1 + c2 (after the loss); D c3 only; the teacher c1.
    """
    filing = factories.complete_filing(factories.demo_enterprise(owner).id, status=FilingStatus.APPROVED,
                                       trainees=4, start=D(-165), end=D(199))
    filing.filing_no = f"XT{filing.city_code}-2026-{700000 + filing.id:06d}"
    cls = filing.classes[0]
    teacher = filing.teachers[0]
    a, b, c, d = filing.trainees
    for row, name in zip((a, b, c, d), ("甲学员", "乙学员", "丙学员", "丁学员")):
        row.name = name
    c.status, c.lost_reason, c.lost_date = TraineeStatus.LOST, "离职", D(-92)

    def course(name, hours, day, status=CourseStatus.CONFIGURED):
        row = Course(name=name, mode="OFFLINE", hours=hours, teacher_id=teacher.id, start_date=day, end_date=day,
                     start_time=time(9), end_time=time(17), status=status)
        cls.courses.append(row)
        return row

    c1, c2 = course("课程一", 10, D(-106)), course("课程二", 20, D(-75))
    c3 = course("课程三", 30, D(16))
    c4 = course("课程四", 40, D(-134), CourseStatus.CANCELLED)
    db.session.flush()

    def check(course_row, trainee=None, at=None):
        db.session.add(Attendance(course_id=course_row.id, trainee_id=trainee.id if trainee else None,
                                  teacher_id=None if trainee else teacher.id, source="DEVICE",
                                  check_in=at or _at(course_row.start_date)))

    check(c1, a, _at(c1.start_date, 0, 50)), check(c1, a, _at(c1.start_date, 0, 51))
    check(c1, a, _at(c1.start_date, 9, 0)), check(c2, a)
    check(c1, b), check(c4, b)
    check(c1, c), check(c2, c)
    check(c3, d)
    check(c1)
    db.session.commit()
    return {"filing": filing, "cls": cls, "teacher": teacher, "a": a, "b": b, "c": c, "d": d,
            "courses": (c1, c2, c3, c4)}


def test_rates_hand_computed(ctx):
    w = world()
    trainees = aq.tab_rows(db.session, w["cls"], "trainees", DAY)
    assert [(r["name"], r["attended_hours"], r["due_hours"], r["rate"]) for r in trainees] == [
        ("丁学员", 0, 30, 0.0),  # only a check-in on a course not ended yet
        ("乙学员", 10, 30, 0.3333),  # c1; the check-in on the cancelled c4 counts nothing
        ("丙学员", 10, 10, 1.0),  # LOST on D-92: c2 (D-75) is not his any more, his check-in there neither
        ("甲学员", 30, 30, 1.0),  # three records on c1 count c1 once
    ]
    teachers = aq.tab_rows(db.session, w["cls"], "teachers", DAY)
    assert [(r["teacher_id"], r["attended_hours"], r["due_hours"], r["rate"]) for r in teachers] == [
        (w["teacher"].id, 10, 30, 0.3333)]  # c1 + c2 ended (c3 not yet, c4 cancelled)
    courses = aq.tab_rows(db.session, w["cls"], "courses", DAY)
    c1, c2, *_ = w["courses"]
    assert [(r["course_id"], r["present"], r["expected"], r["rate"], r["teacher_present"]) for r in courses] == [
        (c2.id, 1, 3, 0.3333, False), (c1.id, 3, 4, 0.75, True)]  # worst first; c3 not started, c4 cancelled
    assert aq.class_rates(db.session, [w["cls"].id], DAY) == {w["cls"].id: (50, 100)}


def test_a_course_counts_the_day_after_it_ends(ctx):
    w = world()
    c3 = w["courses"][2]
    on_the_day = {r["name"]: r["due_hours"] for r in aq.tab_rows(db.session, w["cls"], "trainees", c3.end_date)}
    after = {r["name"]: (r["attended_hours"], r["due_hours"])
             for r in aq.tab_rows(db.session, w["cls"], "trainees", c3.end_date + timedelta(days=1))}
    assert on_the_day["丁学员"] == 30 and after["丁学员"] == (30, 60)
    assert after["丙学员"] == (10, 10)  # a lost trainee is not due later courses


def test_tracking_list_columns_filters_and_rate(app, client, login_as):
    with app.app_context():
        w = world()
        other = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status=FilingStatus.APPROVED,
                                          start=D(300), end=D(664))
        other.filing_no = "XT4401-2026-799999"
        draft = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        db.session.commit()
        filing_no, draft_class = w["filing"].filing_no, draft.classes[0].id
        cls_id, filing_id = w["cls"].id, w["filing"].id
    login_as("ent_gz")
    html = client.get("/tracking/ENTERPRISE?filing_no=" + filing_no[-6:]).get_data(as_text=True)
    assert filing_no in html and "XT4401-2026-799999" not in html
    row = html[html.index(f'data-class-id="{cls_id}"'):]
    row = row[:row.index("</tr>")]
    assert "4 / 3 / 1" in row  # planned / active / lost
    assert "3 / 5" in row  # configured / all courses (c4 cancelled, the factory's course unconfigured)
    assert "50.0%" in row and "查看考勤" in row and f"/filing/{filing_id}/info" in row
    listed = client.get("/tracking/ENTERPRISE").get_data(as_text=True)
    assert "XT4401-2026-799999" in listed and f'data-class-id="{draft_class}"' not in listed  # drafts are not tracked
    assert client.get(f"/tracking/class/{draft_class}").status_code == 404
    periods = client.get(f"/tracking/ENTERPRISE?period_from={D(250)}").get_data(as_text=True)
    assert "XT4401-2026-799999" in periods and filing_no not in periods
    cancelled = client.get("/tracking/ENTERPRISE?status=CANCELLED").get_data(as_text=True)
    assert filing_no not in cancelled and "暂无培训班" in cancelled
    bad = client.get("/tracking/ENTERPRISE?period_from=nope").get_data(as_text=True)
    assert "培训期间起格式不正确" in bad
    assert client.get("/tracking/ECOSYSTEM").status_code == 200
    assert client.get("/tracking/NOPE").status_code == 404


def _statements(app, fn) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def test_statement_count_is_constant(app):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz").id
        for i in range(6):
            f = factories.complete_filing(ent, status=FilingStatus.APPROVED, trainees=3,
                                          start=D(-100), end=D(200))
            f.filing_no = f"XT4401-2026-{710000 + i:06d}"
        db.session.commit()
        actor = factories.actor("ent_gz")
        filters = aq.TrackingFilters.from_args("ENTERPRISE", {})
        counts = {size: _statements(app, lambda: aq.tracking_page(db.session, actor, filters, 1, size))
                  for size in (1, 3, 10)}
        cls = db.session.scalars(select(TrainingClass).join(Filing).where(Filing.filing_no.is_not(None))
                                 .order_by(TrainingClass.id.desc())).first()
        tabs = {size: _statements(app, lambda: aq.tab_page(db.session, cls, "trainees", 1, size)) for size in (1, 3)}
    assert counts[1] == counts[3] == counts[10] == 3
    assert tabs[1] == tabs[3] == 2


def test_screen_statement_count_does_not_grow_with_the_page(app, client, login_as):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz").id
        for i in range(12):
            f = factories.complete_filing(ent, status=FilingStatus.APPROVED, trainees=2,
                                          start=D(-100), end=D(200))
            f.filing_no = f"XT4401-2026-{720000 + i:06d}"
        db.session.commit()
    login_as("ent_gz")
    client.get("/tracking/ENTERPRISE")  # warm-up
    first = _statements(app, lambda: client.get("/tracking/ENTERPRISE"))
    last = _statements(app, lambda: client.get("/tracking/ENTERPRISE?page=2"))
    assert first == last and first <= 10


def test_attendance_tabs_records_and_export(app, client, login_as):
    with app.app_context():
        w = world()
        cls_id, a_id, teacher_id = w["cls"].id, w["a"].id, w["teacher"].id
        w["b"].name = "=HYPERLINK(\"http://x\")"
        db.session.commit()
        other = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status=FilingStatus.APPROVED)
        db.session.commit()
        stranger = other.trainees[0].id
    login_as("ent_gz")
    trainees = client.get(f"/tracking/class/{cls_id}").get_data(as_text=True)
    teachers = client.get(f"/tracking/class/{cls_id}?tab=teachers").get_data(as_text=True)
    courses = client.get(f"/tracking/class/{cls_id}?tab=courses").get_data(as_text=True)
    records = client.get(f"/tracking/class/{cls_id}/trainees/{a_id}")
    teacher_records = client.get(f"/tracking/class/{cls_id}/teachers/{teacher_id}")
    export = client.get(f"/tracking/class/{cls_id}/export/trainees.xlsx")
    assert trainees.index("丁学员") < trainees.index("甲学员") and "0.0%" in trainees and "33.3%" in trainees
    assert "33.3%" in teachers and "课程二" in courses and "75.0%" in courses
    assert courses.index("课程二") < courses.index("课程一") and "课程三" not in courses
    html = records.get_data(as_text=True)
    assert records.status_code == 200 and html.count("data-record-id=") == 4 and "考勤设备" in html
    assert f"{D(-106)} 08:50" in html  # 00:50 UTC shown in Asia/Shanghai
    assert teacher_records.status_code == 200 and teacher_records.get_data(as_text=True).count("data-record-id=") == 1
    assert client.get(f"/tracking/class/{cls_id}/trainees/{stranger}").status_code == 404
    assert client.get(f"/tracking/class/{cls_id}/nobody/{a_id}").status_code == 404
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["姓名", "身份证号码", "已出勤课时", "应出勤课时", "出勤率"]
    assert rows[1][0] == "丁学员" and rows[1][2:] == [0, 30, 0.0]
    assert ["'=HYPERLINK(\"http://x\")", 10, 30, 0.3333] == [rows[2][0], *rows[2][2:]]
    for tab in ("teachers", "courses"):
        assert client.get(f"/tracking/class/{cls_id}/export/{tab}.xlsx").status_code == 200
    assert client.get(f"/tracking/class/{cls_id}/export/nope.xlsx").status_code == 404


def test_scope_and_read_only_reviewer(app):
    from tests.conftest import login

    def login_as(username):
        fresh = app.test_client()
        assert login(fresh, username).status_code == 302
        return fresh

    with app.app_context():
        w = world()
        cls_id, filing_no, a_id = w["cls"].id, w["filing"].filing_no, w["a"].id
    for username in ("ent_sz", "sz_reviewer"):
        client = login_as(username)
        assert client.get(f"/tracking/class/{cls_id}").status_code == 404
        assert client.get(f"/tracking/class/{cls_id}/export/trainees.xlsx").status_code == 404
        assert client.get(f"/tracking/class/{cls_id}/trainees/{a_id}").status_code == 404
        listed = client.get("/tracking/" if username == "sz_reviewer" else "/tracking/ENTERPRISE")
        assert listed.status_code == 200 and filing_no not in listed.get_data(as_text=True)
    client = login_as("gz_reviewer")
    city = client.get("/tracking/").get_data(as_text=True)
    assert filing_no in city and "查看考勤" in city and "注销培训班" not in city
    assert client.get(f"/tracking/class/{cls_id}?tab=courses").status_code == 200
    assert client.get(f"/tracking/class/{cls_id}/form/cancel").status_code in (403, 404)
    token = csrf_token_from(city)
    assert client.post(f"/tracking/class/{cls_id}/do/cancel", data={"csrf_token": token, "reason": "x"}) \
        .status_code == 403
    with app.app_context():
        assert db.session.get(TrainingClass, cls_id).status == ClassStatus.NORMAL
    assert login_as("ent_gz").get("/tracking/").status_code == 403  # the city list is the reviewer's


def test_api_shape_and_scope(app, api):
    with app.app_context():
        w = world()
        cls_id, a_id, c1_id = w["cls"].id, w["a"].id, w["courses"][0].id
        draft = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        db.session.commit()
        draft_class = draft.classes[0].id
    body = api("ent_gz").get(f"/api/v1/training_class/{cls_id}/attendance").get_json()
    assert api("gz_reviewer").get(f"/api/v1/training_class/{cls_id}/attendance").status_code == 200
    for username in ("ent_sz", "sz_reviewer"):
        assert api(username).get(f"/api/v1/training_class/{cls_id}/attendance").status_code == 404
    assert api("ent_gz").get(f"/api/v1/training_class/{draft_class}/attendance").status_code == 404
    assert set(body) == {"trainees", "teachers", "courses"}
    assert set(body["trainees"][0]) == {"trainee_id", "name", "attended_hours", "due_hours", "rate"}
    assert set(body["teachers"][0]) == {"teacher_id", "name", "attended_hours", "due_hours", "rate"}
    assert set(body["courses"][0]) == {"course_id", "name", "present", "expected", "rate"}
    assert {"trainee_id": a_id, "name": "甲学员", "attended_hours": 30, "due_hours": 30, "rate": 1.0} \
        in body["trainees"]
    assert {"course_id": c1_id, "name": "课程一", "present": 3, "expected": 4, "rate": 0.75} in body["courses"]
    assert all(r["rate"] is None or 0 <= r["rate"] <= 1 for rows in body.values() for r in rows)


def test_cancel_class_slot(app, client, login_as):
    """注销培训班 from the list: its own form (reason + confirmation) posting to /tracking/class/<id>/do/cancel."""
    with app.app_context():
        w = world()
        cls_id = w["cls"].id
    login_as("ent_gz")
    html = client.get("/tracking/ENTERPRISE").get_data(as_text=True)
    assert f'id="form-cancel-{cls_id}"' in html
    form = client.get(f"/tracking/class/{cls_id}/form/cancel").get_data(as_text=True)
    assert 'name="reason"' in form and "data-confirm=" in form
    token = csrf_token_from(form)
    refused = client.post(f"/tracking/class/{cls_id}/do/cancel", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422 and "注销原因" in refused.get_data(as_text=True)
    done = client.post(f"/tracking/class/{cls_id}/do/cancel", data={"csrf_token": token, "reason": "停止开班"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/tracking/ENTERPRISE")
    with app.app_context():
        assert db.session.get(TrainingClass, cls_id).status == ClassStatus.CANCELLED
    after = client.get("/tracking/ENTERPRISE").get_data(as_text=True)
    assert f'id="form-cancel-{cls_id}"' not in after and "已注销" in after
    assert client.get(f"/tracking/class/{cls_id}").status_code == 200  # still tracked (read)
    assert client.post(f"/tracking/class/{cls_id}/do/nope", data={"csrf_token": token}).status_code == 404


def test_demo_running_class(ctx):
    from seed import demo_running_class

    before = db.session.scalar(select(func.count()).select_from(Attendance))
    demo_running_class.seed(db.session)
    demo_running_class.seed(db.session)  # idempotent
    db.session.commit()
    ent = factories.demo_enterprise("ent_gz")
    cls = db.session.scalars(select(TrainingClass).join(Filing).where(
        Filing.enterprise_id == ent.id, Filing.status == FilingStatus.APPROVED,
        TrainingClass.start_date < date.today())).one()
    day = today()
    assert 55 <= (day - cls.start_date).days <= 65 and cls.filing.filing_no.startswith("XT4401-")
    assert db.session.scalar(select(func.count()).select_from(Attendance)) > before
    rates = [r["rate"] for r in aq.tab_rows(db.session, cls, "trainees")]
    assert len(rates) >= 5 and sum(r > 0.8 for r in rates) >= 4 and min(rates) < 0.6
    dates = [c.start_date for c in cls.courses if c.status == CourseStatus.CONFIGURED]
    assert day in dates and any(d > day for d in dates) and sum(d < day for d in dates) >= 5
    assert all(c.venue.enterprise_id == ent.id for c in cls.courses if c.venue_id)
    counts = {r["course_id"]: r for r in aq.tab_rows(db.session, cls, "courses")}
    assert len(counts) == sum(d <= day for d in dates)

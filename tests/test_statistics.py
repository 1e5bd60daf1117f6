"""统计分析 (issue 14): every figure equals a hand count of a small known world; scope (the reviewer's city only, the
admin's city filter, the enterprise refused), the date range, bad parameters (4xx, never 500), the xlsx export
(contents and neutralised cells), the OpenAPI entry, the refresh of the attendance pre-aggregate, and a filing
submitted through the API showing up for the admin and the reviewer.

The world (``world`` below; the demo filings are removed first, today is frozen at 2027-06-15 via ``APP_TODAY``):

====  =====  =========  =========================  ==========================================================
 id   city   status     submitted (Asia/Shanghai)  classes (occupation, level, period → state on 2027-06-15)
====  =====  =========  =========================  ==========================================================
 F1   4401   DRAFT      —                          —
 F2   4401   SUBMITTED  2027-03-10                 (5 trainees; under review: no class counted)
 F3   4401   APPROVED   2027-03-20                 C3a 6-18-01-01 L4 2027-01-01..12-31 RUNNING;
                                                   C3b 6-31-01-03 L3 2026-01-01..2027-05-31 ENDED; 2 active 1 lost
 F4   4401   APPROVED   2027-04-05                 C4 6-18-01-01 L4 2027-07-01..2028-06-30 NOT_STARTED; 2 active
 F5   4401   RETURNED   2027-05-01 00:30 (UTC 04-30 16:30: the local month is May)
 F6   4401   CANCELLED  2027-03-01                 C6 (cancelled) 6-18-01-01 L4 2027-03-01..2028-02-28; 1 active 1 lost
 F7   4403   APPROVED   2027-03-15                 C7 6-18-01-01 L4 2027-02-01..2028-01-31 RUNNING; 4 active 1 lost
 F8   4403   SUBMITTED  2027-04-10
 F9   4404   APPROVED   2027-04-20                 C9 9-99-99-99 "=1+1 公式工" L3 2026-06-01..2027-06-14 ENDED; 2 active
====  =====  =========  =========================  ==========================================================

Attendance (R24 rates per trainee and class): C3a courses 10 h + 10 h + 20 h ended, 10 h not ended: T1 all (100 %,
with a repeated check-in), T2 30/40 (75 %), T3 lost 2027-02-15 due 10 h, none (0 %); C3b 8 h + 2 h: T1 both
(100 %), T2 8/10 (exactly 80 %), T3 lost: due 8 h, attended (100 %); C7 10 h: 2 attend (100 %), 2 not (0 %), the lost
one (lost before the course) nothing due; C9 10 h + 1 h: one 10/11 (90.9 %), one none (0 %); C4 and C6 have no
ended course (nothing due).
"""
from __future__ import annotations

import io
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from tests import factories
from tests.conftest import login

TODAY = "2027-06-15"
NAMES = ("filings_by_city_status", "filings_by_month", "classes_by_status", "trainees_by_occupation_level",
         "attendance_rate_distribution", "change_requests_by_kind_status", "subsidy_by_city_stage")


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setenv("APP_TODAY", TODAY)


def _utc(local: str) -> datetime:
    """A naive UTC timestamp from an Asia/Shanghai ``YYYY-MM-DD HH:MM``."""
    from core.clock import SHANGHAI

    from datetime import timezone
    return datetime.fromisoformat(local).replace(tzinfo=SHANGHAI).astimezone(timezone.utc).replace(tzinfo=None)


def _wipe_filings() -> None:
    """Remove the demo filings and everything hanging from them (the world is exactly the table above)."""
    from flask_appbuilder import Model

    from models.base import db

    names = {"subsidy_claim_person", "subsidy_claim", "attendance", "attachment", "course", "teacher",
             "change_request", "trainee", "training_class", "filing", "statistics_class", "statistics_refresh"}
    for table in reversed(Model.metadata.sorted_tables):
        if table.name in names:
            db.session.execute(delete(table))


def _class(filing, occupation, level, start, end, status="NORMAL"):
    from models.filing import TrainingClass

    row = TrainingClass(filing_id=filing.id, occupation_code=occupation, skill_level=level, start_date=start,
                        end_date=end, hours=400, planned_headcount=5, status=status)
    from models.base import db

    db.session.add(row)
    db.session.flush()
    return row


def _trainees(filing, active, lost=0, lost_date=None):
    from models.base import db
    from models.filing import Trainee

    rows = []
    for i in range(active + lost):
        is_lost = i >= active
        row = Trainee(filing_id=filing.id, name=f"学员{filing.id}-{i}", id_number=factories.id_number(),
                      status="LOST" if is_lost else "ACTIVE", lost_date=lost_date if is_lost else None,
                      lost_reason="离职" if is_lost else None)
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    return rows


def _course(cls, hours, day):
    from models.base import db
    from models.filing import Course

    row = Course(training_class_id=cls.id, name=f"课程{hours}h", mode="ONLINE", hours=hours, start_date=day,
                 end_date=day, start_time=time(9), end_time=time(17), status="CONFIGURED")
    db.session.add(row)
    db.session.flush()
    return row


def _attend(course, trainee, minute=0):
    from models.base import db
    from models.filing import Attendance

    db.session.add(Attendance(course_id=course.id, trainee_id=trainee.id, source="DEVICE",
                              check_in=datetime.combine(course.start_date, time(1, minute))))


@pytest.fixture
def world(app):
    """The world of the module docstring; returns the ids the tests need."""
    from models.base import db
    from models.filing import ChangeRequest
    from models.lookups import Occupation
    from models.subsidy import SubsidyClaim

    with app.app_context():
        _wipe_filings()
        gz = factories.demo_enterprise("ent_gz")
        sz = factories.demo_enterprise("ent_sz")
        zh = factories.enterprise("珠海统计测试有限公司", city="4404")
        db.session.add(Occupation(code="9-99-99-99", name="=1+1 公式工"))

        def filing(ent, status, submitted=None):
            return factories.filing(ent.id, status=status, submitted_at=_utc(submitted) if submitted else None)

        f1 = filing(gz, "DRAFT")
        f2 = filing(gz, "SUBMITTED", "2027-03-10 10:00")
        f3 = filing(gz, "APPROVED", "2027-03-20 10:00")
        f4 = filing(gz, "APPROVED", "2027-04-05 10:00")
        filing(gz, "RETURNED", "2027-05-01 00:30")
        f6 = filing(gz, "CANCELLED", "2027-03-01 10:00")
        f7 = filing(sz, "APPROVED", "2027-03-15 10:00")
        filing(sz, "SUBMITTED", "2027-04-10 10:00")
        f9 = filing(zh, "APPROVED", "2027-04-20 10:00")

        _class(f2, "6-18-01-01", 4, date(2027, 7, 1), date(2028, 6, 30))
        _trainees(f2, 5)
        _trainees(f1, 3)
        c3a = _class(f3, "6-18-01-01", 4, date(2027, 1, 1), date(2027, 12, 31))
        c3b = _class(f3, "6-31-01-03", 3, date(2026, 1, 1), date(2027, 5, 31))
        t1, t2, t3 = _trainees(f3, 2, 1, lost_date=date(2027, 2, 15))
        _class(f4, "6-18-01-01", 4, date(2027, 7, 1), date(2028, 6, 30))
        _trainees(f4, 2)
        _class(f6, "6-18-01-01", 4, date(2027, 3, 1), date(2028, 2, 28), status="CANCELLED")
        _trainees(f6, 1, 1, lost_date=date(2027, 4, 1))
        c7 = _class(f7, "6-18-01-01", 4, date(2027, 2, 1), date(2028, 1, 31))
        s = _trainees(f7, 4, 1, lost_date=date(2027, 1, 1))
        c9 = _class(f9, "9-99-99-99", 3, date(2026, 6, 1), date(2027, 6, 14))
        z = _trainees(f9, 2)

        k1, k2, k3 = (_course(c3a, 10, date(2027, 2, 1)), _course(c3a, 10, date(2027, 3, 1)),
                      _course(c3a, 20, date(2027, 4, 1)))
        _course(c3a, 10, date(2027, 7, 1))  # not ended: never due
        for k in (k1, k2, k3):
            _attend(k, t1)
        _attend(k1, t1, minute=5)  # a repeat counts the course once
        _attend(k1, t2)
        _attend(k3, t2)
        k5, k6 = _course(c3b, 8, date(2027, 1, 10)), _course(c3b, 2, date(2027, 5, 1))
        _attend(k5, t1)
        _attend(k6, t1)
        _attend(k5, t2)
        _attend(k5, t3)
        k7 = _course(c7, 10, date(2027, 3, 1))
        _attend(k7, s[0])
        _attend(k7, s[1])
        k9a, k9b = _course(c9, 10, date(2027, 5, 1)), _course(c9, 1, date(2027, 5, 2))
        _attend(k9a, z[0])
        assert k9b.id

        for ent_filing, kind, status, submitted in (
                (f3, "CLASS_DATES", "APPLIED", "2027-03-25 10:00"), (f3, "TEACHER", "SUBMITTED", "2027-04-02 10:00"),
                (f3, "TEACHER", "DRAFT", None), (f7, "TEACHER", "APPROVED", "2027-04-15 10:00"),
                (f7, "TEACHER", "RETURNED", "2027-05-02 10:00")):
            db.session.add(ChangeRequest(filing_id=ent_filing.id, kind=kind, status=status,
                                         submitted_at=_utc(submitted) if submitted else None))

        def claim(ent_filing, stage, status, requested, approved=None, submitted=None):
            db.session.add(SubsidyClaim(enterprise_id=ent_filing.enterprise_id, city_code=ent_filing.city_code,
                                        filing_id=ent_filing.id, stage=stage, status=status,
                                        requested_amount=Decimal(requested),
                                        approved_amount=Decimal(approved) if approved else None,
                                        submitted_at=_utc(submitted) if submitted else None))

        claim(f3, "ADVANCE", "APPROVED", "12000.00", "11500.50", "2027-04-10 10:00")
        claim(f3, "ADVANCE", "SUBMITTED", "3000.25", None, "2027-05-05 10:00")
        claim(f3, "BALANCE", "DRAFT", "999.00")
        claim(f3, "BALANCE", "RETURNED", "500.00", None, "2027-05-06 10:00")
        claim(f7, "ADVANCE", "APPROVED", "8000.00", "8000.00", "2027-04-20 10:00")
        db.session.commit()

        from actions.statistics import refresh_class_figures

        refresh_class_figures(db.session)
        db.session.commit()
        return {"f3": f3.id, "c3a": c3a.id, "gz": gz.id}


def _rows(session, username: str, name: str, **args):
    from models.scope import Actor
    from queries import statistics as stats

    from models.security import AppUser

    actor = Actor.from_user(session.scalars(select(AppUser).filter_by(username=username)).one())
    filters = stats.parse_filters(session, actor, args)
    return stats.figure_rows(session, actor, stats.FIGURES[name], filters)


def _pick(rows, *keys):
    return [tuple(r[k] for k in keys) for r in rows]


# ---------------------------------------------------------------------------------------------------------------
# Each figure against the hand count (query level)
# ---------------------------------------------------------------------------------------------------------------


def test_filings_by_city_status(app, world, db_session):
    rows = _rows(db_session, "admin", "filings_by_city_status")
    assert _pick(rows, "city_code", "status", "count") == [
        ("4401", "SUBMITTED", 1), ("4401", "RETURNED", 1), ("4401", "APPROVED", 2), ("4401", "CANCELLED", 1),
        ("4403", "SUBMITTED", 1), ("4403", "APPROVED", 1), ("4404", "APPROVED", 1)]
    assert rows[0]["city_name"] == "广州市" and rows[0]["status_label"] == "已提交待审核"
    april = _rows(db_session, "admin", "filings_by_city_status", **{"from": "2027-04-01", "to": "2027-04-30"})
    # F5 was submitted at 00:30 on 1 May in Shanghai (30 April in UTC): not in April
    assert _pick(april, "city_code", "status", "count") == [("4401", "APPROVED", 1), ("4403", "SUBMITTED", 1),
                                                            ("4404", "APPROVED", 1)]
    assert _pick(_rows(db_session, "admin", "filings_by_city_status", **{"from": "2027-05-01"}),
                 "city_code", "status", "count") == [("4401", "RETURNED", 1)]


def test_filings_by_month_uses_the_local_month(app, world, db_session):
    rows = _rows(db_session, "admin", "filings_by_month")
    assert _pick(rows, "month", "status", "count") == [
        ("2027-03", "SUBMITTED", 1), ("2027-03", "APPROVED", 2), ("2027-03", "CANCELLED", 1),
        ("2027-04", "SUBMITTED", 1), ("2027-04", "APPROVED", 2), ("2027-05", "RETURNED", 1)]
    assert _pick(_rows(db_session, "gz_reviewer", "filings_by_month"), "month", "status", "count") == [
        ("2027-03", "SUBMITTED", 1), ("2027-03", "APPROVED", 1), ("2027-03", "CANCELLED", 1),
        ("2027-04", "APPROVED", 1), ("2027-05", "RETURNED", 1)]


def test_classes_by_status_as_of_today(app, world, db_session):
    rows = _rows(db_session, "admin", "classes_by_status")
    assert _pick(rows, "city_code", "state", "count") == [
        ("4401", "NOT_STARTED", 1), ("4401", "RUNNING", 1), ("4401", "ENDED", 1), ("4401", "CANCELLED", 1),
        ("4403", "RUNNING", 1), ("4404", "ENDED", 1)]
    assert rows[1]["state_label"] == "培训中"
    # the range keeps the classes whose period overlaps it: C3b and C9 ended before July
    july = _rows(db_session, "admin", "classes_by_status", **{"from": "2027-07-01"})
    assert _pick(july, "city_code", "state", "count") == [
        ("4401", "NOT_STARTED", 1), ("4401", "RUNNING", 1), ("4401", "CANCELLED", 1), ("4403", "RUNNING", 1)]


def test_trainees_by_occupation_level(app, world, db_session):
    rows = _rows(db_session, "admin", "trainees_by_occupation_level")
    assert _pick(rows, "occupation_code", "skill_level", "active", "lost") == [
        ("6-18-01-01", 4, 9, 3), ("6-31-01-03", 3, 2, 1), ("9-99-99-99", 3, 2, 0)]
    assert rows[0]["occupation_name"] == "车工" and rows[0]["skill_level_name"] == "四级/中级工"
    assert _pick(_rows(db_session, "gz_reviewer", "trainees_by_occupation_level"),
                 "occupation_code", "skill_level", "active", "lost") == [
        ("6-18-01-01", 4, 5, 2), ("6-31-01-03", 3, 2, 1)]
    assert _pick(_rows(db_session, "admin", "trainees_by_occupation_level", city_code="4403"),
                 "occupation_code", "active", "lost") == [("6-18-01-01", 4, 1)]


def test_attendance_rate_distribution(app, world, db_session):
    counts = {r["bucket"]: r["trainees"] for r in _rows(db_session, "admin", "attendance_rate_distribution")}
    assert counts == {"BELOW_60": 4, "FROM_60": 1, "FROM_80": 1, "FROM_90": 1, "FULL": 5, "NONE": 5}
    gz = {r["bucket"]: r["trainees"] for r in _rows(db_session, "gz_reviewer", "attendance_rate_distribution")}
    assert gz == {"BELOW_60": 1, "FROM_60": 1, "FROM_80": 1, "FROM_90": 0, "FULL": 3, "NONE": 4}
    # from July on, C3b and C9 (ended in May / June) drop out
    july = {r["bucket"]: r["trainees"]
            for r in _rows(db_session, "admin", "attendance_rate_distribution", **{"from": "2027-07-01"})}
    assert july == {"BELOW_60": 3, "FROM_60": 1, "FROM_80": 0, "FROM_90": 0, "FULL": 3, "NONE": 5}


def test_attendance_buckets_agree_with_the_r24_rate_of_the_tracking_screen(app, world, db_session):
    """The pre-aggregate is the rate 查看考勤 shows (queries/attendance.py), bucketed — one definition."""
    from models.filing import TrainingClass
    from models.statistics import ClassFigures
    from queries.attendance import tab_rows

    cls = db_session.get(TrainingClass, world["c3a"])
    rates = sorted(r["rate"] for r in tab_rows(db_session, cls, "trainees"))
    assert rates == [0.0, 0.75, 1.0]
    stored = db_session.get(ClassFigures, cls.id)
    assert (stored.rate_below_60, stored.rate_from_60, stored.rate_from_80, stored.rate_from_90, stored.rate_full,
            stored.rate_none) == (1, 1, 0, 0, 1, 0)
    assert (stored.city_code, stored.occupation_code, stored.skill_level, stored.active, stored.lost) == (
        "4401", "6-18-01-01", 4, 2, 1)


def test_class_figures_follow_the_refresh(app, world, api):
    """The class figures are as of the last refresh (the card says when); the next refresh picks a change up."""
    from actions.statistics import refresh_class_figures
    from models.base import db
    from models.filing import Trainee

    def lost(user):
        rows = api(user).get("/api/v1/statistics/trainees_by_occupation_level").get_json()["rows"]
        return {r["occupation_code"]: r["lost"] for r in rows}["6-18-01-01"]

    with app.app_context():
        trainee = db.session.scalars(select(Trainee).where(Trainee.filing_id == world["f3"],
                                                           Trainee.status == "ACTIVE")).first()
        trainee.status, trainee.lost_date, trainee.lost_reason = "LOST", date(2027, 6, 1), "离职"
        db.session.commit()
    assert (lost("admin"), lost("gz_reviewer")) == (3, 2)
    body = api("admin").get("/api/v1/statistics/trainees_by_occupation_level").get_json()
    assert body["refreshed_at"]
    with app.app_context():
        refresh_class_figures(db.session)
        db.session.commit()
    assert (lost("admin"), lost("gz_reviewer")) == (4, 3)


def test_change_requests_by_kind_status(app, world, db_session):
    assert _pick(_rows(db_session, "admin", "change_requests_by_kind_status"), "kind", "status", "count") == [
        ("CLASS_DATES", "APPLIED", 1), ("TEACHER", "SUBMITTED", 1), ("TEACHER", "APPROVED", 1),
        ("TEACHER", "RETURNED", 1)]
    assert _pick(_rows(db_session, "gz_reviewer", "change_requests_by_kind_status"), "kind", "status", "count") == [
        ("CLASS_DATES", "APPLIED", 1), ("TEACHER", "SUBMITTED", 1)]
    assert _pick(_rows(db_session, "admin", "change_requests_by_kind_status", **{"to": "2027-04-10"}),
                 "kind", "status", "count") == [("CLASS_DATES", "APPLIED", 1), ("TEACHER", "SUBMITTED", 1)]


def test_subsidy_by_city_stage(app, world, db_session):
    rows = _rows(db_session, "admin", "subsidy_by_city_stage")
    assert _pick(rows, "city_code", "stage", "claims", "approved_claims", "requested", "approved") == [
        ("4401", "ADVANCE", 2, 1, "15000.25", "11500.50"), ("4403", "ADVANCE", 1, 1, "8000.00", "8000.00")]
    assert rows[0]["stage_label"] == "预拨"
    assert _pick(_rows(db_session, "sz_reviewer", "subsidy_by_city_stage"), "city_code", "requested") == [
        ("4403", "8000.00")]
    assert _pick(_rows(db_session, "admin", "subsidy_by_city_stage", **{"from": "2027-05-01"}),
                 "city_code", "claims", "requested", "approved") == [("4401", 1, "3000.25", "0.00")]


# ---------------------------------------------------------------------------------------------------------------
# The API: scope, parameters, contract
# ---------------------------------------------------------------------------------------------------------------


def test_api_answers_the_same_rows_and_scopes_by_role(app, world, api):
    admin, gz, sz = api("admin"), api("gz_reviewer"), api("sz_reviewer")
    body = admin.get("/api/v1/statistics/filings_by_city_status").get_json()
    assert {r["city_code"] for r in body["rows"]} == {"4401", "4403", "4404"}
    assert set(body["rows"][0]) >= {"city_code", "status", "count"}
    for name in NAMES:
        mine = gz.get(f"/api/v1/statistics/{name}")
        assert mine.status_code == 200, (name, mine.get_data(as_text=True))
        rows = mine.get_json()["rows"]
        assert all(r.get("city_code", "4401") == "4401" for r in rows), name
        theirs = sz.get(f"/api/v1/statistics/{name}").get_json()["rows"]
        assert all(r.get("city_code", "4403") == "4403" for r in theirs), name
    # the reviewer's own city may be named; another city answers like a missing one
    assert gz.get("/api/v1/statistics/filings_by_city_status?city_code=4401").status_code == 200
    assert gz.get("/api/v1/statistics/filings_by_city_status?city_code=4403").status_code == 404
    only_sz = admin.get("/api/v1/statistics/filings_by_city_status?city_code=4403").get_json()["rows"]
    assert _pick(only_sz, "city_code", "status", "count") == [("4403", "SUBMITTED", 1), ("4403", "APPROVED", 1)]
    assert admin.get("/api/v1/statistics/subsidy_by_city_stage").get_json()["rows"][0]["requested"] == "15000.25"
    assert api("ent_gz").get("/api/v1/statistics/filings_by_city_status").status_code == 403


def test_api_parameters(app, world, api, client):
    admin = api("admin")
    assert admin.get("/api/v1/statistics/no_such_figure").status_code == 404
    assert admin.get("/api/v1/statistics/filings_by_city_status?city_code=9999").status_code == 404
    for query in ("city_code=44%0001", "from=%00"):  # NUL bytes: the request guard's 400 (views/request_guards.py)
        assert admin.get(f"/api/v1/statistics/filings_by_city_status?{query}").status_code == 400
    for query, field in (("from=2027-13-01", "from"), ("to=tomorrow", "to"), ("from=2027-02-30", "from"),
                         ("from=2027-06-02&to=2027-06-01", "from")):
        answer = admin.get(f"/api/v1/statistics/filings_by_month?{query}")
        assert answer.status_code == 422, query
        assert answer.get_json()["errors"][0]["field"] == field, query
        assert "日期" in answer.get_json()["message"]
    assert admin.get("/api/v1/statistics/filings_by_month?from=" + "9" * 5000).status_code == 422
    assert admin.get("/api/v1/statistics/filings_by_month?from=2027-06-01&to=2027-06-01").status_code == 200
    assert client.get("/api/v1/statistics/filings_by_month").status_code == 401


def test_openapi_documents_every_figure(app, api):
    from queries.statistics import FIGURES

    spec = api("admin").get("/api/v1/_openapi").get_json()
    operation = spec["paths"]["/api/v1/statistics/{name}"]["get"]
    assert {"200", "401", "403", "404", "422"} <= set(operation["responses"])
    name = next(p for p in operation["parameters"] if p["name"] == "name")
    assert name["schema"]["enum"] == list(FIGURES) == list(NAMES)
    assert {p["name"] for p in operation["parameters"]} == {"name", "from", "to", "city_code"}
    for figure in FIGURES.values():
        schema = spec["components"]["schemas"][f"StatisticsRow_{figure.name}"]
        assert set(schema["properties"]) >= {c.key for c in figure.columns}
        assert figure.name in operation["description"]
    contract = spec["components"]["schemas"]
    assert set(contract["StatisticsRow_filings_by_city_status"]["properties"]) >= {"city_code", "status", "count"}
    assert set(contract["StatisticsRow_trainees_by_occupation_level"]["properties"]) >= {
        "occupation_code", "skill_level", "active", "lost"}
    assert set(contract["StatisticsRow_subsidy_by_city_stage"]["properties"]) >= {
        "city_code", "stage", "requested", "approved"}


def test_a_new_filing_shows_up_for_the_admin_and_the_reviewer(app, world, api):
    """Done when (issue 14): a filing submitted now is in the admin's and the reviewer's figures at once."""
    from models.base import db

    def submitted(user):
        rows = api(user).get("/api/v1/statistics/filings_by_city_status?city_code=4401").get_json()["rows"]
        return next((r["count"] for r in rows if r["status"] == "SUBMITTED"), 0)

    before = (submitted("admin"), submitted("gz_reviewer"))
    with app.app_context():
        new = factories.complete_filing(world["gz"], start=date(2027, 9, 1), end=date(2028, 8, 31))
        db.session.commit()
        pk = new.id
    answer = api("ent_gz").post(f"/api/v1/filing/{pk}/submit")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert (submitted("admin"), submitted("gz_reviewer")) == (before[0] + 1, before[1] + 1)


# ---------------------------------------------------------------------------------------------------------------
# The screen and the xlsx
# ---------------------------------------------------------------------------------------------------------------


def test_dashboard_tables_show_the_scope_only(app, world, client):
    login(client, "gz_reviewer")
    page = client.get("/statistics/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for name in NAMES:
        assert f'id="table-{name}"' in html and f'id="chart-{name}"' in html
        assert f"/api/v1/statistics/{name}?city_code=4401" in html
    assert "深圳市" not in html and "珠海市" not in html
    assert 'role="img"' in html and "<caption>" in html and 'scope="col"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "cdn" not in html.lower()
    assert 'id="city_code"' not in html  # the reviewer has no city select


def test_dashboard_admin_city_filter_and_bad_dates(app, world, client):
    login(client, "admin")
    html = client.get("/statistics/?city_code=4403").get_data(as_text=True)
    assert '<option value="4403" selected>' in html
    table = html[html.index('id="table-filings_by_city_status"'):]
    table = table[:table.index("</table>")]
    assert "深圳市" in table and "广州市" not in table
    bad = client.get("/statistics/?from=2027-02-30")
    assert bad.status_code == 422 and "开始日期" in bad.get_data(as_text=True)
    assert client.get("/statistics/?city_code=0000").status_code == 404
    assert client.get("/statistics/?from=2027-06-02&to=2027-06-01").status_code == 422


def test_dashboard_refused_to_the_enterprise(app, client):
    login(client, "ent_gz")
    assert client.get("/statistics/").status_code == 403
    assert client.get("/statistics/export/filings_by_city_status.xlsx").status_code == 403


def test_xlsx_export_contents_and_neutralised_cells(app, world, client):
    from openpyxl import load_workbook

    login(client, "admin")
    answer = client.get("/statistics/export/trainees_by_occupation_level.xlsx?from=2026-01-01&to=2027-12-31")
    assert answer.status_code == 200
    assert answer.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(answer.data)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "培训人员（按职业、等级：在训、流失）"
    assert "2026-01-01" in rows[1][0] and "全省" in rows[1][0]
    assert rows[2] == ["职业（工种）编码", "职业（工种）", "培训等级", "在训人数", "流失人数"]
    assert rows[3] == ["6-18-01-01", "车工", "四级/中级工", 9, 3]
    assert rows[5] == ["9-99-99-99", "'=1+1 公式工", "三级/高级工", 2, 0]  # a formula-like name stays text
    money = load_workbook(io.BytesIO(client.get("/statistics/export/subsidy_by_city_stage.xlsx").data)).active
    data = [list(r) for r in money.iter_rows(values_only=True)][3:]
    assert data == [["广州市", "预拨", 2, 1, 15000.25, 11500.5], ["深圳市", "预拨", 1, 1, 8000, 8000]]
    assert client.get("/statistics/export/no_such.xlsx").status_code == 404
    assert client.get("/statistics/export/filings_by_month.xlsx?to=x").status_code == 422


def test_reviewer_export_is_its_city(app, world, client):
    from openpyxl import load_workbook

    login(client, "sz_reviewer")
    sheet = load_workbook(io.BytesIO(client.get("/statistics/export/filings_by_city_status.xlsx").data)).active
    data = [list(r) for r in sheet.iter_rows(values_only=True)][3:]
    assert data == [["深圳市", "已提交待审核", 1], ["深圳市", "审核通过", 1]]
    assert client.get("/statistics/export/filings_by_city_status.xlsx?city_code=4401").status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# 导出全部报表: every figure in one workbook, as a background job (issue 15)
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture
def job_thread(app, tmp_path, monkeypatch):
    """Jobs run by the app's worker thread into a directory of this test."""
    from tests.test_jobs import wait_idle

    monkeypatch.setitem(app.config, "JOB_FILES_DIR", str(tmp_path / "job_files"))
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 0)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "")
    yield
    wait_idle(app)


def _sheets(data: bytes) -> dict[str, list[list]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data))
    return {sheet.title: [list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def test_export_all_job_has_every_figure_in_the_actors_scope(app, world, api, job_thread):
    from queries.statistics import FIGURES
    from tests.test_jobs import wait_finished

    admin = api("admin")
    started = admin.post("/api/v1/statistics/export", json={"from": "2026-01-01", "to": "2027-12-31"})
    assert started.status_code == 202, started.get_data(as_text=True)
    job = wait_finished(app, started.get_json()["job_id"])
    assert (job["status"], job["message"], job["result"]) == ("DONE", f"共 {len(FIGURES)} 个报表",
                                                              {"sheets": len(FIGURES)})
    state = admin.get(f"/api/v1/job/{job['public_id']}").get_json()
    assert state["progress"] == 1.0 and state["file_name"].startswith("统计报表-全省-")
    sheets = _sheets(admin.get(state["download_url"]).data)
    assert list(sheets) == [str(figure.title) for figure in FIGURES.values()]  # the dashboard's order
    occupations = sheets["培训人员（按职业、等级：在训、流失）"]
    assert "2026-01-01" in occupations[1][0] and "全省" in occupations[1][0]
    assert occupations[3] == ["6-18-01-01", "车工", "四级/中级工", 9, 3]  # the per-table export's numbers
    assert occupations[5] == ["9-99-99-99", "'=1+1 公式工", "三级/高级工", 2, 0]  # neutralised
    assert sheets["补贴申领（按地市、阶段）"][3:] == [["广州市", "预拨", 2, 1, 15000.25, 11500.5],
                                               ["深圳市", "预拨", 1, 1, 8000, 8000]]

    # a reviewer's workbook is its city's, whatever it asks for; another city's code answers 404 like a missing one
    sz = api("sz_reviewer")
    assert sz.post("/api/v1/statistics/export", json={"city_code": "4401"}).status_code == 404
    mine = sz.post("/api/v1/statistics/export", json={})
    assert mine.status_code == 202
    done = wait_finished(app, mine.get_json()["job_id"])
    assert done["status"] == "DONE" and done["file_name"].startswith("统计报表-深圳市-")
    theirs = _sheets(sz.get(f"/api/v1/job/{done['public_id']}/download").data)
    assert theirs["培训备案（按地市、状态）"][3:] == [["深圳市", "已提交待审核", 1], ["深圳市", "审核通过", 1]]
    assert all("广州市" not in str(row) for rows in theirs.values() for row in rows)
    # the job is the requester's alone
    assert admin.get(f"/api/v1/job/{done['public_id']}").status_code == 404


def test_export_all_refusals(app, world, api, client):
    admin = api("admin")
    for body, field in (({"from": "2027-02-30"}, "from"), ({"from": "2027-06-02", "to": "2027-06-01"}, "from"),
                        ({"to": 20270601}, "to")):
        answer = admin.post("/api/v1/statistics/export", json=body)
        assert answer.status_code == 422, body
        assert answer.get_json()["errors"][0]["field"] == field, body
    assert admin.post("/api/v1/statistics/export", json=["from"]).status_code == 422
    assert admin.post("/api/v1/statistics/export", json={"city_code": "9999"}).status_code == 404
    assert api("ent_gz").post("/api/v1/statistics/export", json={}).status_code == 403
    assert client.post("/api/v1/statistics/export", json={}).status_code == 401
    with app.app_context():
        from models.base import db
        from models.job import Job

        assert db.session.scalar(select(func.count()).select_from(Job)) == 0  # nothing started
        db.session.remove()


def test_export_all_button_starts_the_job_with_the_dashboards_filter(app, world, client, job_thread):
    from tests.conftest import csrf_token_from
    from tests.test_jobs import wait_finished

    login(client, "admin")
    page = client.get("/statistics/?city_code=4403&from=2026-01-01").get_data(as_text=True)
    assert 'id="export-all"' in page and 'name="city_code" value="4403"' in page
    token = csrf_token_from(page)
    assert client.post("/statistics/export_all", data={"city_code": "4403"}).status_code == 400  # no CSRF token
    started = client.post("/statistics/export_all", data={"csrf_token": token, "city_code": "4403",
                                                          "from": "2026-01-01"})
    assert started.status_code == 302 and "/downloads/" in started.headers["Location"]
    job = wait_finished(app, started.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert job["status"] == "DONE" and job["params"] == {"city_code": "4403", "from": "2026-01-01"}
    bad = client.post("/statistics/export_all", data={"csrf_token": token, "from": "2027-02-30"})
    assert bad.status_code == 302 and bad.headers["Location"].endswith("/statistics/")
    assert "格式不正确" in client.get("/statistics/").get_data(as_text=True)  # the flashed message


# ---------------------------------------------------------------------------------------------------------------
# The pre-aggregate's refresh
# ---------------------------------------------------------------------------------------------------------------


def test_refresh_is_idempotent_and_stamped(app, world, db_session):
    from actions.statistics import CLASS_FIGURES, refresh_class_figures
    from models.statistics import ClassFigures, StatisticsRefresh

    def snapshot():
        return sorted(tuple(row) for row in db_session.execute(select(ClassFigures.__table__)).all())

    first = snapshot()
    assert refresh_class_figures(db_session) == len(first)
    db_session.commit()
    assert snapshot() == first
    stamp = db_session.get(StatisticsRefresh, CLASS_FIGURES)
    assert stamp.row_count == len(first) and stamp.refreshed_at is not None


def test_refresh_command_and_card_time(app, world, client):
    result = app.test_cli_runner().invoke(args=["statistics", "refresh"])
    assert result.exit_code == 0, result.output
    assert "statistics_class: 6 classes" in result.output
    login(client, "admin")
    html = client.get("/statistics/").get_data(as_text=True)
    card = html[html.index('id="card-attendance_rate_distribution"'):]
    assert "统计时间：" in card[:card.index("</section>")]


def test_never_refreshed_says_so(app, client):
    login(client, "admin")
    html = client.get("/statistics/").get_data(as_text=True)
    assert "尚未统计" in html

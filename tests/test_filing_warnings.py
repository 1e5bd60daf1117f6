"""Issue 12: the under-16 refusal and the soft warnings of a filing (actions/checklist.py, actions/filings.py,
actions/review.py).

- 《劳动法》第十五条: a trainee under 16 on the earliest class start is refused at save (form, API, import: one
  cleaner), at submission and again at approval — for every apprenticeship type (DESIGN and the manual make no
  exception for 学生学徒制).
- Soft warnings, each true and false: 年满60周岁 at the class start, a class already over, course hours below the
  class hours, fewer active trainees than planned. They are in ``GET …/checklist`` (``warnings``), on 提交审核 and on
  the reviewer's detail, and never block a submission. Set-based: the number of SQL statements does not grow with
  the number of trainees, and a message names at most 20 people, then "等 N 人".
"""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import event, select

from actions import checklist, filings
from actions import review as review_actions
from actions.imports import import_rows
from core.clock import add_years
from core.errors import ValidationFailed
from models.base import db, utcnow
from models.filing import Course, Filing, Trainee
from tests import factories as f
from tests.conftest import browser_login, csrf_token_from, login, screenshot

START = date(2027, 3, 1)  # factories.complete_filing's class start
END = date(2028, 2, 29)
SIXTEENTH = add_years(START, -16)  # born on this day: exactly 16 on the start, accepted
TRAINEE = {"name": "张小弟", "phone": "13700137000", "education": "SECONDARY_VOCATIONAL",
           "contract_start": "2026-01-01", "contract_end": "2028-12-31", "hire_date": "2026-01-01"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


def gz():
    return f.demo_enterprise("ent_gz")


def born(day: date) -> str:
    """A valid ID number of someone born on ``day``."""
    return f.id_number(birth=day.strftime("%Y%m%d"))


def add_trainee(filing: Filing, name: str, birth: date) -> Trainee:
    """A stored trainee row as an old or outside import may have left it (the cleaner is not run)."""
    row = Trainee(name=name, id_number=born(birth), gender="M", birth_date=birth, phone="13700137000",
                  education="SECONDARY_VOCATIONAL", contract_start=date(2026, 1, 1), contract_end=date(2029, 12, 31),
                  hire_date=date(2026, 1, 1))
    filing.trainees.append(row)
    filing.classes[0].planned_headcount = len(filing.trainees)
    db.session.flush()
    return row


def quiet_filing(**kw) -> Filing:
    """A complete filing that raises no warning at all (course hours equal the class hours)."""
    filing = f.complete_filing(gz().id, **kw)
    if filing.classes[0].courses:
        filing.classes[0].hours = sum(c.hours for c in filing.classes[0].courses)
    db.session.flush()
    return filing


def codes(filing: Filing) -> list[str]:
    return [w.code for w in checklist.build_checklist(db.session, filing).warnings]


def trainee_problem(filing: Filing) -> str:
    result = checklist.build_checklist(db.session, filing)
    return next(i.message for i in result.items if i.code == "trainee")


# ---- the hard rule: under 16 on the class start ---------------------------------------------------------------

@pytest.mark.parametrize("programme,kind", [("ENTERPRISE", "NEW_APPRENTICE"), ("ENTERPRISE", "STUDENT"),
                                            ("ECOSYSTEM", "TECH_TRAINEE")])
def test_under_16_refused_at_save_for_every_type(ctx, programme, kind):
    filing = quiet_filing(programme=programme, apprenticeship_type=kind)
    actor = f.actor("ent_gz")
    with pytest.raises(ValidationFailed) as info:
        filings.save_child(db.session, actor, "trainee", filing.id,
                           {**TRAINEE, "id_number": born(SIXTEENTH + timedelta(days=1))})
    (error,) = info.value.errors
    assert error.field == "id_number"
    message = str(error.message)
    assert "张小弟（15周岁）" in message and "2027-03-01" in message
    assert "《劳动法》" in message and "禁止用人单位招用未满十六周岁的未成年人" in message
    # Sixteen on the very day the class starts: accepted.
    row = filings.save_child(db.session, actor, "trainee", filing.id, {**TRAINEE, "id_number": born(SIXTEENTH)})
    assert row.birth_date == SIXTEENTH


def test_under_16_is_counted_from_the_earliest_class_start(ctx):
    filing = quiet_filing()
    later = filing.classes[0]
    filings.save_child(db.session, f.actor("ent_gz"), "training_class", filing.id, {
        "occupation_code": "6-18-01-01", "skill_level": "4", "start_date": "2026-09-01", "end_date": "2027-08-31",
        "hours": "40", "planned_headcount": "1"})
    assert later.start_date == START
    with pytest.raises(ValidationFailed) as info:  # 16 on 2027-03-01 but 15 on 2026-09-01
        filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                           {**TRAINEE, "id_number": born(SIXTEENTH)})
    assert "（15周岁）" in str(info.value.errors[0].message) and "2026-09-01" in str(info.value.errors[0].message)


def test_under_16_without_a_class_is_left_to_the_submit_check(ctx):
    filing = f.filing(gz().id)
    row = filings.save_child(db.session, f.actor("ent_gz"), "trainee", filing.id,
                             {**TRAINEE, "id_number": born(date(2015, 1, 1))})
    assert row.id is not None


def test_under_16_refused_by_the_api(app, api):
    with app.app_context():
        filing_id = quiet_filing().id
        db.session.commit()
    body = {**TRAINEE, "filing_id": filing_id, "id_number": born(date(2012, 5, 5))}
    response = api("ent_gz").post("/api/v1/trainee/", json=body)
    assert response.status_code == 422, response.get_json()
    (error,) = response.get_json()["errors"]
    assert error["field"] == "id_number"
    assert "张小弟（14周岁）" in error["message"] and "《劳动法》" in error["message"]
    ok = api("ent_gz").post("/api/v1/trainee/", json={**body, "id_number": born(date(2000, 5, 5))})
    assert ok.status_code == 201, ok.get_json()


def test_under_16_refused_by_the_form_with_the_input_kept(app, client):
    with app.app_context():
        filing_id = quiet_filing().id
        db.session.commit()
    login(client, "ent_gz")
    page = client.get(f"/filing/{filing_id}/trainees?new=1").get_data(as_text=True)
    number = born(date(2013, 1, 1))
    response = client.post(f"/filing/{filing_id}/trainees/save",
                           data={**TRAINEE, "id_number": number, "csrf_token": csrf_token_from(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "张小弟（14周岁）" in html and "禁止用人单位招用未满十六周岁的未成年人" in html
    assert number in html  # the input is kept
    with app.app_context():
        assert db.session.scalar(select(Trainee.id).where(Trainee.id_number == number)) is None


def test_under_16_refused_by_the_import_with_its_row(ctx):
    filing = quiet_filing()
    rows = [{**TRAINEE, "name": f"学员{i}", "education": "本科",
             "id_number": born(date(2012, 6, 1) if i == 2 else date(1999, 6, 1))} for i in range(3)]
    with pytest.raises(ValidationFailed) as info:
        import_rows(db.session, f.actor("ent_gz"), filing.id, "trainee", rows, dry_run=True)
    assert [(e.row, e.field) for e in info.value.errors] == [(4, "id_number")], info.value.errors
    error = info.value.errors[0]
    assert "学员2（14周岁）" in str(error.message)


def test_submit_refuses_under_16_named_with_age(ctx):
    filing = quiet_filing()
    add_trainee(filing, "小明", SIXTEENTH + timedelta(days=1))
    result = checklist.build_checklist(db.session, filing)
    assert not result.ready and [i.code for i in result.items if not i.ok] == ["trainee"]
    assert "小明（15周岁）" in trainee_problem(filing) and "《劳动法》" in trainee_problem(filing)
    with pytest.raises(ValidationFailed) as info:
        filings.submit(db.session, f.actor("ent_gz"), filing.id)
    assert "小明（15周岁）" in str(info.value.errors[0].message)
    assert filing.status == "DRAFT"


def test_submit_under_16_message_names_twenty_then_counts(ctx):
    filing = quiet_filing()
    for i in range(25):
        add_trainee(filing, f"少年{i:02d}", date(2012, 1, 1))
    problem = trainee_problem(filing)
    assert "少年19（15周岁）" in problem and "少年20" not in problem and "等 25 人" in problem


def test_approval_rechecks_under_16(app, client):
    """The class start may have moved since submission (or the filing predates the rule): 通过 is refused."""
    with app.app_context():
        filing = quiet_filing(status="SUBMITTED", submitted_at=utcnow())
        young = add_trainee(filing, "小红", SIXTEENTH + timedelta(days=30))
        filing_id, young_id = filing.id, young.id
        db.session.commit()
        with pytest.raises(ValidationFailed) as info:
            review_actions.approve(db.session, f.actor("gz_reviewer"), filing_id)
        assert "小红（15周岁）" in str(info.value.message) and "不能审核通过" in str(info.value.message)
        db.session.rollback()
    login(client, "gz_reviewer")
    page = client.get(f"/review/filing/{filing_id}").get_data(as_text=True)
    assert 'data-code="trainee_under_16"' in page  # shown before the reviewer tries
    response = client.post(f"/review/filing/{filing_id}/approve", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 422 and "小红（15周岁）" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Filing, filing_id).status == "SUBMITTED"
        db.session.delete(db.session.get(Trainee, young_id))
        db.session.flush()
        approved = review_actions.approve(db.session, f.actor("gz_reviewer"), filing_id)
        assert approved.status == "APPROVED"
        db.session.commit()


# ---- soft warnings, each true and false --------------------------------------------------------------------------

def test_a_quiet_filing_has_no_warning(ctx):
    assert codes(quiet_filing()) == []


def test_over_60_warning_names_the_person_and_age(ctx):
    filing = quiet_filing()
    add_trainee(filing, "老李", add_years(START, -60) + timedelta(days=1))  # 59 on the start: nothing
    assert codes(filing) == []
    add_trainee(filing, "老王", add_years(START, -60))  # 60 that day
    add_trainee(filing, "老张", date(1950, 1, 1))
    (warning,) = checklist.build_checklist(db.session, filing).warnings
    assert warning.code == "trainee_over_60"
    assert "老王（60周岁）" in warning.message and "老张（77周岁）" in warning.message
    assert "老李" not in warning.message
    assert [(r["name"], r["age"]) for r in warning.rows] == [("老王", 60), ("老张", 77)]


def test_over_60_warning_names_twenty_then_counts(ctx):
    filing = quiet_filing()
    for i in range(23):
        add_trainee(filing, f"长者{i:02d}", date(1940, 1, 1))
    (warning,) = checklist.build_checklist(db.session, filing).warnings
    assert "长者19（87周岁）" in warning.message and "长者20" not in warning.message
    assert "等 23 人" in warning.message and len(warning.rows) == 20


def test_class_ended_warning(ctx, monkeypatch):
    filing = quiet_filing()
    monkeypatch.setenv("APP_TODAY", END.isoformat())  # the last day: not over yet
    assert codes(filing) == []
    monkeypatch.setenv("APP_TODAY", (END + timedelta(days=1)).isoformat())
    (warning,) = checklist.build_checklist(db.session, filing).warnings
    assert warning.code == "class_ended" and "2028-02-29" in warning.message
    assert warning.rows == [{"id": filing.classes[0].id, "name": warning.rows[0]["name"]}]


def test_course_hours_warning(ctx):
    filing = quiet_filing()
    cls = filing.classes[0]
    cls.courses.append(Course(name="已取消的课", mode="ONLINE", hours=500, status="CANCELLED"))
    cls.hours = 41  # one more than the 40 hours of the course (the cancelled one does not count)
    db.session.flush()
    (warning,) = checklist.build_checklist(db.session, filing).warnings
    assert warning.code == "course_hours" and "课时合计 40" in warning.message and "培训课时 41" in warning.message
    cls.hours = 40
    db.session.flush()
    assert codes(filing) == []


def test_course_hours_not_warned_for_the_student_type(ctx):
    filing = quiet_filing(apprenticeship_type="STUDENT")
    assert not filing.classes[0].courses and filing.classes[0].hours == 400
    assert codes(filing) == []


def test_headcount_warning(ctx):
    filing = quiet_filing(trainees=2)
    filing.classes[0].planned_headcount = 3
    db.session.flush()
    (warning,) = checklist.build_checklist(db.session, filing).warnings
    assert warning.code == "headcount" and "2 人" in warning.message and "3 人" in warning.message
    assert warning.rows is None and "rows" not in warning.as_dict()
    filing.classes[0].planned_headcount = 2
    db.session.flush()
    assert codes(filing) == []


def _noisy(filing: Filing) -> None:
    """Every warning at once: an old trainee, a short course plan, a missing trainee; the class over."""
    add_trainee(filing, "老王", date(1950, 1, 1))
    filing.classes[0].planned_headcount += 1
    filing.classes[0].hours = 1000
    db.session.flush()


def test_warnings_never_block_submit(ctx, monkeypatch):
    filing = quiet_filing()
    _noisy(filing)
    monkeypatch.setenv("APP_TODAY", "2028-03-01")
    result = checklist.build_checklist(db.session, filing)
    assert result.ready
    assert sorted(w.code for w in result.warnings) == ["class_ended", "course_hours", "headcount",
                                                       "trainee_over_60"]
    filings.submit(db.session, f.actor("ent_gz"), filing.id)
    assert filing.status == "SUBMITTED"
    assert len(checklist.build_checklist(db.session, filing).warnings) == 4  # the reviewer sees them too
    review_actions.approve(db.session, f.actor("gz_reviewer"), filing.id)
    assert filing.status == "APPROVED"
    assert checklist.build_checklist(db.session, filing).warnings == []  # decided: no more warnings


def test_warnings_cost_the_same_queries_whatever_the_number_of_trainees(app):
    """Set-based (issue 12: a filing may have 10,000 trainees): no per-trainee query."""
    def statements(old: int) -> int:
        with app.app_context():
            filing = quiet_filing(trainees=1)
            for i in range(old):
                add_trainee(filing, f"长者{i}", date(1940, 1, 1))
            add_trainee(filing, "少年", date(2012, 1, 1))
            db.session.commit()
            filing_id = filing.id
            db.session.expunge_all()
            filing = db.session.get(Filing, filing_id)
            _ = [c.courses for c in filing.classes], filing.teachers, filing.attachments
            count = []
            engine = db.session.get_bind()
            listener = lambda *args: count.append(1)  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            try:
                result = checklist.build_checklist(db.session, filing)
            finally:
                event.remove(engine, "before_cursor_execute", listener)
            assert {w.code for w in result.warnings} == {"trainee_over_60"}
            db.session.rollback()
            return len(count)

    assert statements(2) == statements(40)


# ---- where the warnings are shown ---------------------------------------------------------------------------------

def test_checklist_api_has_the_warnings(app, api):
    with app.app_context():
        quiet = quiet_filing().id
        noisy = quiet_filing()
        _noisy(noisy)
        noisy_id = noisy.id
        db.session.commit()
    body = api("ent_gz").get(f"/api/v1/filing/{quiet}/checklist").get_json()
    assert body["warnings"] == [] and body["ready"] is True
    body = api("ent_gz").get(f"/api/v1/filing/{noisy_id}/checklist").get_json()
    assert body["ready"] is True
    by_code = {w["code"]: w for w in body["warnings"]}
    assert set(by_code) == {"trainee_over_60", "course_hours", "headcount"}
    assert by_code["trainee_over_60"]["rows"][0]["name"] == "老王" and by_code["trainee_over_60"]["rows"][0]["age"] == 77
    assert "老王（77周岁）" in by_code["trainee_over_60"]["message"]
    assert "rows" not in by_code["headcount"]
    submitted = api("ent_gz").post(f"/api/v1/filing/{noisy_id}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    reviewer = api("gz_reviewer").get(f"/api/v1/filing/{noisy_id}/checklist").get_json()
    assert {w["code"] for w in reviewer["warnings"]} == set(by_code)


def test_submit_tab_and_review_detail_show_the_warnings(app, client):
    with app.app_context():
        noisy = quiet_filing()
        _noisy(noisy)
        quiet = quiet_filing(status="SUBMITTED", submitted_at=utcnow()).id
        noisy_id = noisy.id
        db.session.commit()
    login(client, "ent_gz")
    html = client.get(f"/filing/{noisy_id}/submit").get_data(as_text=True)
    assert 'id="filing-warnings"' in html and "老王（77周岁）" in html and 'id="checklist-submit"' in html
    token = csrf_token_from(html)
    response = client.post(f"/filing/{noisy_id}/do/submit", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Filing, noisy_id).status == "SUBMITTED"
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})
    login(client, "gz_reviewer")
    html = client.get(f"/review/filing/{noisy_id}").get_data(as_text=True)
    assert 'id="filing-warnings"' in html and "老王（77周岁）" in html
    assert html.index('id="filing-warnings"') < html.index('id="decision-form"')
    for code in ("trainee_over_60", "course_hours", "headcount"):
        assert f'data-code="{code}"' in html
    assert 'id="filing-warnings"' not in client.get(f"/review/filing/{quiet}").get_data(as_text=True)


# ---- browser: the enterprise on 提交审核, the reviewer on the detail ------------------------------------------------

@pytest.mark.browser
def test_browser_both_sides_see_the_warnings(app, browser, live_server):
    with app.app_context():
        filing = quiet_filing()
        for name in ("赵小明", "钱晓红"):
            add_trainee(filing, name, date(1996, 4, 1))
        add_trainee(filing, "孙老伯", date(1958, 7, 1))
        filing.classes[0].planned_headcount = 8
        filing.classes[0].hours = 120
        db.session.commit()
        filing_id = filing.id

    enterprise = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    page = enterprise.new_page()
    page.set_default_timeout(15000)
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/submit")
    panel = page.locator("#filing-warnings")
    panel.wait_for()
    assert "孙老伯（68周岁）" in panel.inner_text()
    assert "少于计划培训人数 8 人" in panel.inner_text() and "少于培训课时 120" in panel.inner_text()
    assert page.locator("#checklist-ready").is_visible()
    screenshot(page, "filing_warnings_enterprise_submit_tab")
    page.locator("#checklist-submit").click()
    with page.expect_navigation():
        page.locator("#confirm-ok").click()  # the warnings do not stop the submission
    enterprise.close()
    with app.app_context():
        assert db.session.get(Filing, filing_id).status == "SUBMITTED"

    reviewer = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    page = reviewer.new_page()
    page.set_default_timeout(15000)
    browser_login(page, "gz_reviewer")
    page.goto(f"/review/filing/{filing_id}")
    panel = page.locator("#filing-warnings")
    panel.wait_for()
    assert "孙老伯（68周岁）" in panel.inner_text()
    assert panel.locator("li").count() == 3
    assert page.locator("#decision-form").is_visible()
    screenshot(page, "filing_warnings_reviewer_detail")
    reviewer.close()

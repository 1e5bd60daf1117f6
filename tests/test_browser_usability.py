"""Issue 12 in a real browser (Playwright + Debian Chromium): the 培训人员信息 tab of a filing with 3,000 trainees
shows one page and pages on; the admin enters a holiday (是否工作日 unticked) on 工作日历. Screenshots in
test-artifacts/ (usability-trainees-3000, usability-holiday)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, select

from models.base import db
from models.lookups import WorkdayOverride
from tests import factories
from tests.conftest import browser_login, screenshot, type_date

pytestmark = pytest.mark.browser
BIG = 3000


@pytest.fixture
def big_filing(app):
    """ent_gz's draft filing with 3,000 trainees (bulk INSERT: the rows, not the ORM, are what is tested)."""
    from models.filing import Trainee

    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, trainees=1)
        rows = [{"filing_id": filing.id, "name": f"学员{i:04d}", "id_number": factories.id_number(seq=i % 500,
                 birth=f"1980010{1 + i // 500}"), "gender": "M", "phone": "13700137000",
                 "education": "SECONDARY_VOCATIONAL", "status": "ACTIVE"} for i in range(1, BIG)]
        db.session.execute(insert(Trainee), rows)
        db.session.commit()
        return filing.id


def test_trainee_tab_with_3000_trainees_pages(page, big_filing):
    browser_login(page, "ent_gz")
    response = page.goto(f"/filing/{big_filing}/trainees")
    assert len(response.body()) < 300_000  # one page of rows, not 3,000 (2.5 MB before)
    assert page.locator("#rows-table tbody tr").count() == 20
    assert "共 3000 条，每页 20 条，第 1 / 150 页" in page.locator("#list-summary").inner_text()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 4000, height
    screenshot(page, "usability-trainees-3000")
    page.get_by_role("link", name="下一页").first.click()
    page.wait_for_url("**page=2**")
    assert "第 2 / 150 页" in page.locator("#list-summary").inner_text()
    page.fill("#q", "学员2999")
    page.click("#list-search-submit")
    page.wait_for_url("**q=**")
    assert page.locator("#rows-table tbody tr").count() == 1


def test_admin_enters_a_holiday(page, app):
    browser_login(page, "admin")
    page.goto("/workdayoverrideview/add")
    type_date(page, "#day", "2031-10-02")
    page.click("body")
    page.fill("#note", "国庆节调休（测试）")
    assert not page.locator("#is_workday").is_checked()
    screenshot(page, "usability-holiday")
    page.locator("form button[type=submit], form input[type=submit]").first.click()
    page.wait_for_selector("text=新增成功")
    with app.app_context():
        row = db.session.scalars(select(WorkdayOverride).filter_by(day=date(2031, 10, 2))).one()
        assert row.is_workday is False


@pytest.fixture
def long_filing(app):
    """ent_gz's draft filing with 60 trainees: the 新增培训人员 form sits far below the top of the page."""
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, trainees=60,
                                           id_numbers=[factories.id_number(birth="19920202", seq=i)
                                                       for i in range(60)])
        db.session.commit()
        return filing.id


def test_error_summary_and_typed_dates(page, long_filing):
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{long_filing}/trainees?new=1&size=100#row-form")
    page.fill("#name", "王小明")
    page.fill("#id_number", "440106199001011230")  # wrong check digit
    type_date(page, "#contract_start", "20270301")  # typed without separators: kept and accepted
    type_date(page, "#contract_end", "2031-02-31")  # not a date: kept and refused by name
    page.click("body")
    assert page.input_value("#contract_start") == "20270301"
    assert page.input_value("#contract_end") == "2031-02-31"
    page.click("#save-row")
    page.wait_for_selector(".error-summary")
    summary = page.locator(".error-summary")
    box = summary.bounding_box()
    assert box is not None and -2 <= box["y"] < 900, box  # scrolled into view, not left at the bottom
    text = summary.inner_text()
    assert "身份证号码" in text and "2031-02-31 不存在" in text and "合同" in text
    assert page.evaluate("document.activeElement.id") == "id_number"  # the first bad field has the focus
    assert page.input_value("#name") == "王小明" and page.input_value("#contract_end") == "2031-02-31"
    assert page.input_value("#contract_start") == "20270301"
    assert "合同开始" not in text or "20270301" not in text  # the compact date was not an error
    screenshot(page, "usability-error-summary")
    summary.get_by_role("link").last.click()
    assert page.evaluate("document.activeElement.id") != ""

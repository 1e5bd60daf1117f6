"""备案变更申请 in a real browser (Debian Chromium): 开班信息变更 with the deadline shown first, then 师资信息变更
through the city's 变更审核 and 查看变更内容 on both sides. Screenshots: test-artifacts/changes-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models.base import db
from models.enums import FilingStatus
from tests import factories
from tests.conftest import browser_login, screenshot, type_date

pytestmark = pytest.mark.browser


def _approved(app) -> tuple[int, int]:
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status=FilingStatus.APPROVED)
        filing.filing_no = f"XT4401-2026-{600000 + filing.id:06d}"
        db.session.commit()
        return filing.id, filing.classes[0].id


def _confirm(page) -> None:
    page.locator("#confirm-ok").click()


def test_date_change_and_teacher_change_through_review(app, page, browser, live_server):
    filing_id, cls_id = _approved(app)
    browser_login(page, "ent_gz")
    page.goto("/")
    expect(page.locator(".service-item", has_text="企业新型学徒制培训备案变更申请").first).to_be_visible()
    page.locator(".service-item a[href='/changes/ENTERPRISE']").click()
    row = page.locator(f"tr[data-class-id='{cls_id}']")
    expect(row).to_contain_text("剩余 3 次")
    expect(row).to_contain_text("暂按周一至周五计算")
    screenshot(page, "changes-1-list")

    # 开班信息变更: the deadline and remaining changes are on the form before the user tries
    page.locator(f"#change-dates-{cls_id}").click()
    expect(page.locator("#change-status")).to_contain_text("剩余变更次数：3")
    type_date(page, "#start_date", "2027-04-01")
    type_date(page, "#end_date", "2028-03-31")
    page.fill("#reason", "实训场地调整")
    page.locator("#save-dates").click()
    _confirm(page)
    expect(page.locator(".alert-success")).to_contain_text("开班信息已变更")
    expect(page.locator(f"tr[data-class-id='{cls_id}']")).to_contain_text("剩余 2 次")

    # 师资信息变更: a new teacher, the course's teacher swapped, the reason, 提交
    page.locator(f"#teacher-change-{filing_id}").click()
    page.locator("#start-change").click()
    page.fill("#name", "林新导师")
    page.fill("#id_number", factories.id_number(birth="19900303", seq=303))
    page.fill("#phone", "13900139009")
    page.select_option("#kind", "SCHOOL")
    page.locator("#save-new-teacher").click()
    expect(page.locator("#pending-table")).to_contain_text("林新导师")
    page.fill("#reason", "原导师调往分公司")
    page.locator("#save-reason").click()
    page.locator("#courses-tab").click()
    page.locator("#course-table select").first.select_option(label="林新导师（新增）")
    page.locator("#course-table .swap-button").first.click()
    page.locator("#courses-tab").click()
    expect(page.locator("#course-table .swap-target").first).to_contain_text("林新导师")
    screenshot(page, "changes-2-teacher-change")
    page.locator("#action-submit").click()
    _confirm(page)
    expect(page.locator(".alert-success")).to_contain_text("师资变更申请已提交")

    # the city reviewer: 变更审核 → detail → 通过
    reviewer = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    rpage = reviewer.new_page()
    rpage.set_default_timeout(15000)
    browser_login(rpage, "gz_reviewer")
    rpage.goto("/review/changes/")
    rpage.locator("#queue-table a.btn").first.click()
    expect(rpage.locator("#change-detail")).to_contain_text("新增师资：林新导师")
    expect(rpage.locator("#change-detail")).to_contain_text("原导师调往分公司")
    screenshot(rpage, "changes-3-review")
    rpage.locator("#btn-approve").click()
    rpage.locator("#confirm-approve-ok").click()
    expect(rpage.locator("#change-status")).to_contain_text("审核通过")
    rpage.locator("a", has_text="查看变更内容").first.click()
    expect(rpage.locator("#history-table")).to_contain_text("林新导师")
    expect(rpage.locator("#history-table")).to_contain_text("2027-04-01")
    reviewer.close()

    # 查看变更内容 on the enterprise's side
    page.goto(f"/changes/filing/{filing_id}/history")
    expect(page.locator("#history-table")).to_contain_text("审核通过")
    expect(page.locator("#history-table")).to_contain_text("课程“数控车削实训”授课教师")
    screenshot(page, "changes-4-history")


def test_course_configuration_in_the_browser(app, page):
    from models.enterprise import Venue

    filing_id, cls_id = _approved(app)
    with app.app_context():
        venue = Venue(enterprise_id=factories.demo_enterprise("ent_gz").id, name="二号实训车间",
                      address="广州市黄埔区示范路2号")
        db.session.add(venue)
        db.session.commit()
    browser_login(page, "ent_gz")
    page.goto("/changes/ENTERPRISE")
    page.locator(f"#course-config-{filing_id}").click()
    expect(page.locator("#unconfigured-note")).to_be_visible()
    screenshot(page, "changes-5-courses-unconfigured")
    page.locator("#course-config-table a.configure-link").first.click()
    expect(page.locator("#configure-note")).to_contain_text("2027-02-28")
    page.fill("#start_time", "09:00")
    page.fill("#end_time", "08:00")
    page.select_option("#venue_id", label="二号实训车间（广州市黄埔区示范路2号）")
    type_date(page, "#start_date", "2027-03-02")
    type_date(page, "#end_date", "2027-03-05")
    page.locator("h3.filing-title").click()  # the date pickers closed, as a user leaves the field
    expect(page.locator("#start_date")).to_have_value("2027-03-02")
    page.locator("#save-configure").click()
    expect(page.locator(".has-error")).to_contain_text("结束时间须晚于开始时间")
    page.fill("#end_time", "12:00")
    page.locator("#save-configure").click()
    expect(page.locator(".alert-success")).to_contain_text("课程信息已配置")
    expect(page.locator("#course-config-table")).to_contain_text("二号实训车间")
    expect(page.locator("#unconfigured-note")).to_have_count(0)
    screenshot(page, "changes-6-courses-configured")

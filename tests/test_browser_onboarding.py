"""Onboarding per city as new users live it (issue 14), in Chromium: the admin opens a 广州 reviewer account and sees
its one-time password → the reviewer logs in with it, must set its own password, opens an account for an enterprise
of its city → the enterprise logs in with its one-time password, sets its own, reaches 备案申请 and files a draft,
then submits a completed filing (its tabs filled by the factory: filling them is test_browser_filing's walk) → the
reviewer and the admin see it in 统计分析's table and chart (广州市 已提交待审核 one more) → the reviewer deactivates the
account and the enterprise's open page falls back to the login form.
Screenshots: test-artifacts/onboarding-*.png."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from models.base import db
from models.enterprise import Enterprise
from tests import factories
from tests.conftest import browser_login, screenshot


def open_menu(page, category: str, item: str) -> None:
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile(r"^\s*" + category + r"\s*$")).click()
    page.locator("header .dropdown-menu a", has_text=item).filter(visible=True).first.click()


def first_login(page, username: str, password: str, new_password: str, shot: str) -> None:
    """A one-time password logs in, and nothing opens before the user has set a password of its own."""
    page.goto("/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/resetmypassword/form$"))
    expect(page.locator(".alert-warning, .alert").first).to_contain_text("请先设置自己的新密码")
    page.goto("/")  # every screen leads back to the form
    expect(page).to_have_url(re.compile(r"/resetmypassword/form$"))
    screenshot(page, shot)
    page.fill("#password", new_password)
    page.fill("#conf_password", new_password)
    page.locator("#password").locator("xpath=ancestor::form").locator("[type=submit]").first.click()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/$"))


def fill_account_form(page, values: dict[str, str]) -> str:
    for selector, value in values.items():
        if page.locator(selector).evaluate("e => e.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)
    page.locator("#account-save").click()
    expect(page.locator("#one-time-password")).to_contain_text("只显示这一次")
    return page.locator("#one-time-password-value").inner_text().strip()


def submitted_in_guangzhou(page) -> int:
    """广州市's 已提交待审核 count in 统计分析's filings table (0 when the row is absent)."""
    page.goto("/statistics/")
    page.locator("#chart-filings_by_city_status svg").first.wait_for()
    rows = page.locator("#table-filings_by_city_status tbody tr", has_text="广州市").filter(has_text="已提交待审核")
    if rows.count() == 0:
        return 0
    return int(rows.first.locator("td").last.inner_text().replace(",", ""))


def test_admin_reviewer_enterprise_onboarding(app, browser, live_server, page):
    with app.app_context():
        enterprise = factories.enterprise("广州新学徒科技有限公司", city="4401")
        uscc = enterprise.uscc
        db.session.commit()

    # 1. the admin opens a 广州 reviewer account
    browser_login(page, "admin")
    open_menu(page, "账号管理", "开通账号")
    expect(page.locator("h3.filing-title")).to_contain_text("开通账号")
    page.locator("#account-add").click()
    reviewer_password = fill_account_form(page, {"#role": "REVIEWER", "#city_code": "4401",
                                                 "#username": "gz_reviewer_new", "#last_name": "周",
                                                 "#first_name": "审核", "#email": "gz_reviewer_new@example.cn"})
    expect(page.locator("#created-username")).to_have_text("gz_reviewer_new")
    screenshot(page, "onboarding-1-admin-created-reviewer")

    # 2. the reviewer's first login, then an account for an enterprise of its city
    reviewer = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    rpage = reviewer.new_page()
    rpage.set_default_timeout(15000)
    first_login(rpage, "gz_reviewer_new", reviewer_password, "Review2026ok", "onboarding-2-reviewer-must-change")
    open_menu(rpage, "单位管理", "企业账号")
    expect(rpage.locator("#account-table")).to_contain_text("ent_gz")
    expect(rpage.locator("#account-table")).not_to_contain_text("ent_sz")
    rpage.locator("#account-add").click()
    rpage.fill("#enterprise_uscc", factories.uscc("440301", 99))  # an enterprise of another city: refused
    rpage.fill("#username", "xinxuetu")
    rpage.fill("#last_name", "林")
    rpage.fill("#first_name", "经办")
    rpage.fill("#email", "xinxuetu@example.cn")
    rpage.locator("#account-save").click()
    expect(rpage.locator(".field-error[data-field=enterprise_uscc]")).to_contain_text("本市没有统一社会信用代码为")
    expect(rpage.locator("#username")).to_have_value("xinxuetu")
    enterprise_password = fill_account_form(rpage, {"#enterprise_uscc": uscc})
    screenshot(rpage, "onboarding-3-reviewer-created-enterprise")

    # 3. the enterprise's first login, then 备案申请
    company = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    epage = company.new_page()
    epage.set_default_timeout(15000)
    first_login(epage, "xinxuetu", enterprise_password, "Xuetu2026ok", "onboarding-4-enterprise-must-change")
    open_menu(epage, "企业新型学徒制培训", "备案申请")
    epage.locator("#commitment_accepted").check()
    epage.locator("#type-new_apprentice").check()
    epage.locator("#apply-submit").click()
    expect(epage).to_have_url(re.compile(r"/filing/\d+/info$"))
    expect(epage.locator("#tab-info")).to_contain_text("广州新学徒科技有限公司")
    screenshot(epage, "onboarding-5-enterprise-filing")

    # 4. the enterprise submits a completed filing; the reviewer and the admin see it in 统计分析 at once
    before = {"reviewer": submitted_in_guangzhou(rpage), "admin": submitted_in_guangzhou(page)}
    with app.app_context():
        new_enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == uscc))
        ready = factories.complete_filing(new_enterprise.id)
        db.session.commit()
        ready_id = ready.id
    epage.goto(f"/filing/{ready_id}/submit")
    expect(epage.locator("#checklist-ready")).to_be_visible()
    epage.locator("#checklist-submit").click()
    epage.locator("#confirm-ok").click()
    expect(epage.locator(".alert-success").first).to_contain_text("已提交审核")
    assert submitted_in_guangzhou(rpage) == before["reviewer"] + 1
    assert "已提交待审核" in rpage.locator("#chart-filings_by_city_status").inner_text()
    screenshot(rpage, "onboarding-6-reviewer-statistics")
    assert submitted_in_guangzhou(page) == before["admin"] + 1
    open_menu(rpage, "单位管理", "企业账号")

    # 5. the reviewer deactivates the account: the enterprise's open session ends at its next request
    row = rpage.locator("tr[data-username=xinxuetu]")
    expect(row.locator(".account-state")).to_have_text("启用")  # its own password set: no more hint
    row.locator(".account-deactivate").click()
    expect(rpage.locator("#confirm-ok")).to_be_visible()
    rpage.locator("#confirm-ok").click()
    expect(rpage.locator(".alert-success")).to_contain_text("已停用账号“xinxuetu”")
    expect(rpage.locator("tr[data-username=xinxuetu] .account-state")).to_contain_text("已停用")
    screenshot(rpage, "onboarding-7-reviewer-deactivated")
    epage.reload()
    expect(epage).to_have_url(re.compile(r"/login/"))
    reviewer.close()
    company.close()

"""Browser journey of 企业注册 (issue 14, Playwright + Debian Chromium), as a new user tries it: from the login page's
企业注册 link, the form (a wrong credit code refused under its field, then fixed) → the 已提交 page with its 申请编号
→ gz_reviewer opens 审核管理 → 注册审核, sees the registration and approves it after the confirmation → the
enterprise logs in with the username and password it chose, and files: 企业新型学徒制培训 → 备案申请, 承诺书, a new
filing. Screenshots: test-artifacts/registration-*.png."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models.base import db
from models.filing import Filing
from models.security import AppUser
from tests.conftest import browser_login, screenshot
from tests.test_browser_filing import open_menu
from tests.test_browser_review import _logout
from tests.test_registration import new_uscc

pytestmark = pytest.mark.browser
PASSWORD = "Xinqiye2026"


def test_register_review_login_and_file(page, app):
    uscc = new_uscc("N", "2")  # an authority letter N code: valid (GB 32100)
    username = "xinqiye_gz"

    # 1. The login page links to 企业注册.
    page.goto("/login/")
    page.locator("#register-link").click()
    expect(page.locator("h3.filing-title")).to_have_text("企业注册")
    page.fill("#uscc", uscc[:17] + ("0" if uscc[17] != "0" else "1"))  # a typo in the check character
    page.fill("#enterprise_name", "广州新注册精密机械有限公司")
    page.select_option("#city_code", label="广州市")
    page.fill("#legal_representative", "陈法人")
    page.fill("#contact_name", "黄经办")
    page.fill("#contact_phone", "020-38881234")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    screenshot(page, "registration-1-form")
    page.locator("#register-submit").click()
    expect(page.locator(".field-error[data-field=uscc]")).to_contain_text("校验位错误")
    expect(page.locator("#enterprise_name")).to_have_value("广州新注册精密机械有限公司")  # kept
    expect(page.locator("#password")).to_have_value("")  # never sent back
    screenshot(page, "registration-2-error")
    page.fill("#uscc", uscc)
    page.fill("#password", PASSWORD)
    page.locator("#register-submit").click()
    expect(page.locator("#register-submitted")).to_contain_text("注册申请已提交")
    number = page.locator("#application-no").inner_text()
    assert re.fullmatch(r"ZC\d{8}\d{6}", number), number
    expect(page.locator("#registration-status")).to_have_text("待审核")
    screenshot(page, "registration-3-submitted")

    # 2. The city's reviewer: 审核管理 → 注册审核, the registration pending first, 审核通过 after the confirmation.
    browser_login(page, "gz_reviewer")
    open_menu(page, "审核管理", "注册审核")
    expect(page.locator("h3.filing-title")).to_have_text("注册审核")
    row = page.locator("#queue-table tbody tr").first
    expect(row).to_contain_text(number)
    expect(row).to_contain_text("待审核")
    screenshot(page, "registration-4-queue")
    row.get_by_role("link", name="审核").click()
    expect(page.locator("#registration-fields")).to_contain_text(uscc)
    expect(page.locator("#existing-enterprise")).to_contain_text("将按注册信息新建单位")
    screenshot(page, "registration-5-detail")
    page.locator("#btn-approve").click()
    expect(page.locator("#confirm-approve")).to_be_visible()
    page.locator("#confirm-approve-ok").click()
    expect(page.locator(".alert-success").first).to_contain_text("账号已开通")
    expect(page.locator("#registration-status")).to_contain_text("审核通过")
    expect(page.locator("#btn-approve")).to_have_count(0)
    expect(page.locator("#approval-result")).to_contain_text(f"已开通企业用户账号 {username}")
    expect(page.locator("#existing-enterprise")).to_have_count(0)
    screenshot(page, "registration-6-approved")
    _logout(page)

    # 3. The enterprise logs in with its own password and files (备案申请: 承诺书, then the type).
    browser_login(page, username, PASSWORD)
    expect(page.locator("body")).to_contain_text("广州新注册精密机械有限公司")
    open_menu(page, "企业新型学徒制培训", "备案申请")
    page.locator("#commitment_accepted").check()
    page.locator("#type-new_apprentice").check()
    page.locator("#apply-submit").click()
    expect(page).to_have_url(re.compile(r"/filing/\d+/info$"))
    expect(page.locator("#tab-info")).to_contain_text("广州新注册精密机械有限公司")
    screenshot(page, "registration-7-enterprise-files")
    with app.app_context():
        user = db.session.scalars(select(AppUser).filter_by(username=username)).one()
        filing = db.session.scalars(select(Filing).where(Filing.enterprise_id == user.enterprise_id)).one()
        assert (filing.city_code, filing.status) == ("4401", "DRAFT")
        db.session.remove()

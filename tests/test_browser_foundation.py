"""Browser walk-through (Playwright + Debian Chromium): each role logs in and sees its Chinese menus;
a reviewer records a recognition through the form. Screenshots land in test-artifacts/."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import browser_login, screenshot, type_date

pytestmark = pytest.mark.browser

ROLE_MENUS = {
    "admin": ["基础数据", "生态链企业认定", "账号管理"],
    "gz_reviewer": ["生态链企业认定"],
    "sz_reviewer": ["生态链企业认定"],
    "ent_gz": [],
    "ent_sz": [],
}


@pytest.mark.parametrize("username", list(ROLE_MENUS))
def test_each_role_sees_chinese_dashboard(page, username):
    browser_login(page, username)
    assert page.locator("h2", has_text="事项办理").is_visible()
    navbar = page.locator("header").inner_text()
    for label in ROLE_MENUS[username]:
        assert label in navbar
    for english in ("Security", "List Users", "Welcome", "Logout"):
        assert english not in page.content()
    screenshot(page, f"foundation-home-{username}")


def test_admin_opens_every_base_data_screen(page):
    browser_login(page, "admin")
    for url, title in [("/cityview/list/", "地市"), ("/occupationview/list/", "职业（工种）"),
                       ("/skilllevelview/list/", "技能等级"), ("/traininginstitutionview/list/", "培训机构"),
                       ("/subsidystandardview/list/", "补贴标准"), ("/workdayoverrideview/list/", "工作日历调整"),
                       ("/enterpriseview/list/", "单位信息"), ("/users/list/", "账号列表")]:
        page.goto(url)
        assert title in page.content()
    page.goto("/cityview/list/")
    screenshot(page, "foundation-admin-cities")


def test_reviewer_records_recognition_in_browser(page):
    browser_login(page, "gz_reviewer")
    page.goto("/recognitionview/add")
    page.select_option("#enterprise", label="广州示范智能制造有限公司")
    page.fill("#chain_name", "广州新能源汽车产教评技能生态链")
    page.select_option("#role", "MEMBER")
    type_date(page, "#valid_from", "2026-01-01")
    type_date(page, "#valid_to", "2025-01-01")
    page.locator("button[type=submit], input[type=submit]").first.click()
    expect(page.locator("text=有效期止不能早于有效期起").first).to_be_visible()
    assert page.input_value("#chain_name") == "广州新能源汽车产教评技能生态链"
    screenshot(page, "foundation-recognition-error")
    type_date(page, "#valid_to", "2028-12-31")
    page.locator("button[type=submit], input[type=submit]").first.click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.goto("/recognitionview/list/")
    expect(page.locator("table.table-bordered")).to_contain_text("广州新能源汽车产教评技能生态链")
    screenshot(page, "foundation-recognition-list")

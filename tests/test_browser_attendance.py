"""Playwright: 考勤设备 (新增 shows the key once, 吊销 with confirmation) and 扫码签到 — the enterprise's QR page, then
a trainee on a 390-px phone screen checks in with name + ID number, repeats (已签到) and a stranger is refused.
Screenshots: test-artifacts/checkin-*.png."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from core.clock import SHANGHAI
from models.base import db
from models.filing import Attendance
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def _course_now(app):
    """An APPROVED filing of ent_gz with a course configured for today around the current time (Shanghai)."""
    now = datetime.now(SHANGHAI)
    start = max(now - timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    end = min(now + timedelta(hours=1), now.replace(hour=23, minute=59, second=0, microsecond=0))
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status="APPROVED", trainees=2)
        course = filing.classes[0].courses[0]
        course.start_date = course.end_date = now.date()
        course.start_time, course.end_time = time(start.hour, start.minute), time(end.hour, end.minute)
        course.status = "CONFIGURED"
        trainee = filing.trainees[0]
        db.session.commit()
        return course.id, trainee.name, trainee.id_number


def test_devices_and_qr_check_in_on_a_phone(app, page, browser, live_server):
    course_id, name, number = _course_now(app)
    browser_login(page, "ent_gz")
    page.goto("/attendance/devices/")
    page.fill("#device-name", "一号车间门禁")
    page.click("#device-add")
    warning = page.locator("#new-device-key")
    assert "只显示这一次" in warning.inner_text()
    key = page.locator("#device-key-value").inner_text().strip()
    assert len(key) >= 40
    screenshot(page, "checkin-devices-new-key")
    page.goto("/attendance/devices/")
    assert key not in page.content() and key[:6] in page.content()
    page.locator("tr[data-device-id] .device-revoke").first.click()  # 吊销 asks first (static/app.js)
    expect(page.locator("#filing-confirm .confirm-text")).to_contain_text("确定吊销考勤设备“一号车间门禁”吗")
    page.locator("#confirm-ok").click()
    page.wait_for_selector("text=已吊销考勤设备")
    assert "已吊销" in page.locator("#device-table").inner_text()

    page.locator(f"tr[data-course-id='{course_id}'] .qr-open").click()
    page.wait_for_selector("#qr-code svg")
    screenshot(page, "checkin-qr")
    url = page.locator("#qr-link").get_attribute("href")
    assert "/checkin/" in url

    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True, base_url=live_server)
    try:
        mobile = phone.new_page()
        mobile.goto(url)
        assert mobile.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
        screenshot(mobile, "checkin-phone-form")
        mobile.fill("#checkin-name", name)
        mobile.fill("#checkin-id-number", number)
        mobile.click("#checkin-submit")
        assert "签到成功" in mobile.locator("#checkin-result").inner_text()
        screenshot(mobile, "checkin-phone-success")
        mobile.goto(url)
        mobile.fill("#checkin-name", name)
        mobile.fill("#checkin-id-number", number)
        mobile.click("#checkin-submit")
        assert "已签到" in mobile.locator("#checkin-result").inner_text()
        screenshot(mobile, "checkin-phone-again")
        mobile.goto(url)
        mobile.fill("#checkin-name", "路人甲")
        mobile.fill("#checkin-id-number", factories.id_number(birth="19900101", seq=888))
        mobile.click("#checkin-submit")
        assert "不在本课程所属培训班的名单中" in mobile.locator("#checkin-error").inner_text()
        screenshot(mobile, "checkin-phone-stranger")
    finally:
        phone.close()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attendance)
                                 .where(Attendance.course_id == course_id, Attendance.source == "QR")) == 1

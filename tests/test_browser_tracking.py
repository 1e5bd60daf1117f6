"""培训情况跟踪 in a real browser (Debian Chromium) on the demo running class (seed/demo_running_class.py): the
list from the home page, 【查看考勤】 with its three tabs (worst first), the drill-down to 杨帆's check-in records,
the 注销培训班 form with its confirmation, and the city reviewer's read-only list.
Screenshots: test-artifacts/tracking-*.png."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models.base import db
from models.enums import FilingStatus
from models.filing import Filing, TrainingClass
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser


def _running_class(app) -> int:
    from seed import demo_running_class

    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        ent = factories.demo_enterprise("ent_gz")
        return db.session.scalars(select(TrainingClass.id).join(Filing).where(
            Filing.enterprise_id == ent.id, Filing.status == FilingStatus.APPROVED,
            TrainingClass.planned_headcount == 6)).one()


def test_view_attendance_with_drill_down(app, page):
    cls_id = _running_class(app)
    browser_login(page, "ent_gz")
    page.goto("/")
    page.locator(".service-item a[href='/tracking/ENTERPRISE']").click()
    row = page.locator(f"tr[data-class-id='{cls_id}']")
    expect(row).to_contain_text("6 / 6 / 0")
    expect(row.locator(".rate")).to_contain_text("%")
    expect(row.locator(f"#form-cancel-{cls_id}")).to_be_visible()
    screenshot(page, "tracking-1-list")

    row.locator(f"#view-attendance-{cls_id}").click()
    table = page.locator("#trainees-table")
    expect(table.locator("tbody tr").first).to_contain_text("杨帆")  # worst first: 4 of 8 courses
    expect(table.locator("tbody tr").first.locator(".rate")).to_have_text("50.0%")
    expect(table.locator("tbody tr").nth(1).locator(".rate")).to_have_text("87.5%")
    screenshot(page, "tracking-2-trainees")

    page.locator("#tab-teachers").click()
    expect(page.locator("#teachers-table tbody tr")).to_have_count(2)
    page.locator("#tab-courses").click()
    courses = page.locator("#courses-table tbody tr")
    expect(courses).to_have_count(9)  # 8 past + today's
    expect(page.locator("#courses-table")).to_contain_text("进行中")
    screenshot(page, "tracking-3-courses")

    page.locator("#tab-trainees").click()
    page.locator("#trainees-table tbody tr").first.locator(".view-records").click()
    expect(page.locator("h3")).to_contain_text("杨帆")
    expect(page.locator("#records-table tbody tr")).to_have_count(4)
    expect(page.locator("#records-table")).to_contain_text("考勤设备")
    screenshot(page, "tracking-4-records")

    # 注销培训班: reason and confirmation (not confirmed here: the demo class keeps running)
    page.goto(f"/tracking/class/{cls_id}/form/cancel")
    page.fill("textarea[name=reason]", "演示：不注销")
    page.locator("#save-action").click()
    expect(page.locator("#confirm-ok")).to_be_visible()
    screenshot(page, "tracking-5-cancel-confirm")


def test_reviewer_sees_the_city_read_only(app, page):
    cls_id = _running_class(app)
    browser_login(page, "gz_reviewer")
    page.goto("/tracking/")
    row = page.locator(f"tr[data-class-id='{cls_id}']")
    expect(row.locator(f"#view-attendance-{cls_id}")).to_be_visible()
    expect(row.locator(".class-action-form")).to_have_count(0)
    row.locator(f"#view-attendance-{cls_id}").click()
    expect(page.locator("#trainees-table tbody tr")).to_have_count(6)
    screenshot(page, "tracking-6-reviewer")

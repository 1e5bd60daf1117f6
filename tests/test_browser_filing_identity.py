"""Issue 12 in the browser: the enterprise's 办理结果 tells eight drafts apart by their 申请编号 and 创建时间, sorts
by a column header click (server side, both ways), and a bad 提交日期 is named under the field.
Screenshots: test-artifacts/identity-results.png, identity-results-sorted.png, identity-bad-date.png."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect

from models.base import db
from tests import factories
from tests.conftest import browser_login, screenshot, type_date

pytestmark = pytest.mark.browser


def test_results_list_distinguishes_drafts_and_sorts(app, page):
    with app.app_context():
        gz = factories.demo_enterprise("ent_gz")
        drafts = [factories.filing(gz.id, created_at=datetime(2026, 6, 1, 1 + i, 7 * i)) for i in range(8)]
        db.session.commit()
        numbers = [f.application_no for f in drafts]
    browser_login(page, "ent_gz")
    page.goto("/filing/results/ENTERPRISE")
    table = page.locator("#results-table")
    expect(table.locator("tbody tr")).to_have_count(10)  # 8 new drafts + 2 of the 4 demo filings on page 1
    shown = table.locator("td .application-no").all_inner_texts()
    assert len(shown) == 10 and len(set(shown)) == 10, shown
    for number in numbers:
        expect(table.locator("td .application-no", has_text=number)).to_be_visible()
    created = table.locator("td.created-at").all_inner_texts()
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", c) for c in created), created
    screenshot(page, "identity-results")

    # 创建时间: the first click sorts newest first, the second oldest first (the oldest is the 09:00 draft).
    page.locator("#sort-created_at").click()
    expect(page.locator('th[data-sort-keys="created_at"]')).to_have_attribute("aria-sort", "descending")
    page.locator("#sort-created_at").click()
    expect(page.locator('th[data-sort-keys="created_at"]')).to_have_attribute("aria-sort", "ascending")
    first = table.locator("tbody tr").first
    expect(first.locator(".application-no")).to_have_text(numbers[0])
    expect(first.locator("td.created-at")).to_have_text("2026-06-01 09:00")
    screenshot(page, "identity-results-sorted")

    # The search form keeps the order, finds a draft by part of its number and names a bad date under its field.
    page.fill("#filing_no", numbers[5][-9:])
    page.locator("#query-submit").click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator(".application-no")).to_have_text(numbers[5])
    assert "sort=created_at" in page.url
    page.fill("#filing_no", "")
    type_date(page, "#submitted_from", "2026-02-30")
    page.locator("#query-submit").click()
    expect(page.locator("#submitted_from-error")).to_have_text("提交日期起格式不正确，应为 YYYY-MM-DD")
    expect(page.locator("#submitted_from")).to_have_value("2026-02-30")
    screenshot(page, "identity-bad-date")


def test_admin_queue_filters_by_city_and_sorts(app, page):
    """备案审核 for the provincial admin: 地市 filter, 申请编号 column, sorting by 提交时间 keeps the filter."""
    browser_login(page, "admin")
    page.goto("/review/filings/")
    page.select_option("#f-city", "4403")
    page.locator("#btn-query").click()
    rows = page.locator(".review-table tbody tr")
    expect(rows.first).to_contain_text("深圳")
    assert all("深圳" in text for text in rows.all_inner_texts())
    page.locator("#sort-submitted_at").click()
    expect(page.locator('th[data-sort-keys="submitted_at"]')).to_have_attribute("aria-sort", "descending")
    assert "city=4403" in page.url
    expect(page.locator("#f-city")).to_have_value("4403")
    numbers = page.locator(".review-table td .application-no").all_inner_texts()
    assert numbers and all(n.startswith("SQ4403-") for n in numbers), numbers
    screenshot(page, "identity-queue-admin")

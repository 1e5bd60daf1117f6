"""Playwright: 统计分析 as the users walk it — gz_reviewer opens it from the navbar and sees every chart drawn by
ECharts (SVG) from the statistics API with its table below (广州 only); the admin picks 深圳市 and the tables follow;
a page error (CSP, script) fails the test. Screenshots: test-artifacts/statistics-*.png."""
from __future__ import annotations

from datetime import date

import pytest

from models.base import db
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser

NAMES = ("filings_by_city_status", "filings_by_month", "classes_by_status", "trainees_by_occupation_level",
         "attendance_rate_distribution", "change_requests_by_kind_status", "subsidy_by_city_stage")


def _data(app) -> None:
    """Besides the demo filings (广州 and 深圳): an APPROVED filing of ent_gz, and the class pre-aggregate."""
    from actions.statistics import refresh_class_figures

    with app.app_context():
        factories.complete_filing(factories.demo_enterprise("ent_gz").id, status="APPROVED", trainees=3,
                                  start=date(2026, 9, 1), end=date(2027, 8, 31))
        refresh_class_figures(db.session)
        db.session.commit()


def test_reviewer_sees_charts_and_tables_admin_filters_by_city(app, page, live_server):
    _data(app)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    browser_login(page, "gz_reviewer")
    page.get_by_role("link", name="统计分析").first.click()
    page.get_by_role("link", name="统计报表").click()
    page.wait_for_url("**/statistics/")
    for name in NAMES:
        chart = page.locator(f"#chart-{name}")
        if name in ("change_requests_by_kind_status", "subsidy_by_city_stage"):
            # nothing of the kind in the demo data: the chart says so, the table too
            page.wait_for_function(f"document.querySelector('#chart-{name}').textContent.includes('暂无数据')")
            assert "所选范围内暂无数据" in page.locator(f"#table-{name}").inner_text()
            continue
        chart.locator("svg").first.wait_for()
        assert chart.get_attribute("data-drawn") == "1"
        assert chart.get_attribute("role") == "img" and "数据见下表" in chart.get_attribute("aria-label")
        assert page.locator(f"#table-{name} tbody tr").count() >= 1
    filings = page.locator("#table-filings_by_city_status").inner_text()
    assert "广州市" in filings and "深圳市" not in filings
    assert "审核通过" in filings
    # the legend of the stacked bars reads in Chinese (ZH locale and labels from the API)
    assert "审核通过" in page.locator("#chart-filings_by_city_status").inner_text()
    screenshot(page, "statistics-reviewer")

    page.context.clear_cookies()
    browser_login(page, "admin")
    page.goto("/statistics/")
    page.locator("#chart-filings_by_city_status svg").first.wait_for()
    province = page.locator("#table-filings_by_city_status").inner_text()
    assert "广州市" in province and "深圳市" in province
    page.select_option("#city_code", "4403")
    page.click("#stat-query")
    page.wait_for_url("**city_code=4403**")
    page.locator("#chart-filings_by_city_status svg").first.wait_for()
    only_sz = page.locator("#table-filings_by_city_status").inner_text()
    assert "深圳市" in only_sz and "广州市" not in only_sz
    assert "深圳市" in page.locator("#stat-scope").inner_text()
    screenshot(page, "statistics-admin-city")
    with page.expect_download() as download:
        page.click("#export-filings_by_city_status")
    assert download.value.suggested_filename.endswith(".xlsx")
    # 导出全部报表: a background job — the progress page, then the workbook of every table downloads by itself
    with page.expect_download(timeout=60000) as everything:
        page.click("#export-all")
        page.wait_for_url("**/downloads/**")
    assert everything.value.suggested_filename.startswith("统计报表-深圳市-")
    page.go_back()
    page.wait_for_url("**/statistics/**")
    page.emulate_media(media="print")
    assert not page.locator("#stat-filters").is_visible()
    screenshot(page, "statistics-print")
    assert errors == []

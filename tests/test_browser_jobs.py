"""导出学员名单 as a background job, in the browser (Playwright + Debian Chromium), as an enterprise clerk does it:
单位培训人员查询 from the menu → 导出学员名单 → the progress page (progress bar, status) → the download starts by
itself → 我的下载 from the menu lists it (已完成, 100 %) → 下载 again → 删除 after the confirmation.
Screenshots: test-artifacts/jobs-*.png."""
from __future__ import annotations

import re
import time

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models.base import db
from models.filing import Filing, Trainee
from services import jobs
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser
#: A page may take a while on a busy shared machine: waits are generous (they end as soon as the page is there).
WAIT = 30000


@pytest.fixture
def slow_start(app, monkeypatch, tmp_path):
    """The real export, started a moment late so the page shows the job waiting and running before it ends."""
    real = jobs.KINDS["trainee_export"]

    def run(ctx):
        ctx.progress(0.0, "正在准备", force=True)
        time.sleep(1.5)
        return real.run(ctx)

    monkeypatch.setitem(jobs.KINDS, "trainee_export", jobs.JobKind(real.name, real.title, run))
    monkeypatch.setitem(app.config, "JOB_FILES_DIR", str(tmp_path / "job_files"))
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "")
    yield
    worker = app.extensions.get("jobs_local_worker")
    end = time.monotonic() + 60
    while worker is not None and not worker.idle() and time.monotonic() < end:
        time.sleep(0.05)


def test_export_job_progress_and_my_downloads(app, page, tmp_path, slow_start):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        expected = set(db.session.scalars(select(Trainee.id_number).join(Filing).where(
            Filing.enterprise_id == ent.id, Filing.programme == "ENTERPRISE")))
    assert expected
    browser_login(page, "ent_gz")

    # 1. 单位培训人员查询 from the menu, 导出学员名单: the progress page, then the file downloads by itself.
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile(r"^\s*企业新型学徒制培训\s*$")).click()
    page.locator("header .dropdown-menu a", has_text="单位培训人员查询").filter(visible=True).first.click()
    expect(page.locator("h3")).to_contain_text("单位培训人员查询", timeout=WAIT)
    with page.expect_download(timeout=60000) as info:
        page.locator("#export-trainees").click()
        expect(page).to_have_url(re.compile(r"/downloads/[0-9a-f]{32}$"), timeout=WAIT)
        bar = page.locator("#job-progress")
        expect(bar).to_have_attribute("role", "progressbar")
        expect(page.locator("#job-status")).to_have_text(re.compile("排队中|处理中"))
        expect(page.locator("#job-waiting")).to_be_visible()
        screenshot(page, "jobs-1-progress")
    download = info.value
    assert download.suggested_filename.startswith("单位培训人员名单_") and download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "export.xlsx"
    download.save_as(saved)
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(saved).active.iter_rows()]
    assert {r[1] for r in rows[1:]} == expected
    expect(page.locator("#job-status")).to_have_text("已完成")
    expect(page.locator("#job-progress")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#job-done")).to_be_visible()
    screenshot(page, "jobs-2-done")

    # 2. 我的下载 from the menu: the job with its state, progress and retention; 下载 again.
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile(r"^\s*我的下载\s*$")).click()
    page.locator("header .dropdown-menu a", has_text="我的下载").filter(visible=True).first.click()
    expect(page.locator("h3")).to_have_text("我的下载", timeout=WAIT)
    row = page.locator("#downloads-table tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("单位培训人员名单")
    expect(row).to_contain_text("已完成")
    expect(row.locator("[role=progressbar]")).to_have_attribute("aria-valuenow", "100")
    screenshot(page, "jobs-3-my-downloads")
    with page.expect_download() as again:
        row.locator("a", has_text="下载").click()
    assert again.value.suggested_filename == download.suggested_filename

    # 3. 删除 asks first; cancelled keeps it, confirmed removes it.
    row.locator("button", has_text="删除").click()
    expect(page.locator("#filing-confirm .confirm-text")).to_contain_text("确定删除")
    screenshot(page, "jobs-4-delete-confirm")
    page.locator("#confirm-cancel").click()
    expect(row).to_have_count(1)
    row.locator("button", has_text="删除").click()
    page.locator("#confirm-ok").click()
    expect(page.locator("#downloads-empty")).to_be_visible(timeout=WAIT)
    expect(page.locator(".alert")).to_contain_text("已删除")

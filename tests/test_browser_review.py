"""Browser walk-through of 备案审核 (Playwright + Debian Chromium); screenshots land in test-artifacts/.

1. The reviewer opens 审核管理 → 备案审核, a filing's detail, tries 【退回】 without an opinion (field error),
   then returns it with an opinion (已退回, visible in the 审核记录 timeline).
2. The reviewer approves a filing: the filing number appears, 打印备案表 is offered.
3. The whole journey through the enterprise pages (views/filing_ui.py): the enterprise submits → the reviewer
   returns it with an opinion → the enterprise sees the opinion, fixes the contact and resubmits → the reviewer
   approves → the enterprise opens the 备案表 PDF and marks a trainee 流失; the reviewer sees every step.
"""
from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from models.base import db
from models.filing import Filing
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"XT4401-\d{4}-\d{6}")


def _submitted_filing(app, trainees: int = 3, status: str = "SUBMITTED") -> int:
    from models.base import utcnow

    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        row = factories.complete_filing(ent.id, status=status, trainees=trainees)
        if status == "SUBMITTED":
            row.submitted_at = utcnow()
        for i, trainee in enumerate(row.trainees):
            trainee.name = ["赵小明", "钱晓红", "孙大伟", "李思思", "周杰"][i % 5]
        db.session.commit()
        return row.id


def _logout(page) -> None:
    """退出登录 from the navbar's user menu (it POSTs a form with the CSRF token; GET /logout/ only asks)."""
    page.goto("/")
    page.locator(".navbar-right .dropdown-toggle", has=page.locator(".fa-user")).click()
    with page.expect_navigation():
        page.locator("#logout-link").click()
    expect(page.locator("#logout-link")).to_have_count(0)


def _open_from_queue(page, filing_id: int, shot: str | None = None) -> None:
    page.goto("/")
    page.locator("header").get_by_text("审核管理").click()
    page.locator("header").get_by_role("link", name="备案审核").click()
    expect(page.locator("h2", has_text="备案审核")).to_be_visible()
    row = page.locator(f'tr[data-filing-id="{filing_id}"]')
    expect(row).to_be_visible()
    if shot:
        screenshot(page, shot)
    row.get_by_role("link", name="审核").click()
    expect(page.locator(".review-detail")).to_have_attribute("data-filing-id", str(filing_id))


def _decide(page, button: str, confirm: str, opinion: str | None = None) -> None:
    if opinion is not None:
        page.fill("#opinion", opinion)
    page.click(button)
    expect(page.locator(confirm)).to_be_visible()
    page.click(confirm)
    page.wait_for_load_state("load")


def test_reviewer_returns_with_opinion(page, app):
    filing_id = _submitted_filing(app)
    with app.app_context():
        id_number = db.session.get(Filing, filing_id).trainees[0].id_number
    browser_login(page, "gz_reviewer")
    _open_from_queue(page, filing_id, shot="review-queue")
    screenshot(page, "review-detail")
    page.click("a[href='#tab-trainees']")
    expect(page.locator("#tab-trainees")).to_contain_text(id_number)  # the city reviewer checks full numbers
    screenshot(page, "review-detail-trainees")

    _decide(page, "#btn-return", "#confirm-return-ok", opinion="")
    expect(page.locator("#opinion-error")).to_have_text("请填写审核意见")
    expect(page.locator("#filing-status")).to_have_text("已提交待审核")
    screenshot(page, "review-return-without-opinion")

    _decide(page, "#btn-return", "#confirm-return-ok", opinion="培训计划缺少课时安排。请补充后重新提交。")
    expect(page.locator(".alert-success")).to_contain_text("已退回")
    expect(page.locator("#filing-status")).to_have_text("已退回")
    expect(page.locator("#decision-form")).to_have_count(0)
    page.click("a[href='#tab-timeline']")
    timeline = page.locator("#tab-timeline .audit-timeline-table")
    expect(timeline).to_contain_text("退回")
    expect(timeline).to_contain_text("培训计划缺少课时安排。请补充后重新提交。")
    expect(timeline).to_contain_text("已提交待审核 → 已退回")
    screenshot(page, "review-returned")
    with app.app_context():
        assert db.session.get(Filing, filing_id).status == "RETURNED"


def test_reviewer_approves_and_sees_number(page, app):
    filing_id = _submitted_filing(app)
    browser_login(page, "gz_reviewer")
    page.goto(f"/review/filing/{filing_id}")
    page.click("#btn-approve")
    expect(page.locator("#confirm-approve")).to_be_visible()
    screenshot(page, "review-approve-confirm")
    page.click("#confirm-approve .btn-default")  # 取消: nothing happens
    expect(page.locator("#confirm-approve")).to_be_hidden()
    expect(page.locator("#filing-status")).to_have_text("已提交待审核")
    _decide(page, "#btn-approve", "#confirm-approve-ok", opinion="材料齐全，同意备案。")
    number = page.locator("#filing-no").inner_text()
    assert NUMBER.fullmatch(number), number
    expect(page.locator(".alert-success")).to_contain_text(f"已审核通过，备案编号：{number}")
    expect(page.locator("#filing-status")).to_have_text("审核通过")
    expect(page.locator("#btn-print")).to_be_visible()
    screenshot(page, "review-approved")
    response = page.request.get(page.locator("#btn-print").get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    with app.app_context():
        assert db.session.get(Filing, filing_id).filing_no == number


def test_filing_journey_enterprise_and_reviewer(page, app, tmp_path):
    """The enterprise half goes through views/filing_ui.py (FilingView), the reviewer half through this module."""
    filing_id = _submitted_filing(app, status="DRAFT")

    # 1. the enterprise submits (提交审核 on the checklist tab, confirmed in the dialog)
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/submit")
    expect(page.locator("#checklist-ready")).to_be_visible()
    page.click("#checklist-submit")
    page.click("#confirm-ok")
    expect(page.locator(".alert-success")).to_contain_text("已提交审核")
    _logout(page)

    # 2. the reviewer returns it with an opinion
    browser_login(page, "gz_reviewer")
    _open_from_queue(page, filing_id)
    _decide(page, "#btn-return", "#confirm-return-ok", opinion="联系电话有误。请更正后重新提交。")
    expect(page.locator("#filing-status")).to_have_text("已退回")
    _logout(page)

    # 3. the enterprise reads the opinion, fixes the contact phone and resubmits
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/info")
    expect(page.get_by_text("联系电话有误。请更正后重新提交。").first).to_be_visible()
    screenshot(page, "journey-enterprise-sees-return")
    page.fill("#contact_phone", "13912345678")
    page.click("#save-info")
    expect(page.locator(".alert-success")).to_contain_text("已保存")
    page.goto(f"/filing/{filing_id}/submit")
    page.click("#checklist-submit")
    page.click("#confirm-ok")
    expect(page.locator(".alert-success")).to_contain_text("已提交审核")
    _logout(page)

    # 4. the reviewer approves; the filing number appears
    browser_login(page, "gz_reviewer")
    _open_from_queue(page, filing_id)
    page.click("a[href='#tab-info']")
    expect(page.locator("#tab-info")).to_contain_text("13912345678")
    _decide(page, "#btn-approve", "#confirm-approve-ok")
    number = page.locator("#filing-no").inner_text()
    assert NUMBER.fullmatch(number), number
    _logout(page)

    # 5. the enterprise prints the 备案表 and marks a trainee 流失
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/info")
    print_link = page.locator("#action-print")
    expect(print_link).to_be_visible()
    response = page.request.get(print_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    assert pdf.startswith(b"%PDF-")
    (tmp_path / "form.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(tmp_path / "form.pdf"), "-"], check=True,
                          capture_output=True).stdout.decode()
    assert number in text and "企业新型学徒制培训备案表" in text and "13912345678" in text
    page.goto(f"/filing/{filing_id}/trainees")
    page.locator("a.mark-lost").first.click()
    expect(page.locator("#lost-panel")).to_be_visible()
    page.fill("#lost_reason", "个人原因离职")
    page.click("#save-lost")
    expect(page.locator(".alert-success")).to_contain_text("标记为流失")
    screenshot(page, "journey-enterprise-marked-lost")
    _logout(page)

    # 6. the reviewer sees the whole history
    browser_login(page, "gz_reviewer")
    page.goto(f"/review/filing/{filing_id}")
    page.click("a[href='#tab-timeline']")
    actions = page.locator("#tab-timeline tr.audit-event").evaluate_all("rows => rows.map(r => r.dataset.action)")
    # every save is audited too (DESIGN §7): the fix of the contact phone after 退回 is in the history
    assert actions == ["submit", "return", "update", "submit", "approve", "mark_lost"]
    expect(page.locator("#tab-timeline")).to_contain_text("个人原因离职")
    screenshot(page, "journey-reviewer-timeline")
    with app.app_context():
        row = db.session.get(Filing, filing_id)
        assert row.status == "APPROVED" and row.filing_no == number
        assert [t.status for t in row.trainees].count("LOST") == 1

"""Browser walk-through of 审核管理 → 补贴审核 (R23; Playwright + Debian Chromium); screenshots land in test-artifacts/.

1. gz_reviewer opens 补贴审核 from the navbar, opens the SUBMITTED claim, lowers one person's amount — first without
   a reason (the message next to the row, the typed amount kept), then with one — and approves: 审核通过 with the
   approved total (the lowered amount + the other person as claimed).
2. A 退回 round: 退回 without an opinion shows the field's message and changes nothing; with one the claim is 已退回.
"""
from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from models.base import db
from models.subsidy import SubsidyClaim
from tests.conftest import browser_login, screenshot
from tests.test_claim_review_ui import submitted_claim

pytestmark = pytest.mark.browser


def _open_from_queue(page, claim_id: int) -> None:
    page.goto("/")
    page.locator("header").get_by_text("审核管理").click()
    page.locator("header").get_by_role("link", name="补贴审核").click()
    expect(page.locator("h2", has_text="补贴审核")).to_be_visible()
    row = page.locator(f'tr[data-claim-id="{claim_id}"]')
    expect(row).to_contain_text("已提交待审核")
    screenshot(page, "claim-review-queue")
    row.get_by_role("link", name="审核").click()
    expect(page.locator(".claim-review-detail")).to_have_attribute("data-claim-id", str(claim_id))


def _decide(page, action: str, opinion: str) -> None:
    page.fill("#opinion", opinion)
    page.click(f"#btn-{action}")
    expect(page.locator(f"#confirm-{action}")).to_be_visible()
    page.click(f"#confirm-{action}-ok")
    page.wait_for_load_state("load")


def test_reviewer_lowers_one_person_and_approves(page, app):
    made = submitted_claim(app)
    person_id, claimed = made["persons"]["张晓明"]
    other_claimed = made["persons"]["李思雨"][1]
    browser_login(page, "gz_reviewer")
    _open_from_queue(page, made["id"])
    expect(page.locator("#total-requested")).to_have_text(str(made["requested"]))
    row = page.locator(f"#person-{person_id}")
    expect(row.locator('[data-check="attendance"]')).to_contain_text("出勤率")
    expect(page.locator(f"#amount-{person_id}")).to_have_value(str(claimed))  # defaults to the claimed amount
    screenshot(page, "claim-review-detail")

    page.fill(f"#amount-{person_id}", "1000")
    page.click(f"#btn-decide-{person_id}")
    expect(page.locator(f"#reason-{person_id}-error")).to_contain_text("核减原因")
    expect(page.locator(f"#amount-{person_id}")).to_have_value("1000")  # the input is kept
    screenshot(page, "claim-review-reason-required")

    page.fill(f"#reason-{person_id}", "部分课程缺勤，按实际出勤核减")
    page.click(f"#btn-decide-{person_id}")
    expect(page.locator(".alert-success")).to_contain_text("已核定 张晓明")
    expected = Decimal("1000.00") + other_claimed
    expect(page.locator("#total-approved")).to_have_text(str(expected))
    expect(page.locator("#claim-totals")).to_contain_text("其中核减 1 人")

    _decide(page, "approve", "材料齐全，同意拨付。")
    expect(page.locator(".alert-success")).to_contain_text("已审核通过")
    expect(page.locator("#claim-status")).to_have_text("审核通过")
    expect(page.locator("#total-approved")).to_have_text(str(expected))
    expect(page.locator("#decision-form")).to_have_count(0)
    expect(page.locator(f"#btn-decide-{person_id}")).to_have_count(0)
    expect(page.locator(f"#person-{person_id}")).to_contain_text("部分课程缺勤，按实际出勤核减")
    screenshot(page, "claim-review-approved")
    with app.app_context():
        claim = db.session.get(SubsidyClaim, made["id"])
        assert (claim.status, claim.approved_amount) == ("APPROVED", expected)


def test_return_needs_an_opinion(page, app):
    made = submitted_claim(app)
    browser_login(page, "gz_reviewer")
    page.goto(f"/review/claims/{made['id']}")
    _decide(page, "return", "")
    expect(page.locator("#opinion-error")).to_be_visible()
    expect(page.locator("#claim-status")).to_have_text("已提交待审核")
    screenshot(page, "claim-review-return-without-opinion")
    _decide(page, "return", "请补充培训计划的课时安排后重新提交。")
    expect(page.locator(".alert-success")).to_contain_text("已退回")
    expect(page.locator("#claim-status")).to_have_text("已退回")
    expect(page.locator("#review-opinion")).to_have_text("请补充培训计划的课时安排后重新提交。")
    expect(page.locator("#decision-form")).to_have_count(0)
    with app.app_context():
        assert db.session.get(SubsidyClaim, made["id"]).status == "RETURNED"

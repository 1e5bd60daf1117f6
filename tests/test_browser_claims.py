"""企业新型学徒制培训补贴 in a real browser (Playwright + Debian Chromium), on ent_gz's demo running class
(seed/demo_running_class.py, 杨帆 at 50 % attendance): from the home page's 补贴申请 through the 承诺书 (the class
and stage choice locked until it is ticked), the class and 预拨, 单位基本信息 (a wrong 账户名称 is named under its
field and kept), 全部添加在训人员, 杨帆 failing the 出勤率 pre-check with its reason, 【删除】 with confirmation, the
培训计划 PDF upload, the 提交审核 checklist and submission → 已提交待审核 in 办理结果.
Screenshots: test-artifacts/claims-*.png."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from models.base import db
from models.filing import Filing, TrainingClass
from tests import factories
from tests.conftest import browser_login, choose_file, screenshot

pytestmark = pytest.mark.browser


def _running_class(app) -> tuple[int, str]:
    """ent_gz's running class id and the enterprise name."""
    from seed import demo_running_class

    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        ent = factories.demo_enterprise("ent_gz")
        cls_id = db.session.scalars(select(TrainingClass.id).join(Filing).where(
            Filing.enterprise_id == ent.id, TrainingClass.planned_headcount == 6)).one()
        return cls_id, ent.name


@pytest.fixture
def pdf_file(tmp_path) -> Path:
    from weasyprint import HTML

    path = tmp_path / "培训计划.pdf"
    HTML(string="<html><body><h1>培训计划</h1><p>数控车工 480 学时</p></body></html>").write_pdf(str(path))
    return path


def confirm(page) -> None:
    """The confirmation dialog of a destructive or final action (static/filing.js)."""
    expect(page.locator("#filing-confirm")).to_be_visible()
    page.locator("#confirm-ok").click()


def test_claim_journey_from_the_home_page(app, page, pdf_file):
    cls_id, ent_name = _running_class(app)
    browser_login(page, "ent_gz")
    page.goto("/")
    page.locator(".service-item a[href='/claims/apply']").click()

    # 承诺书 first (R20): nothing can be chosen before it is ticked
    expect(page.locator("#commitment-text")).to_contain_text("承诺")
    expect(page.locator(f"#class-{cls_id}")).to_be_disabled()
    expect(page.locator("#stage-advance")).to_be_disabled()
    screenshot(page, "claims-1-commitment")
    page.locator("#commitment_accepted").check()
    expect(page.locator(f"#class-{cls_id}")).to_be_enabled()
    row = page.locator(f"tr[data-class-id='{cls_id}']")
    expect(row).to_contain_text("培训中")
    expect(row).to_contain_text("6")
    page.locator(f"#class-{cls_id}").check()
    expect(page.locator("#stage-group")).to_contain_text("开班后申请")
    page.locator("#stage-advance").check()
    page.locator("#apply-submit").click()

    # 单位基本信息: the account name must be the unit's name (R20); the wrong one stays in the field
    expect(page.locator("#claim-tabs li.active a")).to_contain_text("单位基本信息")
    expect(page.locator("#account-hint")).to_contain_text(ent_name)
    page.fill("#bank_name", "中国工商银行广州天河支行")
    page.fill("#bank_account_name", "广州某某贸易有限公司")
    page.fill("#bank_account_no", "3602000109200012345")
    page.fill("#contact_name", "李四")
    page.fill("#contact_phone", "13800138000")
    page.locator("#unit-save").click()
    error = page.locator(".field-error[data-field='bank_account_name']")
    expect(error).to_contain_text(ent_name)
    expect(page.locator("#bank_account_name")).to_have_value("广州某某贸易有限公司")
    expect(page.locator("#bank_name")).to_have_value("中国工商银行广州天河支行")
    screenshot(page, "claims-1b-unit-error")
    page.fill("#bank_account_name", ent_name)
    page.locator("#unit-save").click()

    # 人员信息: 全部添加在训人员, then 杨帆 fails the 出勤率 pre-check with its reason (R21, R24)
    expect(page.locator("#claim-tabs li.active a")).to_contain_text("人员信息")
    page.locator("#add-persons").click()
    expect(page.locator("#picker-table tr[data-trainee-id]")).to_have_count(6)
    page.locator("#q").fill("杨")
    page.locator("#picker-search").click()
    expect(page.locator("#picker-table tr[data-trainee-id]")).to_have_count(1)
    page.locator("#picker-back").click()
    page.locator("#add-all").click()
    persons = page.locator("#persons-table tr.person-row")
    expect(persons).to_have_count(6)
    yang = persons.filter(has_text="杨帆")
    expect(yang.locator(".precheck-fail")).to_contain_text("出勤率 50.0%（32/64 学时），低于 80.0%")
    expect(yang.locator(".attendance")).to_contain_text("50.0%")
    expect(persons.filter(has_text="张晓明").locator(".precheck-pass")).to_contain_text("全部通过")
    expect(page.locator("#persons-table")).not_to_contain_text("********")  # the owner sees full numbers (issue 12)
    screenshot(page, "claims-2-persons")

    # the checklist refuses while 杨帆 is in
    page.locator("#tab-link-submit").click()
    expect(page.locator("#checklist-not-ready")).to_be_visible()
    expect(page.locator("tr[data-code='persons']")).to_contain_text("有 1 人预审未通过")
    expect(page.locator("#checklist-submit")).to_be_disabled()
    page.locator("#show-failing").click()
    expect(page.locator("#persons-table tr.person-row")).to_have_count(1)

    # 【删除】 杨帆 with confirmation
    page.locator("#persons-table tr.person-row").filter(has_text="杨帆").locator("input.pick-one").check()
    page.locator("#remove-selected").click()
    confirm(page)
    expect(page.locator(".alert-success").first).to_contain_text("已删除 1 名人员")
    page.locator("#tab-link-persons").click()
    expect(page.locator("#persons-table tr.person-row")).to_have_count(5)
    expect(page.locator("#persons-table")).not_to_contain_text("杨帆")

    # 附件: the 培训计划 PDF required for 预拨 (R23)
    page.locator("#tab-link-attachments").click()
    expect(page.locator("#required-kinds .kind-missing")).to_contain_text("培训计划")
    page.select_option("#kind", "TRAINING_PLAN")
    choose_file(page, "#file", pdf_file)
    expect(page.locator("#file-name")).to_have_text("培训计划.pdf")
    page.locator("#upload-submit").click()
    expect(page.locator("#required-kinds .kind-ok")).to_contain_text("培训计划")
    expect(page.locator("#attachments-table")).to_contain_text("培训计划.pdf")

    # 提交审核: every item met, the amount and its reckoning, then submit with confirmation
    page.locator("#tab-link-submit").click()
    expect(page.locator("#checklist-ready")).to_be_visible()
    expect(page.locator("#reckoning")).to_contain_text("× 预拨比例 40.0% = 2200.00 元")
    expect(page.locator("#total-amount")).to_contain_text("11000.00")
    screenshot(page, "claims-3-submit")
    page.locator("#checklist-submit").click()
    confirm(page)

    # 办理结果: 已提交待审核, with 取消申请 and the documents
    expect(page.locator("h3.filing-title")).to_contain_text("办理结果")
    row = page.locator("#results-table tbody tr").first
    expect(row.locator(".status")).to_contain_text("已提交待审核")
    expect(row).to_contain_text("11000.00")
    expect(row.locator("#action-cancel")).to_be_visible()
    expect(row).to_contain_text("下载申请表")
    screenshot(page, "claims-4-results")

    # the claim page is read-only now, with its documents
    row.locator(".enter-link").click()
    expect(page.locator("#readonly-note")).to_contain_text("取消申请")
    expect(page.locator("#doc-form-pdf")).to_be_visible()
    page.locator("#tab-link-persons").click()
    expect(page.locator("#persons-toolbar")).to_have_count(0)
    expect(page.locator("#persons-table tr.person-row")).to_have_count(5)

"""备案申请 in the browser (Playwright + Debian Chromium): one journey per (programme, apprenticeship type) from the
menu's 备案申请 through the 承诺书, the type choice and every tab typed by hand, a real PDF upload, the checklist
with its missing items first, then 提交审核 to 已提交待审核; and 标记为流失 on an approved filing.
Screenshots (test-artifacts/filing-*.png) of every tab of the first journey and of the checklist."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import browser_login, choose_file, screenshot, type_date

pytestmark = pytest.mark.browser

JOURNEYS = [
    # programme, menu label, apprenticeship type, type label
    ("ENTERPRISE", "企业新型学徒制培训", "NEW_APPRENTICE", "企业新型学徒制"),
    ("ENTERPRISE", "企业新型学徒制培训", "STUDENT", "学生学徒制"),
    ("ECOSYSTEM", "产教评技能生态链企业新型学徒制培训", "STUDENT", "学生学徒制"),
    ("ECOSYSTEM", "产教评技能生态链企业新型学徒制培训", "TECH_TRAINEE", "技培生学徒制"),
]
REQUIRED = {
    "NEW_APPRENTICE": ["培训计划", "校企合作协议", "劳动合同"],
    "STUDENT": ["培训计划", "校企合作协议", "学徒培训协议"],
    "TECH_TRAINEE": ["培训计划", "校企合作协议", "学徒培训协议"],
}


@pytest.fixture
def pdf_file(tmp_path) -> Path:
    """A small valid PDF made by WeasyPrint from a tiny HTML page."""
    from weasyprint import HTML

    path = tmp_path / "培训计划.pdf"
    HTML(string="<html><body><h1>Training plan 2027</h1><p>40 hours</p></body></html>").write_pdf(str(path))
    assert path.read_bytes().startswith(b"%PDF-")
    return path


def open_menu(page, category: str, item: str) -> None:
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile("^\\s*" + category + "\\s*$")).click()
    page.locator("header .dropdown-menu a", has_text=item).filter(visible=True).first.click()


def save_and_expect_success(page, button: str = "#save-row") -> None:
    page.locator(button).click()
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.locator(".field-error")).to_have_count(0)


def tab(page, label: str) -> None:
    page.locator("#filing-tabs a", has_text=label).click()
    expect(page.locator("#filing-tabs li.active a")).to_contain_text(label)


@pytest.mark.parametrize("programme,menu,kind,kind_label", JOURNEYS, ids=[f"{p}-{k}" for p, _m, k, _l in JOURNEYS])
def test_filing_journey(page, pdf_file, programme, menu, kind, kind_label):
    shots = programme == "ENTERPRISE" and kind == "NEW_APPRENTICE"
    prefix = "filing-journey"
    labour = kind == "NEW_APPRENTICE"
    has_courses = kind != "STUDENT"
    browser_login(page, "ent_gz")
    open_menu(page, menu, "备案申请")
    expect(page.locator("h3.filing-title")).to_contain_text(menu)

    # 承诺书 first (R1): the type step is locked until the commitment is confirmed; only this programme's types.
    expect(page.locator("#commitment-text")).to_contain_text("如有虚假承诺")
    expect(page.locator(f"#type-{kind.lower()}")).to_be_disabled()
    expect(page.locator("#apply-submit")).to_be_disabled()
    radios = page.locator("input[name=apprenticeship_type]")
    expect(radios).to_have_count(2)
    if shots:
        screenshot(page, f"{prefix}-0-commitment")
    page.locator("#commitment_accepted").check()
    expect(page.locator(f"#type-{kind.lower()}")).to_be_enabled()
    page.locator(f"#type-{kind.lower()}").check()
    page.locator("#apply-submit").click()
    expect(page).to_have_url(re.compile(r"/filing/\d+/info$"))
    filing_url = page.url.rsplit("/", 1)[0]
    expect(page.locator(".filing-summary")).to_contain_text(kind_label)
    expect(page.locator(".filing-summary")).to_contain_text("未提交")

    # 备案信息: registry data read-only, contact editable; a wrong phone is refused with the input kept.
    expect(page.locator("#tab-info")).to_contain_text("广州示范智能制造有限公司")
    expect(page.locator("#tab-info")).to_contain_text("已确认（广州示范经办人（ent_gz）")
    page.fill("#contact_name", "王小明")
    page.fill("#contact_phone", "12345")
    page.locator("#save-info").click()
    expect(page.locator(".field-error[data-field=contact_phone]")).to_contain_text("联系电话格式不正确")
    expect(page.locator("#contact_name")).to_have_value("王小明")
    page.fill("#contact_phone", "13800001111")
    save_and_expect_success(page, "#save-info")
    if shots:
        screenshot(page, f"{prefix}-1-info")

    # 培训机构情况 (R5): 其他培训机构 needs its name.
    tab(page, "培训机构情况")
    page.select_option("#institution_id", "other")
    expect(page.locator("#other_institution_name")).to_be_visible()
    page.locator("#save-institution").click()
    expect(page.locator(".field-error[data-field=other_institution_name]")).to_contain_text("必填")
    page.fill("#other_institution_name", "广州市黄埔区职业技能培训学校")
    save_and_expect_success(page, "#save-institution")
    expect(page.locator("#institution_id")).to_have_value("other")
    if shots:
        screenshot(page, f"{prefix}-2-institution")

    # 培训信息 (R10 for 企业新型学徒制: at least one year).
    tab(page, "培训信息")
    page.select_option("#occupation_code", "6-18-01-01")
    page.select_option("#skill_level", "4" if labour else "5")
    type_date(page, "#start_date", "2027-03-01")
    type_date(page, "#end_date", "2027-12-31" if labour else "2027-07-31")
    page.fill("#hours", "400")
    page.fill("#planned_headcount", "2")
    if labour:
        page.locator("#save-row").click()
        expect(page.locator(".field-error[data-field=end_date]")).to_contain_text("不能少于1年")
        expect(page.locator("#start_date")).to_have_value("2027-03-01")
        type_date(page, "#end_date", "2028-02-29")
    if shots:
        page.locator("#start_date").click()
        expect(page.locator(".datepicker-days").first).to_contain_text("2027年03月")  # the picker speaks Chinese
        screenshot(page, f"{prefix}-3a-class-form")
        page.locator("#start_date").press("Escape")
        expect(page.locator(".datepicker-dropdown")).to_have_count(0)  # closed (detached) before 保存 is clicked
    save_and_expect_success(page)
    expect(page.locator("#rows-table")).to_contain_text("车工")
    if kind == "STUDENT":
        expect(page.locator("#add-row")).to_have_count(0)  # R4: one 培训信息 only
        expect(page.locator(".row-toolbar")).to_contain_text("只允许新增一条培训信息")
    if shots:
        screenshot(page, f"{prefix}-3-classes")

    # 培训师资信息
    tab(page, "培训师资信息")
    page.fill("#name", "陈师傅")
    page.select_option("#kind", "ENTERPRISE")
    page.fill("#id_number", factories.id_number(region="440113", birth="19790815"))
    page.fill("#phone", "13900002222")
    page.fill("#title", "高级技师")
    page.fill("#certificate_no", "GJJS-2020-0081")
    save_and_expect_success(page)
    page.locator("#add-row").click()
    page.fill("#name", "刘老师")
    page.select_option("#kind", "SCHOOL")
    page.fill("#id_number", factories.id_number(region="440113", birth="19850302", female=True))
    page.fill("#phone", "020-83331234")
    save_and_expect_success(page)
    expect(page.locator("#rows-table tbody tr")).to_have_count(2)
    if shots:
        screenshot(page, f"{prefix}-4-teachers")

    # 培训人员信息: gender and birth date read from the ID number (R8); contract or agreement dates.
    tab(page, "培训人员信息")
    contract = "劳动合同" if labour else "学徒培训协议"
    expect(page.locator("label[for=contract_start]")).to_contain_text(contract)
    people = [("李晓华", factories.id_number(region="440113", birth="20010412", female=True), "女", "2001-04-12"),
              ("黄志强", factories.id_number(region="440113", birth="20000923"), "男", "2000-09-23")]
    for i, (name, number, gender, birth) in enumerate(people):
        if i:
            page.locator("#add-row").click()
        page.fill("#name", name)
        page.fill("#id_number", number)
        expect(page.locator("#id-derived")).to_have_text(f"{gender} / {birth}")
        page.fill("#phone", f"1371111000{i}")
        page.select_option("#education", "SECONDARY_VOCATIONAL")
        type_date(page, "#contract_start", "2026-07-01")
        type_date(page, "#contract_end", "2029-06-30")
        if labour:
            type_date(page, "#hire_date", "2026-07-01")
        if shots and not i:
            screenshot(page, f"{prefix}-5a-trainee-form")
        save_and_expect_success(page)
        row = page.locator(f"#rows-table tr[data-trainee='{number}']")
        expect(row).to_contain_text(gender)
        expect(row).to_contain_text(birth)
        expect(row).to_contain_text("在训")
    if shots:
        screenshot(page, f"{prefix}-5-trainees")

    # 培训课程信息 (R6: 线下 needs a teacher; R7: no date / venue before approval).
    if has_courses:
        tab(page, "培训课程信息")
        expect(page.locator("#courses-form input[name=date]")).to_have_count(0)
        page.select_option("#training_class_id", index=1)
        page.fill("#name", "数控车床操作实训")
        page.select_option("#mode", "OFFLINE")
        page.fill("#hours", "40")
        page.locator("#save-row").click()
        expect(page.locator(".field-error[data-field=teacher_id]")).to_have_text("授课方式为线下培训时，授课教师必填")
        expect(page.locator("#name")).to_have_value("数控车床操作实训")
        page.select_option("#teacher_id", label="陈师傅（企业导师）")
        save_and_expect_success(page)
        expect(page.locator("#rows-table")).to_contain_text("备案通过后配置")
        if shots:
            screenshot(page, f"{prefix}-6-courses")
    else:
        expect(page.locator("#filing-tabs")).not_to_contain_text("培训课程信息")

    # 提交审核 from the 企业信息 tab: the checklist lists the missing materials first.
    tab(page, "企业信息")  # the manual's name of the first tab
    page.locator("#submit-filing").click()
    page.locator("#confirm-ok").click()
    expect(page).to_have_url(re.compile(r"/submit$"))
    expect(page.locator("#checklist-not-ready")).to_contain_text("还有 1 项未完成")
    for label in REQUIRED[kind]:
        expect(page.locator("#checklist")).to_contain_text(f"缺少材料：{label}")
    expect(page.locator("#checklist-submit")).to_have_count(0)
    if shots:
        screenshot(page, f"{prefix}-7-checklist-missing")

    # 上传材料: a real PDF for each required kind, via the checklist's link.
    page.locator("#checklist tr[data-code=attachment] a.goto-tab").click()
    expect(page.locator("#required-kinds")).to_contain_text("未上传")
    for done, label in enumerate(REQUIRED[kind], start=1):
        page.select_option("#kind", label=label)
        choose_file(page, "#file", pdf_file)
        expect(page.locator("#file-name")).to_have_text(pdf_file.name)
        page.locator("#upload-submit").click()
        expect(page.locator("#rows-table tbody tr", has_text=pdf_file.name)).to_have_count(done)  # the new page
        expect(page.locator(".alert-success").first).to_contain_text("已上传")
    expect(page.locator("#required-kinds .kind-missing")).to_have_count(0)
    expect(page.locator("#rows-table tbody tr")).to_have_count(len(REQUIRED[kind]))
    if shots:
        screenshot(page, f"{prefix}-8-attachments")
    preview = page.locator("#rows-table a", has_text="预览").first.get_attribute("href")
    response = page.request.get(preview)
    assert response.status == 200 and response.body().startswith(b"%PDF-")

    # The checklist is complete now: 提交审核 → 已提交待审核, the filing read-only.
    tab(page, "提交审核")
    expect(page.locator("#checklist-ready")).to_be_visible()
    if shots:
        screenshot(page, f"{prefix}-9-checklist-ready")
    page.locator("#checklist-submit").click()
    page.locator("#confirm-ok").click()
    expect(page).to_have_url(re.compile(r"/filing/results/" + programme))
    expect(page.locator(".alert-success").first).to_contain_text("已提交审核")
    filing_id = filing_url.rsplit("/", 1)[1]
    row = page.locator(f"#results-table tr[data-filing-id='{filing_id}']")
    expect(row).to_contain_text("已提交待审核")
    expect(row).to_contain_text(kind_label)
    if shots:
        screenshot(page, f"{prefix}-10-results")
    row.locator("a.enter-link").click()
    expect(page.locator("#readonly-note")).to_be_visible()
    expect(page.locator("#action-withdraw")).to_be_visible()
    expect(page.locator("#save-info")).to_have_count(0)


def test_mark_trainee_lost_on_approved_filing(page):
    browser_login(page, "ent_gz")
    open_menu(page, "企业新型学徒制培训", "办理结果")
    page.select_option("#status", "APPROVED")
    page.locator("#query-submit").click()
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("XT4401-")
    screenshot(page, "filing-results-approved")
    rows.first.locator("a.enter-link").click()
    expect(page.locator("#filing-actions")).not_to_contain_text("删除")
    tab(page, "培训人员信息")
    first = page.locator("#rows-table tbody tr").first
    name = first.locator("td").first.inner_text()
    first.locator("a.mark-lost").click()
    expect(page.locator("#lost-panel")).to_contain_text(name)
    page.locator("#save-lost").click()
    expect(page.locator(".field-error[data-field=lost_reason]")).to_have_text("请填写流失原因")
    page.fill("#lost_reason", "个人原因主动离职")
    screenshot(page, "filing-mark-lost-form")
    page.locator("#save-lost").click()
    expect(page.locator(".alert-success").first).to_contain_text("标记为流失")
    row = page.locator("#rows-table tbody tr", has_text=name)
    expect(row.locator(".trainee-status")).to_contain_text("流失")
    expect(row.locator(".trainee-status")).to_contain_text("个人原因主动离职")
    expect(row.locator("a.mark-lost")).to_have_count(0)
    expect(page.locator("#rows-table a.mark-lost")).to_have_count(1)
    screenshot(page, "filing-mark-lost-done")


def test_returned_filing_and_withdraw_in_browser(page):
    browser_login(page, "ent_gz")
    page.goto("/filing/results/ENTERPRISE?status=RETURNED")
    row = page.locator("#results-table tbody tr").first
    expect(row).to_contain_text("已退回")
    expect(row.locator("td.opinion")).to_contain_text("培训计划未写明")
    row.locator("a.enter-link").click()
    expect(page.locator("#review-opinion")).to_contain_text("培训计划未写明各阶段的课时安排")
    screenshot(page, "filing-returned")
    # 撤回 a submitted one: confirmed first, then it is a draft again.
    page.goto("/filing/results/ENTERPRISE?status=SUBMITTED")
    page.locator("#results-table a.enter-link").first.click()
    page.locator("#action-withdraw").click()
    expect(page.locator("#filing-confirm .confirm-text")).to_contain_text("确定撤回")
    page.locator("#confirm-cancel").click()
    expect(page.locator(".filing-summary")).to_contain_text("已提交待审核")
    page.locator("#action-withdraw").click()
    page.locator("#confirm-ok").click()
    expect(page.locator(".alert-success").first).to_contain_text("已撤回")
    expect(page.locator(".filing-summary")).to_contain_text("未提交")
    expect(page.locator("#save-info")).to_be_visible()

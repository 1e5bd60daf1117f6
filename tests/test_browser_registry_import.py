"""导入职业工种 in the browser (Playwright + Debian Chromium), as the provincial admin does it with the 国家职业分类大典:
基础数据 → 导入职业工种, download the template, fill it in the 大典 layout (a category row, a 职业 per 工种) with one
mistake, upload it, read the error list, download the annotated file, fix the marked cell in it, upload it again, read
the counts (新增 / 更新, the sample occupations to be replaced), 确认导入 and find the list changed; then an enterprise
user files a class on the new 职业 from the filing form's dropdown. Screenshots: test-artifacts/registry-import-*.png.
"""
from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import expect

from models.base import db
from tests import factories
from tests.conftest import browser_login, choose_file, screenshot

pytestmark = pytest.mark.browser


def test_admin_imports_the_dadian_with_a_mistake_then_the_filing_form_offers_it(app, page, tmp_path):
    with app.app_context():
        filing_id = factories.filing(factories.demo_enterprise("ent_gz").id).id
        db.session.commit()
    browser_login(page, "admin")
    page.locator("a.dropdown-toggle", has_text="基础数据").click()
    page.locator("a", has_text="导入职业工种").click()
    expect(page.locator("h3")).to_contain_text("导入职业工种")
    screenshot(page, "registry-import-1-page")

    # 1. 下载模板, filled as the 大典 lists it: a 小类 row, one 职业 with two 工种, a new 职业 with a wrong code.
    with page.expect_download() as info:
        page.locator("#download-template").click()
    assert info.value.suggested_filename == "职业工种导入模板.xlsx"
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book["职业工种"]
    assert [c.value for c in sheet[1]] == ["大类", "中类", "小类", "*职业编码", "*职业名称", "工种"]
    rows = [["6", "6-30", "6-30-05", "6-30-05", "机动车检测工", None],
            ["4", "4-12", "4-12-01", "4-12-01-01", "汽车维修工", "汽车机械维修工"],
            ["4", "4-12", "4-12-01", "4-12-01-01", "汽车维修工", "汽车电器维修工"],
            ["6", "6-30", "6-30-05", "6-30-05-0", "新能源汽车检测工", None]]  # row 5: the code misses a digit
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
    filled = tmp_path / "大典.xlsx"
    book.save(filled)

    # 2. upload: refused, nothing stored, the bad cell named by row and column
    choose_file(page, "#import-file", filled)
    page.locator("#upload-submit").click()
    expect(page.locator("#import-error-message")).to_contain_text("未导入任何数据")
    error_row = page.locator("#error-table tbody tr")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("职业编码")
    expect(error_row.locator("td").nth(1)).to_have_text("5")
    screenshot(page, "registry-import-2-errors")

    # 3. the annotated file: the user's workbook, the cell marked, 错误说明 at the end; fixed there and uploaded again
    with page.expect_download() as info:
        page.locator("#download-errors").click()
    annotated = tmp_path / info.value.suggested_filename
    info.value.save_as(annotated)
    assert info.value.suggested_filename == "大典_错误标注.xlsx"
    marked = openpyxl.load_workbook(annotated)
    sheet = marked["职业工种"]
    assert sheet.cell(row=1, column=7).value == "错误说明" and "d-dd-dd-dd" in sheet.cell(row=5, column=7).value
    assert sheet.cell(row=5, column=4).fill.fgColor.rgb.endswith("FFC7CE")
    sheet.cell(row=5, column=4, value="6-30-05-09")
    marked.save(annotated)
    choose_file(page, "#import-file", annotated)
    page.locator("#upload-submit").click()
    expect(page.locator("#preview-counts")).to_contain_text("将新增 1 条、更新 1 条")
    expect(page.locator("#preview-skipped")).to_contain_text("1 行")
    expect(page.locator("#preview-samples")).to_contain_text("样例职业将被替换")
    expect(page.locator("#preview-table")).to_contain_text("汽车机械维修工、汽车电器维修工")
    screenshot(page, "registry-import-3-preview")

    # 4. 确认导入: back on the 职业（工种） list with the counts
    page.locator("#confirm-import").click()
    expect(page.locator(".alert-success")).to_contain_text("已导入职业工种：新增 1 条，更新 1 条")
    expect(page.locator("table.table-hover").last).to_contain_text("汽车机械维修工、汽车电器维修工")
    screenshot(page, "registry-import-4-list")
    page.goto("/occupationview/list/?_flt_0_code=6-30-05-09")
    expect(page.locator("table.table-hover").last).to_contain_text("新能源汽车检测工")

    # 5. an enterprise user's filing form offers the new 职业 in its dropdown
    page.goto("/")  # 退出登录 from the user menu (a POST with the CSRF token)
    page.locator(".navbar-right .dropdown-toggle", has=page.locator(".fa-user")).click()
    with page.expect_navigation():
        page.locator("#logout-link").click()
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/classes")
    option = page.locator("#occupation_code option[value='6-30-05-09']")
    expect(option).to_have_text("6-30-05-09 新能源汽车检测工")
    page.select_option("#occupation_code", "6-30-05-09")
    screenshot(page, "registry-import-5-filing-form")

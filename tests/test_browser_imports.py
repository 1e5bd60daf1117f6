"""Excel import and 导出学员名单 in the browser (Playwright + Debian Chromium), as an enterprise HR clerk does it:
from the 培训人员信息 tab's 【导入】: download the template, fill it (openpyxl), upload a file with mistakes, read the
error list, download the annotated file, fix the marked cells in it, upload it again, check the preview,
确认导入 and see the rows on the tab; then 单位培训人员查询 from the menu with 【导出学员名单】.
Screenshots: test-artifacts/import-*.png."""
from __future__ import annotations

import re
from datetime import date

import openpyxl
import pytest
from playwright.sync_api import expect

from models.base import db
from tests import factories
from tests.conftest import browser_login, choose_file, screenshot

pytestmark = pytest.mark.browser


def test_import_journey_with_annotated_error_file(app, page, tmp_path):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        filing_id = factories.filing(ent.id).id
        db.session.commit()
    good = [factories.id_number(birth="19990101"), factories.id_number(birth="20000202", female=True),
            factories.id_number(birth="20010303")]
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/trainees")
    page.locator("#import-rows").click()
    expect(page.locator("h3")).to_contain_text("导入培训人员信息")
    screenshot(page, "import-1-page")

    # 1. 点击下载模板, fill it in (two mistakes: a wrong check digit, a phone number that is too short).
    with page.expect_download() as info:
        page.locator("#download-template").click()
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    assert info.value.suggested_filename == "培训人员信息导入模板.xlsx"
    book = openpyxl.load_workbook(template)
    sheet = book["培训人员信息"]
    assert [c.value for c in sheet[1]][:2] == ["*姓名", "*身份证号码"]
    rows = [["赵一", good[0], "男", "13800000001", "高中"],
            ["钱二", good[1][:-1] + ("0" if good[1][-1] != "0" else "1"), "女", "13800000002", "本科"],
            ["孙三", good[2], None, "1380000", "中专/中职/技工学校"]]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value)
        for c in (6, 7, 8):
            sheet.cell(row=r, column=c, value=date(2026, 1, 1) if c != 7 else date(2028, 12, 31))
    filled = tmp_path / "我的学员名单.xlsx"
    book.save(filled)

    # 2. Upload: every error listed, nothing imported.
    choose_file(page, "#import-file", filled)
    page.locator("#upload-submit").click()
    expect(page.locator("#import-error-message")).to_contain_text("导入文件有 2 处错误（涉及 2 行），未导入任何数据")
    table = page.locator("#error-table tbody tr")
    expect(table).to_have_count(2)
    expect(table.nth(0)).to_contain_text("身份证号码校验位错误，请核对")
    expect(table.nth(1)).to_contain_text("联系电话格式不正确")
    screenshot(page, "import-2-errors")

    # 3. 下载错误标注文件: the user's own file, bad cells marked, 错误说明 column; fix it there.
    with page.expect_download() as info:
        page.locator("#download-errors").click()
    annotated = tmp_path / info.value.suggested_filename
    info.value.save_as(annotated)
    assert info.value.suggested_filename == "我的学员名单_错误标注.xlsx"
    book = openpyxl.load_workbook(annotated)
    sheet = book["培训人员信息"]
    assert sheet["I1"].value == "错误说明"
    assert sheet["I3"].value == "【身份证号码】身份证号码校验位错误，请核对"
    assert sheet["I4"].value.startswith("【联系电话】联系电话格式不正确")
    assert sheet["B3"].fill.fgColor.rgb.endswith("FFC7CE") and sheet["D4"].fill.fgColor.rgb.endswith("FFC7CE")
    sheet["B3"] = good[1]
    sheet["D4"] = "13800000003"
    book.save(annotated)

    # 4. Upload the fixed file: preview, then 确认导入.
    choose_file(page, "#import-file", annotated)
    page.locator("#upload-submit").click()
    expect(page.locator("#preview-summary")).to_contain_text("检查通过：共 3 行数据，将新增 3 条培训人员信息")
    expect(page.locator("#preview-table tbody tr")).to_have_count(3)
    expect(page.locator("#preview-table")).to_contain_text(good[0][:6] + "********" + good[0][-4:])
    screenshot(page, "import-3-preview")
    page.locator("#confirm-import").click()
    expect(page.locator(".alert-success").first).to_contain_text("已成功导入 3 条培训人员信息")
    assert re.search(rf"/filing/{filing_id}/trainees$", page.url)
    for name in ("赵一", "钱二", "孙三"):
        expect(page.locator("#tab-trainees")).to_contain_text(name)
    screenshot(page, "import-4-rows")

    # 5. 单位培训人员查询 from the menu, search, 导出学员名单.
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile(r"^\s*企业新型学徒制培训\s*$")).click()
    page.locator("header .dropdown-menu a", has_text="单位培训人员查询").filter(visible=True).first.click()
    expect(page.locator("h3")).to_contain_text("单位培训人员查询")
    page.fill("#name", "钱二")
    page.locator("#query-submit").click()
    expect(page.locator("#trainee-table tbody tr")).to_have_count(1)
    expect(page.locator("#trainee-table")).to_contain_text(good[1][:6] + "********" + good[1][-4:])
    screenshot(page, "import-5-query")
    with page.expect_download() as info:
        page.locator("#export-trainees").click()
    exported = tmp_path / "export.xlsx"
    info.value.save_as(exported)
    assert info.value.suggested_filename.startswith("单位培训人员名单_")
    values = [[c.value for c in row] for row in openpyxl.load_workbook(exported).active.iter_rows()]
    assert len(values) == 2 and values[1][0] == "钱二" and values[1][1] == good[1]


def test_wrong_file_is_explained(app, page, tmp_path):
    with app.app_context():
        filing_id = factories.filing(factories.demo_enterprise("ent_gz").id).id
        db.session.commit()
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filing_id}/import/teacher")
    expect(page.locator("#import-file-name")).to_have_text("未选择文件")
    page.locator("#upload-submit").click()  # nothing chosen: said so, no request
    expect(page.locator("#import-file-name")).to_have_text("请先选择要导入的 Excel 文件（.xlsx）")
    fake = tmp_path / "导师名单.xlsx"
    fake.write_text("姓名,身份证号码\n张三,440106199503070011\n", encoding="utf-8")
    choose_file(page, "#import-file", fake)
    expect(page.locator("#import-file-name")).to_have_text("导师名单.xlsx")
    page.locator("#upload-submit").click()
    expect(page.locator("#import-error-message")).to_contain_text("不是 Excel 工作簿（.xlsx），可能是改了扩展名的文本")
    expect(page.locator("#error-table")).to_have_count(0)
    expect(page.locator("#download-errors")).to_have_count(0)
    screenshot(page, "import-6-not-xlsx")

"""人员信息【导入】 of a subsidy claim in the browser (Playwright + Debian Chromium; manual §3.2.3.1: 在人员信息界面点击导入
按钮，进入导入界面。点击下载模板，将导入模板填写完毕后点击导入上传), as ent_gz's clerk does it: download the template,
fill it (openpyxl), upload it with one wrong row — the error names the row and column and nothing is added —, fix
it, upload again, read the preview, 确认导入, and the persons are in the claim.
Screenshots: test-artifacts/claim-import-*.png."""
from __future__ import annotations

import openpyxl
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from actions.subsidies import claims
from models.base import db
from models.enums import ClaimStage
from models.filing import Filing, Trainee, TrainingClass
from models.subsidy import SubsidyClaimPerson
from seed import demo_running_class
from tests import factories
from tests.conftest import browser_login, choose_file, screenshot

pytestmark = pytest.mark.browser


def _claim_and_ids(app) -> tuple[int, dict[str, str]]:
    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        enterprise_id = factories.demo_enterprise("ent_gz").id
        cls = db.session.scalars(select(TrainingClass).join(Filing).where(Filing.enterprise_id == enterprise_id)
                                 .order_by(TrainingClass.id.desc())).first()
        claim = claims.create_claim(db.session, factories.actor("ent_gz"),
                                    {"training_class_id": cls.id, "stage": ClaimStage.BALANCE,
                                     "commitment_accepted": True})
        db.session.commit()
        ids = dict(db.session.execute(select(Trainee.name, Trainee.id_number)
                                      .where(Trainee.filing_id == cls.filing_id)).all())
        return claim.id, ids


def _persons(app, claim_id: int) -> dict[str, tuple]:
    with app.app_context():
        rows = db.session.execute(select(Trainee.name, SubsidyClaimPerson.certificate_no,
                                         SubsidyClaimPerson.skill_level)
                                  .join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
                                  .where(SubsidyClaimPerson.subsidy_claim_id == claim_id)).all()
        db.session.remove()
        return {name: (cert, level) for name, cert, level in rows}


def test_claim_person_import_journey(app, page, tmp_path):
    claim_id, ids = _claim_and_ids(app)
    browser_login(page, "ent_gz")
    page.goto(f"/claims/{claim_id}/import")
    expect(page.locator("h3")).to_contain_text("导入人员信息")
    expect(page.locator("#existing-count")).to_contain_text("0 人")

    # 1. 点击下载模板
    with page.expect_download() as info:
        page.locator("#download-template").click()
    assert info.value.suggested_filename == "人员信息导入模板.xlsx"
    template = tmp_path / info.value.suggested_filename
    info.value.save_as(template)
    book = openpyxl.load_workbook(template)
    sheet = book["人员信息"]
    assert [c.value for c in sheet[1]] == ["*身份证号码", "姓名", "证书编号", "证书等级"]
    rows = [[ids["张晓明"], "张晓明", "S4401-0001", "四级/中级工"],
            [ids["李思雨"], "李思宇", "S4401-0002", "四级/中级工"],  # 姓名 does not match the filing
            [ids["王建华"], None, "S4401-0003", "四级/中级工"]]
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    filled = tmp_path / "申领人员.xlsx"
    book.save(filled)

    # 2. 导入上传 with one bad row: the row and the column are named, nothing is added.
    choose_file(page, "#import-file", filled)
    expect(page.locator("#import-file-name")).to_have_text("申领人员.xlsx")
    page.locator("#upload-submit").click()
    expect(page.locator("#import-error-message")).to_contain_text("导入文件有 1 处错误（涉及 1 行），未导入任何人员")
    errors = page.locator("#error-table tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.nth(0).locator("td").nth(1)).to_have_text("3")
    expect(errors.nth(0).locator("td").nth(2)).to_contain_text("姓名")
    expect(errors.nth(0)).to_contain_text("与备案中该身份证号码的培训人员姓名“李思雨”不一致")
    expect(page.locator("#download-errors")).to_be_visible()
    screenshot(page, "claim-import-1-errors")
    assert _persons(app, claim_id) == {}

    # 3. Fix the name, upload again: the preview (ID numbers masked), then 确认导入.
    sheet.cell(row=3, column=2, value="李思雨")
    book.save(filled)
    choose_file(page, "#import-file", filled)
    page.locator("#upload-submit").click()
    expect(page.locator("#preview-summary")).to_contain_text("检查通过：共 3 行数据，将新增 3 名人员")
    expect(page.locator("#preview-table tbody tr")).to_have_count(3)
    expect(page.locator("#preview-table")).not_to_contain_text(ids["张晓明"])
    screenshot(page, "claim-import-2-preview")
    assert _persons(app, claim_id) == {}
    page.locator("#confirm-import").click()
    expect(page.locator("body")).to_contain_text("已成功导入 3 名人员")
    screenshot(page, "claim-import-3-done")
    assert _persons(app, claim_id) == {"张晓明": ("S4401-0001", 4), "李思雨": ("S4401-0002", 4),
                                       "王建华": ("S4401-0003", 4)}

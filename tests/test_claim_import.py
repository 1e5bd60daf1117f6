"""人员信息【导入】 of a subsidy claim (manual §3.2.3.1, R20) through the Flask test client (CSRF on) and the REST API:
the template (填写说明, text ID column, 证书等级 dropdown), the check → confirm steps, every refusal named by row and
column with nothing added, the annotated error workbook, the reader's refusals, state / scope / role, and the
committed workbooks re-saved by LibreOffice (tests/fixtures/claim_persons/make_fixtures.py).

The claim is ent_gz's on its demo running class (``seed/demo_running_class.py``: 张晓明, 李思雨, 王建华, 陈佳怡,
刘子轩, 杨帆).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import func, select, update

from actions.subsidies import claims
from core.validators import complete_id_number
from models.audit import AuditEvent
from models.base import db
from models.enums import ClaimStage, ClaimStatus
from models.filing import Filing, Trainee, TrainingClass
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from seed import demo_running_class
from tests import factories
from tests.conftest import csrf_token_from, login

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLAIM_FIXTURES = FIXTURES / "claim_persons"
NAMES = ["张晓明", "李思雨", "王建华", "陈佳怡", "刘子轩", "杨帆"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- helpers ------------------------------------------------------------------------------------------------

def make_claim(app, stage: str = ClaimStage.BALANCE, username: str = "ent_gz") -> int:
    """A DRAFT claim of ent_gz on its demo running class (the class is seeded on first use)."""
    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        enterprise_id = factories.demo_enterprise("ent_gz").id
        cls = db.session.scalars(select(TrainingClass).join(Filing).where(Filing.enterprise_id == enterprise_id)
                                 .order_by(TrainingClass.id.desc())).first()
        claim = claims.create_claim(db.session, factories.actor(username),
                                    {"training_class_id": cls.id, "stage": stage, "commitment_accepted": True})
        db.session.commit()
        return claim.id


def ids_by_name(app, claim_id: int) -> dict[str, str]:
    with app.app_context():
        filing_id = db.session.get(SubsidyClaim, claim_id).filing_id
        return dict(db.session.execute(select(Trainee.name, Trainee.id_number)
                                       .where(Trainee.filing_id == filing_id)).all())


def persons(app, claim_id: int) -> dict[str, tuple]:
    """name → (certificate_no, skill_level) of the claim's persons."""
    with app.app_context():
        rows = db.session.execute(select(Trainee.name, SubsidyClaimPerson.certificate_no,
                                         SubsidyClaimPerson.skill_level)
                                  .join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
                                  .where(SubsidyClaimPerson.subsidy_claim_id == claim_id)).all()
        return {name: (cert, level) for name, cert, level in rows}


def set_status(app, claim_id: int, status: str) -> None:
    with app.app_context():
        db.session.execute(update(SubsidyClaim).where(SubsidyClaim.id == claim_id).values(status=status))
        db.session.commit()


def token(client) -> str:
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def template_bytes(client, claim_id: int) -> bytes:
    response = client.get(f"/claims/{claim_id}/import/template")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == XLSX
    return response.data


def fill(content: bytes, rows: list[dict]) -> bytes:
    """Write ``rows`` (header text → value) under the template's header row, as a user would."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = {str(c.value).lstrip("*"): c.column for c in sheet[1] if c.value}
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=r, column=headers[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx(rows: list[list], title: str = "人员信息") -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet(title)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    book.close()
    return out.getvalue()


def check(client, claim_id: int, content: bytes, name: str = "人员.xlsx"):
    return client.post(f"/claims/{claim_id}/import",
                       data={"csrf_token": token(client), "action": "check", "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def confirm(client, claim_id: int, html: str):
    return client.post(f"/claims/{claim_id}/import",
                       data={"csrf_token": token(client), "action": "confirm", "content": hidden(html, "content"),
                             "file_name": hidden(html, "file_name")})


def error_rows(html: str) -> list[tuple[str, str, str, str]]:
    """(row, column, value, message) of each line of the error table."""
    out = []
    for tr in re.findall(r'<tr data-row="[^"]*" data-field="[^"]*">(.*?)</tr>', html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
        out.append((cells[1], cells[2], cells[3], cells[4]))
    return out


def page_message(html: str) -> str:
    match = re.search(r'id="import-error-message"[^>]*>\s*<b>(.*?)</b>', html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def claim_id(app):
    return make_claim(app)


@pytest.fixture
def ent_gz(client):
    assert login(client, "ent_gz").status_code == 302
    return client


# ---- the template ---------------------------------------------------------------------------------------------

def test_template_columns_text_id_level_dropdown_and_guide(app, ent_gz, claim_id):
    response = ent_gz.get(f"/claims/{claim_id}/import/template")
    assert "filename*=UTF-8''%E4%BA%BA%E5%91%98%E4%BF%A1%E6%81%AF" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(ent_gz, claim_id)))
    assert book.sheetnames[:2] == ["人员信息", "填写说明"]
    sheet = book["人员信息"]
    assert [c.value for c in sheet[1]] == ["*身份证号码", "姓名", "证书编号", "证书等级"]
    assert sheet.column_dimensions["A"].number_format == "@"  # the ID column is text: no 4.40106E+17
    assert sheet.column_dimensions["C"].number_format == "@"
    lists = [dv for dv in sheet.data_validations.dataValidation if dv.type == "list"]
    assert len(lists) == 1 and "D2:D" in str(lists[0].sqref)
    options = [c.value for c in book["选项"]["A"][1:] if c.value]
    assert options == ["五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"]
    guide = "\n".join(str(c.value) for row in book["填写说明"].iter_rows() for c in row if c.value)
    assert "补贴申请：" in guide and "清算" in guide
    assert "只能导入本申请所属备案的培训人员" in guide


# ---- the good file: check, preview, confirm -------------------------------------------------------------------

def test_good_file_check_then_confirm_adds_persons_with_certificates(app, ent_gz, claim_id):
    ids = ids_by_name(app, claim_id)
    content = fill(template_bytes(ent_gz, claim_id), [
        {"身份证号码": ids["张晓明"], "姓名": "张晓明", "证书编号": "S0001", "证书等级": "四级/中级工"},
        {"身份证号码": ids["李思雨"].lower(), "姓名": " 李 思雨 "},  # blanks in the name are not a mismatch
        {"身份证号码": ids["王建华"], "证书编号": "S0003", "证书等级": "三级"},  # 姓名 left empty; short level
    ])
    response = check(ent_gz, claim_id, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, page_message(html)
    assert "检查通过：共 3 行数据，将新增 3 名人员" in html
    assert ids["张晓明"] not in html  # masked in the preview
    assert "四级/中级工" in html and "三级/高级工" in html
    assert persons(app, claim_id) == {}  # the check stores nothing
    done = confirm(ent_gz, claim_id, html)
    assert done.status_code == 302
    assert persons(app, claim_id) == {"张晓明": ("S0001", 4), "李思雨": (None, None), "王建华": ("S0003", 3)}
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import",
                                                            AuditEvent.entity == "subsidy_claim")).one()
        assert event.diff["count"] == 3 and event.diff["source"]["file_name"] == "人员.xlsx"
    page = ent_gz.get(f"/claims/{claim_id}/import").get_data(as_text=True)
    assert "已成功导入 3 名人员" in page
    assert re.search(r'id="existing-count">.*?3 人', page, re.S)


def test_libreoffice_saved_file_imports(app, ent_gz, claim_id):
    content = (CLAIM_FIXTURES / "persons_libreoffice.xlsx").read_bytes()
    response = check(ent_gz, claim_id, content, "persons_libreoffice.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 200, (page_message(html), error_rows(html))
    assert confirm(ent_gz, claim_id, html).status_code == 302
    assert persons(app, claim_id) == {"张晓明": ("S000001234567", 4), "李思雨": (None, None),
                                      "王建华": ("S000001234569", 4)}


# ---- every refusal by row and column, nothing added -----------------------------------------------------------

def test_every_bad_row_is_reported_by_row_and_column_and_nothing_is_added(app, ent_gz, claim_id):
    content = (CLAIM_FIXTURES / "persons_errors_libreoffice.xlsx").read_bytes()
    response = check(ent_gz, claim_id, content, "persons_errors.xlsx")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "导入文件有 7 处错误（涉及 7 行），未导入任何人员" in page_message(html)
    rows = error_rows(html)
    by_row = {(r, col.split("（")[0]): msg for r, col, _v, msg in rows}
    assert "校验位错误" in by_row[("3", "身份证号码")]
    assert "应为18位" in by_row[("4", "身份证号码")]
    assert "请填写身份证号码" in by_row[("5", "身份证号码")]
    assert "本申请所属备案中没有身份证号码为" in by_row[("6", "身份证号码")]
    assert "与备案中该身份证号码的培训人员姓名“刘子轩”不一致" in by_row[("7", "姓名")]
    assert "与第 2 行重复" in by_row[("8", "身份证号码")]
    assert "证书等级“九级”不在可选范围内" in by_row[("9", "证书等级")]
    assert len(rows) == 7 and "2" not in {r for r, *_ in rows}
    values = {r: v for r, _c, v, _m in rows}
    assert values["4"] == "440305010115153" and values["9"] == "九级"
    assert "A列" in html  # the column letter next to the header
    assert persons(app, claim_id) == {}
    assert 'id="confirm-import"' not in html


def test_already_in_claim_is_refused_not_updated(app, ent_gz, claim_id):
    ids = ids_by_name(app, claim_id)
    with app.app_context():
        claims.add_persons(db.session, factories.actor("ent_gz"), claim_id, id_numbers=[ids["张晓明"]],
                           details={ids["张晓明"]: {"certificate_no": "OLD-1", "skill_level": 4}})
        db.session.commit()
    content = fill(template_bytes(ent_gz, claim_id), [
        {"身份证号码": ids["李思雨"]},
        {"身份证号码": ids["张晓明"], "证书编号": "NEW-1", "证书等级": "三级/高级工"},
    ])
    response = check(ent_gz, claim_id, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert error_rows(html) == [("3", "身份证号码（A列）", ids["张晓明"],
                                 "张晓明 已在本申请的人员信息中（如需修改证书信息，请在申请页面修改该人员）")]
    assert persons(app, claim_id) == {"张晓明": ("OLD-1", 4)}  # neither 李思雨 added nor the certificate changed


def test_numeric_id_and_overlong_certificate_and_level_number(app, ent_gz, claim_id):
    ids = ids_by_name(app, claim_id)
    content = xlsx([["身份证号码", "姓名", "证书编号", "证书等级"],
                    [float(ids["张晓明"][:-1]), "张晓明", None, None],  # an ID stored as a number
                    [ids["李思雨"], None, "X" * 65, 6],
                    [ids["王建华"], None, "C-3", 3]])  # the level as the number 3 is fine
    response = check(ent_gz, claim_id, content)
    rows = error_rows(response.get_data(as_text=True))
    assert response.status_code == 422
    messages = {(r, c.split("（")[0]): m for r, c, _v, m in rows}
    assert "存成了数字" in messages[("2", "身份证号码")]
    assert "不能超过64个字" in messages[("3", "证书编号")]
    assert "不在可选范围内" in messages[("3", "证书等级")]
    assert len(rows) == 3


@pytest.mark.parametrize("content, name, expected", [
    (b"name,id\n", "人员.xlsx", "不是 Excel 工作簿"),
    ((FIXTURES / "trainees_legacy.xls").read_bytes(), "人员.xls", "Excel 97-2003"),
    ((FIXTURES / "trainees_encrypted.xlsx").read_bytes(), "人员.xlsx", "密码"),
    (b"PK\x03\x04 truncated", "人员.xlsx", "已损坏"),
    (xlsx([["姓名", "手机号码"], ["张三", "13800138000"]]), "人员.xlsx", "表头"),
    (xlsx([["身份证号码", "姓名", "工号"], ["440305200101151534", "张晓明", "7"]]), "人员.xlsx", "表头不正确"),
    (xlsx([["身份证号码", "姓名"]]), "人员.xlsx", "只有表头"),
])
def test_reader_refusals(app, ent_gz, claim_id, content, name, expected):
    response = check(ent_gz, claim_id, content, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected in html
    assert persons(app, claim_id) == {}


def test_wrong_headers_name_each_column(app, ent_gz, claim_id):
    content = xlsx([["身份证", "姓名", "证书编号", "工号"], ["440305200101151534", "张晓明", "C-1", "7"]])
    response = check(ent_gz, claim_id, content)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", html)
    assert "无法识别的列“身份证”" in text and "无法识别的列“工号”" in text
    assert "缺少必填列“身份证号码”" in text
    assert 'id="download-errors"' not in html  # header problems: nothing to annotate row by row


def test_row_limit(app, ent_gz, claim_id):
    app.config["IMPORT_MAX_ROWS"] = 3
    try:
        content = xlsx([["身份证号码"]] + [[complete_id_number(f"44030519900101{n:03d}")] for n in range(5)])
        html = check(ent_gz, claim_id, content).get_data(as_text=True)
    finally:
        app.config.pop("IMPORT_MAX_ROWS")
    assert "超过单次导入上限 3 行" in html


def test_no_file_chosen(app, ent_gz, claim_id):
    response = ent_gz.post(f"/claims/{claim_id}/import", data={"csrf_token": token(ent_gz), "action": "check"})
    assert response.status_code == 422
    assert "请选择要导入的 Excel 文件" in response.get_data(as_text=True)


# ---- the annotated workbook ------------------------------------------------------------------------------------

def test_annotated_workbook_marks_the_bad_cells(app, ent_gz, claim_id):
    content = (CLAIM_FIXTURES / "persons_errors_libreoffice.xlsx").read_bytes()
    html = check(ent_gz, claim_id, content, "persons_errors.xlsx").get_data(as_text=True)
    response = ent_gz.post(f"/claims/{claim_id}/import/errors",
                           data={"csrf_token": token(ent_gz), "content": hidden(html, "content"),
                                 "file_name": hidden(html, "file_name")})
    assert response.status_code == 200 and response.mimetype == XLSX
    assert "persons_errors_%E9%94%99%E8%AF%AF%E6%A0%87%E6%B3%A8.xlsx" in response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    sheet = book.active
    assert sheet.title == "人员信息"
    assert sheet["E1"].value == "错误说明"
    assert sheet["E2"].value is None  # the good row
    assert "校验位错误" in sheet["E3"].value
    assert sheet["A3"].fill.fgColor.rgb.endswith("FFC7CE") and "校验位错误" in sheet["A3"].comment.text
    assert sheet["B7"].comment is not None and "刘子轩" in sheet["B7"].comment.text
    assert sheet["D9"].comment is not None and "九级" in sheet["D9"].comment.text
    assert sheet["A2"].comment is None
    assert "与第 2 行重复" in sheet["E8"].value
    # the user's other sheets (填写说明, the dropdown's options) are kept
    assert "填写说明" in book.sheetnames


def test_errors_without_payload_redirect(app, ent_gz, claim_id):
    response = ent_gz.post(f"/claims/{claim_id}/import/errors", data={"csrf_token": token(ent_gz), "content": ""})
    assert response.status_code == 302


# ---- state, scope, roles ---------------------------------------------------------------------------------------

def test_submitted_claim_is_read_only_and_refuses_uploads(app, ent_gz, claim_id):
    ids = ids_by_name(app, claim_id)
    content = fill(template_bytes(ent_gz, claim_id), [{"身份证号码": ids["张晓明"]}])
    set_status(app, claim_id, ClaimStatus.SUBMITTED)
    page = ent_gz.get(f"/claims/{claim_id}/import").get_data(as_text=True)
    assert 'id="not-editable"' in page and 'id="upload-form"' not in page
    response = check(ent_gz, claim_id, content)
    assert response.status_code == 409
    assert "已提交，不能修改" in response.get_data(as_text=True)
    set_status(app, claim_id, ClaimStatus.RETURNED)  # 退回: editable again
    assert check(ent_gz, claim_id, content).status_code == 200
    assert persons(app, claim_id) == {}


def test_other_enterprise_404_and_reviewers_403(app, client, claim_id):
    assert login(client, "ent_sz").status_code == 302
    assert client.get(f"/claims/{claim_id}/import").status_code == 404
    assert client.get(f"/claims/{claim_id}/import/template").status_code == 404
    assert check(client, claim_id, xlsx([["身份证号码"], ["x"]])).status_code == 404
    client.post("/logout/", data={"csrf_token": token(client)})
    for user in ("gz_reviewer", "admin"):
        assert login(client, user).status_code == 302
        assert client.get(f"/claims/{claim_id}/import").status_code == 403
        assert client.get(f"/claims/{claim_id}/import/template").status_code == 403
        client.post("/logout/", data={"csrf_token": token(client)})
    assert client.get(f"/claims/{claim_id}/import").status_code == 302  # anonymous: the login page
    assert client.get("/claims/2000000000/import").status_code == 302


def test_missing_claim_404(app, ent_gz):
    assert ent_gz.get("/claims/2000000000/import").status_code == 404


# ---- REST API -------------------------------------------------------------------------------------------------

def test_api_template_dry_run_and_import(app, api, claim_id):
    user = api("ent_gz")
    ids = ids_by_name(app, claim_id)
    response = user.get(f"/api/v1/subsidy_claim/{claim_id}/import/person/template")
    assert response.status_code == 200 and response.mimetype == XLSX
    good = fill(response.data, [{"身份证号码": ids["陈佳怡"], "姓名": "陈佳怡", "证书编号": "A-1", "证书等级": 4},
                                {"身份证号码": ids["杨帆"]}])
    url = f"/api/v1/subsidy_claim/{claim_id}/import/person"
    dry = user.post(url + "?dry_run=1", data={"file": (io.BytesIO(good), "p.xlsx")},
                    content_type="multipart/form-data")
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["count"] == 2 and dry.get_json()["dry_run"] is True
    assert persons(app, claim_id) == {}
    done = user.post(url, data={"file": (io.BytesIO(good), "p.xlsx")}, content_type="multipart/form-data")
    assert done.status_code == 201 and done.get_json()["count"] == 2
    assert persons(app, claim_id) == {"陈佳怡": ("A-1", 4), "杨帆": (None, None)}

    bad = fill(response.data, [{"身份证号码": ids["刘子轩"], "姓名": "刘子萱"},
                               {"身份证号码": "440305200101151"}])
    refused = user.post(url + "?dry_run=1", data={"file": (io.BytesIO(bad), "p.xlsx")},
                        content_type="multipart/form-data")
    assert refused.status_code == 422
    errors = refused.get_json()["errors"]
    assert [(e["row"], e["column"], e["field"]) for e in errors] == [(2, "姓名", "name"), (3, "身份证号码", "id_number")]
    assert errors[0]["sheet"] == "人员信息" and errors[1]["value"] == "440305200101151"


def test_api_scope_state_and_roles(app, api, claim_id):
    url = f"/api/v1/subsidy_claim/{claim_id}/import/person"
    body = lambda: {"data": {"file": (io.BytesIO(b"not a workbook"), "p.xlsx")},  # noqa: E731
                    "content_type": "multipart/form-data"}
    assert api("ent_gz").post(url, **body()).status_code == 422
    assert api("ent_gz").post(url, data={}, content_type="multipart/form-data").status_code == 422
    assert api("ent_sz").post(url, **body()).status_code == 404
    assert api("ent_sz").get(url + "/template").status_code == 404
    assert api("gz_reviewer").post(url, **body()).status_code == 403
    assert api("gz_reviewer").get(url + "/template").status_code == 403
    assert api("admin").post(url, **body()).status_code == 403
    set_status(app, claim_id, ClaimStatus.SUBMITTED)
    assert api("ent_gz").post(url, **body()).status_code == 409  # before the file is read
    ids = ids_by_name(app, claim_id)
    good = xlsx([["身份证号码"], [ids["张晓明"]]])
    response = api("ent_gz").post(url, data={"file": (io.BytesIO(good), "p.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 409
    assert persons(app, claim_id) == {}


def test_api_refuses_a_browser_session(app, ent_gz, claim_id):
    response = ent_gz.post(f"/api/v1/subsidy_claim/{claim_id}/import/person",
                           data={"file": (io.BytesIO(b"x"), "p.xlsx")}, content_type="multipart/form-data")
    assert response.status_code in (400, 401)  # the API CSRF guard, and JWT-only in any case
    response = ent_gz.post(f"/api/v1/subsidy_claim/{claim_id}/import/person", headers={"X-CSRFToken": token(ent_gz)},
                           data={"file": (io.BytesIO(b"x"), "p.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 401


def test_set_based_lookup_counts_statements(app, ent_gz, claim_id):
    """One look-up statement for all the file's ID numbers (not one per row)."""
    from sqlalchemy import event

    ids = ids_by_name(app, claim_id)
    content = xlsx([["身份证号码"]] + [[ids[n]] for n in NAMES])
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def seen(conn, cursor, statement, *args):
            if "FROM trainee" in statement and "subsidy_claim_person" in statement:
                statements.append(statement)

        event.listen(engine, "before_cursor_execute", seen)
        try:
            response = check(ent_gz, claim_id, content)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 200
    assert len(statements) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaimPerson)) == 0


def test_lost_trainee_is_imported_with_a_warning(app, ent_gz, claim_id):
    """A trainee marked 流失 is matched (the pre-check R21 will refuse them at submission): a warning, not an error."""
    ids = ids_by_name(app, claim_id)
    with app.app_context():
        db.session.execute(update(Trainee).where(Trainee.id_number == ids["杨帆"]).values(status="LOST"))
        db.session.commit()
    content = xlsx([["身份证号码", "姓名"], [ids["杨帆"], "杨帆"], [ids["陈佳怡"], "陈佳怡"]])
    response = check(ent_gz, claim_id, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'id="import-warnings".*?第 2 行.*?杨帆 已标记为流失，预审核将不通过', html, re.S)
    assert confirm(ent_gz, claim_id, html).status_code == 302
    assert set(persons(app, claim_id)) == {"杨帆", "陈佳怡"}

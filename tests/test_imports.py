"""Excel import and export (issue 4): templates, all-or-nothing imports with an annotated error workbook,
单位培训人员查询 with 导出学员名单, through the Flask test client (CSRF on) and the REST API.

Every file is a real .xlsx made here (the template downloaded from the app and filled by openpyxl, or written
by xlsxwriter / zipfile for the broken ones), plus committed fixtures: a workbook re-saved by LibreOffice, a
legacy .xls and an encrypted OOXML file (tests/fixtures/, made by tests/fixtures/make_fixtures.py).
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.base import db
from models.filing import Course, Filing, Teacher, Trainee, TrainingClass
from tests import factories
from tests.conftest import csrf_token_from, login

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MODELS = {"training_class": TrainingClass, "teacher": Teacher, "trainee": Trainee, "course": Course}


# ---- helpers ------------------------------------------------------------------------------------------------

def make_filing(app, username="ent_gz", programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE",
                complete=False, status="DRAFT", **kw) -> int:
    with app.app_context():
        ent = factories.demo_enterprise(username)
        if complete:
            row = factories.complete_filing(ent.id, programme, apprenticeship_type, status=status, **kw)
        else:
            row = factories.filing(ent.id, programme, apprenticeship_type, status=status, **kw)
        db.session.commit()
        return row.id


def count_rows(app, kind, filing_id) -> int:
    with app.app_context():
        if kind == "course":
            return db.session.scalar(select(func.count()).select_from(Course).join(TrainingClass)
                                     .where(TrainingClass.filing_id == filing_id))
        model = MODELS[kind]
        return db.session.scalar(select(func.count()).select_from(model).where(model.filing_id == filing_id))


def token(client) -> str:
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def template_bytes(client, filing_id, kind) -> bytes:
    response = client.get(f"/filing/{filing_id}/import/{kind}/template")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response.data


def fill(content: bytes, rows: list[dict], sheet_index: int = 0) -> bytes:
    """Write ``rows`` (header text → value) under the template's header row, as a user would."""
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[sheet_index]
    headers = {str(c.value).lstrip("*"): c.column for c in sheet[1] if c.value}
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=r, column=headers[header], value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check(client, filing_id, kind, content, name="roster.xlsx"):
    return client.post(f"/filing/{filing_id}/import/{kind}",
                       data={"csrf_token": token(client), "action": "check", "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def confirm(client, filing_id, kind, html):
    return client.post(f"/filing/{filing_id}/import/{kind}",
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


def person(**kw) -> dict:
    row = {"姓名": "张三", "身份证号码": factories.id_number(), "联系电话": "13800138000", "文化程度": "高中",
           "劳动合同开始日期": date(2026, 1, 1), "劳动合同结束日期": date(2028, 12, 31), "入职日期": date(2026, 1, 1)}
    row.update(kw)
    return row


def xlsx(rows: list[list], title="培训人员信息", **sheets) -> bytes:
    """A plain workbook (xlsxwriter) whose first sheet holds ``rows`` (first row = headers)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet(title)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write_datetime(r, c, value, book.add_format({"num_format": "yyyy-mm-dd"}))
            elif value is not None:
                sheet.write(r, c, value)
    for name, spec in sheets.items():
        extra = book.add_worksheet(name)
        for r, row in enumerate(spec.get("rows", [])):
            for c, value in enumerate(row):
                extra.write(r, c, value)
        if spec.get("hidden"):
            extra.hide()
    book.close()
    return out.getvalue()


TRAINEE_HEADERS = ["姓名", "身份证号码", "联系电话", "文化程度", "劳动合同开始日期", "劳动合同结束日期", "入职日期"]


def trainee_line(number=None, name="李四", phone="13800138000") -> list:
    return [name, number or factories.id_number(), phone, "高中", date(2026, 1, 1), date(2028, 12, 31),
            date(2026, 1, 1)]


@pytest.fixture
def ent(client):
    assert login(client, "ent_gz").status_code == 302
    return client


# ---- templates ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,expected", [
    ("training_class", ["*职业（工种）", "*培训等级", "*培训开始日期", "*培训结束日期", "*培训课时", "*计划培训人数",
                        "延长培训期限原因"]),
    ("teacher", ["*姓名", "*身份证号码", "*联系电话", "*导师类型", "职称/技能等级", "证书编号"]),
    ("trainee", ["*姓名", "*身份证号码", "性别", "*联系电话", "*文化程度", "*劳动合同开始日期", "*劳动合同结束日期",
                 "*入职日期"]),
    ("course", ["*培训班（职业工种）", "*课程名称", "*授课方式", "*课时", "授课教师"]),
])
def test_template_structure(app, ent, kind, expected):
    filing_id = make_filing(app, complete=True)
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(ent, filing_id, kind)))
    assert book.sheetnames[:2] == [{"training_class": "培训信息", "teacher": "培训师资信息", "trainee": "培训人员信息",
                                    "course": "培训课程信息"}[kind], "填写说明"]
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == expected
    assert sheet.freeze_panes == "A2"
    # Required headers in red; 选项 hidden; every enumerated column has a dropdown filled from the lookups.
    assert sheet["A1"].font.color.rgb.endswith("C00000")
    options = book["选项"]
    assert options.sheet_state == "hidden"
    validations = {str(dv.sqref).split(":")[0]: dv for dv in sheet.data_validations.dataValidation}
    lists = {k: dv for k, dv in validations.items() if dv.type == "list"}
    headers = [h.lstrip("*") for h in expected]
    for letter, dv in lists.items():
        column = options[re.search(r"\$([A-Z]+)\$2", dv.formula1).group(1)]
        values = [c.value for c in column[1:] if c.value]
        assert values, f"empty dropdown {letter}"
        header = headers[ord(letter[0]) - 65]
        if header == "职业（工种）":
            assert "6-18-01-01 车工" in values
        elif header == "培训等级":
            assert values == ["五级/初级工", "四级/中级工", "三级/高级工", "二级/技师", "一级/高级技师"]
        elif header == "文化程度":
            assert "中专/中职/技工学校" in values and "本科" in values
        elif header == "性别":
            assert values == ["男", "女"]
        elif header == "导师类型":
            assert values == ["企业导师", "院校导师"]
        elif header == "授课方式":
            assert values == ["线上培训", "线下培训"]
        elif header == "培训班（职业工种）":
            assert values == ["6-18-01-01 车工"]
        elif header == "授课教师":
            assert values == ["陈导师"]
    enumerated = {"职业（工种）", "培训等级", "文化程度", "性别", "导师类型", "授课方式", "培训班（职业工种）", "授课教师"}
    assert len(lists) == len([h for h in headers if h in enumerated])
    # ID-number and phone columns are text, date columns dates.
    for i, header in enumerate(headers):
        letter = chr(65 + i)
        fmt = sheet.column_dimensions[letter].number_format
        if header in ("身份证号码", "联系电话", "姓名", "证书编号"):
            assert fmt == "@", header
        if header.endswith("日期"):
            assert fmt == "yyyy-mm-dd", header
    guide = book["填写说明"]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    for header in headers:
        assert header in text
    assert "4.40106E+17" in text and "错误标注文件" in text


def test_template_depends_on_type(app, ent):
    student = make_filing(app, programme="ECOSYSTEM", apprenticeship_type="STUDENT")
    sheet = openpyxl.load_workbook(io.BytesIO(template_bytes(ent, student, "trainee"))).worksheets[0]
    assert [c.value for c in sheet[1]][5:] == ["学徒培训协议开始日期", "学徒培训协议结束日期", "入职日期"]
    sheet = openpyxl.load_workbook(io.BytesIO(template_bytes(ent, student, "training_class"))).worksheets[0]
    assert "延长培训期限原因" not in [c.value for c in sheet[1]]


# ---- the journey: template → filled by openpyxl → check → preview → confirm, for every kind -------------------

def _rows_for(kind: str) -> list[dict]:
    if kind == "training_class":
        return [{"职业（工种）": "6-18-01-02 铣工", "培训等级": "三级/高级工", "培训开始日期": date(2027, 3, 1),
                 "培训结束日期": date(2028, 2, 29), "培训课时": 400, "计划培训人数": 20},
                {"职业（工种）": "6-18-02-04", "培训等级": "四级/中级工", "培训开始日期": "2027/4/1",
                 "培训结束日期": "2029年6月30日", "培训课时": "300", "计划培训人数": 10, "延长培训期限原因": "企业生产周期"}]
    if kind == "teacher":
        return [{"姓名": "王导师", "身份证号码": factories.id_number(birth="19780101"), "联系电话": "020-87654321",
                 "导师类型": "企业导师", "职称/技能等级": "高级技师", "证书编号": "0012345"},
                {"姓名": "赵老师", "身份证号码": factories.id_number(birth="19820202", female=True),
                 "联系电话": "13912345678", "导师类型": "院校导师"}]
    if kind == "trainee":
        return [person(姓名="张三", 性别="男"), person(姓名="李娜", 身份证号码=factories.id_number(female=True),
                                                   文化程度="中专/中职/技工学校")]
    return [{"培训班（职业工种）": "6-18-01-01 车工", "课程名称": "车削基础", "授课方式": "线下培训", "课时": 32,
             "授课教师": "陈导师"},
            {"培训班（职业工种）": "6-18-01-01", "课程名称": "安全生产（线上）", "授课方式": "线上培训", "课时": 8}]


@pytest.mark.parametrize("kind", ["training_class", "teacher", "trainee", "course"])
def test_template_filled_and_imported(app, ent, kind):
    filing_id = make_filing(app, complete=(kind == "course"))
    before = count_rows(app, kind, filing_id)
    content = fill(template_bytes(ent, filing_id, kind), _rows_for(kind))
    response = check(ent, filing_id, kind, content)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, error_rows(html) or page_message(html)
    assert "检查通过：共 2 行数据" in html and 'id="confirm-import"' in html
    assert count_rows(app, kind, filing_id) == before  # the check stores nothing
    done = confirm(ent, filing_id, kind, html)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/filing/{filing_id}/" + {"training_class": "classes", "teacher":
                                             "teachers", "trainee": "trainees", "course": "courses"}[kind])
    assert count_rows(app, kind, filing_id) == before + 2
    with app.app_context():
        if kind == "training_class":
            rows = db.session.scalars(select(TrainingClass).filter_by(filing_id=filing_id)
                                      .order_by(TrainingClass.id)).all()
            assert [(r.occupation_code, r.skill_level, r.start_date, r.end_date, r.hours, r.planned_headcount)
                    for r in rows] == [("6-18-01-02", 3, date(2027, 3, 1), date(2028, 2, 29), 400, 20),
                                       ("6-18-02-04", 4, date(2027, 4, 1), date(2029, 6, 30), 300, 10)]
            assert rows[1].extension_reason == "企业生产周期"
        elif kind == "teacher":
            rows = db.session.scalars(select(Teacher).filter_by(filing_id=filing_id).order_by(Teacher.id)).all()
            assert [(r.name, r.phone, r.kind, r.certificate_no) for r in rows] == [
                ("王导师", "020-87654321", "ENTERPRISE", "0012345"), ("赵老师", "13912345678", "SCHOOL", None)]
        elif kind == "trainee":
            rows = db.session.scalars(select(Trainee).filter_by(filing_id=filing_id).order_by(Trainee.id)).all()
            assert [(r.name, r.gender, r.education, r.status) for r in rows] == [
                ("张三", "M", "SENIOR_HIGH", "ACTIVE"),
                ("李娜", "F", "SECONDARY_VOCATIONAL", "ACTIVE")]
            assert rows[0].birth_date == date(1995, 3, 7) and rows[0].contract_end == date(2028, 12, 31)
        else:
            teacher = db.session.scalars(select(Teacher).filter_by(filing_id=filing_id)).one()
            rows = db.session.scalars(select(Course).join(TrainingClass).where(TrainingClass.filing_id == filing_id)
                                      .order_by(Course.id)).all()[-2:]
            assert [(r.name, r.mode, r.hours, r.teacher_id) for r in rows] == [
                ("车削基础", "OFFLINE", 32, teacher.id), ("安全生产（线上）", "ONLINE", 8, None)]
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")
                                   .order_by(AuditEvent.id.desc())).first()
        assert event.entity == "filing" and event.entity_id == filing_id
        assert event.diff["kind"] == kind and event.diff["count"] == 2
        assert event.diff["source"]["file_name"] == "roster.xlsx"


def test_libreoffice_saved_workbook_imports(app, ent):
    """A template filled by openpyxl and re-saved by LibreOffice Calc (committed fixture) imports as is."""
    filing_id = make_filing(app)
    content = (FIXTURES / "trainees_libreoffice.xlsx").read_bytes()
    assert b"LibreOffice" in zipfile.ZipFile(io.BytesIO(content)).read("docProps/app.xml")
    html = check(ent, filing_id, "trainee", content, "trainees_libreoffice.xlsx").get_data(as_text=True)
    assert "检查通过：共 3 行数据" in html, error_rows(html) or page_message(html)
    assert confirm(ent, filing_id, "trainee", html).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Trainee).filter_by(filing_id=filing_id).order_by(Trainee.id)).all()
        assert [r.name for r in rows] == ["林晓明", "陈嘉怡", "黄志强"]
        assert [r.id_number for r in rows] == ["440106199801150030", "44010620000220048X", "440111199912310018"]
        assert rows[1].gender == "F" and rows[1].education == "JUNIOR_COLLEGE"
        assert rows[2].contract_start == date(2026, 2, 1) and rows[2].phone == "020-83456789"


# ---- all or nothing, every error listed ---------------------------------------------------------------------

def test_one_bad_row_stores_nothing_and_lists_every_error(app, ent):
    filing_id = make_filing(app)
    dup = factories.id_number()
    rows = [person(姓名="好人一"), person(姓名="好人二", 身份证号码=dup),
            person(姓名="错一", 身份证号码="440106199503070012", 联系电话="12345"),
            person(姓名="", 身份证号码=dup, 文化程度="博士后"),
            person(姓名="错三", 劳动合同结束日期=date(2026, 6, 30))]
    html = check(ent, filing_id, "trainee", fill(template_bytes(ent, filing_id, "trainee"), rows)).get_data(True)
    errors = error_rows(html)
    assert ("4", "身份证号码（B列）", "440106199503070012", "身份证号码校验位错误，请核对") in errors
    assert ("4", "联系电话（D列）", "12345",
            "联系电话格式不正确，应为11位手机号码或带区号的固定电话（如 020-12345678）") in errors
    assert ("5", "姓名（A列）", "", "请填写姓名") in errors
    assert ("5", "身份证号码（B列）", dup, "身份证号码与第 3 行重复，同一文件中同一人只能出现一次") in errors
    assert ("5", "文化程度（E列）", "博士后", "文化程度“博士后”不在可选范围内，请从下拉列表选择") in errors
    assert ("6", "劳动合同结束日期（G列）", "2026-06-30", "企业新型学徒制培训人员的劳动合同期限应不少于1年") in errors
    assert len(errors) == 6
    assert page_message(html) == "导入文件有 6 处错误（涉及 3 行），未导入任何数据。请按错误列表修改后重新导入"
    assert 'id="confirm-import"' not in html and 'id="download-errors"' in html
    assert count_rows(app, "trainee", filing_id) == 0


def test_duplicates_against_the_filing_and_r9_province_wide(app, ent):
    other = factories.id_number()
    with app.app_context():  # 深圳's SUBMITTED filing, overlapping period, holds ``other`` (R9)
        sz = factories.demo_enterprise("ent_sz")
        factories.complete_filing(sz.id, status="SUBMITTED", id_numbers=[other])
        db.session.commit()
    filing_id = make_filing(app, complete=True)  # 2027-03-01 … 2028-02-28, with two trainees
    with app.app_context():
        existing = db.session.scalars(select(Trainee.id_number).filter_by(filing_id=filing_id)).first()
    rows = [person(姓名="甲", 身份证号码=other), person(姓名="乙", 身份证号码=existing), person(姓名="丙")]
    html = check(ent, filing_id, "trainee", fill(template_bytes(ent, filing_id, "trainee"), rows)).get_data(True)
    errors = error_rows(html)
    assert ("2", "身份证号码（B列）", other,
            "该人员已在其他在训的学徒制培训备案中（培训期间重叠），同一人同一时间只能参加一个备案") in errors
    assert ("3", "身份证号码（B列）", existing, "该人员已在本备案中，不能重复添加") in errors
    assert len(errors) == 2
    assert count_rows(app, "trainee", filing_id) == 2
    # The other enterprise's filing is never named.
    assert "ent_sz" not in html and "深圳" not in html.split('id="import-result"')[1]


def test_r4_student_filing_takes_one_class(app, ent):
    filing_id = make_filing(app, programme="ECOSYSTEM", apprenticeship_type="STUDENT")
    rows = [{"职业（工种）": "6-18-01-01 车工", "培训等级": "五级/初级工", "培训开始日期": date(2027, 3, 1),
             "培训结束日期": date(2027, 12, 31), "培训课时": 200, "计划培训人数": 5}] * 2
    html = check(ent, filing_id, "training_class",
                 fill(template_bytes(ent, filing_id, "training_class"), rows)).get_data(True)
    assert error_rows(html) == [("3", "职业（工种）（A列）", "6-18-01-01 车工", "学生学徒制一次备案只允许新增一条培训信息")]
    assert count_rows(app, "training_class", filing_id) == 0


def test_course_rules_and_references(app, ent):
    filing_id = make_filing(app, complete=True)
    rows = [{"培训班（职业工种）": "6-18-01-01 车工", "课程名称": "无教师的线下课", "授课方式": "线下培训", "课时": 10},
            {"培训班（职业工种）": "9-99-99-99 不存在", "课程名称": "x", "授课方式": "线上培训", "课时": 1},
            {"培训班（职业工种）": "车工", "课程名称": "y", "授课方式": "线下", "课时": 2, "授课教师": "不认识"}]
    html = check(ent, filing_id, "course", fill(template_bytes(ent, filing_id, "course"), rows)).get_data(True)
    errors = error_rows(html)
    assert ("2", "授课教师（E列）", "", "授课方式为线下培训时，授课教师必填") in errors
    assert ("3", "培训班（职业工种）（A列）", "9-99-99-99 不存在", "“9-99-99-99 不存在”不是本备案的培训班，请从下拉列表选择") in errors
    assert ("4", "授课教师（E列）", "不认识",
            "授课教师“不认识”不是本备案的培训师资，请从下拉列表选择（或填写本备案导师的姓名、身份证号码）") in errors
    assert len(errors) == 3


def test_gender_column_must_match_the_id_number(app, ent):
    filing_id = make_filing(app)
    html = check(ent, filing_id, "trainee",
                 fill(template_bytes(ent, filing_id, "trainee"), [person(性别="女")])).get_data(True)
    assert error_rows(html)[0][1:] == ("性别（C列）", "女", "性别“女”与身份证号码不符（身份证号码显示为男）")


# ---- inputs that must get a clear error and change nothing ---------------------------------------------------

def _refused(app, client, filing_id, content, name="roster.xlsx") -> str:
    response = check(client, filing_id, "trainee", content, name)
    html = response.get_data(as_text=True)
    assert response.status_code == 422, html[:300]
    assert 'id="confirm-import"' not in html
    assert count_rows(app, "trainee", filing_id) == 0
    return page_message(html) + " " + " ".join(" ".join(e) for e in error_rows(html))


def test_not_an_xlsx(app, ent):
    filing_id = make_filing(app)
    assert "不是 Excel 工作簿（.xlsx），可能是改了扩展名的文本" in _refused(
        app, ent, filing_id, "姓名,身份证号码\n张三,440106199503070011\n".encode(), "roster.xlsx")
    assert "旧版 Excel 97-2003 工作簿（.xls）" in _refused(
        app, ent, filing_id, (FIXTURES / "trainees_legacy.xls").read_bytes(), "roster.xls")
    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    assert "不是 Excel 工作簿（.xlsx）" in _refused(app, ent, filing_id, docx.getvalue(), "roster.xlsx")
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")
    assert "OpenDocument 表格（.ods）" in _refused(app, ent, filing_id, ods.getvalue(), "roster.ods")
    assert "是空文件" in _refused(app, ent, filing_id, b"", "empty.xlsx")


def test_encrypted_and_corrupt(app, ent):
    filing_id = make_filing(app)
    assert "设置了打开密码（已加密）" in _refused(app, ent, filing_id,
                                              (FIXTURES / "trainees_encrypted.xlsx").read_bytes())
    good = xlsx([TRAINEE_HEADERS, trainee_line()])
    assert "已损坏或不完整" in _refused(app, ent, filing_id, good[: len(good) // 2])
    # A valid zip whose sheet XML is garbage.
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"<worksheet><sheetData><row>" if item.filename.endswith("sheet1.xml") else data)
    assert "已损坏或不完整" in _refused(app, ent, filing_id, broken.getvalue())


def test_decompression_bomb_refused_by_size_before_parsing(app, ent, monkeypatch):
    filing_id = make_filing(app)
    app.config["IMPORT_MAX_UNCOMPRESSED"] = 4 * 1024 * 1024
    import python_calamine

    def never(*a, **k):
        raise AssertionError("parsed a bomb")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", never)
    try:
        good = xlsx([TRAINEE_HEADERS, trainee_line()])
        # 1. An honest but huge entry (declared size over the limit, ratio > 200).
        bomb = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
            for item in src.infolist():
                dst.writestr(item.filename, src.read(item))
            dst.writestr("xl/media/padding.bin", b"\0" * (6 * 1024 * 1024))
        assert "解压后过大" in _refused(app, ent, filing_id, bomb.getvalue())
        # 2. A lying header: the directory says 1,000 bytes, the stream inflates to 3 MB.
        payload = b" " * (3 * 1024 * 1024)
        liar = _lying_zip(good, "xl/media/padding.bin", payload, declared=1000)
        assert "解压后过大" in _refused(app, ent, filing_id, liar)
    finally:
        app.config.pop("IMPORT_MAX_UNCOMPRESSED", None)


def _lying_zip(base: bytes, name: str, payload: bytes, declared: int) -> bytes:
    """``base`` plus an entry whose local and central headers under-state its uncompressed size."""
    import struct
    import zlib

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item.filename, src.read(item))
        dst.writestr(name, payload)
    data = bytearray(out.getvalue())
    packed = zlib.compress(payload)[2:-4]
    crc = zlib.crc32(payload)
    encoded = name.encode()
    # Local header: uncompressed size at offset 22; central directory entry: at offset 24.
    local = data.find(b"PK\x03\x04")
    while local != -1:
        if data[local + 30:local + 30 + len(encoded)] == encoded:
            assert struct.unpack("<I", data[local + 14:local + 18])[0] == crc
            assert struct.unpack("<I", data[local + 18:local + 22])[0] == len(packed)
            data[local + 22:local + 26] = struct.pack("<I", declared)
        local = data.find(b"PK\x03\x04", local + 4)
    central = data.find(b"PK\x01\x02")
    while central != -1:
        if data[central + 46:central + 46 + len(encoded)] == encoded:
            data[central + 24:central + 28] = struct.pack("<I", declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


def test_wrong_headers_are_named_and_reordered_headers_work(app, ent):
    filing_id = make_filing(app)
    wrong = xlsx([["姓名", "身分证号", "联系电话", "学历", "劳动合同开始日期", "劳动合同结束日期", "入职日期", "籍贯"],
                  ["张三", factories.id_number(), "13800138000", "高中", date(2026, 1, 1), date(2028, 1, 1),
                   date(2026, 1, 1), "广东"]])
    message = _refused(app, ent, filing_id, wrong)
    assert "工作表“培训人员信息”的表头不正确，共 3 处问题" in message
    assert "无法识别的列“身分证号”（B列）" in message and "无法识别的列“籍贯”（H列）" in message
    assert "缺少必填列“身份证号码”" in message
    # Same columns, another order, extra 序号 / 备注 columns, headers with full-width brackets and blanks.
    reordered = xlsx([["序号", "入职日期", " 联系电话 ", "姓名", "文化程度", "劳动合同结束日期", "身份证号码",
                       "劳动合同开始日期", "备注"],
                      [1, date(2026, 1, 1), "13800138000", "张三", "高中", date(2028, 1, 1), factories.id_number(),
                       date(2026, 1, 1), "无"]])
    html = check(ent, filing_id, "trainee", reordered).get_data(True)
    assert "检查通过：共 1 行数据" in html, error_rows(html) or page_message(html)


def test_empty_sheet_header_only_and_no_header(app, ent):
    filing_id = make_filing(app)
    assert "工作表“培训人员信息”是空的" in _refused(app, ent, filing_id, xlsx([]))
    assert "只有表头，没有数据行" in _refused(app, ent, filing_id, xlsx([TRAINEE_HEADERS]))
    assert "找不到表头" in _refused(app, ent, filing_id, xlsx([["甲", "乙"], ["1", "2"]]))


def test_more_rows_than_the_limit(app, ent):
    filing_id = make_filing(app)
    app.config["IMPORT_MAX_ROWS"] = 5
    try:
        content = xlsx([TRAINEE_HEADERS] + [trainee_line() for _ in range(6)])
        assert "有 6 行数据，超过单次导入上限 5 行" in _refused(app, ent, filing_id, content)
    finally:
        app.config["IMPORT_MAX_ROWS"] = 10_000


def test_id_number_stored_as_a_number(app, ent):
    filing_id = make_filing(app)
    content = xlsx([TRAINEE_HEADERS, trainee_line(number=440106199503070011)])
    html = check(ent, filing_id, "trainee", content).get_data(True)
    assert error_rows(html) == [("2", "身份证号码（B列）", "4.40106E+17",
                                 "身份证号码被 Excel 存成了数字（显示为 4.40106E+17），后几位已丢失。请将该列单元格格式设置为"
                                 "“文本”后重新输入身份证号码")]
    # A landline typed as a number lost its 0; a mobile typed as a number is fine.
    content = xlsx([TRAINEE_HEADERS, trainee_line(phone=2087654321), trainee_line(phone=13800138000)])
    errors = error_rows(check(ent, filing_id, "trainee", content).get_data(True))
    assert errors == [("2", "联系电话（C列）", "2087654321", "联系电话被存成了数字，开头的 0 已丢失（显示为 2087654321）。"
                                                      "请将该列单元格格式设置为“文本”后重新输入")]
    assert count_rows(app, "trainee", filing_id) == 0


def test_formulas_use_their_cached_values(app, ent):
    filing_id = make_filing(app)
    number = factories.id_number()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out)
    sheet = book.add_worksheet("培训人员信息")
    sheet.write_row(0, 0, TRAINEE_HEADERS)
    sheet.write_formula(1, 0, '="张"&"三"', None, "张三")
    sheet.write_formula(1, 1, f'=TEXT("{number}","@")', None, number)
    sheet.write_row(1, 2, ["13800138000", "高中", "2026-01-01", "2028-12-31", "2026-01-01"])
    book.close()
    html = check(ent, filing_id, "trainee", out.getvalue()).get_data(True)
    assert "检查通过：共 1 行数据" in html, error_rows(html)
    assert confirm(ent, filing_id, "trainee", html).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Trainee.name).filter_by(filing_id=filing_id, id_number=number)).one() == "张三"
    # openpyxl writes formulas without a cached value, and an error value reads as #N/A: both are named.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "培训人员信息"
    sheet.append(TRAINEE_HEADERS)
    sheet.append(["=A1", factories.id_number(), "13800138000", "高中", "2026-01-01", "2028-12-31", "2026-01-01"])
    sheet.append(["王五", factories.id_number(), "#N/A", "高中", "2026-01-01", "2028-12-31", "2026-01-01"])
    buf = io.BytesIO()
    book.save(buf)
    errors = error_rows(check(ent, filing_id, "trainee", buf.getvalue()).get_data(True))
    assert ("2", "姓名（A列）", "", "姓名是公式但没有计算结果。请在 Excel 中打开并保存后再导入，或将公式“选择性粘贴为数值”") in errors
    assert ("3", "联系电话（C列）", "#N/A", "联系电话的值是错误值 #N/A（公式出错），请修改") in errors
    assert len(errors) == 2


def test_merged_cells_in_the_data_area(app, ent):
    filing_id = make_filing(app)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "培训人员信息"
    sheet.append(["2026年培训人员名单"])  # a merged title row above the header is fine
    sheet.merge_cells("A1:G1")
    sheet.append(TRAINEE_HEADERS)
    sheet.append(trainee_line())
    sheet.append(trainee_line())
    sheet.append(trainee_line()[:3] + [None] + trainee_line()[4:])
    sheet.merge_cells("D3:D5")
    buf = io.BytesIO()
    book.save(buf)
    errors = error_rows(check(ent, filing_id, "trainee", buf.getvalue()).get_data(True))
    message = "单元格 D3:D5 是合并单元格。请取消合并，并在每一行分别填写"
    assert errors == [(str(n), "文化程度（D列）", "高中" if n == 3 else "", message) for n in (3, 4, 5)]
    assert count_rows(app, "trainee", filing_id) == 0


def test_hidden_sheets(app, ent):
    filing_id = make_filing(app)
    # The data on a hidden sheet: say so.
    content = xlsx([["说明"], ["请看另一个工作表"]], title="封面",
                   数据={"rows": [TRAINEE_HEADERS, trainee_line()], "hidden": True})
    assert "工作表“数据”被隐藏了" in _refused(app, ent, filing_id, content)
    # Hidden helper sheets (like the template's 选项) next to a visible data sheet are ignored.
    content = xlsx([TRAINEE_HEADERS, trainee_line()], 选项={"rows": [["姓名", "身份证号码"], ["x", "y"]],
                                                          "hidden": True})
    assert "检查通过：共 1 行数据" in check(ent, filing_id, "trainee", content).get_data(True)


def test_full_width_characters_stray_spaces_and_date_formats(app, ent):
    filing_id = make_filing(app)
    number = factories.id_number()
    wide = number.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    rows = [[" 张　三 ", f" {wide[:6]} {wide[6:]}\u200b", "１３８ ００１３ ８０００", " 高中 ", "2026/1/1", "2028年12月31日",
             " 2026-01-01 "],
            ["李四", factories.id_number(female=True), "13800138001", "本科", date(2026, 1, 1), "2028-12-31",
             46023]]
    html = check(ent, filing_id, "trainee", xlsx([TRAINEE_HEADERS] + rows)).get_data(True)
    assert "检查通过：共 2 行数据" in html, error_rows(html)
    assert confirm(ent, filing_id, "trainee", html).status_code == 302
    with app.app_context():
        first, second = db.session.scalars(select(Trainee).filter_by(filing_id=filing_id).order_by(Trainee.id))
        assert (first.name, first.id_number, first.phone, first.education) == ("张 三", number, "13800138000",
                                                                                "SENIOR_HIGH")
        assert (first.contract_start, first.contract_end, first.hire_date) == (date(2026, 1, 1), date(2028, 12, 31),
                                                                               date(2026, 1, 1))
        assert second.hire_date == date(2026, 1, 1)  # Excel serial 46023 in a date column


# ---- the annotated error workbook, cell by cell ---------------------------------------------------------------

def test_error_workbook_cell_by_cell_and_fixed_file_imports(app, ent):
    filing_id = make_filing(app)
    good = factories.id_number()
    rows = [person(姓名="甲", 身份证号码=good), person(姓名="乙", 身份证号码="440106199503070012"),
            person(姓名="丙", 联系电话="123", 文化程度="不知道")]
    original = fill(template_bytes(ent, filing_id, "trainee"), rows)
    html = check(ent, filing_id, "trainee", original, "我的名单.xlsx").get_data(True)
    response = ent.post(f"/filing/{filing_id}/import/trainee/errors",
                        data={"csrf_token": token(ent), "content": hidden(html, "content"),
                              "file_name": hidden(html, "file_name")})
    assert response.status_code == 200
    assert "filename*=UTF-8''%E6%88%91%E7%9A%84%E5%90%8D%E5%8D%95_%E9%94%99%E8%AF%AF%E6%A0%87%E6%B3%A8.xlsx" in \
        response.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["培训人员信息", "填写说明", "选项"] and book.active.title == "培训人员信息"
    sheet = book["培训人员信息"]
    assert sheet["I1"].value == "错误说明"
    red = {(c.row, c.column_letter) for row in sheet.iter_rows() for c in row
           if c.fill is not None and c.fill.fgColor is not None and c.fill.fgColor.rgb in ("FFFFC7CE", "00FFC7CE")}
    assert red == {(1, "I"), (3, "B"), (4, "D"), (4, "E")}
    assert sheet["I2"].value is None
    assert sheet["I3"].value == "【身份证号码】身份证号码校验位错误，请核对"
    assert sheet["I4"].value == ("【联系电话】联系电话格式不正确，应为11位手机号码或带区号的固定电话（如 020-12345678）；"
                                 "【文化程度】文化程度“不知道”不在可选范围内，请从下拉列表选择")
    assert sheet["B3"].comment.text == "身份证号码校验位错误，请核对"
    assert sheet["A2"].value == "甲" and sheet["B2"].value == good  # the user's own cells are kept
    assert sheet.data_validations.dataValidation  # and so are the template's dropdowns
    # The user fixes the cells in the annotated file and uploads it again: the 错误说明 column is ignored.
    sheet["B3"] = factories.id_number()
    sheet["D4"] = "13800138002"
    sheet["E4"] = "高中"
    fixed = io.BytesIO()
    book.save(fixed)
    html = check(ent, filing_id, "trainee", fixed.getvalue(), "我的名单_错误标注.xlsx").get_data(True)
    assert "检查通过：共 3 行数据" in html, error_rows(html)
    assert confirm(ent, filing_id, "trainee", html).status_code == 302
    assert count_rows(app, "trainee", filing_id) == 3


def test_re_annotation_clears_old_marks(app, ent):
    filing_id = make_filing(app)
    original = fill(template_bytes(ent, filing_id, "trainee"),
                    [person(联系电话="1"), person(姓名="乙", 身份证号码="440106199503070012")])
    html = check(ent, filing_id, "trainee", original).get_data(True)
    first = ent.post(f"/filing/{filing_id}/import/trainee/errors",
                     data={"csrf_token": token(ent), "content": hidden(html, "content"), "file_name": "a.xlsx"}).data
    book = openpyxl.load_workbook(io.BytesIO(first))
    book.active["D2"] = "13800138000"  # fixes row 2 only
    buf = io.BytesIO()
    book.save(buf)
    html = check(ent, filing_id, "trainee", buf.getvalue()).get_data(True)
    second = ent.post(f"/filing/{filing_id}/import/trainee/errors",
                      data={"csrf_token": token(ent), "content": hidden(html, "content"), "file_name": "a.xlsx"}).data
    sheet = openpyxl.load_workbook(io.BytesIO(second)).active
    assert sheet["I2"].value is None and sheet["D2"].comment is None
    assert sheet["D2"].fill.fgColor.rgb not in ("FFFFC7CE", "00FFC7CE")
    assert sheet["I3"].value.startswith("【身份证号码】") and sheet["I1"].value == "错误说明"
    assert [c.value for c in sheet[1]].count("错误说明") == 1


# ---- permissions, scope, state --------------------------------------------------------------------------------

def test_scope_and_state(app, client):
    gz_filing = make_filing(app)
    submitted = make_filing(app, complete=True, status="SUBMITTED")
    content = xlsx([TRAINEE_HEADERS, trainee_line()])
    login(client, "ent_sz")
    assert client.get(f"/filing/{gz_filing}/import/trainee").status_code == 404
    assert client.get(f"/filing/{gz_filing}/import/trainee/template").status_code == 404
    assert check(client, gz_filing, "trainee", content).status_code == 404
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "ent_gz")
    assert client.get(f"/filing/{gz_filing}/import/unknown").status_code == 404
    html = check(client, submitted, "trainee", content).get_data(True)
    assert "备案已提交或已审核，当前不能修改" in html and 'id="upload-form"' not in html
    assert count_rows(app, "trainee", submitted) == 2
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "gz_reviewer")  # no write permission on Filing
    response = check(client, submitted, "trainee", content)
    assert response.status_code in (302, 403) and count_rows(app, "trainee", submitted) == 2


def test_csrf_required_on_the_html_form(app, ent):
    filing_id = make_filing(app)
    response = ent.post(f"/filing/{filing_id}/import/trainee",
                        data={"action": "check", "file": (io.BytesIO(xlsx([TRAINEE_HEADERS, trainee_line()])),
                                                          "a.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 400


# ---- REST API ---------------------------------------------------------------------------------------------------

def test_api_template_dry_run_import_and_errors(app, api):
    filing_id = make_filing(app)
    user = api("ent_gz")
    response = user.get(f"/api/v1/filing/{filing_id}/import/trainee/template")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    content = fill(response.data, [person(), person(姓名="李四", 身份证号码=factories.id_number(female=True))])
    dry = user.post(f"/api/v1/filing/{filing_id}/import/trainee?dry_run=1",
                    data={"file": (io.BytesIO(content), "a.xlsx")}, content_type="multipart/form-data")
    assert dry.status_code == 200, dry.get_json()
    assert dry.get_json()["count"] == 2 and dry.get_json()["dry_run"] is True
    assert count_rows(app, "trainee", filing_id) == 0
    done = user.post(f"/api/v1/filing/{filing_id}/import/trainee", data={"file": (io.BytesIO(content), "a.xlsx")},
                     content_type="multipart/form-data")
    assert done.status_code == 201 and done.get_json()["count"] == 2
    assert count_rows(app, "trainee", filing_id) == 2
    bad = fill(template_bytes_api(user, filing_id), [person(身份证号码="440106199503070012")])
    response = user.post(f"/api/v1/filing/{filing_id}/import/trainee",
                         data={"file": (io.BytesIO(bad), "b.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_json()
    assert body["message"].startswith("导入文件有 1 处错误")
    assert body["errors"] == [{"field": "id_number", "row": 2, "column": "身份证号码", "sheet": "培训人员信息",
                               "value": "440106199503070012", "message": "身份证号码校验位错误，请核对"}]
    assert count_rows(app, "trainee", filing_id) == 2
    response = user.post(f"/api/v1/filing/{filing_id}/import/trainee",
                         data={"file": (io.BytesIO(b"not excel"), "c.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "file"


def template_bytes_api(user, filing_id) -> bytes:
    return user.get(f"/api/v1/filing/{filing_id}/import/trainee/template").data


def test_api_scope_state_and_permissions(app, api):
    gz_filing = make_filing(app)
    submitted = make_filing(app, complete=True, status="SUBMITTED")
    content = xlsx([TRAINEE_HEADERS, trainee_line()])

    def post(user, filing_id):
        return user.post(f"/api/v1/filing/{filing_id}/import/trainee",
                         data={"file": (io.BytesIO(content), "a.xlsx")}, content_type="multipart/form-data")

    assert post(api("ent_sz"), gz_filing).status_code == 404
    assert api("ent_sz").get(f"/api/v1/filing/{gz_filing}/import/trainee/template").status_code == 404
    assert post(api("ent_gz"), submitted).status_code == 409
    assert post(api("gz_reviewer"), submitted).status_code == 403
    assert api("ent_gz").post(f"/api/v1/filing/{gz_filing}/import/nonsense",
                              data={"file": (io.BytesIO(content), "a.xlsx")},
                              content_type="multipart/form-data").status_code == 404
    assert count_rows(app, "trainee", gz_filing) == 0 and count_rows(app, "trainee", submitted) == 2


def test_api_import_does_not_accept_a_browser_session(app, client):
    """The import endpoint is exempt from Flask-WTF's form CSRF, so it must not act on a bare session cookie
    (refused by the API CSRF guard, and JWT-only in any case)."""
    filing_id = make_filing(app)
    login(client, "ent_gz")
    response = client.post(f"/api/v1/filing/{filing_id}/import/trainee",
                           data={"file": (io.BytesIO(xlsx([TRAINEE_HEADERS, trainee_line()])), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code in (400, 401)
    assert count_rows(app, "trainee", filing_id) == 0
    token = csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))
    response = client.post(f"/api/v1/filing/{filing_id}/import/trainee", headers={"X-CSRFToken": token},
                           data={"file": (io.BytesIO(xlsx([TRAINEE_HEADERS, trainee_line()])), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 401  # with the token: still no JWT, still refused
    assert count_rows(app, "trainee", filing_id) == 0


def test_api_blueprints_are_csrf_exempt(app):
    exempt = {getattr(bp, "name", bp) for bp in app.extensions["csrf"]._exempt_blueprints}
    assert {"FilingImportApi", "TraineeExportApi"} <= exempt
    rules = {r.rule: r.endpoint for r in app.url_map.iter_rules()}
    assert rules["/api/v1/filing/<int:pk>/import/<kind>"] == "FilingImportApi.import_file"
    assert rules["/api/v1/filing/<int:pk>/import/<kind>/template"] == "FilingImportApi.import_template"
    assert rules["/api/v1/trainee/export.xlsx"] == "TraineeExportApi.export_xlsx"
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/api/v1/trainee/export.xlsx", method="GET")[0] == "TraineeExportApi.export_xlsx"


# ---- 单位培训人员查询 and 导出学员名单 ------------------------------------------------------------------------------

@pytest.fixture
def roster(app):
    """ent_gz: an approved-like SUBMITTED filing with 25 trainees (one lost, one with a formula-like name),
    a DRAFT ECOSYSTEM student filing with 2; ent_sz: one filing with 3 (must never show)."""
    with app.app_context():
        gz = factories.demo_enterprise("ent_gz")
        sz = factories.demo_enterprise("ent_sz")
        numbers = [factories.id_number(region="440111") for _ in range(25)]
        big = factories.complete_filing(gz.id, status="SUBMITTED", trainees=25, id_numbers=numbers,
                                        filing_no="XT4401-2026-009999")
        big.trainees[0].name = "=HYPERLINK(\"http://evil\",\"点我\")"
        big.trainees[1].status = "LOST"
        big.trainees[1].lost_reason = "-离职"
        big.trainees[1].lost_date = date(2027, 5, 1)
        student = factories.complete_filing(gz.id, "ECOSYSTEM", "STUDENT", trainees=2, start=date(2028, 9, 1),
                                            end=date(2029, 6, 30))
        other = factories.complete_filing(sz.id, trainees=3)
        db.session.commit()
        return {"numbers": numbers, "big": big.id, "student": student.id, "other": other.id,
                "student_numbers": [t.id_number for t in student.trainees],
                "other_numbers": [t.id_number for t in other.trainees]}


def _ids(html: str) -> list[str]:
    return re.findall(r'<td class="mono id-number">([^<]*)</td>', html)


def test_trainee_query_lists_masked_scoped_paginated(app, ent, roster):
    url = "/enterprise/trainees/"
    html = ent.get(url).get_data(True)
    assert "单位培训人员查询" in html
    total = int(re.search(r"共 (\d+) 条，每页 20 条", html).group(1))
    assert total == 25 + 8  # + the 8 demo trainees of ent_gz (all 企业新型学徒制)
    ids = _ids(html)
    assert len(ids) == 20 and all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", i) for i in ids)
    assert not any(n in html for n in roster["numbers"] + roster["other_numbers"])
    page2 = ent.get(url + "?page=2").get_data(True)
    assert len(_ids(page2)) == 13


def test_each_programme_menu_lists_its_own_programme(app, ent, roster):
    """单位培训人员查询 of the 产教评 menu lists the 产教评 filings' trainees only, and the other menu the others
    (a programme given in the query string cannot widen it)."""
    eco = ent.get("/ecosystem/trainees/?programme=ENTERPRISE").get_data(True)
    assert int(re.search(r"共 (\d+) 条", eco).group(1)) == 2
    assert "产教评技能生态链企业新型学徒制培训" in eco
    ent_html = ent.get("/enterprise/trainees/?programme=ECOSYSTEM").get_data(True)
    assert int(re.search(r"共 (\d+) 条", ent_html).group(1)) == 25 + 8


def test_trainee_query_filters(app, ent, roster):
    def hits(**args):
        html = ent.get("/enterprise/trainees/", query_string=args).get_data(True)
        return int(re.search(r"共 (\d+) 条", html).group(1))

    assert hits(id_number=roster["numbers"][3]) == 1
    assert hits(id_number=roster["numbers"][3].lower()[:10]) >= 1
    assert hits(id_number=roster["other_numbers"][0]) == 0  # another enterprise's person
    assert hits(name="学员1") == 10  # 学员10…学员19 of the big filing (学员1 renamed); the 产教评 student is not here
    assert hits(filing_no="2026-0099") == 25
    assert hits(programme="ECOSYSTEM") == 25 + 8  # the menu's programme holds (企业新型学徒制)
    assert hits(apprenticeship_type="STUDENT") == 0  # the 学生学徒制 filing is 产教评's: its own menu lists it
    assert hits(filing_status="SUBMITTED", programme="ENTERPRISE") == 25 + 2  # + one demo SUBMITTED filing
    assert hits(status="LOST") == 1
    assert hits(date_from="2028-08-01", date_to="2028-12-31") == 0  # only the (产教评) student class runs then
    assert hits(date_from="2027-03-01", date_to="2027-03-31", programme="ENTERPRISE", name="学员") == 24
    html = ent.get("/enterprise/trainees/?date_from=2027-13-45").get_data(True)
    assert "不是有效日期" in html


def _export_rows(data: bytes) -> list[list]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    return [[c.value for c in row] for row in sheet.iter_rows()], sheet


def test_export_contents_and_formula_neutralisation(app, ent, roster):
    response = ent.get("/enterprise/trainees/export.xlsx", query_string={"filing_no": "XT4401-2026-009999"})
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment;" in response.headers["Content-Disposition"]
    assert response.headers["X-Row-Count"] == "25"
    rows, sheet = _export_rows(response.data)
    assert rows[0][:6] == ["姓名", "身份证号码", "性别", "出生日期", "联系电话", "文化程度"]
    assert rows[0][12:] == ["备案编号", "培训项目", "学徒制培训类型", "备案状态", "职业（工种）", "培训等级", "培训开始日期",
                            "培训结束日期"]
    body = rows[1:]
    assert len(body) == 25
    assert sorted(r[1] for r in body) == sorted(roster["numbers"])  # full ID numbers, as text
    assert all(sheet.cell(row=i, column=2).data_type == "s" for i in range(2, 27))
    evil = next(r for r in body if "HYPERLINK" in r[0])
    assert evil[0] == "'=HYPERLINK(\"http://evil\",\"点我\")"
    assert all(sheet.cell(row=i, column=1).data_type == "s" for i in range(2, 27))
    lost = next(r for r in body if r[9] == "流失")
    assert lost[10] == "'-离职" and lost[11].date() == date(2027, 5, 1)
    first = next(r for r in body if r[0] == "学员3")
    assert (first[2], first[3].date(), first[4], first[5]) == ("男", date(1995, 3, 7), "13700137000", "中专/中职/技工学校")
    assert first[12:16] == ["XT4401-2026-009999", "企业新型学徒制培训", "企业新型学徒制", "已提交待审核"]
    assert first[16:18] == ["6-18-01-01 车工", "四级/中级工"]
    assert (first[18].date(), first[19].date()) == (date(2027, 3, 1), date(2028, 2, 29))
    assert sheet.freeze_panes == "A2"


def test_export_scope_and_api(app, api, roster):
    response = api("ent_sz").get("/api/v1/trainee/export.xlsx")
    assert response.status_code == 200
    rows, _sheet = _export_rows(response.data)
    numbers = {r[1] for r in rows[1:]}
    assert set(roster["other_numbers"]) <= numbers and not numbers & set(roster["numbers"])
    response = api("ent_gz").get("/api/v1/trainee/export.xlsx?programme=ECOSYSTEM")
    rows, _sheet = _export_rows(response.data)
    assert sorted(r[1] for r in rows[1:]) == sorted(roster["student_numbers"])
    assert api("ent_gz").get("/api/v1/trainee/export.xlsx?date_from=2027-02-30").status_code == 422
    empty = api("ent_gz").get("/api/v1/trainee/export.xlsx?name=没有这个人")
    assert empty.status_code == 200 and len(_export_rows(empty.data)[0]) == 1


def test_menus(app, ent):
    html = ent.get("/").get_data(True)
    assert html.count("单位培训人员查询") >= 2
    assert "/ecosystem/trainees/" in html and "/enterprise/trainees/" in html


def test_openapi_lists_the_import_and_export_endpoints(api):
    response = api("admin").get("/api/v1/_openapi")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    post = paths["/api/v1/filing/{pk}/import/{kind}"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]
    assert {"200", "201", "404", "409", "422"} <= set(post["responses"])
    assert "get" in paths["/api/v1/filing/{pk}/import/{kind}/template"]
    params = {p["name"] for p in paths["/api/v1/trainee/export.xlsx"]["get"]["parameters"]}
    assert {"name", "id_number", "filing_no", "programme", "apprenticeship_type", "filing_status", "status",
            "date_from", "date_to"} <= params


def test_teacher_duplicates_r10_and_student_has_no_courses(app, ent):
    filing_id = make_filing(app)
    same = factories.id_number(birth="19800101")
    rows = [{"姓名": "甲", "身份证号码": same, "联系电话": "13900000001", "导师类型": "企业导师"},
            {"姓名": "乙", "身份证号码": same, "联系电话": "13900000002", "导师类型": "学校老师"}]
    errors = error_rows(check(ent, filing_id, "teacher",
                              fill(template_bytes(ent, filing_id, "teacher"), rows)).get_data(True))
    assert errors == [("3", "身份证号码（B列）", same, "身份证号码与第 2 行重复，同一文件中同一人只能出现一次"),
                      ("3", "导师类型（D列）", "学校老师", "导师类型“学校老师”不在可选范围内，请从下拉列表选择")]
    rows = [{"职业（工种）": "6-18-01-01", "培训等级": "五级/初级工", "培训开始日期": date(2027, 3, 1),
             "培训结束日期": date(2028, 2, 29), "培训课时": 100, "计划培训人数": 5}]
    errors = error_rows(check(ent, filing_id, "training_class",
                              fill(template_bytes(ent, filing_id, "training_class"), rows)).get_data(True))
    assert errors == [("2", "培训等级（B列）", "五级/初级工", "企业新型学徒制的培训等级应为四级/中级工及以上")]
    student = make_filing(app, programme="ECOSYSTEM", apprenticeship_type="STUDENT", complete=True)
    content = xlsx([["培训班（职业工种）", "课程名称", "授课方式", "课时"], ["6-18-01-01", "x", "线上培训", 1]],
                   title="培训课程信息")
    html = check(ent, student, "course", content).get_data(True)
    assert "学生学徒制备案没有培训课程信息，不能导入培训课程" in html
    assert count_rows(app, "course", student) == 0


def test_error_workbook_when_openpyxl_cannot_open_the_file(app, ent, monkeypatch):
    """A file calamine reads but openpyxl cannot: the annotation is written into a rebuilt workbook."""
    filing_id = make_filing(app)
    content = xlsx([TRAINEE_HEADERS, trainee_line(), trainee_line(phone="12")])
    html = check(ent, filing_id, "trainee", content).get_data(True)
    import imports.annotate

    def refuse(*a, **k):
        raise ValueError("unsupported")

    monkeypatch.setattr(imports.annotate, "load_workbook", refuse)
    response = ent.post(f"/filing/{filing_id}/import/trainee/errors",
                        data={"csrf_token": token(ent), "content": hidden(html, "content"), "file_name": "x.xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert [c.value for c in sheet[1]] == TRAINEE_HEADERS + ["错误说明"]
    assert sheet["A3"].value == "李四" and sheet["C3"].value == "12"
    assert sheet["H3"].value.startswith("【联系电话】") and sheet["H2"].value is None
    assert sheet["C3"].fill.fgColor.rgb.endswith("FFC7CE")


def test_course_references_by_name_id_number_and_ambiguity(app, ent):
    filing_id = make_filing(app, complete=True)
    with app.app_context():
        filing = db.session.get(Filing, filing_id)
        twin = Teacher(name="陈导师", id_number=factories.id_number(birth="19810101"), phone="13900139001",
                       kind="SCHOOL")
        filing.teachers.append(twin)
        filing.classes.append(TrainingClass(occupation_code="6-18-01-01", skill_level=3,
                                            start_date=date(2027, 9, 1), end_date=date(2028, 8, 31), hours=300,
                                            planned_headcount=2))
        db.session.commit()
        twin_number, twin_id = twin.id_number, twin.id
    book = openpyxl.load_workbook(io.BytesIO(template_bytes(ent, filing_id, "course")))
    options = [c.value for c in book["选项"]["A"][1:]]
    teachers = [c.value for c in book["选项"]["C"][1:]]
    assert options == ["6-18-01-01 车工（四级/中级工，2027-03-01开班）", "6-18-01-01 车工（三级/高级工，2027-09-01开班）"]
    assert teachers[1] == f"陈导师（身份证尾号{twin_number[-4:]}）"
    rows = [{"培训班（职业工种）": options[1], "课程名称": "a", "授课方式": "线下培训", "课时": 1, "授课教师": twin_number},
            {"培训班（职业工种）": options[0], "课程名称": "b", "授课方式": "线下培训", "课时": 1, "授课教师": teachers[1]},
            {"培训班（职业工种）": "6-18-01-01", "课程名称": "c", "授课方式": "线下培训", "课时": 1, "授课教师": "陈导师"},
            {"培训班（职业工种）": str(twin_id), "课程名称": "d", "授课方式": "线上培训", "课时": 1}]
    errors = error_rows(check(ent, filing_id, "course", fill(bytes(_save(book)), rows)).get_data(True))
    assert errors == [
        ("4", "培训班（职业工种）（A列）", "6-18-01-01",
         "本备案有多个职业（工种）为“6-18-01-01”的培训班，请从下拉列表选择带等级和开班日期的选项"),
        ("4", "授课教师（E列）", "陈导师", "本备案有多名导师叫“陈导师”，请填写身份证号码或从下拉列表选择"),
        ("5", "培训班（职业工种）（A列）", str(twin_id), f"“{twin_id}”不是本备案的培训班，请从下拉列表选择")]


def _save(book) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bulk_trainees(app, username: str, count: int) -> None:
    from sqlalchemy import insert

    from core.validators import complete_id_number

    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise(username).id, trainees=1)
        db.session.execute(insert(Trainee), [
            {"filing_id": filing.id, "name": f"批量{i}", "id_number": complete_id_number(f"4401131990{i:07d}"),
             "gender": "M", "phone": "13800000000", "education": "SENIOR_HIGH", "status": "ACTIVE",
             "created_at": date(2026, 1, 1)} for i in range(count)])
        db.session.commit()


def test_query_page_runs_a_constant_number_of_statements(app, ent):
    from sqlalchemy import event

    _bulk_trainees(app, "ent_gz", 60)
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        ent.get("/enterprise/trainees/?name=不存在")  # warm-up (permissions, menu)
        statements.clear()
        ent.get("/enterprise/trainees/?name=不存在")
        empty = len(statements)
        statements.clear()
        html = ent.get("/enterprise/trainees/?name=批量").get_data(True)
        full = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(_ids(html)) == 20
    assert full == empty <= 10


def test_export_memory_stays_flat(app, roster):
    """Streaming: exporting 10× the rows does not hold 10× the memory (rows are written as they arrive)."""
    import tracemalloc

    from models.scope import Actor
    from models.security import AppUser
    from queries.trainees import TraineeFilters
    from services.trainee_export import export_trainees

    def peak(filters) -> tuple[int, int]:
        with app.test_request_context():
            actor = Actor.from_user(db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one())
            tracemalloc.start()
            path, count = export_trainees(db.session, actor, filters, batch=50)
            result = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            Path(path).unlink()
            db.session.rollback()
        return count, result

    _bulk_trainees(app, "ent_gz", 3000)
    small_count, small = peak(TraineeFilters(filing_no="XT4401-2026-009999"))
    big_count, big = peak(TraineeFilters(name="批量"))
    assert small_count == 25 and big_count == 3000
    assert big < small + 1024 * 1024, (small, big)


def test_store_reports_a_duplicate_as_an_integrity_error(app):
    """The bulk store (COPY on PostgreSQL, executemany elsewhere) fails like the ORM would on a duplicate, so the
    glue answers "数据与已有记录重复" instead of a server error (validation normally catches it first)."""
    from sqlalchemy.exc import IntegrityError

    from actions.imports import _store
    from views.glue import translate_exception

    filing_id = make_filing(app)
    row = {"name": "甲", "id_number": factories.id_number(), "gender": "M", "birth_date": date(1995, 3, 7),
           "phone": "13800138000", "education": "SENIOR_HIGH", "contract_start": None, "contract_end": None,
           "hire_date": None}
    with app.app_context():
        filing = db.session.get(Filing, filing_id)
        with pytest.raises(IntegrityError) as caught:
            _store(db.session, filing, "trainee", [row, dict(row)])
        db.session.rollback()
        assert "重复" in str(translate_exception(caught.value).message)
        assert db.session.scalar(select(func.count()).select_from(Trainee).filter_by(filing_id=filing_id)) == 0
        _store(db.session, filing, "trainee", [row])
        db.session.commit()
        stored = db.session.scalars(select(Trainee).filter_by(filing_id=filing_id)).one()
        assert (stored.name, stored.status, stored.birth_date) == ("甲", "ACTIVE", date(1995, 3, 7))

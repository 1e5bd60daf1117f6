"""补贴申领 documents (R23): 申请表 PDF, 花名册 PDF and xlsx, built from the claim's rows.

- 大写 amounts follow the payment-document rules (整 after 元/角, one 零 per run of zeros, 壹拾).
- The roster query: person-id order, complete ID numbers, one SELECT per batch, SQL totals.
- The 花名册 PDF's text layer (pdftotext): every person on exactly one page, the heading and column header on every
  page, 第 X 页 共 Y 页, each page's 本页小计 equal to the sum of the persons printed on that page, 合计 and its 大写
  on the last page; user text with <b>& shown literally; nothing fetched.
- The 申请表 is one A4 page (pdfinfo), also with very long free texts.
- The xlsx read back with openpyxl: title, frozen header, ID numbers as text, amounts as numbers, formula-like texts
  neutralised, the 合计 row.
Render times are measured by bench/claim_roster.py, never asserted here.
"""
from __future__ import annotations

import io
import re
import socket
import subprocess
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import event

from models.base import db
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from queries.claim_roster import RosterRow, roster_rows, roster_totals
from services import claim_documents as docs
from services.pdf import LocalOnlyFetcher
from tests import factories
from tests.test_pdf import pdf_pages, pdf_text, squash

BANK = "<b>&中国工商银行</b>广州支行"
SPECIAL = ["<b>李&四</b>", "阿依古丽·买买提", "O'Neil&Co"]


def amount_of(i: int) -> Decimal:
    """Distinct amounts with fen, so a wrong page split changes a subtotal."""
    return Decimal("1000.00") + Decimal(i) * Decimal("10.05")


def make_claim(persons: int = 45, programme: str = "ENTERPRISE", apprenticeship_type: str = "NEW_APPRENTICE",
               special: bool = False, decided: bool = True, with_class: bool = True,
               certificates: dict[int, str] | None = None, **claim_fields) -> int:
    """A SUBMITTED claim of an APPROVED filing of ent_gz with ``persons`` persons, amounts set, every third decided
    (approved = amount − 100)."""
    ent = factories.demo_enterprise("ent_gz")
    numbers = [factories.id_number(birth=f"1990{1 + i // 400:02d}15", seq=i % 400, female=i % 2 == 1)
               for i in range(persons)]
    filing = factories.complete_filing(ent.id, programme=programme, apprenticeship_type=apprenticeship_type,
                                       status="APPROVED", trainees=persons, id_numbers=numbers,
                                       start=date(2027, 3, 1), end=date(2028, 2, 29))
    filing.filing_no = f"XT4401-2027-{filing.id:06d}"
    for i, trainee in enumerate(filing.trainees):
        trainee.name = SPECIAL[i] if special and i < len(SPECIAL) else f"测试学员{i + 1:02d}号"
        trainee.gender = "F" if i % 2 else "M"
    cls = filing.classes[0]
    fields = {"status": "SUBMITTED", "bank_name": BANK if special else "中国工商银行广州天河支行",
              "bank_account_name": ent.name, "bank_account_no": "3602000109000123456",
              "contact_name": "王经办", "contact_phone": "13800138000", **claim_fields}
    claim = SubsidyClaim(enterprise_id=ent.id, city_code=filing.city_code, filing_id=filing.id,
                         training_class_id=cls.id if with_class else None, stage="ADVANCE",
                         commitment_accepted=True, submitted_at=datetime(2027, 4, 1, 2, 0),
                         requested_amount=sum((amount_of(i) for i in range(persons)), Decimal("0.00")),
                         **fields)
    db.session.add(claim)
    db.session.flush()
    for i, trainee in enumerate(filing.trainees):
        db.session.add(SubsidyClaimPerson(
            subsidy_claim_id=claim.id, trainee_id=trainee.id, stage="ADVANCE", held=True, skill_level=cls.skill_level,
            certificate_no=(certificates or {}).get(i, f"S4401{i:08d}"), amount=amount_of(i),
            approved_amount=amount_of(i) - 100 if decided and i % 3 == 0 else None))
    db.session.commit()
    return claim.id


def layout_text(data: bytes, tmp_path, page: int) -> str:
    """One page's text with pdftotext -layout: a printed line stays one text line (a row, a subtotal)."""
    path = tmp_path / f"roster-{page}.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-f", str(page), "-l", str(page), str(path), "-"],
                         check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def load(claim_id: int) -> SubsidyClaim:
    db.session.expire_all()
    return db.session.get(SubsidyClaim, claim_id)


@pytest.fixture
def no_network(monkeypatch):
    attempts: list = []

    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return attempts


# ---- 大写 and money ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("amount,caps", [
    ("0.00", "零元整"),
    ("10", "壹拾元整"),
    ("10.05", "壹拾元零伍分"),
    ("12000", "壹万贰仟元整"),
    ("100010.50", "壹拾万零壹拾元伍角整"),
    ("1000000", "壹佰万元整"),
    ("0.50", "伍角整"),
    ("0.05", "伍分"),
    ("1.05", "壹元零伍分"),
    ("1010", "壹仟零壹拾元整"),
    ("105000", "壹拾万伍仟元整"),
    ("10000001", "壹仟万零壹元整"),
    ("100000000.01", "壹亿元零壹分"),
    ("1234.56", "壹仟贰佰叁拾肆元伍角陆分"),
    ("2200", "贰仟贰佰元整"),
    ("99000", "玖万玖仟元整"),
])
def test_capital_yuan(amount, caps):
    assert docs.capital_yuan(Decimal(amount)) == caps


def test_capital_yuan_refuses_negative_and_rounds_to_fen():
    with pytest.raises(ValueError):
        docs.capital_yuan(Decimal("-1"))
    assert docs.capital_yuan(Decimal("10.005")) == "壹拾元零壹分"  # half up to fen


def test_format_yuan_and_document_names():
    assert docs.format_yuan(Decimal("100010.5")) == "100,010.50"
    assert docs.format_yuan(None) == ""
    claim = type("Claim", (), {"id": 12})()
    assert docs.claim_document_name(claim, "form") == "补贴申请表-12.pdf"
    assert docs.claim_document_name(claim, "roster") == "补贴花名册-12.pdf"
    assert docs.claim_document_name(claim, "roster_xlsx") == "补贴花名册-12.xlsx"


# ---- the roster query ---------------------------------------------------------------------------------------

def test_roster_rows_one_statement_per_batch(app):
    with app.app_context():
        claim_id = make_claim(45)
        persons = db.session.query(SubsidyClaimPerson).filter_by(subsidy_claim_id=claim_id).order_by(
            SubsidyClaimPerson.id).all()
        expected_ids = [p.id for p in persons]
        numbers = [p.trainee.id_number for p in persons]
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            rows = list(roster_rows(db.session, claim_id, batch=7))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        totals = roster_totals(db.session, claim_id)
    assert len(statements) == 7  # 45 persons in batches of 7: six full ones and the last of three
    assert [r.person_id for r in rows] == expected_ids
    assert [r.seq for r in rows] == list(range(1, 46))
    assert [r.id_number for r in rows] == numbers  # complete, not masked
    first = rows[0]
    assert isinstance(first, RosterRow) and first.name == "测试学员01号" and first.gender == "男"
    assert rows[1].gender == "女"
    assert first.occupation.endswith("（6-18-01-01）") and first.level == "四级/中级工"
    assert first.period == "2027-03-01至2028-02-29" and first.certificate_no == "S440100000000"
    assert first.amount == Decimal("1000.00") and first.approved_amount == Decimal("900.00")
    assert rows[1].approved_amount is None  # not decided yet: blank
    assert all(isinstance(r.amount, Decimal) for r in rows)
    assert totals.count == 45
    assert totals.amount == sum((amount_of(i) for i in range(45)), Decimal("0"))
    assert totals.decided == 15
    assert totals.approved == sum((amount_of(i) - 100 for i in range(0, 45, 3)), Decimal("0"))


def test_roster_of_a_claim_without_class_and_empty_totals(app):
    with app.app_context():
        claim_id = make_claim(2, with_class=False, decided=False)
        rows = list(roster_rows(db.session, claim_id))
        totals = roster_totals(db.session, claim_id)
        empty = roster_totals(db.session, 999999)
    assert [r.level for r in rows] == ["四级/中级工"] * 2  # the person's level when the claim has no class
    assert rows[0].occupation == "" and rows[0].period == ""
    assert totals.approved is None and totals.decided == 0
    assert empty == (0, Decimal("0.00"), None, 0)


# ---- 花名册 PDF ---------------------------------------------------------------------------------------------

MONEY = re.compile(r"\d{1,3}(?:,\d{3})*\.\d{2}")


@pytest.mark.parametrize("lines_per_page,pages", [(None, 2), (10, 5)])
def test_roster_pdf_pages_subtotals_and_totals(app, tmp_path, no_network, lines_per_page, pages):
    with app.app_context():
        claim_id = make_claim(45)
        claim = load(claim_id)
        persons = [(p.trainee.id_number, p.trainee.name, p.amount, p.approved_amount) for p in claim.persons]
        enterprise, filing_no = claim.enterprise.name, claim.filing.filing_no
        fetcher = LocalOnlyFetcher()
        kwargs = {"lines_per_page": lines_per_page} if lines_per_page else {}
        data = docs.claim_roster_pdf(db.session, claim, fetcher=fetcher, **kwargs)
    assert data.startswith(b"%PDF-")
    assert fetcher.requested == [] and no_network == []
    assert pdf_pages(data, tmp_path) == pages
    seen: list[str] = []
    for page in range(1, pages + 1):
        text = pdf_text(data, tmp_path, page)
        flat = squash(text)
        assert "企业新型学徒制培训补贴人员花名册" in flat  # the heading on every page
        assert enterprise in flat and f"备案编号：{filing_no}" in flat and "申领阶段：预拨" in flat
        for title in ("序号", "姓名", "身份证号码", "性别", "职业（工种）", "培训等级", "培训期间", "证书编号",
                      "申请金额", "核定金额"):
            assert title in flat, (page, title)  # the column header repeated
        assert f"第{page}页共{pages}页" in flat
        on_page = [p for p in persons if p[0] in flat]
        assert on_page, page
        seen.extend(p[0] for p in on_page)
        amount = sum((p[2] for p in on_page), Decimal("0"))
        approved = sum((p[3] for p in on_page if p[3] is not None), Decimal("0"))
        subtotal = next(line for line in layout_text(data, tmp_path, page).splitlines() if "本页小计" in line)
        assert squash(subtotal).startswith(f"本页小计（{len(on_page)}人）")
        assert MONEY.findall(subtotal) == [docs.format_yuan(amount), docs.format_yuan(approved)]
        for _number, name, _amount, _approved in on_page:
            assert squash(name) in flat
        assert ("合计（45人）" in flat) == (page == pages)  # 合计 on the last page only
    assert sorted(seen) == sorted(p[0] for p in persons)  # each person printed on exactly one page
    last = pdf_text(data, tmp_path, pages)
    total = sum((p[2] for p in persons), Decimal("0"))
    total_approved = sum((p[3] for p in persons if p[3] is not None), Decimal("0"))
    total_line = next(line for line in layout_text(data, tmp_path, pages).splitlines() if "合计（45" in line)
    assert MONEY.findall(total_line) == [docs.format_yuan(total), docs.format_yuan(total_approved)]
    assert f"人民币{docs.capital_yuan(total)}" in squash(last)
    assert f"人民币{docs.capital_yuan(total_approved)}" in squash(last)
    assert "单位盖章" in last


def test_roster_pdf_escapes_user_text_and_keeps_columns(app, tmp_path, no_network):
    with app.app_context():
        claim_id = make_claim(5, special=True, certificates={3: "=cmd|' /C calc'!A0"})
        claim = load(claim_id)
        numbers = [p.trainee.id_number for p in claim.persons]
        html = docs.render_claim_roster_html(db.session, claim)
        fetcher = LocalOnlyFetcher()
        data = docs.claim_roster_pdf(db.session, claim, fetcher=fetcher)
    assert "<b>李&amp;四</b>" not in html and "&lt;b&gt;李&amp;四&lt;/b&gt;" in html  # escaped, not markup
    assert '<span class="g1">·</span>' in html  # the narrow middle dot sits in a fixed-width box
    assert fetcher.requested == [] and no_network == []
    flat = squash(pdf_text(data, tmp_path))
    assert "<b>李&四</b>" in flat and "O'Neil&Co" in flat
    assert "阿依古丽·买" in flat and "买提" in flat  # wrapped over two lines of its cell, nothing cut off
    for number in numbers:
        assert number in flat
    assert "=cmd|'/Ccalc'!A0" in flat  # a PDF shows it as typed (neutralising is for spreadsheets)


# ---- 申请表 PDF ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("programme,apprenticeship_type,title", [
    ("ENTERPRISE", "NEW_APPRENTICE", "企业新型学徒制培训补贴申请表"),
    ("ECOSYSTEM", "TECH_TRAINEE", "产教评技能生态链企业新型学徒制培训补贴申请表"),
])
def test_claim_form_is_one_page_with_the_figures(app, tmp_path, no_network, programme, apprenticeship_type, title):
    with app.app_context():
        claim_id = make_claim(12, programme=programme, apprenticeship_type=apprenticeship_type)
        claim = load(claim_id)
        facts = (claim.enterprise.name, claim.enterprise.uscc, claim.filing.filing_no, claim.bank_account_no)
        total = sum((p.amount for p in claim.persons), Decimal("0"))
        fetcher = LocalOnlyFetcher()
        data = docs.claim_form_pdf(db.session, claim, fetcher=fetcher)
    assert fetcher.requested == [] and no_network == []
    assert pdf_pages(data, tmp_path) == 1
    text = pdf_text(data, tmp_path)
    flat = squash(text)
    assert title in flat
    if programme == "ENTERPRISE":
        assert "产教评" not in flat
    for value in facts:
        assert value in flat
    assert "广州" in flat and "中国工商银行广州天河支行" in flat and "王经办" in flat and "13800138000" in flat
    level = "四级/中级工" if apprenticeship_type == "NEW_APPRENTICE" else "五级/初级工"  # factories' class level
    assert "车工（6-18-01-01）" in flat and level in flat and "2027-03-01至2028-02-29" in flat
    assert "申领阶段预拨" in flat and "申请人数12人" in flat
    assert f"¥{docs.format_yuan(total)}" in flat and f"人民币{docs.capital_yuan(total)}" in flat
    for label in ("开户银行", "账户名称", "账号", "单位负责人签字", "单位盖章", "日期", "地市人社部门审核意见",
                  "盖章：广州市人力资源和社会保障局"):
        assert label in flat, label


def test_claim_form_approved_amount_escaping_and_long_texts_stay_on_one_page(app, tmp_path):
    long_text = "很长的单位地址与意见" * 60
    with app.app_context():
        claim_id = make_claim(3, special=True, approved_amount=Decimal("12000.00"), status="APPROVED",
                              review_opinion=long_text + "<script>x</script>", reviewed_at=datetime(2027, 5, 6, 3),
                              bank_account_name="<b>&" + "账户" * 62, contact_name="<i>联系人</i>")
        claim = load(claim_id)
        claim.enterprise.address = long_text[:255]  # the columns' own limits (PostgreSQL enforces them)
        db.session.flush()
        html = docs.render_claim_form_html(db.session, claim)
        data = docs.claim_form_pdf(db.session, claim)
        db.session.rollback()
    assert "<b>&amp;中国工商银行</b>" not in html and "&lt;b&gt;&amp;中国工商银行&lt;/b&gt;" in html
    assert "<script>x" not in html
    assert pdf_pages(data, tmp_path) == 1
    flat = squash(pdf_text(data, tmp_path))
    assert squash(BANK) in flat and "<i>联系人</i>" in flat
    assert "¥12,000.00" in flat and "人民币壹万贰仟元整" in flat
    assert "2027年05月06日" in flat and "审核通过" in flat


# ---- 花名册 xlsx --------------------------------------------------------------------------------------------

def test_roster_xlsx_contents(app, tmp_path, monkeypatch):
    export_tmp = tmp_path / "exports"
    monkeypatch.setitem(app.config, "EXPORT_TMP_DIR", str(export_tmp))
    with app.app_context():
        claim_id = make_claim(7, special=True, certificates={3: "=cmd|' /C calc'!A0", 4: "+1+1", 5: "@SUM(A1)"})
        claim = load(claim_id)
        persons = [(p.trainee.name, p.trainee.id_number, p.amount, p.approved_amount) for p in claim.persons]
        enterprise = claim.enterprise.name
        data = docs.claim_roster_xlsx(db.session, claim)
    assert list(export_tmp.iterdir()) == []  # the temporary workbook is gone
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    assert sheet.title == "花名册"
    assert sheet.freeze_panes == "A4"
    assert sheet["A1"].value == "企业新型学徒制培训补贴人员花名册"
    assert enterprise in sheet["A2"].value and "申领阶段：预拨" in sheet["A2"].value
    assert [c.value for c in sheet[3]] == ["序号", "姓名", "身份证号码", "性别", "职业（工种）", "培训等级",
                                           "培训期间", "证书编号", "申请金额", "核定金额"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 8  # 7 persons + 合计
    for i, (name, number, amount, approved) in enumerate(persons):
        row = rows[i]
        assert row[0] == i + 1
        assert row[1] == name
        assert row[2] == number and isinstance(row[2], str)  # ID number as text, all 18 characters
        assert row[3] == ("女" if i % 2 else "男")
        assert Decimal(str(row[8])) == amount
        assert (Decimal(str(row[9])) if row[9] is not None else None) == approved
    assert rows[0][1] == "<b>李&四</b>"  # plain text in a cell
    assert rows[3][7] == "'=cmd|' /C calc'!A0"  # formula-like texts neutralised
    assert rows[4][7] == "'+1+1" and rows[5][7] == "'@SUM(A1)"
    assert rows[6][7] == "S440100000006"
    assert sheet.cell(row=4, column=3).number_format == "@"
    assert sheet.cell(row=4, column=9).number_format == "#,##0.00"
    assert all(sheet.cell(row=r, column=c).data_type != "f" for r in range(1, 12) for c in range(1, 11))
    total = rows[7]
    assert total[0] == "合计" and total[1] == "7人"
    assert Decimal(str(total[8])).quantize(Decimal("0.01")) == sum((p[2] for p in persons), Decimal("0"))
    assert Decimal(str(total[9])).quantize(Decimal("0.01")) == sum((p[3] for p in persons if p[3] is not None),
                                                                   Decimal("0"))

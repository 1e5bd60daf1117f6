"""工作日历 → 导入全年安排 (R19) through the screen: template, a good file, a bad file refused with row and column."""
from __future__ import annotations

import io
from datetime import date

import openpyxl

from models.base import db
from models.lookups import WorkdayOverride
from tests.conftest import csrf_token_from, login


def _book(rows) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["日期", "类型", "备注"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_admin_imports_a_year(app, client):
    login(client, "admin")
    page = client.get("/workdays/import")
    assert page.status_code == 200
    template = client.get("/workdays/import/template?year=2027")
    assert template.status_code == 200
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(template.data)).active[1]]
    assert headers == ["*日期", "*类型", "备注"]
    token = csrf_token_from(page.get_data(as_text=True))
    bad = client.post("/workdays/import", data={"csrf_token": token, "file": (io.BytesIO(_book([
        ["2027-01-01", "放假", "元旦"], ["2027-02-30", "放假", ""], ["2027-02-06", "加班", ""]])), "2027.xlsx")},
        content_type="multipart/form-data")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "第 3 行" in html and "第 4 行" in html
    with app.app_context():
        assert db.session.get(WorkdayOverride, date(2027, 1, 1)) is None  # all or nothing
    good = client.post("/workdays/import", data={"csrf_token": token, "file": (io.BytesIO(_book([
        ["2027-01-01", "放假", "元旦"], ["2027/2/6", "调休上班", "春节调休"]])), "2027.xlsx")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "已导入 2027 年的工作日历安排 2 天" in good.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(WorkdayOverride, date(2027, 2, 6)).is_workday is True


def test_only_the_admin(app, client):
    login(client, "gz_reviewer")
    assert client.get("/workdays/import").status_code in (302, 403)

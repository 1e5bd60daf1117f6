"""Security and reliability findings (Low) from probing the running app, one test (or parametrized set) per finding;
each failed before its fix: the CSRF guard of the API and Bearer headers, requests that died with a 500 (unknown
row actions, FAB downloads, sorting by a relation, huge/negative pages and ids, 1e400, 64-bit overflows, deep JSON,
oversized uploads, NUL characters, malformed xlsx XML), wrong JSON types stored as text, error bodies echoing huge
values, English/422 JWT errors and 403s, logout by GET, "2026-02-29" called a format error, SQLite reusing ids of
deleted rows, and export temp files left in the shared system temp directory."""
from __future__ import annotations

import io
import os
import re
import tempfile
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import text

from models.base import db
from tests import factories
from tests.conftest import api_token, csrf_token_from, login
from tests.factories import PDF_BYTES

CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- helpers ------------------------------------------------------------------------------------------------

def make_filing(app, username="ent_gz", **kw) -> int:
    with app.app_context():
        row = factories.complete_filing(factories.demo_enterprise(username).id, **kw)
        db.session.commit()
        pk = row.id
        db.session.remove()
    return pk


def chinese_json(response, status) -> dict:
    """The DESIGN §10 body with a Chinese message and the expected status."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert isinstance(body, dict) and CJK.search(body["message"]), body
    return body


def field_error(response, field: str, text: str, status: int = 422) -> dict:
    """The error item of ``field`` (whose message contains ``text``) in a DESIGN §10 error body."""
    body = chinese_json(response, status)
    items = [e for e in body["errors"] if e.get("field") == field]
    assert items and text in items[0]["message"], body
    return items[0]


def chinese_page(response, status):
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert CJK.search(response.get_data(as_text=True))


def page_token(client, path="/logout/") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


# ---- 1. CSRF guard of the API: only a valid JWT lifts it -------------------------------------------------------

def test_api_csrf_is_lifted_only_by_a_valid_jwt(app, client):
    """Before: any ``Authorization: Bearer x`` header let a cookie-authenticated write skip the CSRF token."""
    valid = api_token(client, "ent_gz")
    login(client, "ent_gz")
    body = {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": True}
    tampered = valid[:-4] + ("AAAA" if not valid.endswith("AAAA") else "BBBB")
    for header in ("Bearer x", f"Bearer {tampered}", "Bearer "):
        refused = client.post("/api/v1/filing/", json=body, headers={"Authorization": header})
        assert "X-CSRFToken" in chinese_json(refused, 400)["message"], header
    assert client.post("/api/v1/filing/", json=body, headers={"Authorization": f"Bearer {valid}"}).status_code == 201
    token = page_token(client)
    with_token = client.post("/api/v1/filing/", json=body, headers={"Authorization": "Bearer x", "X-CSRFToken": token})
    assert with_token.status_code == 201, with_token.get_data(as_text=True)


# ---- 2. 500s that are 4xx ------------------------------------------------------------------------------------

def test_unknown_row_action_and_modelview_download_are_404(client):
    login(client, "admin")
    token = page_token(client, "/cityview/add")
    chinese_page(client.post("/cityview/action_post", data={"action": "nope", "rowid": "4401", "csrf_token": token}),
                 404)
    chinese_page(client.get("/cityview/action/nope/4401"), 404)
    chinese_page(client.get("/cityview/download/x"), 404)
    chinese_page(client.get("/users/download/x"), 404)  # FAB's own views too


def test_sorting_a_list_by_a_relationship_is_refused(client):
    login(client, "admin")
    chinese_page(client.get("/enterpriseview/list/?_oc_EnterpriseView=city&_od_EnterpriseView=asc"), 400)
    chinese_page(client.get("/enterpriseview/list/?_oc_EnterpriseView=nope&_od_EnterpriseView=desc"), 400)
    assert client.get("/enterpriseview/list/?_oc_EnterpriseView=name&_od_EnterpriseView=asc").status_code == 200


@pytest.mark.parametrize("query", [
    "page_EnterpriseView=99999999999999999999",
    "page_EnterpriseView=-3",
    "page_EnterpriseView=abc",
    "psize_EnterpriseView=1000000000",
    "psize_EnterpriseView=0",
    "page_EnterpriseView=99999999999999999999&psize_EnterpriseView=1000000000",
])
def test_ui_list_pages_out_of_range_are_400(client, query):
    login(client, "admin")
    chinese_page(client.get(f"/enterpriseview/list/?{query}"), 400)


def test_ui_list_pages_in_range_still_work(client):
    login(client, "admin")
    assert client.get("/enterpriseview/list/?page_EnterpriseView=1&psize_EnterpriseView=25").status_code == 200
    assert client.get("/enterpriseview/list/?page_EnterpriseView=999999").status_code == 200  # past the end: empty


@pytest.mark.parametrize("q", [
    "(page:99999999999999999999,page_size:10)",
    "(page:0,page_size:1000000000)",
    "(page:-5,page_size:10)",
    "(page:0,page_size:0)",
    "(page:-1)",
])
def test_api_pages_out_of_range_are_400(api, q):
    response = api("ent_gz").get(f"/api/v1/filing/?q={q}")
    chinese_json(response, 400)


def test_api_plain_page_arguments_out_of_range_are_400(api):
    user = api("admin")
    chinese_json(user.get("/api/v1/trainee/?page=99999999999999999999"), 400)
    chinese_json(user.get("/api/v1/trainee/?page=-1"), 400)
    chinese_json(user.get("/api/v1/city/?page_size=1000000000"), 400)
    assert user.get("/api/v1/trainee/?page=0&page_size=100").status_code == 200


@pytest.mark.parametrize("method,path", [
    ("get", "/api/v1/filing/99999999999999999999"),
    ("put", "/api/v1/filing/99999999999999999999"),
    ("delete", "/api/v1/filing/99999999999999999999"),
    ("get", "/api/v1/trainee/9223372036854775808"),
    ("post", "/api/v1/filing/99999999999999999999/submit"),
    ("get", "/api/v1/attachment/99999999999999999999/content"),
])
def test_api_ids_beyond_integer_are_404(api, method, path):
    response = getattr(api("ent_gz"), method)(path, json={"contact_name": "张三"})
    chinese_json(response, 404)


@pytest.mark.parametrize("path", ["/enterpriseview/show/99999999999999999999", "/cityview/edit/99999999999999999999",
                                  "/users/show/99999999999999999999"])
def test_ui_ids_beyond_integer_are_404(client, path):
    login(client, "admin")
    chinese_page(client.get(path), 404)


def test_numbers_no_column_can_hold_are_4xx(app, api):
    """1e400 (parsed as infinity), integers beyond 64 bits, also nested, and in a multipart id field."""
    pk = make_filing(app)
    user = api("ent_gz")
    field_error(user.put(f"/api/v1/filing/{pk}", data='{"contact_name": 1e400}', content_type="application/json"),
                "contact_name", "超出范围")
    field_error(user.post("/api/v1/training_class/", data='{"filing_id": %d, "hours": 1e400}' % pk,
                          content_type="application/json"), "hours", "超出范围")
    field_error(user.post("/api/v1/training_class/", json={"filing_id": pk, "hours": 10**30}), "hours", "超出范围")
    field_error(user.post("/api/v1/teacher/", json={"filing_id": 10**20, "name": "张三"}), "filing_id", "超出范围")
    field_error(user.post("/api/v1/training_class/", json={"filing_id": pk, "hours": 2**40}), "hours", "不能大于")
    upload = user.post("/api/v1/attachment/", data={"filing_id": "99999999999999999999", "kind": "OTHER",
                                                    "file": (io.BytesIO(PDF_BYTES), "a.pdf")},
                       content_type="multipart/form-data")
    assert 400 <= upload.status_code < 500 and CJK.search(upload.get_json()["message"]), upload.get_json()


@pytest.mark.parametrize("body", ["[" * 50000 + "]" * 50000, '{"a":' * 50000 + "1" + "}" * 50000,
                                  '{"contact_name": ' + "[" * 40 + "]" * 40 + "}"])
@pytest.mark.parametrize("target", ["filing_put", "trainee_post", "submit"])
def test_deeply_nested_json_is_400(app, api, body, target):
    pk = make_filing(app)
    user = api("ent_gz")
    path, method = {"filing_put": (f"/api/v1/filing/{pk}", user.put), "trainee_post": ("/api/v1/trainee/", user.post),
                    "submit": (f"/api/v1/filing/{pk}/submit", user.post)}[target]
    assert "嵌套" in chinese_json(method(path, data=body, content_type="application/json"), 400)["message"]


def test_upload_over_the_size_limit_is_413_json(app, api, monkeypatch):
    """Before: werkzeug's 413 inside FAB's @safe became 500 "Fatal error"."""
    pk = make_filing(app)
    user = api("ent_gz")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200_000)
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100_000)
    big = PDF_BYTES + b"0" * 300_000
    response = user.post("/api/v1/attachment/", data={"filing_id": str(pk), "kind": "OTHER",
                                                      "file": (io.BytesIO(big), "big.pdf")},
                         content_type="multipart/form-data")
    assert "大小上限" in chinese_json(response, 413)["message"]
    middle = PDF_BYTES + b"0" * 150_000  # over UPLOAD_MAX_BYTES, under MAX_CONTENT_LENGTH: the rule refuses it
    response = user.post("/api/v1/attachment/", data={"filing_id": str(pk), "kind": "OTHER",
                                                      "file": (io.BytesIO(middle), "mid.pdf")},
                         content_type="multipart/form-data")
    assert "大小上限" in field_error(response, "file", "大小上限")["message"]


def test_nul_characters_are_refused_in_json_and_forms(app, api, client):
    """PostgreSQL cannot store NUL: before, a JSON body or form with one answered 500 there."""
    pk = make_filing(app)
    user = api("ent_gz")
    field_error(user.put(f"/api/v1/filing/{pk}", json={"contact_name": "张\u0000三"}), "contact_name", "不能包含空字符")
    field_error(user.post("/api/v1/trainee/", json={"filing_id": pk, "name": "张\u0000三"}), "name", "不能包含空字符")
    field_error(api("admin").post("/api/v1/city/", json={"code": "4499", "name": "测\u0000试"}), "name", "不能包含空字符")
    login(client, "admin")
    token = page_token(client, "/cityview/add")
    chinese_page(client.post("/cityview/add", data={"code": "4499", "name": "测\u0000试", "sort_order": "99",
                                                    "csrf_token": token}), 400)
    chinese_page(client.get("/enterpriseview/list/?_flt_0_name=a%00b"), 400)
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM city WHERE code = '4499'")).scalar() == 0


def test_cleaner_refuses_nul_with_the_field_label(app):
    from core.cleaning import Cleaner
    from core.errors import ValidationFailed

    with app.test_request_context():
        clean = Cleaner({"name": "张\x00三"})
        clean.text("name", "姓名", required=True)
        with pytest.raises(ValidationFailed) as refused:
            clean.finish()
    assert str(refused.value.errors[0].message) == "姓名不能包含空字符"


def _template_with_formula(api_user, filing_id, mutate) -> bytes:
    """The trainee template with one complete row and one whose 联系电话 is a formula without a cached value,
    its sheet XML then changed by ``mutate``."""
    template = api_user.get(f"/api/v1/filing/{filing_id}/import/trainee/template").data
    book = openpyxl.load_workbook(io.BytesIO(template))
    sheet = book.worksheets[0]
    headers = {str(c.value).lstrip("*"): c.column for c in sheet[1] if c.value}
    rows = [{"姓名": "张三", "身份证号码": factories.id_number(), "联系电话": "13800138000", "文化程度": "高中",
             "劳动合同开始日期": "2026-01-01", "劳动合同结束日期": "2028-12-31", "入职日期": "2026-01-01"},
            {"姓名": "李四", "身份证号码": factories.id_number(female=True), "联系电话": "=1+1", "文化程度": "高中",
             "劳动合同开始日期": "2026-01-01", "劳动合同结束日期": "2028-12-31", "入职日期": "2026-01-01"}]
    for r, row in enumerate(rows, start=2):
        for header, value in row.items():
            sheet.cell(row=r, column=headers[header], value=value)
    raw = io.BytesIO()
    book.save(raw)
    source = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>" in data
                data = mutate(data)
            target.writestr(info.filename, data)
    return out.getvalue()


def test_malformed_sheet_xml_is_a_damaged_file_not_a_500(app, api):
    pk = make_filing(app, trainees=0)
    user = api("ent_gz")

    def entity(data: bytes) -> bytes:
        return data.replace(b"<sheetData>", b"<sheetData>&foo;", 1)

    content = _template_with_formula(user, pk, entity)
    response = user.post(f"/api/v1/filing/{pk}/import/trainee?dry_run=1",
                         data={"file": (io.BytesIO(content), "entity.xlsx")}, content_type="multipart/form-data")
    assert "已损坏" in field_error(response, "file", "已损坏")["message"]


def test_lowercase_cell_references_are_read(app, api):
    """Some generators write ``r="a1"``: before, the formula scan crashed on them (AttributeError → 500)."""
    pk = make_filing(app, trainees=0)
    user = api("ent_gz")

    def lowercase(data: bytes) -> bytes:
        return re.sub(rb' r="([A-Z]+)([0-9]+)"', lambda m: b' r="' + m.group(1).lower() + m.group(2) + b'"', data)

    content = _template_with_formula(user, pk, lowercase)
    response = user.post(f"/api/v1/filing/{pk}/import/trainee?dry_run=1",
                         data={"file": (io.BytesIO(content), "lower.xlsx")}, content_type="multipart/form-data")
    body = chinese_json(response, 422)
    assert [(e.get("row"), e.get("field")) for e in body["errors"]] == [(3, "phone")], body
    assert "公式" in body["errors"][0]["message"]


def test_attachment_names_with_control_characters_download_cleanly(app, api):
    """A file name with CR, LF, NUL and DEL (sent RFC 5987-encoded, as werkzeug decodes it) is stored without them
    and comes back in a clean Content-Disposition."""
    pk = make_filing(app)
    user = api("ent_gz")
    boundary = "hardening-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"filing_id\"\r\n\r\n{pk}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nOTHER\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename*=UTF-8''a%0D%0AContent-Type%3A%20text%2Fhtml%00b%7F.pdf\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + PDF_BYTES + f"\r\n--{boundary}--\r\n".encode()
    created = user.post("/api/v1/attachment/", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert created.status_code == 201, created.get_data(as_text=True)
    name = created.get_json()["result"]["file_name"]
    assert not re.search(r"[\x00-\x1f\x7f]", name) and name.endswith(".pdf"), name
    download = user.get(f"/api/v1/attachment/{created.get_json()['id']}/content")
    assert download.status_code == 200 and download.data == PDF_BYTES
    disposition = download.headers["Content-Disposition"]
    assert not re.search(r"[\x00-\x1f\x7f]", disposition) and ".pdf" in disposition, disposition
    assert len(download.headers.getlist("Content-Type")) == 1


# ---- 3. wrong JSON types -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [123, 1.5, [], ["张三"], True, {}, {"a": 1}])
def test_non_text_json_values_for_text_fields_are_422(app, api, value):
    pk = make_filing(app)
    user = api("ent_gz")
    field_error(user.put(f"/api/v1/filing/{pk}", json={"contact_name": value}), "contact_name", "应为文本")
    field_error(user.post("/api/v1/trainee/", json={"filing_id": pk, "name": value,
                                                    "id_number": factories.id_number(birth="19990101")}),
                "name", "应为文本")


@pytest.mark.parametrize("value", [True, False, [], {}, "abc", "1.5", 1.5])
def test_non_integer_json_values_for_integer_fields_are_422(app, api, value):
    pk = make_filing(app)
    field_error(api("ent_gz").post("/api/v1/training_class/", json={"filing_id": pk, "hours": value}), "hours",
                "应为整数")


def test_booleans_are_no_codes_or_levels(app, api):
    """Before: ``true`` was read as 1 (skill level 1 = 一级/高级技师)."""
    pk = make_filing(app)
    user = api("ent_gz")
    field_error(user.post("/api/v1/training_class/", json={"filing_id": pk, "skill_level": True}),
                "skill_level", "应为整数")
    field_error(user.post("/api/v1/trainee/", json={"filing_id": pk, "education": True}), "education",
                "不在可选范围内")


# ---- 4. error bodies do not echo huge values -----------------------------------------------------------------

def test_error_bodies_truncate_echoed_values(app, api):
    pk = make_filing(app)
    response = api("ent_gz").put(f"/api/v1/filing/{pk}", json={"contact_name": "长" * 1_000_000})
    item = field_error(response, "contact_name", "不能超过")
    assert len(item["value"]) == 201 and item["value"].endswith("…")
    assert len(response.data) < 5_000


def test_field_error_echo_rules():
    from core.errors import MAX_ECHOED_VALUE, FieldError

    assert FieldError("a", "m", "x" * 1000).as_dict()["value"] == "x" * MAX_ECHOED_VALUE + "…"
    assert FieldError("a", "m", 42).as_dict()["value"] == 42
    assert FieldError("a", "m", 10**30).as_dict()["value"] == str(10**30)
    assert FieldError("a", "m", float("inf")).as_dict()["value"] == "inf"
    assert FieldError("a", "m", [1] * 1000).as_dict()["value"].endswith("…")


# ---- 5. JWT errors, registry 403s, logout, impossible dates --------------------------------------------------

def test_tampered_expired_or_missing_jwt_is_401_in_chinese(app, client):
    token = api_token(client, "ent_gz")
    payload = token.split(".")
    tampered = ".".join([payload[0], payload[1], payload[2][:-4] + ("AAAA" if payload[2][-4:] != "AAAA" else "BBBB")])
    with app.app_context():
        from flask_jwt_extended import create_access_token

        from models.security import AppUser

        user = db.session.scalars(db.select(AppUser).filter_by(username="ent_gz")).one()
        expired = create_access_token(identity=str(user.id), expires_delta=timedelta(seconds=-10))
        db.session.remove()
    for headers in ({"Authorization": f"Bearer {tampered}"}, {"Authorization": f"Bearer {expired}"},
                    {"Authorization": "Bearer not.a.token"}, {}):
        response = client.get("/api/v1/filing/", headers=headers)
        body = chinese_json(response, 401)
        assert "msg" not in body and "Signature" not in response.get_data(as_text=True), headers


def test_registry_api_refusals_are_chinese(api):
    for username, method, path, body in (("ent_gz", "post", "/api/v1/city/", {"code": "4499", "name": "测试"}),
                                         ("gz_reviewer", "delete", "/api/v1/occupation/1", None),
                                         ("ent_sz", "put", "/api/v1/skill_level/5", {"name": "x"})):
        response = getattr(api(username), method)(path, json=body)
        assert chinese_json(response, 403)["message"] != "Forbidden"
    response = api("admin").get("/api/v1/city/?q=(filters:!((col:nope,opr:eq,value:1)))")
    assert response.status_code == 400 and CJK.search(response.get_json()["message"])


def test_logout_only_by_post_with_the_csrf_token(client):
    login(client, "ent_gz")
    home = client.get("/").get_data(as_text=True)
    form = re.search(r'<form id="logout-form" method="post" action="/logout/".*?</form>', home, re.S)
    assert form and 'name="csrf_token"' in form.group(0)
    confirm = client.get("/logout/")
    assert confirm.status_code == 200 and "确定要退出当前账号吗" in confirm.get_data(as_text=True)
    assert client.get("/api/v1/filing/").status_code == 200  # GET did not log out
    chinese_page(client.post("/logout/"), 400)  # no CSRF token (a cross-site form)
    assert client.get("/api/v1/filing/").status_code == 200
    done = client.post("/logout/", data={"csrf_token": page_token(client)})
    assert done.status_code == 302
    assert client.get("/api/v1/filing/").status_code == 401
    assert client.get("/logout/").status_code == 302  # nothing to confirm when logged out


@pytest.mark.parametrize("day", ["2026-02-29", "2026/4/31", "2027年2月29日"])
def test_a_date_that_does_not_exist_is_named_so(app, api, day):
    pk = make_filing(app)
    item = field_error(api("ent_gz").post("/api/v1/training_class/", json={"filing_id": pk, "start_date": day}),
                       "start_date", "不存在")
    assert "格式不正确" not in item["message"]
    assert f"日期 {day} 不存在" in item["message"]


# ---- 6. ids of deleted rows are never reused ------------------------------------------------------------------

def test_deleted_filing_id_is_not_reused(app, api):
    """Before (SQLite without AUTOINCREMENT): the next filing got the id of the deleted newest one, so its audit
    events mixed with the deleted filing's."""
    user = api("ent_gz")
    body = {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": True}
    newest = user.post("/api/v1/filing/", json=body).get_json()["id"]
    assert user.delete(f"/api/v1/filing/{newest}").status_code == 200
    again = user.post("/api/v1/filing/", json=body)
    assert again.status_code == 201 and again.get_json()["id"] > newest
    new_id = again.get_json()["id"]
    events = user.get(f"/api/v1/audit_event/?q=(filters:!((col:entity,opr:eq,value:filing),"
                      f"(col:entity_id,opr:eq,value:{new_id})))")
    assert events.status_code == 200, events.get_data(as_text=True)
    assert [e["action"] for e in events.get_json()["result"]] == ["create"], events.get_json()["result"]


def test_filing_tables_never_reuse_ids(app):
    """SQLite: the tables are declared AUTOINCREMENT; PostgreSQL: their ids come from sequences."""
    with app.app_context():
        for table in ("filing", "training_class", "teacher", "trainee", "course", "attachment"):
            if db.engine.dialect.name == "sqlite":
                sql = db.session.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"),
                                         {"n": table}).scalar()
                assert "AUTOINCREMENT" in sql, table
            else:
                sequence = db.session.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
                assert sequence, table
        db.session.remove()


# ---- 7. export temp files ------------------------------------------------------------------------------------

def test_stale_export_files_are_removed_at_start(app):
    from services.trainee_export import export_dir, remove_stale_exports

    with app.app_context():
        directory = export_dir()
    assert os.stat(directory).st_mode & 0o777 == 0o700
    stale, fresh = directory / "trainees-stale-test.xlsx", directory / "trainees-fresh-test.xlsx"
    for path in (stale, fresh):
        path.write_bytes(b"PK leftover with names and ID numbers")
    hour_ago = time.time() - 3700
    os.utime(stale, (hour_ago, hour_ago))
    try:
        assert remove_stale_exports(app) >= 1
        assert not stale.exists() and fresh.exists()
    finally:
        fresh.unlink(missing_ok=True)


def test_exports_write_only_under_the_app_export_directory(app, api, monkeypatch, tmp_path):
    """Before: tempfile.mkstemp() in the system temp directory (a kill -9 left names and ID numbers there)."""
    from services import trainee_export

    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    used: list[tuple[str, str]] = []
    real_mkstemp = tempfile.mkstemp

    def spy(*args, **kwargs):
        handle, path = real_mkstemp(*args, **kwargs)
        used.append((str(kwargs.get("dir")), path))
        return handle, path

    monkeypatch.setattr(tempfile, "mkstemp", spy)
    response = api("ent_gz").get("/api/v1/trainee/export.xlsx")
    assert response.status_code == 200 and response.data.startswith(b"PK")
    with app.app_context():
        directory = str(trainee_export.export_dir())
    assert used and {d for d, _p in used} == {directory}, used
    assert list(system_tmp.iterdir()) == []
    assert not [path for _d, path in used if os.path.exists(path)]  # the workbook is gone once downloaded


def test_info_never_shows_the_catalog_header(app, api):
    """``_info`` of a field without a description: "" — not the translation catalog's header (FAB translates "")."""
    body = api("ent_gz").get("/api/v1/trainee/_info").get_data(as_text=True)
    assert "Project-Id-Version" not in body and "POT-Creation-Date" not in body


def test_formulas_never_reach_templates_and_error_workbooks(app, client):
    """Formula injection (= + - @) neutralised in the import template's option lists (a teacher named "=1+1" from
    data) and in the annotated error workbook rebuilt from an upload (a typed "=cmd|..." stays text)."""
    import io as _io

    import openpyxl

    from core.cells import neutralise
    from imports import annotate, reader
    from actions.specs import import_columns
    from models.base import db
    from tests import factories
    from tests.conftest import login

    assert neutralise("=1+1") == "'=1+1" and neutralise("@x") == "'@x" and neutralise("安全") == "安全"
    assert neutralise(5) == 5
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        filing.teachers[0].name = "=1+1"
        db.session.commit()
        filing_id = filing.id
    login(client, "ent_gz")
    template = client.get(f"/filing/{filing_id}/import/course/template")
    book = openpyxl.load_workbook(_io.BytesIO(template.data))
    values = [c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value]
    assert "'=1+1" in values and not any(isinstance(v, str) and v.startswith("=") for v in values)

    upload = openpyxl.Workbook()
    sheet = upload.active
    sheet.append(["姓名", "身份证号码", "联系电话", "文化程度", "劳动合同开始日期", "劳动合同结束日期", "入职日期"])
    sheet.append(["x", "123", "1", "本科", "2026-01-01", "2028-12-31", "2026-01-01"])
    sheet["A2"].value = "=cmd|' /C calc'!A0"
    sheet["A2"].data_type = "s"  # a text cell that starts with "=" (typed into a text-formatted column)
    out = _io.BytesIO()
    upload.save(out)
    parsed = reader.read_workbook(out.getvalue(), "a.xlsx", import_columns("trainee", "NEW_APPRENTICE"),
                                  max_rows=100, max_bytes=10**7, max_uncompressed=10**8)
    assert parsed.rows[0].cells[0] == "=cmd|' /C calc'!A0"
    annotated = annotate._rebuild(parsed)[1]
    cells = [c.value for row in annotated.iter_rows() for c in row if c.value]
    assert "'=cmd|' /C calc'!A0" in cells and not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_every_api_refuses_in_chinese(api):
    """The PDF, Excel import and export APIs (built on FAB's BaseApi) refuse in Chinese too (was "Forbidden")."""
    for url in ("/api/v1/filing/1/form.pdf", "/api/v1/trainee/export.xlsx"):
        response = api("admin").get(url) if "export" not in url else api("ent_gz").get(url + "?x=1")
        if response.status_code in (401, 403, 404):
            assert "Forbidden" not in response.get_data(as_text=True) and "Not found" not in response.get_data(
                as_text=True)
    refused = api("gz_reviewer").post("/api/v1/filing/1/import/trainee")
    assert refused.status_code in (403, 404) and "Forbidden" not in refused.get_data(as_text=True)

"""First accounts in the 单位 import (issue 14): a row with 登录账号 / 账号邮箱 creates its enterprise's first 企业用户
account (``actions.account_admin.create_first_accounts``) — at the action level (admin, a city reviewer, every
refusal named by row and column with the whole file refused, a dry run creating nothing, the checks set-based),
on the screen (the one-time passwords shown once, not cached), over the API (``accounts``) and in Chromium.

Headers as the 下载模板 has them; files made by openpyxl (helpers of tests/test_registry_imports.py).
"""
from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import event, func, select

from actions.account_admin import FirstAccount, create_first_accounts
from core.errors import ValidationFailed
from models.audit import AuditEvent
from models.base import db
from models.enterprise import Enterprise
from models.enums import RoleName
from models.security import AppUser
from tests import factories
from tests.conftest import browser_login, choose_file, login, screenshot
from tests.test_registry_imports import ENT_HEADERS, book, located, messages, run, token, upload, uscc

HEADERS = ENT_HEADERS + ["登录账号", "账号邮箱"]
OTP_CELL = re.compile(r'<code class="account-password">([^<]+)</code>')


def counts(app) -> tuple[int, int]:
    """(enterprises, accounts) stored now."""
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(Enterprise)),
                db.session.scalar(select(func.count()).select_from(AppUser)))


def account(app, username: str):
    with app.app_context():
        user = db.session.scalars(select(AppUser).where(AppUser.username == username)).first()
        if user is None:
            return None
        return {"enterprise": user.enterprise.uscc if user.enterprise else None, "last_name": user.last_name,
                "first_name": user.first_name, "email": user.email, "active": user.active,
                "must_change_password": user.must_change_password, "roles": {r.name for r in user.roles},
                "id": user.id}


def email_of(app, username: str) -> str:
    with app.app_context():
        return db.session.scalar(select(AppUser.email).where(AppUser.username == username))


# ---- the action ---------------------------------------------------------------------------------------------

def test_admin_import_creates_two_enterprises_with_their_first_accounts(app):
    first, second, third = uscc(), uscc("440300"), uscc()
    rows = [[first, "首账号甲公司", "广州市", None, "欧阳明", None, "fa_first01", "fa1@example.cn"],
            [second, "首账号乙公司", "深圳市", None, None, None, "fa_second02", "FA2@example.cn"],
            [third, "无账号丙公司", "广州市", None, "王五", None, None, None]]
    result = run(app, "enterprise", book(HEADERS, rows))
    assert not isinstance(result, Exception), messages(result)
    assert (result.created, len(result.accounts)) == (3, 2)
    by_name = {a["username"]: a for a in result.accounts}
    assert set(by_name) == {"fa_first01", "fa_second02"}
    assert all(len(a["one_time_password"]) == 12 for a in result.accounts)
    one = account(app, "fa_first01")
    two = account(app, "fa_second02")
    assert (one["enterprise"], one["last_name"], one["first_name"], one["email"]) == (first, "欧", "阳明",
                                                                                      "fa1@example.cn")
    assert (two["enterprise"], two["last_name"], two["first_name"]) == (second, "f", "a_second02")  # no 联系人
    for user in (one, two):
        assert user["active"] and user["must_change_password"] and user["roles"] == {RoleName.ENTERPRISE}
    assert by_name["fa_first01"]["enterprise_id"] != by_name["fa_second02"]["enterprise_id"]
    with app.app_context():  # one create event per account, filed under its enterprise's city; no password anywhere
        events = {e.entity_id: e for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "ab_user", AuditEvent.entity_id.in_([one["id"], two["id"]])))}
        assert {e.action for e in events.values()} == {"create"} and len(events) == 2
        assert (events[one["id"]].city_code, events[two["id"]].city_code) == ("4401", "4403")
        assert events[one["id"]].diff["changes"]["username"] == [None, "fa_first01"]
        texts = [str(e.diff) for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(10))]
    for password in (a["one_time_password"] for a in result.accounts):
        assert all(password not in text for text in texts)
    # the one-time password logs in once, straight to 修改密码
    client = app.test_client()
    answer = login(client, "fa_first01", by_name["fa_first01"]["one_time_password"])
    assert answer.status_code == 302 and "/login/" not in answer.headers["Location"]
    assert "/resetmypassword/form" in client.get("/").headers["Location"]


def test_reviewer_imports_its_city_with_accounts_and_not_for_an_enterprise_that_has_one(app):
    own = uscc()
    result = run(app, "enterprise", book(HEADERS, [[own, "审核员导入的单位", "广州市", None, "陈一", None,
                                                    "fa_reviewer01", "fa_r1@example.cn"]]), "gz_reviewer")
    assert not isinstance(result, Exception), messages(result)
    assert account(app, "fa_reviewer01")["enterprise"] == own
    with app.app_context():
        ent_gz = factories.demo_enterprise("ent_gz")  # already has its account ent_gz
        existing = (ent_gz.uscc, ent_gz.name)
    before = counts(app)
    error = run(app, "enterprise", book(HEADERS, [[existing[0], existing[1], "广州市", None, None, None,
                                                   "fa_second_of_gz", "fa_g2@example.cn"]]), "gz_reviewer")
    assert isinstance(error, ValidationFailed) and located(error) == {(2, "登录账号")}, error
    assert "已有账号" in messages(error) and existing[1] in messages(error)
    assert counts(app) == before and account(app, "fa_second_of_gz") is None


def test_account_problems_refuse_the_whole_file_named_by_row_and_column(app):
    admin_email = email_of(app, "admin")
    with app.app_context():
        has_account = factories.demo_enterprise("ent_sz").uscc
    rows = [[uscc(), "好的单位", "广州市", None, None, None, "fa_good01", "fa_good@example.cn"],  # 2: fine alone
            [uscc(), "重名甲", "广州市", None, None, None, "fa_twice", "fa_t1@example.cn"],  # 3 ┐ same username
            [uscc(), "重名乙", "广州市", None, None, None, "FA_Twice", "fa_t2@example.cn"],  # 4 ┘ (any case)
            [uscc(), "占用账号", "广州市", None, None, None, "gz_reviewer", "fa_t3@example.cn"],  # 5: taken
            [uscc(), "占用邮箱", "广州市", None, None, None, "fa_mail", admin_email.upper()],  # 6: e-mail taken
            [has_account, "深圳示范单位", "深圳市", None, None, None, "fa_more", "fa_t4@example.cn"],  # 7: has one
            [uscc(), "缺邮箱", "广州市", None, None, None, "fa_nomail", None],  # 8: e-mail missing
            [uscc(), "重邮箱甲", "广州市", None, None, None, "fa_m1", "fa_same@example.cn"],  # 9  ┐ same e-mail
            [uscc(), "重邮箱乙", "广州市", None, None, None, "fa_m2", "fa_same@example.cn"],  # 10 ┘
            [uscc(), "坏账号", "广州市", None, None, None, "-坏账号", "fa_t5@example.cn"]]  # 11: bad username
    before = counts(app)
    error = run(app, "enterprise", book(HEADERS, rows))
    assert isinstance(error, ValidationFailed), error
    assert located(error) == {(3, "登录账号"), (4, "登录账号"), (5, "登录账号"), (6, "账号邮箱"), (7, "登录账号"),
                              (8, "账号邮箱"), (9, "账号邮箱"), (10, "账号邮箱"), (11, "登录账号")}, messages(error)
    text = messages(error)
    assert "第 3、4 行" in text and "第 9、10 行" in text and "“gz_reviewer”已被其他账号使用" in text
    assert "未导入任何数据" in str(error.message)
    assert counts(app) == before  # no enterprise, no account — not even row 2's
    assert account(app, "fa_good01") is None


def test_dry_run_checks_and_creates_nothing(app):
    before = counts(app)
    good = book(HEADERS, [[uscc(), "检查用单位", "广州市", None, "赵六", None, "fa_dry01", "fa_dry@example.cn"]])
    result = run(app, "enterprise", good, dry_run=True)
    assert not isinstance(result, Exception), messages(result)
    assert result.created == 1 and result.accounts == []
    assert counts(app) == before and account(app, "fa_dry01") is None
    taken = book(HEADERS, [[uscc(), "检查用单位", "广州市", None, None, None, "admin", "fa_dry2@example.cn"]])
    error = run(app, "enterprise", taken, dry_run=True)
    assert isinstance(error, ValidationFailed) and located(error) == {(2, "登录账号")}


def test_the_checks_take_three_queries_however_many_rows(app):
    """One query for the usernames, one for the e-mails, one for the enterprises with an account (dry run)."""
    with app.test_request_context():
        # ids no account refers to (the query only asks which ones have an account); odd rows: new enterprises
        requests = [FirstAccount(row=n + 2, enterprise_id=None if n % 2 else 900_000 + n,
                                 enterprise_name=f"单位{n}", city_code="4401", username=f"fa_many{n}",
                                 email=f"fa_many{n}@example.cn", contact_name=None) for n in range(40)]
        admin = factories.actor("admin")
        statements: list[str] = []

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        engine = db.session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        app.config["IMPORT_MAX_ACCOUNTS"] = 40
        try:
            created = create_first_accounts(db.session, admin, requests, True)
        finally:
            event.remove(engine, "before_cursor_execute", count)
            app.config["IMPORT_MAX_ACCOUNTS"] = 20
        db.session.rollback()
    assert created == [] and len(statements) == 3, statements


def test_a_file_opens_a_bounded_number_of_accounts(app):
    """Each account costs a slow password hash: more than IMPORT_MAX_ACCOUNTS (20) in one file are refused before
    any hashing, naming the first row over the limit; nothing is stored."""
    before = counts(app)
    rows = [[uscc(), f"批量单位{n}", "广州市", None, "赵六", None, f"fa_cap{n}", f"fa_cap{n}@example.cn"]
            for n in range(21)]
    error = run(app, "enterprise", book(HEADERS, rows))
    assert isinstance(error, ValidationFailed) and located(error) == {(22, "登录账号")}
    assert "最多开通 20 个账号" in messages(error)
    assert counts(app) == before


# ---- the screen and the API -----------------------------------------------------------------------------------

def test_screen_shows_the_passwords_once_and_not_cached(app, client):
    login(client, "admin")
    content = book(HEADERS, [[uscc(), "屏幕导入甲", "广州市", None, "孙七", None, "fa_screen01", "fa_s1@example.cn"],
                             [uscc(), "屏幕导入乙", "佛山市", None, None, None, "fa_screen02", "fa_s2@example.cn"]])
    checked = upload(client, "/registry/enterprise/import", content)
    html = checked.get_data(as_text=True)
    assert checked.status_code == 200 and "将新增 2 条" in html and "fa_screen01" in html
    assert account(app, "fa_screen01") is None
    payload = html.split('name="content" value="')[1].split('"')[0]
    done = client.post("/registry/enterprise/import", data={"csrf_token": token(client), "action": "confirm",
                                                            "content": payload, "file_name": "单位.xlsx"})
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert "只显示这一次" in page and "屏幕导入甲" in page and "fa_screen02" in page and "创建账号 2 个" in page
    passwords = OTP_CELL.findall(page)
    assert len(passwords) == 2 and account(app, "fa_screen01")["must_change_password"]
    again = client.get("/registry/enterprise/import").get_data(as_text=True)
    assert all(p not in again for p in passwords) and "account-password" not in again


def test_api_answers_the_accounts_not_cached(app, api):
    admin = api("admin")
    code = uscc()
    content = book(HEADERS, [[code, "接口导入单位", "4401", None, None, None, "fa_api01", "fa_api@example.cn"]])
    checked = admin.post("/api/v1/enterprise/import?dry_run=1", data={"file": (io.BytesIO(content), "单位.xlsx")},
                         content_type="multipart/form-data")
    assert checked.status_code == 200 and "accounts" not in checked.get_json()
    done = admin.post("/api/v1/enterprise/import", data={"file": (io.BytesIO(content), "单位.xlsx")},
                      content_type="multipart/form-data")
    body = done.get_json()
    assert done.status_code == 201 and done.headers["Cache-Control"] == "no-store"
    (created,) = body["accounts"]
    with app.app_context():
        enterprise_id = db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == code))
    assert set(created) == {"username", "enterprise_id", "one_time_password"}
    assert (created["username"], created["enterprise_id"]) == ("fa_api01", enterprise_id)
    again = admin.post("/api/v1/enterprise/import", data={"file": (io.BytesIO(content), "单位.xlsx")},
                       content_type="multipart/form-data")  # the same file again: the enterprise has its account
    assert again.status_code == 422
    errors = again.get_json()["errors"]  # username and e-mail taken, and the enterprise has its account
    assert {(e["row"], e["column"]) for e in errors} == {(2, "登录账号"), (2, "账号邮箱")} and len(errors) == 3
    assert any("已有账号" in e["message"] for e in errors) and "one_time_password" not in again.get_data(as_text=True)


# ---- in the browser -----------------------------------------------------------------------------------------

@pytest.mark.browser
def test_admin_imports_enterprises_with_accounts_in_the_browser(app, page, tmp_path):
    """基础数据 → 导入单位: upload a file with two accounts, 检查, 确认导入, read the passwords; the first one logs
    in and must set its own password. Screenshots: test-artifacts/registry-accounts-*.png."""
    path = tmp_path / "单位.xlsx"
    path.write_bytes(book(HEADERS, [[uscc(), "浏览器导入甲", "广州市", None, "周八", None, "fa_web01",
                                     "fa_web1@example.cn"],
                                    [uscc(), "浏览器导入乙", "广州市", None, None, None, "fa_web02",
                                     "fa_web2@example.cn"]]))
    browser_login(page, "admin")
    page.goto("/registry/enterprise/import")
    choose_file(page, "#import-file", path)
    page.locator("#upload-submit").click()
    expect(page.locator("#preview-counts")).to_contain_text("将新增 2 条")
    page.locator("#confirm-import").click()
    expect(page.locator("h3")).to_contain_text("已创建 2 个单位账号")
    rows = page.locator("#import-accounts tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("浏览器导入甲")
    password = rows.first.locator(".account-password").inner_text().strip()
    screenshot(page, "registry-accounts-1-passwords")
    page.goto("/registry/enterprise/import")
    expect(page.locator("body")).not_to_contain_text(password)
    page.context.clear_cookies()
    page.goto("/login/")
    page.fill("#username", "fa_web01")
    page.fill("#password", password)
    page.locator("input[type=submit], button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/resetmypassword/form$"))
    screenshot(page, "registry-accounts-2-first-login")

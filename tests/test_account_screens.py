"""账号管理, 我的信息 and the 单位信息 form as a clerk reads them (issue 12): no FAB internals (``__None``, LDAP / OpenID
help texts, the public role 匿名访客 offered as a role, ``[企业用户]`` lists), 姓氏 before 名字, times in Asia/Shanghai
to the minute, the 地市 of a new enterprise chosen by the user (not preselected 广州). Browser screenshots of the
account list, show and add pages land in test-artifacts/."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models.base import db
from models.enterprise import Enterprise
from models.security import AppUser
from tests import factories
from tests.conftest import browser_login, csrf_token_from, login, screenshot

FAB_INTERNALS = ("__None", "LDAP", "OID", "OpenID", "匿名访客", "Write the user", "First Name", "Last Name")


def _user(username: str) -> AppUser:
    return db.session.scalars(select(AppUser).filter_by(username=username)).one()


def _roles() -> dict[str, int]:
    role_class = type(_user("admin").roles[0])
    return {r.name: r.id for r in db.session.scalars(select(role_class))}


def _select(page: str, name: str) -> str:
    match = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert match, f"no select {name}"
    return match.group(1)


def _no_internals(page: str) -> None:
    """None of FAB's internals shown (``__None`` is fine as the value of the empty choice, not as its text)."""
    for text in FAB_INTERNALS:
        assert (">__None" if text == "__None" else text) not in page, text


def test_account_list_reads_surname_first_and_role_names(app, client):
    login(client, "admin")
    page = client.get("/users/list/").get_data(as_text=True)
    header = page[page.index("<thead"):page.index("</thead>")]
    assert header.index("姓氏") < header.index("名字")
    _no_internals(page)
    assert "[企业用户]" not in page and "企业用户" in page and "地市审核员" in page


def test_account_show_times_in_shanghai_to_the_minute(app, client):
    with app.app_context():
        user = _user("gz_reviewer")
        user.last_login = datetime(2026, 3, 1, 16, 5, 7, 123456)  # stored naive UTC
        user.last_failed_login = datetime(2026, 3, 1, 15, 59, 1, 654321)
        pk = user.id
        db.session.commit()
    login(client, "admin")
    page = client.get(f"/users/show/{pk}").get_data(as_text=True)
    assert "2026-03-02 00:05" in page and "2026-03-01 23:59" in page
    assert "16:05" not in page and "123456" not in page and "654321" not in page
    assert page.index("姓氏") < page.index("名字")
    assert "重置密码" in page and "解除锁定" in page  # FAB hid 重置密码 from everybody (permission without can_)
    _no_internals(page)


def test_reset_password_button_leads_to_the_form(app, client):
    with app.app_context():
        pk = _user("ent_gz").id
    login(client, "admin")
    show = client.get(f"/users/show/{pk}").get_data(as_text=True)
    response = client.post(f"/users/action/resetpasswords/{pk}", data={"csrf_token": csrf_token_from(show)})
    assert response.status_code == 302 and f"/resetpassword/form?pk={pk}" in response.headers["Location"]


@pytest.mark.parametrize("url", ["/users/add", "edit"])
def test_account_forms_offer_what_a_clerk_needs(app, client, url):
    with app.app_context():
        pk = _user("gz_reviewer").id
    login(client, "admin")
    page = client.get(url if url.startswith("/") else f"/users/edit/{pk}").get_data(as_text=True)
    assert page.index('id="last_name"') < page.index('id="first_name"')
    _no_internals(page)
    roles = _select(page, "roles")
    assert "企业用户" in roles and "地市审核员" in roles and "省级管理员" in roles
    for name in ("enterprise", "city"):
        assert re.search(r'<option[^>]*value="__None"[^>]*>请选择</option>', _select(page, name))


def test_the_public_role_cannot_be_given(app, client):
    with app.app_context():
        public = _roles()["匿名访客"]
    login(client, "admin")
    form = client.get("/users/add").get_data(as_text=True)
    response = client.post("/users/add", data={
        "last_name": "测", "first_name": "试", "username": "visitor_role", "active": "y",
        "email": "visitor_role@test.invalid", "roles": str(public), "enterprise": "__None", "city": "__None",
        "password": "Visitor2026x", "conf_password": "Visitor2026x", "csrf_token": csrf_token_from(form)})
    assert response.status_code == 200  # the form again, with the error
    with app.app_context():
        assert db.session.scalars(select(AppUser).filter_by(username="visitor_role")).first() is None


def test_role_list_leaves_out_the_public_role(app, client):
    with app.app_context():
        public = _roles()["匿名访客"]
    login(client, "admin")
    page = client.get("/roles/list/").get_data(as_text=True)
    assert "匿名访客" not in page and "企业用户" in page
    assert client.get(f"/roles/show/{public}").status_code == 404


def test_my_information_and_its_form(app, client):
    login(client, "ent_gz")
    info = client.get("/users/userinfo/").get_data(as_text=True)
    assert "我的信息" in info and info.index("姓氏") < info.index("名字")
    assert "修改密码" in info and "编辑我的信息" in info  # FAB's buttons were hidden (permission without can_)
    _no_internals(info)
    form = client.get("/userinfoeditview/form").get_data(as_text=True)
    assert "编辑我的信息" in form and form.index('id="last_name"') < form.index('id="first_name"')
    _no_internals(form)
    response = client.post("/userinfoeditview/form", data={"last_name": "李", "first_name": "", "csrf_token":
                                                            csrf_token_from(form)})
    assert "请填写名字" in response.get_data(as_text=True)
    response = client.post("/userinfoeditview/form", data={"last_name": "李", "first_name": "小明", "csrf_token":
                                                            csrf_token_from(form)}, follow_redirects=True)
    assert "您的信息已保存" in response.get_data(as_text=True)
    with app.app_context():
        user = _user("ent_gz")
        assert (user.last_name, user.first_name) == ("李", "小明")


def test_new_enterprise_city_starts_empty_and_is_required(app, client):
    login(client, "admin")
    form = client.get("/enterpriseview/add").get_data(as_text=True)
    city = _select(form, "city")
    assert re.search(r'<option[^>]*value="__None"[^>]*>请选择</option>', city)
    selected = re.findall(r'<option(?=[^>]*\bselected\b)[^>]*value="([^"]*)"', city)
    assert selected == ["__None"], selected  # 广州 was preselected
    uscc = factories.uscc("440101", 987)
    data = {"uscc": uscc, "name": "未选地市的单位", "city": "__None", "csrf_token": csrf_token_from(form)}
    response = client.post("/enterpriseview/add", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "请选择地市" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.uscc == uscc)) == 0
    response = client.post("/enterpriseview/add", data={**data, "city": "4403"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Enterprise).where(Enterprise.uscc == uscc)).one().city_code == "4403"


# ---- browser ------------------------------------------------------------------------------------------------

@pytest.mark.browser
def test_account_screens_in_the_browser(app, page):
    with app.app_context():
        pk = _user("gz_reviewer").id
    browser_login(page, "admin")
    page.goto("/users/list/")
    headers = [h.strip() for h in page.locator("table thead th").all_inner_texts()]
    assert headers.index("姓氏") < headers.index("名字"), headers
    expect(page.locator("table tbody").last).not_to_contain_text("[")
    screenshot(page, "account-list")

    page.goto(f"/users/show/{pk}")
    expect(page.locator("body")).to_contain_text("地市审核员")
    expect(page.locator("text=重置密码")).to_be_visible()
    screenshot(page, "account-show")

    page.goto("/users/add")
    enterprise = page.locator("#select2-enterprise-container")
    expect(enterprise).to_have_text("请选择")
    expect(enterprise.locator(".select2-selection__placeholder")).to_be_visible()  # greyed, not a chosen value
    page.locator("#roles + .select2").click()
    options = page.locator(".select2-results__option").all_inner_texts()
    assert "企业用户" in options and "匿名访客" not in options, options
    page.keyboard.press("Escape")
    body = page.locator("body").inner_text()
    for text in FAB_INTERNALS:
        assert text not in body, text
    screenshot(page, "account-add")

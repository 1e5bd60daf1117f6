"""企业账号 / 开通账号 screens (issue 14, views/ui/accounts.py): the reviewer's list shows only its city's enterprise
accounts, FAB's raw user and role screens stay the admin's, the form creates an account and shows the one-time
password once (not cached), bad input comes back under its field with nothing created, 停用 / 启用 from the list."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from models.base import db
from models.enums import RoleName
from models.security import AppUser
from tests import factories
from tests.conftest import csrf_token_from, login

OTP = re.compile(r'id="one-time-password-value">([^<]+)</pre>')


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AppUser))


def _uscc(app, username: str) -> str:
    with app.app_context():
        return factories.demo_enterprise(username).uscc


def _usernames(html: str) -> list[str]:
    return re.findall(r'<td class="account-username">([^<]+)</td>', html)


def test_the_reviewers_list_shows_its_citys_enterprise_accounts_only(app, client):
    with app.app_context():
        gz2 = factories.enterprise("广州第二家", city="4401")
        factories.user("gz2_clerk", RoleName.ENTERPRISE, enterprise_id=gz2.id)
    login(client, "gz_reviewer")
    page = client.get("/accounts/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "企业账号" in html
    assert _usernames(html) == ["gz2_clerk", "ent_gz"]
    assert _usernames(client.get("/accounts/?q=第二家").get_data(as_text=True)) == ["gz2_clerk"]
    assert _usernames(client.get("/accounts/?state=inactive").get_data(as_text=True)) == []
    for fab_screen in ("/users/list/", "/roles/list/", "/users/add", "/users/show/1"):
        assert client.get(fab_screen).status_code == 403, fab_screen


def test_the_admins_list_shows_reviewers_and_enterprises(client):
    login(client, "admin")
    html = client.get("/accounts/").get_data(as_text=True)
    assert set(_usernames(html)) == {"ent_gz", "ent_sz", "gz_reviewer", "sz_reviewer"}
    assert _usernames(client.get("/accounts/?role=REVIEWER").get_data(as_text=True)) == ["sz_reviewer", "gz_reviewer"]


def test_an_enterprise_user_has_no_account_screen(client):
    login(client, "ent_gz")
    assert client.get("/accounts/").status_code == 403
    assert client.get("/accounts/new").status_code == 403


def _form(client) -> str:
    return csrf_token_from(client.get("/accounts/new").get_data(as_text=True))


def _post(client, **values):
    data = {"role": "ENTERPRISE", "username": "gz_clerk2", "last_name": "陈", "first_name": "一", "email":
            "gz_clerk2@example.cn", "enterprise_uscc": "", "city_code": "", "csrf_token": _form(client), **values}
    return client.post("/accounts/new", data=data)


def test_the_reviewer_opens_an_account_and_sees_the_password_once(app, client):
    login(client, "gz_reviewer")
    done = _post(client, enterprise_uscc=_uscc(app, "ent_gz").lower())
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "账号已开通" in html and "只显示这一次" in html
    assert done.headers["Cache-Control"] == "no-store"
    password = OTP.search(html).group(1)
    with app.app_context():
        user = db.session.scalars(select(AppUser).filter_by(username="gz_clerk2")).one()
        assert user.must_change_password and user.enterprise_id == factories.demo_enterprise("ent_gz").id
        assert {r.name for r in user.roles} == {RoleName.ENTERPRISE}
    listed = client.get("/accounts/").get_data(as_text=True)
    assert "gz_clerk2" in listed and "尚未修改一次性密码" in listed and password not in listed
    other = app.test_client()
    answer = login(other, "gz_clerk2", password)
    assert answer.status_code == 302 and "/login/" not in answer.headers["Location"]
    assert "/resetmypassword/form" in other.get("/").headers["Location"]


def test_another_citys_enterprise_reads_like_a_missing_one(app, client):
    before = _count(app)
    login(client, "gz_reviewer")
    answers = [_post(client, enterprise_uscc=code) for code in (_uscc(app, "ent_sz"), "91440101MA0000000X")]
    for answer, code in zip(answers, (_uscc(app, "ent_sz"), "91440101MA0000000X")):
        html = answer.get_data(as_text=True)
        assert answer.status_code == 422
        assert f'data-field="enterprise_uscc">本市没有统一社会信用代码为 {code} 的单位' in html
        assert 'value="gz_clerk2"' in html  # the input is kept
    assert _count(app) == before


def test_field_errors_are_shown_under_their_fields(app, client):
    before = _count(app)
    login(client, "gz_reviewer")
    answer = _post(client, enterprise_uscc=_uscc(app, "ent_gz"), username="ent_gz", email="bad")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert 'data-field="username">用户名“ent_gz”已被其他账号使用，请换一个' in html
    assert 'data-field="email">电子邮箱格式不正确' in html
    assert _count(app) == before


def test_a_reviewer_tampering_with_the_role_is_refused(app, client):
    before = _count(app)
    login(client, "gz_reviewer")
    assert _post(client, role="REVIEWER", city_code="4401").status_code == 403
    assert _count(app) == before


def test_the_admin_opens_a_reviewer_account(app, client):
    login(client, "admin")
    form = client.get("/accounts/new").get_data(as_text=True)
    assert 'name="city_code"' in form and "广州" in form
    missing_city = _post(client, role="REVIEWER", username="hz_reviewer", email="hz@example.cn")
    assert missing_city.status_code == 422 and "必须选择所属地市" in missing_city.get_data(as_text=True)
    done = _post(client, role="REVIEWER", city_code="4413", username="hz_reviewer", email="hz@example.cn")
    assert done.status_code == 200 and OTP.search(done.get_data(as_text=True))
    with app.app_context():
        user = db.session.scalars(select(AppUser).filter_by(username="hz_reviewer")).one()
        assert (user.city_code, [r.name for r in user.roles]) == ("4413", [RoleName.REVIEWER])


def test_deactivate_and_activate_from_the_list(app, client):
    with app.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username="ent_gz")).one()
    login(client, "gz_reviewer")
    page = client.get("/accounts/").get_data(as_text=True)
    assert f'action="/accounts/{pk}/deactivate"' in page and "确定停用账号“ent_gz”吗" in page
    assert client.post(f"/accounts/{pk}/deactivate").status_code == 400  # no CSRF token
    done = client.post(f"/accounts/{pk}/deactivate", data={"csrf_token": csrf_token_from(page)},
                       follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "已停用账号“ent_gz”" in html and f'action="/accounts/{pk}/activate"' in html
    again = client.post(f"/accounts/{pk}/deactivate", data={"csrf_token": csrf_token_from(page)},
                        follow_redirects=True)
    assert "该账号已是停用状态" in again.get_data(as_text=True)
    back = client.post(f"/accounts/{pk}/activate", data={"csrf_token": csrf_token_from(page)}, follow_redirects=True)
    assert "已重新启用账号“ent_gz”" in back.get_data(as_text=True)
    with app.app_context():
        sz = db.session.scalars(select(AppUser.id).filter_by(username="ent_sz")).one()
    assert client.post(f"/accounts/{sz}/deactivate", data={"csrf_token": csrf_token_from(page)}).status_code == 404

"""Changes of accounts by the admin are audited (who, when, before/after): granting a role leaves a trace, and so
do creating, deleting and resetting a password (never the password itself)."""
from __future__ import annotations

import re

from sqlalchemy import select

from models.audit import AuditEvent
from models.base import db
from models.security import AppUser
from tests.conftest import csrf_token_from, login


def _user(username: str) -> AppUser:
    return db.session.scalars(select(AppUser).filter_by(username=username)).one()


def _events(user_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "ab_user",
                                                            AuditEvent.entity_id == user_id)
                                   .order_by(AuditEvent.id)))


def test_granting_a_role_is_audited_with_before_and_after(app, client):
    with app.app_context():
        target = _user("ent_sz")
        target_id, enterprise_id = target.id, target.enterprise_id
        roles = {r.name: r.id for r in db.session.scalars(select(type(target.roles[0])))}
    login(client, "admin")
    page = client.get(f"/users/edit/{target_id}").get_data(as_text=True)
    assert 'name="roles"' in page
    data = {"first_name": "深圳", "last_name": "企业", "username": "ent_sz", "active": "y",
            "email": "ent_sz@example.com", "roles": [roles["企业用户"], roles["省级管理员"]],
            "enterprise": str(enterprise_id), "city": "", "csrf_token": csrf_token_from(page)}
    response = client.post(f"/users/edit/{target_id}", data=data)
    assert response.status_code == 302, re.findall(r'help-block[^>]*>([^<]+)', response.get_data(as_text=True))
    with app.app_context():
        event = _events(target_id)[-1]
        assert (event.action, event.actor_name, event.role) == ("update", "admin", "省级管理员")
        assert event.diff["changes"]["roles"] == [["企业用户"], ["企业用户", "省级管理员"]]


def test_password_reset_by_the_admin_is_audited_without_the_password(app, client):
    with app.app_context():
        target_id = _user("ent_gz").id
    login(client, "admin")
    form = client.get(f"/resetpassword/form?pk={target_id}").get_data(as_text=True)
    response = client.post(f"/resetpassword/form?pk={target_id}",
                           data={"password": "Newpass@2026x", "conf_password": "Newpass@2026x",
                                 "csrf_token": csrf_token_from(form)})
    assert response.status_code == 302
    with app.app_context():
        event = _events(target_id)[-1]
        assert (event.action, event.actor_name) == ("reset_password", "admin")
        assert "Newpass" not in str(event.diff) and "password" not in (event.diff or {})


import pytest  # noqa: E402


@pytest.mark.parametrize("password,message", [
    ("1", "至少 8 位"),
    ("abcdefgh", "字母和数字"),
    ("12345678", "字母和数字"),
    ("Ent_gz2026", "不能包含用户名"),
    ("Demo@2026", "不能与最近使用过的"),  # the current password
])
def test_password_policy_on_the_own_password_form(app, client, password, message):
    login(client, "ent_gz")
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    response = client.post("/resetmypassword/form", data={"password": password, "conf_password": password,
                                                          "csrf_token": csrf_token_from(form)})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    with app.app_context():
        assert not [e for e in _events(_user("ent_gz").id) if e.action == "change_password"]


def test_password_policy_accepts_a_good_password(app, client):
    login(client, "ent_gz")
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    ok = client.post("/resetmypassword/form", data={"password": "Good2026pass", "conf_password": "Good2026pass",
                                                    "csrf_token": csrf_token_from(form)})
    assert ok.status_code == 302
    with app.app_context():
        assert [e.action for e in _events(_user("ent_gz").id)][-1] == "change_password"


def test_password_policy_applies_to_admin_resets(app, client):
    with app.app_context():
        target_id = _user("ent_sz").id
    login(client, "admin")
    form = client.get(f"/resetpassword/form?pk={target_id}").get_data(as_text=True)
    bad = client.post(f"/resetpassword/form?pk={target_id}",
                      data={"password": "ent_sz12345", "conf_password": "ent_sz12345",
                            "csrf_token": csrf_token_from(form)})
    assert bad.status_code == 200 and "不能包含用户名" in bad.get_data(as_text=True)


def test_recent_passwords_cannot_be_reused(app, client):
    """Not reused: the current password and the previous ones (5 in all) are refused."""
    login(client, "ent_gz")
    for new in ("First2026pass", "Second2026pass"):
        form = client.get("/resetmypassword/form").get_data(as_text=True)
        assert client.post("/resetmypassword/form", data={"password": new, "conf_password": new,
                                                          "csrf_token": csrf_token_from(form)}).status_code == 302
    for old in ("First2026pass", "Demo@2026"):
        form = client.get("/resetmypassword/form").get_data(as_text=True)
        again = client.post("/resetmypassword/form", data={"password": old, "conf_password": old,
                                                           "csrf_token": csrf_token_from(form)})
        assert again.status_code == 200 and "最近使用过的 5 个密码" in again.get_data(as_text=True)


def test_logout_and_password_change_revoke_sessions_and_tokens(app, client):
    """A copied session cookie stops working after the user logs out; JWTs issued before a password change are
    refused (401) — a stolen cookie or token does not outlive the logout or the old password."""
    import time as _time

    from tests.conftest import DEMO_PASSWORD, api_token

    login(client, "ent_gz")
    thief = app.test_client()
    for cookie in client._cookies.values():
        thief.set_cookie(cookie.key, cookie.value, domain=cookie.domain or "localhost")
    assert thief.get("/filing/results/ENTERPRISE").status_code == 200  # the copy works while logged in
    _time.sleep(1.1)
    page = client.get("/logout/").get_data(as_text=True)
    assert client.post("/logout/", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert thief.get("/filing/results/ENTERPRISE").status_code == 302  # revoked: back to the login page

    token = api_token(app.test_client(), "ent_sz", DEMO_PASSWORD)
    headers = {"Authorization": f"Bearer {token}"}
    api_client = app.test_client()
    assert api_client.get("/api/v1/filing/", headers=headers).status_code == 200
    _time.sleep(1.1)
    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():
        target_id = _user("ent_sz").id
    form = admin.get(f"/resetpassword/form?pk={target_id}").get_data(as_text=True)
    assert admin.post(f"/resetpassword/form?pk={target_id}", data={
        "password": "Fresh2026pass", "conf_password": "Fresh2026pass", "csrf_token": csrf_token_from(form)}
    ).status_code == 302
    assert api_client.get("/api/v1/filing/", headers=headers).status_code == 401
    fresh = api_token(app.test_client(), "ent_sz", "Fresh2026pass")
    # the admin's reset password must first be replaced on 修改密码 (tests/test_password_self_service.py)
    assert api_client.get("/api/v1/filing/", headers={"Authorization": f"Bearer {fresh}"}).status_code == 401

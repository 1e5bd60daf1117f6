"""修改密码 for every user and the admin's 重置密码 with a forced change (issue 12 Med-High): the user menu links
the own-password form; after an admin reset the account opens nothing but that form (screens redirect, the API
refuses its JWTs) until the user has set a password of its own."""
from __future__ import annotations

from sqlalchemy import select

from models.base import db
from models.security import AppUser
from tests.conftest import api_token, csrf_token_from, login

NEW = "Reset2026pass"
OWN = "Mine2026pass"


def _reset_by_admin(client, username: str) -> None:
    with client.application.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username=username)).one()
    login(client, "admin")
    form = client.get(f"/resetpassword/form?pk={pk}").get_data(as_text=True)
    done = client.post(f"/resetpassword/form?pk={pk}", data={"password": NEW, "conf_password": NEW,
                                                            "csrf_token": csrf_token_from(form)})
    assert done.status_code == 302
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})


def test_every_user_menu_links_the_password_form(client):
    for username in ("ent_gz", "gz_reviewer", "admin"):
        login(client, username)
        html = client.get("/").get_data(as_text=True)
        assert 'id="change-password-link"' in html and "修改密码" in html and "我的信息" in html
        client.post("/logout/", data={"csrf_token": csrf_token_from(html)})


def test_after_an_admin_reset_the_user_must_change_the_password(client, app):
    _reset_by_admin(client, "ent_gz")
    with app.app_context():
        assert db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one().must_change_password
    login(client, "ent_gz", NEW)
    home = client.get("/")
    assert home.status_code == 302 and "/resetmypassword/form" in home.headers["Location"]
    assert client.get("/filing/results/ENTERPRISE").status_code == 302
    api = app.test_client()  # no browser session: a plain API client
    token = api_token(api, "ent_gz", NEW)
    assert api.get("/api/v1/filing/", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    form = client.get("/resetmypassword/form")
    assert form.status_code == 200 and "请先设置自己的新密码" in form.get_data(as_text=True)
    changed = client.post("/resetmypassword/form", data={"password": OWN, "conf_password": OWN,
                                                         "csrf_token": csrf_token_from(form.get_data(as_text=True))})
    assert changed.status_code == 302
    with app.app_context():
        assert not db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one().must_change_password
    assert client.get("/").status_code == 200
    token = api_token(api, "ent_gz", OWN)
    assert api.get("/api/v1/filing/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_both_password_forms_state_the_policy_they_check(client, app):
    """FAB's help text says the application does not check a password's strength; ours does and says how."""
    with app.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username="ent_gz")).one()
    login(client, "admin")
    for url in ("/resetmypassword/form", f"/resetpassword/form?pk={pk}"):
        html = client.get(url).get_data(as_text=True)
        assert "至少 8 位，须同时包含字母和数字，不能包含用户名" in html, url
        assert "不会替您检查" not in html and "does not check" not in html, url
    weak = client.post("/resetmypassword/form", data={"password": "abcdefgh", "conf_password": "abcdefgh",
                                                      "csrf_token": csrf_token_from(html)})
    assert weak.status_code == 200 and "字母和数字" in weak.get_data(as_text=True)
    client.get("/lang/en")
    english = client.get("/resetmypassword/form").get_data(as_text=True)
    assert "does not check" not in english and "at least 8" in english.lower()

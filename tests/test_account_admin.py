"""Account onboarding per city (issue 14, actions/account_admin.py): who creates which accounts (role × target role ×
own / other city), the one-time password (works once, then 修改密码 is forced), duplicates, the list scope, and
deactivation / reactivation (state × role × scope; the deactivated user's session and JWT refused at once). Every
change audited with before/after and never the password."""
from __future__ import annotations

import itertools
import json
import time

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from actions import account_admin as aa
from core.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from core.validators import password_problem
from models.audit import AuditEvent
from models.base import db
from models.enums import RoleName
from models.scope import Actor
from models.security import AppUser
from tests import factories
from tests.conftest import DEMO_PASSWORD, api_token, csrf_token_from, login


_emails = itertools.count(1)


def actor(username: str) -> Actor:
    return Actor.from_user(db.session.scalars(select(AppUser).filter_by(username=username)).one())


def user_id(username: str) -> int:
    return db.session.scalars(select(AppUser.id).filter_by(username=username)).one()


def enterprise_id(username: str) -> int:
    return db.session.scalars(select(AppUser.enterprise_id).filter_by(username=username)).one()


def new(by: str, username: str = "new_user", **fields):
    values = {"username": username, "first_name": "小明", "last_name": "王",
              "email": f"person{next(_emails)}@example.cn", **fields}
    return aa.create_account(db.session, actor(by), **values)


def events(entity_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "ab_user",
                                                            AuditEvent.entity_id == entity_id)
                                   .order_by(AuditEvent.id)))


# ---- create --------------------------------------------------------------------------------------------------

def test_the_admin_creates_a_city_reviewer_with_a_one_time_password(db_session):
    user, password = new("admin", "zh_reviewer", role="REVIEWER", city_code="4404")
    db.session.commit()
    assert {r.name for r in user.roles} == {RoleName.REVIEWER}
    assert (user.city_code, user.enterprise_id, user.active, user.must_change_password) == ("4404", None, True, True)
    assert password_problem(password, user.username) is None and len(password) >= 12
    assert user.password != password and check_password_hash(user.password, password)
    assert Actor.from_user(user).is_reviewer
    [event] = events(user.id)
    assert (event.action, event.actor_name, event.role, event.city_code) == ("create", "admin", RoleName.ADMIN, "4404")
    changes = event.diff["changes"]
    assert changes["username"] == [None, "zh_reviewer"] and changes["roles"] == [None, [RoleName.REVIEWER]]
    assert changes["city_code"] == [None, "4404"] and changes["active"] == [None, True]
    trail = json.dumps(event.diff, ensure_ascii=False)
    assert password not in trail and user.password not in trail  # never the password, nor its hash


def test_two_accounts_get_different_one_time_passwords(db_session):
    _, first = new("admin", "rev_a", role="REVIEWER", city_code="4401")
    _, second = new("admin", "rev_b", role="REVIEWER", city_code="4401")
    assert first != second


@pytest.mark.parametrize("by,target", [("admin", "ent_gz"), ("admin", "ent_sz"), ("gz_reviewer", "ent_gz"),
                                       ("sz_reviewer", "ent_sz")])
def test_enterprise_accounts_of_the_actors_scope(db_session, by, target):
    enterprise = enterprise_id(target)
    user, _ = new(by, "second_clerk", role="ENTERPRISE", enterprise_id=enterprise)
    assert {r.name for r in user.roles} == {RoleName.ENTERPRISE}
    assert (user.enterprise_id, user.city_code, user.must_change_password) == (enterprise, None, True)
    [event] = events(user.id)
    city = "4401" if target == "ent_gz" else "4403"
    assert (event.actor_name, event.enterprise_id, event.city_code) == (by, enterprise, city)


@pytest.mark.parametrize("by,target", [("gz_reviewer", "ent_sz"), ("sz_reviewer", "ent_gz")])
def test_a_reviewer_never_creates_an_account_for_another_citys_enterprise(db_session, by, target):
    with pytest.raises(NotFound):
        new(by, role="ENTERPRISE", enterprise_id=enterprise_id(target))
    with pytest.raises(NotFound):
        new(by, role="ENTERPRISE", enterprise_id=2_000_000_000)
    assert db.session.scalars(select(AppUser).filter_by(username="new_user")).first() is None


@pytest.mark.parametrize("role", ["REVIEWER", "ADMIN"])
def test_a_reviewer_never_creates_a_reviewer_or_admin_account(db_session, role):
    with pytest.raises(Forbidden):
        new("gz_reviewer", role=role, city_code="4401")


@pytest.mark.parametrize("by", ["ent_gz", "ent_sz"])
def test_an_enterprise_user_creates_no_account(db_session, by):
    with pytest.raises(Forbidden):
        new(by, role="ENTERPRISE", enterprise_id=enterprise_id(by))


@pytest.mark.parametrize("fields,field", [
    ({"role": "ADMIN", "city_code": "4401"}, "role"),
    ({"role": "SUPERUSER"}, "role"),
    ({"role": 7}, "role"),
    ({"role": "REVIEWER"}, "city_code"),
    ({"role": "REVIEWER", "city_code": "9999"}, "city_code"),
    ({"role": "REVIEWER", "city_code": ["4401"]}, "city_code"),
    ({"role": "REVIEWER", "city_code": "4401", "enterprise_id": 1}, "enterprise_id"),
    ({"role": "ENTERPRISE"}, "enterprise_id"),
    ({"role": "ENTERPRISE", "enterprise_id": "abc"}, "enterprise_id"),
    ({"role": "ENTERPRISE", "enterprise_id": True}, "enterprise_id"),
    ({"role": "ENTERPRISE", "enterprise_id": 1, "city_code": "4401"}, "city_code"),
])
def test_the_role_and_its_link_are_checked(db_session, fields, field):
    with pytest.raises(ValidationFailed) as caught:
        new("admin", **fields)
    assert [e.field for e in caught.value.errors] == [field]
    assert all("\u4e00" <= ch <= "\u9fff" for ch in str(caught.value.message)[:1])  # Chinese


@pytest.mark.parametrize("fields,field,message", [
    ({"username": "ENT_GZ"}, "username", "已被其他账号使用"),
    ({"username": " ent_gz "}, "username", "已被其他账号使用"),
    ({"username": "李四"}, "username", "只能由字母"),
    ({"username": "-dash"}, "username", "只能由字母"),
    ({"username": "x" * 65}, "username", "最多 64"),
    ({"username": ""}, "username", "请填写用户名"),
    ({"username": ["a"]}, "username", "应为文字"),
    ({"email": "ent_gz@test.invalid"}, "email", "已被其他账号使用"),
    ({"email": "not-an-address"}, "email", "格式不正确"),
    ({"first_name": "  "}, "first_name", "请填写名字"),
    ({"last_name": None}, "last_name", "请填写姓氏"),
])
def test_identity_fields_are_checked_and_named(db_session, fields, field, message):
    ent_gz = db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one()
    ent_gz.email = "ent_gz@test.invalid"
    db.session.flush()
    before = db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc()).limit(1))
    values = {"username": "fresh_one", "role": "ENTERPRISE", "enterprise_id": enterprise_id("ent_gz"), **fields}
    with pytest.raises(ValidationFailed) as caught:
        new("gz_reviewer", **values)
    assert [e.field for e in caught.value.errors] == [field]
    assert message in str(caught.value.errors[0].message)
    assert db.session.scalar(select(AppUser.id).order_by(AppUser.id.desc()).limit(1)) == before


def test_every_bad_field_is_reported_at_once(db_session):
    with pytest.raises(ValidationFailed) as caught:
        new("admin", username="", role="REVIEWER", city_code="4401", first_name="", last_name="", email="x")
    assert {e.field for e in caught.value.errors} == {"username", "first_name", "last_name", "email"}


def test_enterprise_for_uscc_stays_in_the_reviewers_city(db_session):
    gz = factories.demo_enterprise("ent_gz")
    sz = factories.demo_enterprise("ent_sz")
    assert aa.enterprise_for_uscc(db.session, actor("gz_reviewer"), gz.uscc.lower()) == gz.id
    assert aa.enterprise_for_uscc(db.session, actor("admin"), sz.uscc) == sz.id
    for code in (sz.uscc, "", None):
        with pytest.raises(ValidationFailed) as caught:
            aa.enterprise_for_uscc(db.session, actor("gz_reviewer"), code)
        assert caught.value.errors[0].field == "enterprise_uscc"


# ---- the list scope ------------------------------------------------------------------------------------------

def _managed(by: str) -> set[str]:
    return set(db.session.scalars(select(AppUser.username).where(aa.managed_accounts(actor(by)).whereclause)))


def test_the_list_scope(db_session):
    gz2 = factories.enterprise("广州第二家", city="4401")
    factories.user("gz2_clerk", RoleName.ENTERPRISE, enterprise_id=gz2.id)
    factories.user("second_admin", RoleName.ADMIN)
    assert _managed("gz_reviewer") == {"ent_gz", "gz2_clerk"}
    assert _managed("sz_reviewer") == {"ent_sz"}
    assert _managed("admin") == {"ent_gz", "ent_sz", "gz2_clerk", "gz_reviewer", "sz_reviewer"}
    assert _managed("ent_gz") == set()
    with pytest.raises(Forbidden):
        aa.load_account(db.session, actor("ent_gz"), user_id("ent_gz"))


def test_an_account_holding_a_reviewer_role_too_is_not_a_reviewers(db_session):
    """An enterprise-linked account that also holds 地市审核员 (or 省级管理员) is never managed by a city reviewer."""
    from flask import current_app

    ent_gz = db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one()
    ent_gz.roles.append(current_app.appbuilder.sm.find_role(RoleName.REVIEWER))
    db.session.flush()
    assert "ent_gz" not in _managed("gz_reviewer")
    with pytest.raises(NotFound):
        aa.deactivate_account(db.session, actor("gz_reviewer"), ent_gz.id)


# ---- deactivate / activate -----------------------------------------------------------------------------------

ALLOWED = [("admin", "gz_reviewer"), ("admin", "ent_sz"), ("admin", "ent_gz"), ("gz_reviewer", "ent_gz"),
           ("sz_reviewer", "ent_sz")]
REFUSED = [("gz_reviewer", "ent_sz", NotFound), ("gz_reviewer", "sz_reviewer", NotFound),
           ("gz_reviewer", "admin", NotFound), ("sz_reviewer", "ent_gz", NotFound),
           ("admin", "second_admin", NotFound), ("gz_reviewer", "gz_reviewer", NotFound),
           ("admin", "admin", NotFound), ("ent_gz", "ent_gz", Forbidden), ("ent_gz", "ent_sz", Forbidden)]


@pytest.mark.parametrize("by,target", ALLOWED)
def test_deactivate_and_reactivate(db_session, by, target):
    pk = user_id(target)
    user = aa.deactivate_account(db.session, actor(by), pk)
    db.session.commit()
    revoked_at = user.tokens_valid_after
    assert user.active is False and revoked_at is not None
    with pytest.raises(TransitionNotAllowed):
        aa.deactivate_account(db.session, actor(by), pk)
    user = aa.activate_account(db.session, actor(by), pk)
    db.session.commit()
    assert user.active is True and user.tokens_valid_after == revoked_at  # the old sessions stay revoked
    with pytest.raises(TransitionNotAllowed):
        aa.activate_account(db.session, actor(by), pk)
    trail = [(e.action, e.actor_name, e.from_status, e.to_status, e.diff["changes"]) for e in events(pk)]
    assert trail == [("deactivate", by, "ACTIVE", "INACTIVE", {"active": [True, False]}),
                     ("activate", by, "INACTIVE", "ACTIVE", {"active": [False, True]})]


@pytest.mark.parametrize("by,target,error", REFUSED)
def test_deactivation_out_of_scope_or_of_oneself_is_refused(db_session, by, target, error):
    factories.user("second_admin", RoleName.ADMIN)
    pk = user_id(target)
    for action in (aa.deactivate_account, aa.activate_account):
        with pytest.raises(error):
            action(db.session, actor(by), pk)
    assert db.session.get(AppUser, pk).active is True and not events(pk)


def test_missing_or_malformed_ids_are_not_found(db_session):
    for pk in (2_000_000_000, 2**40, -1, 0, "abc", None):
        with pytest.raises(NotFound):
            aa.deactivate_account(db.session, actor("admin"), pk)


# ---- over HTTP: the one-time password, the deactivated user's session and JWT ---------------------------------

def _logout(client) -> None:
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/").get_data(as_text=True))})


def test_the_one_time_password_works_once_then_the_user_must_change_it(app, client):
    with app.app_context():
        _, password = new("gz_reviewer", "gz_clerk2", role="ENTERPRISE", enterprise_id=enterprise_id("ent_gz"))
        db.session.commit()
    assert logs_in(client, "gz_clerk2", password)
    home = client.get("/")
    assert home.status_code == 302 and "/resetmypassword/form" in home.headers["Location"]
    assert client.get("/filing/results/ENTERPRISE").status_code == 302
    api = app.test_client(use_cookies=False)
    token = api_token(api, "gz_clerk2", password)
    assert api.get("/api/v1/filing/", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    form = client.get("/resetmypassword/form").get_data(as_text=True)
    assert "请先设置自己的新密码" in form
    again = client.post("/resetmypassword/form", data={"password": password, "conf_password": password,
                                                       "csrf_token": csrf_token_from(form)})
    assert again.status_code == 200 and "新密码不能与最近使用过的" in again.get_data(as_text=True)
    changed = client.post("/resetmypassword/form", data={"password": "MyOwn2026pw", "conf_password": "MyOwn2026pw",
                                                         "csrf_token": csrf_token_from(form)})
    assert changed.status_code == 302
    assert client.get("/filing/results/ENTERPRISE").status_code == 200
    _logout(client)
    assert not logs_in(client, "gz_clerk2", password)  # the one-time password is spent
    assert logs_in(client, "gz_clerk2", "MyOwn2026pw")


def logs_in(client, username: str, password: str = DEMO_PASSWORD) -> bool:
    """A login that gets through (a refused one redirects back to the login form)."""
    response = login(client, username, password)
    return response.status_code == 302 and "/login/" not in response.headers["Location"]


def _next_second() -> None:
    """Revocation compares whole seconds (JWT ``iat``): start the deactivation in a later second than the logins."""
    time.sleep(1.05 - time.time() % 1)


def test_deactivation_refuses_the_open_session_and_jwt_at_once(app, client):
    victim = app.test_client()
    assert logs_in(victim, "ent_gz")
    assert victim.get("/filing/results/ENTERPRISE").status_code == 200
    api = app.test_client(use_cookies=False)
    bearer = {"Authorization": f"Bearer {api_token(api, 'ent_gz')}"}
    assert api.get("/api/v1/filing/", headers=bearer).status_code == 200
    _next_second()
    with app.app_context():
        pk = user_id("ent_gz")
    login(client, "gz_reviewer")
    page = client.get("/accounts/").get_data(as_text=True)
    done = client.post(f"/accounts/{pk}/deactivate", data={"csrf_token": csrf_token_from(page)})
    assert done.status_code == 302
    refused = victim.get("/filing/results/ENTERPRISE")
    assert refused.status_code == 302 and "/login/" in refused.headers["Location"]
    assert api.get("/api/v1/filing/", headers=bearer).status_code == 401
    assert not logs_in(app.test_client(), "ent_gz")  # cannot log in either
    # reactivated: a new login works, the old session and token stay dead
    assert client.post(f"/accounts/{pk}/activate", data={"csrf_token": csrf_token_from(page)}).status_code == 302
    assert victim.get("/filing/results/ENTERPRISE").status_code == 302
    assert api.get("/api/v1/filing/", headers=bearer).status_code == 401
    fresh = app.test_client()
    assert logs_in(fresh, "ent_gz")
    assert fresh.get("/filing/results/ENTERPRISE").status_code == 200
    fresh_token = {"Authorization": f"Bearer {api_token(api, 'ent_gz')}"}
    assert api.get("/api/v1/filing/", headers=fresh_token).status_code == 200


def test_deactivating_on_fabs_edit_screen_revokes_the_old_tokens_too(app, client):
    """The admin's 账号列表 → 编辑 (FAB's form, 是否启用 unticked) stops the sessions and JWTs like 停用 does."""
    api = app.test_client(use_cookies=False)
    bearer = {"Authorization": f"Bearer {api_token(api, 'ent_sz')}"}
    _next_second()
    with app.app_context():
        target = db.session.scalars(select(AppUser).filter_by(username="ent_sz")).one()
        pk, enterprise, role = target.id, target.enterprise_id, target.roles[0].id
    login(client, "admin")
    page = client.get(f"/users/edit/{pk}").get_data(as_text=True)
    data = {"first_name": "深圳", "last_name": "企业", "username": "ent_sz", "email": "ent_sz@example.com",
            "roles": [role], "enterprise": str(enterprise), "city": "", "csrf_token": csrf_token_from(page)}
    assert client.post(f"/users/edit/{pk}", data=data).status_code == 302  # "active" left out: unticked
    with app.app_context():
        row = db.session.get(AppUser, pk)
        assert row.active is False and row.tokens_valid_after is not None
        row.active = True  # reactivated: the old token stays revoked
        db.session.commit()
    assert api.get("/api/v1/filing/", headers=bearer).status_code == 401

"""``/api/v1/account`` (DESIGN §10, issue 14): create with a one-time password (201), the scoped and paged list,
one account, deactivate / activate; odd input answered 4xx in Chinese; never a password hash in an answer."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.base import db
from models.security import AppUser
from tests import factories
from tests.conftest import api_token

ACCOUNT = "/api/v1/account/"


def ids(app, *usernames: str) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(AppUser.username, AppUser.id)
                                       .where(AppUser.username.in_(usernames))).all())


def enterprise_of(app, username: str) -> int:
    with app.app_context():
        return db.session.scalars(select(AppUser.enterprise_id).filter_by(username=username)).one()


def body(**fields) -> dict:
    return {"username": "api_new", "first_name": "小红", "last_name": "李", "email": "api_new@example.cn", **fields}


def no_secrets(payload) -> None:
    text = str(payload)
    assert "password'" not in text.replace("one_time_password'", "").replace("must_change_password'", "")
    assert "scrypt:" not in text and "pbkdf2:" not in text


def test_the_admin_creates_a_reviewer_who_must_change_the_one_time_password(app, api, client):
    created = api("admin").post(ACCOUNT, json=body(role="REVIEWER", city_code="4404"))
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert created.headers["Cache-Control"] == "no-store"
    assert data["id"] and len(data["one_time_password"]) >= 12
    assert (data["role"], data["city_code"], data["enterprise_id"], data["active"], data["must_change_password"]) \
        == ("REVIEWER", "4404", None, True, True)
    no_secrets({k: v for k, v in data.items() if k != "one_time_password"})
    token = api_token(app.test_client(), "api_new", data["one_time_password"])  # the password logs in …
    refused = client.get("/api/v1/filing/", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401  # … but opens nothing until the user has set its own
    shown = api("admin").get(f"{ACCOUNT}{data['id']}").get_json()
    assert "one_time_password" not in shown and shown["username"] == "api_new"


def test_a_reviewer_onboards_its_citys_enterprise_only(app, api):
    gz, sz = enterprise_of(app, "ent_gz"), enterprise_of(app, "ent_sz")
    reviewer = api("gz_reviewer")
    created = reviewer.post(ACCOUNT, json=body(role="ENTERPRISE", enterprise_id=gz))
    assert created.status_code == 201 and created.get_json()["enterprise_id"] == gz
    assert created.get_json()["city_code"] == "4401"
    other = reviewer.post(ACCOUNT, json=body(username="x2", email="x2@example.cn", role="ENTERPRISE",
                                             enterprise_id=sz))
    assert other.status_code == 404 and other.get_json()["message"] == "记录不存在或无权访问"
    for role in ("REVIEWER", "ADMIN"):
        refused = reviewer.post(ACCOUNT, json=body(username="x3", email="x3@example.cn", role=role,
                                                   city_code="4401"))
        assert refused.status_code == 403 and "只能为本市单位开通企业用户账号" in refused.get_json()["message"]
    assert api("ent_gz").post(ACCOUNT, json=body(username="x4", email="x4@example.cn", role="ENTERPRISE",
                                                 enterprise_id=gz)).status_code == 403
    with app.app_context():
        assert {u for u in db.session.scalars(select(AppUser.username))} >= {"api_new"}
        assert not db.session.scalars(select(AppUser).where(AppUser.username.in_(("x2", "x3", "x4")))).all()


@pytest.mark.parametrize("payload,status,field", [
    (body(username="ent_gz", role="ENTERPRISE", enterprise_id=1), 422, "username"),
    (body(role="ENTERPRISE", enterprise_id=1, password="Mine2026pw"), 422, "password"),
    (body(role="ENTERPRISE", enterprise_id=1, status="ACTIVE"), 422, "status"),
    (body(role="ENTERPRISE", enterprise_id=1, active=False), 422, "active"),
    (body(role=["REVIEWER"]), 422, "role"),
    (body(role="REVIEWER", city_code=4401.5), 422, "city_code"),
    (body(role="ENTERPRISE", enterprise_id="1.5"), 422, "enterprise_id"),
    (body(role="ENTERPRISE", enterprise_id={"id": 1}), 422, "enterprise_id"),
    (body(role="ENTERPRISE", enterprise_id=1, username="a\u0000b"), 422, "username"),
    (body(role="ENTERPRISE", enterprise_id=1, username="u" * 100_000), 422, "username"),
    (body(role="ENTERPRISE", enterprise_id=2**70), 422, "enterprise_id"),
    (body(role="ENTERPRISE", enterprise_id=2**40), 404, None),
    (body(role="ENTERPRISE", enterprise_id=1, first_name=12345, last_name=True), 422, "last_name"),
])
def test_odd_input_is_refused_naming_the_field(app, api, payload, status, field):
    before = ids(app, "api_new")
    answer = api("admin").post(ACCOUNT, json=payload)
    assert answer.status_code == status, answer.get_json()
    if field is not None:
        assert field in {e.get("field") for e in answer.get_json()["errors"]}
        assert any("\u4e00" <= ch <= "\u9fff" for ch in answer.get_json()["message"])
    assert ids(app, "api_new") == before


@pytest.mark.parametrize("raw,status", [
    (b"[]", 400), (b"not json", 400), (b"[" * 50_000 + b"]" * 50_000, 400), (b'"text"', 400)])
def test_bodies_that_are_not_objects(api, raw, status):
    answer = api("admin").post(ACCOUNT, data=raw, content_type="application/json")
    assert answer.status_code == status and answer.get_json()["message"]


def test_the_list_is_scoped_paged_and_never_shows_a_password(app, api):
    with app.app_context():
        gz2 = factories.enterprise("广州第二家", city="4401")
        factories.user("gz2_clerk", "企业用户", enterprise_id=gz2.id)
    admin = api("admin").get(ACCOUNT).get_json()
    assert {r["username"] for r in admin["result"]} == {"ent_gz", "ent_sz", "gz2_clerk", "gz_reviewer", "sz_reviewer"}
    assert admin["count"] == 5 and admin["page"] == 0 and admin["page_size"] == 20
    no_secrets(admin)
    reviewer = api("gz_reviewer")
    listed = reviewer.get(ACCOUNT).get_json()
    assert [r["username"] for r in listed["result"]] == ["gz2_clerk", "ent_gz"] and listed["count"] == 2
    assert all(r["role"] == "ENTERPRISE" and r["city_code"] == "4401" for r in listed["result"])
    second = reviewer.get(f"{ACCOUNT}?page=1&page_size=1").get_json()
    assert [r["username"] for r in second["result"]] == ["ent_gz"] and second["count"] == 2
    assert reviewer.get(f"{ACCOUNT}?page=5&page_size=1").get_json()["result"] == []
    assert [r["username"] for r in reviewer.get(f"{ACCOUNT}?search=第二家").get_json()["result"]] == ["gz2_clerk"]
    assert [r["username"] for r in api("admin").get(f"{ACCOUNT}?role=REVIEWER").get_json()["result"]] == [
        "sz_reviewer", "gz_reviewer"]
    assert reviewer.get(f"{ACCOUNT}?state=inactive").get_json()["count"] == 0
    assert api("ent_gz").get(ACCOUNT).status_code == 403
    for bad in ("page=abc", "page=-1", "page_size=1000", "page_size=x"):
        assert reviewer.get(f"{ACCOUNT}?{bad}").status_code == 400, bad


def test_one_account_is_shown_in_scope_only(app, api):
    pk = ids(app, "ent_gz", "ent_sz", "sz_reviewer", "admin")
    reviewer = api("gz_reviewer")
    shown = reviewer.get(f"{ACCOUNT}{pk['ent_gz']}")
    assert shown.status_code == 200 and shown.get_json()["username"] == "ent_gz"
    no_secrets(shown.get_json())
    for other in ("ent_sz", "sz_reviewer", "admin"):
        assert reviewer.get(f"{ACCOUNT}{pk[other]}").status_code == 404
    assert api("admin").get(f"{ACCOUNT}{pk['admin']}").status_code == 404
    assert api("admin").get(f"{ACCOUNT}{pk['sz_reviewer']}").get_json()["role"] == "REVIEWER"
    assert reviewer.get(f"{ACCOUNT}2000000000").status_code == 404


def test_deactivate_and_activate(app, api, client):
    pk = ids(app, "ent_gz", "ent_sz", "gz_reviewer")
    bearer = {"Authorization": f"Bearer {api_token(client, 'ent_gz')}"}
    assert client.get("/api/v1/filing/", headers=bearer).status_code == 200
    reviewer = api("gz_reviewer")
    assert reviewer.post(f"{ACCOUNT}{pk['ent_sz']}/deactivate").status_code == 404
    assert reviewer.post(f"{ACCOUNT}{pk['gz_reviewer']}/deactivate").status_code == 404  # itself
    done = reviewer.post(f"{ACCOUNT}{pk['ent_gz']}/deactivate")
    assert done.status_code == 200 and done.get_json()["active"] is False
    assert client.get("/api/v1/filing/", headers=bearer).status_code == 401
    again = reviewer.post(f"{ACCOUNT}{pk['ent_gz']}/deactivate")
    assert again.status_code == 409 and again.get_json()["message"] == "该账号已是停用状态"
    assert reviewer.post(f"{ACCOUNT}{pk['ent_gz']}/activate").get_json()["active"] is True
    assert reviewer.post(f"{ACCOUNT}{pk['ent_gz']}/activate").status_code == 409
    assert api("ent_sz").post(f"{ACCOUNT}{pk['ent_gz']}/deactivate").status_code == 403
    assert api("admin").post(f"{ACCOUNT}{pk['gz_reviewer']}/deactivate").status_code == 200
    with app.app_context():
        trail = db.session.execute(select(AuditEvent.action, AuditEvent.actor_name).where(
            AuditEvent.entity == "ab_user").order_by(AuditEvent.id)).all()
    assert trail == [("deactivate", "gz_reviewer"), ("activate", "gz_reviewer"), ("deactivate", "admin")]

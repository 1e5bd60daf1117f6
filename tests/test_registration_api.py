"""企业注册 / 注册审核 (issue 14) through the REST API and the screens: the public POST (201 with the 申请编号), the
reviewer's list and detail (its city only; the admin all, read-only), the generated approve/return endpoints, odd
input (wrong JSON types, NUL bytes, huge strings, deep JSON, not JSON: 4xx, never 5xx), the rate limit, and the
public pages /register/ and /register/status plus the 注册审核 screens."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from models.base import db
from models.registration import EnterpriseRegistration
from models.security import AppUser
from tests.conftest import TEST_OVERRIDES, csrf_token_from, login
from tests.test_registration import PASSWORD, form

URL = "/api/v1/registration/"


def post(client, body, **kw):
    return client.post(URL, json=body, **kw)


def created(client, **overrides) -> dict:
    response = post(client, form(**overrides))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# ---- public POST --------------------------------------------------------------------------------------------

def test_anonymous_registration_answers_201_pending_with_its_number(app, client):
    body = created(client, city_code="4403")
    assert body["status"] == "PENDING" and body["application_no"].startswith("ZC") and "深圳" in body["message"]
    with app.app_context():
        row = db.session.get(EnterpriseRegistration, body["id"])
        assert row.application_no == body["application_no"] and row.city_code == "4403"


def test_refusals_are_422_naming_the_field(client):
    response = post(client, form(uscc="91440101MA5CXXXX0Z", contact_phone="123"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"uscc", "contact_phone"}


def test_a_uscc_already_registered_is_refused(client, api):
    first = form()
    assert post(client, first).status_code == 201
    again = post(client, form(uscc=first["uscc"]))
    assert again.status_code == 422 and again.get_json()["errors"][0]["field"] == "uscc"
    assert "待审核" in again.get_json()["message"]


@pytest.mark.parametrize("body, status, field", [
    ({"uscc": 91440101}, 422, "uscc"),
    ({"password": ["Abcd1234"]}, 422, "password"),
    ({"city_code": {"code": "4401"}}, 422, "city_code"),
    ({"contact_phone": 13800138000}, 422, "contact_phone"),
    ({"username": True}, 422, "username"),
    ({"enterprise_name": "单位\u0000名"}, 422, "enterprise_name"),
    ({"legal_representative": "法" * 1_000_000}, 422, "legal_representative"),
    ({"password": "A1" * 500_000}, 422, "password"),
    ({"status": "APPROVED"}, 422, "status"),
    ({"user_id": 1}, 422, "user_id"),
    ({"contact_name": 10**40}, 422, "contact_name"),
])
def test_odd_bodies_are_4xx_and_store_nothing(app, client, body, status, field):
    response = post(client, form(**body))
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert field in {e.get("field") for e in response.get_json()["errors"]}
    assert len(response.get_data()) < 10_000  # a huge value is not echoed back in full
    with app.app_context():
        assert db.session.scalars(select(EnterpriseRegistration)).first() is None


@pytest.mark.parametrize("raw, content_type, status", [
    (b"not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b"", "application/json", 400),
    (b"uscc=1", "application/x-www-form-urlencoded", 400),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400),
])
def test_malformed_requests_are_400(client, raw, content_type, status):
    response = client.post(URL, data=raw, content_type=content_type)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.is_json and response.get_json()["message"]


def test_a_logged_in_browser_session_needs_the_csrf_header(client, login_as):
    login_as("ent_gz")
    response = post(client, form())
    assert response.status_code == 400 and "CSRF" in response.get_json()["message"]


def test_rate_limited_per_client_ip_form_and_api_together(tmp_path):
    from flask_migrate import upgrade

    from app import create_app

    limited = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.db'}",
                          "RATELIMIT_ENABLED": True, "REGISTRATION_RATE_LIMIT": "3 per minute"})
    with limited.app_context():
        upgrade()
    c = limited.test_client()
    codes = [c.post(URL, json={"uscc": "x"}).status_code for _ in range(2)]
    token = csrf_token_from(c.get("/register/").get_data(as_text=True))
    codes.append(c.post("/register/", data={"csrf_token": token, "uscc": "x"}).status_code)
    codes.append(c.post(URL, json={"uscc": "x"}).status_code)
    codes.append(c.post("/register/", data={"csrf_token": token, "uscc": "x"}).status_code)
    codes.append(c.post("/register/status", data={"csrf_token": token, "uscc": "x"}).status_code)
    assert codes == [422, 422, 422, 429, 429, 429]
    assert "提交过于频繁" in c.post(URL, json={}).get_json()["message"]


# ---- the reviewer's reads -----------------------------------------------------------------------------------

def test_list_is_the_reviewers_city_and_every_city_for_the_admin(client, api):
    gz = created(client)["id"]
    sz = created(client, city_code="4403")["id"]
    ids = lambda user: {row["id"] for row in api(user).get(URL).get_json()["result"]}  # noqa: E731
    assert ids("gz_reviewer") == {gz} and ids("sz_reviewer") == {sz} and ids("admin") == {gz, sz}
    row = api("gz_reviewer").get(URL).get_json()["result"][0]
    assert row["application_no"].startswith("ZC") and row["status_label"] == "待审核"
    assert "password_hash" not in row and "password" not in row
    assert api("ent_gz").get(URL).status_code == 403
    assert client.get(URL).status_code == 401
    assert api("gz_reviewer").get(URL + "?status=PENDING&page_size=1").get_json()["count"] == 1


def test_detail_is_scoped_and_shows_the_differences(app, client, api):
    from tests import factories

    with app.app_context():
        imported = factories.enterprise("已登记名称", city="4401")
        db.session.commit()
        uscc = imported.uscc
    pk = created(client, uscc=uscc, enterprise_name="注册名称")["id"]
    body = api("gz_reviewer").get(f"{URL}{pk}").get_json()
    assert body["result"]["existing_enterprise"]["has_account"] is False
    assert {"field": "enterprise_name", "registered": "注册名称", "existing": "已登记名称"} in \
        body["result"]["existing_enterprise"]["differences"]
    assert api("sz_reviewer").get(f"{URL}{pk}").status_code == 404
    assert api("admin").get(f"{URL}{pk}").status_code == 200
    assert api("ent_gz").get(f"{URL}{pk}").status_code == 403
    assert api("gz_reviewer").get(f"{URL}2000000000").status_code == 404


# ---- decisions ------------------------------------------------------------------------------------------------

def test_approve_then_the_enterprise_logs_in_and_files(app, client, api):
    data = form()
    pk = created(client, **data)["id"]
    assert api("admin").post(f"{URL}{pk}/approve").status_code == 403  # read-only
    assert api("sz_reviewer").post(f"{URL}{pk}/approve").status_code == 404
    assert api("ent_gz").post(f"{URL}{pk}/approve").status_code == 403
    response = api("gz_reviewer").post(f"{URL}{pk}/approve")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["result"]["status"] == "APPROVED"
    assert api("gz_reviewer").post(f"{URL}{pk}/approve").status_code == 409
    assert api("gz_reviewer").post(f"{URL}{pk}/return", json={"reason": "迟了"}).status_code == 409
    token = client.post("/api/v1/security/login", json={"username": data["username"], "password": PASSWORD,
                                                        "provider": "db"}).get_json()["access_token"]
    filing = client.post("/api/v1/filing/", json={"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE",
                                                  "commitment_accepted": True},
                         headers={"Authorization": f"Bearer {token}"})
    assert filing.status_code == 201, filing.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(AppUser).filter_by(username=data["username"])).one()
        assert filing.get_json()["result"]["enterprise_id"] == user.enterprise_id


def test_return_requires_a_reason(client, api):
    pk = created(client)["id"]
    refused = api("gz_reviewer").post(f"{URL}{pk}/return", json={})
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "reason"
    assert api("gz_reviewer").post(f"{URL}{pk}/return", json={"reason": 5}).status_code == 422
    assert api("gz_reviewer").post(f"{URL}{pk}/return", json={"opinion": "x"}).status_code == 422
    done = api("gz_reviewer").post(f"{URL}{pk}/return", json={"reason": "执照名称不一致"})
    assert done.status_code == 200 and done.get_json()["result"]["reason"] == "执照名称不一致"


def test_openapi_documents_the_registration_paths(api):
    spec = api("admin").get("/api/v1/_openapi").get_json()
    paths = spec["paths"]
    assert {"201", "400", "422", "429"} <= set(paths["/api/v1/registration/"]["post"]["responses"])
    assert "security" not in paths["/api/v1/registration/"]["post"] or \
        paths["/api/v1/registration/"]["post"]["security"] == []
    for action in ("approve", "return"):
        codes = set(paths[f"/api/v1/registration/{{pk}}/{action}"]["post"]["responses"])
        assert {"200", "401", "403", "404", "409"} <= codes, codes
    assert "422" in paths["/api/v1/registration/{pk}/return"]["post"]["responses"]
    assert "RegistrationBody" in spec["components"]["schemas"]
    assert "put" not in paths.get("/api/v1/registration/{pk}", {})


# ---- screens ----------------------------------------------------------------------------------------------------

def test_login_page_and_home_link_to_the_registration(client):
    assert 'href="/register/"' in client.get("/login/").get_data(as_text=True)
    assert 'href="/register/"' in client.get("/").get_data(as_text=True)


def test_register_form_needs_the_csrf_token(client):
    response = client.post("/register/", data=form())
    assert response.status_code == 400


def test_register_form_shows_errors_under_fields_and_keeps_input_but_not_the_password(client):
    page = client.get("/register/").get_data(as_text=True)
    assert "统一社会信用代码" in page and "广州" in page
    token = csrf_token_from(page)
    data = form(contact_phone="12345")
    response = client.post("/register/", data={**data, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "联系电话格式不正确" in html and data["enterprise_name"] in html and PASSWORD not in html


def test_register_form_then_status_page(client):
    token = csrf_token_from(client.get("/register/").get_data(as_text=True))
    data = form()
    html = client.post("/register/", data={**data, "csrf_token": token}).get_data(as_text=True)
    assert "注册申请已提交" in html and "ZC" in html
    status = lambda password: client.post("/register/status", data={  # noqa: E731
        "csrf_token": token, "uscc": data["uscc"].lower(), "username": data["username"], "password": password}
    ).get_data(as_text=True)
    wrong = status("Wrong2026x")
    assert "未找到与所填信息相符的注册申请" in wrong and data["enterprise_name"] not in wrong
    right = status(PASSWORD)
    assert data["enterprise_name"] in right and "待审核" in right


def test_review_screens_queue_detail_and_decisions(app, client, login_as):
    from tests import factories

    pending = created(client, enterprise_name="待审单位")["id"]
    other_city = created(client, city_code="4403")["id"]
    login_as("gz_reviewer")
    queue = client.get("/review/registrations/?status=PENDING&q=待审").get_data(as_text=True)
    assert "待审单位" in queue and f'data-registration-id="{pending}"' in queue
    assert f'data-registration-id="{other_city}"' not in queue
    assert client.get(f"/review/registrations/{other_city}").status_code == 404
    detail = client.get(f"/review/registrations/{pending}")
    html = detail.get_data(as_text=True)
    assert detail.status_code == 200 and 'id="btn-approve"' in html and 'id="btn-return"' in html
    token = csrf_token_from(html)
    refused = client.post(f"/review/registrations/{pending}/return", data={"csrf_token": token, "reason": ""})
    assert refused.status_code == 422 and "请填写退回原因" in refused.get_data(as_text=True)
    done = client.post(f"/review/registrations/{pending}/return", data={"csrf_token": token, "reason": "名称不符"})
    assert done.status_code == 302
    assert "名称不符" in client.get(f"/review/registrations/{pending}").get_data(as_text=True)
    again = client.post(f"/review/registrations/{pending}/approve", data={"csrf_token": token})
    assert again.status_code == 409
    home = client.get("/").get_data(as_text=True)
    assert "待审核注册" in home and "注册审核" in home


def test_admin_reads_every_city_without_decision_buttons(client, login_as):
    pk = created(client, city_code="4403")["id"]
    login_as("admin")
    assert f'data-registration-id="{pk}"' in client.get("/review/registrations/").get_data(as_text=True)
    html = client.get(f"/review/registrations/{pk}").get_data(as_text=True)
    assert 'id="btn-approve"' not in html and 'id="decision-form"' not in html
    token = csrf_token_from(html)
    assert client.post(f"/review/registrations/{pk}/approve", data={"csrf_token": token}).status_code == 403


def test_enterprise_users_do_not_reach_the_review_screens(client, login_as):
    login_as("ent_gz")
    assert client.get("/review/registrations/").status_code in (302, 403)
    assert "注册审核" not in client.get("/").get_data(as_text=True)

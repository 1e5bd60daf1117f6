"""Foundation: migrations agree with the models, the seed is idempotent and refused in production,
every demo account logs in (form and API), the home page and menus are Chinese, the transition tables."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from sqlalchemy import func, select

from tests.conftest import api_token, csrf_token_from, login

DEMO_ACCOUNTS = ["admin", "gz_reviewer", "sz_reviewer", "ent_gz", "ent_sz"]


def test_migrations_match_models(app):
    from models.base import db

    with app.app_context():
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Model.metadata)
    assert diff == [], f"models and migrations disagree (run flask db migrate): {diff}"


def _row_counts(db):
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in Model.metadata.sorted_tables}


def test_demo_seed_is_idempotent(app):
    from models.base import db
    from seed.commands import run_demo_seed

    with app.app_context():
        before = _row_counts(db)
        run_demo_seed()
        after = _row_counts(db)
    assert before == after
    assert before["city"] == 21 and before["skill_level"] == 5 and before["ab_user"] == 5


def test_demo_seed_refused_in_production(app):
    app.config["APP_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed", "demo"])
    finally:
        app.config["APP_ENV"] = "development"
    assert result.exit_code != 0
    assert "production" in result.output


def test_demo_data_content(app):
    from datetime import date

    from models.base import db
    from models.enterprise import EcosystemRecognition
    from tests.factories import demo_enterprise

    with app.app_context():
        gz, sz = demo_enterprise("ent_gz"), demo_enterprise("ent_sz")
        assert gz.city_code == "4401" and sz.city_code == "4403"
        recs = db.session.scalars(select(EcosystemRecognition)).all()
        assert [(r.enterprise_id, r.role, r.is_valid_on(date.today())) for r in recs] == [(gz.id, "LEADER", True)]


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_every_demo_account_logs_in_by_form(client, username):
    response = login(client, username)
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    home = client.get("/").get_data(as_text=True)
    assert "事项办理" in home and username in home


@pytest.mark.parametrize("username", DEMO_ACCOUNTS)
def test_every_demo_account_logs_in_by_api(client, username):
    token = api_token(client, username)
    response = client.get("/api/v1/city/", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["count"] == 21


def test_wrong_password_is_refused(client):
    response = login(client, "admin", "wrong-password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/cityview/list/").status_code in (302, 401, 403)
    bad = client.post("/api/v1/security/login", json={"username": "admin", "password": "x", "provider": "db"})
    assert bad.status_code == 401


def test_login_form_without_csrf_token_is_refused(client):
    response = client.post("/login/", data={"username": "admin", "password": "Demo@2026"})
    assert response.status_code == 400


def test_login_failures_are_rate_limited(tmp_path):
    """FAB's limiter on the login form (AUTH_RATE_LIMITED): the 4th attempt within the window answers 429."""
    from flask_migrate import upgrade

    from app import create_app
    from tests.conftest import TEST_OVERRIDES

    limited = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'rl.db'}",
                          "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "3 per minute"})
    with limited.app_context():
        upgrade()
    c = limited.test_client()
    codes = []
    for _ in range(4):
        token = csrf_token_from(c.get("/login/").get_data(as_text=True))
        codes.append(c.post("/login/", data={"username": "nobody", "password": "x", "csrf_token": token}).status_code)
    assert codes[:3] == [302, 302, 302] and codes[3] == 429


def test_security_headers_and_cookie_flags(client):
    response = login(client, "admin")
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/")
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]


MENUS = {
    "admin": (["基础数据", "地市", "职业工种", "技能等级", "培训机构", "补贴标准", "工作日历", "单位信息", "账号"],
              []),
    "gz_reviewer": (["生态链企业认定维护"], ["基础数据", "补贴标准"]),
    "ent_gz": ([], ["基础数据", "生态链企业认定维护", "账号"]),
}


@pytest.mark.parametrize("username", list(MENUS))
def test_role_menus(client, username):
    login(client, username)
    html = client.get("/").get_data(as_text=True)
    present, absent = MENUS[username]
    for label in present:
        assert label in html, f"{username} should see menu {label}"
    navbar = html.split('<div class="container">')[0]
    for label in absent:
        assert label not in navbar, f"{username} must not see menu {label}"


def test_home_page_counters_per_role(client):
    login(client, "gz_reviewer")
    html = client.get("/").get_data(as_text=True)
    assert "待审核备案" in html and "本市生态链企业认定" in html
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "admin")
    html = client.get("/").get_data(as_text=True)
    assert "单位" in html and "培训人员" in html


def test_english_is_selectable(client):
    login(client, "admin")
    client.get("/lang/en")
    html = client.get("/cityview/list/").get_data(as_text=True)
    assert "Cities" in html or "City" in html
    client.get("/lang/zh")
    assert "地市" in client.get("/cityview/list/").get_data(as_text=True)


def test_openapi_and_swagger(client, api):
    spec = api("admin").get("/api/v1/_openapi")
    assert spec.status_code == 200
    paths = spec.get_json()["paths"]
    for resource in ("city", "occupation", "skill_level", "training_institution", "subsidy_standard",
                     "workday_override", "enterprise", "ecosystem_recognition"):
        assert f"/api/v1/{resource}/" in paths, resource
    login(client, "admin")
    assert client.get("/swagger/v1").status_code == 200


def test_api_errors_are_json_and_chinese(api):
    admin = api("admin")
    missing = admin.get("/api/v1/city/9999")
    assert missing.status_code == 404 and missing.get_json()["message"] == "记录不存在或无权访问"
    bad = admin.post("/api/v1/city/", json={"code": "9901", "name": "外省"})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "code" and "44" in bad.get_json()["message"]
    incomplete = admin.post("/api/v1/enterprise/", json={"name": "缺代码"})
    assert incomplete.status_code == 422
    assert {e["field"] for e in incomplete.get_json()["errors"]} >= {"uscc"}


def test_admin_creates_enterprise_with_checked_uscc(client, api):
    from core.validators import complete_uscc

    admin = api("admin")
    bad = admin.post("/api/v1/enterprise/", json={"uscc": "91440101MA5DEM0A19", "name": "错码公司",
                                                  "city_code": "4401"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "uscc"
    good = admin.post("/api/v1/enterprise/", json={"uscc": complete_uscc("N2440101MA5DEM0C3").lower(),
                                                   "name": "新公司", "city_code": "4401",
                                                   "contact_phone": "020 1234 5678"})
    assert good.status_code == 201, good.get_data(as_text=True)
    row = admin.get(f"/api/v1/enterprise/{good.get_json()['id']}").get_json()["result"]
    assert row["uscc"].startswith("N2") and row["contact_phone"] == "020-12345678"


def test_error_pages_are_chinese(client):
    login(client, "ent_gz")
    page = client.get("/cityview/add")
    html = page.get_data(as_text=True)
    assert page.status_code in (302, 403) or "无权访问" in html
    missing = client.get("/enterpriseview/show/999999")
    assert missing.status_code == 404 and "记录不存在或无权访问" in missing.get_data(as_text=True)

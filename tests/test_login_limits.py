"""Login protection (security finding "API login is not rate-limited"): ONE per-IP limit for the login form and the
JWT API login, shared by every worker through Redis; account lockout after N consecutive failed passwords with a
message that never tells whether the account exists or is locked; unlock by time and by the admin (audited).

Limit tests build extra app instances on the session's test database (each app = one gunicorn worker with its own
in-memory counters); lockout tests use the normal ``client`` (rate limit off, lockout on: 5 failures / 15 min).
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD, TEST_OVERRIDES, csrf_token_from, login

API_LOGIN = "/api/v1/security/login"
REFUSED = "用户名或密码错误，或账号已被暂时锁定，请稍后再试"
TOO_MANY = "登录尝试过于频繁，请稍后再试"
REDIS_URL = "redis://127.0.0.1:6379/15"


# ---- helpers -------------------------------------------------------------------------------------------------

@contextmanager
def worker(app, **overrides):
    """Another app instance on the test database with the login limit on (3 per minute unless overridden)."""
    from app import create_app
    from models.base import db

    config = {**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "RATELIMIT_ENABLED": True, "AUTH_RATE_LIMIT": "3 per minute", **overrides}
    instance = create_app(config)
    try:
        yield instance
    finally:
        with instance.app_context():
            db.engine.dispose()


def api_login(client, username, password="wrong-password"):
    return client.post(API_LOGIN, json={"username": username, "password": password, "provider": "db"})


def form_login(client, username, password="wrong-password"):
    token = csrf_token_from(client.get("/login/").get_data(as_text=True))
    return client.post("/login/", data={"username": username, "password": password, "csrf_token": token})


def form_message(client, response) -> str:
    """The text of the page the refused form login redirects to (where the flash message shows)."""
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def account(app, username):
    """The account row as stored now (fresh session)."""
    from models.base import db
    from models.security import AppUser

    with app.app_context():
        user = db.session.scalars(select(AppUser).filter_by(username=username)).one()
        db.session.expunge(user)
        return user


def audit_events(app, action, entity_id):
    from models.audit import AuditEvent
    from models.base import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).filter_by(entity="ab_user", action=action,
                                                               entity_id=entity_id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def lock(client, username, failures=5):
    for _ in range(failures):
        assert api_login(client, username).status_code == 401


# ---- one rate limit for form and API -------------------------------------------------------------------------

def test_api_login_answers_429_after_the_limit(app):
    with worker(app) as limited:
        c = limited.test_client()
        codes = [api_login(c, "nobody").status_code for _ in range(3)]
        assert codes == [401, 401, 401]
        blocked = api_login(c, "nobody")
        assert blocked.status_code == 429
        assert blocked.get_json()["message"] == TOO_MANY
        assert int(blocked.headers["Retry-After"]) > 0
        # Over the limit even the right password of a real account is not tried.
        assert api_login(c, "ent_gz", DEMO_PASSWORD).status_code == 429
    # The refused attempts were not checked against the account: nothing counted on it.
    assert not account(app, "ent_gz").fail_login_count


def test_form_and_api_share_one_counter(app):
    with worker(app) as limited:
        c = limited.test_client()
        assert [form_login(c, "nobody").status_code for _ in range(2)] == [302, 302]
        assert api_login(c, "nobody").status_code == 401
        assert api_login(c, "nobody").status_code == 429  # the 4th attempt, 2 by form + 2 by API, limit 3
        page = form_login(c, "nobody")
        assert page.status_code == 429
        text = page.get_data(as_text=True)
        assert TOO_MANY in text and "Too Many Requests" not in text


def test_the_api_counts_against_the_form_too(app):
    with worker(app) as limited:
        c = limited.test_client()
        assert [api_login(c, "nobody").status_code for _ in range(3)] == [401, 401, 401]
        assert form_login(c, "admin", DEMO_PASSWORD).status_code == 429


def test_limit_is_per_client_ip_and_counts_login_posts_only(app):
    with worker(app) as limited:
        c = limited.test_client()
        for _ in range(5):
            assert c.get("/login/").status_code == 200  # showing the form does not count
        assert [api_login(c, "nobody").status_code for _ in range(3)] == [401, 401, 401]
        assert api_login(c, "nobody").status_code == 429
        other = limited.test_client()
        response = other.post(API_LOGIN, json={"username": "ent_gz", "password": DEMO_PASSWORD, "provider": "db"},
                              environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 200 and response.get_json()["access_token"]


def test_without_redis_each_worker_counts_alone(app):
    """The in-memory default (no RATELIMIT_STORAGE_URI): two workers do not see each other's attempts — the
    reason production sets Redis (next test)."""
    with worker(app) as first, worker(app) as second:
        a, b = first.test_client(), second.test_client()
        codes = [api_login(c, "nobody").status_code for c in (a, b, a, b, a, b)]
        assert codes == [401] * 6


def test_redis_counter_is_shared_by_workers(app):
    import redis

    prefix = f"test-login-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(REDIS_URL)
    store.ping()  # Redis runs on development machines and CI (127.0.0.1:6379)

    def cleanup():
        keys = list(store.scan_iter(f"*{prefix}*"))
        if keys:
            store.delete(*keys)

    cleanup()
    try:
        settings = {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
        with worker(app, **settings) as first, worker(app, **settings) as second:
            a, b = first.test_client(), second.test_client()
            assert [api_login(a, "nobody").status_code, form_login(b, "nobody").status_code,
                    api_login(a, "nobody").status_code] == [401, 302, 401]
            assert api_login(b, "nobody").status_code == 429
            assert form_login(a, "nobody").status_code == 429
            assert list(store.scan_iter(f"*{prefix}*")), "the counter is not in Redis"
    finally:
        cleanup()
        store.close()


def test_limit_can_be_switched_off(app):
    with worker(app, AUTH_RATE_LIMITED=False) as unlimited:
        c = unlimited.test_client()
        assert [api_login(c, "nobody").status_code for _ in range(5)] == [401] * 5


# ---- account lockout -----------------------------------------------------------------------------------------

def test_account_locks_after_five_failures_even_for_the_right_password(app, client):
    user_id = account(app, "ent_gz").id
    for _ in range(4):
        assert REFUSED in form_message(client, form_login(client, "ent_gz"))
    assert not audit_events(app, "lock", user_id)
    assert api_login(client, "ent_gz").status_code == 401  # the 5th failure locks
    row = account(app, "ent_gz")
    assert row.fail_login_count == 5 and row.locked_until is not None
    assert timedelta(minutes=14) < row.locked_until - row.last_failed_login <= timedelta(minutes=15)

    refused = api_login(client, "ent_gz", DEMO_PASSWORD)
    assert refused.status_code == 401 and refused.get_json()["message"] == REFUSED
    assert "access_token" not in refused.get_json()
    response = form_login(client, "ent_gz", DEMO_PASSWORD)
    assert "/login" in response.headers["Location"]
    assert REFUSED in form_message(client, response)
    assert client.get("/api/v1/filing/").status_code == 401  # not logged in

    [event] = audit_events(app, "lock", user_id)
    assert event.actor_id is None and event.ip == "127.0.0.1" and event.enterprise_id == row.enterprise_id
    # Attempts while locked neither extend the lock nor add audit events.
    assert account(app, "ent_gz").locked_until == row.locked_until
    # Other accounts are untouched.
    assert api_login(client, "ent_sz", DEMO_PASSWORD).status_code == 200


def test_failures_must_be_consecutive(app, client):
    for _ in range(4):
        assert api_login(client, "ent_gz").status_code == 401
    assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 200  # a success resets the counter
    assert account(app, "ent_gz").fail_login_count == 0
    for _ in range(4):
        assert api_login(client, "ent_gz").status_code == 401
    assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 200


def test_failures_far_apart_do_not_add_up(app, client):
    import time_machine

    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc), tick=False) as clock:
        for _ in range(4):
            assert api_login(client, "ent_gz").status_code == 401
        clock.shift(timedelta(minutes=16))
        assert api_login(client, "ent_gz").status_code == 401
        row = account(app, "ent_gz")
        assert row.fail_login_count == 1 and row.locked_until is None
        assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 200


def test_the_same_answer_for_wrong_password_unknown_user_and_locked_account(app, client):
    lock(client, "ent_gz")
    wrong = api_login(client, "ent_sz")
    unknown = api_login(client, "no-such-user", DEMO_PASSWORD)
    locked = api_login(client, "ent_gz", DEMO_PASSWORD)
    assert wrong.status_code == unknown.status_code == locked.status_code == 401
    assert wrong.get_json() == unknown.get_json() == locked.get_json() == {"message": REFUSED}

    pages = [form_message(client, form_login(client, name, password))
             for name, password in [("ent_sz", "wrong-password"), ("no-such-user", DEMO_PASSWORD),
                                    ("ent_gz", DEMO_PASSWORD)]]
    assert all(REFUSED in page for page in pages)
    assert not any("锁定至" in page or "已锁定" in page for page in pages)


def test_lock_ends_by_itself(app, client):
    import time_machine

    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc), tick=False) as clock:
        lock(client, "ent_gz")
        clock.shift(timedelta(minutes=14))
        assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 401
        clock.shift(timedelta(minutes=1, seconds=1))
        ok = api_login(client, "ent_gz", DEMO_PASSWORD)
        assert ok.status_code == 200 and ok.get_json()["access_token"]
    row = account(app, "ent_gz")
    assert row.fail_login_count == 0 and row.locked_until is None


def test_first_failure_after_a_lock_ended_starts_counting_again(app, client):
    import time_machine

    with time_machine.travel(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc), tick=False) as clock:
        lock(client, "ent_gz")
        clock.shift(timedelta(minutes=16))
        assert api_login(client, "ent_gz").status_code == 401
        row = account(app, "ent_gz")
        assert row.fail_login_count == 1
        assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 200


def test_lockout_threshold_and_duration_come_from_config(app, client):
    app.config.update(AUTH_LOCKOUT_FAILURES=2, AUTH_LOCKOUT_MINUTES=60)
    try:
        lock(client, "ent_gz", failures=2)
        row = account(app, "ent_gz")
        assert row.locked_until - row.last_failed_login == timedelta(minutes=60)
        assert api_login(client, "ent_gz", DEMO_PASSWORD).status_code == 401
    finally:
        app.config.update(AUTH_LOCKOUT_FAILURES=5, AUTH_LOCKOUT_MINUTES=15)


# ---- unlock by the provincial admin ---------------------------------------------------------------------------

def _admin_token(client):
    assert login(client, "admin").status_code == 302
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def test_admin_sees_the_lock_and_unlocks_from_the_list(app, client):
    lock(client, "ent_gz")
    user_id = account(app, "ent_gz").id
    token = _admin_token(client)
    listing = client.get("/users/list/").get_data(as_text=True)
    assert "锁定至" in listing and "解除锁定" in listing
    show = client.get(f"/users/show/{user_id}").get_data(as_text=True)
    assert "最近一次登录失败" in show and "解除锁定" in show

    response = client.post("/users/action_post", data={"action": "unlock", "rowid": [user_id], "csrf_token": token})
    assert response.status_code == 302
    assert "已解除 1 个账号的登录锁定" in client.get(response.headers["Location"]).get_data(as_text=True)
    row = account(app, "ent_gz")
    assert row.fail_login_count == 0 and row.locked_until is None
    [event] = audit_events(app, "unlock", user_id)
    assert event.actor_name == "admin" and event.from_status == "LOCKED" and event.to_status == "ACTIVE"
    assert event.diff["before"]["fail_login_count"] == 5

    assert api_login(app.test_client(), "ent_gz", DEMO_PASSWORD).status_code == 200


def test_admin_unlocks_from_the_show_page(app, client):
    lock(client, "ent_sz")
    user_id = account(app, "ent_sz").id
    token = _admin_token(client)
    response = client.post(f"/users/action/unlock/{user_id}", data={"csrf_token": token})
    assert response.status_code == 302
    assert account(app, "ent_sz").locked_until is None
    assert len(audit_events(app, "unlock", user_id)) == 1
    assert api_login(app.test_client(), "ent_sz", DEMO_PASSWORD).status_code == 200


def test_only_the_admin_unlocks(app, client):
    lock(client, "ent_gz")
    user_id = account(app, "ent_gz").id
    assert login(client, "gz_reviewer").status_code == 302
    token = csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))
    response = client.post("/users/action_post", data={"action": "unlock", "rowid": [user_id], "csrf_token": token})
    assert response.status_code in (302, 403)
    assert account(app, "ent_gz").locked_until is not None
    assert not audit_events(app, "unlock", user_id)


def test_unlock_action_refuses_a_non_admin_actor(app, db_session):
    from actions import accounts
    from core.errors import Forbidden
    from models.scope import Actor
    from models.security import AppUser

    user = db_session.scalars(select(AppUser).filter_by(username="ent_gz")).one()
    with pytest.raises(Forbidden):
        accounts.unlock(db_session, Actor(user.id, "ent_gz", "企业用户", enterprise_id=user.enterprise_id), [user])


# ---- normal logins are unaffected ----------------------------------------------------------------------------

@pytest.mark.parametrize("username", ["ent_gz", "gz_reviewer", "admin"])
def test_jwt_login_still_works(client, username):
    response = api_login(client, username, DEMO_PASSWORD)
    assert response.status_code == 200
    token = response.get_json()["access_token"]
    assert client.get("/api/v1/city/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_jwt_login_still_works_with_the_limit_on(app):
    with worker(app) as limited:
        c = limited.test_client()
        response = api_login(c, "ent_gz", DEMO_PASSWORD)
        assert response.status_code == 200
        assert c.get("/api/v1/city/",
                     headers={"Authorization": f"Bearer {response.get_json()['access_token']}"}).status_code == 200

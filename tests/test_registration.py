"""企业注册 / 注册审核 (issue 14) at the action level: every validation, the USCC and username duplicates, approval
creating or linking the enterprise and creating the account, return with a reason, state × role × scope of the
REGISTRATION table, the audit trail — and the two races over real parallel HTTP against the live server (the
double approval, the double registration), on SQLite and PostgreSQL."""
from __future__ import annotations

import itertools
from collections import Counter

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from actions import registration
from actions.workflow import run
from core.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from core.validators import complete_uscc
from models.audit import AuditEvent
from models.base import db
from models.enterprise import Enterprise
from models.registration import EnterpriseRegistration
from models.scope import Actor
from models.security import AppUser
from tests import factories
from tests.test_r9_concurrency import _post_json, _race, _token

_n = itertools.count(1)
PASSWORD = "Zhuce2026a"
ANON = Actor(None, "anonymous", None, ip="203.0.113.9")


def new_uscc(authority: str = "9", kind: str = "1", region: str = "440101") -> str:
    """A valid GB 32100 code (authority letters A/N/Y included)."""
    return complete_uscc(f"{authority}{kind}{region}MA{next(_n) + 7000:07d}")


def form(**overrides) -> dict:
    n = next(_n)
    data = {"uscc": new_uscc(), "enterprise_name": f"注册测试单位{n}", "city_code": "4401",
            "legal_representative": "张法人", "contact_name": "李联系", "contact_phone": "13800138000",
            "username": f"reg_user{n}", "password": PASSWORD}
    data.update(overrides)
    return data


def registered(**overrides) -> EnterpriseRegistration:
    row = registration.register(db.session, ANON, form(**overrides))
    db.session.commit()
    return row


def errors_of(exc: pytest.ExceptionInfo) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.value.errors}


# ---- 企业注册: validation ------------------------------------------------------------------------------------

def test_registration_is_pending_with_a_hashed_password_and_audited(db_session):
    row = registered()
    assert row.status == "PENDING" and row.application_no.startswith("ZC") and row.application_no.endswith(f"{row.id:06d}")
    assert row.password_hash != PASSWORD and check_password_hash(row.password_hash, PASSWORD)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.entity == "enterprise_registration",
                                                        AuditEvent.entity_id == row.id)).one()
    assert (event.action, event.to_status, event.actor_id, event.ip, event.city_code) == \
        ("register", "PENDING", None, "203.0.113.9", "4401")
    assert PASSWORD not in str(event.diff)


@pytest.mark.parametrize("authority", ["A", "N", "Y", "1", "5", "9"])
def test_valid_credit_codes_of_every_authority_pass(db_session, authority):
    code = new_uscc(authority)
    row = registered(uscc=code.lower())  # typed in lower case: normalised
    assert row.uscc == code


@pytest.mark.parametrize("field, value, message", [
    ("uscc", "", "请填写统一社会信用代码"),
    ("uscc", "91440101MA5CXXXX0", "统一社会信用代码应为18位"),
    ("uscc", "914401015CXXXXXXXI", "非法字符"),
    ("uscc", "B14401010000000001", "登记管理部门代码"),
    ("enterprise_name", "", "请填写单位名称"),
    ("enterprise_name", "名" * 129, "单位名称不能超过128个字"),
    ("city_code", "", "请选择所属地市"),
    ("city_code", "9999", "所属地市不存在"),
    ("legal_representative", "", "请填写法定代表人"),
    ("contact_name", "", "请填写联系人"),
    ("contact_phone", "", "请填写联系电话"),
    ("contact_phone", "12345", "联系电话格式不正确"),
    ("email", "not-an-email", "电子邮箱格式不正确"),
    ("username", "", "请填写用户名"),
    ("username", "ab", "用户名应为3至64位"),
    ("username", "用户名", "用户名应为3至64位"),
    ("password", "", "请填写密码"),
    ("password", "Ab1", "密码至少 8 位"),
    ("password", "abcdefgh", "密码须同时包含字母和数字"),
    ("password", "12345678", "密码须同时包含字母和数字"),
    ("password", "x" * 129 + "1", "密码不能超过128个字"),
    ("uscc", 914401010, "统一社会信用代码应为文本"),
    ("password", ["Abcd1234"], "密码应为文本"),
    ("city_code", {"code": "4401"}, "所属地市应为文本"),
    ("enterprise_name", "单位\x00名称", "单位名称不能包含空字符"),
])
def test_each_invalid_field_is_named_and_nothing_is_stored(db_session, field, value, message):
    before = db_session.scalar(select(func.count()).select_from(EnterpriseRegistration))
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(**{field: value}))
    db_session.rollback()
    assert message in errors_of(exc).get(field, ""), errors_of(exc)
    assert db_session.scalar(select(func.count()).select_from(EnterpriseRegistration)) == before


def test_a_wrong_check_character_is_refused(db_session):
    code = new_uscc()
    wrong = code[:17] + ("0" if code[17] != "0" else "1")
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(uscc=wrong))
    assert "校验位错误" in errors_of(exc)["uscc"]


def test_password_may_not_contain_the_username(db_session):
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(username="huanan", password="Huanan2026"))
    assert "密码不能包含用户名" in errors_of(exc)["password"]


def test_every_error_is_reported_at_once(db_session):
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, {"uscc": "x"})
    assert set(errors_of(exc)) >= {"uscc", "enterprise_name", "city_code", "legal_representative", "contact_name",
                                   "contact_phone", "username", "password"}


# ---- "A USCC already registered is refused"; usernames --------------------------------------------------

def test_uscc_of_an_enterprise_with_an_account_is_refused(db_session):
    ent_gz = factories.demo_enterprise("ent_gz")
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(uscc=ent_gz.uscc))
    assert "已注册账号" in errors_of(exc)["uscc"]


def test_uscc_with_a_pending_registration_is_refused_until_it_is_returned(db_session):
    first = registered()
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(uscc=first.uscc))
    db_session.rollback()
    assert "已有待审核的注册申请" in errors_of(exc)["uscc"]
    run(db_session, factories.actor("gz_reviewer"), "registration", "return", first.id, {"reason": "名称与执照不符"})
    db_session.commit()
    again = registered(uscc=first.uscc, username=first.username)  # a RETURNED registrant registers again
    assert again.status == "PENDING" and again.id != first.id


def test_uscc_of_an_enterprise_without_account_may_register(db_session):
    imported = factories.enterprise("管理员导入的单位", city="4401")
    db_session.commit()
    assert registered(uscc=imported.uscc).status == "PENDING"


@pytest.mark.parametrize("username", ["ent_gz", "ENT_GZ", "Gz_Reviewer"])
def test_username_of_an_account_is_refused_in_any_letter_case(db_session, username):
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(username=username))
    assert "用户名已被使用" in errors_of(exc)["username"]


def test_username_of_a_pending_registration_is_refused(db_session):
    first = registered()
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(username=first.username.upper()))
    assert "用户名已被使用" in errors_of(exc)["username"]


def test_email_of_an_account_is_refused(db_session):
    with pytest.raises(ValidationFailed) as exc:
        registration.register(db_session, ANON, form(email="ENT_GZ@demo.invalid"))
    assert "电子邮箱已被其他账号使用" in errors_of(exc)["email"]


def test_the_database_keeps_one_pending_registration_per_uscc_and_username(db_session):
    """The partial unique indexes hold even when the checks are skipped (what two simultaneous requests do)."""
    from sqlalchemy.exc import IntegrityError

    first = registered()
    for clash in ({"uscc": first.uscc}, {"username": first.username}):
        values = {**form(), **clash}
        db_session.add(EnterpriseRegistration(
            uscc=values["uscc"], enterprise_name="并发", city_code="4401", legal_representative="甲",
            contact_name="乙", contact_phone="13800138000", username=values["username"], password_hash="x",
            status="PENDING"))
        with pytest.raises(IntegrityError):
            db_session.flush()
        db_session.rollback()


# ---- 注册审核: approval ---------------------------------------------------------------------------------------

def test_approval_creates_the_enterprise_and_an_active_account(app, db_session, client):
    row = registered(email="boss@example.com")
    run(db_session, factories.actor("gz_reviewer"), "registration", "approve", row.id)
    db_session.commit()
    db_session.refresh(row)
    enterprise = db_session.get(Enterprise, row.enterprise_id)
    user = db_session.get(AppUser, row.user_id)
    assert row.status == "APPROVED" and row.reviewed_at is not None
    assert row.reviewed_by_id == factories.actor("gz_reviewer").user_id
    assert (enterprise.uscc, enterprise.name, enterprise.city_code, enterprise.legal_representative,
            enterprise.contact_name, enterprise.contact_phone) == (row.uscc, row.enterprise_name, "4401", "张法人",
                                                                   "李联系", "13800138000")
    assert user.active and user.enterprise_id == enterprise.id and not user.must_change_password
    assert [r.name for r in user.roles] == ["企业用户"] and user.email == "boss@example.com"
    assert user.password == row.password_hash
    from tests.conftest import login

    assert login(client, row.username, PASSWORD).status_code == 302  # the registrant's own password
    actions = {(e.entity, e.action) for e in db_session.scalars(select(AuditEvent))}
    assert {("enterprise_registration", "approve"), ("enterprise", "create"), ("ab_user", "create")} <= actions


def test_approval_links_an_existing_enterprise_without_overwriting_it(db_session):
    imported = factories.enterprise("省厅导入的名称", city="4401", legal_representative="原法人", contact_name=None,
                                    contact_phone=None)
    db_session.commit()
    row = registered(uscc=imported.uscc, enterprise_name="注册填写的名称")
    found = registration.differences(db_session, row)
    assert found["enterprise"].id == imported.id and not found["has_account"]
    shown = {f["field"]: (f["differs"], f["fills"]) for f in found["fields"]}
    assert shown["enterprise_name"] == (True, False) and shown["contact_name"] == (True, True)
    assert shown["city_code"] == (False, False)
    count = db_session.scalar(select(func.count()).select_from(Enterprise))
    run(db_session, factories.actor("gz_reviewer"), "registration", "approve", row.id)
    db_session.commit()
    db_session.refresh(imported)
    assert db_session.scalar(select(func.count()).select_from(Enterprise)) == count  # linked, not created
    assert row.enterprise_id == imported.id
    assert (imported.name, imported.legal_representative) == ("省厅导入的名称", "原法人")  # kept
    assert (imported.contact_name, imported.contact_phone) == ("李联系", "13800138000")  # blanks filled
    assert db_session.get(AppUser, row.user_id).enterprise_id == imported.id


@pytest.mark.parametrize("meanwhile, field", [("account", "uscc"), ("username", "username"), ("city", "city_code")])
def test_approval_checks_again_under_the_lock(db_session, meanwhile, field):
    imported = factories.enterprise("后来导入的单位", city="4403" if meanwhile == "city" else "4401")
    db_session.commit()
    row = registered(uscc=imported.uscc)
    if meanwhile == "account":
        factories.user(f"acct{next(_n)}", "企业用户", enterprise_id=imported.id)
    elif meanwhile == "username":
        factories.user(row.username, "企业用户")
    with pytest.raises(ValidationFailed) as exc:
        run(db_session, factories.actor("gz_reviewer"), "registration", "approve", row.id)
    db_session.rollback()
    assert field in errors_of(exc), errors_of(exc)
    assert db_session.get(EnterpriseRegistration, row.id).status == "PENDING"
    assert db_session.get(EnterpriseRegistration, row.id).user_id is None


def test_return_needs_a_reason_and_shows_it(db_session):
    row = registered()
    reviewer = factories.actor("gz_reviewer")
    with pytest.raises(ValidationFailed) as exc:
        run(db_session, reviewer, "registration", "return", row.id, {"reason": "  "})
    db_session.rollback()
    assert "请填写退回原因" in errors_of(exc)["reason"]
    run(db_session, reviewer, "registration", "return", row.id, {"reason": "营业执照名称不一致"})
    db_session.commit()
    db_session.refresh(row)
    assert (row.status, row.reason, row.user_id, row.enterprise_id) == ("RETURNED", "营业执照名称不一致", None, None)
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.entity == "enterprise_registration",
                                                        AuditEvent.action == "return")).one()
    assert (event.from_status, event.to_status, event.reason) == ("PENDING", "RETURNED", "营业执照名称不一致")


# ---- state × role × scope -------------------------------------------------------------------------------------

STATES = ("PENDING", "APPROVED", "RETURNED")
USERS = ("gz_reviewer", "sz_reviewer", "admin", "ent_gz")


@pytest.mark.parametrize("action", ["approve", "return"])
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("username", USERS)
def test_table_row_state_role_scope(db_session, action, state, username):
    """Only the reviewer of the registration's city acts, only on a PENDING one: another city's reviewer 404 (as a
    missing row), the admin (read-only) and an enterprise 403, a decided registration 409; nothing changes."""
    row = registered()
    if state != "PENDING":
        db_session.execute(EnterpriseRegistration.__table__.update().where(
            EnterpriseRegistration.id == row.id).values(status=state))
        db_session.commit()
    expected = {"sz_reviewer": NotFound, "admin": Forbidden, "ent_gz": Forbidden}.get(username)
    if expected is None and state != "PENDING":
        expected = TransitionNotAllowed
    call = lambda: run(db_session, factories.actor(username), "registration", action, row.id,  # noqa: E731
                       {"reason": "请补充"})
    if expected is None:
        call()
        db_session.commit()
        assert db_session.get(EnterpriseRegistration, row.id).status == ("APPROVED" if action == "approve"
                                                                         else "RETURNED")
        return
    with pytest.raises(expected):
        call()
    db_session.rollback()
    assert db_session.get(EnterpriseRegistration, row.id).status == state


def test_missing_registration_is_not_found(db_session):
    with pytest.raises(NotFound):
        run(db_session, factories.actor("gz_reviewer"), "registration", "approve", 2_000_000_000)


# ---- concurrency over real parallel HTTP --------------------------------------------------------------------

ROUNDS = 6


def test_two_reviewers_approving_at_once_one_wins(app, live_server):
    """The same registration approved twice at the same moment (two sessions of the city's reviewer): one 200,
    the other 409; one account, one enterprise."""
    tokens = [_token(live_server, "gz_reviewer"), _token(live_server, "gz_reviewer")]
    with app.app_context():
        pks = [registered().id for _ in range(ROUNDS)]
        db.session.remove()
    outcomes = Counter()
    for pk in pks:
        answers = _race([lambda t=t: _post_json(live_server, f"/api/v1/registration/{pk}/approve", {}, t)
                         for t in tokens])
        codes = sorted(code for code, _ in answers)
        outcomes[tuple(codes)] += 1
        assert codes == [200, 409], answers
    with app.app_context():
        rows = db.session.scalars(select(EnterpriseRegistration).where(EnterpriseRegistration.id.in_(pks))).all()
        assert all(r.status == "APPROVED" and r.user_id for r in rows)
        for r in rows:
            assert db.session.scalar(select(func.count()).select_from(AppUser).where(
                AppUser.username == r.username)) == 1
            assert db.session.scalar(select(func.count()).select_from(Enterprise).where(
                Enterprise.uscc == r.uscc)) == 1
        db.session.remove()


def test_approve_and_return_at_once_one_wins(app, live_server):
    token = _token(live_server, "gz_reviewer")
    with app.app_context():
        pks = [registered().id for _ in range(ROUNDS)]
        db.session.remove()
    for pk in pks:
        answers = _race([
            lambda: _post_json(live_server, f"/api/v1/registration/{pk}/approve", {}, token),
            lambda: _post_json(live_server, f"/api/v1/registration/{pk}/return", {"reason": "材料不符"}, token)])
        assert sorted(code for code, _ in answers) == [200, 409], answers
    with app.app_context():
        for pk in pks:
            row = db.session.get(EnterpriseRegistration, pk)
            assert (row.status == "APPROVED") == (row.user_id is not None)
        db.session.remove()


@pytest.mark.parametrize("clash", ["uscc", "username"])
def test_two_registrations_with_the_same_uscc_or_username_at_once_one_only(app, live_server, clash):
    """Two anonymous registrations sent at the same moment with the same USCC (or username): one 201, the other
    422 naming the field; one PENDING registration."""
    for _ in range(ROUNDS):
        first, second = form(), form()
        second[clash] = first[clash]
        answers = _race([lambda body=body: _post_json(live_server, "/api/v1/registration/", body)
                         for body in (first, second)])
        codes = sorted(code for code, _ in answers)
        assert codes == [201, 422], answers
        refused = next(body for code, body in answers if code == 422)
        assert refused["errors"][0]["field"] == clash, refused
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(EnterpriseRegistration).where(
                getattr(EnterpriseRegistration, clash) == first[clash])) == 1
            db.session.remove()

"""Scope matrix (DESIGN §2): an enterprise sees only itself, a reviewer only its city; out of scope answers
like missing (404) through screens, row actions and the API; CSRF on every form and action POST."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models.base import db
from models.enterprise import EcosystemRecognition, Enterprise
from tests import factories
from tests.conftest import csrf_token_from, login


@pytest.fixture
def ids(app):
    """Primary keys of the demo rows used by the matrix, plus a 深圳 recognition for sz_reviewer's own tests."""
    with app.app_context():
        gz = factories.demo_enterprise("ent_gz")
        sz = factories.demo_enterprise("ent_sz")
        gz_rec = db.session.scalars(select(EcosystemRecognition).filter_by(enterprise_id=gz.id)).one()
        sz_rec = factories.recognition(sz.id, city="4403")
        db.session.commit()
        return {"gz": gz.id, "sz": sz.id, "gz_rec": gz_rec.id, "sz_rec": sz_rec.id, "gz_name": gz.name,
                "sz_name": sz.name}


def _any_token(client):
    """A valid CSRF token of the logged-in session (from any form page)."""
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


def _recognition_count(app, rec_id):
    with app.app_context():
        return db.session.scalar(select(EcosystemRecognition.id).filter_by(id=rec_id)) is not None


# ---- enterprise user vs the other enterprise ----------------------------------------------------------------

def test_enterprise_lists_only_itself(client, ids):
    login(client, "ent_gz")
    html = client.get("/enterpriseview/list/").get_data(as_text=True)
    assert ids["gz_name"] in html and ids["sz_name"] not in html


def test_enterprise_cannot_show_other_enterprise(client, ids):
    login(client, "ent_gz")
    assert client.get(f"/enterpriseview/show/{ids['gz']}").status_code == 200
    response = client.get(f"/enterpriseview/show/{ids['sz']}")
    assert response.status_code == 404
    assert ids["sz_name"] not in response.get_data(as_text=True)


def test_enterprise_cannot_edit_or_delete_any_enterprise(app, client, ids):
    login(client, "ent_gz")
    token = _any_token(client)
    for pk in (ids["gz"], ids["sz"]):
        edit = client.post(f"/enterpriseview/edit/{pk}", data={"name": "改名", "csrf_token": token})
        delete = client.post(f"/enterpriseview/delete/{pk}", data={"csrf_token": token})
        assert edit.status_code in (302, 403) and delete.status_code in (302, 403)
    with app.app_context():
        names = set(db.session.scalars(select(Enterprise.name)))
    assert names == {ids["gz_name"], ids["sz_name"]}


def test_enterprise_api_scope(api, ids):
    ent = api("ent_gz")
    listing = ent.get("/api/v1/enterprise/").get_json()
    assert [row["id"] for row in listing["result"]] == [ids["gz"]]
    assert ent.get(f"/api/v1/enterprise/{ids['sz']}").status_code == 404
    assert ent.get(f"/api/v1/enterprise/{ids['sz']}").get_json()["message"] == "记录不存在或无权访问"
    assert ent.put(f"/api/v1/enterprise/{ids['sz']}", json={"name": "x"}).status_code in (403, 404)
    assert ent.delete(f"/api/v1/enterprise/{ids['sz']}").status_code in (403, 404)
    assert ent.get(f"/api/v1/ecosystem_recognition/{ids['sz_rec']}").status_code == 404


# ---- reviewer vs the other city's recognitions ---------------------------------------------------------------

def test_reviewer_lists_only_its_city(client, ids):
    login(client, "sz_reviewer")
    html = client.get("/recognitionview/list/").get_data(as_text=True)
    assert ids["sz_name"] in html and ids["gz_name"] not in html


@pytest.mark.parametrize("method,url", [
    ("get", "/recognitionview/show/{pk}"),
    ("get", "/recognitionview/edit/{pk}"),
    ("post", "/recognitionview/edit/{pk}"),
    ("post", "/recognitionview/delete/{pk}"),
])
def test_reviewer_cannot_touch_other_city_recognition(app, client, ids, method, url):
    login(client, "sz_reviewer")
    token = _any_token(client)
    target = url.format(pk=ids["gz_rec"])
    if method == "get":
        response = client.get(target)
    else:
        response = client.post(target, data={"csrf_token": token, "chain_name": "篡改", "role": "MEMBER",
                                             "valid_from": "2025-01-01"})
    assert response.status_code == 404
    assert ids["gz_name"] not in response.get_data(as_text=True)
    with app.app_context():
        row = db.session.get(EcosystemRecognition, ids["gz_rec"])
        assert row is not None and row.chain_name != "篡改"


def test_row_action_reloads_through_scope(app, client, ids):
    """FAB's /action_post ignores base_filters: posting another city's id must still answer 404."""
    login(client, "sz_reviewer")
    token = _any_token(client)
    response = client.post("/recognitionview/action_post",
                           data={"action": "delete_selected", "rowid": [ids["gz_rec"]], "csrf_token": token})
    assert response.status_code == 404
    assert _recognition_count(app, ids["gz_rec"])


def test_row_action_in_scope_deletes_with_audit(app, client, ids):
    from models.audit import AuditEvent

    login(client, "sz_reviewer")
    token = _any_token(client)
    response = client.post("/recognitionview/action_post",
                           data={"action": "delete_selected", "rowid": [ids["sz_rec"]], "csrf_token": token})
    assert response.status_code == 302
    assert not _recognition_count(app, ids["sz_rec"])
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).filter_by(entity="ecosystem_recognition",
                                                                entity_id=ids["sz_rec"])).one()
        assert event.action == "delete" and event.city_code == "4403" and event.actor_name == "sz_reviewer"


def test_reviewer_api_scope(app, api, ids):
    rev = api("sz_reviewer")
    assert rev.get(f"/api/v1/ecosystem_recognition/{ids['gz_rec']}").status_code == 404
    assert rev.put(f"/api/v1/ecosystem_recognition/{ids['gz_rec']}", json={"chain_name": "x"}).status_code == 404
    assert rev.delete(f"/api/v1/ecosystem_recognition/{ids['gz_rec']}").status_code == 404
    # Creating one for a 广州 enterprise: the enterprise is out of scope.
    created = rev.post("/api/v1/ecosystem_recognition/", json={
        "enterprise_id": ids["gz"], "chain_name": "越权", "role": "MEMBER", "city_code": "4401",
        "valid_from": "2025-01-01"})
    assert created.status_code == 404
    # For its own enterprise but claiming 广州: stored as 深圳 (a reviewer maintains its own city).
    own = rev.post("/api/v1/ecosystem_recognition/", json={
        "enterprise_id": ids["sz"], "chain_name": "深圳生态链", "role": "MEMBER", "city_code": "4401",
        "valid_from": "2025-01-01"})
    assert own.status_code == 201, own.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(select(EcosystemRecognition).filter_by(chain_name="越权")).all()
        assert rows == []
        assert db.session.get(EcosystemRecognition, own.get_json()["id"]).city_code == "4403"


def test_enterprise_user_cannot_write_recognitions(api, ids):
    ent = api("ent_gz")
    response = ent.post("/api/v1/ecosystem_recognition/", json={
        "enterprise_id": ids["gz"], "chain_name": "自己认定", "role": "LEADER", "city_code": "4401",
        "valid_from": "2025-01-01"})
    assert response.status_code == 403


def test_api_validation_errors_are_chinese_and_change_nothing(app, api, ids):
    rev = api("gz_reviewer")
    response = rev.post("/api/v1/ecosystem_recognition/", json={
        "enterprise_id": ids["gz"], "chain_name": "链", "role": "MEMBER", "city_code": "4401",
        "valid_from": "2026-01-01", "valid_to": "2025-01-01"})
    assert response.status_code == 422
    body = response.get_json()
    assert body["errors"][0]["field"] == "valid_to" and "有效期止不能早于有效期起" in body["message"]
    with app.app_context():
        assert db.session.scalars(select(EcosystemRecognition).filter_by(chain_name="链")).all() == []


# ---- CSRF ---------------------------------------------------------------------------------------------------

def test_form_post_without_csrf_is_refused(app, client, ids):
    login(client, "gz_reviewer")
    response = client.post(f"/recognitionview/edit/{ids['gz_rec']}",
                           data={"chain_name": "无令牌", "role": "MEMBER", "valid_from": "2025-01-01"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(EcosystemRecognition, ids["gz_rec"]).chain_name != "无令牌"


def test_action_post_without_csrf_is_refused(app, client, ids):
    login(client, "gz_reviewer")
    response = client.post("/recognitionview/action_post", data={"action": "delete_selected",
                                                                  "rowid": [ids["gz_rec"]]})
    assert response.status_code == 400
    assert _recognition_count(app, ids["gz_rec"])


def test_delete_by_get_is_refused(app, client, ids):
    login(client, "gz_reviewer")
    client.get(f"/recognitionview/delete/{ids['gz_rec']}")
    assert _recognition_count(app, ids["gz_rec"])


# ---- the reviewer's own screens ------------------------------------------------------------------------------

def test_reviewer_form_keeps_input_and_names_the_field(app, client, ids):
    login(client, "gz_reviewer")
    page = client.get("/recognitionview/add").get_data(as_text=True)
    response = client.post("/recognitionview/add", data={
        "csrf_token": csrf_token_from(page), "enterprise": str(ids["gz"]), "chain_name": "保留我的输入",
        "role": "MEMBER", "city": "4401", "valid_from": "2026-05-01", "valid_to": "2026-01-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "有效期止不能早于有效期起" in html and "保留我的输入" in html
    with app.app_context():
        assert db.session.scalars(select(EcosystemRecognition).filter_by(chain_name="保留我的输入")).all() == []


def test_reviewer_adds_recognition_for_own_city(app, client, ids):
    login(client, "gz_reviewer")
    page = client.get("/recognitionview/add").get_data(as_text=True)
    assert "深圳" not in page.split('id="city"')[1].split("</select>")[0]  # only its own city is offered
    response = client.post("/recognitionview/add", data={
        "csrf_token": csrf_token_from(page), "enterprise": str(ids["gz"]), "chain_name": "新链",
        "role": "MEMBER", "city": "4401", "valid_from": "2026-01-01", "valid_to": ""})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.scalars(select(EcosystemRecognition).filter_by(chain_name="新链")).one()
        assert row.city_code == "4401" and row.valid_to is None and row.recorded_by_id is not None
        assert row.is_valid_on(date(2030, 1, 1))

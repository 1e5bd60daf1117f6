"""培训场地维护 (manual §3.2.1.6 / §3.2.2.6, R25): the actions (scope × role, field rules, coordinates, R25 with
frozen time, audit), the REST API ``/api/v1/venue``, the screen (list, form, delete, map settings, geocoder proxy
without any external call, constant statement count) and one browser journey with no tile server reachable
(screenshots test-artifacts/venue-*.png)."""
from __future__ import annotations

import re
import socket
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, select

from actions import venues as va
from core.errors import Forbidden, NotFound, ValidationFailed
from models.audit import AuditEvent
from models.base import db
from models.enterprise import Venue
from models.filing import Course
from tests import factories
from tests.conftest import ROOT, browser_login, csrf_token_from, login, screenshot

#: 2027-03-10 12:00 in Shanghai: "today" of the R25 tests.
FROZEN = datetime(2027, 3, 10, 4, 0, tzinfo=timezone.utc)
TODAY = date(2027, 3, 10)

VALID = {"name": "一号实训车间", "address": "广州市天河区科韵路16号", "longitude": "113.264385",
         "latitude": "23.129112", "capacity": "40"}


def errors_of(exc: ValidationFailed) -> dict[str, str]:
    return {e.field: str(e.message) for e in exc.errors}


def make_venue(owner: str = "ent_gz", **values) -> int:
    """A venue of the demo account's enterprise, saved through the action (committed)."""
    venue = va.save_venue(db.session, factories.actor(owner), {**VALID, **values})
    db.session.commit()
    return venue.id


@pytest.fixture
def venues(app):
    """``{"gz": id, "sz": id}``: one venue of 广州 ent_gz and one of 深圳 ent_sz."""
    with app.app_context():
        ids = {"gz": make_venue("ent_gz", name="广州实训中心"), "sz": make_venue("ent_sz", name="深圳实训中心")}
        db.session.remove()
    return ids


def events(entity_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "venue",
                                                            AuditEvent.entity_id == entity_id)
                                   .order_by(AuditEvent.id)))


# ---------------------------------------------------------------------------------------------------------
# Actions: scope × role
# ---------------------------------------------------------------------------------------------------------

WRITES = ("create", "update", "delete")


def _write(op: str, actor, pk: int):
    if op == "create":
        return va.save_venue(db.session, actor, dict(VALID))
    if op == "update":
        return va.save_venue(db.session, actor, {**VALID, "name": "改名后的场地"}, pk)
    return va.delete_venue(db.session, actor, pk)


@pytest.mark.parametrize("op", WRITES)
@pytest.mark.parametrize("username,target,expected", [
    ("ent_gz", "gz", None),          # its own venue
    ("ent_gz", "sz", NotFound),      # another enterprise's: like a missing row
    ("ent_sz", "gz", NotFound),
    ("gz_reviewer", "gz", Forbidden),  # reviewers read their city's venues, never write
    ("gz_reviewer", "sz", Forbidden),
    ("admin", "gz", Forbidden),      # the admin reads everything, writes no venue
])
def test_write_matrix(app, venues, op, username, target, expected):
    with app.app_context():
        actor = factories.actor(username)
        pk = venues[target]
        if expected is None or (op == "create" and expected is NotFound):
            result = _write(op, actor, pk)
            db.session.commit()
            if op == "create":
                assert result.enterprise_id == actor.enterprise_id  # always the user's own enterprise
            elif op == "update":
                assert db.session.get(Venue, pk).name == "改名后的场地"
            else:
                assert db.session.get(Venue, pk) is None
        else:
            with pytest.raises(expected) as info:
                _write(op, actor, pk)
            db.session.rollback()
            if expected is Forbidden:
                assert "企业用户维护" in str(info.value.message)
            assert db.session.get(Venue, pk).name in ("广州实训中心", "深圳实训中心")  # untouched


@pytest.mark.parametrize("username,visible", [
    ("ent_gz", {"gz"}), ("ent_sz", {"sz"}), ("gz_reviewer", {"gz"}), ("sz_reviewer", {"sz"}),
    ("admin", {"gz", "sz"}),
])
def test_read_scope(app, venues, username, visible):
    with app.app_context():
        actor = factories.actor(username)
        for key, pk in venues.items():
            if key in visible:
                assert va.load_venue(db.session, actor, pk).id == pk
            else:
                with pytest.raises(NotFound):
                    va.load_venue(db.session, actor, pk)


def test_create_update_delete_are_audited_with_before_and_after(app):
    with app.app_context():
        actor = factories.actor("ent_gz")
        pk = make_venue("ent_gz")
        va.save_venue(db.session, actor, {**VALID, "name": "二号车间", "capacity": "60"}, pk)
        db.session.commit()
        va.delete_venue(db.session, actor, pk)
        db.session.commit()
        created, updated, deleted = events(pk)
        assert [created.action, updated.action, deleted.action] == ["create", "update", "delete"]
        assert created.diff["changes"]["name"] == [None, "一号实训车间"]
        assert created.diff["changes"]["longitude"] == [None, "113.264385"]
        assert updated.diff["changes"] == {"name": ["一号实训车间", "二号车间"], "capacity": [40, 60]}
        assert deleted.diff["changes"]["name"] == ["二号车间", None]
        assert {e.enterprise_id for e in (created, updated, deleted)} == {actor.enterprise_id}
        assert {e.actor_name for e in (created, updated, deleted)} == {"ent_gz"}


def test_saving_unchanged_values_writes_no_update_event(app):
    with app.app_context():
        pk = make_venue("ent_gz")
        va.save_venue(db.session, factories.actor("ent_gz"), dict(VALID), pk)
        db.session.commit()
        assert [e.action for e in events(pk)] == ["create"]


# ---------------------------------------------------------------------------------------------------------
# Actions: field rules
# ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes,field,message", [
    ({"longitude": "72.9"}, "longitude", "经度应在 73.5 至 135.1 之间（中国境内）"),
    ({"longitude": "135.2"}, "longitude", "经度应在 73.5 至 135.1 之间"),
    ({"latitude": "3.7"}, "latitude", "纬度应在 3.8 至 53.6 之间（中国境内）"),
    ({"latitude": "53.61"}, "latitude", "纬度应在 3.8 至 53.6 之间"),
    ({"longitude": "-113.2"}, "longitude", "经度应在 73.5 至 135.1 之间"),
    ({"longitude": "23.129112", "latitude": "113.264385"}, "longitude", "经度和纬度可能填反了"),
    ({"longitude": "东经113度"}, "longitude", "经度应为数字"),
    ({"latitude": "1e1"}, "latitude", "纬度应为数字"),
    ({"longitude": True}, "longitude", "经度应为数字"),
    ({"latitude": ""}, "latitude", "请同时填写经度和纬度，或两者都不填（缺少纬度）"),
    ({"longitude": None}, "longitude", "请同时填写经度和纬度，或两者都不填（缺少经度）"),
    ({"name": ""}, "name", "请填写场地名称"),
    ({"name": "场" * 65}, "name", "场地名称不能超过64个字"),
    ({"address": "   "}, "address", "请填写场地地址"),
    ({"address": "路" * 201}, "address", "场地地址不能超过200个字"),
    ({"capacity": "0"}, "capacity", "可容纳人数不能小于1"),
    ({"capacity": "三十"}, "capacity", "可容纳人数应为整数"),
    ({"capacity": "2.5"}, "capacity", "可容纳人数应为整数"),
])
def test_field_rules_name_the_field_in_chinese(app, changes, field, message):
    with app.app_context():
        with pytest.raises(ValidationFailed) as info:
            va.save_venue(db.session, factories.actor("ent_gz"), {**VALID, **changes})
        db.session.rollback()
        errors = errors_of(info.value)
        assert field in errors, errors
        assert message in errors[field], errors


@pytest.mark.parametrize("lon,lat,stored", [
    ("73.5", "3.8", ("73.500000", "3.800000")),        # the range's corners are inside
    ("135.1", "53.6", ("135.100000", "53.600000")),
    (113.2643855, 23.1291124, ("113.264386", "23.129112")),  # JSON numbers, rounded to six decimals
    ("１１３．２６", "２３．１３", ("113.260000", "23.130000")),  # full-width digits typed with a Chinese IME
    ("", "", (None, None)),                            # neither: allowed
    (None, None, (None, None)),
])
def test_coordinates_accepted(app, lon, lat, stored):
    with app.app_context():
        pk = make_venue("ent_gz", longitude=lon, latitude=lat)
        db.session.expire_all()
        venue = db.session.get(Venue, pk)
        got = tuple(None if v is None else f"{Decimal(v):.6f}" for v in (venue.longitude, venue.latitude))
        assert got == stored


def test_every_error_at_once(app):
    with app.app_context():
        with pytest.raises(ValidationFailed) as info:
            va.save_venue(db.session, factories.actor("ent_gz"),
                          {"name": "", "address": "", "longitude": "200", "latitude": "23", "capacity": "-1"})
        assert set(errors_of(info.value)) == {"name", "address", "longitude", "capacity"}


@pytest.mark.parametrize("value,ok", [("own", True), (None, True), ("other", False), ("abc", False),
                                      (True, False)])
def test_enterprise_id_is_always_the_users_own(app, value, ok):
    with app.app_context():
        own = factories.demo_enterprise("ent_gz").id
        other = factories.demo_enterprise("ent_sz").id
        given = {"own": own, "other": other}.get(value, value)
        data = {**VALID, "enterprise_id": given}
        if ok:
            venue = va.save_venue(db.session, factories.actor("ent_gz"), data)
            assert venue.enterprise_id == own
        else:
            with pytest.raises(ValidationFailed) as info:
                va.save_venue(db.session, factories.actor("ent_gz"), data)
            assert "只能是当前登录单位自己" in errors_of(info.value)["enterprise_id"]
        db.session.rollback()


# ---------------------------------------------------------------------------------------------------------
# R25: a venue used by a course that has not ended cannot be deleted
# ---------------------------------------------------------------------------------------------------------

def _course_on(venue_id: int, day, status: str = "CONFIGURED", filing_no: str = "XT4401-2027-000777") -> int:
    """A configured course of an approved 广州 filing at the venue, taking place on ``day`` (None: no date)."""
    filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status="APPROVED",
                                       start=date(2027, 1, 4), end=date(2028, 1, 3), filing_no=filing_no)
    course = filing.classes[0].courses[0]
    course.venue_id, course.status = venue_id, status
    for attr in ("date", "start_date", "end_date"):  # the course period once courses carry one (R16)
        if hasattr(Course, attr):
            setattr(course, attr, day)
    db.session.commit()
    return course.id


@pytest.mark.parametrize("day,status,expected", [
    (TODAY + timedelta(days=1), "CONFIGURED", "未结束的课程"),  # ends tomorrow: R25
    (TODAY, "CONFIGURED", "未结束的课程"),                      # ends today: not ended yet
    (None, "CONFIGURED", "未结束的课程"),                       # no end date: not ended
    (TODAY - timedelta(days=1), "CONFIGURED", "已被课程"),      # ended yesterday: still referenced (FK)
    (TODAY + timedelta(days=1), "CANCELLED", "已被课程"),       # cancelled course: not R25, but referenced
])
def test_r25_delete_refused_naming_the_course_and_class(app, day, status, expected):
    import time_machine

    with app.app_context():
        pk = make_venue("ent_gz")
        _course_on(pk, day, status)
        with time_machine.travel(FROZEN, tick=False):
            with pytest.raises(ValidationFailed) as info:
                va.delete_venue(db.session, factories.actor("ent_gz"), pk)
        db.session.rollback()
        message = errors_of(info.value)["id"]
        assert expected in message
        assert "“数控车削实训”" in message  # 课程名称
        assert "培训班：车工" in message and "2027-01-04 至 2028-01-03" in message  # its class
        assert "XT4401-2027-000777" in message
        if expected == "已被课程":
            assert "未结束" not in message
        assert db.session.get(Venue, pk) is not None
        assert [e.action for e in events(pk)] == ["create"]  # nothing audited for a refused delete


def test_r25_allows_delete_once_no_course_refers_to_it(app):
    import time_machine

    with app.app_context():
        used, free = make_venue("ent_gz", name="在用场地"), make_venue("ent_gz", name="空闲场地")
        _course_on(used, TODAY + timedelta(days=1))
        with time_machine.travel(FROZEN, tick=False):
            va.delete_venue(db.session, factories.actor("ent_gz"), free)
            db.session.commit()
        assert db.session.get(Venue, free) is None
        assert db.session.get(Venue, used) is not None


def test_r25_two_courses_say_there_are_more(app):
    import time_machine

    with app.app_context():
        pk = make_venue("ent_gz")
        _course_on(pk, TODAY + timedelta(days=3))
        _course_on(pk, TODAY + timedelta(days=5), filing_no="XT4401-2027-000778")
        with time_machine.travel(FROZEN, tick=False):
            with pytest.raises(ValidationFailed) as info:
                va.delete_venue(db.session, factories.actor("ent_gz"), pk)
        assert "等多门课程" in errors_of(info.value)["id"]


# ---------------------------------------------------------------------------------------------------------
# REST API /api/v1/venue
# ---------------------------------------------------------------------------------------------------------

def test_api_create_read_update_delete(app, api):
    ent = api("ent_gz")
    created = ent.post("/api/v1/venue/", json={"name": "API场地", "address": "广州市黄埔区开创大道1号",
                                                "longitude": 113.45, "latitude": "23.17", "capacity": 30})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    pk = body["id"]
    with app.app_context():
        own = factories.demo_enterprise("ent_gz").id
    assert body["result"]["enterprise_id"] == own
    assert body["result"]["name"] == "API场地"
    shown = ent.get(f"/api/v1/venue/{pk}").get_json()["result"]
    assert set(shown) >= {"id", "enterprise_id", "name", "address", "longitude", "latitude", "capacity"}
    assert Decimal(str(shown["longitude"])) == Decimal("113.45")
    assert shown["capacity"] == 30

    updated = ent.put(f"/api/v1/venue/{pk}", json={"capacity": 45})
    assert updated.status_code == 200, updated.get_json()
    assert updated.get_json()["result"]["capacity"] == 45
    assert updated.get_json()["result"]["name"] == "API场地"  # the other fields kept

    found = ent.get("/api/v1/venue/?name=API").get_json()
    assert [row["id"] for row in found["result"]] == [pk]
    assert ent.get("/api/v1/venue/?address=开创大道").get_json()["count"] == 1
    assert ent.get("/api/v1/venue/?name=不存在").get_json()["count"] == 0

    deleted = ent.delete(f"/api/v1/venue/{pk}")
    assert deleted.status_code == 200, deleted.get_json()
    assert ent.get(f"/api/v1/venue/{pk}").status_code == 404
    with app.app_context():
        assert [e.action for e in events(pk)] == ["create", "update", "delete"]


def test_api_scope_another_enterprises_venue_is_404(app, api, venues):
    ent = api("ent_gz")
    other = venues["sz"]
    assert ent.get(f"/api/v1/venue/{other}").status_code == 404
    assert ent.put(f"/api/v1/venue/{other}", json={"capacity": 5}).status_code == 404
    assert ent.delete(f"/api/v1/venue/{other}").status_code == 404
    listed = ent.get("/api/v1/venue/").get_json()
    assert [row["id"] for row in listed["result"]] == [venues["gz"]]
    # reviewers read their city's venues; the admin reads all
    assert [r["id"] for r in api("gz_reviewer").get("/api/v1/venue/").get_json()["result"]] == [venues["gz"]]
    assert {r["id"] for r in api("admin").get("/api/v1/venue/").get_json()["result"]} == set(venues.values())
    with app.app_context():
        assert db.session.get(Venue, other).capacity == 40


@pytest.mark.parametrize("body,field", [
    ({"remark": "x"}, "remark"),
    ({"status": "OK"}, "status"),
    ({"id": 5}, "id"),
    ({"city_code": "4401"}, "city_code"),
])
def test_api_unknown_fields_are_422(api, body, field):
    response = api("ent_gz").post("/api/v1/venue/", json={**VALID, **body})
    assert response.status_code == 422, response.get_json()
    assert field in [e["field"] for e in response.get_json()["errors"]]


def test_note_is_kept_and_limited(api):
    """备注 (note) of a venue: stored and shown; over 500 characters refused naming the field."""
    created = api("ent_gz").post("/api/v1/venue/", json={**VALID, "note": "周末不开放"})
    assert created.status_code == 201 and created.get_json()["result"]["note"] == "周末不开放"
    long = api("ent_gz").post("/api/v1/venue/", json={**VALID, "note": "字" * 501})
    assert long.status_code == 422 and long.get_json()["errors"][0]["field"] == "note"


def test_api_refuses_enterprise_id_of_another_enterprise(app, api, venues):
    with app.app_context():
        other = factories.demo_enterprise("ent_sz").id
        own = factories.demo_enterprise("ent_gz").id
    ent = api("ent_gz")
    response = ent.post("/api/v1/venue/", json={**VALID, "enterprise_id": other})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "enterprise_id"
    response = ent.put(f"/api/v1/venue/{venues['gz']}", json={"enterprise_id": other})
    assert response.status_code == 422
    assert ent.post("/api/v1/venue/", json={**VALID, "enterprise_id": own}).status_code == 201


@pytest.mark.parametrize("username", ["gz_reviewer", "admin"])
def test_api_writes_refused_for_reviewer_and_admin(api, venues, username):
    user = api(username)
    assert user.post("/api/v1/venue/", json=VALID).status_code == 403
    assert user.put(f"/api/v1/venue/{venues['gz']}", json={"capacity": 1}).status_code == 403
    assert user.delete(f"/api/v1/venue/{venues['gz']}").status_code == 403


def test_api_validation_and_r25_messages_are_chinese(app, api):
    ent = api("ent_gz")
    response = ent.post("/api/v1/venue/", json={**VALID, "longitude": 150})
    assert response.status_code == 422
    assert "经度应在 73.5 至 135.1 之间" in response.get_json()["message"]
    with app.app_context():
        pk = make_venue("ent_gz")
        _course_on(pk, None)
    response = ent.delete(f"/api/v1/venue/{pk}")
    assert response.status_code == 422
    assert "数控车削实训" in response.get_json()["message"]


def test_api_in_openapi_document(api):
    spec = api("admin").get("/api/v1/_openapi").get_json()
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/venue/"])
    assert {"get", "put", "delete"} <= set(spec["paths"]["/api/v1/venue/{pk}"])


# ---------------------------------------------------------------------------------------------------------
# The screen
# ---------------------------------------------------------------------------------------------------------

def _form_token(client, url: str = "/venues/add") -> str:
    page = client.get(url)
    assert page.status_code == 200
    return csrf_token_from(page.get_data(as_text=True))


def test_both_programme_menus_open_the_same_list(app):
    from views import menu

    entries = [e for e in menu.MENU if e.name in ("EcosystemVenues", "EnterpriseVenues")]
    assert [e.category.name for e in entries] == ["Ecosystem", "Enterprise"]
    with app.test_request_context():
        urls = {menu.menu_item(app.appbuilder.menu, e).get_url() for e in entries}
    assert urls == {"/venues/"}
    for entry in entries:
        names = [e.name for e in menu.MENU if e.category == entry.category]
        assert names.index(entry.name) > names.index(entry.name.replace("Venues", "TraineeQuery"))
        assert entry.roles == ("企业用户",)


def test_enterprise_adds_edits_and_deletes_on_the_screen(app, client, venues):
    login(client, "ent_gz")
    page = client.get("/venues/").get_data(as_text=True)
    assert "培训场地维护" in page and "广州实训中心" in page and "深圳实训中心" not in page
    assert 'id="venue-add"' in page

    token = _form_token(client)
    response = client.post("/venues/add", data={**VALID, "name": "屏幕新增场地", "csrf_token": token})
    assert response.status_code == 302
    listed = client.get("/venues/?name=屏幕").get_data(as_text=True)
    assert "屏幕新增场地" in listed and "广州实训中心" not in listed
    with app.app_context():
        pk = db.session.scalars(select(Venue.id).where(Venue.name == "屏幕新增场地")).one()

    edit = client.get(f"/venues/{pk}/edit").get_data(as_text=True)
    assert 'value="113.264385"' in edit and 'value="屏幕新增场地"' in edit
    response = client.post(f"/venues/{pk}/edit", data={**VALID, "name": "改过的场地", "csrf_token": token})
    assert response.status_code == 302

    response = client.post(f"/venues/{pk}/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "已删除培训场地“改过的场地”" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Venue, pk) is None


def test_failed_save_keeps_the_input_and_names_the_fields(client):
    login(client, "ent_gz")
    token = _form_token(client)
    response = client.post("/venues/add", data={**VALID, "name": "坐标有误的场地", "latitude": "",
                                                 "capacity": "0", "csrf_token": token})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "保存失败，请按提示修改后重新保存" in page
    assert re.search(r'data-field="latitude">请同时填写经度和纬度', page)
    assert re.search(r'data-field="capacity">可容纳人数不能小于1', page)
    assert 'value="坐标有误的场地"' in page and 'value="113.264385"' in page


def test_screen_scope_and_read_only_roles(app, client, venues):
    login(client, "ent_gz")
    token = _form_token(client)
    assert client.get(f"/venues/{venues['sz']}/edit").status_code == 404
    assert client.post(f"/venues/{venues['sz']}/edit", data={**VALID, "csrf_token": token}).status_code == 404
    assert client.post(f"/venues/{venues['sz']}/delete", data={"csrf_token": token}).status_code == 404

    client = app.test_client()
    login(client, "gz_reviewer")
    token = csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))
    page = client.get("/venues/").get_data(as_text=True)
    assert "广州实训中心" in page and "深圳实训中心" not in page
    assert 'id="venue-add"' not in page and "venue-delete" not in page and "仅供查看" in page
    assert client.get("/venues/add").status_code != 200  # no write permission: FAB refuses
    assert client.post(f"/venues/{venues['gz']}/delete", data={"csrf_token": token}).status_code != 200
    with app.app_context():
        assert db.session.get(Venue, venues["gz"]) is not None


def test_r25_refusal_is_flashed_on_the_list(app, client):
    with app.app_context():
        pk = make_venue("ent_gz", name="正在使用的场地")
        _course_on(pk, None)
    login(client, "ent_gz")
    token = _form_token(client)
    page = client.post(f"/venues/{pk}/delete", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "正被未结束的课程“数控车削实训”" in text and "正在使用的场地" in text


def test_delete_asks_for_confirmation(client, venues):
    login(client, "ent_gz")
    page = client.get("/venues/").get_data(as_text=True)
    assert 'data-confirm="确定删除培训场地“广州实训中心”吗？删除后不可恢复。"' in page
    assert "filing.js" in page  # the project's confirmation dialog


def test_form_without_tile_server_says_why_the_map_is_blank(client):
    login(client, "ent_gz")
    page = client.get("/venues/add").get_data(as_text=True)
    assert "未配置地图服务，请直接填写地址和经纬度" in page
    assert "leaflet.js" not in page
    assert "未配置地址搜索服务" in page and 'id="map-search-button" disabled' in page
    assert "经纬度坐标系：WGS-84" in page


def test_form_with_tile_server_loads_vendored_leaflet_only(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://tiles.example.invalid/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "MAP_TILE_ATTRIBUTION", "© 测试地图")
    monkeypatch.setitem(app.config, "MAP_COORDINATE_SYSTEM", "GCJ-02")
    login(client, "ent_gz")
    page = client.get("/venues/add").get_data(as_text=True)
    assert "/static/vendor/leaflet/leaflet.js" in page and "/static/vendor/leaflet/leaflet.css" in page
    assert 'data-tile-url="https://tiles.example.invalid/{z}/{x}/{y}.png"' in page
    assert "经纬度坐标系：GCJ-02" in page
    assert not re.search(r"(unpkg|jsdelivr|cdnjs|cdn\.)", page)
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/images/marker-icon.png").status_code == 200


def test_vendored_leaflet_records_version_and_licence():
    folder = ROOT / "static" / "vendor" / "leaflet"
    assert "BSD 2-Clause" in (folder / "LICENSE").read_text()
    assert "1.9.4" in (folder / "VERSION.md").read_text()
    assert "Leaflet 1.9.4" in (folder / "leaflet.js").read_text()[:300]


def test_list_statement_count_is_constant(app, client):
    with app.app_context():
        for i in range(3):
            make_venue("ent_gz", name=f"场地{i}")

    statements: list[str] = []

    def count(url: str) -> int:
        statements.clear()
        response = client.get(url)
        assert response.status_code == 200
        return len(statements)

    def on_execute(conn, cursor, statement, *args):
        statements.append(statement)

    login(client, "ent_gz")
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        few = count("/venues/")
        with app.app_context():
            for i in range(30):
                make_venue("ent_gz", name=f"批量场地{i}")
        many = count("/venues/")
        second = count("/venues/?page=2")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert few == many == second, (few, many, second)
    assert many <= 10
    page = client.get("/venues/").get_data(as_text=True)
    assert page.count("data-venue-id=") == 20  # 20 a page
    assert "共 33 条，每页 20 条，第 1 / 2 页" in page


# ---------------------------------------------------------------------------------------------------------
# 搜索地址: the server-side geocoder proxy (no external call in tests)
# ---------------------------------------------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Any real network call from the geocoder fails the test."""
    import views.ui.venues as module

    def refuse(*args, **kwargs):
        raise AssertionError("the tests must not call an external service")

    monkeypatch.setattr(module.urllib.request, "urlopen", refuse)
    return module


def test_geocode_not_configured_is_503(client, no_network):
    login(client, "ent_gz")
    response = client.get("/venues/geocode?q=科韵路")
    assert response.status_code == 503
    assert "未配置地址搜索服务" in response.get_json()["message"]
    assert client.get("/venues/geocode?q=").status_code == 422


@pytest.mark.parametrize("answer,expected", [
    ({"status": "1", "geocodes": [{"formatted_address": "广东省广州市天河区科韵路16号",
                                   "location": "113.373,23.126"}]},
     [("广东省广州市天河区科韵路16号", "113.373000", "23.126000")]),
    ({"status": "0", "location": {"lon": 113.3731, "lat": 23.1262, "keyWord": "科韵路16号"}},
     [("科韵路16号", "113.373100", "23.126200")]),
    ([{"display_name": "科韵路, 天河区", "lon": "113.37", "lat": "23.12"},
      {"display_name": "Kirkwall, Scotland", "lon": "-2.96", "lat": "58.98"}],  # outside China: dropped
     [("科韵路, 天河区", "113.370000", "23.120000")]),
    ({"results": [{"address": "自建服务", "longitude": "113.1", "latitude": "23.1"}]},
     [("自建服务", "113.100000", "23.100000")]),
    ({"status": "0", "info": "INVALID_USER_KEY"}, []),
])
def test_geocode_answers_of_the_known_providers(app, client, no_network, monkeypatch, answer, expected):
    calls = []

    def fake_fetch(url, timeout):
        calls.append((url, timeout))
        return answer

    monkeypatch.setitem(app.config, "MAP_GEOCODER_URL", "https://geo.example.invalid/geo?key=K&address={query}")
    monkeypatch.setitem(app.config, "MAP_GEOCODER_TIMEOUT", 2.5)
    monkeypatch.setattr(no_network, "fetch_json", fake_fetch)
    login(client, "ent_gz")
    response = client.get("/venues/geocode?q=科韵路 16号")
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["address"], r["longitude"], r["latitude"]) for r in body["results"]] == expected
    if not expected:
        assert "未找到该地址" in body["message"]
    assert calls == [("https://geo.example.invalid/geo?key=K&address=%E7%A7%91%E9%9F%B5%E8%B7%AF%2016%E5%8F%B7",
                      2.5)]


def test_geocode_unreachable_or_slow_is_502(app, client, monkeypatch, no_network):
    seen = {}

    def slow(request, timeout):
        seen["timeout"] = timeout
        seen["url"] = request.full_url
        raise socket.timeout("timed out")

    monkeypatch.setattr(no_network.urllib.request, "urlopen", slow)
    monkeypatch.setitem(app.config, "MAP_GEOCODER_URL", "https://geo.example.invalid/?q={query}")
    monkeypatch.setitem(app.config, "MAP_GEOCODER_TIMEOUT", 1.5)
    login(client, "ent_gz")
    response = client.get("/venues/geocode?q=天河")
    assert response.status_code == 502
    assert "地址搜索服务暂时无法访问" in response.get_json()["message"]
    assert seen == {"timeout": 1.5, "url": "https://geo.example.invalid/?q=%E5%A4%A9%E6%B2%B3"}


def test_geocode_needs_a_login(client):
    assert client.get("/venues/geocode?q=天河").status_code in (401, 302)


# ---------------------------------------------------------------------------------------------------------
# Browser: 培训场地维护 with no tile server reachable
# ---------------------------------------------------------------------------------------------------------

def _open_menu(page, category: str, item: str) -> None:
    page.locator("header .navbar a.dropdown-toggle", has_text=re.compile("^\\s*" + category + "\\s*$")).click()
    page.locator("header .dropdown-menu a", has_text=item).filter(visible=True).first.click()


@pytest.mark.browser
def test_browser_venue_journey_without_map_service(app, page, monkeypatch):
    from playwright.sync_api import expect

    browser_login(page, "ent_gz")
    _open_menu(page, "企业新型学徒制培训", "培训场地维护")
    expect(page.locator("h3.filing-title")).to_contain_text("培训场地维护")
    expect(page.locator("#no-venues")).to_be_visible()
    page.locator("#venue-add").click()

    # No MAP_TILE_URL: the map area says why it is blank; the form works with typed values.
    expect(page.locator("#map-notice")).to_be_visible()
    expect(page.locator("#map-notice")).to_contain_text("未配置地图服务，请直接填写地址和经纬度")
    screenshot(page, "venue-1-form-no-map-service")

    page.fill("#name", "一号实训车间")
    page.fill("#address", "广州市天河区科韵路16号")
    page.fill("#longitude", "113.373")
    page.fill("#capacity", "40")
    page.locator("#venue-save").click()
    expect(page.locator(".field-error[data-field=latitude]")).to_contain_text("请同时填写经度和纬度")
    expect(page.locator("#longitude")).to_have_value("113.373")  # input kept
    screenshot(page, "venue-2-both-or-neither")

    page.fill("#latitude", "23.126")
    page.locator("#venue-save").click()
    expect(page.locator(".alert-success").first).to_contain_text("培训场地“一号实训车间”已保存")
    row = page.locator("#venue-table tbody tr", has_text="一号实训车间")
    expect(row).to_contain_text("广州市天河区科韵路16号")
    expect(row).to_contain_text("113.373000")
    expect(row).to_contain_text("23.126000")
    screenshot(page, "venue-3-list")

    # A tile server is configured but cannot be reached: Leaflet (vendored) draws an empty map and the page says
    # the map service cannot be reached; a click on the map still fills the coordinates.
    monkeypatch.setitem(app.config, "MAP_TILE_URL", "https://127.0.0.1:9/tiles/{z}/{x}/{y}.png")
    monkeypatch.setitem(app.config, "MAP_TILE_ATTRIBUTION", "测试瓦片")
    row.locator("a.venue-edit").click()
    expect(page.locator("#venue-map.leaflet-container")).to_be_visible()
    expect(page.locator("#map-notice")).to_contain_text("地图服务无法访问")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(1)  # the stored coordinates are marked
    page.locator("#venue-map").click(position={"x": 120, "y": 300})
    expect(page.locator("#longitude")).not_to_have_value("113.373000")
    lon = float(page.locator("#longitude").input_value())
    lat = float(page.locator("#latitude").input_value())
    assert 73.5 < lon < 135.1 and 3.8 < lat < 53.6, (lon, lat)
    screenshot(page, "venue-4-map-unreachable")

    # 搜索地址 with a geocoder configured (answered in-process: no external call) fills address and coordinates.
    import views.ui.venues as venue_views

    monkeypatch.setitem(app.config, "MAP_GEOCODER_URL", "https://geo.example.invalid/geo?address={query}")
    monkeypatch.setattr(venue_views, "fetch_json", lambda url, timeout: {"status": "1", "geocodes": [
        {"formatted_address": "广东省广州市天河区科韵路16号", "location": "113.373,23.126"}]})
    page.reload()
    page.fill("#map-search", "科韵路16号")
    page.locator("#map-search-button").click()
    result = page.locator("#map-search-results li", has_text="广东省广州市天河区科韵路16号")
    expect(result).to_be_visible()
    screenshot(page, "venue-5-address-search")
    result.click()
    expect(page.locator("#address")).to_have_value("广东省广州市天河区科韵路16号")
    expect(page.locator("#longitude")).to_have_value("113.373000")
    expect(page.locator("#latitude")).to_have_value("23.126000")
    page.locator("#venue-save").click()
    expect(page.locator(".alert-success").first).to_be_visible()
    expect(page.locator("#venue-table tbody tr", has_text="一号实训车间")).to_contain_text("广东省广州市天河区科韵路16号")

    # 删除 asks first (once the page's scripts have bound the confirmation: a click before that would submit).
    page.wait_for_load_state("load")
    page.locator("#venue-table tbody tr", has_text="一号实训车间").locator("button.venue-delete").click()
    expect(page.locator("#filing-confirm.in .confirm-text")).to_be_visible()
    expect(page.locator("#filing-confirm .confirm-text")).to_contain_text("确定删除培训场地“一号实训车间”吗")
    page.wait_for_timeout(400)  # bootstrap's fade-in, for the screenshot
    screenshot(page, "venue-6-delete-confirm")
    page.locator("#confirm-ok").click()
    expect(page.locator(".alert-success").first).to_contain_text("已删除培训场地“一号实训车间”")
    expect(page.locator("#no-venues")).to_be_visible()
    assert Path(ROOT / "test-artifacts" / "venue-3-list.png").exists()

"""R24 attendance sources: device keys, ``POST /api/v1/attendance/`` (device key or the enterprise's JWT), the
per-record checks (course of the enterprise, person of the class, window ± 2 h), idempotency also under two
concurrent identical posts over real HTTP, the 考勤设备 screen, and 扫码签到 (QR token expiry, replay, strangers,
rate limit of the public page)."""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from actions import attendance as aa
from models.attendance import CheckInDevice
from models.audit import AuditEvent
from models.base import db
from models.enums import TraineeStatus
from models.filing import Attendance, Course
from tests import factories
from tests.conftest import TEST_OVERRIDES, csrf_token_from
from tests.test_r9_concurrency import _post_json, _race

URL = "/api/v1/attendance/"
DAY = date(2027, 3, 10)


def _course(username: str = "ent_gz", **kw):
    """An APPROVED filing of ``username``'s enterprise with one CONFIGURED course 2027-03-10..11, 09:00–12:00."""
    filing = factories.complete_filing(factories.demo_enterprise(username).id, status="APPROVED", trainees=3, **kw)
    course = filing.classes[0].courses[0]
    course.start_date, course.end_date = DAY, date(2027, 3, 11)
    course.start_time, course.end_time, course.status = time(9, 0), time(12, 0), "CONFIGURED"
    db.session.flush()
    return filing, course


def _device(username: str = "ent_gz", name: str = "一号门禁"):
    device, key = aa.create_device(db.session, factories.actor(username), name)
    return device, key


def _rec(course_id, id_number, at="2027-03-10T09:05:00+08:00", role="TRAINEE", **kw):
    return {"course_id": course_id, "id_number": id_number, "role": role, "check_in": at, **kw}


@pytest.fixture
def setup(app):
    with app.app_context():
        filing, course = _course()
        device, key = _device()
        data = {"course": course.id, "key": key, "device": device.id,
                "trainees": [t.id_number for t in filing.trainees], "trainee_ids": [t.id for t in filing.trainees],
                "teacher": filing.teachers[0].id_number, "filing": filing.id}
        db.session.commit()
    return data


def _count(app, **where):
    with app.app_context():
        stmt = select(func.count()).select_from(Attendance)
        for key, value in where.items():
            stmt = stmt.where(getattr(Attendance, key) == value)
        return db.session.scalar(stmt)


# ---- devices ---------------------------------------------------------------------------------------------------

def test_device_key_is_stored_as_a_hash_and_shown_once(app, setup):
    with app.app_context():
        device = db.session.get(CheckInDevice, setup["device"])
        assert device.key_hash == aa.hash_key(setup["key"]) and setup["key"] not in (device.key_hash, device.key_prefix)
        assert device.key_prefix == setup["key"][:6]
        assert aa.device_for_key(db.session, setup["key"]).id == device.id
        assert aa.device_for_key(db.session, setup["key"] + "x") is None
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "create_device")) == 1


def test_unknown_and_revoked_keys_are_refused_401(app, client, setup):
    body = {"records": [_rec(setup["course"], setup["trainees"][0])]}
    answer = client.post(URL, json=body, headers={"X-Device-Key": "not-a-key"})
    assert answer.status_code == 401 and "设备密钥无效" in answer.get_json()["message"]
    with app.app_context():
        aa.revoke_device(db.session, factories.actor("ent_gz"), setup["device"])
        db.session.commit()
    answer = client.post(URL, json=body, headers={"X-Device-Key": setup["key"]})
    assert answer.status_code == 401 and "已吊销" in answer.get_json()["message"]
    assert _count(app) == 0


def test_device_posts_without_jwt_or_csrf_and_marks_last_seen(app, client, setup):
    body = {"records": [_rec(setup["course"], setup["trainees"][0]),
                        _rec(setup["course"], setup["teacher"], role="TEACHER", check_out="2027-03-10T12:01:00+08:00")]}
    answer = client.post(URL, json=body, headers={"X-Device-Key": setup["key"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"accepted": 2, "duplicates": 0, "refused": []}
    with app.app_context():
        row = db.session.scalars(select(Attendance).where(Attendance.teacher_id.is_not(None))).one()
        assert row.source == "DEVICE" and row.device_id == setup["device"] and row.role == "TEACHER"
        assert row.check_in == datetime(2027, 3, 10, 1, 5)  # stored as UTC
        assert db.session.get(CheckInDevice, setup["device"]).last_seen_at is not None
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "record_check_ins")).one()
        assert event.diff["accepted"] == 2 and event.diff["device_id"] == setup["device"]
    again = client.post(URL, json=body, headers={"X-Device-Key": setup["key"]})
    assert again.get_json() == {"accepted": 0, "duplicates": 2, "refused": []}
    assert _count(app) == 2


def test_another_enterprises_course_is_refused(app, client, setup):
    with app.app_context():
        _, other = _course("ent_sz")
        other_id = other.id
        sz_person = db.session.get(Course, other_id).training_class.filing.trainees[0].id_number
        db.session.commit()
    answer = client.post(URL, json={"records": [_rec(other_id, sz_person)]}, headers={"X-Device-Key": setup["key"]})
    assert answer.get_json()["refused"] == [{"index": 0, "message": "课程不存在或不属于本单位"}]
    assert _count(app) == 0


def test_enterprise_jwt_may_post_reviewer_and_admin_may_not(app, api, setup):
    body = {"records": [_rec(setup["course"], setup["trainees"][1])]}
    assert api("gz_reviewer").post(URL, json=body).status_code == 403
    assert api("admin").post(URL, json=body).status_code == 403
    answer = api("ent_gz").post(URL, json=body)
    assert answer.status_code == 200 and answer.get_json()["accepted"] == 1
    assert api("ent_sz").post(URL, json=body).get_json()["refused"][0]["message"] == "课程不存在或不属于本单位"
    listed = api("gz_reviewer").get(f"{URL}?course_id={setup['course']}").get_json()
    assert listed["count"] == 1
    assert api("ent_sz").get(URL).get_json()["count"] == 0


def test_without_credentials_401(client, setup):
    assert client.post(URL, json={"records": []}).status_code == 401


def test_too_many_records_413(client, setup):
    records = [_rec(setup["course"], setup["trainees"][0])] * (aa.MAX_RECORDS + 1)
    answer = client.post(URL, json={"records": records}, headers={"X-Device-Key": setup["key"]})
    assert answer.status_code == 413 and "5000" in answer.get_json()["message"]


@pytest.mark.parametrize("check_in, ok", [
    ("2027-03-10T07:00:00+08:00", True),     # start − 2 h exactly
    ("2027-03-10T06:59:00+08:00", False),    # one minute earlier
    ("2027-03-10T14:00:00+08:00", True),     # end + 2 h exactly
    ("2027-03-10T14:01:00+08:00", False),    # one minute later
    ("2027-03-09T23:00:00Z", True),          # 07:00 on the 10th in Shanghai, given in UTC
    ("2027-03-11T10:00:00+08:00", True),     # second day of the course
    ("2027-03-12T10:00:00+08:00", False),    # after the course's last day
    ("2027-03-09T10:00:00+08:00", False),    # before its first day
    ("2027-03-10T09:00:00", False),          # naive: refused
    ("10/03/2027 09:00", False),
])
def test_window_edges(app, client, setup, check_in, ok):
    answer = client.post(URL, json={"records": [_rec(setup["course"], setup["trainees"][0], at=check_in)]},
                         headers={"X-Device-Key": setup["key"]}).get_json()
    assert answer["accepted"] == (1 if ok else 0), answer
    if not ok:
        assert re.search(r"时段|时区|格式", answer["refused"][0]["message"])


def test_each_record_is_checked_on_its_own(app, client, setup):
    with app.app_context():
        lost = factories.actor("ent_gz")
        from models.filing import Trainee

        trainee = db.session.get(Trainee, setup["trainee_ids"][2])
        trainee.status, trainee.lost_reason, trainee.lost_date = TraineeStatus.LOST, "离职", DAY
        db.session.commit()
        assert lost.is_enterprise
    stranger = factories.id_number(birth="19900101", seq=777)
    records = [
        _rec(setup["course"], setup["trainees"][0]),
        _rec(setup["course"], stranger),                                   # not in the class
        _rec(setup["course"], setup["trainees"][2]),                       # lost
        _rec(setup["course"], setup["trainees"][0]),                       # repeat inside the batch
        _rec(setup["course"], setup["trainees"][0], at="2027-03-10T01:05:00Z"),  # the same instant in UTC
        _rec(setup["course"], setup["trainees"][1], check_out="2027-03-10T09:00:00+08:00"),  # out before in
        _rec(setup["course"], setup["teacher"]),                           # a teacher posted as trainee
        _rec(setup["course"], setup["teacher"], role="TEACHER"),
        _rec(999999, setup["trainees"][0]),
        "nonsense",
        _rec(setup["course"], setup["trainees"][1], role="STUDENT"),
    ]
    answer = client.post(URL, json={"records": records}, headers={"X-Device-Key": setup["key"]}).get_json()
    assert answer["accepted"] == 2 and answer["duplicates"] == 2
    refused = {item["index"]: item["message"] for item in answer["refused"]}
    assert refused == {1: "该人员不是本课程所属培训班的学员", 2: "该学员已流失，不能签到",
                       5: "签退时间不能早于签到时间", 6: "该人员不是本课程所属培训班的学员",
                       8: "课程不存在或不属于本单位", 9: "记录应为 JSON 对象",
                       10: "role 应为 TRAINEE（学员）或 TEACHER（教师）"}
    assert _count(app) == 2


def test_unconfigured_or_cancelled_course_refused(app, client, setup):
    with app.app_context():
        course = db.session.get(Course, setup["course"])
        course.status = "CANCELLED"
        db.session.commit()
    answer = client.post(URL, json={"records": [_rec(setup["course"], setup["trainees"][0])]},
                         headers={"X-Device-Key": setup["key"]}).get_json()
    assert "尚未配置" in answer["refused"][0]["message"]


def test_record_check_ins_is_set_based(app, setup):
    """One query for the courses, one for the persons, one INSERT per 1,000 rows, whatever the batch size."""
    from sqlalchemy import event

    with app.app_context():
        enterprise_id = factories.demo_enterprise("ent_gz").id
        statements: list[str] = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            records = [_rec(setup["course"], setup["trainees"][i % 2], at=f"2027-03-10T09:{i:02d}:00+08:00")
                       for i in range(50)]
            result = aa.record_check_ins(db.session, enterprise_id, records, "DEVICE")
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert result["accepted"] == 50
        selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
        inserts = [s for s in statements if "INSERT INTO attendance" in s]
        assert len(inserts) == 1
        assert len(selects) <= 5, selects  # courses, persons, enterprise (audit), city — not per record


@pytest.mark.parametrize("rounds", [8])
def test_two_identical_concurrent_posts_store_once(app, live_server, setup, rounds):
    headers_key = setup["key"]

    def post(body):
        import json
        import urllib.request

        request = urllib.request.Request(live_server + URL, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "X-Device-Key": headers_key})
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())

    for n in range(rounds):
        body = {"records": [_rec(setup["course"], number, at=f"2027-03-10T10:{n:02d}:00+08:00")
                            for number in setup["trainees"]]}
        answers = _race([lambda: post(body), lambda: post(body)])
        assert all(status == 200 for status, _ in answers), answers
        assert sum(a["accepted"] for _, a in answers) == 3, answers
        assert sum(a["duplicates"] for _, a in answers) == 3, answers
    assert _count(app) == 3 * rounds
    assert _post_json  # the shared helpers of the R9 race test


# ---- 考勤设备 screen ----------------------------------------------------------------------------------------------

def test_device_screen_add_shows_key_once_and_revoke(app, client, login_as):
    login_as("ent_gz")
    page = client.get("/attendance/devices/")
    assert page.status_code == 200 and "考勤设备" in page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    added = client.post("/attendance/devices/add", data={"name": "二号门禁", "csrf_token": token})
    html = added.get_data(as_text=True)
    assert added.status_code == 201 and "只显示这一次" in html
    key = re.search(r'id="device-key-value">([^<]+)<', html).group(1)
    with app.app_context():
        device = db.session.scalars(select(CheckInDevice)).one()
        assert device.key_hash == aa.hash_key(key)
    listed = client.get("/attendance/devices/").get_data(as_text=True)
    assert key not in listed and f"{key[:6]}…" in listed
    assert client.post("/attendance/devices/add", data={"name": "", "csrf_token": token}).status_code == 422
    client.post(f"/attendance/devices/{device.id}/revoke", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(CheckInDevice, device.id).active is False


def test_device_screen_scope(app, client, login_as, setup):
    login_as("ent_sz")
    token = csrf_token_from(client.get("/attendance/devices/").get_data(as_text=True))
    assert "一号门禁" not in client.get("/attendance/devices/").get_data(as_text=True)
    assert client.post(f"/attendance/devices/{setup['device']}/revoke", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        assert db.session.get(CheckInDevice, setup["device"]).active is True


def test_reviewer_sees_its_citys_devices_but_cannot_add(app, client, login_as, setup):
    login_as("gz_reviewer")
    page = client.get("/attendance/devices/")
    assert page.status_code == 200 and "一号门禁" in page.get_data(as_text=True)
    assert "device-add-form" not in page.get_data(as_text=True)
    with app.app_context():
        from core.errors import Forbidden

        with pytest.raises(Forbidden):
            aa.create_device(db.session, factories.actor("gz_reviewer"), "x")


# ---- 扫码签到 ---------------------------------------------------------------------------------------------------

IN_WINDOW = datetime(2027, 3, 10, 0, 30, 10, tzinfo=timezone.utc)  # 08:30:10 in Shanghai


def _qr_token(client, course_id) -> dict:
    answer = client.get(f"/attendance/course/{course_id}/qr/token")
    assert answer.status_code == 200
    return answer.get_json()


def _check_in(client, url: str, name: str, number: str):
    page = client.get(url)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(url, data={"name": name, "id_number": number, "csrf_token": token})


def test_qr_check_in_replay_and_expiry(app, client, login_as, setup):
    with time_machine.travel(IN_WINDOW, tick=False):
        login_as("ent_gz")  # sessions last 8 hours: log in at the travelled time
        page = client.get(f"/attendance/course/{setup['course']}/qr")
        assert page.status_code == 200 and "<svg" in page.get_data(as_text=True)
        payload = _qr_token(client, setup["course"])
        assert payload["open"] and "/checkin/" in payload["url"]
    url = payload["url"].split("://", 1)[1].split("/", 1)[1]
    url = "/" + url
    with app.app_context():
        from models.filing import Trainee

        name = db.session.scalars(select(Trainee.name).where(Trainee.id == setup["trainee_ids"][0])).one()
    public = app.test_client()
    with time_machine.travel(datetime(2027, 3, 10, 0, 31, 0, tzinfo=timezone.utc), tick=False):
        answer = _check_in(public, url, name, setup["trainees"][0])
        assert answer.status_code == 200 and "签到成功" in answer.get_data(as_text=True)
        again = _check_in(public, url, name, setup["trainees"][0])  # the same token, the same person
        assert again.status_code == 200 and "已签到" in again.get_data(as_text=True)
        stranger = _check_in(public, url, "路人甲", factories.id_number(birth="19900101", seq=555))
        assert stranger.status_code == 422 and "不在本课程所属培训班的名单中" in stranger.get_data(as_text=True)
        wrong_name = _check_in(public, url, "别人", setup["trainees"][1])
        assert wrong_name.status_code == 422 and "姓名与身份证号码不匹配" in wrong_name.get_data(as_text=True)
        no_csrf = public.post(url, data={"name": name, "id_number": setup["trainees"][1]})
        assert no_csrf.status_code == 400
    assert _count(app, source="QR") == 1
    with app.app_context():
        row = db.session.scalars(select(Attendance)).one()
        assert row.check_in == datetime(2027, 3, 10, 0, 30, 0)  # the token's issue minute, UTC
    # a newer token the same day: still 已签到, nothing stored
    with time_machine.travel(datetime(2027, 3, 10, 0, 40, 0, tzinfo=timezone.utc), tick=False):
        newer = "/" + _qr_token(client, setup["course"])["url"].split("://", 1)[1].split("/", 1)[1]
        assert "已签到" in _check_in(public, newer, name, setup["trainees"][0]).get_data(as_text=True)
    assert _count(app) == 1
    # the first token, 2 minutes + 1 s after its issue: expired
    with time_machine.travel(datetime(2027, 3, 10, 0, 32, 1, tzinfo=timezone.utc), tick=False):
        expired = public.get(url)
        assert expired.status_code == 410 and "二维码已过期" in expired.get_data(as_text=True)
    assert public.get("/checkin/forged-token").status_code == 410


def test_qr_token_only_inside_the_window(app, client, login_as, setup):
    with time_machine.travel(datetime(2027, 3, 9, 22, 59, 0, tzinfo=timezone.utc), tick=False):  # 06:59
        login_as("ent_gz")
        payload = _qr_token(client, setup["course"])
        assert payload["open"] is False and "签到时段" in payload["message"]
    with time_machine.travel(datetime(2027, 3, 9, 23, 0, 0, tzinfo=timezone.utc), tick=False):  # 07:00 exactly
        assert _qr_token(client, setup["course"])["open"] is True
    with time_machine.travel(datetime(2027, 3, 10, 6, 1, 0, tzinfo=timezone.utc), tick=False):  # 14:01
        assert _qr_token(client, setup["course"])["open"] is False


def test_qr_page_of_another_enterprises_course_is_404(app, client, login_as, setup):
    login_as("ent_sz")
    assert client.get(f"/attendance/course/{setup['course']}/qr").status_code == 404


def test_qr_lost_trainee_refused(app, setup):
    from flask import current_app

    from core.errors import DomainError
    from models.filing import Trainee

    with app.app_context():
        trainee = db.session.get(Trainee, setup["trainee_ids"][1])
        trainee.status = TraineeStatus.LOST
        course = db.session.get(Course, setup["course"])
        secret = current_app.config["SECRET_KEY"]
        issued = aa.issue_qr_token(secret, course, IN_WINDOW)
        with pytest.raises(DomainError) as info:
            aa.qr_check_in(db.session, secret, issued["token"], trainee.name, trainee.id_number, now=IN_WINDOW)
        assert "已流失" in str(info.value.message)


def test_checkin_page_is_rate_limited_per_ip(app, setup):
    from app import create_app

    config = {**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
              "RATELIMIT_ENABLED": True, "CHECKIN_RATE_LIMIT": "3 per minute",
              "RATELIMIT_KEY_PREFIX": "checkin-test"}
    instance = create_app(config)
    try:
        with instance.app_context():
            course = db.session.get(Course, setup["course"])
            token = aa.issue_qr_token(instance.config["SECRET_KEY"], course, IN_WINDOW)["token"]
        client = instance.test_client()
        with time_machine.travel(IN_WINDOW, tick=False):
            url = f"/checkin/{token}"
            codes = []
            for _ in range(5):
                csrf = csrf_token_from(client.get(url).get_data(as_text=True))
                codes.append(client.post(url, data={"name": "路人", "id_number": "1" * 18,
                                                    "csrf_token": csrf}).status_code)
            assert codes[:3] == [422, 422, 422] and codes[3:] == [429, 429], codes
            assert "提交过于频繁" in client.post(url, data={"csrf_token": csrf}).get_data(as_text=True)
            other_ip = client.post(url, data={"name": "路人", "id_number": "1" * 18, "csrf_token": csrf},
                                   environ_base={"REMOTE_ADDR": "10.0.0.9"})
            assert other_ip.status_code == 422
    finally:
        with instance.app_context():
            db.engine.dispose()

"""备案变更申请 screens and 审核管理 → 变更审核, driven as the users would (forms with CSRF, redirects, messages)."""
from __future__ import annotations

import re

from models.base import db
from models.enums import FilingStatus
from models.filing import Course, Teacher
from tests import factories
from tests.conftest import csrf_token_from, login


def _approved():
    filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status=FilingStatus.APPROVED)
    filing.filing_no = f"XT4401-2026-{700000 + filing.id:06d}"
    db.session.commit()
    return filing


def test_change_dates_screen(app, client):
    with app.app_context():
        filing = _approved()
        filing_id, cls_id = filing.id, filing.classes[0].id
    login(client, "ent_gz")
    page = client.get("/changes/ENTERPRISE").get_data(as_text=True)
    row = page.split(f'data-class-id="{cls_id}"')[1].split("</tr>")[0]
    assert "剩余 3 次" in row and "截止：2027-02-22" in row and "暂按周一至周五计算" in row
    assert f'id="change-dates-{cls_id}"' in row and f'id="teacher-change-{filing_id}"' in page
    form = client.get(f"/changes/class/{cls_id}/dates").get_data(as_text=True)
    assert "剩余变更次数：3" in form and "2027-02-22" in form
    bad = client.post(f"/changes/class/{cls_id}/dates", data={"start_date": "2027-04-01", "end_date": "2027-05-01",
                                                              "reason": "", "csrf_token": csrf_token_from(form)})
    assert bad.status_code == 422 and "不能少于1年" in bad.get_data(as_text=True)
    assert 'value="2027-05-01"' in bad.get_data(as_text=True)  # the input is kept
    ok = client.post(f"/changes/class/{cls_id}/dates", data={"start_date": "2027-04-01", "end_date": "2028-03-31",
                                                             "reason": "场地调整", "csrf_token": csrf_token_from(form)})
    assert ok.status_code == 302
    listed = client.get("/changes/ENTERPRISE").get_data(as_text=True)
    assert "开班信息已变更" in listed and "剩余 2 次" in listed
    history = client.get(f"/changes/filing/{filing_id}/history").get_data(as_text=True)
    assert "开班信息变更" in history and "2027-03-01</span> → <span class=\"audit-new\">2027-04-01" in history


def test_teacher_change_journey_through_review(app, client):
    with app.app_context():
        filing = _approved()
        filing_id, course_id = filing.id, filing.classes[0].courses[0].id
    login(client, "ent_gz")
    page = client.get(f"/changes/filing/{filing_id}/teachers").get_data(as_text=True)
    assert 'id="start-change"' in page
    token = csrf_token_from(page)
    client.post(f"/changes/filing/{filing_id}/teachers/open", data={"csrf_token": token})
    page = client.get(f"/changes/filing/{filing_id}/teachers").get_data(as_text=True)
    request_id = int(re.search(r"/changes/request/(\d+)/teacher", page).group(1))
    number = factories.id_number(birth="19890909")
    bad = client.post(f"/changes/request/{request_id}/teacher", data={"name": "新导师", "id_number": "123",
                                                                      "phone": "13900139003", "kind": "SCHOOL",
                                                                      "csrf_token": token})
    assert bad.status_code == 422 and "身份证号码" in bad.get_data(as_text=True)
    client.post(f"/changes/request/{request_id}/teacher", data={"name": "新导师", "id_number": number,
                                                                "phone": "13900139003", "kind": "SCHOOL",
                                                                "csrf_token": token})
    with app.app_context():
        new_teacher = db.session.query(Teacher).filter_by(id_number=number).one()
        assert new_teacher.active is False
        new_id = new_teacher.id
    client.post(f"/changes/request/{request_id}/swap", data={"course_id": course_id, "teacher_id": new_id,
                                                             "csrf_token": token})
    early = client.post(f"/changes/request/{request_id}/do/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "请填写师资变更原因" in early.get_data(as_text=True)
    client.post(f"/changes/request/{request_id}/reason", data={"reason": "原导师离职", "csrf_token": token})
    done = client.post(f"/changes/request/{request_id}/do/submit", data={"csrf_token": token}, follow_redirects=True)
    assert "师资变更申请已提交" in done.get_data(as_text=True)

    reviewer = app.test_client()
    login(reviewer, "gz_reviewer")
    queue = reviewer.get("/review/changes/").get_data(as_text=True)
    assert f'data-request-id="{request_id}"' in queue
    detail = reviewer.get(f"/review/changes/{request_id}").get_data(as_text=True)
    assert "新增师资：新导师" in detail and "原导师离职" in detail and 'id="btn-approve"' in detail
    token_r = csrf_token_from(detail)
    refused = reviewer.post(f"/review/changes/{request_id}/return", data={"opinion": "", "csrf_token": token_r})
    assert refused.status_code == 422 and 'id="opinion-error"' in refused.get_data(as_text=True)
    assert reviewer.post(f"/review/changes/{request_id}/approve",
                         data={"opinion": "同意", "csrf_token": token_r}).status_code == 302
    with app.app_context():
        assert db.session.get(Teacher, new_id).active is True
        assert db.session.get(Course, course_id).teacher_id == new_id
    history = client.get(f"/changes/filing/{filing_id}/history").get_data(as_text=True)
    assert "课程“数控车削实训”授课教师" in history and "新导师" in history and "审核通过" in history
    other = app.test_client()
    login(other, "sz_reviewer")
    assert other.get(f"/review/changes/{request_id}").status_code == 404


def test_course_configuration_screens(app, client):
    from models.enterprise import Venue
    from models.filing import Course

    with app.app_context():
        filing = _approved()
        filing_id, course_id = filing.id, filing.classes[0].courses[0].id
        venue = Venue(enterprise_id=filing.enterprise_id, name="实训楼一层", address="广州市黄埔区示范路1号")
        db.session.add(venue)
        db.session.commit()
        venue_id = venue.id
    login(client, "ent_gz")
    tab = client.get(f"/filing/{filing_id}/courses").get_data(as_text=True)
    assert f'href="/changes/filing/{filing_id}/courses"' in tab
    listed = client.get(f"/changes/filing/{filing_id}/courses").get_data(as_text=True)
    assert 'id="unconfigured-note"' in listed and f'id="configure-{course_id}"' in listed and "未配置" in listed
    form = client.get(f"/changes/course/{course_id}/configure").get_data(as_text=True)
    assert "实训楼一层" in form and "2027-02-28" in form  # the venue to choose and the deadline
    token = csrf_token_from(form)
    bad = client.post(f"/changes/course/{course_id}/configure", data={
        "start_date": "2027-03-02", "end_date": "2027-03-05", "start_time": "09:00", "end_time": "12:00",
        "venue_id": "", "csrf_token": token})
    assert bad.status_code == 422 and "线下培训须选择培训场地" in bad.get_data(as_text=True)
    ok = client.post(f"/changes/course/{course_id}/configure", data={
        "start_date": "2027-03-02", "end_date": "2027-03-05", "start_time": "09:00", "end_time": "12:00",
        "venue_id": str(venue_id), "csrf_token": token})
    assert ok.status_code == 302
    with app.app_context():
        course = db.session.get(Course, course_id)
        assert (course.status, course.venue_id) == ("CONFIGURED", venue_id)
    listed = client.get(f"/changes/filing/{filing_id}/courses").get_data(as_text=True)
    assert 'id="unconfigured-note"' not in listed and "已配置" in listed

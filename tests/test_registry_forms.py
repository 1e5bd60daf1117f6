"""基础数据 forms (issue 12): a boolean is never required — the admin can enter a non-working day (是否工作日 unticked)
and switch a code off (启用 unticked); deleting a code still in use names the records that use it and offers 停用."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from models.base import db
from models.lookups import Occupation, WorkdayOverride
from tests.conftest import csrf_token_from, login
from tests import factories


def token_of(client, url: str) -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def test_a_holiday_can_be_entered(client, app):
    login(client, "admin")
    token = token_of(client, "/workdayoverrideview/add")
    response = client.post("/workdayoverrideview/add", data={"day": "2031-10-01", "note": "国庆节",
                                                              "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    with app.app_context():
        row = db.session.scalars(select(WorkdayOverride).filter_by(day=date(2031, 10, 1))).one()
        assert row.is_workday is False and row.note == "国庆节"


def test_a_code_can_be_switched_off(client, app):
    with app.app_context():
        occupation = db.session.scalars(select(Occupation).filter_by(code="4-03-02-01")).one()
        pk = occupation.id
    login(client, "admin")
    token = token_of(client, f"/occupationview/edit/{pk}")
    response = client.post(f"/occupationview/edit/{pk}", data={"code": "4-03-02-01", "name": "中式烹调师",
                                                                  "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        row = db.session.get(Occupation, pk)
        assert row.active is False and row.is_sample is False


def test_deleting_a_code_in_use_names_its_users(client, app):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        db.session.commit()
        code = filing.classes[0].occupation_code
        pk = db.session.scalars(select(Occupation.id).filter_by(code=code)).one()
    login(client, "admin")
    token = token_of(client, "/occupationview/list/")
    page = client.post(f"/occupationview/delete/{pk}", data={"csrf_token": token}, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "该记录仍被使用，不能删除" in text and "培训信息" in text and "停用" in text
    with app.app_context():
        assert db.session.get(Occupation, pk) is not None

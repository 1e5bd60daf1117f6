"""Warnings that refuse nothing (R8: an ID number whose region prefix is not a real province): the save goes
through and the warning is shown — in the API's ``warnings``, in the import result, and on the form."""
from __future__ import annotations

from actions.imports import import_rows
from models.base import db
from tests import factories

ODD = "990101"  # not a province code: a warning, not an error (R8)


def test_api_save_answers_with_the_region_warning(app, api):
    with app.app_context():
        filing_id = factories.filing(factories.demo_enterprise("ent_gz").id).id
        db.session.commit()
    body = {"filing_id": filing_id, "name": "张三", "id_number": factories.id_number(region=ODD),
            "phone": "13700137000", "education": "BACHELOR", "contract_start": "2026-01-01",
            "contract_end": "2028-12-31", "hire_date": "2026-01-01"}
    response = api("ent_gz").post("/api/v1/trainee/", json=body)
    assert response.status_code == 201, response.get_json()
    warnings = response.get_json()["warnings"]
    assert [w["field"] for w in warnings] == ["id_number"] and "99" in warnings[0]["message"]
    normal = api("ent_gz").post("/api/v1/trainee/", json={**body, "id_number": factories.id_number()})
    assert normal.status_code == 201 and normal.get_json()["warnings"] == []


def test_import_result_lists_the_region_warnings_with_their_rows(app):
    with app.app_context():
        filing = factories.filing(factories.demo_enterprise("ent_gz").id)
        rows = [{"name": f"学员{i}", "id_number": factories.id_number(region=ODD if i == 1 else "440106"),
                 "phone": "13700137000", "education": "本科", "contract_start": "2026-01-01",
                 "contract_end": "2028-12-31", "hire_date": "2026-01-01"} for i in range(3)]
        result = import_rows(db.session, factories.actor("ent_gz"), filing.id, "trainee", rows, dry_run=True)
        assert result.count == 3
        assert [(w.row, w.field) for w in result.warnings] == [(3, "id_number")]
        assert "99" in str(result.warnings[0].message)
        db.session.rollback()


def test_form_save_flashes_the_region_warning(app, client):
    from tests.conftest import csrf_token_from, login

    with app.app_context():
        filing_id = factories.filing(factories.demo_enterprise("ent_gz").id).id
        db.session.commit()
    login(client, "ent_gz")
    page = client.get(f"/filing/{filing_id}/trainees?new=1").get_data(as_text=True)
    data = {"name": "张三", "id_number": factories.id_number(region=ODD), "phone": "13700137000",
            "education": "BACHELOR", "contract_start": "2026-01-01", "contract_end": "2028-12-31",
            "hire_date": "2026-01-01", "csrf_token": csrf_token_from(page)}
    response = client.post(f"/filing/{filing_id}/trainees/save", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "培训人员信息已保存" in html
    assert "请核对：身份证号码前两位 99 不是有效的省级行政区划代码" in html

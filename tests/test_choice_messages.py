"""Messages of fields picked from a list, and form hints (issue 12, Low items).

- A required field chosen from a dropdown (a code set, a reference, a field with a dropdown source such as 职业（工种）
  or 培训等级) left empty says 请选择<label>, a typed one 请填写<label> — checked over every field of every entity
  spec, on the filing screens, on 申请备案 without a type (not "该培训项目不提供所选的学徒制培训类型"), on the
  registry's code selects and on 【变更培训教师】.
- A field's hint (templates/filing/_macros.html) is a grey ``.form-hint``, not a second red error, and is left
  out when the error under the field already says the same.
"""
from __future__ import annotations

import re

import pytest

from actions import specs
from actions.fields import CODE_T, REF_T, clean_field
from core.cleaning import Cleaner
from core.errors import ValidationFailed
from models.base import db
from tests import factories
from tests.conftest import csrf_token_from, login

FIELD_ERROR = r'<span class="help-block field-error" data-field="{}">([^<]*)</span>'
ALL_SPECS = [value for value in vars(specs).values() if isinstance(value, specs.EntitySpec)]


def field_errors(html: str, field: str) -> list[str]:
    return re.findall(FIELD_ERROR.format(field), html)


def token(client, url: str = "/") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def _missing_message(field) -> str:
    clean = Cleaner({field.name: ""})
    clean_field(clean, field)
    return str(clean.errors[0].message) if clean.errors else ""


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_every_required_field_names_the_right_verb(app, spec):
    checked = 0
    with app.test_request_context():
        for field in spec.fields:
            if not field.required or field.type in ("id_number", "file") or field.derived:
                continue
            message = _missing_message(field)
            picked = field.type in (CODE_T, REF_T) or bool(field.source)
            expected = f"{'请选择' if picked else '请填写'}{field.label}"
            assert message == expected, (spec.name, field.name, message)
            checked += 1
    assert checked or spec.name in ("attachment", "subsidy_claim_person")  # only a file / an ID number


def test_class_form_selects_say_choose(app, client):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        db.session.commit()
        fid = filing.id
    login(client, "ent_gz")
    response = client.post(f"/filing/{fid}/classes/save", data={
        "csrf_token": token(client), "occupation_code": "", "skill_level": "", "start_date": "2027-09-01",
        "end_date": "2028-08-31", "hours": "", "planned_headcount": "5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "occupation_code") == ["请选择职业（工种）"]
    assert field_errors(html, "skill_level") == ["请选择培训等级"]
    assert field_errors(html, "hours") == ["请填写培训课时"]  # typed: 请填写


def test_course_form_class_select_says_choose(app, client):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
        db.session.commit()
        fid = filing.id
    login(client, "ent_gz")
    response = client.post(f"/filing/{fid}/courses/save", data={
        "csrf_token": token(client), "training_class_id": "", "name": "数控编程", "mode": "", "hours": "8"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_errors(html, "training_class_id") == ["请选择培训班（职业工种）"]
    assert field_errors(html, "mode") == ["请选择授课方式"]


def test_apply_without_a_type_says_choose_the_type(app, client):
    login(client, "ent_gz")
    response = client.post("/filing/apply/ENTERPRISE", data={"commitment_accepted": "1", "csrf_token": token(client)})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "apprenticeship_type") == ["请选择学徒制培训类型"]


@pytest.mark.parametrize("kind", [None, ""], ids=["absent", "empty"])
def test_api_create_without_a_type_says_choose_the_type(app, api, kind):
    body = {"programme": "ENTERPRISE", "commitment_accepted": True}
    if kind is not None:
        body["apprenticeship_type"] = kind
    response = api("ent_gz").post("/api/v1/filing/", json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"field": "apprenticeship_type", "message": "请选择学徒制培训类型"}]


def test_registry_code_select_says_choose(app, client):
    login(client, "admin")
    response = client.post("/subsidystandardview/add", data={
        "csrf_token": token(client, "/subsidystandardview/add"), "programme": "", "apprenticeship_type": "STUDENT",
        "amount_yuan": "5000", "advance_ratio": "0.4", "valid_from": "2031-01-01"})
    assert response.status_code == 200
    assert "请选择培训项目" in response.get_data(as_text=True)


def test_teacher_swap_without_a_teacher_says_choose(app):
    from actions import changes

    with app.test_request_context():
        clean = Cleaner({"teacher_id": ""})
        clean.integer("teacher_id", "新授课教师", required=True, select=True)
        assert [str(e.message) for e in clean.errors] == ["请选择新授课教师"]
        with pytest.raises(ValidationFailed) as exc_info:
            filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status="APPROVED")
            request = changes.open_teacher_change(db.session, factories.actor("ent_gz"), filing.id)
            course = filing.classes[0].courses[0]
            changes.swap_teacher(db.session, factories.actor("ent_gz"), request.id, course.id, "")
        db.session.rollback()
    assert [str(e.message) for e in exc_info.value.errors] == ["请选择新授课教师"]


# ---- hints ------------------------------------------------------------------------------------------------

MACRO = "{% import 'filing/_macros.html' as m %}{{ m.text('hours', '培训课时', {}, errors, help=help) }}"
HINT = re.compile(r'<p class="([^"]*)">([^<]*)</p>')


def _render(app, errors: dict, help_text: str) -> str:
    with app.test_request_context():
        return app.jinja_env.from_string(MACRO).render(errors=errors, help=help_text)


def test_hint_is_a_grey_hint_next_to_an_error(app):
    html = _render(app, {"hours": ["培训课时应为整数"]}, "整数，1 至 10000")
    assert 'class="form-group has-error"' in html
    assert field_errors(html, "hours") == ["培训课时应为整数"]
    assert HINT.findall(html) == [("help-block form-hint", "整数，1 至 10000")]
    with open(f"{app.static_folder}/app.css", encoding="utf-8") as css:
        rules = css.read()
    assert re.search(r"\.has-error \.help-block\.form-hint[^{]*\{[^}]*color:\s*#595959", rules)


def test_hint_that_repeats_the_error_is_left_out(app):
    html = _render(app, {"hours": ["培训课时应为整数，1 至 10000"]}, "整数，1 至 10000")
    assert field_errors(html, "hours") == ["培训课时应为整数，1 至 10000"]
    assert HINT.findall(html) == [] and html.count("help-block") == 1
    html = _render(app, {}, "整数，1 至 10000")  # no error: the hint shows
    assert HINT.findall(html) == [("help-block form-hint", "整数，1 至 10000")]

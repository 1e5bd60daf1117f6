"""One field spec per entity (actions/specs.py), and everything derived from it.

Every field of every spec is found in the form a user fills in, in the REST API's write schema, in the import
template's header row (where the spec says it is imported) and, for trainees, in the export. The cleaning of a
field follows its spec: required, limits and code sets give the same Chinese messages on every door.
"""
from __future__ import annotations

import io
import re

import openpyxl
import pytest

from actions.fields import FILE_T, REF_T, EntitySpec
from actions.specs import CHILD_SPECS, FILING_INFO, INSTITUTION, SPECS, TRAINEE, import_columns
from core.cleaning import Cleaner
from models.base import db
from models.enums import TYPES_BY_PROGRAMME
from tests import factories
from tests.conftest import login

TABS = {"training_class": "classes", "teacher": "teachers", "trainee": "trainees", "course": "courses",
        "filing_info": "info", "institution": "institution", "attachment": "attachments"}
TYPES = [(programme, kind) for programme, kinds in TYPES_BY_PROGRAMME.items() for kind in kinds]
API_CLASS = {"training_class": "TrainingClassApi", "teacher": "TeacherApi", "trainee": "TraineeApi",
             "course": "CourseApi", "filing_info": "FilingApi", "institution": "FilingApi"}


def _input_names(html: str) -> set[str]:
    return set(re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', html))


@pytest.mark.parametrize("programme,apprenticeship_type", TYPES)
def test_every_spec_field_is_in_its_form(app, client, programme, apprenticeship_type):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, programme, apprenticeship_type)
        db.session.commit()
        filing_id = filing.id
        # the edit form of an existing row (学生学徒制 has one 培训信息 only: no empty form for a second one)
        edit = {"training_class": filing.classes[0].id, "teacher": filing.teachers[0].id,
                "trainee": filing.trainees[0].id,
                "course": filing.classes[0].courses[0].id if filing.classes[0].courses else None}
    login(client, "ent_gz")
    for name, spec in SPECS.items():
        if name == "course" and apprenticeship_type == "STUDENT":
            continue  # 学生学徒制 has no 培训课程信息 tab
        query = f"?edit={edit[name]}" if name in edit else ""
        html = client.get(f"/filing/{filing_id}/{TABS[name]}{query}").get_data(as_text=True)
        missing = [f.name for f in spec.fields_for(apprenticeship_type) if not f.derived
                   and f.name not in _input_names(html)]
        assert not missing, f"{name} form lacks {missing}"


def test_every_spec_field_is_in_the_api_write_schema(app, api):
    schemas = api("admin").get("/api/v1/_openapi").get_json()["components"]["schemas"]
    assert "TraineeApi.post" in schemas  # FAB's schema names: <ApiClass>.post / .put
    for name, spec in SPECS.items():
        if name == "attachment":
            continue  # a multipart upload, below
        for method in ("post", "put"):
            properties = schemas[f"{API_CLASS[name]}.{method}"]["properties"]
            missing = [f.name for f in spec.fields if not f.derived and f.name not in properties]
            assert not missing, (name, method, missing)
    assert {"kind", "file"} <= set(schemas["AttachmentUpload"]["properties"])


@pytest.mark.parametrize("programme,apprenticeship_type", TYPES)
def test_every_imported_field_is_a_template_column(app, client, programme, apprenticeship_type):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, programme, apprenticeship_type)
        db.session.commit()
        filing_id = filing.id
    login(client, "ent_gz")
    for kind, spec in CHILD_SPECS.items():
        if kind == "course" and apprenticeship_type == "STUDENT":
            continue
        response = client.get(f"/filing/{filing_id}/import/{kind}/template")
        assert response.status_code == 200, kind
        book = openpyxl.load_workbook(io.BytesIO(response.data))
        headers = {str(c.value).strip("*").strip() for c in book.worksheets[0][1] if c.value}
        for f in spec.fields_for(apprenticeship_type):
            if f.in_import:
                assert f.header in headers, (kind, f.header, headers)


def test_every_exported_trainee_field_is_an_export_column():
    from services.trainee_export import EXPORT_COLUMNS

    titles = [title for title, _width, _kind in EXPORT_COLUMNS]
    for f in TRAINEE.export_columns():
        assert f.export_title in titles, f.name


def test_import_columns_follow_the_type_variants():
    """劳动合同 dates are required and named so for 企业新型学徒制 only (R10): a variant of one spec field."""
    new = {c.key: c for c in import_columns("trainee", "NEW_APPRENTICE")}
    student = {c.key: c for c in import_columns("trainee", "STUDENT")}
    assert new["contract_start"].header == "劳动合同开始日期" and new["contract_start"].required
    assert student["contract_start"].header == "学徒培训协议开始日期" and not student["contract_start"].required
    assert "extension_reason" in {c.key for c in import_columns("training_class", "NEW_APPRENTICE")}
    assert "extension_reason" not in {c.key for c in import_columns("training_class", "STUDENT")}


@pytest.mark.parametrize("spec", [s for s in SPECS.values()], ids=lambda s: s.name)
def test_cleaning_follows_the_spec(app, spec: EntitySpec):
    """A required field left empty is named with its label; a too-long text names the limit."""
    with app.test_request_context():
        clean = Cleaner({})
        spec.clean_fields(clean)
        required = {f.name for f in spec.fields if f.required and not f.derived and f.type != FILE_T}
        assert {e.field for e in clean.errors} == required
        for error in clean.errors:
            assert str(spec.field(error.field).label) in str(error.message)
        for f in spec.fields:
            if f.max_len:
                clean = Cleaner({f.name: "字" * (f.max_len + 1)})
                spec.clean_fields(clean, names=[f.name])
                assert str(f.max_len) in str(clean.errors[0].message), f.name


def test_api_accepts_every_editable_field_in_one_post(app, api):
    """POST /api/v1/filing/ takes the 承诺书 and type and every editable field of 备案信息 / 培训机构情况 at once."""
    client = api("ent_gz")
    body = {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": True,
            "contact_name": "李经办", "contact_phone": "020-12345678", "institution_id": None,
            "other_institution_name": "广州某职业培训学校"}
    assert set(body) - {"programme", "apprenticeship_type", "commitment_accepted"} == \
        set(FILING_INFO.api_fields() + INSTITUTION.api_fields())
    response = client.post("/api/v1/filing/", json=body)
    assert response.status_code == 201, response.get_json()
    row = response.get_json()["result"]
    assert row["contact_name"] == "李经办" and row["other_institution_name"] == "广州某职业培训学校"
    bad = client.post("/api/v1/filing/", json={**body, "contact_phone": "123"})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "contact_phone"


def test_ref_fields_name_their_dropdown_source():
    for spec in SPECS.values():
        for f in spec.fields:
            if f.type == REF_T:
                assert f.source, (spec.name, f.name)

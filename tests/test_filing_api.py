"""REST API of filings and their child rows (DESIGN §10): every endpoint × role × scope, a whole filing built
through the API only, each rule R1–R11 refused with its Chinese message and field, and concurrent decisions
over real parallel HTTP requests (exactly one wins, one filing number)."""
from __future__ import annotations

import hashlib
import io
import json
import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Optional

import pytest
from sqlalchemy import func, select

from core.clock import today
from models.audit import AuditEvent
from models.base import db
from models.enums import RoleName
from models.filing import Attachment, Course, Filing, FilingNumberCounter, Teacher, Trainee, TrainingClass
from tests import factories
from tests.conftest import csrf_token_from, login
from tests.factories import PDF_BYTES

CJK = re.compile(r"[\u4e00-\u9fff]")
FILING_NO = re.compile(r"^XT4401-\d{4}-\d{6}$")
NOT_FOUND = "记录不存在或无权访问"
RECOGNITION_MISSING = "该机构没有当前有效的产业技能生态链企业认定记录，请联系当地人社部门维护"
SZ_NAME = "深圳示范电子科技有限公司"

ROLES = ("ent_gz", "ent_sz", "gz_reviewer", "sz_reviewer", "admin")
# Who is who for a target enterprise: its own account, the other enterprise, its city's reviewer, the other
# city's reviewer, the provincial admin.
RELATIVE = {
    "gz": {"owner": "ent_gz", "other_ent": "ent_sz", "own_rev": "gz_reviewer", "other_rev": "sz_reviewer",
           "admin": "admin"},
    "sz": {"owner": "ent_sz", "other_ent": "ent_gz", "own_rev": "sz_reviewer", "other_rev": "gz_reviewer",
           "admin": "admin"},
}


# ---- helpers ------------------------------------------------------------------------------------------------

@pytest.fixture
def as_user(api):
    """``as_user("ent_gz")`` → a Bearer-JWT client of that account (tokens cached per test)."""
    cache: dict[str, Any] = {}

    def get(username: str):
        if username not in cache:
            cache[username] = api(username)
        return cache[username]

    return get


def snapshot(app) -> dict:
    """Every filing-related row (without file bytes), the number counters and the audit count."""
    with app.app_context():
        out: dict[str, Any] = {}
        for model in (Filing, TrainingClass, Teacher, Trainee, Course, Attachment, FilingNumberCounter):
            table = model.__table__
            cols = [c for c in table.columns if c.name != "content"]
            out[table.name] = [tuple(r) for r in db.session.execute(
                select(*cols).order_by(*table.primary_key.columns)).all()]
        out["audit"] = db.session.scalar(select(func.count()).select_from(AuditEvent))
        db.session.remove()
    return out


def error_of(response, field_name: Optional[str] = None) -> dict:
    """The DESIGN §10 error body; asserts its shape, Chinese text and (optionally) the field named."""
    body = response.get_json()
    assert isinstance(body, dict) and "message" in body and "errors" in body, body
    assert CJK.search(body["message"]), body
    for item in body["errors"]:
        assert CJK.search(item["message"]), body
    if field_name is not None:
        assert field_name in [e.get("field") for e in body["errors"]], body
    return body


def messages(response) -> list[str]:
    return [e["message"] for e in response.get_json()["errors"]]


def _filing_rows(filing: Filing) -> dict:
    cls = filing.classes[0]
    return {
        "filing": filing.id,
        "class": cls.id,
        "teacher": filing.teachers[0].id,
        "trainee": filing.trainees[0].id,
        "course": cls.courses[0].id if cls.courses else None,
        "attachment": filing.attachments[0].id,
    }


@pytest.fixture
def world(app):
    """Per enterprise (gz, sz): a complete DRAFT (plus a spare teacher), a SUBMITTED and an APPROVED filing."""
    with app.app_context():
        out: dict[str, Any] = {}
        for key, username in (("gz", "ent_gz"), ("sz", "ent_sz")):
            ent = factories.demo_enterprise(username)
            draft = factories.complete_filing(ent.id)
            draft.teachers.append(Teacher(name="备用导师", id_number=factories.id_number(birth="19810101"),
                                          phone="13600136001", kind="SCHOOL"))
            submitted = factories.complete_filing(ent.id, status="SUBMITTED")
            approved = factories.complete_filing(ent.id, status="APPROVED",
                                                 filing_no=f"XT{ent.city_code}-2026-90000{1 if key == 'gz' else 2}")
            db.session.flush()
            out[key] = {
                "enterprise": ent.id,
                "draft": {**_filing_rows(draft), "spare_teacher": draft.teachers[-1].id},
                "submitted": _filing_rows(submitted),
                "approved": _filing_rows(approved),
            }
        db.session.commit()
        db.session.remove()
    return out


def new_id_number(**kw) -> str:
    return factories.id_number(**kw)


def id_number_with_x() -> str:
    for seq in range(1, 1000):
        number = factories.id_number(birth="19990101", seq=seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no ID number with check digit X")


# ---- the endpoint × role × scope matrix ---------------------------------------------------------------------

@dataclass
class Case:
    name: str
    method: str
    path: Callable[[dict], str]  # rows of the target enterprise → URL
    expect: dict  # relative role → status
    body: Optional[Callable[[dict], Any]] = None  # rows → JSON body (or multipart dict when multipart)
    multipart: bool = False
    changes: bool = False  # a success changes stored data
    check: Optional[Callable[[Any, dict], None]] = None  # (response, rows) → extra assertions on success


READ_DRAFT = {"owner": 200, "other_ent": 404, "own_rev": 404, "other_rev": 404, "admin": 200}
READ_SUBMITTED = {"owner": 200, "other_ent": 404, "own_rev": 200, "other_rev": 404, "admin": 200}
WRITE = {"owner": 200, "other_ent": 404, "own_rev": 403, "other_rev": 403, "admin": 403}
CREATE = {**WRITE, "owner": 201}
REVIEW = {"owner": 403, "other_ent": 403, "own_rev": 200, "other_rev": 404, "admin": 403}


def _read_cases(state: str, expect: dict) -> list[Case]:
    def content_check(response, rows):
        assert response.data == PDF_BYTES
        assert response.mimetype == "application/pdf"

    def checklist_check(response, rows):
        body = response.get_json()
        assert set(body) >= {"ready", "items", "missing_attachment_kinds"}
        assert body["ready"] is True  # the factories build complete filings
        for item in body["items"]:
            assert set(item) >= {"code", "label", "ok", "message"}

    return [
        Case(f"{state}-filing-get", "GET", lambda r: f"/api/v1/filing/{r['filing']}", expect),
        Case(f"{state}-checklist", "GET", lambda r: f"/api/v1/filing/{r['filing']}/checklist", expect,
             check=checklist_check),
        Case(f"{state}-class-get", "GET", lambda r: f"/api/v1/training_class/{r['class']}", expect),
        Case(f"{state}-teacher-get", "GET", lambda r: f"/api/v1/teacher/{r['teacher']}", expect),
        Case(f"{state}-trainee-get", "GET", lambda r: f"/api/v1/trainee/{r['trainee']}", expect),
        Case(f"{state}-course-get", "GET", lambda r: f"/api/v1/course/{r['course']}", expect),
        Case(f"{state}-attachment-get", "GET", lambda r: f"/api/v1/attachment/{r['attachment']}", expect),
        Case(f"{state}-attachment-content", "GET", lambda r: f"/api/v1/attachment/{r['attachment']}/content",
             expect, check=content_check),
    ]


def _assert(condition: bool) -> None:
    assert condition


def _status_is(expected: str):
    def check(response, rows):
        assert response.get_json()["result"]["status"] == expected

    return check


def _approved_check(response, rows):
    result = response.get_json()["result"]
    assert result["status"] == "APPROVED" and re.fullmatch(r"XT44\d\d-\d{4}-\d{6}", result["filing_no"])


CASES = [
    *_read_cases("draft", READ_DRAFT),
    *_read_cases("submitted", READ_SUBMITTED),
    Case("filing-put", "PUT", lambda r: f"/api/v1/filing/{r['filing']}", WRITE,
         body=lambda r: {"contact_name": "赵经办", "contact_phone": "13911112222"}, changes=True,
         check=lambda resp, r: _assert(resp.get_json()["result"]["contact_name"] == "赵经办")),
    Case("filing-delete", "DELETE", lambda r: f"/api/v1/filing/{r['filing']}", WRITE, changes=True),
    Case("filing-submit", "POST", lambda r: f"/api/v1/filing/{r['filing']}/submit", WRITE, changes=True,
         check=_status_is("SUBMITTED")),
    Case("class-post", "POST", lambda r: "/api/v1/training_class/", CREATE, changes=True,
         body=lambda r: {"filing_id": r["filing"], "occupation_code": "6-18-02-04", "skill_level": 3,
                         "start_date": "2027-03-01", "end_date": "2028-02-29", "hours": 300,
                         "planned_headcount": 5}),
    Case("class-put", "PUT", lambda r: f"/api/v1/training_class/{r['class']}", WRITE, changes=True,
         body=lambda r: {"hours": 500}),
    Case("class-delete", "DELETE", lambda r: f"/api/v1/training_class/{r['class']}", WRITE, changes=True),
    Case("teacher-post", "POST", lambda r: "/api/v1/teacher/", CREATE, changes=True,
         body=lambda r: {"filing_id": r["filing"], "name": "林导师", "id_number": new_id_number(birth="19820202"),
                         "phone": "13600136000", "kind": "SCHOOL"}),
    Case("teacher-put", "PUT", lambda r: f"/api/v1/teacher/{r['teacher']}", WRITE, changes=True,
         body=lambda r: {"title": "技师"}),
    Case("teacher-delete", "DELETE", lambda r: f"/api/v1/teacher/{r['spare_teacher']}", WRITE, changes=True),
    Case("trainee-post", "POST", lambda r: "/api/v1/trainee/", CREATE, changes=True,
         body=lambda r: {"filing_id": r["filing"], "name": "新学员", "id_number": new_id_number(birth="20000202"),
                         "phone": "13500135000", "education": "BACHELOR", "contract_start": "2026-01-01",
                         "contract_end": "2029-12-31", "hire_date": "2026-01-01"}),
    Case("trainee-put", "PUT", lambda r: f"/api/v1/trainee/{r['trainee']}", WRITE, changes=True,
         body=lambda r: {"phone": "13500135001"}),
    Case("trainee-delete", "DELETE", lambda r: f"/api/v1/trainee/{r['trainee']}", WRITE, changes=True),
    Case("course-post", "POST", lambda r: "/api/v1/course/", CREATE, changes=True,
         body=lambda r: {"training_class_id": r["class"], "name": "安全生产", "mode": "ONLINE", "hours": 8}),
    Case("course-put", "PUT", lambda r: f"/api/v1/course/{r['course']}", WRITE, changes=True,
         body=lambda r: {"hours": 60}),
    Case("course-delete", "DELETE", lambda r: f"/api/v1/course/{r['course']}", WRITE, changes=True),
    Case("attachment-post", "POST", lambda r: "/api/v1/attachment/", CREATE, changes=True, multipart=True,
         body=lambda r: {"file": (io.BytesIO(PDF_BYTES), "其他材料.pdf"), "kind": "OTHER",
                         "filing_id": str(r["filing"])}),
    Case("attachment-delete", "DELETE", lambda r: f"/api/v1/attachment/{r['attachment']}", WRITE, changes=True),
]
# Cases on the SUBMITTED / APPROVED filing of the target enterprise.
SUBMITTED_CASES = [
    Case("withdraw", "POST", lambda r: f"/api/v1/filing/{r['filing']}/withdraw", WRITE, changes=True,
         check=_status_is("DRAFT")),
    Case("approve", "POST", lambda r: f"/api/v1/filing/{r['filing']}/approve", REVIEW, changes=True,
         body=lambda r: {"opinion": "同意"}, check=_approved_check),
    Case("return", "POST", lambda r: f"/api/v1/filing/{r['filing']}/return", REVIEW, changes=True,
         body=lambda r: {"opinion": "培训计划不完整，请补充"}, check=_status_is("RETURNED")),
]
APPROVED_CASES = [
    Case("mark-lost", "POST", lambda r: f"/api/v1/trainee/{r['trainee']}/mark_lost", WRITE, changes=True,
         body=lambda r: {"reason": "个人原因离职", "lost_date": today().isoformat()}, check=_status_is("LOST")),
]
MATRIX = ([(c, "draft") for c in CASES if not c.name.startswith("submitted-")]
          + [(c, "submitted") for c in CASES if c.name.startswith("submitted-")]
          + [(c, "submitted") for c in SUBMITTED_CASES] + [(c, "approved") for c in APPROVED_CASES])


def send(client, method: str, url: str, body: Any = None, multipart: bool = False):
    kwargs: dict[str, Any] = {}
    if body is not None:
        kwargs = {"data": body, "content_type": "multipart/form-data"} if multipart else {"json": body}
    return getattr(client, method.lower())(url, **kwargs)


@pytest.mark.parametrize("target", ["gz", "sz"])
@pytest.mark.parametrize("case,state", MATRIX, ids=[f"{c.name}" for c, _ in MATRIX])
def test_matrix(app, world, as_user, case: Case, state: str, target: str):
    rows = world[target][state]
    roles = RELATIVE[target]
    # Refusals first (each must change nothing), then the allowed role(s).
    order = sorted(case.expect, key=lambda rel: case.expect[rel] < 300)
    for relative in order:
        expected = case.expect[relative]
        before = snapshot(app)
        body = case.body(rows) if case.body else None
        response = send(as_user(roles[relative]), case.method, case.path(rows), body, case.multipart)
        assert response.status_code == expected, (relative, roles[relative], response.get_data(as_text=True))
        after = snapshot(app)
        if expected >= 400:
            assert after == before, f"{roles[relative]} was refused but data changed"
            if expected == 404:
                assert error_of(response)["message"] == NOT_FOUND
            elif expected == 403:
                assert CJK.search(response.get_json()["message"])
            assert PDF_BYTES not in response.data
        else:
            assert (after != before) == case.changes, f"{case.name} by {roles[relative]}"
            if case.check:
                case.check(response, rows)


@pytest.mark.parametrize("username,expected", [("ent_gz", 201), ("ent_sz", 201), ("gz_reviewer", 403),
                                               ("sz_reviewer", 403), ("admin", 403)])
def test_create_filing_by_role(app, as_user, username, expected):
    before = snapshot(app)
    response = as_user(username).post("/api/v1/filing/", json={
        "programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": True})
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected == 201:
        result = response.get_json()["result"]
        assert result["status"] == "DRAFT" and result["commitment_accepted"] is True
        assert result["city_code"] == ("4401" if username == "ent_gz" else "4403")
        with app.app_context():
            filing = db.session.get(Filing, response.get_json()["id"])
            assert filing.commitment_accepted_by_id is not None and filing.commitment_accepted_at is not None
    else:
        assert snapshot(app) == before


def _visible_filings(app, username: str) -> set[int]:
    """The test's oracle of DESIGN §2, straight from the database."""
    with app.app_context():
        actor = factories.actor(username)
        stmt = select(Filing.id)
        if actor.is_enterprise:
            stmt = stmt.where(Filing.enterprise_id == actor.enterprise_id)
        elif actor.is_reviewer:
            stmt = stmt.where(Filing.city_code == actor.city_code, Filing.status != "DRAFT")
        ids = set(db.session.scalars(stmt))
        db.session.remove()
    return ids


def _count(app, stmt) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        db.session.remove()
    return n


def test_lists_are_scoped(app, world, as_user):
    mine = {key: {state: world[key][state]["filing"] for state in ("draft", "submitted", "approved")}
            for key in ("gz", "sz")}
    expected_world = {
        "ent_gz": set(mine["gz"].values()),
        "ent_sz": set(mine["sz"].values()),
        "gz_reviewer": {mine["gz"]["submitted"], mine["gz"]["approved"]},
        "sz_reviewer": {mine["sz"]["submitted"], mine["sz"]["approved"]},
        "admin": set(mine["gz"].values()) | set(mine["sz"].values()),
    }
    all_world = expected_world["admin"]
    for username in ROLES:
        client = as_user(username)
        body = client.get("/api/v1/filing/?page_size=100").get_json()
        visible = {row["id"] for row in body["result"]}
        assert visible == _visible_filings(app, username), username
        assert visible & all_world == expected_world[username], username
        assert body["count"] == len(visible)
        for row in body["result"]:
            if username.startswith("ent_"):
                assert row["enterprise_id"] == world[username[4:]]["enterprise"]
            elif username.endswith("_reviewer"):
                assert row["city_code"] == {"gz": "4401", "sz": "4403"}[username[:2]] and row["status"] != "DRAFT"
        for resource, model in (("trainee", Trainee), ("teacher", Teacher), ("training_class", TrainingClass),
                                ("attachment", Attachment)):
            rows = client.get(f"/api/v1/{resource}/?page_size=100").get_json()
            assert {row["filing_id"] for row in rows["result"]} <= visible, (username, resource)
            assert rows["count"] == _count(app, select(model.id).where(model.filing_id.in_(visible))), resource
            assert all("content" not in row for row in rows["result"])
        courses = client.get("/api/v1/course/?page_size=100").get_json()
        assert courses["count"] == _count(app, select(Course.id).join(TrainingClass).where(
            TrainingClass.filing_id.in_(visible))), username
    # Filtering by another enterprise's filing id finds nothing (never its rows).
    other = world["sz"]["submitted"]["filing"]
    assert as_user("ent_gz").get(f"/api/v1/trainee/?filing_id={other}").get_json()["count"] == 0
    assert as_user("ent_gz").get(f"/api/v1/course/?filing_id={other}").get_json()["count"] == 0
    assert as_user("gz_reviewer").get(f"/api/v1/teacher/?filing_id={other}").get_json()["count"] == 0
    assert as_user("sz_reviewer").get(f"/api/v1/teacher/?filing_id={other}").get_json()["count"] == 1


def test_list_filters_by_simple_args_and_rison(world, as_user):
    ent = as_user("ent_gz")
    gz = world["gz"]
    by_status = ent.get("/api/v1/filing/?status=SUBMITTED").get_json()
    assert gz["submitted"]["filing"] in [row["id"] for row in by_status["result"]]
    assert {row["status"] for row in by_status["result"]} == {"SUBMITTED"}
    assert {row["status_label"] for row in by_status["result"]} == {"已提交待审核"}
    rison = ent.get("/api/v1/filing/?q=(filters:!((col:status,opr:eq,value:APPROVED)))").get_json()
    assert gz["approved"]["filing"] in [row["id"] for row in rison["result"]]
    assert {row["status"] for row in rison["result"]} == {"APPROVED"}
    assert gz["submitted"]["filing"] not in [row["id"] for row in rison["result"]]
    by_no = as_user("admin").get("/api/v1/filing/?filing_no=XT4401-2026-900001").get_json()
    assert [row["id"] for row in by_no["result"]] == [gz["approved"]["filing"]]
    combined = ent.get("/api/v1/filing/?programme=ENTERPRISE&apprenticeship_type=NEW_APPRENTICE&status=DRAFT")
    assert gz["draft"]["filing"] in [row["id"] for row in combined.get_json()["result"]]
    assert {row["status"] for row in combined.get_json()["result"]} == {"DRAFT"}
    assert ent.get("/api/v1/filing/?programme=ECOSYSTEM").get_json()["count"] == 0
    courses = ent.get(f"/api/v1/course/?filing_id={gz['draft']['filing']}").get_json()
    assert [row["id"] for row in courses["result"]] == [gz["draft"]["course"]]
    bad = ent.get("/api/v1/filing/?q=(filters:!((col:nope,opr:eq,value:1)))")
    assert bad.status_code == 400 and CJK.search(bad.get_json()["message"])
    for query in ("(((", "(filters:", "!!"):
        broken = ent.get(f"/api/v1/filing/?q={query}")
        assert broken.status_code == 400 and CJK.search(broken.get_json()["message"]), query


def test_field_names_of_the_contract(world, as_user):
    ent = as_user("ent_gz")
    rows = world["gz"]["draft"]
    contract = {
        f"/api/v1/filing/{rows['filing']}": {
            "id", "programme", "apprenticeship_type", "enterprise_id", "city_code", "status", "filing_no",
            "commitment_accepted", "institution_id", "other_institution_name", "contact_name", "contact_phone",
            "submitted_at", "approved_at", "review_opinion"},
        f"/api/v1/training_class/{rows['class']}": {
            "id", "filing_id", "occupation_code", "skill_level", "start_date", "end_date", "hours",
            "planned_headcount", "status", "extension_reason", "date_change_count"},
        f"/api/v1/teacher/{rows['teacher']}": {
            "id", "filing_id", "name", "id_number", "phone", "kind", "title", "certificate_no"},
        f"/api/v1/trainee/{rows['trainee']}": {
            "id", "filing_id", "name", "id_number", "gender", "birth_date", "phone", "education", "contract_start",
            "contract_end", "hire_date", "status", "lost_reason", "lost_date"},
        f"/api/v1/course/{rows['course']}": {
            "id", "training_class_id", "name", "mode", "hours", "teacher_id", "start_date", "end_date", "start_time",
            "end_time", "venue_id"},  # DESIGN §10 course fields (the single "date" became start_date/end_date, R16)
        f"/api/v1/attachment/{rows['attachment']}": {
            "id", "filing_id", "kind", "file_name", "media_type", "size", "sha256"},
    }
    for url, names in contract.items():
        body = ent.get(url).get_json()
        assert names <= set(body["result"]), (url, names - set(body["result"]))
        assert "content" not in body["result"]
    klass = ent.get(f"/api/v1/training_class/{rows['class']}").get_json()["result"]
    assert klass["start_date"] == "2027-03-01" and klass["status"] == "NORMAL"
    trainee = ent.get(f"/api/v1/trainee/{rows['trainee']}").get_json()["result"]
    assert trainee["status"] == "ACTIVE" and trainee["birth_date"] == "1995-03-07"
    assert as_user("ent_gz").get(f"/api/v1/filing/{rows['filing']}").get_json()["label_columns"]["status"] == "状态"
    for resource in ("filing", "training_class", "teacher", "trainee", "course", "attachment"):
        assert ent.get(f"/api/v1/{resource}/_info").status_code == 200, resource


# ---- wrong state: 409, nothing changed ---------------------------------------------------------------------

STATE_CASES = [
    # (username relative to gz, state, method, url builder, body)
    ("ent_gz", "submitted", "PUT", lambda r: f"/api/v1/filing/{r['filing']}", {"contact_name": "改"}),
    ("ent_gz", "approved", "DELETE", lambda r: f"/api/v1/filing/{r['filing']}", None),
    ("ent_gz", "submitted", "DELETE", lambda r: f"/api/v1/filing/{r['filing']}", None),
    ("ent_gz", "submitted", "POST", lambda r: f"/api/v1/filing/{r['filing']}/submit", None),
    ("ent_gz", "draft", "POST", lambda r: f"/api/v1/filing/{r['filing']}/withdraw", None),
    ("ent_gz", "approved", "POST", lambda r: f"/api/v1/filing/{r['filing']}/withdraw", None),
    ("gz_reviewer", "approved", "POST", lambda r: f"/api/v1/filing/{r['filing']}/approve", {"opinion": "再次"}),
    ("gz_reviewer", "approved", "POST", lambda r: f"/api/v1/filing/{r['filing']}/return", {"opinion": "退"}),
    ("ent_gz", "draft", "POST", lambda r: f"/api/v1/trainee/{r['trainee']}/mark_lost", {"reason": "离职"}),
    ("ent_gz", "submitted", "POST", lambda r: "/api/v1/teacher/",
     lambda r: {"filing_id": r["filing"], "name": "迟到导师", "id_number": new_id_number(birth="19790303"),
                "phone": "13600136009", "kind": "SCHOOL"}),
    ("ent_gz", "approved", "PUT", lambda r: f"/api/v1/trainee/{r['trainee']}", {"phone": "13500135009"}),
    ("ent_gz", "approved", "DELETE", lambda r: f"/api/v1/course/{r['course']}", None),
    ("ent_gz", "submitted", "DELETE", lambda r: f"/api/v1/attachment/{r['attachment']}", None),
]


@pytest.mark.parametrize("username,state,method,path,body", STATE_CASES,
                         ids=[f"{s}-{m}-{i}" for i, (_, s, m, _, _) in enumerate(STATE_CASES)])
def test_wrong_state_is_409(app, world, as_user, username, state, method, path, body):
    rows = world["gz"][state]
    before = snapshot(app)
    payload = body(rows) if callable(body) else body
    response = send(as_user(username), method, path(rows), payload)
    assert response.status_code == 409, response.get_data(as_text=True)
    error_of(response)
    assert snapshot(app) == before


def test_upload_to_approved_filing_is_409(app, world, as_user):
    before = snapshot(app)
    response = as_user("ent_gz").post("/api/v1/attachment/", data={
        "file": (io.BytesIO(PDF_BYTES), "补充.pdf"), "kind": "OTHER",
        "filing_id": str(world["gz"]["approved"]["filing"])}, content_type="multipart/form-data")
    assert response.status_code == 409
    assert snapshot(app) == before


def test_mark_lost_twice_is_409(world, as_user):
    url = f"/api/v1/trainee/{world['gz']['approved']['trainee']}/mark_lost"
    assert as_user("ent_gz").post(url, json={"reason": "离职"}).status_code == 200
    again = as_user("ent_gz").post(url, json={"reason": "离职"})
    assert again.status_code == 409 and "已标记为流失" in again.get_json()["message"]


# ---- request shape ------------------------------------------------------------------------------------------

def test_status_is_read_only(app, world, as_user):
    rows = world["gz"]["draft"]
    ent = as_user("ent_gz")
    before = snapshot(app)
    for url in (f"/api/v1/filing/{rows['filing']}", f"/api/v1/trainee/{rows['trainee']}",
                f"/api/v1/training_class/{rows['class']}"):
        response = ent.put(url, json={"status": "APPROVED"})
        assert response.status_code == 422
        assert "只读" in error_of(response, "status")["errors"][0]["message"]
    created = ent.post("/api/v1/filing/", json={"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE",
                                                 "commitment_accepted": True, "status": "APPROVED"})
    assert created.status_code == 422 and error_of(created, "status")
    unknown = ent.put(f"/api/v1/filing/{rows['filing']}", json={"filing_no": "XT4401-2026-999999",
                                                                 "enterprise_id": world["sz"]["enterprise"]})
    assert unknown.status_code == 422
    assert {"filing_no", "enterprise_id"} <= {e["field"] for e in unknown.get_json()["errors"]}
    assert snapshot(app) == before


def test_malformed_requests(app, world, as_user, client):
    rows = world["gz"]["draft"]
    ent = as_user("ent_gz")
    before = snapshot(app)
    not_json = ent.post("/api/v1/filing/", data="programme=ENTERPRISE", content_type="text/plain")
    assert not_json.status_code == 400 and CJK.search(not_json.get_json()["message"])
    broken = ent.put(f"/api/v1/filing/{rows['filing']}", data="{", content_type="application/json")
    assert broken.status_code == 400
    array = ent.post("/api/v1/teacher/", json=[1, 2])
    assert array.status_code == 400
    no_parent = ent.post("/api/v1/teacher/", json={"name": "无备案"})
    assert no_parent.status_code == 422 and error_of(no_parent, "filing_id")
    bad_parent = ent.post("/api/v1/teacher/", json={"filing_id": "abc", "name": "x"})
    assert bad_parent.status_code == 422 and error_of(bad_parent, "filing_id")
    json_upload = ent.post("/api/v1/attachment/", json={"filing_id": rows["filing"], "kind": "OTHER"})
    assert json_upload.status_code == 400
    no_file = ent.post("/api/v1/attachment/", data={"kind": "OTHER", "filing_id": str(rows["filing"])},
                       content_type="multipart/form-data")
    assert no_file.status_code == 422 and error_of(no_file, "file")
    assert ent.put(f"/api/v1/attachment/{rows['attachment']}", json={"kind": "OTHER"}).status_code == 405
    assert ent.get("/api/v1/filing/999999").status_code == 404
    assert ent.put("/api/v1/filing/abc", json={}).status_code == 404
    assert ent.delete("/api/v1/teacher/abc").status_code == 404
    assert snapshot(app) == before
    # No token, no session: 401 for reads and writes.
    assert client.get("/api/v1/filing/").status_code == 401
    assert client.post(f"/api/v1/filing/{rows['filing']}/submit").status_code == 401
    assert snapshot(app) == before


def test_browser_session_needs_csrf_token_for_writes(app, world, client):
    rows = world["gz"]["draft"]
    login(client, "ent_gz")
    assert client.get(f"/api/v1/filing/{rows['filing']}").status_code == 200
    before = snapshot(app)
    refused = client.post(f"/api/v1/filing/{rows['filing']}/submit")
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    assert snapshot(app) == before
    token = csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))
    accepted = client.post(f"/api/v1/filing/{rows['filing']}/submit", headers={"X-CSRFToken": token})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["result"]["status"] == "SUBMITTED"


# ---- a whole filing through the API only --------------------------------------------------------------------

def test_whole_filing_through_the_api(app, as_user):
    ent = as_user("ent_gz")
    created = ent.post("/api/v1/filing/", json={"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE",
                                                 "commitment_accepted": True})
    assert created.status_code == 201, created.get_data(as_text=True)
    pk = created.get_json()["id"]

    institutions = ent.get("/api/v1/training_institution/").get_json()["result"]
    institution_id = institutions[0]["id"]
    info = ent.put(f"/api/v1/filing/{pk}", json={"contact_name": "王经办", "contact_phone": "020-87654321",
                                                 "institution_id": institution_id})
    assert info.status_code == 200, info.get_data(as_text=True)
    assert info.get_json()["result"]["institution_id"] == institution_id

    klass = ent.post("/api/v1/training_class/", json={
        "filing_id": pk, "occupation_code": "6-18-01-01", "skill_level": 4, "start_date": "2027-03-01",
        "end_date": "2028-02-29", "hours": 400, "planned_headcount": 2})
    assert klass.status_code == 201, klass.get_data(as_text=True)
    class_id = klass.get_json()["id"]
    teacher = ent.post("/api/v1/teacher/", json={"filing_id": pk, "name": "陈导师",
                                                 "id_number": new_id_number(birth="19800101"),
                                                 "phone": "13900139000", "kind": "ENTERPRISE", "title": "高级技师"})
    assert teacher.status_code == 201, teacher.get_data(as_text=True)
    teacher_id = teacher.get_json()["id"]
    trainee_ids = []
    for i, number in enumerate([new_id_number(birth="20010101"), id_number_with_x().lower()]):
        trainee = ent.post("/api/v1/trainee/", json={
            "filing_id": pk, "name": f"学员{i + 1}", "id_number": number, "phone": "13700137000",
            "education": "SECONDARY_VOCATIONAL", "contract_start": "2026-01-01", "contract_end": "2029-12-31",
            "hire_date": "2026-01-01"})
        assert trainee.status_code == 201, trainee.get_data(as_text=True)
        trainee_ids.append(trainee.get_json()["id"])
    course = ent.post("/api/v1/course/", json={"training_class_id": class_id, "name": "数控车削实训",
                                               "mode": "OFFLINE", "hours": 40, "teacher_id": teacher_id})
    assert course.status_code == 201, course.get_data(as_text=True)

    before = ent.get(f"/api/v1/filing/{pk}/checklist").get_json()
    assert before["ready"] is False
    assert before["missing_attachment_kinds"] == ["TRAINING_PLAN", "COOPERATION_AGREEMENT", "LABOUR_CONTRACT"]
    assert [i["code"] for i in before["items"] if not i["ok"]] == ["attachment"]
    early = ent.post(f"/api/v1/filing/{pk}/submit")
    assert early.status_code == 422
    assert early.get_json()["checklist"]["missing_attachment_kinds"] == before["missing_attachment_kinds"]
    error_of(early, "attachment")

    attachment_ids = []
    for kind in before["missing_attachment_kinds"]:
        upload = ent.post("/api/v1/attachment/", data={"file": (io.BytesIO(PDF_BYTES), f"{kind}.pdf"),
                                                        "kind": kind, "filing_id": str(pk)},
                          content_type="multipart/form-data")
        assert upload.status_code == 201, upload.get_data(as_text=True)
        meta = upload.get_json()["result"]
        assert meta["sha256"] == hashlib.sha256(PDF_BYTES).hexdigest() and meta["size"] == len(PDF_BYTES)
        assert meta["media_type"] == "application/pdf"
        attachment_ids.append(upload.get_json()["id"])
    content = ent.get(f"/api/v1/attachment/{attachment_ids[0]}/content")
    assert content.status_code == 200 and content.data == PDF_BYTES
    assert "attachment" in content.headers["Content-Disposition"]

    after = ent.get(f"/api/v1/filing/{pk}/checklist").get_json()
    assert after["ready"] is True and after["missing_attachment_kinds"] == []
    submitted = ent.post(f"/api/v1/filing/{pk}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["result"]["status"] == "SUBMITTED"
    assert submitted.get_json()["result"]["submitted_at"]

    reviewer = as_user("gz_reviewer")
    assert pk in [row["id"] for row in reviewer.get("/api/v1/filing/?status=SUBMITTED").get_json()["result"]]
    approved = reviewer.post(f"/api/v1/filing/{pk}/approve", json={"opinion": "同意备案"})
    assert approved.status_code == 200, approved.get_data(as_text=True)
    result = approved.get_json()["result"]
    assert result["status"] == "APPROVED" and FILING_NO.match(result["filing_no"])
    assert result["filing_no"].split("-")[1] == str(today().year)
    assert result["review_opinion"] == "同意备案" and result["approved_at"]

    lost = ent.post(f"/api/v1/trainee/{trainee_ids[0]}/mark_lost",
                    json={"reason": "个人原因离职", "lost_date": today().isoformat()})
    assert lost.status_code == 200, lost.get_data(as_text=True)
    assert lost.get_json()["result"]["status"] == "LOST"
    assert lost.get_json()["result"]["lost_reason"] == "个人原因离职"
    shown = ent.get(f"/api/v1/trainee/{trainee_ids[1]}").get_json()["result"]
    assert shown["id_number"].endswith("X") and shown["status"] == "ACTIVE"
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id.in_(
            [pk, trainee_ids[0]]))))
        assert {"create", "submit", "approve", "mark_lost"} <= actions


# ---- the rules, refused through the API with the Chinese message and the field -----------------------------

def _refused(app, response, field_name: str, text: Optional[str] = None, before: Optional[dict] = None):
    assert response.status_code == 422, response.get_data(as_text=True)
    body = error_of(response, field_name)
    if text:
        assert any(text in m for m in messages(response)), body
    if before is not None:
        assert snapshot(app) == before
    return body


@pytest.mark.parametrize("body", [
    {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE"},
    {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": False},
    {"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": "true"},
], ids=["missing", "false", "string"])
def test_r1_commitment_first(app, as_user, body):
    before = snapshot(app)
    _refused(app, as_user("ent_gz").post("/api/v1/filing/", json=body), "commitment_accepted",
             "请先阅读并确认承诺书", before)


def test_r2_type_offered_by_programme(app, as_user):
    before = snapshot(app)
    response = as_user("ent_gz").post("/api/v1/filing/", json={
        "programme": "ECOSYSTEM", "apprenticeship_type": "NEW_APPRENTICE", "commitment_accepted": True})
    _refused(app, response, "apprenticeship_type", "该培训项目不提供所选的学徒制培训类型", before)


@pytest.mark.parametrize("programme,kind", [("ENTERPRISE", "STUDENT"), ("ECOSYSTEM", "STUDENT"),
                                            ("ECOSYSTEM", "TECH_TRAINEE")])
def test_r3_recognition_required(app, as_user, programme, kind):
    before = snapshot(app)
    body = {"programme": programme, "apprenticeship_type": kind, "commitment_accepted": True}
    _refused(app, as_user("ent_sz").post("/api/v1/filing/", json=body), "apprenticeship_type",
             RECOGNITION_MISSING, before)
    # ent_gz holds a valid recognition as 链主 in 广州: the same request is accepted.
    assert as_user("ent_gz").post("/api/v1/filing/", json=body).status_code == 201


def test_r4_student_one_class(app, as_user):
    with app.app_context():
        filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, "ENTERPRISE", "STUDENT")
        pk = filing.id
        db.session.commit()
    before = snapshot(app)
    response = as_user("ent_gz").post("/api/v1/training_class/", json={
        "filing_id": pk, "occupation_code": "6-18-01-02", "skill_level": 5, "start_date": "2027-03-01",
        "end_date": "2028-02-29", "hours": 200, "planned_headcount": 3})
    _refused(app, response, "occupation_code", "学生学徒制一次备案只允许新增一条培训信息", before)


def test_r5_other_institution_needs_a_name(app, world, as_user):
    url = f"/api/v1/filing/{world['gz']['draft']['filing']}"
    ent = as_user("ent_gz")
    before = snapshot(app)
    _refused(app, ent.put(url, json={"institution_id": "other"}), "other_institution_name",
             "其他培训机构名称必填", before)
    _refused(app, ent.put(url, json={"institution_id": None, "other_institution_name": ""}), "institution_id",
             "请选择合作培训机构", before)
    ok = ent.put(url, json={"institution_id": None, "other_institution_name": "广州某某职业培训学校"})
    assert ok.status_code == 200
    assert ok.get_json()["result"]["institution_id"] is None
    assert ok.get_json()["result"]["other_institution_name"] == "广州某某职业培训学校"


def test_r6_offline_course_needs_teacher(app, world, as_user):
    rows = world["gz"]["draft"]
    before = snapshot(app)
    response = as_user("ent_gz").post("/api/v1/course/", json={
        "training_class_id": rows["class"], "name": "车间实操", "mode": "OFFLINE", "hours": 16})
    _refused(app, response, "teacher_id", "授课方式为线下培训时，授课教师必填", before)
    other = as_user("ent_gz").post("/api/v1/course/", json={
        "training_class_id": rows["class"], "name": "车间实操", "mode": "OFFLINE", "hours": 16,
        "teacher_id": world["gz"]["submitted"]["teacher"]})
    _refused(app, other, "teacher_id", "授课教师须为本备案的培训师资", before)


@pytest.mark.parametrize("extra", [{"date": "2027-05-01"}, {"venue_id": 1},
                                   {"start_time": "09:00", "end_time": "12:00"}])
def test_r7_course_date_and_venue_after_approval(app, world, as_user, extra):
    rows = world["gz"]["draft"]
    before = snapshot(app)
    response = as_user("ent_gz").post("/api/v1/course/", json={
        "training_class_id": rows["class"], "name": "理论课", "mode": "ONLINE", "hours": 8, **extra})
    _refused(app, response, next(iter(extra)), "在备案通过后", before)
    put = as_user("ent_gz").put(f"/api/v1/course/{rows['course']}", json=extra)
    _refused(app, put, next(iter(extra)), "在备案通过后", before)


def _trainee(filing_id: int, **kw) -> dict:
    return {"filing_id": filing_id, "name": "测试学员", "id_number": new_id_number(birth="19980808"),
            "phone": "13800138000", "education": "BACHELOR", "contract_start": "2026-01-01",
            "contract_end": "2029-12-31", "hire_date": "2026-01-01", **kw}


def test_r8_id_number_and_phone(app, world, as_user):
    pk = world["gz"]["draft"]["filing"]
    ent = as_user("ent_gz")
    before = snapshot(app)
    good = new_id_number(birth="19970707")
    bad_checksum = good[:17] + ("0" if good[17] != "0" else "1")
    _refused(app, ent.post("/api/v1/trainee/", json=_trainee(pk, id_number=bad_checksum)), "id_number",
             "校验位错误", before)
    _refused(app, ent.post("/api/v1/trainee/", json=_trainee(pk, id_number="440106970707123")), "id_number",
             "应为18位", before)
    _refused(app, ent.post("/api/v1/trainee/", json=_trainee(pk, phone="12345")), "phone",
             "联系电话格式不正确", before)
    _refused(app, ent.post("/api/v1/teacher/", json={"filing_id": pk, "name": "错号导师", "id_number": bad_checksum,
                                                    "phone": "123", "kind": "SCHOOL"}), "phone", None, before)
    both = ent.post("/api/v1/trainee/", json=_trainee(pk, id_number=bad_checksum, phone="12345"))
    assert {"id_number", "phone"} <= {e["field"] for e in both.get_json()["errors"]}  # every error at once
    with_x = id_number_with_x()
    accepted = ent.post("/api/v1/trainee/", json=_trainee(pk, id_number=f" {with_x.lower()} "))
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    result = accepted.get_json()["result"]
    assert result["id_number"] == with_x and result["birth_date"] == "1999-01-01"
    assert result["gender"] in ("M", "F")


def test_r9_one_active_filing_per_person(app, as_user):
    person = new_id_number(birth="19960606")
    with app.app_context():
        sz = factories.demo_enterprise("ent_sz")
        other = factories.complete_filing(sz.id, status="APPROVED", filing_no="XT4403-2026-000077",
                                          id_numbers=[person])
        gz = factories.demo_enterprise("ent_gz")
        overlapping = factories.complete_filing(gz.id)
        later = factories.complete_filing(gz.id, start=date(2029, 3, 1), end=date(2030, 2, 28))
        ids = {"overlapping": overlapping.id, "later": later.id, "other_no": other.filing_no}
        db.session.commit()
    before = snapshot(app)
    refused = as_user("ent_gz").post("/api/v1/trainee/", json=_trainee(ids["overlapping"], id_number=person))
    _refused(app, refused, "id_number", "同一人同一时间只能参加一个备案", before)
    text = refused.get_data(as_text=True)
    assert SZ_NAME not in text and ids["other_no"] not in text and "深圳" not in text
    # The same person in a filing whose period does not overlap is accepted.
    assert as_user("ent_gz").post("/api/v1/trainee/", json=_trainee(ids["later"], id_number=person)).status_code == 201
    # Duplicates inside one filing are refused.
    with app.app_context():
        existing = db.session.get(Filing, ids["overlapping"]).trainees[0].id_number
    duplicate = as_user("ent_gz").post("/api/v1/trainee/", json=_trainee(ids["overlapping"], id_number=existing))
    _refused(app, duplicate, "id_number", "该人员已在本备案中")


def _class(filing_id: int, **kw) -> dict:
    return {"filing_id": filing_id, "occupation_code": "6-18-01-01", "skill_level": 4, "start_date": "2027-03-01",
            "end_date": "2028-02-29", "hours": 400, "planned_headcount": 5, **kw}


def test_r10_new_apprentice_limits(app, world, as_user):
    pk = world["gz"]["draft"]["filing"]
    ent = as_user("ent_gz")
    before = snapshot(app)
    _refused(app, ent.post("/api/v1/trainee/", json=_trainee(pk, contract_start="2026-01-01",
                                                                contract_end="2026-06-30")),
             "contract_end", "劳动合同期限应不少于1年", before)
    _refused(app, ent.post("/api/v1/training_class/", json=_class(pk, skill_level=5)), "skill_level",
             "四级/中级工及以上", before)
    _refused(app, ent.post("/api/v1/training_class/", json=_class(pk, end_date="2027-12-31")), "end_date",
             "不能少于1年", before)
    _refused(app, ent.post("/api/v1/training_class/", json=_class(pk, end_date="2029-06-30")), "extension_reason",
             "延长培训期限原因", before)
    _refused(app, ent.post("/api/v1/training_class/", json=_class(pk, end_date="2030-06-30",
                                                                  extension_reason="设备调试周期长")),
             "end_date", "最长不超过3年", before)
    accepted = ent.post("/api/v1/training_class/", json=_class(pk, end_date="2029-06-30",
                                                               extension_reason="设备调试周期长"))
    assert accepted.status_code == 201, accepted.get_data(as_text=True)
    assert accepted.get_json()["result"]["extension_reason"] == "设备调试周期长"


def test_r11_file_type_sniffed_and_checklist(app, world, as_user):
    pk = world["gz"]["draft"]["filing"]
    ent = as_user("ent_gz")
    before = snapshot(app)
    fake = ent.post("/api/v1/attachment/", data={"file": (io.BytesIO(b"just some text\n"), "培训计划.pdf"),
                                                  "kind": "TRAINING_PLAN", "filing_id": str(pk)},
                    content_type="multipart/form-data")
    _refused(app, fake, "file", "不是有效的", before)
    exe = ent.post("/api/v1/attachment/", data={"file": (io.BytesIO(b"MZ\x90\x00"), "setup.exe"),
                                                 "kind": "OTHER", "filing_id": str(pk)},
                   content_type="multipart/form-data")
    _refused(app, exe, "file", None, before)
    bad_kind = ent.post("/api/v1/attachment/", data={"file": (io.BytesIO(PDF_BYTES), "a.pdf"), "kind": "NOPE",
                                                      "filing_id": str(pk)}, content_type="multipart/form-data")
    _refused(app, bad_kind, "kind", "请选择材料类型", before)
    # Without its materials the filing cannot be submitted; the 422 carries the checklist.
    with app.app_context():
        for row in db.session.scalars(select(Attachment).where(Attachment.filing_id == pk)):
            db.session.delete(row)
        db.session.commit()
    before = snapshot(app)
    refused = ent.post(f"/api/v1/filing/{pk}/submit")
    body = _refused(app, refused, "attachment", "缺少材料", before)
    assert body["checklist"]["ready"] is False
    assert set(body["checklist"]["missing_attachment_kinds"]) == {"TRAINING_PLAN", "COOPERATION_AGREEMENT",
                                                                  "LABOUR_CONTRACT"}


def test_return_needs_opinion(app, world, as_user):
    url = f"/api/v1/filing/{world['gz']['submitted']['filing']}/return"
    before = snapshot(app)
    _refused(app, as_user("gz_reviewer").post(url, json={}), "opinion", "审核意见", before)
    _refused(app, as_user("gz_reviewer").post(url, json={"opinion": "  "}), "opinion", None, before)


def test_mark_lost_needs_reason_named_as_in_the_body(app, world, as_user):
    url = f"/api/v1/trainee/{world['gz']['approved']['trainee']}/mark_lost"
    before = snapshot(app)
    _refused(app, as_user("ent_gz").post(url, json={"lost_date": today().isoformat()}), "reason", "流失原因", before)
    _refused(app, as_user("ent_gz").post(url, json={"reason": "离职", "lost_date": "2099-01-01"}), "lost_date",
             "不能晚于今天", before)


def test_teacher_in_use_cannot_be_deleted(app, world, as_user):
    before = snapshot(app)
    response = as_user("ent_gz").delete(f"/api/v1/teacher/{world['gz']['draft']['teacher']}")
    _refused(app, response, "teacher_id", "授课教师", before)


# ---- numbering and concurrency -----------------------------------------------------------------------------

def test_two_approvals_get_consecutive_numbers(app, as_user):
    with app.app_context():
        gz = factories.demo_enterprise("ent_gz").id
        first, second = (factories.complete_filing(gz, status="SUBMITTED").id for _ in range(2))
        db.session.commit()
    reviewer = as_user("gz_reviewer")
    a = reviewer.post(f"/api/v1/filing/{first}/approve").get_json()["result"]["filing_no"]
    b = reviewer.post(f"/api/v1/filing/{second}/approve").get_json()["result"]["filing_no"]
    assert FILING_NO.match(a) and FILING_NO.match(b)
    assert a[:-6] == b[:-6] and int(b[-6:]) == int(a[-6:]) + 1


def _http(base: str, method: str, path: str, token: Optional[str] = None, body: Any = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _token(base: str, username: str) -> str:
    status, body = _http(base, "POST", "/api/v1/security/login",
                         body={"username": username, "password": "Demo@2026", "provider": "db"})
    assert status == 200, body
    return body["access_token"]


def _race(base: str, requests_: list[tuple[str, str, Any]]) -> list[tuple[int, Any]]:
    """Send the requests at the same moment from parallel threads (a barrier releases them together)."""
    barrier = threading.Barrier(len(requests_))
    results: list[Any] = [None] * len(requests_)

    def run(i, token, path, body):
        barrier.wait()
        results[i] = _http(base, "POST", path, token, body)

    threads = [threading.Thread(target=run, args=(i, *r)) for i, r in enumerate(requests_)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), results
    return results


def _counter(app) -> int:
    with app.app_context():
        last = db.session.scalars(select(FilingNumberCounter.last).where(
            FilingNumberCounter.city_code == "4401")).first() or 0
        db.session.remove()
    return last


def test_two_reviewers_approving_at_once(app, live_server):
    issued_before = _counter(app)
    with app.app_context():
        factories.user("gz_reviewer2", RoleName.REVIEWER, city_code="4401")
        gz = factories.demo_enterprise("ent_gz").id
        filings = [factories.complete_filing(gz, status="SUBMITTED").id for _ in range(3)]
        db.session.commit()
        db.session.remove()
    tokens = [_token(live_server, "gz_reviewer"), _token(live_server, "gz_reviewer2")]
    for pk in filings:
        results = _race(live_server, [(token, f"/api/v1/filing/{pk}/approve", {"opinion": "同意"})
                                      for token in tokens])
        statuses = sorted(status for status, _ in results)
        assert statuses == [200, 409], results
        loser = next(body for status, body in results if status == 409)
        assert CJK.search(loser["message"])
    with app.app_context():
        numbers = list(db.session.scalars(select(Filing.filing_no).where(Filing.id.in_(filings))))
        assert len(numbers) == 3 and all(FILING_NO.match(n) for n in numbers) and len(set(numbers)) == 3
        db.session.remove()
    assert _counter(app) == issued_before + 3  # no number was spent by a loser
    with app.app_context():
        approvals = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "approve", AuditEvent.entity_id.in_(filings)))
        assert approvals == 3
        db.session.remove()


def test_approve_while_enterprise_withdraws(app, live_server):
    issued_before = _counter(app)
    with app.app_context():
        gz = factories.demo_enterprise("ent_gz").id
        filings = [factories.complete_filing(gz, status="SUBMITTED").id for _ in range(3)]
        db.session.commit()
        db.session.remove()
    reviewer, enterprise = _token(live_server, "gz_reviewer"), _token(live_server, "ent_gz")
    for pk in filings:
        (approve_status, approve_body), (withdraw_status, withdraw_body) = _race(live_server, [
            (reviewer, f"/api/v1/filing/{pk}/approve", {"opinion": "同意"}),
            (enterprise, f"/api/v1/filing/{pk}/withdraw", None),
        ])
        with app.app_context():
            filing = db.session.get(Filing, pk)
            status, number = filing.status, filing.filing_no
            db.session.remove()
        if approve_status == 200:
            # The reviewer won: the withdrawal lost the race (409) and the filing keeps its number.
            assert withdraw_status == 409, withdraw_body
            assert status == "APPROVED" and FILING_NO.match(number)
        else:
            # The enterprise won: the filing is a draft again (outside the reviewer's scope, so the loser's
            # answer is 409 when it had already loaded the row, 404 when it had not) and has no number.
            assert withdraw_status == 200, (approve_status, approve_body, withdraw_body)
            assert approve_status in (404, 409), approve_body
            assert status == "DRAFT" and number is None
    with app.app_context():
        issued = db.session.scalars(select(Filing.filing_no).where(Filing.id.in_(filings),
                                                                   Filing.filing_no.is_not(None))).all()
        db.session.remove()
    assert _counter(app) == issued_before + len(issued)  # numbers only for the approvals that won


# ---- OpenAPI ------------------------------------------------------------------------------------------------

def test_openapi_lists_the_endpoints_and_refs_resolve(as_user):
    response = as_user("admin").get("/api/v1/_openapi")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    spec = response.get_json()
    paths = spec["paths"]
    for path, method in [
        ("/api/v1/filing/", "get"), ("/api/v1/filing/", "post"), ("/api/v1/filing/{pk}", "put"),
        ("/api/v1/filing/{pk}", "delete"), ("/api/v1/filing/{pk}/submit", "post"),
        ("/api/v1/filing/{pk}/withdraw", "post"), ("/api/v1/filing/{pk}/approve", "post"),
        ("/api/v1/filing/{pk}/return", "post"), ("/api/v1/filing/{pk}/checklist", "get"),
        ("/api/v1/trainee/{pk}/mark_lost", "post"), ("/api/v1/attachment/{pk}/content", "get"),
        ("/api/v1/attachment/", "post"), ("/api/v1/training_class/", "post"), ("/api/v1/teacher/{pk}", "put"),
        ("/api/v1/course/{pk}", "delete"),
    ]:
        assert method in paths.get(path, {}), (path, method)
    assert "422" in json.dumps(paths["/api/v1/filing/{pk}"]["put"]["description"], ensure_ascii=False)
    assert "status" in paths["/api/v1/filing/{pk}"]["put"]["description"]
    assert "multipart/form-data" in paths["/api/v1/attachment/"]["post"]["requestBody"]["content"]

    def refs(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$ref":
                    yield value
                else:
                    yield from refs(value)
        elif isinstance(node, list):
            for value in node:
                yield from refs(value)

    mine = {p: v for p, v in paths.items() if p.split("/")[3] in {
        "filing", "training_class", "teacher", "trainee", "course", "attachment"}}
    for ref in set(refs(mine)):
        assert ref.startswith("#/components/"), ref
        node = spec
        for part in ref[2:].split("/"):
            assert part in node, f"unresolved {ref}"
            node = node[part]

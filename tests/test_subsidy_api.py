"""REST API of 补贴申领 (DESIGN §10 Subsidy, R20–R23): the whole claim built and decided through the API only (create
after the 承诺书 → unit info → persons → attachment → pre-checks → submit → per-person decisions → approve; a
return → fix → resubmit round), the refusals of each role and scope, state × role for every transition endpoint,
and odd input answered 4xx in Chinese (never 500)."""
from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Optional

import pytest
from sqlalchemy import func, select

from actions.subsidies import claims
from actions.workflow import run
from models.audit import AuditEvent
from models.base import db
from models.enums import ClaimStatus
from models.filing import Attachment, Trainee, TrainingClass
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from tests import factories
from tests.factories import PDF_BYTES
from tests.test_subsidy_claims import running_class

CJK = re.compile(r"[\u4e00-\u9fff]")
CLAIMS, PERSONS = "/api/v1/subsidy_claim/", "/api/v1/subsidy_claim_person/"
PASSING = ("张晓明", "李思雨", "王建华", "陈佳怡", "刘子轩")  # 杨帆 (50 % attendance) fails R21


@dataclass
class Demo:
    class_id: int
    filing_id: int
    trainees: dict[str, int]
    numbers: dict[str, str]


@pytest.fixture
def demo(app) -> Demo:
    """ent_gz's running class of the demo (6 trainees, 杨帆 below the attendance threshold)."""
    with app.app_context():
        cls = running_class()
        rows = db.session.scalars(select(Trainee).where(Trainee.filing_id == cls.filing_id)).all()
        out = Demo(cls.id, cls.filing_id, {t.name: t.id for t in rows}, {t.name: t.id_number for t in rows})
        db.session.remove()
    return out


@pytest.fixture
def as_user(api):
    cache: dict[str, Any] = {}

    def get(username: str):
        if username not in cache:
            cache[username] = api(username)
        return cache[username]

    return get


def error_of(response, status: int, field: Optional[str] = None) -> dict:
    """The DESIGN §10 error body with ``status``: Chinese message, field errors named (``field`` among them)."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:600])
    body = response.get_json()
    assert isinstance(body, dict) and CJK.search(body["message"]), body
    for item in body.get("errors", []):
        assert CJK.search(item["message"]), body
    if field is not None:
        assert field in [e.get("field") for e in body["errors"]], body
    return body


def make_claim(app, demo: Demo, status: str, names=("张晓明",), *, username: str = "ent_gz") -> dict:
    """A claim of ent_gz in ``status`` made through the actions (ready to submit: unit info from the enterprise,
    the persons ``names``, the stage's attachments); returns its id and its persons' ids by name."""
    with app.app_context():
        ent, reviewer = factories.actor(username), factories.actor("gz_reviewer")
        claim = claims.create_claim(db.session, ent, {"training_class_id": demo.class_id, "stage": "ADVANCE",
                                                      "commitment_accepted": True})
        claims.add_persons(db.session, ent, claim.id, trainee_ids=[demo.trainees[n] for n in names])
        for kind in claims.REQUIRED_KINDS[claim.stage]:
            claims.add_claim_attachment(db.session, ent, claim.id, kind, f"{kind}.pdf", PDF_BYTES)
        if status != ClaimStatus.DRAFT:
            run(db.session, ent, "subsidy_claim", "submit", claim.id)
        if status == ClaimStatus.RETURNED:
            run(db.session, reviewer, "subsidy_claim", "return", claim.id, {"opinion": "请补充材料"})
        elif status == ClaimStatus.APPROVED:
            run(db.session, reviewer, "subsidy_claim", "approve", claim.id, {"opinion": "同意"})
        db.session.commit()
        persons = {p.trainee.name: p.id for p in claim.persons}
        out = {"id": claim.id, "persons": persons}
        db.session.remove()
    return out


def claim_row(app, pk: int) -> Optional[SubsidyClaim]:
    with app.app_context():
        row = db.session.get(SubsidyClaim, pk)
        if row is not None:
            db.session.expunge(row)
        db.session.remove()
    return row


def status_of(app, pk: int) -> Optional[str]:
    row = claim_row(app, pk)
    return None if row is None else row.status


def upload(client, claim_id: Any, kind: str = "TRAINING_PLAN", **extra):
    data = {"claim_id": str(claim_id), "kind": kind, "file": (io.BytesIO(PDF_BYTES), "培训计划.pdf"), **extra}
    return client.post("/api/v1/attachment/", data=data, content_type="multipart/form-data")


# ---- the whole claim through the API ----------------------------------------------------------------------------


def test_the_whole_claim_through_the_api(app, demo, as_user):
    ent, reviewer = as_user("ent_gz"), as_user("gz_reviewer")
    # R20: 承诺书 first
    body = error_of(ent.post(CLAIMS, json={"training_class_id": demo.class_id, "stage": "ADVANCE"}), 422,
                    "commitment_accepted")
    assert "承诺书" in body["message"]
    created = ent.post(CLAIMS, json={"training_class_id": demo.class_id, "stage": "ADVANCE",
                                     "commitment_accepted": True})
    assert created.status_code == 201, created.get_json()
    pk = created.get_json()["id"]
    row = created.get_json()["result"]
    assert (row["status"], row["stage"], row["filing_id"], row["persons_count"]) == ("DRAFT", "ADVANCE",
                                                                                    demo.filing_id, 0)
    assert row["status_label"] == "未提交" and row["stage_label"] == "预拨"

    # 单位基本信息 (R20): the account name is the enterprise's; status is read-only
    enterprise_name = row["enterprise"]["name"]
    error_of(ent.put(f"{CLAIMS}{pk}", json={"bank_account_name": "别的公司"}), 422, "bank_account_name")
    error_of(ent.put(f"{CLAIMS}{pk}", json={"status": "APPROVED"}), 422, "status")
    saved = ent.put(f"{CLAIMS}{pk}", json={"bank_name": "中国银行广州天河支行", "bank_account_name": enterprise_name,
                                           "bank_account_no": "6217-0000 1234 5678", "contact_name": "王经办"})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["result"]["bank_account_no"] == "6217000012345678"
    assert saved.get_json()["result"]["contact_phone"] == row["contact_phone"]  # left out: kept

    # 人员信息: by trainee id, by ID number (lower-case x accepted), all or nothing
    by_id = ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["张晓明"]})
    assert by_id.status_code == 201, by_id.get_json()
    person = by_id.get_json()["result"]
    assert (person["claim_id"], person["name"], person["id_number"]) == (pk, "张晓明", demo.numbers["张晓明"])
    by_number = ent.post(PERSONS, json={"claim_id": pk, "id_number": demo.numbers["李思雨"].lower()})
    assert by_number.status_code == 201 and by_number.get_json()["result"]["name"] == "李思雨"
    yang = ent.post(PERSONS, json={"claim_id": pk, "id_number": demo.numbers["杨帆"]}).get_json()["id"]
    error_of(ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["张晓明"]}), 422, "trainee_id")
    error_of(ent.post(PERSONS, json={"claim_id": pk, "id_number": "110101199003070011"}), 422, "id_number")
    error_of(ent.post(PERSONS, json={"claim_id": pk}), 422, "trainee_id")
    certificate = ent.put(f"{PERSONS}{by_id.get_json()['id']}", json={"certificate_no": "S4401-0001"})
    assert certificate.status_code == 200 and certificate.get_json()["result"]["certificate_no"] == "S4401-0001"
    listed = ent.get(f"{PERSONS}?claim_id={pk}").get_json()
    assert listed["count"] == 3 and {r["name"] for r in listed["result"]} == {"张晓明", "李思雨", "杨帆"}
    assert ent.get(f"{CLAIMS}{pk}").get_json()["result"]["persons_count"] == 3

    # R21 pre-checks: 杨帆's attendance and the missing 培训计划
    checks = ent.get(f"{CLAIMS}{pk}/prechecks").get_json()
    assert checks["ready"] is False and checks["missing_attachment_kinds"] == ["TRAINING_PLAN"]
    failing = [p for p in checks["persons"] if not p["ok"]]
    assert [p["id_number"] for p in failing] == [demo.numbers["杨帆"]]
    assert {c["code"]: c["ok"] for c in failing[0]["checks"]}["attendance"] is False
    assert all(set(p) >= {"person_id", "id_number", "checks"} for p in checks["persons"])
    refused = error_of(ent.post(f"{CLAIMS}{pk}/submit"), 422, "persons")
    text = json.dumps(refused, ensure_ascii=False)
    assert "杨帆" in text and "出勤率" in text and "缺少附件：培训计划" in text
    assert refused["prechecks"]["ready"] is False and len(refused["prechecks"]["persons"]) == 3
    assert status_of(app, pk) == "DRAFT"

    # fix: drop 杨帆, upload the 培训计划 with claim_id
    assert ent.delete(f"{PERSONS}{yang}").status_code == 200
    uploaded = upload(ent, pk)
    assert uploaded.status_code == 201, uploaded.get_json()
    assert uploaded.get_json()["result"]["subsidy_claim_id"] == pk
    assert [a["kind"] for a in ent.get(f"/api/v1/attachment/?claim_id={pk}").get_json()["result"]] == ["TRAINING_PLAN"]
    assert ent.get(f"{CLAIMS}{pk}/prechecks").get_json()["ready"] is True

    submitted = ent.post(f"{CLAIMS}{pk}/submit")
    assert submitted.status_code == 200, submitted.get_json()
    result = submitted.get_json()["result"]
    assert (result["status"], result["requested_amount"]) == ("SUBMITTED", "4400.00")  # 2 × 5500 × 1 × 40 %
    assert result["submitted_at"]
    # frozen once submitted (R23): 409 for every edit
    error_of(ent.put(f"{CLAIMS}{pk}", json={"contact_name": "改"}), 409)
    error_of(ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["王建华"]}), 409)
    error_of(ent.put(f"{PERSONS}{by_id.get_json()['id']}", json={"certificate_no": "X"}), 409)
    error_of(upload(ent, pk, "OTHER"), 409)
    error_of(ent.delete(f"{CLAIMS}{pk}"), 409)

    # the reviewer: its city's submitted claims; per-person decisions (R23)
    queue = reviewer.get(f"{CLAIMS}?status=SUBMITTED").get_json()
    assert [r["id"] for r in queue["result"]] == [pk] and queue["result"][0]["persons_count"] == 2
    persons = reviewer.get(f"{PERSONS}?claim_id={pk}").get_json()["result"]
    assert {p["amount"] for p in persons} == {"2200.00"} and all(p["precheck"] for p in persons)
    zhang = next(p["id"] for p in persons if p["name"] == "张晓明")
    error_of(reviewer.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": "2200.01"}), 422, "approved_amount")
    error_of(reviewer.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": "1000"}), 422, "reason")
    lowered = reviewer.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": 1100.5, "reason": "缺勤折算"})
    assert lowered.status_code == 200, lowered.get_json()
    assert (lowered.get_json()["result"]["decision"], lowered.get_json()["result"]["approved_amount"],
            lowered.get_json()["result"]["decision_reason"]) == ("LOWERED", "1100.50", "缺勤折算")
    error_of(ent.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": "0", "reason": "x"}), 403)

    approved = reviewer.post(f"{CLAIMS}{pk}/approve", json={"opinion": "同意"})
    assert approved.status_code == 200, approved.get_json()
    result = approved.get_json()["result"]
    assert (result["status"], result["approved_amount"], result["review_opinion"]) == ("APPROVED", "3300.50", "同意")
    persons = ent.get(f"{PERSONS}?claim_id={pk}").get_json()["result"]
    assert sorted((p["name"], p["decision"], p["approved_amount"]) for p in persons) == [
        ("张晓明", "LOWERED", "1100.50"), ("李思雨", "APPROVED", "2200.00")]
    # decided: no more decisions, no second approval, no 取消申请
    error_of(reviewer.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": "0", "reason": "x"}), 409)
    error_of(reviewer.post(f"{CLAIMS}{pk}/approve", json={}), 409)
    error_of(ent.post(f"{CLAIMS}{pk}/cancel"), 409)
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action).where(
            AuditEvent.entity.in_(("subsidy_claim", "subsidy_claim_person"))).order_by(AuditEvent.id)).all()
        db.session.remove()
    assert actions[0] == "create" and actions[-1] == "approve"
    assert {"update", "add_persons", "remove_persons", "submit", "decide"} <= set(actions)


def test_return_fix_and_resubmit(app, demo, as_user):
    ent, reviewer = as_user("ent_gz"), as_user("gz_reviewer")
    claim = make_claim(app, demo, "SUBMITTED", names=("张晓明", "李思雨"))
    pk, zhang = claim["id"], claim["persons"]["张晓明"]
    decided = reviewer.post(f"{PERSONS}{zhang}/decide", json={"approved_amount": "2000", "reason": "缺勤"})
    assert decided.status_code == 200
    error_of(reviewer.post(f"{CLAIMS}{pk}/return", json={}), 422, "opinion")
    error_of(reviewer.post(f"{CLAIMS}{pk}/return", json={"opinion": ""}), 422, "opinion")
    returned = reviewer.post(f"{CLAIMS}{pk}/return", json={"opinion": "请补充缴费凭证"})
    assert returned.status_code == 200, returned.get_json()
    assert (returned.get_json()["result"]["status"], returned.get_json()["result"]["review_opinion"]) == (
        "RETURNED", "请补充缴费凭证")
    # the enterprise sees the opinion, fixes and resubmits
    assert ent.get(f"{CLAIMS}{pk}").get_json()["result"]["review_opinion"] == "请补充缴费凭证"
    assert ent.put(f"{CLAIMS}{pk}", json={"contact_phone": "13900139000"}).status_code == 200
    assert upload(ent, pk, "OTHER").status_code == 201
    added = ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["王建华"]})
    assert added.status_code == 201
    again = ent.post(f"{CLAIMS}{pk}/submit")
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["result"]["requested_amount"] == "6600.00"
    persons = reviewer.get(f"{PERSONS}?claim_id={pk}").get_json()["result"]
    assert {p["decision"] for p in persons} == {None}  # the earlier round's decisions are cleared
    approved = reviewer.post(f"{CLAIMS}{pk}/approve")
    assert approved.status_code == 200 and approved.get_json()["result"]["approved_amount"] == "6600.00"


def test_create_by_filing_and_delete(app, demo, as_user):
    ent = as_user("ent_gz")
    created = ent.post(CLAIMS, json={"filing_id": demo.filing_id, "stage": "BALANCE", "commitment_accepted": True,
                                     "contact_name": "赵经办"})
    assert created.status_code == 201, created.get_json()
    row = created.get_json()["result"]
    assert (row["training_class_id"], row["stage"], row["contact_name"]) == (demo.class_id, "BALANCE", "赵经办")
    pk = created.get_json()["id"]
    assert ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["张晓明"], "certificate_no": "C-1",
                                   "skill_level": 4}).get_json()["result"]["skill_level"] == 4
    error_of(ent.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["李思雨"], "skill_level": 9}), 422,
             "skill_level")
    assert ent.get(f"{PERSONS}?claim_id={pk}").get_json()["count"] == 1  # all or nothing
    attachment = upload(ent, pk, "CERTIFICATE").get_json()["id"]
    deleted = ent.delete(f"{CLAIMS}{pk}")
    assert deleted.status_code == 200, deleted.get_json()
    assert claim_row(app, pk) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == pk)) == 0
        assert db.session.get(Attachment, attachment) is None
        db.session.remove()
    error_of(ent.get(f"{CLAIMS}{pk}"), 404)


def test_claim_attachments(app, demo, as_user):
    ent = as_user("ent_gz")
    draft = make_claim(app, demo, "DRAFT", names=("张晓明",))
    submitted = make_claim(app, demo, "SUBMITTED", names=("李思雨",))
    error_of(upload(ent, draft["id"], "LABOUR_CONTRACT"), 422, "kind")  # not a claim's material
    error_of(upload(ent, draft["id"], filing_id=str(demo.filing_id)), 422, "claim_id")
    error_of(upload(ent, "abc"), 422, "claim_id")
    error_of(upload(as_user("ent_sz"), draft["id"]), 404)
    error_of(upload(as_user("gz_reviewer"), submitted["id"]), 403)
    new = upload(ent, draft["id"], "OTHER")
    assert new.status_code == 201
    assert ent.delete(f"/api/v1/attachment/{new.get_json()['id']}").status_code == 200
    with app.app_context():
        frozen = db.session.scalars(select(Attachment.id).where(Attachment.subsidy_claim_id == submitted["id"])).first()
        db.session.remove()
    error_of(ent.delete(f"/api/v1/attachment/{frozen}"), 409)
    error_of(as_user("ent_sz").delete(f"/api/v1/attachment/{frozen}"), 404)
    content = as_user("gz_reviewer").get(f"/api/v1/attachment/{frozen}/content")
    assert content.status_code == 200 and content.data == PDF_BYTES


# ---- refusals by role and scope -------------------------------------------------------------------------------


def test_scope_and_role_refusals(app, demo, as_user):
    draft = make_claim(app, demo, "DRAFT", names=("张晓明",))
    submitted = make_claim(app, demo, "SUBMITTED", names=("李思雨",))
    ent_sz, sz_rev, gz_rev, admin = (as_user(u) for u in ("ent_sz", "sz_reviewer", "gz_reviewer", "admin"))
    before = {pk: status_of(app, pk) for pk in (draft["id"], submitted["id"])}
    for claim in (draft, submitted):
        pk, person = claim["id"], next(iter(claim["persons"].values()))
        # another enterprise: as if missing
        for response in (ent_sz.get(f"{CLAIMS}{pk}"), ent_sz.get(f"{CLAIMS}{pk}/prechecks"),
                         ent_sz.put(f"{CLAIMS}{pk}", json={"contact_name": "偷改"}), ent_sz.delete(f"{CLAIMS}{pk}"),
                         ent_sz.post(f"{CLAIMS}{pk}/submit"), ent_sz.post(f"{CLAIMS}{pk}/cancel"),
                         ent_sz.get(f"{PERSONS}{person}"), ent_sz.delete(f"{PERSONS}{person}"),
                         ent_sz.put(f"{PERSONS}{person}", json={"certificate_no": "X"}),
                         ent_sz.post(PERSONS, json={"claim_id": pk, "trainee_id": demo.trainees["王建华"]})):
            error_of(response, 404)
        # the reviewer of another city
        for response in (sz_rev.get(f"{CLAIMS}{pk}"), sz_rev.get(f"{CLAIMS}{pk}/prechecks"),
                         sz_rev.post(f"{CLAIMS}{pk}/approve", json={}),
                         sz_rev.post(f"{CLAIMS}{pk}/return", json={"opinion": "退回"}),
                         sz_rev.get(f"{PERSONS}{person}"),
                         sz_rev.post(f"{PERSONS}{person}/decide", json={"approved_amount": "0", "reason": "x"})):
            error_of(response, 404)
        assert ent_sz.get(f"{CLAIMS}").get_json()["count"] == 0
        assert sz_rev.get(f"{CLAIMS}").get_json()["count"] == 0
        assert sz_rev.get(f"{PERSONS}?claim_id={pk}").get_json()["count"] == 0
    # a DRAFT is invisible to the reviewers, even of its own city
    pk, person = draft["id"], draft["persons"]["张晓明"]
    assert [r["id"] for r in gz_rev.get(CLAIMS).get_json()["result"]] == [submitted["id"]]
    for response in (gz_rev.get(f"{CLAIMS}{pk}"), gz_rev.get(f"{CLAIMS}{pk}/prechecks"),
                     gz_rev.get(f"{PERSONS}{person}"),
                     gz_rev.post(f"{CLAIMS}{pk}/approve", json={}),
                     gz_rev.post(f"{PERSONS}{person}/decide", json={"approved_amount": "0", "reason": "x"})):
        error_of(response, 404)
    assert gz_rev.get(f"{PERSONS}?claim_id={pk}").get_json()["count"] == 0
    assert gz_rev.get(f"/api/v1/attachment/?claim_id={pk}").get_json()["count"] == 0
    # roles that may never: 403 (enterprise and admin decide; reviewer and admin create or edit)
    person = submitted["persons"]["李思雨"]
    for user in ("ent_gz", "admin"):
        error_of(as_user(user).post(f"{PERSONS}{person}/decide", json={"approved_amount": "0", "reason": "x"}), 403)
    for user in ("gz_reviewer", "admin"):
        client = as_user(user)
        error_of(client.post(CLAIMS, json={"training_class_id": demo.class_id, "stage": "ADVANCE",
                                           "commitment_accepted": True}), 403)
        error_of(client.put(f"{CLAIMS}{submitted['id']}", json={"contact_name": "改"}), 403)
        error_of(client.post(PERSONS, json={"claim_id": draft["id"], "trainee_id": demo.trainees["王建华"]}), 403)
    error_of(as_user("ent_sz").post(CLAIMS, json={"training_class_id": demo.class_id, "stage": "ADVANCE",
                                                  "commitment_accepted": True}), 404)
    # the admin reads everything, writes nothing
    assert {r["id"] for r in admin.get(CLAIMS).get_json()["result"]} == {draft["id"], submitted["id"]}
    assert admin.get(f"{CLAIMS}{draft['id']}/prechecks").status_code == 200
    assert {pk: status_of(app, pk) for pk in before} == before
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 2
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaimPerson)) == 2
        db.session.remove()


# ---- state × role of every transition endpoint ----------------------------------------------------------------

#: endpoint → (HTTP method, URL suffix, body, the role allowed, states it runs from)
TRANSITIONS = {
    "submit": ("POST", "/submit", None, "enterprise", {"DRAFT", "RETURNED"}),
    "cancel": ("POST", "/cancel", None, "enterprise", {"SUBMITTED"}),
    "delete": ("DELETE", "", None, "enterprise", {"DRAFT", "RETURNED"}),
    "approve": ("POST", "/approve", {"opinion": "同意"}, "reviewer", {"SUBMITTED"}),
    "return": ("POST", "/return", {"opinion": "请补充材料"}, "reviewer", {"SUBMITTED"}),
}
TARGET = {"submit": "SUBMITTED", "cancel": "DRAFT", "delete": None, "approve": "APPROVED", "return": "RETURNED"}
KIND = {"ent_gz": "enterprise", "ent_sz": "enterprise", "gz_reviewer": "reviewer", "sz_reviewer": "reviewer",
        "admin": "admin"}


def expected(user: str, action: str, status: str) -> int:
    """The policy: a role that may never → 403; out of scope (other enterprise / city, a reviewer on a DRAFT) →
    404; the right one in a state the table does not allow → 409; else 200."""
    _, _, _, role, states = TRANSITIONS[action]
    if KIND[user] != role:
        return 403
    if user in ("ent_sz", "sz_reviewer") or (role == "reviewer" and status == "DRAFT"):
        return 404
    return 200 if status in states else 409


@pytest.mark.parametrize("status", ClaimStatus.codes())
def test_state_x_role_of_every_transition_endpoint(app, demo, as_user, status):
    seen = []
    for action, name in zip(TRANSITIONS, PASSING):  # a claim per action, each with a person of its own
        method, suffix, body, _, _ = TRANSITIONS[action]
        pk = make_claim(app, demo, status, names=(name,))["id"]
        url = f"{CLAIMS}{pk}{suffix}"
        users = sorted(KIND, key=lambda u: expected(u, action, status) == 200)  # the allowed one last
        for user in users:
            client = as_user(user)
            response = client.delete(url) if method == "DELETE" else client.post(url, json=body or {})
            want = expected(user, action, status)
            assert response.status_code == want, (action, status, user, response.get_json())
            if want != 200:
                error_of(response, want)
                assert status_of(app, pk) == status, (action, user)  # a refusal changes nothing
            else:
                assert status_of(app, pk) == TARGET[action]
                if TARGET[action] is not None:
                    assert response.get_json()["result"]["status"] == TARGET[action]
            seen.append((action, user, response.status_code))
    assert len(seen) == len(TRANSITIONS) * len(KIND)


# ---- odd input: 4xx in Chinese, never 500 ------------------------------------------------------------------------

ODD_CLAIM_BODIES = [
    [], "text", 5, None,
    {"training_class_id": "abc", "stage": "ADVANCE", "commitment_accepted": True},
    {"training_class_id": [1], "stage": "ADVANCE", "commitment_accepted": True},
    {"training_class_id": 2**40, "stage": "ADVANCE", "commitment_accepted": True},
    {"training_class_id": 2**70, "stage": "ADVANCE", "commitment_accepted": True},
    {"training_class_id": "9" * 30, "stage": "ADVANCE", "commitment_accepted": True},
    {"stage": {"nested": {"deeper": [1, 2, {"x": None}]}}, "commitment_accepted": True},
    {"stage": "ADVANCE\u0000", "commitment_accepted": True},
    {"stage": "ADVANCE", "commitment_accepted": "yes please"},
    {"stage": "ADVANCE", "commitment_accepted": True, "filing_id": -1},
    {"stage": "ADVANCE", "commitment_accepted": True, "bank_account_no": 123},
    {"status": "APPROVED"},
]
ODD_DECISIONS = [
    {"approved_amount": "1e400", "reason": "x"}, {"approved_amount": "NaN", "reason": "x"},
    {"approved_amount": "-Infinity", "reason": "x"}, {"approved_amount": -1, "reason": "x"},
    {"approved_amount": 10**17, "reason": "x"}, {"approved_amount": 10**30, "reason": "x"},
    {"approved_amount": True, "reason": "x"}, {"approved_amount": [100], "reason": "x"},
    {"approved_amount": {"yuan": 1}, "reason": "x"}, {"approved_amount": "1.001", "reason": "x"},
    {"approved_amount": "100\u0000", "reason": "x"}, {"approved_amount": "100", "reason": 42},
    {"approved_amount": "100", "reason": "x" * 501}, {"approved_amount": "100", "reason": ["缺勤"]},
    {"approved_amount": "100", "opinion": "x"}, {}, [],
]


@pytest.mark.parametrize("body", ODD_CLAIM_BODIES, ids=range(len(ODD_CLAIM_BODIES)))
def test_odd_claim_bodies(app, demo, as_user, body):
    ent = as_user("ent_gz")
    response = ent.post(CLAIMS, data=json.dumps(body), content_type="application/json")
    assert 400 <= response.status_code < 500, (response.status_code, response.get_data(as_text=True)[:400])
    error_of(response, response.status_code)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0
        db.session.remove()


@pytest.mark.parametrize("body", ODD_DECISIONS, ids=range(len(ODD_DECISIONS)))
def test_odd_decisions(app, demo, as_user, body):
    claim = make_claim(app, demo, "SUBMITTED")
    person = claim["persons"]["张晓明"]
    response = as_user("gz_reviewer").post(f"{PERSONS}{person}/decide", data=json.dumps(body),
                                           content_type="application/json")
    error_of(response, response.status_code)
    assert 400 <= response.status_code < 500
    with app.app_context():
        assert db.session.get(SubsidyClaimPerson, person).decision is None
        db.session.remove()


def test_odd_raw_bodies(app, demo, as_user):
    """Bodies no JSON encoder writes: an infinite number, a NUL in a key, nesting deeper than any contract body,
    not JSON at all — each 4xx in Chinese."""
    claim = make_claim(app, demo, "SUBMITTED")
    person = claim["persons"]["张晓明"]
    reviewer, ent = as_user("gz_reviewer"), as_user("ent_gz")
    raw = ['{"approved_amount": 1e400, "reason": "x"}', '{"approved_amount": -1e400}',
           '{"approved_amount\\u0000": "1"}', "[" * 100 + "]" * 100, '{"approved_amount": ' + "[" * 60 + "]" * 60 + "}",
           "not json", '{"approved_amount": "1"']
    for text in raw:
        response = reviewer.post(f"{PERSONS}{person}/decide", data=text, content_type="application/json")
        assert 400 <= response.status_code < 500, (text[:40], response.status_code)
        error_of(response, response.status_code)
    draft = make_claim(app, demo, "DRAFT", names=("李思雨",))
    for text in raw:
        response = ent.put(f"{CLAIMS}{draft['id']}", data=text, content_type="application/json")
        assert 400 <= response.status_code < 500, (text[:40], response.status_code)
    for body in ({"claim_id": draft["id"], "trainee_id": "9" * 25}, {"claim_id": draft["id"], "trainee_id": 2**62},
                 {"claim_id": draft["id"], "trainee_id": 1.5}, {"claim_id": draft["id"], "id_number": 440106},
                 {"claim_id": draft["id"], "id_number": {"a": 1}}, {"claim_id": "x", "trainee_id": 1},
                 {"claim_id": draft["id"], "trainee_id": demo.trainees["王建华"], "certificate_no": "x" * 65},
                 {"claim_id": draft["id"], "trainee_id": demo.trainees["王建华"], "held": True},
                 {"claim_id": draft["id"], "trainee_id": demo.trainees["王建华"], "id_number": demo.numbers["王建华"]}):
        response = ent.post(PERSONS, json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.get_json())
        error_of(response, response.status_code)
    person = draft["persons"]["李思雨"]
    for body in ({"skill_level": "abc"}, {"skill_level": 99}, {"skill_level": 2**70}, {"certificate_no": 5},
                 {"amount": "9999"}, {"approved_amount": "1"}):
        response = ent.put(f"{PERSONS}{person}", json=body)
        assert 400 <= response.status_code < 500, (body, response.status_code)
        error_of(response, response.status_code)
    with app.app_context():
        row = db.session.get(SubsidyClaimPerson, person)
        assert (row.skill_level, row.certificate_no, row.amount) == (None, None, None)
        assert db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == draft["id"])) == 1
        db.session.remove()
    assert status_of(app, claim["id"]) == "SUBMITTED"


def test_ids_out_of_range_are_missing_rows(app, demo, as_user):
    ent = as_user("ent_gz")
    for url in (f"{CLAIMS}{2**31}", f"{CLAIMS}{2**63}/prechecks", f"{PERSONS}{10**20}", f"{CLAIMS}0"):
        response = ent.get(url)
        assert response.status_code == 404, (url, response.status_code)
    error_of(ent.post(f"{CLAIMS}{2**40}/submit"), 404)
    error_of(as_user("gz_reviewer").post(f"{PERSONS}{2**31 - 1}/decide", json={"approved_amount": "1"}), 404)


def test_the_openapi_document_lists_every_claim_operation(api):
    spec = api("admin").get("/api/v1/_openapi").get_json()
    paths = spec["paths"]
    for action in ("submit", "cancel", "approve", "return"):
        operation = paths[f"/api/v1/subsidy_claim/{{pk}}/{action}"]["post"]
        assert {"200", "401", "403", "404", "409"} <= set(operation["responses"]), action
    assert "422" in paths["/api/v1/subsidy_claim/{pk}/submit"]["post"]["responses"]
    assert paths["/api/v1/subsidy_claim/{pk}/return"]["post"]["requestBody"]["required"] is True
    decide = paths["/api/v1/subsidy_claim_person/{pk}/decide"]["post"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(decide["responses"])
    assert {"200", "401", "403", "404"} <= set(paths["/api/v1/subsidy_claim/{pk}/prechecks"]["get"]["responses"])
    body = paths["/api/v1/subsidy_claim_person/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert {"claim_id", "trainee_id", "id_number"} <= set(body["properties"])
    for document in ("form.pdf", "roster.pdf", "roster.xlsx"):
        responses = paths[f"/api/v1/subsidy_claim/{{pk}}/{document}"]["get"]["responses"]
        assert {"200", "401", "403", "404", "409"} <= set(responses), document


# ---- documents once submitted (R23) ---------------------------------------------------------------------------

DOCUMENTS = {"form.pdf": ("application/pdf", "补贴申请表"), "roster.pdf": ("application/pdf", "补贴花名册"),
             "roster.xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "补贴花名册")}


def test_documents_once_submitted(app, demo, as_user):
    from urllib.parse import unquote

    from openpyxl import load_workbook

    draft = make_claim(app, demo, "DRAFT", names=("张晓明",))
    submitted = make_claim(app, demo, "SUBMITTED", names=("李思雨", "王建华"))
    approved = make_claim(app, demo, "APPROVED", names=("陈佳怡",))
    ent = as_user("ent_gz")
    for document, (media_type, stem) in DOCUMENTS.items():
        error_of(ent.get(f"{CLAIMS}{draft['id']}/{document}"), 409)  # not before 提交审核
        for claim, user in ((submitted, "ent_gz"), (submitted, "gz_reviewer"), (approved, "admin")):
            response = as_user(user).get(f"{CLAIMS}{claim['id']}/{document}")
            assert response.status_code == 200, (document, user, response.get_data(as_text=True)[:300])
            assert response.mimetype == media_type
            disposition = unquote(response.headers["Content-Disposition"])
            assert f"{stem}-{claim['id']}.{document.rsplit('.', 1)[1]}" in disposition
            assert response.headers["Cache-Control"] == "private, no-store"
            assert response.data[:4] == (b"%PDF" if document.endswith(".pdf") else b"PK\x03\x04")
        for user in ("ent_sz", "sz_reviewer"):
            error_of(as_user(user).get(f"{CLAIMS}{submitted['id']}/{document}"), 404)
        error_of(as_user("gz_reviewer").get(f"{CLAIMS}{draft['id']}/{document}"), 404)  # a DRAFT is not the city's
        error_of(ent.get(f"{CLAIMS}{2**31 - 1}/{document}"), 404)
    book = load_workbook(io.BytesIO(ent.get(f"{CLAIMS}{submitted['id']}/roster.xlsx").data), read_only=True)
    cells = [str(c) for row in book.active.iter_rows(values_only=True) for c in row if c is not None]
    assert demo.numbers["李思雨"] in cells and demo.numbers["王建华"] in cells and demo.numbers["张晓明"] not in cells

"""补贴申领 under concurrency (R21, R23; DESIGN §4 "exactly one wins"), over real parallel HTTP against the live
server, on SQLite and PostgreSQL:

1. two claims of ent_gz holding the same person submitted at the same moment: one 200, the other refused (409/422),
   exactly one SUBMITTED and the person held once (the unique index of models/subsidy.py);
2. two reviewers — and one reviewer twice — deciding the same claim at once (approve / approve, approve / return):
   one wins, the other 409;
3. the enterprise's 取消申请 against the reviewer's approval: exactly one wins (an approval that waited for a 取消申请
   finds a DRAFT, which reviewers never see: 404);
4. a per-person decision racing the approval: afterwards the claim's approved amount is the sum of its persons'
   approved amounts, whichever went first (the decision waits for the claim lock and then sees the state).

Between rounds a claim is put back to SUBMITTED by plain SQL (test scaffolding, not a path of the app).
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from actions.subsidies import claims
from actions.workflow import run
from models.base import db
from models.enums import RoleName
from models.filing import Trainee
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from tests import factories
from tests.factories import PDF_BYTES
from tests.test_r9_concurrency import _delete, _post_json, _race, _token
from tests.test_subsidy_claims import running_class

ROUNDS = 20
CLAIMS, PERSONS = "/api/v1/subsidy_claim", "/api/v1/subsidy_claim_person"


@pytest.fixture
def demo(app) -> dict:
    with app.app_context():
        cls = running_class()
        trainees = {t.name: t.id for t in db.session.scalars(select(Trainee).where(Trainee.filing_id == cls.filing_id))}
        out = {"class_id": cls.id, "trainees": trainees}
        db.session.remove()
    return out


def draft_claim(app, demo: dict, names: tuple[str, ...]) -> int:
    """A DRAFT claim of ent_gz ready to submit (unit info from the enterprise, persons, the 培训计划)."""
    with app.app_context():
        ent = factories.actor("ent_gz")
        claim = claims.create_claim(db.session, ent, {"training_class_id": demo["class_id"], "stage": "ADVANCE",
                                                      "commitment_accepted": True})
        claims.add_persons(db.session, ent, claim.id, trainee_ids=[demo["trainees"][n] for n in names])
        claims.add_claim_attachment(db.session, ent, claim.id, "TRAINING_PLAN", "培训计划.pdf", PDF_BYTES)
        db.session.commit()
        pk = claim.id
        db.session.remove()
    return pk


def submitted_claim(app, demo: dict, names: tuple[str, ...]) -> int:
    pk = draft_claim(app, demo, names)
    with app.app_context():
        run(db.session, factories.actor("ent_gz"), "subsidy_claim", "submit", pk)
        db.session.commit()
        db.session.remove()
    return pk


def back_to_submitted(app, pk: int) -> None:
    """Scaffolding between rounds: the claim SUBMITTED again, its persons held and undecided."""
    with app.app_context():
        db.session.execute(update(SubsidyClaim).where(SubsidyClaim.id == pk).values(
            status="SUBMITTED", approved_amount=None, reviewed_at=None, reviewed_by_id=None, review_opinion=None,
            version=SubsidyClaim.version + 1))
        db.session.execute(update(SubsidyClaimPerson).where(SubsidyClaimPerson.subsidy_claim_id == pk).values(
            held=True, decision=None, approved_amount=None, decision_reason=None, decided_at=None))
        db.session.commit()
        db.session.remove()


def state(app, pk: int) -> tuple:
    """(status, approved amount, sum of the persons' approved amounts, persons held)."""
    with app.app_context():
        claim = db.session.get(SubsidyClaim, pk)
        total = db.session.scalar(select(func.sum(SubsidyClaimPerson.approved_amount))
                                  .where(SubsidyClaimPerson.subsidy_claim_id == pk))
        held = db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == pk,
                                                            SubsidyClaimPerson.held.is_(True)))
        out = (claim.status, claim.approved_amount, total, held)
        db.session.remove()
    return out


def test_two_claims_with_the_same_person_submitted_at_once(app, live_server, demo):
    token = _token(live_server, "ent_gz")
    first, second = (draft_claim(app, demo, ("张晓明", "李思雨")), draft_claim(app, demo, ("张晓明", "王建华")))
    zhang = demo["trainees"]["张晓明"]
    winners = Counter()
    for _ in range(ROUNDS):
        answers = _race([
            lambda: _post_json(live_server, f"{CLAIMS}/{first}/submit", {}, token),
            lambda: _post_json(live_server, f"{CLAIMS}/{second}/submit", {}, token),
        ])
        statuses = [status for status, _ in answers]
        assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (409, 422), answers
        loser = answers[statuses.index(sorted(statuses)[1])][1]
        # the loser is told why (R21): by the pre-check (it saw the winner) or by the unique index (it raced it)
        reasons = loser["message"] + " ".join(e.get("message", "") for e in loser.get("errors", []))
        assert "其他补贴申请" in reasons or "已在补贴申请" in reasons, loser
        states = {pk: state(app, pk)[0] for pk in (first, second)}
        assert sorted(states.values()) == ["DRAFT", "SUBMITTED"], (answers, states)
        with app.app_context():
            held = db.session.scalar(select(func.count()).where(SubsidyClaimPerson.trainee_id == zhang,
                                                                SubsidyClaimPerson.held.is_(True)))
            db.session.remove()
        assert held == 1
        winner = next(pk for pk, status in states.items() if status == "SUBMITTED")
        winners[winner] += 1
        cancelled = _post_json(live_server, f"{CLAIMS}/{winner}/cancel", {}, token)  # 取消申请: next round
        assert cancelled[0] == 200, cancelled
    assert sum(winners.values()) == ROUNDS


@pytest.mark.parametrize("second_action", ["approve", "return"])
@pytest.mark.parametrize("same_reviewer", [True, False], ids=["same reviewer twice", "two reviewers"])
def test_two_review_decisions_at_once(app, live_server, demo, second_action, same_reviewer):
    with app.app_context():
        factories.user("gz_reviewer_b", RoleName.REVIEWER, city_code="4401")
        db.session.remove()
    first_token = _token(live_server, "gz_reviewer")
    second_token = first_token if same_reviewer else _token(live_server, "gz_reviewer_b")
    pk = submitted_claim(app, demo, ("张晓明", "李思雨"))
    bodies = {"approve": {"opinion": "同意"}, "return": {"opinion": "请补充材料"}}
    outcomes = Counter()
    for _ in range(ROUNDS // 2):
        answers = _race([
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/approve", bodies["approve"], first_token),
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/{second_action}", bodies[second_action], second_token),
        ])
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200, 409], answers
        winner = "approve" if answers[0][0] == 200 else second_action
        status, approved, total, held = state(app, pk)
        if winner == "approve":
            assert (status, approved, total, held) == ("APPROVED", Decimal("4400.00"), Decimal("4400.00"), 2)
        else:
            assert (status, held) == ("RETURNED", 0)
        outcomes[winner] += 1
        back_to_submitted(app, pk)
    assert sum(outcomes.values()) == ROUNDS // 2


def test_cancel_against_approve(app, live_server, demo):
    ent, reviewer = _token(live_server, "ent_gz"), _token(live_server, "gz_reviewer")
    pk = submitted_claim(app, demo, ("张晓明",))
    outcomes = Counter()
    for _ in range(ROUNDS // 2):
        answers = _race([
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/cancel", {}, ent),
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/approve", {"opinion": "同意"}, reviewer),
        ])
        status, approved, _, held = state(app, pk)
        if answers[0][0] == 200:  # 取消申请 won: back to DRAFT, the person released, nothing approved — and a
            # DRAFT is out of every reviewer's sight, so the approval that waited answers 404, as for any row
            # the reviewer may not see (DESIGN §2; the filing's decisions answer the same)
            assert answers[1][0] in (404, 409), answers
            assert (status, approved, held) == ("DRAFT", None, 0)
        else:
            assert answers == [(409, answers[0][1]), (200, answers[1][1])], answers
            assert (status, approved, held) == ("APPROVED", Decimal("2200.00"), 1)
        outcomes[status] += 1
        back_to_submitted(app, pk)
    assert sum(outcomes.values()) == ROUNDS // 2


def test_a_decision_racing_the_approval_keeps_the_total(app, live_server, demo):
    reviewer = _token(live_server, "gz_reviewer")
    pk = submitted_claim(app, demo, ("张晓明", "李思雨"))
    with app.app_context():
        person = db.session.scalars(select(SubsidyClaimPerson.id).where(SubsidyClaimPerson.subsidy_claim_id == pk)
                                    .order_by(SubsidyClaimPerson.id)).first()
        db.session.remove()
    outcomes = Counter()
    for _ in range(ROUNDS // 2):
        answers = _race([
            lambda: _post_json(live_server, f"{PERSONS}/{person}/decide",
                               {"approved_amount": "1000.00", "reason": "缺勤折算"}, reviewer),
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/approve", {"opinion": "同意"}, reviewer),
        ])
        decided, approved_answer = answers
        assert approved_answer[0] == 200, answers  # the approval never loses to a decision
        status, approved, total, _ = state(app, pk)
        assert status == "APPROVED" and approved == total, (answers, approved, total)
        if decided[0] == 200:  # the decision went first and counts
            assert approved == Decimal("3200.00")
        else:  # the approval went first: the decision finds the claim decided
            assert decided[0] == 409 and approved == Decimal("4400.00"), decided
        outcomes[decided[0]] += 1
        back_to_submitted(app, pk)
    assert sum(outcomes.values()) == ROUNDS // 2


def test_deleting_a_draft_while_submitting_it(app, live_server, demo):
    """删除 and 提交审核 of the same DRAFT at once: it ends either SUBMITTED or gone, never half (persons kept
    without their claim, or a submitted claim without persons)."""
    token = _token(live_server, "ent_gz")
    seen = set()
    for _ in range(ROUNDS // 4):
        pk = draft_claim(app, demo, ("张晓明",))
        answers = _race([
            lambda: _post_json(live_server, f"{CLAIMS}/{pk}/submit", {}, token),
            lambda: _delete(live_server, f"{CLAIMS}/{pk}", token),
        ])
        with app.app_context():
            claim = db.session.get(SubsidyClaim, pk)
            persons = db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == pk))
            outcome = (claim.status if claim else None, persons)
            db.session.remove()
        assert outcome in {("SUBMITTED", 1), (None, 0)}, (answers, outcome)
        assert sorted(status for status, _ in answers) in ([200, 409], [200, 404]), answers
        seen.add(outcome[0])
        if outcome[0] == "SUBMITTED":
            assert _post_json(live_server, f"{CLAIMS}/{pk}/cancel", {}, token)[0] == 200
    assert seen <= {"SUBMITTED", None}

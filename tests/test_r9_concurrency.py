"""R9 (one person in one active filing, province-wide) under concurrency, and re-checked at approval.

Two enterprises submit filings holding the same person at the same moment, over real parallel HTTP against the
live server (SQLite and PostgreSQL): in every round exactly one submission wins (200) and the other is refused by
the R9 check (422), never two winners. Approval re-checks R9 under the same person locks.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from actions import review
from core.errors import ValidationFailed
from models.base import db, utcnow
from models.enums import FilingStatus
from models.filing import Filing
from tests.conftest import DEMO_PASSWORD
from tests import factories

ROUNDS = 50


def _post_json(base: str, path: str, body: dict, token: str | None = None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def _token(base: str, username: str) -> str:
    status, body = _post_json(base, "/api/v1/security/login",
                              {"username": username, "password": DEMO_PASSWORD, "provider": "db"})
    assert status == 200, body
    return body["access_token"]


def _race(calls):
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        barrier.wait(timeout=30)
        results[i] = fn()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), "a request did not finish"
    return results


def test_two_enterprises_submitting_the_same_person_at_once_never_both_win(app, live_server):
    tokens = {name: _token(live_server, name) for name in ("ent_gz", "ent_sz")}
    with app.app_context():
        pairs = []
        for n in range(ROUNDS):
            person = factories.id_number(birth="19990101", seq=100 + n)
            pairs.append([factories.complete_filing(factories.demo_enterprise(name).id, trainees=1,
                                                    id_numbers=[person]).id for name in ("ent_gz", "ent_sz")])
        db.session.commit()
    outcomes = []
    for gz_id, sz_id in pairs:
        answers = _race([
            lambda: _post_json(live_server, f"/api/v1/filing/{gz_id}/submit", {}, tokens["ent_gz"]),
            lambda: _post_json(live_server, f"/api/v1/filing/{sz_id}/submit", {}, tokens["ent_sz"]),
        ])
        statuses = sorted(status for status, _ in answers)
        outcomes.append(statuses)
        assert statuses == [200, 422], answers
        loser = next(body for status, body in answers if status == 422)
        assert "其他在训的学徒制培训备案" in json.dumps(loser, ensure_ascii=False)
        with app.app_context():
            states = db.session.scalars(select(Filing.status).where(Filing.id.in_([gz_id, sz_id]))).all()
            assert sorted(states) == [FilingStatus.DRAFT, FilingStatus.SUBMITTED]
    assert len(outcomes) == ROUNDS


def test_approval_rechecks_r9(app):
    """Data that slipped past R9 (e.g. submitted before the lock existed) cannot be approved: 422 naming the
    filing's own trainee, nothing changed."""
    with app.app_context():
        person = factories.id_number(birth="19980202", seq=321)
        first = factories.complete_filing(factories.demo_enterprise("ent_gz").id, trainees=1, id_numbers=[person],
                                          status=FilingStatus.APPROVED)
        second = factories.complete_filing(factories.demo_enterprise("ent_gz").id, trainees=1, id_numbers=[person],
                                           status=FilingStatus.SUBMITTED)
        second.submitted_at = first.submitted_at = utcnow()
        db.session.commit()
        with pytest.raises(ValidationFailed) as info:
            review.approve(db.session, factories.actor("gz_reviewer"), second.id, "同意")
        db.session.rollback()
        assert "学员1" in str(info.value.errors[0].message)
        db.session.expire_all()
        assert db.session.get(Filing, second.id).status == FilingStatus.SUBMITTED
        assert db.session.get(Filing, second.id).filing_no is None


def _delete(base: str, path: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"}, method="DELETE")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_submit_and_a_child_edit_at_once_never_submit_an_incomplete_filing(app, live_server):
    """Every edit of a filing's rows locks the filing and checks its state under the lock: a submit racing the
    deletion of a required material ends either SUBMITTED with it or DRAFT without it — never SUBMITTED without."""
    from models.filing import Attachment

    token = _token(live_server, "ent_gz")
    with app.app_context():
        cases = []
        for _ in range(12):
            filing = factories.complete_filing(factories.demo_enterprise("ent_gz").id, trainees=1)
            db.session.commit()
            required = next(a for a in filing.attachments if a.kind == "LABOUR_CONTRACT")
            cases.append((filing.id, required.id))
    outcomes = set()
    for filing_id, attachment_id in cases:
        answers = _race([
            lambda: _post_json(live_server, f"/api/v1/filing/{filing_id}/submit", {}, token),
            lambda: _delete(live_server, f"/api/v1/attachment/{attachment_id}", token),
        ])
        with app.app_context():
            status = db.session.get(Filing, filing_id).status
            present = db.session.get(Attachment, attachment_id) is not None
        outcomes.add((answers[0][0], answers[1][0]))
        assert (status, present) in {(FilingStatus.SUBMITTED, True), (FilingStatus.DRAFT, False)}, answers
        assert answers[0][0] in (200, 422) and answers[1][0] in (200, 409), answers
    assert outcomes <= {(200, 409), (422, 200)}

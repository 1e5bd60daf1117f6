"""备案审核 (R13, R14), the audit timeline and audit immutability.

- Every filing action (approve, return, withdraw, submit, delete, mark_lost) × state × role × in/out of scope,
  through the actions directly and (approve / return) through the reviewer's screens: refused attempts leave the
  row unchanged (status, version, filing number, trainees) and write no audit row.
- Filing numbers XT<city>-<year>-<6 digits>: consecutive per city and year, independent per city.
- Two reviewers deciding the same filing at once through the live server: exactly one wins, the other is told the
  state changed (409), one filing number. Runs on PostgreSQL too (TEST_DATABASE_URL).
- The queue (scope, order, filters, pages), the read-only detail (every tab, materials, full/masked ID numbers),
  the timeline (AuditEvents of the filing and its trainees, Chinese labels, Asia/Shanghai time), and that no UI or
  API route can change or delete an audit row.
"""
from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import pytest
from sqlalchemy import event, func, select

from actions import filings as filing_actions
from actions import review as review_actions
from core.clock import today
from core.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from models.audit import AuditEvent, AuditImmutable
from models.base import db, utcnow
from models.filing import Attachment, Filing, FilingNumberCounter, Trainee
from tests import factories
from tests.conftest import DEMO_PASSWORD, csrf_token_from, login

STATES = ["DRAFT", "SUBMITTED", "RETURNED", "APPROVED", "CANCELLED"]
ROLES = ["ent_gz", "ent_sz", "gz_reviewer", "sz_reviewer", "admin"]
# The filing's owner: ent_gz (广州, 4401) or ent_sz (深圳, 4403) — in scope of one of each pair, out of the other's.
OWNERS = ["ent_gz", "ent_sz"]
ACTIONS = ["approve", "return", "withdraw", "submit", "delete", "mark_lost"]
CITY = {"ent_gz": "4401", "ent_sz": "4403", "gz_reviewer": "4401", "sz_reviewer": "4403"}
REVIEWERS = {"gz_reviewer", "sz_reviewer"}
ENTERPRISES = {"ent_gz", "ent_sz"}
PERMITTED = {"approve": REVIEWERS, "return": REVIEWERS, "withdraw": ENTERPRISES, "submit": ENTERPRISES,
             "delete": ENTERPRISES, "mark_lost": ENTERPRISES}
ALLOWED_FROM = {"approve": {"SUBMITTED"}, "return": {"SUBMITTED"}, "withdraw": {"SUBMITTED"},
                "submit": {"DRAFT", "RETURNED"}, "delete": {"DRAFT", "RETURNED"}, "mark_lost": {"APPROVED"}}
TARGET = {"approve": "APPROVED", "return": "RETURNED", "withdraw": "DRAFT", "submit": "SUBMITTED"}
NUMBER_RE = re.compile(r"^XT(\d{4})-(\d{4})-(\d{6})$")


# ---- helpers -------------------------------------------------------------------------------------------------

def make_filing(owner: str, state: str, **kw) -> int:
    """A complete filing of ``owner`` in ``state`` (as it would be after the transitions leading there)."""
    ent = factories.demo_enterprise(owner)
    row = factories.complete_filing(ent.id, status=state, **kw)
    if state != "DRAFT":
        row.submitted_at = utcnow()
    if state in ("APPROVED", "CANCELLED"):
        row.filing_no = f"XT{row.city_code}-2025-{900000 + row.id:06d}"
        row.approved_at = row.reviewed_at = utcnow()
    if state == "RETURNED":
        row.review_opinion = "请补充合作协议"
        row.reviewed_at = utcnow()
    db.session.commit()
    return row.id


def visible(role: str, owner: str, state: str) -> bool:
    """models.scope: admin sees all; an enterprise its own; a reviewer its city's filings once submitted."""
    if role == "admin":
        return True
    if role in ENTERPRISES:
        return role == owner
    return CITY[role] == CITY[owner] and state != "DRAFT"


def expected(action: str, role: str, owner: str, state: str):
    """The error the action must raise (None: it succeeds). Role first, then scope, then state.

    A decision (approve / return) locks the filing of the reviewer's city; a draft (also one withdrawn meanwhile)
    is not the reviewer's to see and answers 404 like another city's filing (R14; security finding: it was 409).
    """
    if role not in PERMITTED[action]:
        return Forbidden
    in_scope = visible(role, owner, state)
    if not in_scope:
        return NotFound
    if state not in ALLOWED_FROM[action]:
        return TransitionNotAllowed
    return None


def snapshot(filing_id: int):
    """Everything a refused action must leave alone."""
    db.session.expire_all()
    row = db.session.get(Filing, filing_id)
    if row is None:
        return None
    trainees = tuple((t.id, t.status, t.lost_reason) for t in row.trainees)
    return (row.status, row.version, row.filing_no, row.review_opinion, row.reviewed_by_id, trainees)


def counter(city: str, year: int) -> int:
    """The last filing number issued for a city and year (0 when none)."""
    return db.session.scalar(select(FilingNumberCounter.last).where(FilingNumberCounter.city_code == city,
                                                                    FilingNumberCounter.year == year)) or 0


def audit_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent))


def first_trainee(filing_id: int) -> int:
    return db.session.scalars(select(Trainee.id).where(Trainee.filing_id == filing_id).order_by(Trainee.id)).first()


def call(action: str, actor, filing_id: int):
    session = db.session
    if action == "approve":
        return review_actions.approve(session, actor, filing_id, "材料齐全，同意备案")
    if action == "return":
        return review_actions.return_filing(session, actor, filing_id, "请补充校企合作协议")
    if action == "withdraw":
        return filing_actions.withdraw(session, actor, filing_id)
    if action == "submit":
        return filing_actions.submit(session, actor, filing_id)
    if action == "delete":
        return filing_actions.delete_filing(session, actor, filing_id)
    if action == "mark_lost":
        return review_actions.mark_lost(session, actor, first_trainee(filing_id), "个人原因离职")
    raise AssertionError(action)


def any_token(client) -> str:
    """A valid CSRF token of the logged-in session (the self-service form every role may open)."""
    return csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True))


# ---- every action × state × role × scope, through the actions ----------------------------------------------

@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_action_matrix(app, action, role, owner, state):
    with app.app_context():
        filing_id = make_filing(owner, state)
        before = snapshot(filing_id)
        audits = audit_count()
        error = expected(action, role, owner, state)
        actor = factories.actor(role)
        if error is not None:
            with pytest.raises(error) as info:
                call(action, actor, filing_id)
            assert type(info.value) is error
            assert info.value.status_code == {Forbidden: 403, NotFound: 404, TransitionNotAllowed: 409}[error]
            db.session.rollback()
            assert snapshot(filing_id) == before
            assert audit_count() == audits
            return

        call(action, actor, filing_id)
        db.session.commit()
        after = snapshot(filing_id)
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).all()
        assert audit_count() == audits + 1
        last = events[0]
        assert last.action == action and last.actor_name == role and last.role == actor.role
        if action == "delete":
            assert after is None
            assert (last.entity, last.entity_id, last.from_status) == ("filing", filing_id, state)
        elif action == "mark_lost":
            status, version, number, *_rest, trainees = after
            assert (status, version, number) == before[:3]  # the filing itself is untouched
            assert trainees[0][1] == "LOST" and trainees[0][2] == "个人原因离职"
            assert (last.entity, last.entity_id, last.reason) == ("trainee", trainees[0][0], "个人原因离职")
        else:
            assert after[0] == TARGET[action]
            assert after[1] > before[1]  # the optimistic version moved
            assert (last.entity, last.entity_id, last.from_status, last.to_status) == (
                "filing", filing_id, state, TARGET[action])
            if action == "approve":
                assert NUMBER_RE.match(after[2]) and after[2].startswith(f"XT{CITY[owner]}-")
                assert last.diff == {"filing_no": after[2]} and last.reason == "材料齐全，同意备案"
            elif action == "return":
                assert after[3] == "请补充校企合作协议" and last.reason == "请补充校企合作协议"
                assert after[2] == before[2]


# ---- approve / return × state × role × scope, through the reviewer's screens -------------------------------

@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("owner", OWNERS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["approve", "return"])
def test_ui_decision_matrix(app, client, action, role, owner, state):
    with app.app_context():
        filing_id = make_filing(owner, state)
        before = snapshot(filing_id)
        audits = audit_count()
    login(client, role)
    response = client.post(f"/review/filing/{filing_id}/{action}",
                           data={"opinion": "请补充校企合作协议", "csrf_token": any_token(client)})
    error = expected(action, role, owner, state)
    with app.app_context():
        if error is None:
            assert response.status_code == 302
            assert response.headers["Location"].endswith(f"/review/filing/{filing_id}")
            assert snapshot(filing_id)[0] == TARGET[action]
            assert audit_count() == audits + 1
            page = client.get(f"/review/filing/{filing_id}").get_data(as_text=True)
            assert ("已审核通过，备案编号：XT" if action == "approve" else "已退回") in page
            return
        # Enterprise users and the admin lack the review permission (403); other cities and drafts are
        # invisible to a reviewer (404); a decided / withdrawn filing answers 409 with a refresh hint.
        assert response.status_code == {Forbidden: 403, NotFound: 404, TransitionNotAllowed: 409}[error]
        body = response.get_data(as_text=True)
        if error is NotFound:
            assert "请补充合作协议" not in body and "测试" not in body
        if error is TransitionNotAllowed:
            assert "刷新" in body and 'id="decision-form"' not in body
        assert snapshot(filing_id) == before
        assert audit_count() == audits


@pytest.mark.parametrize("action", ["approve", "return"])
def test_ui_decision_requires_csrf_token(app, client, action):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        before = snapshot(filing_id)
    login(client, "gz_reviewer")
    response = client.post(f"/review/filing/{filing_id}/{action}", data={"opinion": "同意"})
    assert response.status_code == 400
    assert client.get(f"/review/filing/{filing_id}/{action}").status_code == 405  # never mutate on GET
    with app.app_context():
        assert snapshot(filing_id) == before


# ---- 退回 needs an opinion ------------------------------------------------------------------------------------

@pytest.mark.parametrize("opinion", [None, "", "   \n\t "])
def test_return_without_opinion_refused_by_action(app, opinion):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        before, audits = snapshot(filing_id), audit_count()
        with pytest.raises(ValidationFailed) as info:
            review_actions.return_filing(db.session, factories.actor("gz_reviewer"), filing_id, opinion)
        assert [e.field for e in info.value.errors] == ["opinion"]
        assert "审核意见" in str(info.value.errors[0].message)
        db.session.rollback()
        assert snapshot(filing_id) == before and audit_count() == audits


def test_return_without_opinion_shows_field_error_and_keeps_input(app, client):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        before = snapshot(filing_id)
    login(client, "gz_reviewer")
    token = any_token(client)
    response = client.post(f"/review/filing/{filing_id}/return", data={"opinion": "  ", "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="opinion-error"' in html and "请填写审核意见" in html
    assert 'id="decision-form"' in html  # still SUBMITTED: the reviewer can try again
    too_long = "材料不全" * 251  # 1004 characters: over the 1000 limit, and kept in the textarea
    response = client.post(f"/review/filing/{filing_id}/return", data={"opinion": too_long, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "审核意见不能超过1000个字" in html
    assert f">{too_long}</textarea>" in html
    with app.app_context():
        assert snapshot(filing_id) == before


# ---- R13 filing numbers ---------------------------------------------------------------------------------------

def test_filing_numbers_consecutive_per_city_and_independent_between_cities(app):
    with app.app_context():
        gz = [make_filing("ent_gz", "SUBMITTED") for _ in range(3)]
        sz = [make_filing("ent_sz", "SUBMITTED") for _ in range(2)]
        year = today().year
        start = {city: counter(city, year) for city in ("4401", "4403")}  # the demo seed approved some already
        numbers = {}
        for filing_id, reviewer in [(gz[0], "gz_reviewer"), (sz[0], "sz_reviewer"), (gz[1], "gz_reviewer"),
                                    (gz[2], "gz_reviewer"), (sz[1], "sz_reviewer")]:
            numbers[filing_id] = review_actions.approve(db.session, factories.actor(reviewer), filing_id).filing_no
            db.session.commit()
        gz0, sz0 = start["4401"], start["4403"]
        assert [numbers[i] for i in gz] == [f"XT4401-{year}-{n:06d}" for n in (gz0 + 1, gz0 + 2, gz0 + 3)]
        assert [numbers[i] for i in sz] == [f"XT4403-{year}-{n:06d}" for n in (sz0 + 1, sz0 + 2)]
        assert all(NUMBER_RE.match(n) for n in numbers.values())
        assert (counter("4401", year), counter("4403", year)) == (gz0 + 3, sz0 + 2)


def test_filing_numbers_restart_each_year(app):
    import time_machine

    with app.app_context():
        first, second, third = (make_filing("ent_gz", "SUBMITTED") for _ in range(3))
        reviewer = factories.actor("gz_reviewer")
        n2026, n2027 = counter("4401", 2026), counter("4401", 2027)
        with time_machine.travel(datetime(2026, 12, 31, 15, 59, tzinfo=timezone.utc), tick=False):  # 23:59 上海
            a = review_actions.approve(db.session, reviewer, first).filing_no
            db.session.commit()
        with time_machine.travel(datetime(2026, 12, 31, 16, 1, tzinfo=timezone.utc), tick=False):  # 00:01 上海
            b = review_actions.approve(db.session, reviewer, second).filing_no
            db.session.commit()
            c = review_actions.approve(db.session, reviewer, third).filing_no
            db.session.commit()
        assert (a, b, c) == (f"XT4401-2026-{n2026 + 1:06d}", f"XT4401-2027-{n2027 + 1:06d}",
                             f"XT4401-2027-{n2027 + 2:06d}")


def test_filing_number_is_kept_when_decision_is_refused(app):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        reviewer = factories.actor("gz_reviewer")
        number = review_actions.approve(db.session, reviewer, filing_id).filing_no
        db.session.commit()
        last = counter("4401", today().year)
        for fn, args in [(review_actions.approve, ()), (review_actions.return_filing, ("再次退回",))]:
            with pytest.raises(TransitionNotAllowed):
                fn(db.session, reviewer, filing_id, *args)
            db.session.rollback()
        assert db.session.get(Filing, filing_id).filing_no == number
        assert counter("4401", today().year) == last  # the refused decisions used no number


# ---- two reviewers at once (live server; SQLite and PostgreSQL) --------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class WebSession:
    """A browser-like session (cookies, CSRF tokens, no redirect following) using only the standard library."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, method=method)
        try:
            with self.opener.open(req, timeout=60) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")

    def login(self, username: str) -> None:
        status, html = self.request("GET", "/login/")
        assert status == 200
        status, _ = self.request("POST", "/login/", {"username": username, "password": DEMO_PASSWORD,
                                                     "csrf_token": csrf_token_from(html)})
        assert status == 302, f"login of {username} failed"


def _race(sessions_and_posts):
    """Send the POSTs at the same moment (one thread each, released together); return their answers."""
    barrier = threading.Barrier(len(sessions_and_posts))
    results: list = [None] * len(sessions_and_posts)

    def run(i, session, path, data):
        barrier.wait(timeout=30)
        results[i] = session.request("POST", path, data)

    threads = [threading.Thread(target=run, args=(i, *item)) for i, item in enumerate(sessions_and_posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), "a request did not finish"
    return results


@pytest.fixture
def two_reviewers(app, live_server):
    """gz_reviewer and a second 广州 reviewer, each logged in through the live server in its own session."""
    with app.app_context():
        factories.user("gz_reviewer2", "地市审核员", city_code="4401")
    sessions = []
    for username in ("gz_reviewer", "gz_reviewer2"):
        session = WebSession(live_server)
        session.login(username)
        sessions.append(session)
    return sessions


@pytest.mark.parametrize("second_action", ["approve", "return"])
def test_concurrent_decisions_on_one_filing_exactly_one_wins(app, two_reviewers, second_action):
    rounds = 3
    with app.app_context():
        ids = [make_filing("ent_gz", "SUBMITTED") for _ in range(rounds)]
        start = counter("4401", today().year)
        versions = {i: db.session.get(Filing, i).version for i in ids}
    for filing_id in ids:
        posts = []
        for session, action in zip(two_reviewers, ["approve", second_action]):
            status, html = session.request("GET", f"/review/filing/{filing_id}")
            assert status == 200 and 'id="decision-form"' in html
            posts.append((session, f"/review/filing/{filing_id}/{action}",
                          {"opinion": "请补充材料", "csrf_token": csrf_token_from(html)}))
        answers = _race(posts)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [302, 409], answers
        loser = next(body for status, body in answers if status == 409)
        assert "状态已变化" in loser or "当前状态不允许" in loser
        with app.app_context():
            row = db.session.get(Filing, filing_id)
            decisions = db.session.scalars(select(AuditEvent).where(
                AuditEvent.entity == "filing", AuditEvent.entity_id == filing_id,
                AuditEvent.action.in_(["approve", "return"]))).all()
            assert len(decisions) == 1 and decisions[0].to_status == row.status
            assert row.version > versions[filing_id]  # changed by the winner only (checked by the audit row)
            if row.status == "APPROVED":
                assert NUMBER_RE.match(row.filing_no)
            else:
                assert row.status == "RETURNED" and row.filing_no is None
    with app.app_context():
        numbers = db.session.scalars(select(Filing.filing_no).where(Filing.id.in_(ids),
                                                                    Filing.filing_no.is_not(None))).all()
        year = today().year
        # one number per approved filing, consecutive, none lost to the refused decisions
        assert sorted(numbers) == [f"XT4401-{year}-{n:06d}" for n in range(start + 1, start + len(numbers) + 1)]
        assert counter("4401", year) == start + len(numbers)


def test_concurrent_approvals_of_different_filings_get_distinct_numbers(app, two_reviewers):
    with app.app_context():
        ids = [make_filing("ent_gz", "SUBMITTED") for _ in range(4)]
        start = counter("4401", today().year)
    for pair in (ids[:2], ids[2:]):
        posts = []
        for session, filing_id in zip(two_reviewers, pair):
            _, html = session.request("GET", f"/review/filing/{filing_id}")
            posts.append((session, f"/review/filing/{filing_id}/approve",
                          {"opinion": "", "csrf_token": csrf_token_from(html)}))
        assert [status for status, _ in _race(posts)] == [302, 302]
    with app.app_context():
        numbers = sorted(db.session.scalars(select(Filing.filing_no).where(Filing.id.in_(ids))))
        assert numbers == [f"XT4401-{today().year}-{n:06d}" for n in range(start + 1, start + 5)]


# ---- the queue ------------------------------------------------------------------------------------------------

def _queue_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'<tr class="[^"]*" data-filing-id="(\d+)"', html)]


def _submitted(filing_id: int, when: datetime) -> None:
    db.session.get(Filing, filing_id).submitted_at = when
    db.session.commit()


def test_queue_scope_and_order_pending_first(app, client):
    with app.app_context():
        returned = make_filing("ent_gz", "RETURNED")
        old_pending = make_filing("ent_gz", "SUBMITTED")
        new_pending = make_filing("ent_gz", "SUBMITTED")
        approved = make_filing("ent_gz", "APPROVED")
        draft = make_filing("ent_gz", "DRAFT")
        other_city = make_filing("ent_sz", "SUBMITTED")
        for filing_id, day in [(returned, 20), (old_pending, 1), (new_pending, 5), (approved, 10)]:
            _submitted(filing_id, datetime(2026, 3, day, 2, 0))
    login(client, "gz_reviewer")
    response = client.get("/review/filings/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    shown = _queue_ids(html)
    mine = [i for i in shown if i in {returned, old_pending, new_pending, approved, draft, other_city}]
    assert mine == [new_pending, old_pending, returned, approved]
    with app.app_context():
        statuses = [db.session.get(Filing, i).status for i in shown]
    # every pending filing (the demo seed's too) comes before every decided one
    assert statuses == sorted(statuses, key=lambda s: s != "SUBMITTED")
    assert "深圳示范电子科技有限公司" not in html
    assert "备案审核" in html and "审核管理" in html  # the menu


def test_queue_filters(app, client):
    with app.app_context():
        other = factories.enterprise("广州另一家机械有限公司", city="4401")
        db.session.commit()
        a = make_filing("ent_gz", "SUBMITTED")
        b = make_filing("ent_gz", "APPROVED")
        row = factories.complete_filing(other.id, programme="ECOSYSTEM", apprenticeship_type="STUDENT",
                                        status="SUBMITTED")
        c = row.id
        db.session.commit()
        _submitted(a, datetime(2026, 3, 1, 1, 0))
        _submitted(b, datetime(2026, 4, 30, 17, 0))  # 2026-05-01 01:00 in 上海
        _submitted(c, datetime(2026, 4, 15, 1, 0))
    login(client, "gz_reviewer")

    def ids(**args):
        response = client.get("/review/filings/", query_string=args)
        assert response.status_code == 200
        return set(_queue_ids(response.get_data(as_text=True))) & {a, b, c}  # the demo seed adds its own

    assert ids() == {a, b, c}
    assert ids(programme="ECOSYSTEM") == {c}
    assert ids(programme="ENTERPRISE") == {a, b}
    assert ids(apprenticeship_type="STUDENT") == {c}
    assert ids(enterprise="另一家") == {c}
    only_other = client.get("/review/filings/", query_string={"enterprise": "另一家"}).get_data(as_text=True)
    assert _queue_ids(only_other) == [c]
    assert ids(enterprise="广州示范") == {a, b}
    assert ids(enterprise="%") == set()  # LIKE wildcards are literal
    assert ids(status="APPROVED") == {b}
    assert ids(status="SUBMITTED") == {a, c}
    assert ids(submitted_from="2026-04-01") == {b, c}
    assert ids(submitted_to="2026-04-30") == {a, c}  # b was submitted on 1 May, Beijing time
    assert ids(submitted_from="2026-05-01", submitted_to="2026-05-01") == {b}
    assert ids(programme="ENTERPRISE", status="SUBMITTED", submitted_to="2026-03-31") == {a}
    html = client.get("/review/filings/?submitted_from=2026-13-01").get_data(as_text=True)
    assert "日期格式应为 YYYY-MM-DD" in html


def test_queue_pages_of_twenty(app, client):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        for i in range(25):
            row = factories.filing(ent.id, status="SUBMITTED")
            row.submitted_at = datetime(2026, 1, 1, 0, i)
        db.session.commit()
        visible_count = db.session.scalar(select(func.count()).select_from(Filing).where(
            Filing.city_code == "4401", Filing.status != "DRAFT"))
    assert 25 <= visible_count <= 40  # 25 here plus the demo seed's 广州 filings
    rest = visible_count - 20
    login(client, "gz_reviewer")
    first = client.get("/review/filings/").get_data(as_text=True)
    second = client.get("/review/filings/?page=2").get_data(as_text=True)
    assert len(_queue_ids(first)) == 20 and len(_queue_ids(second)) == rest
    assert not set(_queue_ids(first)) & set(_queue_ids(second))
    assert f"共 {visible_count} 条记录" in first and "第 1 / 2 页" in first
    assert len(_queue_ids(client.get("/review/filings/?page=99").get_data(as_text=True))) == rest  # last page
    assert client.get("/review/filings/?page=abc").status_code == 200


def test_queue_runs_a_constant_number_of_statements(app, client):
    """DESIGN §9: a list page runs a constant number of SQL statements whatever the number of rows."""
    login(client, "gz_reviewer")
    counts = []
    for n in (1, 20):
        with app.app_context():
            ent = factories.demo_enterprise("ent_gz")
            for _ in range(n):
                factories.complete_filing(ent.id, status="SUBMITTED")
            db.session.commit()
            engine = db.engine
        statements = []

        def count(*args, **kwargs):
            statements.append(args[2] if len(args) > 2 else "")

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/review/filings/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] and counts[1] <= 10, counts


def test_queue_for_admin_is_read_only_and_province_wide(app, client):
    with app.app_context():
        gz = make_filing("ent_gz", "SUBMITTED")
        sz = make_filing("ent_sz", "SUBMITTED")
    login(client, "admin")
    html = client.get("/review/filings/").get_data(as_text=True)
    assert {gz, sz} <= set(_queue_ids(html))
    assert "只读" in html
    detail = client.get(f"/review/filing/{gz}").get_data(as_text=True)
    assert 'id="decision-form"' not in detail and "省级管理员只读查看" in detail


@pytest.mark.parametrize("username", ["ent_gz", "ent_sz"])
def test_enterprise_users_have_no_review_screens(app, client, username):
    with app.app_context():
        own = make_filing(username, "SUBMITTED")
    login(client, username)
    assert client.get("/review/filings/").status_code == 403
    assert client.get(f"/review/filing/{own}").status_code == 403


def test_anonymous_is_sent_to_login(app, client):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
    response = client.get(f"/review/filing/{filing_id}")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


# ---- the read-only detail -----------------------------------------------------------------------------------

def test_detail_shows_every_tab_with_full_id_numbers_for_the_city_reviewer(app, client):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        row = db.session.get(Filing, filing_id)
        trainee = row.trainees[0]
        teacher = row.teachers[0]
        trainee.name = "<b>李&雷</b>"
        db.session.commit()
        expected_texts = [row.enterprise.name, row.enterprise.uscc, row.institution.name, "车工", "四级/中级工",
                          "2027-03-01", teacher.name, teacher.id_number, trainee.id_number, "数控车削实训",
                          "线下培训", "培训计划.pdf", "校企合作协议.pdf", "劳动合同.pdf", "王经办", "13800138000"]
        attachment_ids = [a.id for a in row.attachments]
    login(client, "gz_reviewer")
    html = client.get(f"/review/filing/{filing_id}").get_data(as_text=True)
    for text in expected_texts:
        assert text in html, text
    for tab in ("备案信息", "培训机构", "培训信息", "培训师资", "培训人员", "培训课程", "上传材料", "审核记录"):
        assert tab in html
    assert "&lt;b&gt;李&amp;雷&lt;/b&gt;" in html and "<b>李&雷</b>" not in html  # user text escaped
    for attachment_id in attachment_ids:
        assert f"/review/attachment/{attachment_id}" in html
    assert 'id="decision-form"' in html and 'name="csrf_token"' in html


def test_detail_masks_id_numbers_for_admin_and_hides_other_cities(app, client):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        number = db.session.get(Filing, filing_id).trainees[0].id_number
    login(client, "admin")
    html = client.get(f"/review/filing/{filing_id}").get_data(as_text=True)
    assert number not in html and f"{number[:6]}********{number[-4:]}" in html
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "sz_reviewer")
    response = client.get(f"/review/filing/{filing_id}")
    assert response.status_code == 404 and number not in response.get_data(as_text=True)
    assert client.get("/review/filing/999999").status_code == 404


def test_attachment_download_and_preview_are_scoped(app, client):
    with app.app_context():
        filing_id = make_filing("ent_gz", "SUBMITTED")
        draft_id = make_filing("ent_gz", "DRAFT")
        attachment = db.session.scalars(select(Attachment).where(Attachment.filing_id == filing_id)).first()
        draft_attachment = db.session.scalars(select(Attachment).where(Attachment.filing_id == draft_id)).first()
        ids = (attachment.id, draft_attachment.id, attachment.file_name)
    login(client, "gz_reviewer")
    response = client.get(f"/review/attachment/{ids[0]}")
    assert response.status_code == 200 and response.data == factories.PDF_BYTES
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    preview = client.get(f"/review/attachment/{ids[0]}?inline=1")
    assert preview.headers["Content-Disposition"].startswith("inline")
    assert client.get(f"/review/attachment/{ids[1]}").status_code == 404  # a draft's material
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "sz_reviewer")
    assert client.get(f"/review/attachment/{ids[0]}").status_code == 404


# ---- the audit timeline ---------------------------------------------------------------------------------------

def _journey(app) -> tuple[int, int]:
    """submit → return → resubmit → approve → mark lost, all through the actions; returns (filing, trainee)."""
    from queries.audit import timeline_events  # noqa: F401  (import check: the shared helper exists)

    with app.app_context():
        filing_id = make_filing("ent_gz", "DRAFT")
        ent, reviewer = factories.actor("ent_gz"), factories.actor("gz_reviewer")
        steps = [
            lambda: filing_actions.submit(db.session, ent, filing_id),
            lambda: review_actions.return_filing(db.session, reviewer, filing_id, "请补充<校企合作协议>"),
            lambda: filing_actions.submit(db.session, ent, filing_id),
            lambda: review_actions.approve(db.session, reviewer, filing_id, "同意"),
            lambda: review_actions.mark_lost(db.session, ent, first_trainee(filing_id), "个人原因离职"),
        ]
        for step in steps:
            step()
            db.session.commit()
        return filing_id, first_trainee(filing_id)


def test_timeline_events_of_filing_and_trainees_in_scope(app):
    from queries.audit import timeline_events

    filing_id, trainee_id = _journey(app)
    with app.app_context():
        filing = db.session.get(Filing, filing_id)
        for username in ("ent_gz", "gz_reviewer", "admin"):
            events = timeline_events(db.session, factories.actor(username), filing)
            assert [e.action for e in events] == ["submit", "return", "submit", "approve", "mark_lost"], username
            assert events[-1].entity == "trainee" and events[-1].entity_id == trainee_id
            assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        for username in ("ent_sz", "sz_reviewer"):
            assert timeline_events(db.session, factories.actor(username), filing) == []


def test_timeline_on_the_detail_page(app, client):
    from views.filters import local_time

    filing_id, trainee_id = _journey(app)
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(
            ((AuditEvent.entity == "filing") & (AuditEvent.entity_id == filing_id))
            | ((AuditEvent.entity == "trainee") & (AuditEvent.entity_id == trainee_id)))).all()
        assert len(events) == 5
        utc = [e.created_at.strftime("%Y-%m-%d %H:%M:%S") for e in events]
        times = [local_time(e.created_at, "%Y-%m-%d %H:%M:%S") for e in events]
    login(client, "gz_reviewer")
    html = client.get(f"/review/filing/{filing_id}").get_data(as_text=True)
    timeline = html[html.index('class="audit-timeline"'):]
    rows = re.findall(r'<tr class="audit-event[^"]*" data-action="(\w+)"', timeline)
    assert rows == ["submit", "return", "submit", "approve", "mark_lost"]
    for text in ["提交审核", "退回", "审核通过", "标记为流失", "已提交待审核 → 已退回", "未提交 → 已提交待审核",
                 "已提交待审核 → 审核通过", "在训 → 流失", "请补充&lt;校企合作协议&gt;", "个人原因离职",
                 "广州审核员（gz_reviewer）", "广州示范经办人（ent_gz）", "地市审核员", "企业用户", "备案编号：XT4401-"]:
        assert text in timeline, text
    for shown, stored in zip(times, utc):
        assert shown in timeline and stored not in timeline  # Asia/Shanghai, not UTC


# ---- audit rows cannot be edited or deleted ------------------------------------------------------------------

def test_audit_rows_refuse_update_and_delete_in_the_orm(app):
    _journey(app)
    with app.app_context():
        before = audit_count()
        row = db.session.scalars(select(AuditEvent)).first()
        row.reason = "篡改"
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalars(select(AuditEvent)).first())
        with pytest.raises(AuditImmutable):
            db.session.flush()
        db.session.rollback()
        assert audit_count() == before


def test_no_route_writes_audit_rows(app):
    """Every URL rule whose endpoint or path names the audit trail answers reads only."""
    audit_rules = [r for r in app.url_map.iter_rules() if "audit" in r.rule.lower() or "audit" in r.endpoint.lower()]
    assert {r.rule for r in audit_rules} >= {"/api/v1/audit_event/", "/api/v1/audit_event/<int:pk>"}
    for rule in audit_rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, (rule.rule, rule.methods)


def test_audit_api_is_read_only_and_scoped(app, client, api):
    filing_id, _ = _journey(app)
    with app.app_context():
        sz_filing = make_filing("ent_sz", "DRAFT")
        filings_actor = factories.actor("ent_sz")
        filing_actions.submit(db.session, filings_actor, sz_filing)
        db.session.commit()
        total = audit_count()
        first_id = db.session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.entity == "filing",
                                                                         AuditEvent.entity_id == filing_id))
        gz_ent, sz_ent = factories.demo_enterprise("ent_gz").id, factories.demo_enterprise("ent_sz").id

        def n(*where):
            return db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))

        # Reviewers do not see the events of filings that are drafts (or were deleted as drafts).
        shown = select(Filing.id).where(Filing.status != "DRAFT")
        hidden_draft_events = (AuditEvent.entity != "filing") | AuditEvent.entity_id.in_(shown)
        expected_counts = {"ent_gz": n(AuditEvent.enterprise_id == gz_ent),
                           "ent_sz": n(AuditEvent.enterprise_id == sz_ent),
                           "gz_reviewer": n(AuditEvent.city_code == "4401", hidden_draft_events),
                           "sz_reviewer": n(AuditEvent.city_code == "4403", hidden_draft_events), "admin": total}
        assert n(AuditEvent.city_code == "4401") > expected_counts["gz_reviewer"]  # the demo drafts' events
        assert 0 < expected_counts["ent_sz"] < expected_counts["admin"] < 100
    counts = {}
    for username in ("ent_gz", "ent_sz", "gz_reviewer", "sz_reviewer", "admin"):
        response = api(username).get("/api/v1/audit_event/?q=(page_size:100)")
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        counts[username] = body["count"]
        assert "ip" not in (body["result"][0] if body["result"] else {})
    assert counts == expected_counts
    admin = api("admin")
    assert admin.get(f"/api/v1/audit_event/{first_id}").status_code == 200
    assert api("sz_reviewer").get(f"/api/v1/audit_event/{first_id}").status_code == 404
    for username in ("admin", "gz_reviewer", "ent_gz"):
        caller = api(username)
        assert caller.post("/api/v1/audit_event/", json={"action": "approve", "entity": "filing"}).status_code == 405
        assert caller.put(f"/api/v1/audit_event/{first_id}", json={"reason": "篡改"}).status_code == 405
        assert caller.delete(f"/api/v1/audit_event/{first_id}").status_code == 405
    with app.app_context():
        assert audit_count() == total
        assert db.session.get(AuditEvent, first_id).reason is None
    assert client.get("/api/v1/audit_event/").status_code == 401  # no token, no data
    assert filing_id


def test_audit_rows_refused_by_the_database_too(app):
    """Beyond the ORM guard: raw SQL cannot change or delete audit rows (migration triggers)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    with app.app_context():
        first = db.session.scalar(select(func.min(AuditEvent.id)))
        assert first is not None
        for statement in (f"UPDATE audit_event SET reason = 'x' WHERE id = {first}",
                          f"DELETE FROM audit_event WHERE id = {first}"):
            with pytest.raises(DatabaseError) as info:
                with db.engine.begin() as conn:
                    conn.exec_driver_sql(statement)
            assert "append-only" in str(info.value)
        assert db.session.get(AuditEvent, first).reason != "x"

"""Issue 15 list fixes give the same answers as before: the review queues' pending-first order (now read from an
expression index through ``queries.sorting.pending_first``), 单位培训人员查询 paged first and decorated after (the
same rows, order and class columns as the one-statement ``trainee_select``), its count capped at ``COUNT_CAP``
("10,000+"), the name search by prefix (3+ characters: anywhere), the ID number by its beginning, the home
counters capped; and one browser walk through the queue and the trainee search as a reviewer and an enterprise.

The data set is ``flask seed scale`` at a small size, generated once for the module (the per-test reset of
tests/conftest.py is overridden here; the database is reset to the demo seed when the module ends).
"""
from __future__ import annotations

from datetime import datetime

import pytest

from seed.scale import Sizes, generate
from tests.conftest import browser_login, login, reset_database, screenshot

SIZES = Sizes(enterprises=12, filings=120, trainees=700, attendance=0, audit_events=20, big_filing=100, accounts=2)


@pytest.fixture(autouse=True)
def fresh_data():
    """Overrides the per-test reset: the module shares one generated data set."""
    yield


@pytest.fixture(scope="module")
def scale(app):
    from models.base import db

    reset_database(app)
    with app.app_context():
        base = generate(db.session, SIZES)
        db.session.remove()
    yield base
    reset_database(app)


@pytest.fixture
def session(app, scale):
    from models.base import db

    with app.app_context():
        yield db.session
        db.session.remove()


def _queue_key(row) -> tuple:
    """The queues' default order, spelled out in Python: pending first, newest submission first (none last), id."""
    submitted = row.submitted_at or datetime.min
    return (row.status != "SUBMITTED", row.submitted_at is None, -submitted.timestamp() if row.submitted_at else 0,
            -row.id)


@pytest.mark.parametrize("username", ["admin", "rev_4401"])
def test_filing_queue_pending_first_order_is_unchanged(session, username):
    from models.filing import Filing
    from models.scope import scope_condition
    from queries.review import QueueFilters, queue_page
    from sqlalchemy import select
    from tests import factories

    actor = factories.actor(username)
    visible = session.scalars(select(Filing).where(scope_condition(Filing, actor))).all()
    expected = [f.id for f in sorted(visible, key=_queue_key)]
    assert any(f.status == "SUBMITTED" for f in visible) and any(f.status != "SUBMITTED" for f in visible)
    shown = []
    for number in range(1, 100):
        found = queue_page(session, actor, QueueFilters(), number, page_size=7)
        shown += [item["filing"].id for item in found.items]
        if number >= found.pages:
            break
    assert shown == expected
    assert found.total == len(expected)


def test_claim_and_change_queues_pending_first(session):
    from queries import changes, claim_review
    from tests import factories

    admin = factories.actor("admin")
    claims = claim_review.queue_page(session, admin, claim_review.QueueFilters(), 1, page_size=100).items
    assert claims and [c["claim"].id for c in claims] == [c["claim"].id for c in sorted(
        claims, key=lambda c: _queue_key(c["claim"]))]
    requests = changes.change_queue_page(session, admin, "", 1, page_size=100).items
    assert requests and [r["request"].id for r in requests] == [r["request"].id for r in sorted(
        requests, key=lambda r: _queue_key(r["request"]))]


def test_pending_first_renders_the_indexed_expression(session):
    from sqlalchemy.dialects import postgresql, sqlite

    from models.filing import Filing
    from queries.sorting import pending_first

    for dialect in (postgresql.dialect(), sqlite.dialect()):
        sql = str(pending_first(Filing.status).compile(dialect=dialect))
        assert sql == "CASE WHEN (filing.status = 'SUBMITTED') THEN 0 ELSE 1 END"  # no bound parameters
    with pytest.raises(ValueError):
        pending_first(Filing.status, "x' OR '1")


def _old_page(session, actor, filters, number, size):
    """The one-statement query of before issue 15 (still the export's row source), one page of it."""
    from queries.trainees import trainee_select

    stmt = trainee_select(actor, filters).add_columns(__import__("models.filing").filing.Filing.application_no)
    return [dict(r) for r in session.execute(stmt.limit(size).offset((number - 1) * size)).mappings()]


@pytest.mark.parametrize("username", ["admin", "rev_4401", "load_ent_002"])
def test_trainee_page_same_rows_order_and_columns_as_before(session, username):
    from queries.trainees import TraineeFilters, count_trainees, trainee_page
    from tests import factories

    actor = factories.actor(username)
    for filters in (TraineeFilters(), TraineeFilters(status="ACTIVE"), TraineeFilters(filing_status="APPROVED")):
        total = count_trainees(session, actor, filters)
        assert total > 0
        for number in (1, 2, (total + 19) // 20):
            new = trainee_page(session, actor, filters, number)
            assert new.total == total and not new.capped
            assert [dict(r) for r in new.items] == _old_page(session, actor, filters, number, 20), (username, number)


def test_trainee_count_is_capped(session, monkeypatch):
    import queries.trainees as trainees
    from tests import factories

    admin = factories.actor("admin")
    exact = trainees.count_trainees(session, admin, trainees.TraineeFilters())
    monkeypatch.setattr(trainees, "COUNT_CAP", 50)
    found = trainees.trainee_page(session, admin, trainees.TraineeFilters(), 999)
    assert exact > 50 and found.capped and found.total == 50 and found.pages == 3 and found.page == 3
    assert [dict(r) for r in found.items] == _old_page(session, admin, trainees.TraineeFilters(), 3, 20)
    monkeypatch.setattr(trainees, "COUNT_CAP", exact)  # exactly at the cap: not capped
    assert not trainees.trainee_page(session, admin, trainees.TraineeFilters(), 1).capped


def test_capped_count_text_on_screen_and_home(app, scale, monkeypatch):
    import queries.trainees as trainees
    import views.ui.home as home

    client = app.test_client()
    login(client, "admin")
    monkeypatch.setattr(trainees, "COUNT_CAP", 50)
    html = client.get("/enterprise/trainees/").get_data(as_text=True)
    assert "共 50+ 条" in html and "50 人以上" in html
    monkeypatch.setattr(home, "COUNT_CAP", 50)
    html = client.get("/").get_data(as_text=True)
    assert '<div class="num">50+</div>' in html  # 培训人员 (700) and 备案 (120) are over the cap
    assert '<div class="num">12</div>' in html or '<div class="num">14</div>' in html  # 单位 stays exact
    monkeypatch.undo()
    html = client.get("/enterprise/trainees/").get_data(as_text=True)
    assert "共 50+ 条" not in html and "+ 条" not in html


def test_name_search_prefix_and_contained(session):
    from models.filing import Trainee
    from queries.trainees import TraineeFilters, trainee_page
    from sqlalchemy import update
    from tests import factories

    admin = factories.actor("admin")
    ids = session.scalars(__import__("sqlalchemy").select(Trainee.id).order_by(Trainee.id.desc()).limit(3)).all()
    for trainee_id, name in zip(ids, ("欧阳明", "李欧阳", "欧_明")):
        session.execute(update(Trainee).where(Trainee.id == trainee_id).values(name=name))
    session.flush()

    def names(**kw):
        found = trainee_page(session, admin, TraineeFilters(**kw), 1, page_size=1000)
        return {r["name"] for r in found.items}

    assert names(name="欧") == {"欧阳明", "欧_明"}  # a prefix: not 李欧阳
    assert names(name="欧阳") == {"欧阳明"}
    assert names(name="欧阳明") == {"欧阳明"} and names(name="李欧阳") == {"李欧阳"}
    assert names(name="阳明") == set()  # two characters: prefix only
    assert names(name="欧_") == {"欧_明"}  # typed wildcards match literally
    zhang = names(name="张")
    assert zhang and all(n.startswith("张") for n in zhang)
    contained = names(name="张伟伟")  # three characters: anywhere in the name
    assert contained and all("张伟伟" in n for n in contained)
    session.rollback()


def test_id_number_search_exact_or_prefix(session):
    from models.filing import Trainee
    from queries.trainees import TraineeFilters, trainee_page
    from sqlalchemy import select
    from tests import factories

    admin = factories.actor("admin")
    number = session.scalar(select(Trainee.id_number).order_by(Trainee.id.desc()).limit(1))
    exact = trainee_page(session, admin, TraineeFilters(id_number=number), 1).items
    assert [r["id_number"] for r in exact] == [number]
    prefix = trainee_page(session, admin, TraineeFilters(id_number=number[:10]), 1, page_size=1000).items
    assert number in {r["id_number"] for r in prefix} and all(r["id_number"].startswith(number[:10]) for r in prefix)
    assert trainee_page(session, admin, TraineeFilters(id_number=number[4:14]), 1).total == 0  # not a middle part


def test_trainee_page_statements_do_not_grow_with_the_page(app, scale):
    from sqlalchemy import event

    from models.base import db

    client = app.test_client()
    login(client, "admin")
    client.get("/enterprise/trainees/")
    with app.app_context():
        engine = db.engine
    seen = []

    def count(*_args, **_kw):
        seen.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        sizes = []
        for url in ("/enterprise/trainees/?name=不存在", "/enterprise/trainees/", "/enterprise/trainees/?page=3"):
            seen.clear()
            assert client.get(url).status_code == 200
            sizes.append(len(seen))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(set(sizes)) == 1 and sizes[0] <= 10


def test_browser_queue_and_trainee_search(page, scale):
    """A reviewer opens 备案审核 (pending ones on top) and an enterprise searches its trainees by a surname."""
    browser_login(page, "rev_4401")
    page.goto("/review/filings/")
    statuses = page.locator("table tbody tr").all_inner_texts()
    assert statuses and "已提交" in statuses[0]
    screenshot(page, "scale_review_queue")
    page.goto("/logout/")
    page.context.clear_cookies()
    browser_login(page, "load_ent_001")  # owns the 100-trainee filing
    page.goto("/enterprise/trainees/")
    page.fill("#name", "张")
    page.locator("#trainee-query-page form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    names = page.locator("#trainee-table tbody tr td:nth-child(2)").all_inner_texts()
    assert names and all(n.strip().startswith("张") for n in names), names
    assert "条" in page.locator("#trainee-total").inner_text()
    screenshot(page, "scale_trainee_search")


def test_rison_schema_check_is_cached_and_answers_as_jsonschema():
    import flask_appbuilder.api as fab_api
    import jsonschema
    from flask_appbuilder.api.schemas import get_list_schema

    from views.api.rison_schema import CachedSchemaValidation

    assert isinstance(fab_api.jsonschema, CachedSchemaValidation)  # installed with the API views
    cached = CachedSchemaValidation()
    for instance in ({"page": 2, "page_size": 100}, {"page_size": "abc"}, {"filters": [{"col": 1}]},
                     {"order_direction": "up"}, {"page": -1}):
        try:
            jsonschema.validate(instance=instance, schema=get_list_schema)
            stock = None
        except jsonschema.ValidationError as exc:
            stock = str(exc).split("\n", 1)[0]
        try:
            cached.validate(instance=instance, schema=get_list_schema)
            ours = None
        except cached.ValidationError as exc:
            ours = str(exc).split("\n", 1)[0]
        assert ours == stock, instance
    assert len(cached._validators) == 1  # one validator for the schema, built once


def test_api_list_refuses_a_bad_q_as_before(app, scale):
    from tests.conftest import api_token

    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'admin')}"}
    listed = client.get("/api/v1/trainee/?q=(page_size:10)", headers=headers).get_json()
    assert listed["count"] >= SIZES.trainees and len(listed["result"]) == 10
    refused = client.get("/api/v1/trainee/?q=(page_size:abc)", headers=headers)
    assert refused.status_code == 400
    assert "'abc' is not of type 'integer'" in refused.get_data(as_text=True)


def test_api_list_count_is_capped_and_says_so(app, scale, monkeypatch):
    """The REST lists' ``count`` reads at most cap + 1 rows: beyond the cap it is the cap with ``count_capped``
    true; below it, exact with ``count_capped`` false (issue 15: a province-wide count of 10M attendance rows)."""
    from sqlalchemy import event

    from models.base import db
    from tests.conftest import api_token
    from views.api.children import TraineeApi

    trainee_api = next(view for view in app.appbuilder.baseviews if isinstance(view, TraineeApi))
    monkeypatch.setattr(trainee_api, "count_cap", 500)
    monkeypatch.setattr(trainee_api.datamodel, "count_cap", 500)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token(client, 'admin')}"}
    with app.app_context():
        statements = []
        engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            capped = client.get("/api/v1/trainee/?q=(page_size:10)", headers=headers).get_json()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    assert (capped["count"], capped["count_capped"], len(capped["result"])) == (500, True, 10)
    counting = [s for s in statements if "count(" in s.lower() and "trainee" in s.lower()]
    assert counting and all("LIMIT" in s.upper() for s in counting), counting  # never counts every row
    filing_id = capped["result"][0]["filing_id"]
    with app.app_context():
        from sqlalchemy import func, select

        from models.filing import Trainee

        expected = db.session.scalar(select(func.count()).where(Trainee.filing_id == filing_id))
        db.session.remove()
    exact = client.get(f"/api/v1/trainee/?q=(filters:!((col:filing_id,opr:eq,value:{filing_id})))",
                       headers=headers).get_json()
    assert 0 < expected < 500 and (exact["count"], exact["count_capped"]) == (expected, False)
    spec = client.get("/api/v1/_openapi", headers=headers).get_json()
    listed = spec["paths"]["/api/v1/attendance/"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["properties"]["count_capped"]["type"] == "boolean"

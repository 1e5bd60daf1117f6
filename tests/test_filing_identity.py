"""Issue 12 — filings have an identity before approval: the 申请编号 (assigned at creation, unique, never changed,
shown and searchable on every list), the 创建时间 column, server-side sorting of 办理结果 and 备案审核 (whitelisted
``sort``/``dir``), the queue's 地市 and 编号 filters, bad filter dates reported next to the field, and one
definition of the trainee count (培训人数, lost ones included and named) on every screen."""
from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from sqlalchemy import select, text

from models.base import db
from tests import factories
from tests.conftest import TEST_OVERRIDES, csrf_token_from, login

NUMBER_RE = re.compile(r"^SQ(\d{4})-(\d{8})-(\d{4,})$")


@pytest.fixture
def ctx(app):
    """A request context (lazy Chinese messages render) with the seeded session."""
    with app.test_request_context():
        yield db.session
        db.session.rollback()


def _ent(username: str = "ent_gz"):
    return factories.demo_enterprise(username)


# ---- numbering ------------------------------------------------------------------------------------------------


def test_create_filing_assigns_a_number_of_city_and_local_day(app, client):
    """申请备案 in the UI: the new draft carries SQ<city>-<creation day, Asia/Shanghai>-<sequence> at once."""
    from core.clock import to_local
    from models.filing import Filing

    login(client, "ent_gz")
    page = client.get("/filing/apply/ENTERPRISE").get_data(as_text=True)
    response = client.post("/filing/apply/ENTERPRISE", data={
        "csrf_token": csrf_token_from(page), "commitment_accepted": "1", "apprenticeship_type": "NEW_APPRENTICE"})
    assert response.status_code == 302
    filing_id = int(re.search(r"/filing/(\d+)/", response.headers["Location"]).group(1))
    with app.app_context():
        filing = db.session.get(Filing, filing_id)
        match = NUMBER_RE.match(filing.application_no)
        assert match, filing.application_no
        assert match.group(1) == "4401" == filing.city_code
        assert match.group(2) == to_local(filing.created_at).strftime("%Y%m%d")
        assert filing.filing_no is None
        number = filing.application_no
    header = client.get(f"/filing/{filing_id}/info").get_data(as_text=True)
    assert number in header and "申请编号" in header


def test_numbers_are_unique_sequential_per_city_and_day_and_never_change(app):
    from actions import review
    from models.filing import Filing
    from models.numbering import ApplicationNumberCounter

    with app.app_context():
        gz, sz = _ent("ent_gz"), _ent("ent_sz")
        day = datetime(2026, 6, 1, 3, 0)  # 11:00 in Shanghai (a day without demo filings)
        evening = datetime(2026, 6, 1, 17, 30)  # 01:30 on 2 June in Shanghai
        a = factories.filing(gz.id, created_at=day)
        b = factories.filing(gz.id, created_at=day)
        c = factories.filing(sz.id, created_at=day)
        d = factories.filing(gz.id, created_at=evening)
        db.session.commit()
        assert a.application_no == "SQ4401-20260601-0001"
        assert b.application_no == "SQ4401-20260601-0002"
        assert c.application_no == "SQ4403-20260601-0001"
        assert d.application_no == "SQ4401-20260602-0001"
        numbers = db.session.scalars(select(Filing.application_no)).all()
        assert len(numbers) == len(set(numbers)) and all(NUMBER_RE.match(n) for n in numbers)
        counter = db.session.get(ApplicationNumberCounter, ("4401", date(2026, 6, 1)))
        assert counter.last == 2
        # Approval adds the 备案编号 and leaves the 申请编号 as it was.
        b.status = "SUBMITTED"
        b.filing_no = review.next_filing_number(db.session, "4401", 2026)
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Filing, b.id).application_no == "SQ4401-20260601-0002"


def test_unique_index_refuses_a_duplicate_number(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        gz = _ent()
        first = factories.filing(gz.id)
        db.session.commit()
        with pytest.raises(IntegrityError):
            factories.filing(gz.id, application_no=first.application_no)
        db.session.rollback()


def test_migration_numbers_existing_filings(tmp_path):
    """Upgrading a database that already holds filings: each gets the number of its city and creation day, in
    creation order, and the counters continue after them (the next filing of that day gets the next number)."""
    from flask_migrate import upgrade

    from app import create_app
    from models.filing import Filing

    migrated = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    with migrated.app_context():
        upgrade(revision="cd8e9f0a1b2c")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO city (code, name, sort_order) VALUES ('4401', '广州市', 1), "
                              "('4403', '深圳市', 2)"))
            conn.execute(text("INSERT INTO enterprise (id, uscc, name, city_code, created_at) VALUES "
                              "(1, '91440101MA59TEST01', '甲公司', '4401', '2026-01-01 00:00:00'), "
                              "(2, '91440300MA59TEST02', '乙公司', '4403', '2026-01-01 00:00:00')"))
            rows = [(1, 1, "4401", "2026-12-01 09:00:00"), (2, 1, "4401", "2026-12-01 02:00:00"),
                    (3, 2, "4403", "2026-12-01 02:00:00"), (4, 1, "4401", "2026-12-01 16:30:00")]
            for pk, ent, city, created in rows:
                conn.execute(text(
                    "INSERT INTO filing (id, programme, apprenticeship_type, enterprise_id, city_code, status, "
                    "commitment_accepted, created_at, updated_at, version) VALUES (:pk, 'ENTERPRISE', "
                    "'NEW_APPRENTICE', :ent, :city, 'DRAFT', 1, :created, :created, 1)"),
                    {"pk": pk, "ent": ent, "city": city, "created": created})
            conn.execute(text("INSERT INTO trainee (filing_id, name, id_number, status, created_at) VALUES "
                              "(1, '张三', '110101199003071234', 'ACTIVE', '2026-12-01 09:00:00')"))
        upgrade()
        numbers = dict(db.session.execute(select(Filing.id, Filing.application_no)).all())
        assert numbers == {2: "SQ4401-20261201-0001", 1: "SQ4401-20261201-0002", 3: "SQ4403-20261201-0001",
                           4: "SQ4401-20261202-0001"}
        # The rebuild of the filing table kept its children (foreign keys were off for it).
        assert db.session.scalar(text("SELECT count(*) FROM trainee")) == 1
        new = Filing(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", enterprise_id=1, city_code="4401",
                     status="DRAFT", commitment_accepted=True, created_at=datetime(2026, 12, 1, 10, 0))
        db.session.add(new)
        db.session.commit()
        assert new.application_no == "SQ4401-20261201-0003"


# ---- lists: number, creation time, search ---------------------------------------------------------------------

ROW_RE = re.compile(r'<tr[^>]*data-filing-id="(\d+)"')


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in ROW_RE.findall(html)]


def _drafts(count: int = 8) -> list[int]:
    """``count`` drafts of ent_gz created a minute apart on 1 June 2026 (11:00 Shanghai onwards)."""
    gz = _ent()
    rows = [factories.filing(gz.id, created_at=datetime(2026, 6, 1, 3, i)) for i in range(count)]
    db.session.commit()
    return [r.id for r in rows]


def test_results_list_tells_drafts_apart_and_finds_them_by_number(app, client):
    from models.filing import Filing

    with app.app_context():
        ids = _drafts()
        numbers = {pk: db.session.get(Filing, pk).application_no for pk in ids}
    login(client, "ent_gz")
    html = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    assert len(set(numbers.values())) == 8 and all(n in html for n in numbers.values())
    assert "申请编号" in html and "创建时间" in html
    # 创建时间 in Asia/Shanghai, to the minute (no seconds, no microseconds): 03:05 UTC is 11:05 in Shanghai.
    cell = '<span class="nowrap">2026-06-01</span> <span class="nowrap">11:05</span>'
    assert f'<td class="created-at">{cell}</td>' in html and "11:05:" not in html
    wanted = ids[3]
    part = numbers[wanted][-9:]  # e.g. "0601-0004", part of the number
    found = client.get("/filing/results/ENTERPRISE", query_string={"filing_no": part.lower()}).get_data(as_text=True)
    assert _row_ids(found) == [wanted]


def test_review_queue_and_detail_show_and_find_the_number(app, client):
    from models.filing import Filing

    with app.app_context():
        filing = factories.complete_filing(_ent().id, status="SUBMITTED", submitted_at=datetime(2026, 6, 2, 1, 0))
        db.session.commit()
        pk, number = filing.id, filing.application_no
        created = filing.created_at
    login(client, "gz_reviewer")
    html = client.get("/review/filings/").get_data(as_text=True)
    assert number in html and "创建时间" in html
    found = client.get("/review/filings/", query_string={"number": number[2:].lower()}).get_data(as_text=True)
    assert _row_ids(found) == [pk]
    approved_no = None
    with app.app_context():
        approved_no = db.session.scalars(select(Filing.filing_no).where(Filing.city_code == "4401",
                                                                       Filing.filing_no.is_not(None))).first()
    by_filing_no = client.get("/review/filings/", query_string={"number": approved_no}).get_data(as_text=True)
    assert len(_row_ids(by_filing_no)) == 1
    detail = client.get(f"/review/filing/{pk}").get_data(as_text=True)
    from core.clock import format_local

    assert f'<span id="application-no">{number}</span>' in detail
    assert f'<span id="created-at">{format_local(created)}</span>' in detail


def test_trainee_query_names_the_filing_by_its_number_before_approval(app, client):
    with app.app_context():
        filing = factories.complete_filing(_ent().id, trainees=2)
        db.session.commit()
        number = filing.application_no
    login(client, "ent_gz")
    html = client.get("/enterprise/trainees/", query_string={"filing_no": number}).get_data(as_text=True)
    assert html.count("data-trainee-id=") == 2 and number in html


# ---- sorting --------------------------------------------------------------------------------------------------

def _sort_key(filing, key: str):
    from models.enums import FilingStatus

    if key == "status":
        return FilingStatus.codes().index(filing.status)
    return getattr(filing, key)


def _expected(filings, key: str, direction: str) -> list[int]:
    """NULLs last in both directions, ties by id in the same direction (queries/sorting.py)."""
    present = [f for f in filings if _sort_key(f, key) is not None]
    missing = [f for f in filings if _sort_key(f, key) is None]
    reverse = direction == "desc"
    present.sort(key=lambda f: (_sort_key(f, key), f.id), reverse=reverse)
    missing.sort(key=lambda f: f.id, reverse=reverse)
    return [f.id for f in present + missing]


SORT_KEYS = ("application_no", "filing_no", "created_at", "submitted_at", "status")


def _varied_filings():
    """ent_gz filings with different creation and submission times, statuses and numbers (plus the demo ones)."""
    gz = _ent()
    made = [
        factories.filing(gz.id, status="SUBMITTED", created_at=datetime(2026, 5, 3, 2, 0),
                         submitted_at=datetime(2026, 5, 20, 2, 0)),
        factories.filing(gz.id, status="APPROVED", created_at=datetime(2026, 5, 1, 2, 0),
                         submitted_at=datetime(2026, 5, 2, 2, 0), filing_no="XT4401-2026-000900"),
        factories.filing(gz.id, status="RETURNED", created_at=datetime(2026, 5, 2, 2, 0),
                         submitted_at=datetime(2026, 5, 25, 2, 0)),
        factories.filing(gz.id, status="DRAFT", created_at=datetime(2026, 4, 30, 2, 0)),
    ]
    db.session.commit()
    return made


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("direction", ("asc", "desc"))
def test_results_sort_by_each_column_both_ways(app, client, key, direction):
    from models.filing import Filing

    with app.app_context():
        _varied_filings()
        gz = _ent()
        filings = db.session.scalars(select(Filing).where(Filing.enterprise_id == gz.id,
                                                          Filing.programme == "ENTERPRISE")).all()
        expected = _expected(filings, key, direction)
    login(client, "ent_gz")
    html = client.get("/filing/results/ENTERPRISE",
                      query_string={"sort": key, "dir": direction}).get_data(as_text=True)
    assert _row_ids(html) == expected
    # The header says which way it is sorted and links to the other way, keeping the filters.
    aria = "ascending" if direction == "asc" else "descending"
    assert re.search(rf'data-sort-keys="[^"]*\b{key}\b[^"]*"\s+aria-sort="{aria}"', html)
    other = "desc" if direction == "asc" else "asc"
    assert f"sort={key}&amp;dir={other}" in html


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("direction", ("asc", "desc"))
def test_queue_sort_by_each_column_both_ways(app, client, key, direction):
    from models.filing import Filing

    with app.app_context():
        _varied_filings()
        filings = db.session.scalars(select(Filing).where(Filing.city_code == "4401",
                                                          Filing.status != "DRAFT")).all()
        expected = _expected(filings, key, direction)
    login(client, "gz_reviewer")
    html = client.get("/review/filings/", query_string={"sort": key, "dir": direction}).get_data(as_text=True)
    assert _row_ids(html) == expected


def test_unknown_sort_arguments_keep_the_default_order(app, client):
    from models.filing import Filing

    with app.app_context():
        _varied_filings()
        gz = _ent()
        mine = sorted(db.session.scalars(select(Filing.id).where(Filing.enterprise_id == gz.id,
                                                                 Filing.programme == "ENTERPRISE")), reverse=True)
        queue = db.session.scalars(select(Filing).where(Filing.city_code == "4401",
                                                        Filing.status != "DRAFT")).all()
    login(client, "ent_gz")
    for garbage in ({"sort": "id; DROP TABLE filing"}, {"sort": "enterprise_id", "dir": "desc"},
                    {"sort": "", "dir": "sideways"}, {"sort": "Status"}):
        response = client.get("/filing/results/ENTERPRISE", query_string=garbage)
        assert response.status_code == 200 and _row_ids(response.get_data(as_text=True)) == mine, garbage
    # A known column with a bad direction: the column's first direction (创建时间: newest first).
    html = client.get("/filing/results/ENTERPRISE", query_string={"sort": "created_at", "dir": "up"})
    with app.app_context():
        filings = db.session.scalars(select(Filing).where(Filing.enterprise_id == _ent().id,
                                                          Filing.programme == "ENTERPRISE")).all()
        assert _row_ids(html.get_data(as_text=True)) == _expected(filings, "created_at", "desc")

    # The queue's default: pending (已提交待审核) first, then by submission time, newest first.
    pending = sorted((f for f in queue if f.status == "SUBMITTED"), key=lambda f: (f.submitted_at, f.id),
                     reverse=True)
    rest = sorted((f for f in queue if f.status != "SUBMITTED"), key=lambda f: (f.submitted_at, f.id), reverse=True)
    reviewer = app.test_client()
    login(reviewer, "gz_reviewer")
    for garbage in ({"sort": "nope", "dir": "asc"}, {"sort": "reviewed_by_id"}):
        html = reviewer.get("/review/filings/", query_string=garbage).get_data(as_text=True)
        assert _row_ids(html) == [f.id for f in pending + rest], garbage


def test_sorted_lists_run_a_constant_number_of_statements(app, ctx):
    from queries.filings import ResultFilters, results_page
    from queries.review import QueueFilters, queue_page
    from queries.sorting import Sort
    from tests.test_queries import StatementCounter

    _varied_filings()
    ent, reviewer = factories.actor("ent_gz"), factories.actor("gz_reviewer")
    for key in SORT_KEYS:
        for size in (1, 20):
            with StatementCounter(app) as counter:
                results_page(ctx, ent, ResultFilters.from_args("ENTERPRISE", {}), 1, page_size=size,
                             sort=Sort(key, "desc"))
            assert counter.count == 4
            with StatementCounter(app) as counter:
                queue_page(ctx, reviewer, QueueFilters.from_args({}), 1, page_size=size, sort=Sort(key, "asc"))
            assert counter.count == 3


# ---- the queue's 地市 filter ---------------------------------------------------------------------------------

def test_admin_filters_the_queue_by_city(app, client):
    from models.filing import Filing

    with app.app_context():
        shenzhen = set(db.session.scalars(select(Filing.id).where(Filing.city_code == "4403")))
        everything = set(db.session.scalars(select(Filing.id)))
    assert shenzhen and shenzhen != everything
    login(client, "admin")
    html = client.get("/review/filings/").get_data(as_text=True)
    assert 'id="f-city"' in html and set(_row_ids(html)) == everything
    narrowed = client.get("/review/filings/", query_string={"city": "4403"}).get_data(as_text=True)
    assert set(_row_ids(narrowed)) == shenzhen
    assert '<option value="4403" selected>' in narrowed


def test_reviewer_cannot_widen_or_move_its_city_through_the_url(app, client):
    from models.filing import Filing

    with app.app_context():
        own = set(db.session.scalars(select(Filing.id).where(Filing.city_code == "4401", Filing.status != "DRAFT")))
    login(client, "gz_reviewer")
    plain = client.get("/review/filings/").get_data(as_text=True)
    assert 'id="f-city"' not in plain and set(_row_ids(plain)) == own
    for city in ("4403", "", "%", "4401 OR 1=1"):
        html = client.get("/review/filings/", query_string={"city": city}).get_data(as_text=True)
        assert set(_row_ids(html)) == own, city
        assert "city=" not in re.sub(r'name="city"', "", html.split('class="pagination"')[0].split("<table")[1]), city


# ---- bad filter dates -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("user,url,field,message", [
    ("ent_gz", "/filing/results/ENTERPRISE", "submitted_from", "提交日期起格式不正确，应为 YYYY-MM-DD"),
    ("ent_gz", "/filing/results/ENTERPRISE", "submitted_to", "提交日期止格式不正确，应为 YYYY-MM-DD"),
    ("gz_reviewer", "/review/filings/", "submitted_from", "日期格式应为 YYYY-MM-DD"),
    ("admin", "/review/filings/", "submitted_to", "日期格式应为 YYYY-MM-DD"),
    ("ent_gz", "/enterprise/trainees/", "date_from", "培训期间起“2026-02-30”不是有效日期，应为 YYYY-MM-DD，已忽略"),
    ("ent_gz", "/ecosystem/trainees/", "date_to", "培训期间止“2026-02-30”不是有效日期，应为 YYYY-MM-DD，已忽略"),
])
def test_a_bad_filter_date_is_named_next_to_its_field(client, user, url, field, message):
    login(client, user)
    response = client.get(url, query_string={field: "2026-02-30"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<span class="help-block" id="{field}-error">{message}</span>' in html
    assert re.search(rf'id="{field}" name="{field}"[^>]*value="2026-02-30"', html) or re.search(
        rf'name="{field}" type="text"\s+value="2026-02-30"', html), "the typed date is kept in the field"


# ---- 培训人数: one definition --------------------------------------------------------------------------------

def test_trainee_count_is_the_same_on_every_screen(app, client):
    """3 trainees of whom 1 is lost: 办理结果, 备案审核, the filing's tab and 单位培训人员查询 all say 3 (lost named)."""
    from models.filing import Filing

    with app.app_context():
        filing = factories.complete_filing(_ent().id, status="APPROVED", trainees=3, filing_no="XT4401-2026-000777",
                                           submitted_at=datetime(2026, 6, 1, 1, 0))
        filing.trainees[0].status = "LOST"
        filing.trainees[0].lost_reason = "离职"
        filing.trainees[0].lost_date = date(2026, 6, 3)
        db.session.commit()
        pk = filing.id
        assert db.session.get(Filing, pk).application_no
    cell = re.compile(r'<tr[^>]*data-filing-id="%d".*?<td class="text-right trainee-count">(.*?)</td>' % pk, re.S)

    def count_cell(html: str) -> str:
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell.search(html).group(1))).strip()

    login(client, "ent_gz")
    results = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    assert count_cell(results) == "3 其中流失 1 人"
    tab = client.get(f"/filing/{pk}/trainees").get_data(as_text=True)
    assert re.search(r'data-tab="trainees">[^<]*<span class="badge">3</span>', tab)
    query = client.get("/enterprise/trainees/", query_string={"filing_no": "XT4401-2026-000777"}).get_data(
        as_text=True)
    assert query.count("data-trainee-id=") == 3
    reviewer = app.test_client()
    login(reviewer, "gz_reviewer")
    queue = reviewer.get("/review/filings/").get_data(as_text=True)
    assert count_cell(queue) == "3 其中流失 1 人"

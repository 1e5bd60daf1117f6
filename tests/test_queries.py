"""The read side (``queries/``, DESIGN §7 layer 4) and the one time-zone helper (``core.clock``): paging with page
numbers as users type them, the escaped LIKE helper, date filter parsing, Shanghai ↔ UTC, and each per-screen
query against the demo data (ent_gz / ent_sz: a DRAFT, a SUBMITTED, a RETURNED and an APPROVED filing each, two
trainees per filing)."""
from __future__ import annotations

import io
import os
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select

from core.clock import format_local, local_day_end_utc, local_day_start_utc, to_local
from models.base import db
from models.enterprise import Enterprise
from models.enums import FilingStatus, TraineeStatus
from models.filing import Filing
from queries.paging import MAX_PAGE_INPUT, Page, clamp_page, page_count, page_number, page_numbers, paginate
from queries.search import contains, parse_days, timestamp_on_days
from tests import factories

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def ctx(app):
    """A request context (lazy Chinese messages render) with the seeded session."""
    with app.test_request_context():
        yield db.session
        db.session.rollback()


class StatementCounter:
    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def _on(self, *args):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)


# ---- core.clock ------------------------------------------------------------------------------------------------

def test_to_local_converts_naive_utc_to_shanghai():
    local = to_local(datetime(2026, 2, 28, 16, 0))
    assert local == datetime(2026, 3, 1, 0, 0, tzinfo=SHANGHAI)
    assert (local.year, local.month, local.day, local.hour) == (2026, 3, 1, 0)
    assert local.utcoffset().total_seconds() == 8 * 3600
    assert to_local(None) is None
    # An aware value is converted from its own zone (not relabelled).
    assert to_local(datetime(2026, 2, 28, 16, 0, tzinfo=timezone.utc)) == local
    assert format_local(datetime(2026, 2, 28, 16, 0)) == "2026-03-01 00:00"
    assert format_local(datetime(2026, 2, 28, 15, 59, 30), "%Y-%m-%d %H:%M:%S") == "2026-02-28 23:59:30"
    assert format_local(None) == ""


def test_local_day_bounds_in_utc():
    assert local_day_start_utc(date(2026, 3, 1)) == datetime(2026, 2, 28, 16, 0)
    assert local_day_start_utc(date(2026, 3, 1)).tzinfo is None  # stored timestamps are naive UTC
    assert local_day_end_utc(date(2026, 3, 1)) == datetime(2026, 3, 1, 16, 0)
    assert local_day_start_utc(date(2027, 1, 1)) == datetime(2026, 12, 31, 16, 0)  # across the year


# ---- queries.paging --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    (None, 1), ("", 1), ("abc", 1), ("1.5", 1), ("0", 1), ("-3", 1), (-3, 1), (0, 1), ("  3 ", 3), ("+2", 2),
    ("2", 2), (7, 7), (True, 1), ("1e3", 1), ("0x10", 1), ("9" * 5000, MAX_PAGE_INPUT), ("-" + "9" * 5000, 1),
    (10 ** 30, MAX_PAGE_INPUT), ("99999999999999999", 10 ** 9),
])
def test_page_number_tolerates_garbage(raw, expected):
    assert page_number(raw) == expected


def test_page_count_and_clamping():
    assert [page_count(n, 10) for n in (0, 1, 10, 11, 20, 21)] == [1, 1, 1, 2, 2, 3]
    assert page_count(5, 0) == 5  # a nonsense page size counts as 1
    assert clamp_page("999", 3) == 3
    assert clamp_page("9" * 5000, 3) == 3
    assert clamp_page("-1", 3) == 1
    assert clamp_page("x", 0) == 1
    assert clamp_page("2", 3) == 2


def test_page_numbers_with_gaps():
    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 3) == [1, 2, 3]
    assert page_numbers(5, 10) == [1, 0, 3, 4, 5, 6, 7, 0, 10]
    assert page_numbers(10, 10) == [1, 0, 8, 9, 10]
    page = Page(items=[], total=95, page=5, pages=10, page_size=10)
    assert page.numbers == page_numbers(5, 10) and page.offset == 40 and page.has_prev and page.has_next


def test_paginate_clamps_and_counts(ctx):
    session = ctx
    stmt = select(Filing).order_by(Filing.id)
    all_ids = list(session.scalars(select(Filing.id).order_by(Filing.id)))
    assert len(all_ids) == 8  # 4 demo filings per demo enterprise
    last = paginate(session, stmt, "999", 3)
    assert (last.total, last.pages, last.page, last.page_size) == (8, 3, 3, 3)
    assert [f.id for f in last.items] == all_ids[6:]
    assert not last.has_next and last.has_prev
    for garbage in ("-1", "abc", None, "", "1.5", "-" + "9" * 5000):
        first = paginate(session, stmt, garbage, 3)
        assert first.page == 1 and [f.id for f in first.items] == all_ids[:3], garbage[:10] if garbage else garbage
    assert paginate(session, stmt, "9" * 5000, 3).page == 3  # huge: the last page
    middle = paginate(session, stmt, 2, 3)
    assert [f.id for f in middle.items] == all_ids[3:6]
    whole = paginate(session, stmt, 1, 100)
    assert whole.pages == 1 and len(whole.items) == 8
    empty = paginate(session, stmt.where(Filing.id < 0), "5", 3)
    assert (empty.total, empty.pages, empty.page, empty.items) == (0, 1, 1, [])
    rows = paginate(session, select(Filing.id, Filing.status).order_by(Filing.id), 1, 2, rows="mappings")
    assert [r["id"] for r in rows.items] == all_ids[:2] and "status" in rows.items[0]
    counted = paginate(session, stmt, 1, 5, select(db.func.count()).select_from(Filing))
    assert counted.total == 8 and counted.pages == 2
    with pytest.raises(ValueError):
        paginate(session, stmt, 1, 5, rows="dicts")


def test_paginate_runs_two_statements_whatever_the_page_size(app, ctx):
    for size in (1, 8):
        with StatementCounter(app) as counter:
            paginate(ctx, select(Filing).order_by(Filing.id), 1, size)
        assert counter.count == 2


# ---- queries.search --------------------------------------------------------------------------------------------

def test_contains_matches_percent_underscore_and_slash_literally(ctx):
    session = ctx
    names = ["百分100%纯", "百分100x纯", "下划a_b", "下划axb", "斜杠a/%b", "斜杠a/xb"]
    ids = {}
    for name in names:
        ids[name] = factories.enterprise(name=name).id
    session.flush()

    def found(text):
        return {n for n in session.scalars(select(Enterprise.name).where(contains(Enterprise.name, text)))
                if n in names}

    assert found("100%") == {"百分100%纯"}
    assert found("a_b") == {"下划a_b"}
    assert found("a/%") == {"斜杠a/%b"}
    assert found("百分") == {"百分100%纯", "百分100x纯"}
    assert found("%") == {"百分100%纯", "斜杠a/%b"}
    assert found("_") == {"下划a_b"}


def test_parse_days_reports_each_bad_field(ctx):
    labels = {"from": "起", "to": "止", "empty": "空", "missing": "缺"}
    days, errors = parse_days({"from": "2026-13-01", "to": "2026/3/1", "empty": "  "}, labels)
    assert days == {"to": date(2026, 3, 1)}
    assert errors == {"from": "起格式不正确，应为 YYYY-MM-DD"}
    _days, custom = parse_days({"from": "x"}, {"from": "起"}, lambda label, raw: f"{label}:{raw}")
    assert custom == {"from": "起:x"}


def test_timestamp_on_days_uses_shanghai_days(ctx):
    session = ctx
    ent = factories.demo_enterprise("ent_gz")
    early = factories.filing(ent.id, submitted_at=datetime(2026, 2, 28, 15, 59))  # 23:59 on 28 Feb in Shanghai
    late = factories.filing(ent.id, submitted_at=datetime(2026, 2, 28, 16, 0))  # 00:00 on 1 March in Shanghai
    session.flush()

    def ids(first, last):
        return set(session.scalars(select(Filing.id).where(
            Filing.id.in_([early.id, late.id]), *timestamp_on_days(Filing.submitted_at, first, last))))

    assert ids(date(2026, 3, 1), None) == {late.id}
    assert ids(None, date(2026, 2, 28)) == {early.id}
    assert ids(date(2026, 2, 28), date(2026, 3, 1)) == {early.id, late.id}
    assert ids(None, None) == {early.id, late.id}


# ---- per-screen queries ----------------------------------------------------------------------------------------

def test_filing_results_of_the_enterprise(app, ctx):
    from queries.filings import ResultFilters, active_occupations, results_page

    session = ctx
    gz, sz = factories.actor("ent_gz"), factories.actor("ent_sz")
    found = results_page(session, gz, ResultFilters.from_args("ENTERPRISE", {}), 1)
    filings = found.page.items
    assert found.page.total == 4 and found.page.page_size == 10
    assert [f.id for f in filings] == sorted((f.id for f in filings), reverse=True)  # newest first
    assert {f.enterprise_id for f in filings} == {gz.enterprise_id}
    assert {f.status for f in filings} == {"DRAFT", "SUBMITTED", "RETURNED", "APPROVED"}
    assert all(len(found.classes[f.id]) == 1 for f in filings)
    from queries.filings import TraineeCount

    assert found.trainees == {f.id: TraineeCount(2, 0) for f in filings}  # two trainees each, none lost

    approved = results_page(session, gz, ResultFilters.from_args("ENTERPRISE", {"status": "APPROVED"}), 1)
    assert [f.status for f in approved.page.items] == ["APPROVED"]
    number = approved.page.items[0].filing_no
    by_no = results_page(session, gz, ResultFilters.from_args("ENTERPRISE", {"filing_no": number[-6:]}), 1)
    assert [f.filing_no for f in by_no.page.items] == [number]
    assert results_page(session, gz, ResultFilters.from_args("ENTERPRISE", {"filing_no": "%"}), 1).page.total == 0
    assert results_page(session, gz, ResultFilters.from_args("ECOSYSTEM", {}), 1).page.total == 0
    by_occupation = ResultFilters.from_args("ENTERPRISE", {"occupation": "6-18-01-01"})
    assert results_page(session, gz, by_occupation, 1).page.total == 4
    assert results_page(session, sz, by_occupation, 1).page.total == 0  # 深圳's demo filings train 6-31-01-03

    bad = ResultFilters.from_args("ENTERPRISE", {"submitted_from": "2026-13-01", "submitted_to": " 2099-01-01 "})
    assert bad.errors == {"submitted_from": "提交日期起格式不正确，应为 YYYY-MM-DD"}
    assert bad.values["submitted_to"] == "2099-01-01" and bad.as_args() == {
        "submitted_from": "2026-13-01", "submitted_to": "2099-01-01"}
    assert results_page(session, gz, bad, 1).page.total == 3  # the draft was never submitted
    future = ResultFilters.from_args("ENTERPRISE", {"submitted_from": "2099-01-01"})
    assert results_page(session, gz, future, "abc").page.total == 0

    others = results_page(session, sz, ResultFilters.from_args("ENTERPRISE", {}), 1)
    assert others.page.total == 4 and not {f.id for f in others.page.items} & {f.id for f in filings}
    assert ("6-18-01-01" in {code for code, _name in active_occupations(session)})

    for size in (1, 10):  # COUNT + page + classes + trainee counts, whatever the page size
        with StatementCounter(app) as counter:
            results_page(session, gz, ResultFilters.from_args("ENTERPRISE", {}), 1, page_size=size)
        assert counter.count == 4


def test_review_queue_pending_first_in_the_city(app, ctx):
    from queries.review import QueueFilters, filing_detail, queue_page, visible_statuses

    session = ctx
    gz = factories.actor("gz_reviewer")
    page = queue_page(session, gz, QueueFilters.from_args({}), 1)
    assert page.total == 3 and page.page_size == 20  # no drafts for the city
    assert page.items[0]["filing"].status == FilingStatus.SUBMITTED
    assert {row["filing"].city_code for row in page.items} == {"4401"}
    assert all((row["trainees"].total, row["trainees"].lost) == (2, 0) for row in page.items)
    assert FilingStatus.DRAFT not in visible_statuses(gz)
    assert FilingStatus.DRAFT in visible_statuses(factories.actor("admin"))

    by_name = QueueFilters.from_args({"enterprise": "广州示范"})
    assert queue_page(session, gz, by_name, 1).total == 3
    assert queue_page(session, gz, QueueFilters.from_args({"enterprise": "%"}), 1).total == 0
    assert queue_page(session, gz, QueueFilters.from_args({"status": "APPROVED"}), 1).total == 1
    assert queue_page(session, gz, QueueFilters.from_args({"status": "NOPE"}), 1).total == 3  # unknown code dropped
    bad = QueueFilters.from_args({"submitted_to": "2026-02-30"})
    assert queue_page(session, gz, bad, "-4").total == 3
    assert {k: str(v) for k, v in bad.errors.items()} == {"submitted_to": "日期格式应为 YYYY-MM-DD"}
    assert queue_page(session, gz, QueueFilters.from_args({"submitted_to": "2020-01-01"}), 1).total == 0
    assert queue_page(session, factories.actor("sz_reviewer"), by_name, 1).total == 0

    filing = page.items[0]["filing"]
    detail = filing_detail(session, gz, filing.id)
    assert detail is not None and len(detail.trainees) == 2 and len(detail.classes[0].courses) == 1
    assert filing_detail(session, factories.actor("sz_reviewer"), filing.id) is None
    assert filing_detail(session, gz, "abc") is None
    draft = session.scalars(select(Filing).where(Filing.city_code == "4401", Filing.status == "DRAFT")).first()
    assert filing_detail(session, gz, draft.id) is None  # a draft is the enterprise's own

    for size in (1, 20):
        with StatementCounter(app) as counter:
            queue_page(session, gz, QueueFilters.from_args({}), 1, page_size=size)
        assert counter.count == 3  # COUNT + page + the page's trainee counts (issue 12: one definition)


def test_trainee_query_of_the_enterprise(app, ctx):
    from queries.trainees import TraineeFilters, count_trainees, occupation_text, trainee_page

    session = ctx
    gz = factories.actor("ent_gz")
    page = trainee_page(session, gz, TraineeFilters(), 1)
    assert page.total == 8 == count_trainees(session, gz, TraineeFilters()) and len(page.items) == 8
    row = page.items[0]
    assert row["occupation_code"] == "6-18-01-01" and row["class_count"] == 1 and row["id_number"].startswith("440305")
    filing_ids = [r["filing_id"] for r in page.items]
    assert filing_ids == sorted(filing_ids, reverse=True)  # newest filing first

    small = trainee_page(session, gz, TraineeFilters(), "99", page_size=3)
    assert (small.page, small.pages, len(small.items)) == (3, 3, 2)
    assert trainee_page(session, gz, TraineeFilters(name="%"), 1).total == 0
    name = page.items[0]["name"]
    assert all(r["name"] == name for r in trainee_page(session, gz, TraineeFilters(name=name), 1).items)
    assert trainee_page(session, gz, TraineeFilters(filing_status="APPROVED"), 1).total == 2
    assert trainee_page(session, gz, TraineeFilters(status=TraineeStatus.LOST), 1).total == 0
    assert trainee_page(session, gz, TraineeFilters(date_from=date(2028, 12, 1)), 1).total == 0  # classes end by 2028-07
    assert trainee_page(session, factories.actor("ent_sz"), TraineeFilters(), 1).total == 8
    assert not {r["id"] for r in trainee_page(session, factories.actor("ent_sz"), TraineeFilters(), 1).items} & {
        r["id"] for r in page.items}

    typed = TraineeFilters.from_args({"date_from": "2027-13-45", "date_to": "2027/12/31", "programme": "X",
                                      "filing_no": " xt4401 "})
    assert typed.errors == ["培训期间起“2027-13-45”不是有效日期，应为 YYYY-MM-DD，已忽略"]
    assert typed.date_from is None and typed.date_to == date(2027, 12, 31) and typed.programme is None
    assert typed.as_args() == {"filing_no": "xt4401", "date_to": "2027-12-31"}
    assert trainee_page(session, gz, typed, 1).total == 2  # the approved filing, found by its number in any case
    assert occupation_text("6-18-01-01", "车工", 3) == "6-18-01-01 车工 等3个工种"
    assert occupation_text(None, None, 0) == ""


def test_in_training_means_active_in_an_approved_filing_with_a_class(app, ctx):
    """在训 = ACTIVE trainees of APPROVED filings whose class is not cancelled (not the drafts' trainees)."""
    from models.enums import ClassStatus
    from queries.trainees import TraineeFilters, trainee_page

    session = ctx
    gz = factories.actor("ent_gz")
    everyone = trainee_page(session, gz, TraineeFilters(), 1).items
    active = trainee_page(session, gz, TraineeFilters(status=TraineeStatus.ACTIVE), 1)
    assert active.total == 2 and {r["filing_status"] for r in active.items} == {FilingStatus.APPROVED}
    assert {r["id"] for r in everyone if r["in_training"]} == {r["id"] for r in active.items}
    approved = session.scalars(select(Filing).where(Filing.enterprise_id == gz.enterprise_id,
                                                    Filing.status == FilingStatus.APPROVED)).first()
    for cls in approved.classes:
        cls.status = ClassStatus.CANCELLED
    session.flush()
    assert trainee_page(session, gz, TraineeFilters(status=TraineeStatus.ACTIVE), 1).total == 0


def test_audit_timeline_of_a_filing(ctx):
    from queries.audit import actor_names, timeline_context, timeline_events

    session = ctx
    filing = session.scalars(select(Filing).where(Filing.city_code == "4401",
                                                  Filing.status == FilingStatus.APPROVED)).one()
    for username in ("ent_gz", "gz_reviewer", "admin"):
        events = timeline_events(session, factories.actor(username), filing)
        assert [e.action for e in events][-2:] == ["submit", "approve"], username
    assert timeline_events(session, factories.actor("ent_sz"), filing) == []
    assert timeline_events(session, factories.actor("sz_reviewer"), filing) == []
    context = timeline_context(session, factories.actor("gz_reviewer"), filing)
    assert set(context) == {"events", "actor_names"}
    names = context["actor_names"]
    assert names == actor_names(session, context["events"]) and "广州审核员" in names.values()
    assert actor_names(session, []) == {}


def test_trainee_export_writes_the_query_rows(ctx):
    from openpyxl import load_workbook

    from queries.trainees import TraineeFilters
    from services.trainee_export import EXPORT_COLUMNS, export_trainees, neutralise, stream_and_remove

    path, count = export_trainees(ctx, factories.actor("ent_gz"), TraineeFilters(filing_status="APPROVED"))
    content = b"".join(stream_and_remove(path))
    assert not os.path.exists(path) and count == 2
    sheet = load_workbook(io.BytesIO(content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert [c for c in rows[0]] == [title for title, _w, _k in EXPORT_COLUMNS] and len(rows) == 3
    assert rows[1][1].startswith("440305")  # complete ID numbers in the export
    assert neutralise("=1+1") == "'=1+1" and neutralise("张三") == "张三"


def test_home_counter_in_training_counts_approved_filings_only(app, client):
    """The home page's 在训人员: ACTIVE trainees of APPROVED filings (2 for ent_gz's demo data), not the drafts'."""
    import re as _re

    from tests.conftest import login

    login(client, "ent_gz")
    html = client.get("/").get_data(as_text=True)
    assert _re.search(r'<div class="num">2</div><div>在训人员</div>', html), html[:2000]


@pytest.mark.parametrize("page,pages,radius,expected", [
    (1, 0, 2, []),
    (1, 1, 2, [1]),
    (1, 5, 2, [1, 2, 3, None, 5]),
    (3, 5, 2, [1, 2, 3, 4, 5]),
    (50, 5000, 3, [1, None, 47, 48, 49, 50, 51, 52, 53, None, 5000]),
    (5000, 5000, 2, [1, None, 4998, 4999, 5000]),
    (4, 7, 2, [1, 2, 3, 4, 5, 6, 7]),
])
def test_page_window_shows_first_last_and_the_neighbours(page, pages, radius, expected):
    from views.filters import page_window

    assert page_window(page, pages, radius) == expected

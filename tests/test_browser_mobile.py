"""Issue 12 on a phone (Playwright + Debian Chromium at 390×844): no filing tab is wider than the screen — wide
tables scroll inside their own .table-responsive box instead of pushing the page sideways — and the 审核记录
timeline stays readable (each event a block of labelled lines, not six squeezed columns). Screenshots in
test-artifacts/mobile-*.png."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from models.base import db
from models.filing import Filing
from tests import factories
from tests.conftest import browser_login, screenshot

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, base_url=live_server)
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()


@pytest.fixture
def filings(app):
    """ent_gz's demo RETURNED filing (its 审核记录 has submit and return events) and a complete DRAFT one with a long
    occupation name, a long extension reason and several classes."""
    from models.filing import TrainingClass

    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        returned = db.session.scalars(select(Filing.id).where(Filing.enterprise_id == ent.id,
                                                              Filing.status == "RETURNED")).first()
        draft = factories.complete_filing(ent.id, trainees=3)
        first = draft.classes[0]
        for i in range(2):
            draft.classes.append(TrainingClass(occupation_code=first.occupation_code, skill_level=4,
                                               start_date=first.start_date, end_date=first.end_date, hours=400 + i,
                                               planned_headcount=3, extension_reason="因生产任务调整需延长培训期限至三年"))
        db.session.commit()
        return {"returned": returned, "draft": draft.id}


def page_width(pg) -> int:
    return pg.evaluate("document.documentElement.scrollWidth")


TABS = ["info", "institution", "classes", "teachers", "trainees", "courses", "attachments", "submit"]


def test_filing_tabs_fit_a_phone(phone, filings):
    browser_login(phone, "ent_gz")
    widths = {}
    for tab in TABS:
        phone.goto(f"/filing/{filings['draft']}/{tab}")
        widths[tab] = page_width(phone)
        if tab in ("classes", "trainees"):
            screenshot(phone, f"mobile-filing-{tab}")
    assert all(w <= PHONE["width"] for w in widths.values()), widths
    phone.goto(f"/filing/{filings['draft']}/classes")
    table = phone.locator("#rows-table")
    box = phone.locator(".table-responsive", has=table)
    assert box.count() == 1  # the wide table scrolls inside its box
    assert box.evaluate("e => e.scrollWidth > e.clientWidth")  # …and it is indeed wider than the phone


def test_new_class_form_fits_a_phone(phone, filings):
    browser_login(phone, "ent_gz")
    phone.goto(f"/filing/{filings['draft']}/classes?new=1")
    assert page_width(phone) <= PHONE["width"]


@pytest.mark.parametrize("width", [390, 800])
def test_timeline_is_readable_on_a_phone(phone, filings, width):
    phone.set_viewport_size({"width": width, "height": 844})
    browser_login(phone, "ent_gz")
    phone.goto(f"/filing/{filings['returned']}/info")
    assert page_width(phone) <= width
    events = phone.locator(".audit-timeline .audit-event")
    assert events.count() >= 2
    screenshot(phone, "mobile-timeline" if width == PHONE["width"] else f"mobile-timeline-{width}")
    first = events.first
    # every cell of an event is at least half the screen wide (no column squeezed to a few characters) and
    # names its column (the header row is hidden on a phone)
    for cell in ("audit-time", "audit-actor", "audit-action", "audit-status"):
        cell_width = first.locator(f".{cell}").evaluate("e => e.getBoundingClientRect().width")
        assert cell_width >= PHONE["width"] / 2, (cell, cell_width)
    label = first.locator(".audit-time").evaluate("e => getComputedStyle(e, '::before').content")
    assert "时间" in label, label
    opinion = events.last.locator(".audit-reason")  # 退回 with the reviewer's opinion
    assert opinion.is_visible() and "意见" in opinion.evaluate("e => getComputedStyle(e, '::before').content")
    assert opinion.evaluate("e => e.getBoundingClientRect().right") <= width


LINES = "e => { const r = document.createRange(); r.selectNodeContents(e); return r.getClientRects().length; }"


@pytest.mark.parametrize("width", [1366, 1000])
def test_timeline_keeps_its_table_on_wider_screens(page, filings, width):
    page.set_viewport_size({"width": width, "height": 900})
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{filings['returned']}/info")
    assert page.locator(".audit-timeline-table thead").is_visible()
    assert page_width(page) <= width
    screenshot(page, f"mobile-timeline-{width}")
    reason = page.locator(".audit-timeline .audit-event .audit-reason").last  # the last column is in view
    assert reason.evaluate("e => e.getBoundingClientRect().right") <= width
    for event in page.locator(".audit-timeline .audit-event").all():
        # the time and the status change are never broken over two lines (they were squeezed before)
        assert event.locator(".audit-time").evaluate(LINES) == 1
        assert event.locator(".audit-status").evaluate(LINES) == 1, event.locator(".audit-status").inner_text()

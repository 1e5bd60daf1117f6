"""Every write is audited (DESIGN §7): creating, editing and deleting the filing's tabs, each child row and each
material writes one AuditEvent per save with a before/after diff, ID numbers masked, attached to the filing
(``filing_id``) so the timelines of both sides show it — also after the row itself is gone."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from actions import attachments, filings
from models.audit import AuditEvent
from models.base import db
from queries.audit import timeline_events
from tests import factories as f
from tests.factories import PDF_BYTES

CLASS = {"occupation_code": "6-18-01-01", "skill_level": "4", "start_date": "2027-03-01", "end_date": "2028-02-29",
         "hours": "400", "planned_headcount": "10"}
TEACHER = {"name": "陈导师", "phone": "13900139000", "kind": "ENTERPRISE", "title": "高级技师"}
TRAINEE = {"name": "张三", "phone": "13700137000", "education": "BACHELOR", "contract_start": "2026-01-01",
           "contract_end": "2028-12-31", "hire_date": "2026-01-01"}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()


def _last() -> AuditEvent:
    return db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()


def _events(filing_id: int) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.filing_id == filing_id)
                                   .order_by(AuditEvent.id)))


def _new_filing():
    return filings.create_filing(db.session, f.actor("ent_gz"), "ENTERPRISE", "NEW_APPRENTICE", True)


def test_tab_saves_are_audited_with_a_diff(ctx):
    actor = f.actor("ent_gz")
    filing = _new_filing()
    filings.save_filing_info(db.session, actor, filing.id, {"contact_name": "李测试", "contact_phone": "13800138001"})
    event = _last()
    assert (event.action, event.entity, event.entity_id, event.filing_id) == ("update", "filing", filing.id, filing.id)
    assert event.diff["changes"]["contact_name"][1] == "李测试"
    assert event.actor_name == "ent_gz" and event.enterprise_id == filing.enterprise_id
    count = len(_events(filing.id))
    filings.save_filing_info(db.session, actor, filing.id, {"contact_name": "李测试", "contact_phone": "13800138001"})
    assert len(_events(filing.id)) == count  # a save that changes nothing writes nothing
    filings.save_institution(db.session, actor, filing.id, {"institution_id": "other",
                                                            "other_institution_name": "某职业培训学校"})
    assert _last().diff["changes"]["other_institution_name"] == [None, "某职业培训学校"]


@pytest.mark.parametrize("kind,data,edit", [
    ("training_class", CLASS, {"hours": "480"}),
    ("teacher", TEACHER, {"title": "技师"}),
    ("trainee", TRAINEE, {"phone": "13700137999"}),
])
def test_child_rows_create_edit_delete_audited(ctx, kind, data, edit):
    actor = f.actor("ent_gz")
    filing = _new_filing()
    if kind in ("teacher", "trainee"):
        data = {**data, "id_number": f.id_number(birth="19900101")}
    row = filings.save_child(db.session, actor, kind, filing.id, data)
    created = _last()
    assert (created.action, created.entity, created.entity_id, created.filing_id) == ("create", kind, row.id,
                                                                                      filing.id)
    assert created.diff["row"]
    if "id_number" in data:
        masked = created.diff["changes"]["id_number"][1]
        assert "*" in masked and masked != data["id_number"] and masked[-4:] == data["id_number"][-4:]
    filings.save_child(db.session, actor, kind, filing.id, {**data, **edit}, pk=row.id)
    updated = _last()
    assert updated.action == "update"
    key = next(iter(edit))
    assert list(updated.diff["changes"]) == [key]
    assert str(updated.diff["changes"][key][1]) == str(int(edit[key]) if key == "hours" else edit[key])
    row_id = row.id
    filings.delete_child(db.session, actor, kind, row_id)
    deleted = _last()
    assert (deleted.action, deleted.entity_id, deleted.filing_id) == ("delete", row_id, filing.id)
    assert deleted.diff["changes"][key][1] is None  # the whole row as it was, kept in the trail
    db.session.commit()
    # the timeline of both sides shows all three saves, the deleted row included
    actions = [(e.entity, e.action) for e in timeline_events(db.session, actor, filing)]
    assert [(kind, "create"), (kind, "update"), (kind, "delete")] == [a for a in actions if a[0] == kind]


def test_course_events_belong_to_the_filing(ctx):
    actor = f.actor("ent_gz")
    filing = f.complete_filing(f.demo_enterprise("ent_gz").id)
    course = filing.classes[0].courses[0]
    filings.save_child(db.session, actor, "course", filing.id,
                       {"training_class_id": course.training_class_id, "name": "新课程名", "mode": "OFFLINE",
                        "hours": "40", "teacher_id": course.teacher_id}, pk=course.id)
    event = _last()
    assert (event.entity, event.filing_id, event.enterprise_id, event.city_code) == (
        "course", filing.id, filing.enterprise_id, filing.city_code)
    assert event.diff["changes"]["name"] == ["数控车削实训", "新课程名"]


def test_attachments_audited(ctx):
    actor = f.actor("ent_gz")
    filing = _new_filing()
    row = attachments.add_attachment(db.session, actor, filing.id, "TRAINING_PLAN", "计划.pdf", PDF_BYTES)
    event = _last()
    assert (event.action, event.entity, event.filing_id) == ("create", "attachment", filing.id)
    assert event.diff["changes"]["file_name"] == [None, "计划.pdf"]
    attachments.delete_attachment(db.session, actor, row.id)
    assert (_last().action, _last().entity) == ("delete", "attachment")


def test_attachment_names_lose_control_characters(ctx):
    """A name with CR/LF/NUL would break every later download's Content-Disposition header: stripped on upload."""
    row = attachments.add_attachment(db.session, f.actor("ent_gz"), _new_filing().id, "OTHER",
                                 "a\r\nb\x00c.pdf", PDF_BYTES)
    assert row.file_name == "abc.pdf"


def test_refused_edit_writes_nothing(ctx):
    actor = f.actor("ent_gz")
    filing = _new_filing()
    db.session.commit()
    before = len(_events(filing.id))
    with pytest.raises(Exception):
        filings.save_child(db.session, actor, "trainee", filing.id, {**TRAINEE, "id_number": "123"})
    db.session.rollback()
    assert len(_events(filing.id)) == before


def test_timelines_show_each_save_in_chinese_with_ids_masked(app):
    """Both sides' timelines list the saves, grouped per save, as 字段：旧值 → 新值 (ID numbers masked)."""
    from tests.conftest import login

    with app.app_context():
        actor = f.actor("ent_gz")
        filing = f.complete_filing(f.demo_enterprise("ent_gz").id)
        filing.classes[0].planned_headcount = 10
        filings.save_filing_info(db.session, actor, filing.id, {"contact_name": "王经办",
                                                                "contact_phone": "13912345678"})
        number = f.id_number(birth="19910203")
        filings.save_child(db.session, actor, "trainee", filing.id, {**TRAINEE, "id_number": number})
        filings.submit(db.session, actor, filing.id)
        db.session.commit()
        filing_id = filing.id
    for username, url in (("ent_gz", f"/filing/{filing_id}/info"), ("gz_reviewer", f"/review/filing/{filing_id}")):
        client = app.test_client()
        login(client, username)
        html = client.get(url).get_data(as_text=True)
        assert "联系电话</span>：<span class=\"audit-old\">13800138000</span> → <span class=\"audit-new\">13912345678" \
            in html, username
        assert "文化程度</span>：<span class=\"audit-old\">—</span> → <span class=\"audit-new\">本科" in html
        timeline = html.split('class="audit-timeline"', 1)[1].split("</table>", 1)[0]
        assert number not in timeline and number[:6] + "********" + number[-4:] in timeline

"""审核管理 → 补贴审核 (R21–R23) through the Flask test client, as the users would use it: the queue (scope, order,
filters, paging), the detail (unit and bank info, class, totals, materials, persons with pre-checks and attendance,
search and paging), the per-person decisions (lowered with a reason, never raised, input kept), 审核通过 (sums) and
退回 (opinion required), CSRF, roles and scope (404 / 403)."""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.subsidies import claims
from actions.workflow import run
from models.base import db
from models.enums import ClaimStatus
from models.filing import Attachment, Filing, Trainee, TrainingClass
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from seed import demo_running_class
from tests import factories
from tests.conftest import csrf_token_from, login

PDF = factories.PDF_BYTES
SEQ = iter(range(1, 10_000))


# ---- builders ------------------------------------------------------------------------------------------------


def _running_class() -> TrainingClass:
    """ent_gz's demo class running for two months (6 trainees, 杨帆 at 50 % attendance)."""
    demo_running_class.seed(db.session)
    db.session.commit()
    return db.session.scalars(select(TrainingClass).join(Filing)
                              .where(Filing.enterprise_id == factories.demo_enterprise("ent_gz").id)
                              .order_by(TrainingClass.id.desc())).first()


def submitted_claim(app, names=("张晓明", "李思雨")) -> dict:
    """A SUBMITTED ADVANCE claim of ent_gz built by the actions (persons pre-checked and priced at submit)."""
    with app.app_context():
        cls = _running_class()
        ent = factories.actor("ent_gz")
        claim = claims.create_claim(db.session, ent, {"training_class_id": cls.id, "stage": "ADVANCE",
                                                      "commitment_accepted": True})
        ids = db.session.scalars(select(Trainee.id).where(Trainee.filing_id == cls.filing_id,
                                                          Trainee.name.in_(names))).all()
        claims.add_persons(db.session, ent, claim.id, trainee_ids=ids)
        for kind in claims.REQUIRED_KINDS[claim.stage]:
            claims.add_claim_attachment(db.session, ent, claim.id, kind, f"{kind}.pdf", PDF)
        db.session.commit()
        run(db.session, ent, "subsidy_claim", "submit", claim.id)
        db.session.commit()
        persons = {p.trainee.name: (p.id, p.amount) for p in claim.persons}
        attachment = db.session.scalars(select(Attachment.id).where(Attachment.subsidy_claim_id == claim.id)).first()
        return {"id": claim.id, "persons": persons, "requested": claim.requested_amount,
                "filing_no": claim.filing.filing_no, "attachment": attachment}


def claim_rows(username: str, status: str, submitted_at=None, persons: int = 1, stage: str = "ADVANCE",
               amount: int = 2200) -> int:
    """A claim of ``status`` written directly (an APPROVED filing of its own with ``persons`` trainees)."""
    ent = factories.demo_enterprise(username)
    filing = factories.complete_filing(ent.id, status="APPROVED", trainees=persons)
    filing.filing_no = f"XT{filing.city_code}-2026-{800000 + next(SEQ):06d}"
    held = None if status in ("DRAFT", "RETURNED") else True
    claim = SubsidyClaim(enterprise_id=ent.id, city_code=filing.city_code, filing_id=filing.id,
                         training_class_id=filing.classes[0].id, stage=stage, status=status,
                         commitment_accepted=True, bank_name="中国工商银行", bank_account_name=ent.name,
                         bank_account_no="3602000109200012345", contact_name="李四", contact_phone="13800138000",
                         requested_amount=None if status == "DRAFT" else amount * persons,
                         approved_amount=amount * persons if status == "APPROVED" else None,
                         submitted_at=submitted_at)
    db.session.add(claim)
    db.session.flush()
    for t in filing.trainees:
        db.session.add(SubsidyClaimPerson(subsidy_claim_id=claim.id, trainee_id=t.id, stage=stage, held=held,
                                          amount=amount))
    db.session.commit()
    return claim.id


def queue_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-claim-id="(\d+)"', html)]


def reviewer(app, username: str = "gz_reviewer"):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def token_of(client, claim_id: int) -> str:
    return csrf_token_from(client.get(f"/review/claims/{claim_id}").get_data(as_text=True))


# ---- queue ---------------------------------------------------------------------------------------------------


def test_queue_scope_and_order(app):
    now = datetime(2026, 6, 10, 2, 0)
    with app.app_context():
        old_pending = claim_rows("ent_gz", "SUBMITTED", now - timedelta(days=5), persons=3)
        new_pending = claim_rows("ent_gz", "SUBMITTED", now - timedelta(days=1))
        newest_done = claim_rows("ent_gz", "APPROVED", now)
        returned = claim_rows("ent_gz", "RETURNED", now - timedelta(days=2))
        draft = claim_rows("ent_gz", "DRAFT")
        shenzhen = claim_rows("ent_sz", "SUBMITTED", now)
    gz = reviewer(app)
    page = gz.get("/review/claims/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert queue_ids(html) == [new_pending, old_pending, newest_done, returned]  # pending first, then newest
    assert draft not in queue_ids(html) and shenzhen not in queue_ids(html)
    row = html.split(f'data-claim-id="{old_pending}"')[1].split("</tr>")[0]
    assert "预拨" in row and "6600.00" in row and "已提交待审核" in row and ">3</td>" in row and "审核" in row
    assert "查看" in html.split(f'data-claim-id="{newest_done}"')[1].split("</tr>")[0]
    sz_html = reviewer(app, "sz_reviewer").get("/review/claims/").get_data(as_text=True)
    assert queue_ids(sz_html) == [shenzhen]
    admin = reviewer(app, "admin").get("/review/claims/").get_data(as_text=True)
    assert set(queue_ids(admin)) >= {old_pending, new_pending, newest_done, returned, draft, shenzhen}
    assert "只读" in admin


def test_queue_filters(app):
    with app.app_context():
        advance = claim_rows("ent_gz", "SUBMITTED", datetime(2026, 5, 3, 4, 0))
        balance = claim_rows("ent_gz", "APPROVED", datetime(2026, 6, 20, 4, 0), stage="BALANCE")
        filing_no = db.session.get(SubsidyClaim, balance).filing.filing_no
        uscc = factories.demo_enterprise("ent_gz").uscc
        name = factories.demo_enterprise("ent_gz").name
    gz = reviewer(app)

    def ids(**args):
        response = gz.get("/review/claims/", query_string=args)
        assert response.status_code == 200
        return set(queue_ids(response.get_data(as_text=True)))

    assert ids(stage="BALANCE") == {balance}
    assert ids(status="SUBMITTED") == {advance}
    assert ids(filing_no=filing_no[-6:]) == {balance}
    assert ids(enterprise=uscc[:10]) == {advance, balance} == ids(enterprise=name[:3])
    assert ids(enterprise="没有这个单位") == set()
    assert ids(submitted_from="2026-06-01") == {balance}
    assert ids(submitted_to="2026-05-31") == {advance}
    bad = gz.get("/review/claims/", query_string={"submitted_from": "2026-13-45", "stage": "ADVANCE"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 200 and 'id="submitted_from-error"' in html and "格式不正确" in html
    assert 'value="2026-13-45"' in html and set(queue_ids(html)) == {advance}  # the bad date is shown, not applied
    assert ids(stage="NONSENSE") == {advance, balance}  # an unknown code is dropped
    assert ids(status="DRAFT") == set()  # a reviewer never sees drafts, even when asking for them


def test_queue_pages_on_the_server(app):
    with app.app_context():
        made = [claim_rows("ent_gz", "SUBMITTED", datetime(2026, 6, 1) + timedelta(hours=i)) for i in range(23)]
    gz = reviewer(app)
    first = gz.get("/review/claims/").get_data(as_text=True)
    second = gz.get("/review/claims/?page=2").get_data(as_text=True)
    assert len(queue_ids(first)) == 20 and queue_ids(second) == list(reversed(made))[20:]
    assert "共 23 条记录" in first and "page=2" in first
    assert queue_ids(gz.get("/review/claims/?page=x").get_data(as_text=True)) == queue_ids(first)


def test_enterprise_users_are_refused(app):
    made = submitted_claim(app)
    client = app.test_client()
    login(client, "ent_gz")
    assert client.get("/review/claims/").status_code == 403
    assert client.get(f"/review/claims/{made['id']}").status_code == 403
    assert client.get(f"/review/claims/attachment/{made['attachment']}").status_code == 403
    token = csrf_token_from(client.get("/").get_data(as_text=True))
    person_id, _ = made["persons"]["张晓明"]
    assert client.post(f"/review/claims/person/{person_id}/decide",
                       data={"approved_amount": "1", "reason": "x", "csrf_token": token}).status_code == 403
    assert client.post(f"/review/claims/{made['id']}/approve", data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(SubsidyClaim, made["id"]).status == ClaimStatus.SUBMITTED


# ---- detail --------------------------------------------------------------------------------------------------


def test_detail_shows_everything_the_reviewer_needs(app):
    made = submitted_claim(app, names=("张晓明", "刘子轩"))
    gz = reviewer(app)
    response = gz.get(f"/review/claims/{made['id']}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    with app.app_context():
        claim = db.session.get(SubsidyClaim, made["id"])
        ent, cls = claim.enterprise, claim.training_class
        numbers = {p.trainee.name: p.trainee.id_number for p in claim.persons}
        levels = cls.level.name
    for text in (ent.name, ent.uscc, claim.bank_account_no, claim.bank_name, made["filing_no"], cls.occupation_code,
                 levels, str(cls.start_date), "预拨", "已提交待审核"):
        assert text in html, text
    assert f'id="total-requested">{made["requested"]}<' in html
    assert f'id="total-approved">{made["requested"]}<' in html  # undecided persons count as claimed
    assert numbers["张晓明"] in html  # full ID number for the reviewer on the detail
    row = html.split(f'id="person-{made["persons"]["刘子轩"][0]}"')[1].split("</tr>")[0]
    assert 'data-check="attendance"' in row and "出勤率" in row and "fa-check" in row
    assert re.search(r"\d+ / \d+（87\.5%）", row)  # the live attendance in the class (R24)
    assert f'value="{made["persons"]["刘子轩"][1]}"' in row  # 核定金额 defaults to the claimed amount
    assert 'id="btn-approve"' in html and 'id="btn-return"' in html
    assert f'/review/claims/attachment/{made["attachment"]}' in html
    download = gz.get(f"/review/claims/attachment/{made['attachment']}")
    assert download.status_code == 200 and download.data == PDF
    # the admin reads it with ID numbers masked and no form
    admin_html = reviewer(app, "admin").get(f"/review/claims/{made['id']}").get_data(as_text=True)
    assert numbers["张晓明"] not in admin_html and "身份证号码已部分隐藏" in admin_html
    assert 'id="decision-form"' not in admin_html and "btn-decide-" not in admin_html and "只读" in admin_html


def test_other_city_and_drafts_are_404(app):
    made = submitted_claim(app)
    with app.app_context():
        draft = claim_rows("ent_gz", "DRAFT")
        draft_attachment = Attachment(subsidy_claim_id=draft, kind="TRAINING_PLAN", file_name="a.pdf",
                                      media_type="application/pdf", size=len(PDF),
                                      sha256=hashlib.sha256(PDF).hexdigest(), content=PDF)
        db.session.add(draft_attachment)
        db.session.commit()
        draft_attachment_id = draft_attachment.id
        draft_person = db.session.scalars(select(SubsidyClaimPerson.id)
                                          .where(SubsidyClaimPerson.subsidy_claim_id == draft)).first()
        filing_attachment = db.session.scalars(select(Attachment.id).where(Attachment.filing_id.is_not(None))).first()
    sz = reviewer(app, "sz_reviewer")
    person_id, _ = made["persons"]["张晓明"]
    token = csrf_token_from(sz.get("/review/claims/").get_data(as_text=True))
    assert sz.get(f"/review/claims/{made['id']}").status_code == 404
    assert sz.get(f"/review/claims/attachment/{made['attachment']}").status_code == 404
    assert sz.post(f"/review/claims/person/{person_id}/decide",
                   data={"approved_amount": "0", "reason": "x", "csrf_token": token}).status_code == 404
    assert sz.post(f"/review/claims/{made['id']}/return",
                   data={"opinion": "x", "csrf_token": token}).status_code == 404
    gz = reviewer(app)
    assert gz.get(f"/review/claims/{draft}").status_code == 404
    assert gz.get(f"/review/claims/attachment/{draft_attachment_id}").status_code == 404
    assert gz.get(f"/review/claims/attachment/{filing_attachment}").status_code == 404  # a filing's: not here
    assert gz.post(f"/review/claims/person/{draft_person}/decide",
                   data={"approved_amount": "0", "reason": "x", "csrf_token": token_of(gz, made["id"])}
                   ).status_code == 404
    assert gz.get("/review/claims/999999").status_code == 404
    with app.app_context():
        person = db.session.get(SubsidyClaimPerson, person_id)
        assert person.decision is None and person.approved_amount is None


def test_persons_page_and_search(app):
    with app.app_context():
        claim_id = claim_rows("ent_gz", "SUBMITTED", datetime(2026, 6, 1), persons=55)
        names = db.session.scalars(select(Trainee.name).join(SubsidyClaimPerson,
                                                             SubsidyClaimPerson.trainee_id == Trainee.id)
                                   .where(SubsidyClaimPerson.subsidy_claim_id == claim_id)
                                   .order_by(SubsidyClaimPerson.id)).all()
        number = db.session.scalars(select(Trainee.id_number).where(Trainee.name == names[30])
                                    .join(SubsidyClaimPerson, SubsidyClaimPerson.trainee_id == Trainee.id)
                                    .where(SubsidyClaimPerson.subsidy_claim_id == claim_id)).one()
    gz = reviewer(app)

    def rows(**args):
        html = gz.get(f"/review/claims/{claim_id}", query_string=args).get_data(as_text=True)
        return re.findall(r'data-person-id="(\d+)"', html), html

    first, html = rows()
    assert len(first) == 20 and "共 55 人" in html and "第 1 / 3 页" in html
    third, _ = rows(page=3)
    assert len(third) == 15 and not set(third) & set(first)
    fifty, _ = rows(size=50, page=2)
    assert len(fifty) == 5
    odd, _ = rows(size=7)
    assert len(odd) == 20  # only 20 / 50 / 100
    found, html = rows(q=number)
    assert len(found) == 1 and "共 1 人" in html
    found, _ = rows(q="学员1")  # 学员1, 学员10…学员19
    assert len(found) == 11


# ---- per-person decisions (R23) --------------------------------------------------------------------------------


def test_lower_needs_reason_and_raise_is_refused_keeping_input(app):
    made = submitted_claim(app)
    gz = reviewer(app)
    token = token_of(gz, made["id"])
    person_id, claimed = made["persons"]["张晓明"]
    url = f"/review/claims/person/{person_id}/decide"
    lower = gz.post(url, data={"approved_amount": "1000.50", "reason": "", "csrf_token": token})
    html = lower.get_data(as_text=True)
    assert lower.status_code == 422
    row = html.split(f'id="person-{person_id}"')[1].split("</tr>")[0]
    assert 'value="1000.50"' in row and f'id="reason-{person_id}-error"' in row and "核减原因" in row
    raise_ = gz.post(url, data={"approved_amount": str(claimed + 1), "reason": "多给", "csrf_token": token})
    row = raise_.get_data(as_text=True).split(f'id="person-{person_id}"')[1].split("</tr>")[0]
    assert raise_.status_code == 422 and f'id="amount-{person_id}-error"' in row and "不能高于申请金额" in row
    assert f'value="{claimed + 1}"' in row and 'value="多给"' in row
    bad = gz.post(url, data={"approved_amount": "两千", "reason": "", "csrf_token": token})
    assert bad.status_code == 422 and 'value="两千"' in bad.get_data(as_text=True)
    with app.app_context():
        person = db.session.get(SubsidyClaimPerson, person_id)
        assert person.decision is None and person.approved_amount is None
    ok = gz.post(url, data={"approved_amount": "1000.50", "reason": "缺勤核减", "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"#person-{person_id}")
    html = gz.get(ok.headers["Location"]).get_data(as_text=True)
    assert "已核定 张晓明" in html
    expected = made["requested"] - claimed + Decimal("1000.50")
    assert f'id="total-approved">{expected}<' in html and "其中核减 1 人" in html
    with app.app_context():
        person = db.session.get(SubsidyClaimPerson, person_id)
        assert (person.decision, person.approved_amount, person.decision_reason) == (
            "LOWERED", Decimal("1000.50"), "缺勤核减")


def test_csrf_is_required(app):
    made = submitted_claim(app)
    gz = reviewer(app)
    person_id, _ = made["persons"]["张晓明"]
    assert gz.post(f"/review/claims/person/{person_id}/decide",
                   data={"approved_amount": "100", "reason": "x"}).status_code == 400
    assert gz.post(f"/review/claims/{made['id']}/approve", data={"opinion": "同意"}).status_code == 400
    with app.app_context():
        claim = db.session.get(SubsidyClaim, made["id"])
        assert claim.status == ClaimStatus.SUBMITTED and claim.persons[0].decision is None


def test_approve_sums_the_decisions_and_locks_the_page(app):
    made = submitted_claim(app)
    gz = reviewer(app)
    token = token_of(gz, made["id"])
    person_id, claimed = made["persons"]["李思雨"]
    gz.post(f"/review/claims/person/{person_id}/decide",
            data={"approved_amount": "500", "reason": "证明材料不全", "csrf_token": token})
    done = gz.post(f"/review/claims/{made['id']}/approve", data={"opinion": "", "csrf_token": token})
    assert done.status_code == 302
    html = gz.get(done.headers["Location"]).get_data(as_text=True)
    expected = made["requested"] - claimed + Decimal("500.00")
    assert "补贴申请已审核通过" in html and f'id="total-approved">{expected}<' in html
    assert 'id="decision-form"' not in html and "btn-decide-" not in html and "证明材料不全" in html
    with app.app_context():
        claim = db.session.get(SubsidyClaim, made["id"])
        assert claim.status == ClaimStatus.APPROVED and claim.approved_amount == expected
    # decided: a late per-person decision is refused (409) with nothing changed
    late = gz.post(f"/review/claims/person/{person_id}/decide",
                   data={"approved_amount": "100", "reason": "x", "csrf_token": token})
    assert late.status_code == 409 and "不在待审核状态" in late.get_data(as_text=True)
    queue = gz.get("/review/claims/").get_data(as_text=True)
    assert str(expected) in queue.split(f'data-claim-id="{made["id"]}"')[1].split("</tr>")[0]


def test_return_requires_an_opinion(app):
    made = submitted_claim(app)
    gz = reviewer(app)
    token = token_of(gz, made["id"])
    empty = gz.post(f"/review/claims/{made['id']}/return", data={"opinion": "  ", "csrf_token": token})
    assert empty.status_code == 422 and 'id="opinion-error"' in empty.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(SubsidyClaim, made["id"]).status == ClaimStatus.SUBMITTED
    done = gz.post(f"/review/claims/{made['id']}/return", data={"opinion": "请补充培训计划", "csrf_token": token},
                   follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "已退回" in html and "请补充培训计划" in html
    with app.app_context():
        claim = db.session.get(SubsidyClaim, made["id"])
        assert claim.status == ClaimStatus.RETURNED and claim.review_opinion == "请补充培训计划"
        assert all(p.held is None for p in claim.persons)  # released (R21)


@pytest.mark.parametrize("action", ["submit", "cancel", "delete", "nonsense"])
def test_only_the_reviewer_rows_are_posted_here(app, action):
    made = submitted_claim(app)
    gz = reviewer(app)
    response = gz.post(f"/review/claims/{made['id']}/{action}", data={"csrf_token": token_of(gz, made["id"])})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(SubsidyClaim, made["id"]).status == ClaimStatus.SUBMITTED


def test_cancelled_meanwhile_answers_without_data(app):
    made = submitted_claim(app)
    gz = reviewer(app)
    token = token_of(gz, made["id"])
    with app.app_context():
        run(db.session, factories.actor("ent_gz"), "subsidy_claim", "cancel", made["id"])
        db.session.commit()
    person_id, _ = made["persons"]["张晓明"]
    late = gz.post(f"/review/claims/person/{person_id}/decide",
                   data={"approved_amount": "1", "reason": "x", "csrf_token": token})
    assert late.status_code == 404  # a draft again: out of the reviewer's sight
    late = gz.post(f"/review/claims/{made['id']}/approve", data={"opinion": "", "csrf_token": token})
    assert late.status_code == 404
    with app.app_context():
        assert db.session.get(SubsidyClaim, made["id"]).status == ClaimStatus.DRAFT


def test_menu_and_home_entry(app):
    gz = reviewer(app)
    home = gz.get("/").get_data(as_text=True)
    assert "补贴审核" in home and "/review/claims/" in home
    admin = reviewer(app, "admin").get("/").get_data(as_text=True)
    assert "/review/claims/" in admin
    client = app.test_client()
    login(client, "ent_gz")
    assert "/review/claims/" not in client.get("/").get_data(as_text=True)


def test_statements_do_not_grow_with_the_rows(app):
    """Queue and detail run a fixed number of statements whatever the page holds (no per-row query)."""
    from sqlalchemy import event

    gz = reviewer(app)

    def statements(url: str) -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert gz.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len(seen)

    with app.app_context():
        small = claim_rows("ent_gz", "SUBMITTED", datetime(2026, 6, 1), persons=2)
    few_queue, few_detail = statements("/review/claims/"), statements(f"/review/claims/{small}")
    with app.app_context():
        large = claim_rows("ent_gz", "SUBMITTED", datetime(2026, 6, 2), persons=30)
        for i in range(8):
            claim_rows("ent_gz", "APPROVED", datetime(2026, 5, 1) + timedelta(days=i), persons=2)
    assert statements("/review/claims/") == few_queue
    assert statements(f"/review/claims/{large}") == few_detail

"""ID numbers on pages follow one policy (issue 12; written in ``core.validators.mask_id_number``):

- lists (单位培训人员查询, 查看考勤's 培训人员 / 培训师资 tabs, the claim's 新增人员 picker) are masked for everyone;
- a record's own detail (a filing's 培训师资 / 培训人员 tabs, 备案审核, 师资信息变更 / 变更审核, a claim's 人员信息 /
  补贴审核) shows the full number to the owning enterprise and the city reviewer, the masked one to the provincial
  admin.

One table of pages × roles; each cell asserts that the page opens and shows the number full (and never masked) or
masked (and never full, anywhere in the HTML, attributes included).
"""
from __future__ import annotations

import pytest

from actions import changes
from actions.workflow import run
from core.validators import mask_id_number, shown_id_number
from models.base import db
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from tests import factories
from tests.conftest import login

FULL, MASKED = "full", "masked"
TRAINEE_NO = factories.id_number(birth="19960616", seq=731)
TEACHER_NO = factories.id_number(birth="19790909", seq=732)
NEW_TEACHER_NO = factories.id_number(birth="19850303", seq=733)

#: page → (url template, the number it shows, {username: FULL | MASKED})
PAGES = {
    # a record's own detail: owner and city reviewer full, admin masked
    "filing 培训人员 tab": ("/filing/{filing}/trainees", TRAINEE_NO,
                         {"ent_gz": FULL, "gz_reviewer": FULL, "admin": MASKED}),
    "filing 培训师资 tab": ("/filing/{filing}/teachers", TEACHER_NO,
                         {"ent_gz": FULL, "gz_reviewer": FULL, "admin": MASKED}),
    "备案审核 detail (trainees)": ("/review/filing/{filing}", TRAINEE_NO, {"gz_reviewer": FULL, "admin": MASKED}),
    "备案审核 detail (teachers)": ("/review/filing/{filing}", TEACHER_NO, {"gz_reviewer": FULL, "admin": MASKED}),
    "师资信息变更 (owner)": ("/changes/filing/{filing}/teachers", NEW_TEACHER_NO, {"ent_gz": FULL}),
    "变更审核 detail": ("/review/changes/{change}", NEW_TEACHER_NO, {"gz_reviewer": FULL, "admin": MASKED}),
    "claim 人员信息 tab": ("/claims/{claim}/persons", TRAINEE_NO, {"ent_gz": FULL}),
    "补贴审核 detail": ("/review/claims/{claim}", TRAINEE_NO, {"gz_reviewer": FULL, "admin": MASKED}),
    # lists: masked for everyone
    "单位培训人员查询": ("/enterprise/trainees/", TRAINEE_NO, {"ent_gz": MASKED}),
    "查看考勤 培训人员": ("/tracking/class/{cls}?tab=trainees", TRAINEE_NO,
                     {"ent_gz": MASKED, "gz_reviewer": MASKED, "admin": MASKED}),
    "查看考勤 培训师资": ("/tracking/class/{cls}?tab=teachers", TEACHER_NO,
                     {"ent_gz": MASKED, "gz_reviewer": MASKED, "admin": MASKED}),
    "新增人员 picker": ("/claims/{draft_claim}/persons/pick", TRAINEE_NO, {"ent_gz": MASKED}),
}


def build() -> dict:
    """An APPROVED ENTERPRISE filing of ent_gz (trainee TRAINEE_NO, teacher TEACHER_NO) with a SUBMITTED teacher
    change adding NEW_TEACHER_NO, a SUBMITTED claim holding the trainee and an empty DRAFT claim."""
    ent = factories.demo_enterprise("ent_gz")
    numbers = [TRAINEE_NO, factories.id_number(birth="19970707", seq=734)]
    filing = factories.complete_filing(ent.id, status="APPROVED", trainees=2, id_numbers=numbers)
    filing.filing_no = f"XT{filing.city_code}-2026-777001"
    filing.teachers[0].id_number = TEACHER_NO
    db.session.commit()
    actor = factories.actor("ent_gz")
    change = changes.open_teacher_change(db.session, actor, filing.id)
    changes.add_new_teacher(db.session, actor, change.id, {
        "name": "新导师", "id_number": NEW_TEACHER_NO, "phone": "13900139001", "kind": "ENTERPRISE", "title": "技师"})
    changes.save_reason(db.session, actor, change.id, "原导师调岗")
    db.session.commit()
    run(db.session, actor, "change_request", "submit", change.id)
    db.session.commit()
    claims = {}
    for status, stage in (("SUBMITTED", "ADVANCE"), ("DRAFT", "BALANCE")):
        claim = SubsidyClaim(enterprise_id=ent.id, city_code=filing.city_code, filing_id=filing.id,
                             training_class_id=filing.classes[0].id, stage=stage, status=status,
                             commitment_accepted=True, bank_name="中国工商银行", bank_account_name=ent.name,
                             bank_account_no="3602000109200012345", contact_name="李四",
                             contact_phone="13800138000", requested_amount=2200 if status == "SUBMITTED" else None)
        db.session.add(claim)
        db.session.flush()
        if status == "SUBMITTED":
            trainee = next(t for t in filing.trainees if t.id_number == TRAINEE_NO)
            db.session.add(SubsidyClaimPerson(subsidy_claim_id=claim.id, trainee_id=trainee.id, stage=stage,
                                              held=True, amount=2200))
        claims[status] = claim.id
    db.session.commit()
    return {"filing": filing.id, "cls": filing.classes[0].id, "change": change.id, "claim": claims["SUBMITTED"],
            "draft_claim": claims["DRAFT"]}


CASES = [(page, user) for page, (_url, _no, roles) in PAGES.items() for user in roles]


@pytest.mark.parametrize("page,username", CASES, ids=[f"{p}-{u}" for p, u in CASES])
def test_id_number_shown_by_the_policy(app, page, username):
    url_template, number, roles = PAGES[page]
    with app.app_context():
        ids = build()
    client = app.test_client()
    assert login(client, username).status_code == 302
    response = client.get(url_template.format(**ids))
    html = response.get_data(as_text=True)
    assert response.status_code == 200, (page, username, response.status_code)
    if roles[username] == FULL:
        assert number in html, (page, username, "full number expected")
        assert mask_id_number(number) not in html
    else:
        assert mask_id_number(number) in html, (page, username, "masked number expected")
        assert number not in html, (page, username, "the full number leaks")


def test_shown_id_number():
    assert shown_id_number(" 440106199001011234 ", full=True) == "440106199001011234"
    assert shown_id_number("440106199001011234", full=False) == "440106********1234"
    assert shown_id_number(None, full=False) == ""

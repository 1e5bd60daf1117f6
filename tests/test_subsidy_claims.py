"""补贴申领 at the action level (R20–R23): the claim's creation after the 承诺书, unit info, persons, every pre-check
true and false (R21), submit / cancel / delete and the reviewer's per-person decisions and approval, state × role ×
scope, and the database index that holds "one claim per person and stage"."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from actions.subsidies import claims, decisions, prechecks
from actions.workflow import run
from core.clock import today
from core.errors import Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from models.audit import AuditEvent
from models.base import db
from models.enums import AttachmentKind, ClaimStage, ClaimStatus, ClassStatus, FilingStatus, TraineeStatus
from models.filing import Attachment, Filing, Trainee, TrainingClass
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from seed import demo_running_class
from tests import factories

PDF = factories.PDF_BYTES


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.rollback()


def running_class() -> TrainingClass:
    """ent_gz's demo class running for two months (6 trainees; 杨帆 at 50 % attendance, 刘子轩 at 87.5 %)."""
    demo_running_class.seed(db.session)
    db.session.commit()
    return db.session.scalars(select(TrainingClass).join(Filing).where(Filing.enterprise_id == factories.demo_enterprise("ent_gz").id)
                              .order_by(TrainingClass.id.desc())).first()


def ent(username: str = "ent_gz"):
    return factories.actor(username)


def new_claim(cls: TrainingClass, stage: str = ClaimStage.ADVANCE, username: str = "ent_gz") -> SubsidyClaim:
    claim = claims.create_claim(db.session, ent(username), {"training_class_id": cls.id, "stage": stage,
                                                            "commitment_accepted": True})
    db.session.commit()
    return claim


def trainee(cls: TrainingClass, name: str) -> Trainee:
    return db.session.scalars(select(Trainee).where(Trainee.filing_id == cls.filing_id, Trainee.name == name)).one()


def attach(claim: SubsidyClaim, *kinds: str) -> None:
    for kind in kinds or claims.REQUIRED_KINDS[claim.stage]:
        claims.add_claim_attachment(db.session, ent(), claim.id, kind, f"{kind}.pdf", PDF)
    db.session.commit()


def ready_claim(cls: TrainingClass, names=("张晓明", "李思雨")) -> SubsidyClaim:
    claim = new_claim(cls)
    claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, n).id for n in names])
    db.session.commit()
    attach(claim)
    return claim


def checks_of(result) -> dict[str, bool]:
    return {c["code"]: c["ok"] for c in result.checks}


# ---- R20 承诺书 and the claim ------------------------------------------------------------------------------


def test_commitment_first(ctx):
    cls = running_class()
    with pytest.raises(ValidationFailed) as exc:
        claims.create_claim(db.session, ent(), {"training_class_id": cls.id, "stage": "ADVANCE"})
    assert "承诺书" in str(exc.value.errors[0].message)
    assert db.session.scalar(select(func.count()).select_from(SubsidyClaim)) == 0


def test_claim_prefilled_from_the_enterprise(ctx):
    cls = running_class()
    claim = new_claim(cls)
    enterprise = factories.demo_enterprise("ent_gz")
    assert (claim.status, claim.stage, claim.filing_id) == (ClaimStatus.DRAFT, "ADVANCE", cls.filing_id)
    assert (claim.bank_name, claim.bank_account_name, claim.bank_account_no) == (
        enterprise.bank_name, enterprise.name, enterprise.bank_account_no)
    assert claim.commitment_accepted and claim.commitment_accepted_at is not None
    assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "subsidy_claim")).all() == ["create"]


def test_filing_id_with_one_class_is_enough(ctx):
    cls = running_class()
    claim = claims.create_claim(db.session, ent(), {"filing_id": cls.filing_id, "stage": "BALANCE",
                                                    "commitment_accepted": True})
    assert claim.training_class_id == cls.id


@pytest.mark.parametrize("data,field", [
    ({"stage": "LATER"}, "stage"), ({"stage": None}, "stage"), ({"training_class_id": "x"}, "training_class_id"),
])
def test_bad_create_input_is_named(ctx, data, field):
    cls = running_class()
    with pytest.raises(ValidationFailed) as exc:
        claims.create_claim(db.session, ent(), {"training_class_id": cls.id, "stage": "ADVANCE",
                                                "commitment_accepted": True, **data})
    assert field in {e.field for e in exc.value.errors}


def test_only_the_enterprise_of_an_approved_filing_claims(ctx):
    cls = running_class()
    data = {"training_class_id": cls.id, "stage": "ADVANCE", "commitment_accepted": True}
    with pytest.raises(NotFound):
        claims.create_claim(db.session, ent("ent_sz"), data)
    with pytest.raises(Forbidden):
        claims.create_claim(db.session, ent("gz_reviewer"), data)
    draft = factories.complete_filing(factories.demo_enterprise("ent_gz").id)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="审核通过"):
        claims.create_claim(db.session, ent(), {**data, "training_class_id": draft.classes[0].id})
    cls.status = ClassStatus.CANCELLED
    db.session.commit()
    with pytest.raises(ValidationFailed, match="注销"):
        claims.create_claim(db.session, ent(), data)


# ---- 单位基本信息 (R20) --------------------------------------------------------------------------------------


def test_unit_info_rules(ctx):
    claim = new_claim(running_class())
    good = {"bank_name": "中国银行广州分行", "bank_account_name": claim.enterprise.name,
            "bank_account_no": "6217 0000 1234 5678", "contact_name": "李四", "contact_phone": "13800138000"}
    claims.save_unit_info(db.session, ent(), claim.id, good)
    db.session.commit()
    assert claim.bank_account_no == "6217000012345678"
    for change, field in (({"bank_account_name": "别的公司"}, "bank_account_name"),
                          ({"bank_account_no": "62170000ABCD"}, "bank_account_no"),
                          ({"bank_account_no": "1234567"}, "bank_account_no"),
                          ({"bank_name": ""}, "bank_name"), ({"contact_phone": "12"}, "contact_phone")):
        with pytest.raises(ValidationFailed) as exc:
            claims.save_unit_info(db.session, ent(), claim.id, {**good, **change})
        db.session.rollback()
        assert field in {e.field for e in exc.value.errors}, change
    assert db.session.get(SubsidyClaim, claim.id).bank_account_no == "6217000012345678"
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.diff["changes"]["bank_account_no"][1] == "6217000012345678"


# ---- 人员信息 -----------------------------------------------------------------------------------------------


def test_add_persons_all_or_nothing(ctx):
    cls = running_class()
    claim = new_claim(cls)
    zhang = trainee(cls, "张晓明")
    with pytest.raises(ValidationFailed) as exc:
        claims.add_persons(db.session, ent(), claim.id, trainee_ids=[zhang.id],
                           id_numbers=["110101199003070011", "not-an-id"])
    db.session.rollback()
    assert len(exc.value.errors) == 2 and "没有身份证号码" in str(exc.value.errors[0].message)
    assert db.session.scalar(select(func.count()).select_from(SubsidyClaimPerson)) == 0
    assert claims.add_persons(db.session, ent(), claim.id, trainee_ids=[zhang.id],
                              id_numbers=[trainee(cls, "李思雨").id_number.lower()]) == 2
    db.session.commit()
    with pytest.raises(ValidationFailed, match="已在本申请"):
        claims.add_persons(db.session, ent(), claim.id, trainee_ids=[zhang.id])
    db.session.rollback()
    # a trainee of another filing (even the same enterprise's) is not this claim's
    other = factories.complete_filing(factories.demo_enterprise("ent_gz").id, status=FilingStatus.APPROVED)
    db.session.commit()
    with pytest.raises(ValidationFailed, match="不属于"):
        claims.add_persons(db.session, ent(), claim.id, trainee_ids=[other.trainees[0].id])


def test_add_all_and_remove(ctx):
    cls = running_class()
    claim = new_claim(cls)
    assert claims.add_all_persons(db.session, ent(), claim.id) == 6
    db.session.commit()
    with pytest.raises(ValidationFailed, match="没有可添加"):
        claims.add_all_persons(db.session, ent(), claim.id)
    db.session.rollback()
    ids = db.session.scalars(select(SubsidyClaimPerson.id).where(SubsidyClaimPerson.subsidy_claim_id == claim.id)).all()
    assert claims.remove_persons(db.session, ent(), claim.id, ids[:2]) == 2
    db.session.commit()
    assert db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == claim.id)) == 4
    other = new_claim(cls)
    with pytest.raises(NotFound):
        claims.remove_persons(db.session, ent(), other.id, ids[2:3])


def test_persons_of_a_submitted_claim_are_frozen(ctx):
    cls = running_class()
    claim = ready_claim(cls)
    run(db.session, ent(), "subsidy_claim", "submit", claim.id)
    db.session.commit()
    with pytest.raises(TransitionNotAllowed):
        claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, "王建华").id])
    db.session.rollback()
    with pytest.raises(TransitionNotAllowed):
        claims.update_person(db.session, ent(), claim.persons[0].id, {"certificate_no": "X"})


# ---- R21 pre-checks, each true and false ------------------------------------------------------------------


def test_advance_prechecks_of_the_running_class(ctx):
    cls = running_class()
    claim = new_claim(cls)
    claims.add_all_persons(db.session, ent(), claim.id)
    results = {r.name: r for r in prechecks.evaluate(db.session, claim)}
    assert set(checks_of(results["张晓明"])) == {"filing_approved", "not_lost", "class_normal", "class_started",
                                                "attendance", "not_claimed", "standard"}
    assert results["张晓明"].ok and results["刘子轩"].ok
    assert checks_of(results["杨帆"])["attendance"] is False
    assert "出勤率 50.0%（32/64 学时），低于 80.0%" in results["杨帆"].failures[0]
    assert "87.5%" in next(c["message"] for c in results["刘子轩"].checks if c["code"] == "attendance")
    # 企业新型学徒制 四级 5500 × 1 year × 40 %
    assert results["张晓明"].amount == Decimal("2200.00")


def test_precheck_failures_name_their_reason(ctx):
    cls = running_class()
    claim = new_claim(cls)
    claims.add_all_persons(db.session, ent(), claim.id)
    lost = trainee(cls, "王建华")
    lost.status, lost.lost_date = TraineeStatus.LOST, today()
    db.session.commit()
    result = {r.name: r for r in prechecks.evaluate(db.session, claim)}["王建华"]
    assert checks_of(result)["not_lost"] is False and "流失" in result.failures[0]
    cls.start_date = today() + timedelta(days=3)
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["class_started"] is False and "尚未开班" in " ".join(result.failures)
    cls.status = ClassStatus.CANCELLED
    claim.filing.status = FilingStatus.CANCELLED
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["class_normal"] is False and checks_of(result)["filing_approved"] is False


def test_balance_prechecks(ctx):
    cls = running_class()
    claim = new_claim(cls, ClaimStage.BALANCE)
    zhang = trainee(cls, "张晓明")
    claims.add_persons(db.session, ent(), claim.id, trainee_ids=[zhang.id])
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["class_ended"] is False and "尚未结业" in result.failures[0]
    assert checks_of(result)["certificate"] is False
    assert "class_started" not in checks_of(result)
    person = claim.persons[0]
    claims.update_person(db.session, ent(), person.id, {"certificate_no": "S440100001", "skill_level": "5"})
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["certificate"] is False and "低于培训目标等级" in " ".join(result.failures)
    claims.update_person(db.session, ent(), person.id, {"certificate_no": "S440100001", "skill_level": 4})
    cls.end_date = today() - timedelta(days=1)
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["certificate"] and checks_of(result)["class_ended"]
    # BALANCE = 5500 × years − the approved advance (none yet)
    assert result.amount == Decimal("5500.00")


def test_attendance_without_ended_courses(ctx):
    cls = running_class()
    cls.start_date = today() - timedelta(days=1)
    for course in cls.courses:
        if course.end_date and course.end_date < today():
            course.start_date = course.end_date = today() + timedelta(days=30)
    db.session.commit()
    advance = new_claim(cls)
    balance = new_claim(cls, ClaimStage.BALANCE)
    for claim in (advance, balance):
        claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, "张晓明").id])
    db.session.commit()
    ok_advance = prechecks.evaluate(db.session, advance)[0]
    assert checks_of(ok_advance)["attendance"] and "暂不考核" in ok_advance.checks[4]["message"]
    assert checks_of(prechecks.evaluate(db.session, balance)[0])["attendance"] is False


def test_threshold_is_configurable(ctx, app):
    cls = running_class()
    claim = new_claim(cls)
    claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, "杨帆").id])
    assert app.config["ATTENDANCE_THRESHOLD"] == 0.8  # config.py default (DESIGN R21)
    app.config["ATTENDANCE_THRESHOLD"] = 0.5
    try:
        assert prechecks.evaluate(db.session, claim)[0].ok
    finally:
        app.config["ATTENDANCE_THRESHOLD"] = 0.8
    assert not prechecks.evaluate(db.session, claim)[0].ok


def test_no_standard_fails(ctx):
    from models.lookups import SubsidyStandard

    cls = running_class()
    claim = new_claim(cls)
    claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, "张晓明").id])
    db.session.execute(update(SubsidyStandard).values(valid_from=today() + timedelta(days=400)))
    db.session.commit()
    result = prechecks.evaluate(db.session, claim)[0]
    assert checks_of(result)["standard"] is False and "未找到适用的补贴标准" in result.failures[0]
    assert result.amount is None


def test_double_claim_is_named_and_held_by_the_database(ctx):
    cls = running_class()
    first = ready_claim(cls)
    run(db.session, ent(), "subsidy_claim", "submit", first.id)
    db.session.commit()
    second = ready_claim(cls, names=("张晓明", "王建华"))
    result = {r.name: r for r in prechecks.evaluate(db.session, second)}
    assert checks_of(result["张晓明"])["not_claimed"] is False
    assert f"编号 {first.id}" in result["张晓明"].failures[0] and result["王建华"].ok
    with pytest.raises(ValidationFailed) as exc:
        run(db.session, ent(), "subsidy_claim", "submit", second.id)
    db.session.rollback()
    assert "张晓明" in " ".join(str(e.message) for e in exc.value.errors)
    # the index itself: holding the same person twice for the same stage is refused by the database
    with pytest.raises(IntegrityError):
        db.session.execute(update(SubsidyClaimPerson).where(SubsidyClaimPerson.subsidy_claim_id == second.id)
                           .values(held=True))
        db.session.flush()
    db.session.rollback()
    # the other stage is another claim
    balance = new_claim(cls, ClaimStage.BALANCE)
    claims.add_persons(db.session, ent(), balance.id, trainee_ids=[trainee(cls, "张晓明").id])
    assert checks_of(prechecks.evaluate(db.session, balance)[0])["not_claimed"] is True


def test_balance_waits_for_the_advance_under_review(ctx):
    cls = running_class()
    advance = ready_claim(cls, names=("张晓明",))
    run(db.session, ent(), "subsidy_claim", "submit", advance.id)
    db.session.commit()
    balance = new_claim(cls, ClaimStage.BALANCE)
    claims.add_persons(db.session, ent(), balance.id, trainee_ids=[trainee(cls, "张晓明").id])
    result = prechecks.evaluate(db.session, balance)[0]
    assert checks_of(result)["advance_settled"] is False and f"编号 {advance.id}" in " ".join(result.failures)
    decisions.decide_person(db.session, ent("gz_reviewer"), advance.persons[0].id,
                            {"approved_amount": "2000", "reason": "出勤折算"})
    run(db.session, ent("gz_reviewer"), "subsidy_claim", "approve", advance.id, {"opinion": "同意"})
    db.session.commit()
    result = prechecks.evaluate(db.session, balance)[0]
    assert checks_of(result)["advance_settled"]
    assert result.amount == Decimal("3500.00")  # 5500 − the approved (lowered) advance 2000


# ---- submit, cancel, return, approve, delete ----------------------------------------------------------------


def test_submit_refuses_with_every_problem(ctx):
    cls = running_class()
    claim = new_claim(cls)
    claims.add_persons(db.session, ent(), claim.id, trainee_ids=[trainee(cls, "杨帆").id])
    db.session.commit()
    with pytest.raises(ValidationFailed) as exc:
        run(db.session, ent(), "subsidy_claim", "submit", claim.id)
    db.session.rollback()
    messages = " ".join(str(e.message) for e in exc.value.errors)
    assert "杨帆" in messages and "出勤率" in messages and "缺少附件：培训计划" in messages
    assert db.session.get(SubsidyClaim, claim.id).status == ClaimStatus.DRAFT
    readiness = claims.readiness(db.session, claim)
    assert readiness["ready"] is False and readiness["missing_attachment_kinds"] == ["TRAINING_PLAN"]
    assert readiness["persons"][0]["ok"] is False


def test_submit_totals_and_holds(ctx):
    cls = running_class()
    claim = ready_claim(cls)
    assert claims.readiness(db.session, claim)["ready"] is True
    run(db.session, ent(), "subsidy_claim", "submit", claim.id)
    db.session.commit()
    claim = db.session.get(SubsidyClaim, claim.id)
    assert claim.status == ClaimStatus.SUBMITTED and claim.requested_amount == Decimal("4400.00")
    assert {p.held for p in claim.persons} == {True} and {p.amount for p in claim.persons} == {Decimal("2200.00")}
    assert all(p.precheck and all(c["ok"] for c in p.precheck) for p in claim.persons)
    run(db.session, ent(), "subsidy_claim", "cancel", claim.id)
    db.session.commit()
    assert claim.status == ClaimStatus.DRAFT and {p.held for p in claim.persons} == {None}


def test_review_round(ctx):
    cls = running_class()
    claim = ready_claim(cls, names=("张晓明", "李思雨", "王建华"))
    run(db.session, ent(), "subsidy_claim", "submit", claim.id)
    db.session.commit()
    reviewer = ent("gz_reviewer")
    first, second, third = claim.persons
    with pytest.raises(ValidationFailed, match="不能高于"):
        decisions.decide_person(db.session, reviewer, first.id, {"approved_amount": "2200.01"})
    db.session.rollback()
    with pytest.raises(ValidationFailed, match="核减原因"):
        decisions.decide_person(db.session, reviewer, first.id, {"approved_amount": "1000"})
    db.session.rollback()
    for bad in ("abc", "-1", "1.001", True, [], "NaN", "1e400"):
        with pytest.raises(ValidationFailed):
            decisions.decide_person(db.session, reviewer, first.id, {"approved_amount": bad, "reason": "x"})
        db.session.rollback()
    decisions.decide_person(db.session, reviewer, first.id, {"approved_amount": "1100.50", "reason": "缺勤核减"})
    decisions.decide_person(db.session, reviewer, second.id, {"approved_amount": 2200})
    db.session.commit()
    with pytest.raises(ValidationFailed, match="审核意见"):
        run(db.session, reviewer, "subsidy_claim", "return", claim.id, {"opinion": ""})
    db.session.rollback()
    run(db.session, reviewer, "subsidy_claim", "return", claim.id, {"opinion": "请补充证明材料"})
    db.session.commit()
    assert claim.status == ClaimStatus.RETURNED and claim.review_opinion == "请补充证明材料"
    assert {p.held for p in claim.persons} == {None}
    # fix and resubmit: decisions of the earlier round are cleared
    attach(claim, AttachmentKind.OTHER)
    run(db.session, ent(), "subsidy_claim", "submit", claim.id)
    db.session.commit()
    assert {p.decision for p in claim.persons} == {None}
    decisions.decide_person(db.session, reviewer, first.id, {"approved_amount": "1100.50", "reason": "缺勤核减"})
    run(db.session, reviewer, "subsidy_claim", "approve", claim.id, {"opinion": "同意"})
    db.session.commit()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.approved_amount == Decimal("5500.50")  # 1100.50 + 2200 + 2200 (undecided: as claimed)
    assert [p.decision for p in claim.persons] == ["LOWERED", "APPROVED", "APPROVED"]
    assert first.decision_reason == "缺勤核减" and {p.held for p in claim.persons} == {True}
    with pytest.raises(TransitionNotAllowed):
        decisions.decide_person(db.session, reviewer, third.id, {"approved_amount": "0", "reason": "x"})
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity.in_(
        ("subsidy_claim", "subsidy_claim_person"))).order_by(AuditEvent.id)).all()
    assert actions.count("decide") == 3 and actions[-1] == "approve" and "return" in actions


def test_delete_takes_persons_and_attachments(ctx):
    cls = running_class()
    claim = ready_claim(cls)
    claim_id = claim.id
    run(db.session, ent(), "subsidy_claim", "delete", claim_id)
    db.session.commit()
    assert db.session.get(SubsidyClaim, claim_id) is None
    assert db.session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == claim_id)) == 0
    assert db.session.scalar(select(func.count()).where(Attachment.subsidy_claim_id == claim_id)) == 0
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "delete",
                                                        AuditEvent.entity == "subsidy_claim")).one()
    assert event.diff["persons"] == 2


def test_attachment_kinds_of_claims(ctx):
    claim = new_claim(running_class())
    with pytest.raises(ValidationFailed):
        claims.add_claim_attachment(db.session, ent(), claim.id, "LABOUR_CONTRACT", "a.pdf", PDF)
    db.session.rollback()
    with pytest.raises(ValidationFailed):
        claims.add_claim_attachment(db.session, ent(), claim.id, "TRAINING_PLAN", "a.pdf", b"not a pdf")
    db.session.rollback()
    row = claims.add_claim_attachment(db.session, ent(), claim.id, "TRAINING_PLAN", "plan.pdf", PDF)
    db.session.commit()
    with pytest.raises(NotFound):
        claims.delete_claim_attachment(db.session, ent("ent_sz"), row.id)
    claims.delete_claim_attachment(db.session, ent(), row.id)
    db.session.commit()
    assert claims.missing_kinds(db.session, claim) == ["TRAINING_PLAN"]


# ---- state × role × scope of every row action ---------------------------------------------------------------

ACTIONS = {"submit": "ent_gz", "cancel": "ent_gz", "delete": "ent_gz", "approve": "gz_reviewer",
           "return": "gz_reviewer"}
ALLOWED = {("submit", "DRAFT"), ("submit", "RETURNED"), ("cancel", "SUBMITTED"), ("delete", "DRAFT"),
           ("delete", "RETURNED"), ("approve", "SUBMITTED"), ("return", "SUBMITTED")}


@pytest.mark.parametrize("status", ClaimStatus.codes())
@pytest.mark.parametrize("action", list(ACTIONS))
def test_state_role_scope(ctx, action, status):
    cls = running_class()
    claim = ready_claim(cls, names=("张晓明",))
    if status != ClaimStatus.DRAFT:
        run(db.session, ent(), "subsidy_claim", "submit", claim.id)
        if status == ClaimStatus.RETURNED:
            run(db.session, ent("gz_reviewer"), "subsidy_claim", "return", claim.id, {"opinion": "退回"})
        elif status == ClaimStatus.APPROVED:
            run(db.session, ent("gz_reviewer"), "subsidy_claim", "approve", claim.id, {})
        db.session.commit()
    data = {"opinion": "意见"}
    owner = ACTIONS[action]
    wrong_role = "gz_reviewer" if owner == "ent_gz" else "ent_gz"
    with pytest.raises(Forbidden):
        run(db.session, ent(wrong_role), "subsidy_claim", action, claim.id, data)
    db.session.rollback()
    with pytest.raises(Forbidden):
        run(db.session, ent("admin"), "subsidy_claim", action, claim.id, data)
    db.session.rollback()
    stranger = "ent_sz" if owner == "ent_gz" else "sz_reviewer"
    with pytest.raises(NotFound):
        run(db.session, ent(stranger), "subsidy_claim", action, claim.id, data)
    db.session.rollback()
    if (action, status) in ALLOWED:
        run(db.session, ent(owner), "subsidy_claim", action, claim.id, data)
        db.session.commit()
    else:
        with pytest.raises((TransitionNotAllowed, NotFound)):
            run(db.session, ent(owner), "subsidy_claim", action, claim.id, data)
        db.session.rollback()

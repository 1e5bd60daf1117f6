"""R21 pre-checks per person of a claim, shown to the enterprise (人员信息) and the reviewer, re-run at submit.

Each person gets a list of ``{"code", "ok", "message"}`` in this order (``CHECKS``):

- ``filing_approved`` — the person's filing (the claim's) is APPROVED and belongs to the claiming enterprise;
- ``not_lost`` — the trainee is not 流失;
- ``class_normal`` — the claim's class is not cancelled;
- ``class_started`` (ADVANCE) — the class has started; ``class_ended`` (BALANCE) — the class has ended;
- ``certificate`` (BALANCE) — a certificate number at the class's target level or higher (level 1 is highest);
- ``attendance`` — the attendance rate (R24, ``queries.attendance``) ≥ ``ATTENDANCE_THRESHOLD`` (config, 0.8);
  an ADVANCE before any course has ended passes ("暂不考核"), a BALANCE without ended courses fails;
- ``not_claimed`` — not in another SUBMITTED or APPROVED claim for the same filing and stage (the other claim is
  named); the database's unique index holds the same rule when two submits race (models/subsidy.py);
- ``advance_settled`` (BALANCE) — no ADVANCE claim of the person is still under review (its approved amount is
  what BALANCE deducts, R22);
- ``standard`` — a 补贴标准 applies (R22), with the amount's reckoning as the message.

Set-based: whatever the number of persons, one statement for the persons, one for attendance, one for other
claims, one for approved advances and one for the standard (``evaluate``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Optional

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from actions.subsidies import amounts
from core.clock import today
from models.enums import ClaimStage, ClaimStatus, ClassStatus, FilingStatus, TraineeStatus
from models.filing import Trainee
from models.lookups import SkillLevel
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from actions.attendance_rates import trainee_hours_stmt

DEFAULT_THRESHOLD = Decimal("0.8")
CHECKS = {
    "filing_approved": _l("备案状态"),
    "not_lost": _l("在训状态"),
    "class_normal": _l("培训班状态"),
    "class_started": _l("已开班"),
    "class_ended": _l("已结业"),
    "certificate": _l("职业技能等级证书"),
    "attendance": _l("出勤率"),
    "not_claimed": _l("重复申领"),
    "advance_settled": _l("预拨审核"),
    "standard": _l("补贴标准"),
}
HELD_STATES = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
CHUNK = 5000


def threshold() -> Decimal:
    """R21: the attendance rate a person needs (config ``ATTENDANCE_THRESHOLD``, default 0.8)."""
    value = current_app.config.get("ATTENDANCE_THRESHOLD", DEFAULT_THRESHOLD) if has_app_context() else None
    return Decimal(str(value if value is not None else DEFAULT_THRESHOLD))


def percent(value: Decimal) -> str:
    return f"{(value * 100).quantize(Decimal('0.1'))}%"


@dataclass
class PersonResult:
    """The pre-checks of one person and the amount claimed for them (R21, R22)."""

    person_id: int
    trainee_id: int
    name: str
    id_number: str
    checks: list[dict[str, Any]] = field(default_factory=list)
    amount: Optional[Decimal] = None
    attended_hours: int = 0
    due_hours: int = 0

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    @property
    def failures(self) -> list[str]:
        return [c["message"] for c in self.checks if not c["ok"]]

    def add(self, code: str, ok: bool, message: Any) -> None:
        self.checks.append({"code": code, "ok": bool(ok), "message": str(message)})

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "trainee_id": self.trainee_id, "name": self.name,
                "id_number": self.id_number, "ok": self.ok, "checks": self.checks,
                "amount": None if self.amount is None else str(self.amount)}


def _persons(session: Session, claim: SubsidyClaim, person_ids: Optional[Iterable[int]]) -> list:
    stmt = (select(SubsidyClaimPerson.id, SubsidyClaimPerson.trainee_id, SubsidyClaimPerson.skill_level,
                   SubsidyClaimPerson.certificate_no, Trainee.name, Trainee.id_number, Trainee.status,
                   Trainee.lost_date, Trainee.filing_id)
            .join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
            .where(SubsidyClaimPerson.subsidy_claim_id == claim.id)
            .order_by(SubsidyClaimPerson.id))
    if person_ids is not None:
        ids = list(person_ids)
        if not ids:
            return []
        stmt = stmt.where(SubsidyClaimPerson.id.in_(ids))
    return list(session.execute(stmt))


def _attendance(session: Session, claim: SubsidyClaim, trainee_ids: list[int]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    if claim.training_class is None:
        return out
    for start in range(0, len(trainee_ids), CHUNK):
        stmt = trainee_hours_stmt(claim.training_class).where(Trainee.id.in_(trainee_ids[start:start + CHUNK]))
        for row in session.execute(stmt):
            out[row.id] = (int(row.attended or 0), int(row.due or 0))
    return out


def _other_claims(session: Session, claim: SubsidyClaim, trainee_ids: list[int]) -> tuple[dict, dict]:
    """``({trainee id: (claim id, status)} of other held claims of this stage, {trainee id: claim id} of ADVANCE
    claims under review (BALANCE only))``."""
    held: dict[int, tuple[int, str]] = {}
    pending_advance: dict[int, int] = {}
    for start in range(0, len(trainee_ids), CHUNK):
        chunk = trainee_ids[start:start + CHUNK]
        stmt = (select(SubsidyClaimPerson.trainee_id, SubsidyClaim.id, SubsidyClaim.status, SubsidyClaim.stage)
                .join(SubsidyClaim, SubsidyClaim.id == SubsidyClaimPerson.subsidy_claim_id)
                .where(SubsidyClaimPerson.trainee_id.in_(chunk), SubsidyClaim.id != claim.id,
                       SubsidyClaim.status.in_(HELD_STATES)))
        for trainee_id, claim_id, status, stage in session.execute(stmt):
            if stage == claim.stage:
                held[trainee_id] = (claim_id, status)
            elif stage == ClaimStage.ADVANCE and status == ClaimStatus.SUBMITTED:
                pending_advance[trainee_id] = claim_id
    return held, pending_advance


def evaluate(session: Session, claim: SubsidyClaim, person_ids: Optional[Iterable[int]] = None) -> list[PersonResult]:
    """The pre-checks and amounts of the claim's persons (all, or those of ``person_ids``), in person order."""
    rows = _persons(session, claim, person_ids)
    if not rows:
        return []
    trainee_ids = [r.trainee_id for r in rows]
    filing, training_class, stage = claim.filing, claim.training_class, claim.stage
    attendance = _attendance(session, claim, trainee_ids)
    held, pending_advance = _other_claims(session, claim, trainee_ids)
    advances = amounts.approved_advances(session, trainee_ids) if stage == ClaimStage.BALANCE else {}
    figures = amounts.class_amount(session, filing, training_class, stage) if training_class else None
    level_names = dict(session.execute(select(SkillLevel.level, SkillLevel.name)).all())
    day, needed = today(), threshold()
    results = []
    for r in rows:
        res = PersonResult(r.id, r.trainee_id, r.name, r.id_number)
        _filing_check(res, claim, r)
        res.add("not_lost", r.status != TraineeStatus.LOST,
                _l("在训") if r.status != TraineeStatus.LOST else
                _l("该人员已于 %(day)s 标记为流失", day=r.lost_date.isoformat() if r.lost_date else ""))
        if training_class is None:
            res.add("class_normal", False, _l("申请未选择培训班"))
            results.append(res)
            continue
        res.add("class_normal", training_class.status == ClassStatus.NORMAL,
                _l("培训班正常") if training_class.status == ClassStatus.NORMAL else _l("培训班已注销"))
        if stage == ClaimStage.ADVANCE:
            started = training_class.start_date <= day
            res.add("class_started", started, _l("已于 %(day)s 开班", day=training_class.start_date.isoformat())
                    if started else _l("培训班尚未开班（开班日期 %(day)s），开班后才能申请预拨",
                                       day=training_class.start_date.isoformat()))
        else:
            ended = training_class.end_date < day
            res.add("class_ended", ended, _l("已于 %(day)s 结业", day=training_class.end_date.isoformat())
                    if ended else _l("培训班尚未结业（结束日期 %(day)s），结业后才能申请清算",
                                     day=training_class.end_date.isoformat()))
            _certificate_check(res, r, training_class.skill_level, level_names)
        attended, due = attendance.get(r.trainee_id, (0, 0))
        res.attended_hours, res.due_hours = attended, due
        _attendance_check(res, stage, attended, due, needed)
        other = held.get(r.trainee_id)
        res.add("not_claimed", other is None, _l("未重复申领") if other is None else
                _l("已在补贴申请（编号 %(id)s，%(status)s）中申请%(stage)s", id=other[0],
                   status=ClaimStatus.label(other[1]), stage=ClaimStage.label(stage)))
        if stage == ClaimStage.BALANCE:
            pending = pending_advance.get(r.trainee_id)
            res.add("advance_settled", pending is None, _l("无审核中的预拨申请") if pending is None else
                    _l("预拨申请（编号 %(id)s）尚在审核中，审核后才能申请清算", id=pending))
        res.amount = amounts.person_amount(figures, stage, advances.get(r.trainee_id))
        _standard_check(res, figures, stage, advances.get(r.trainee_id), filing, training_class, level_names)
        results.append(res)
    return results


def _filing_check(res: PersonResult, claim: SubsidyClaim, r: Any) -> None:
    filing = claim.filing
    ok = (filing.status == FilingStatus.APPROVED and filing.enterprise_id == claim.enterprise_id
          and r.filing_id == filing.id)
    res.add("filing_approved", ok, _l("备案已审核通过（%(no)s）", no=filing.filing_no or "") if ok else
            _l("所在备案不是审核通过状态（当前：%(status)s）", status=FilingStatus.label(filing.status)))


def _certificate_check(res: PersonResult, r: Any, target: int, level_names: dict) -> None:
    if not r.certificate_no:
        res.add("certificate", False, _l("未填写职业技能等级证书编号"))
    elif r.skill_level is None:
        res.add("certificate", False, _l("未填写证书等级"))
    elif r.skill_level > target:  # level 1 (高级技师) is the highest
        res.add("certificate", False, _l("证书等级（%(have)s）低于培训目标等级（%(want)s）",
                                         have=level_names.get(r.skill_level, r.skill_level),
                                         want=level_names.get(target, target)))
    else:
        res.add("certificate", True, _l("证书 %(no)s（%(level)s）", no=r.certificate_no,
                                        level=level_names.get(r.skill_level, r.skill_level)))


def _attendance_check(res: PersonResult, stage: str, attended: int, due: int, needed: Decimal) -> None:
    if not due:
        if stage == ClaimStage.ADVANCE:
            res.add("attendance", True, _l("尚无已结束的课程，暂不考核出勤率"))
        else:
            res.add("attendance", False, _l("没有已结束课程的考勤数据，不能申请清算"))
        return
    rate = Decimal(attended) / Decimal(due)
    text = _l("出勤率 %(rate)s（%(a)d/%(d)d 学时）", rate=percent(rate), a=attended, d=due)
    if rate >= needed:
        res.add("attendance", True, text)
    else:
        res.add("attendance", False, _l("%(text)s，低于 %(need)s", text=text, need=percent(needed)))


def _standard_check(res: PersonResult, figures: Any, stage: str, advance: Optional[Decimal], filing: Any,
                    training_class: Any, level_names: dict) -> None:
    from models.enums import ApprenticeshipType

    if figures is None or figures.standard is None:
        res.add("standard", False, _l("未找到适用的补贴标准（%(type)s，%(level)s，开班日期 %(day)s），请联系省级管理员维护补贴标准",
                                      type=ApprenticeshipType.label(filing.apprenticeship_type),
                                      level=level_names.get(training_class.skill_level, ""),
                                      day=training_class.start_date.isoformat()))
        return
    std = figures.standard
    if stage == ClaimStage.ADVANCE:
        res.add("standard", True, _l("%(yuan)s 元/人·年 × %(years)d 年 × 预拨 %(share)s = %(amount)s 元",
                                     yuan=amounts.to_fen(std.amount_yuan), years=figures.years,
                                     share=percent(std.advance_ratio), amount=res.amount))
    else:
        res.add("standard", True, _l("%(yuan)s 元/人·年 × %(years)d 年 − 已核定预拨 %(advance)s = %(amount)s 元",
                                     yuan=amounts.to_fen(std.amount_yuan), years=figures.years,
                                     advance=amounts.to_fen(advance or Decimal(0)), amount=res.amount))


def store(session: Session, results: list[PersonResult]) -> None:
    """Keep the results and amounts on the person rows (what the reviewer sees as submitted), in bulk."""
    if results:
        session.execute(update(SubsidyClaimPerson),
                        [{"id": r.person_id, "precheck": r.checks, "amount": r.amount} for r in results])

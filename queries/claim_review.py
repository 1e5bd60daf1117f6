"""补贴审核 read side (R23, manual §3.2.3; DESIGN §5 R21–R23): the city reviewer's queue of subsidy claims and the
rows of a claim's detail page. Set-based only — no statement per row:

- ``queue_page``: the claims in the actor's scope (the reviewer's city without drafts, ``models.scope``; the admin
  the province, read-only), 已提交待审核 first, then newest submission; filters 单位名称 / 统一社会信用代码, 备案编号,
  阶段, 状态, 提交日期 (a bad date is reported, not applied); each row's person count by one correlated COUNT
  (one COUNT + one page SELECT);
- ``claim_detail``: the claim with its filing, enterprise and class (occupation, level) in one statement;
- ``claim_totals``: requested and "approved so far" (decided persons' approved amounts + undecided persons as
  claimed — what 审核通过 would approve now, ``actions.subsidies.decisions.approve_effect``), by one aggregate;
- ``claim_attachments``: the claim's materials without their bytes;
- ``persons_page``: a page (20/50/100) of the claim's persons searched by 姓名 / 身份证号码, with the trainee, the
  certificate level name, the stored pre-check results (R21) and the live attendance (R24) of the page's trainees
  in the claim's class by one aggregate (``actions.attendance_rates.trainee_hours_stmt``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, joinedload, load_only

from actions.attendance_rates import rate, trainee_hours_stmt
from models.enterprise import Enterprise
from models.enums import ClaimStage, ClaimStatus
from models.filing import Attachment, Filing, Trainee
from models.lookups import SkillLevel
from models.scope import Actor, scope_condition
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from queries.sorting import pending_first
from queries.paging import Page, paginate
from queries.search import contains, parse_days, timestamp_on_days

PAGE_SIZE = 20
PERSON_PAGE_SIZES = (20, 50, 100)
DATE_FIELDS = {"submitted_from": _l("提交日期（起）"), "submitted_to": _l("提交日期（止）")}


def _bad_date(label: Any, _raw: str) -> Any:
    return _l("%(label)s格式不正确，应为 YYYY-MM-DD", label=label)


@dataclass
class QueueFilters:
    """The queue's query conditions as typed (unknown codes dropped; a bad date reported in ``errors``)."""

    enterprise: str = ""  # 单位名称 or 统一社会信用代码 (a part of either)
    filing_no: str = ""
    stage: str = ""
    status: str = ""
    submitted_from: str = ""
    submitted_to: str = ""
    errors: dict = field(default_factory=dict)  # field → message

    KEYS = ("enterprise", "filing_no", "stage", "status", "submitted_from", "submitted_to")

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> "QueueFilters":
        def text(name: str, size: int) -> str:
            value = args.get(name)
            return value.strip()[:size] if isinstance(value, str) else ""

        return cls(
            enterprise=text("enterprise", 128),
            filing_no=text("filing_no", 32),
            stage=args.get("stage", "") if args.get("stage") in ClaimStage.codes() else "",
            status=args.get("status", "") if args.get("status") in ClaimStatus.codes() else "",
            submitted_from=text("submitted_from", 20),
            submitted_to=text("submitted_to", 20),
        )

    def as_args(self) -> dict:
        return {k: getattr(self, k) for k in self.KEYS if getattr(self, k)}

    def conditions(self) -> list:
        """SQL conditions of the filters (a bad date is left out and reported in ``errors``)."""
        out = []
        if self.enterprise:
            out.append(SubsidyClaim.enterprise_id.in_(
                select(Enterprise.id).where(or_(contains(Enterprise.name, self.enterprise),
                                                contains(Enterprise.uscc, self.enterprise.upper())))))
        if self.filing_no:
            out.append(SubsidyClaim.filing_id.in_(select(Filing.id).where(contains(Filing.filing_no,
                                                                                   self.filing_no.upper()))))
        if self.stage:
            out.append(SubsidyClaim.stage == self.stage)
        if self.status:
            out.append(SubsidyClaim.status == self.status)
        days, errors = parse_days({"submitted_from": self.submitted_from, "submitted_to": self.submitted_to},
                                  DATE_FIELDS, _bad_date)
        self.errors.update(errors)
        out += timestamp_on_days(SubsidyClaim.submitted_at, days.get("submitted_from"), days.get("submitted_to"))
        return out


def visible_statuses(actor: Actor) -> list[str]:
    """The 状态 choices of the filter: a reviewer never sees drafts (they are the enterprise's own)."""
    return [s for s in ClaimStatus.codes() if actor.is_admin or s != ClaimStatus.DRAFT]


def queue_page(session: Session, actor: Actor, filters: QueueFilters, page: Any,
               page_size: int = PAGE_SIZE) -> Page:
    """One page of the queue; items are ``{"claim", "filing_no", "persons"}`` (``page`` is user input)."""
    conditions = [scope_condition(SubsidyClaim, actor), *filters.conditions()]
    persons = (select(func.count(SubsidyClaimPerson.id))
               .where(SubsidyClaimPerson.subsidy_claim_id == SubsidyClaim.id)
               .correlate(SubsidyClaim).scalar_subquery())
    stmt = (select(SubsidyClaim, Filing.filing_no, persons)
            .join(Filing, Filing.id == SubsidyClaim.filing_id)
            .where(*conditions)
            .order_by(pending_first(SubsidyClaim.status), SubsidyClaim.submitted_at.desc().nulls_last(), SubsidyClaim.id.desc()))
    count = select(func.count()).select_from(SubsidyClaim).where(*conditions)
    result = paginate(session, stmt, page, page_size, count, rows="rows")
    result.items = [{"claim": c, "filing_no": no, "persons": n} for c, no, n in result.items]
    return result


def claim_detail(session: Session, actor: Actor, claim_id: Any) -> Optional[SubsidyClaim]:
    """The claim in the actor's scope with its filing and class; ``None`` when missing, out of scope or not an id."""
    try:
        pk = int(claim_id)
    except (TypeError, ValueError):
        return None
    stmt = (select(SubsidyClaim).where(scope_condition(SubsidyClaim, actor), SubsidyClaim.id == pk)
            .options(joinedload(SubsidyClaim.filing), joinedload(SubsidyClaim.training_class)))
    return session.scalars(stmt).unique().one_or_none()


def claim_totals(session: Session, claim: SubsidyClaim) -> dict:
    """``{"persons", "decided", "lowered", "requested", "approved"}`` of the claim (R23): ``approved`` is the sum
    of the decided persons' approved amounts plus the undecided persons' claimed amounts."""
    p = SubsidyClaimPerson
    row = session.execute(
        select(func.count(p.id),
               func.count(p.decision),
               func.coalesce(func.sum(case((p.decision == "LOWERED", 1), else_=0)), 0),
               func.coalesce(func.sum(p.amount), 0),
               func.coalesce(func.sum(case((p.decision.is_(None), p.amount), else_=p.approved_amount)), 0))
        .where(p.subsidy_claim_id == claim.id)).one()
    return {"persons": row[0], "decided": row[1], "lowered": int(row[2]),
            "requested": Decimal(str(row[3])).quantize(Decimal("0.01")),
            "approved": Decimal(str(row[4])).quantize(Decimal("0.01"))}


def claim_attachments(session: Session, claim: SubsidyClaim) -> list[Attachment]:
    """The claim's materials (kind, name, size, time; never the bytes), in upload order."""
    return list(session.scalars(
        select(Attachment).where(Attachment.subsidy_claim_id == claim.id)
        .options(load_only(Attachment.id, Attachment.kind, Attachment.file_name, Attachment.media_type,
                           Attachment.size, Attachment.uploaded_at))
        .order_by(Attachment.id)))


def person_page_size(raw: Any) -> int:
    """20 / 50 / 100 from the URL; anything else 20."""
    try:
        size = int(raw)
    except (TypeError, ValueError):
        return PERSON_PAGE_SIZES[0]
    return size if size in PERSON_PAGE_SIZES else PERSON_PAGE_SIZES[0]


def persons_page(session: Session, claim: SubsidyClaim, search: str, page: Any, page_size: int) -> Page:
    """A page of the claim's persons (姓名 or 身份证号码 containing ``search``), in the order they were added.

    Items: ``{"person", "name", "id_number", "level_name", "attended", "due", "rate"}`` — attendance (R24) of the
    page's trainees in the claim's class by one aggregate (``None`` when the claim has no class)."""
    p = SubsidyClaimPerson
    conditions = [p.subsidy_claim_id == claim.id]
    if search:
        conditions.append(or_(contains(Trainee.name, search), contains(Trainee.id_number, search.upper())))
    stmt = (select(p, Trainee.name, Trainee.id_number, SkillLevel.name)
            .join(Trainee, Trainee.id == p.trainee_id)
            .outerjoin(SkillLevel, SkillLevel.level == p.skill_level)
            .where(*conditions).order_by(p.id))
    count = select(func.count()).select_from(p).join(Trainee, Trainee.id == p.trainee_id).where(*conditions)
    found = paginate(session, stmt, page, page_size, count, rows="rows")
    hours: dict[int, tuple[int, int]] = {}
    training_class = claim.training_class
    trainee_ids = [person.trainee_id for person, *_ in found.items]
    if training_class is not None and trainee_ids:
        stmt = trainee_hours_stmt(training_class).where(Trainee.id.in_(trainee_ids))
        hours = {row.id: (int(row.attended or 0), int(row.due or 0)) for row in session.execute(stmt)}
    items = []
    for person, name, id_number, level_name in found.items:
        attended, due = hours.get(person.trainee_id, (0, 0))
        items.append({"person": person, "name": name, "id_number": id_number, "level_name": level_name,
                      "attended": attended, "due": due,
                      "rate": rate(attended, due) if training_class is not None else None,
                      "has_class": training_class is not None})
    found.items = items
    return found


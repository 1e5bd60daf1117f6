"""补贴申请 (manual §3.2.3.1, R20–R23): the enterprise's side of a claim.

- ``create_claim``: 承诺书 first (R20), then a class of one of the enterprise's APPROVED filings and a stage
  (预拨 ADVANCE / 清算 BALANCE); the unit info is prefilled from the enterprise;
- ``save_unit_info``: 单位基本信息 with the basic bank account (the account name equals the enterprise name, the
  number is 8–32 digits, R20) and the contact;
- persons (人员信息): ``add_persons`` by trainee id or ID number (matched to the trainees of the claim's filing),
  ``add_all_persons`` (every active trainee not yet in it), ``update_person`` (certificate for 清算),
  ``remove_persons``; all-or-nothing, set-based;
- attachments (附件) of the kinds of its stage (``REQUIRED_KINDS``);
- the guards and effects of the enterprise's transitions: ``submit_guard`` re-runs the pre-checks (R21) and refuses
  with every failing person named, ``submit_effect`` totals the amounts (R22) and holds the persons (the unique
  index of models/subsidy.py: two claims submitted at once with the same person — exactly one wins),
  ``release_effect`` (取消申请; also 退回) lets them go, ``delete_effect``.
Every edit locks the claim row first and re-checks that it is editable (DRAFT / RETURNED); every write is audited.
"""
from __future__ import annotations

import re
from typing import Any, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions import audit
from actions.attachment_blobs import forget as forget_blobs
from actions.attachments import AUDITED, new_attachment
from actions.specs import CLAIM_PERSON, CLAIM_UNIT
from actions.subsidies import prechecks
from core.cleaning import Cleaner
from core.errors import FieldError, Forbidden, NotFound, TransitionNotAllowed, ValidationFailed
from core.validators import normalize_id_number
from models.base import utcnow
from models.enums import AttachmentKind as AK
from models.enums import ClaimStage, ClaimStatus, ClassStatus, FilingStatus, TraineeStatus
from models.filing import Attachment, Filing, Trainee, TrainingClass
from models.scope import Actor, load_scoped
from models.subsidy import SubsidyClaim, SubsidyClaimPerson

EDITABLE = (ClaimStatus.DRAFT, ClaimStatus.RETURNED)
#: R23 附件: the kinds a claim of each stage must carry (others allowed: AttachmentKind.CLAIM_CODES).
REQUIRED_KINDS = {
    ClaimStage.ADVANCE: (AK.TRAINING_PLAN,),
    ClaimStage.BALANCE: (AK.ATTENDANCE_RECORD, AK.CERTIFICATE, AK.PAYMENT_PROOF),
}
ACCOUNT_NO = re.compile(r"\d{8,32}")
#: At most this many persons are named one by one in a refusal (the rest are counted).
NAMED_FAILURES = 50
UNIT_FIELDS = CLAIM_UNIT.form_fields()
PERSON_FIELDS = ("certificate_no", "skill_level")


def _require_enterprise(actor: Actor) -> None:
    if not actor.is_enterprise:
        raise Forbidden(_l("只有企业用户可以办理补贴申请"))


def load_claim(session: Session, actor: Actor, claim_id: Any, *, editable: bool = False,
               for_update: bool = False) -> SubsidyClaim:
    """A claim through the scope; ``editable``: an enterprise user and DRAFT / RETURNED (locked when asked).

    :raises NotFound / Forbidden / TransitionNotAllowed.
    """
    claim = load_scoped(session, SubsidyClaim, claim_id, actor, for_update=for_update or editable)
    if editable:
        _require_enterprise(actor)
        if claim.status not in EDITABLE:
            raise TransitionNotAllowed(_l("补贴申请已提交，不能修改；如需修改请先取消申请"))
    return claim


#: R23: the documents (申请表, 花名册) exist once the claim is submitted (and stay after the approval).
DOCUMENT_STATES = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)


def document_claim(session: Session, actor: Actor, claim_id: Any) -> SubsidyClaim:
    """The claim of a document: through the scope, and only once submitted (R23).

    :raises NotFound: missing or out of scope. :raises TransitionNotAllowed: not submitted (yet / any more).
    """
    claim = load_claim(session, actor, claim_id)
    if claim.status not in DOCUMENT_STATES:
        raise TransitionNotAllowed(_l("补贴申请提交审核后才能下载申请表和花名册"))
    return claim


def row_name(claim: SubsidyClaim) -> str:
    return str(_l("补贴申请 %(id)s（%(stage)s）", id=claim.id, stage=ClaimStage.label(claim.stage)))


# ---------------------------------------------------------------------------------------------------------
# 承诺书 → the claim (R20)
# ---------------------------------------------------------------------------------------------------------


def create_claim(session: Session, actor: Actor, data: dict) -> SubsidyClaim:
    """R20: a new DRAFT claim after the 承诺书, for a class (``training_class_id``; or ``filing_id`` whose only
    running class is taken) of the enterprise's APPROVED filing and a stage; unit info from the enterprise.

    :raises ValidationFailed: no commitment, no / unknown stage, no class, class cancelled or filing not APPROVED.
    """
    _require_enterprise(actor)
    clean = Cleaner(data)
    if data.get("commitment_accepted") is not True and data.get("commitment_accepted") not in ("1", "true", "on", "y"):
        clean.error("commitment_accepted", _l("请先阅读并确认承诺书（R20）"))
    clean.choice("stage", _l("申请阶段"), ClaimStage.codes(), required=True)
    clean.integer("training_class_id", _l("培训班"), minimum=1)
    clean.integer("filing_id", _l("备案"), minimum=1)
    values = clean.finish()
    training_class = _class_for(session, actor, values)
    filing = training_class.filing
    if filing.status != FilingStatus.APPROVED:
        raise ValidationFailed([FieldError("training_class_id", _l("只能对审核通过的备案申请补贴"))])
    if training_class.status != ClassStatus.NORMAL:
        raise ValidationFailed([FieldError("training_class_id", _l("培训班已注销，不能申请补贴"))])
    enterprise = filing.enterprise
    claim = SubsidyClaim(enterprise_id=filing.enterprise_id, city_code=filing.city_code, filing_id=filing.id,
                         training_class_id=training_class.id, stage=values["stage"], status=ClaimStatus.DRAFT,
                         commitment_accepted=True, commitment_accepted_by_id=actor.user_id,
                         commitment_accepted_at=utcnow(), bank_name=enterprise.bank_name,
                         bank_account_name=enterprise.bank_account_name or enterprise.name,
                         bank_account_no=enterprise.bank_account_no, contact_name=enterprise.contact_name,
                         contact_phone=enterprise.contact_phone)
    session.add(claim)
    session.flush()
    audit.record(session, actor, "create", claim, to_status=ClaimStatus.DRAFT,
                 diff={"row": row_name(claim), "filing_no": filing.filing_no, "commitment_accepted": True})
    return claim


def _class_for(session: Session, actor: Actor, values: dict) -> TrainingClass:
    if values.get("training_class_id"):
        return load_scoped(session, TrainingClass, values["training_class_id"], actor)
    if not values.get("filing_id"):
        raise ValidationFailed([FieldError("training_class_id", _l("请选择培训班"))])
    filing = load_scoped(session, Filing, values["filing_id"], actor)
    running = [c for c in filing.classes if c.status == ClassStatus.NORMAL]
    if len(running) != 1:
        raise ValidationFailed([FieldError("training_class_id", _l("该备案有多个培训班，请选择培训班"))])
    return running[0]


# ---------------------------------------------------------------------------------------------------------
# 单位基本信息 (R20)
# ---------------------------------------------------------------------------------------------------------


def clean_unit_info(claim: SubsidyClaim, data: dict) -> dict:
    """The unit info of ``data`` cleaned by the spec, plus R20: account name = enterprise name, account number
    digits only (spaces and dashes removed), 8–32 digits."""
    data = dict(data or {})
    raw_no = data.get("bank_account_no")
    if isinstance(raw_no, str):
        data["bank_account_no"] = re.sub(r"[\s\-－]", "", raw_no)
    clean = Cleaner(data)
    CLAIM_UNIT.clean_fields(clean)
    values = clean.out
    name = claim.enterprise.name
    if values.get("bank_account_name") and values["bank_account_name"] != name:
        clean.error("bank_account_name", _l("账户名称须与单位名称“%(name)s”一致（基本存款账户）", name=name),
                    values["bank_account_name"])
    number = values.get("bank_account_no")
    if number and not ACCOUNT_NO.fullmatch(number):
        clean.error("bank_account_no", _l("银行账号只能是数字，8 至 32 位"), number)
    return clean.finish()


def save_unit_info(session: Session, actor: Actor, claim_id: Any, data: dict) -> SubsidyClaim:
    """Save 单位基本信息 of an editable claim (audited with its diff)."""
    claim = load_claim(session, actor, claim_id, editable=True)
    values = clean_unit_info(claim, data)
    before = audit.snapshot(claim, UNIT_FIELDS)
    for name in UNIT_FIELDS:
        setattr(claim, name, values.get(name))
    session.flush()
    audit.record_edit(session, actor, "update", claim, before, audit.snapshot(claim, UNIT_FIELDS),
                      row_name=row_name(claim))
    return claim


def unit_info_problems(claim: SubsidyClaim) -> list[FieldError]:
    """What the saved unit info still lacks (the submit check; the same rules as saving)."""
    try:
        clean_unit_info(claim, {name: getattr(claim, name) for name in UNIT_FIELDS})
    except ValidationFailed as exc:
        return exc.errors
    return []


# ---------------------------------------------------------------------------------------------------------
# 人员信息
# ---------------------------------------------------------------------------------------------------------


def _person_row(claim: SubsidyClaim, trainee_id: int) -> dict:
    return {"subsidy_claim_id": claim.id, "trainee_id": trainee_id, "stage": claim.stage}


def add_persons(session: Session, actor: Actor, claim_id: Any, trainee_ids: Iterable[Any] = (),
                id_numbers: Iterable[Any] = (), details: Optional[dict[str, dict]] = None) -> int:
    """【新增】/【导入】: add trainees of the claim's filing, chosen by id or ID number; all or nothing.

    ``details`` maps an ID number to ``{"certificate_no", "skill_level"}`` (the import's other columns).
    :raises ValidationFailed: one error per unknown person or person already in the claim, nothing added.
    """
    claim = load_claim(session, actor, claim_id, editable=True)
    errors: list[FieldError] = []
    wanted_ids: list[int] = []
    for raw in trainee_ids:
        if isinstance(raw, bool) or not isinstance(raw, (int, str)) or not str(raw).isdigit():
            errors.append(FieldError("trainee_id", _l("培训人员编号应为整数"), raw))
        else:
            wanted_ids.append(int(raw))
    numbers = [normalize_id_number(n) if isinstance(n, str) else n for n in id_numbers]
    found = _trainees_of_filing(session, claim.filing_id, wanted_ids, [n for n in numbers if isinstance(n, str)])
    by_id = {row.id: row for row in found}
    by_number = {row.id_number: row for row in found}
    chosen: dict[int, Any] = {}
    for pk in wanted_ids:
        if pk not in by_id:
            errors.append(FieldError("trainee_id", _l("培训人员（编号 %(id)s）不属于本申请的备案", id=pk), pk))
        else:
            chosen[pk] = by_id[pk]
    for number in numbers:
        row = by_number.get(number) if isinstance(number, str) else None
        if row is None:
            errors.append(FieldError("id_number", _l("本申请的备案中没有身份证号码为 %(n)s 的培训人员", n=number), number))
        else:
            chosen[row.id] = row
    present: set[int] = set()
    chosen_ids = list(chosen)
    for start in range(0, len(chosen_ids), 5000):
        present.update(session.scalars(select(SubsidyClaimPerson.trainee_id).where(
            SubsidyClaimPerson.subsidy_claim_id == claim.id,
            SubsidyClaimPerson.trainee_id.in_(chosen_ids[start:start + 5000]))))
    for pk in present:
        errors.append(FieldError("trainee_id", _l("%(name)s 已在本申请的人员信息中", name=chosen[pk].name), pk))
    if errors:
        raise ValidationFailed(errors, _l("有 %(n)d 处错误，未添加任何人员", n=len(errors)) if len(errors) > 1 else None)
    if not chosen:
        raise ValidationFailed([FieldError("trainee_id", _l("请选择要添加的培训人员"))])
    rows = []
    for pk, trainee in chosen.items():
        extra = _clean_details((details or {}).get(trainee.id_number) or {}, trainee)
        rows.append({**_person_row(claim, pk), **extra})
    for start in range(0, len(rows), 1000):
        session.execute(insert(SubsidyClaimPerson), rows[start:start + 1000])
    audit.record(session, actor, "add_persons", claim,
                 diff={"row": row_name(claim), "added": len(rows),
                       "persons": [audit.snapshot(t, ("name", "id_number")) for t in list(chosen.values())[:NAMED_FAILURES]]})
    return len(rows)


def _clean_details(raw: dict, trainee: Any) -> dict:
    """证书编号 / 证书等级 given with a person (API body, import row), cleaned by the spec like an edit."""
    clean = Cleaner({key: raw.get(key) for key in PERSON_FIELDS})
    CLAIM_PERSON.clean_fields(clean, names=PERSON_FIELDS)
    if clean.errors:
        raise ValidationFailed([FieldError(e.field, _l("%(name)s：%(message)s", name=trainee.name, message=e.message),
                                           e.value) for e in clean.errors])
    return {key: clean.out.get(key) for key in PERSON_FIELDS}


def _trainees_of_filing(session: Session, filing_id: int, ids: list[int], numbers: list[str]) -> list:
    out = []
    for start in range(0, max(len(ids), len(numbers)), 5000):
        id_chunk, number_chunk = ids[start:start + 5000], numbers[start:start + 5000]
        stmt = (select(Trainee.id, Trainee.name, Trainee.id_number)
                .where(Trainee.filing_id == filing_id,
                       Trainee.id.in_(id_chunk or [0]) | Trainee.id_number.in_(number_chunk or [""])))
        out.extend(session.execute(stmt))
    return out


def add_all_persons(session: Session, actor: Actor, claim_id: Any) -> int:
    """【全部添加】: every active trainee of the claim's filing not yet in it (one INSERT … SELECT)."""
    claim = load_claim(session, actor, claim_id, editable=True)
    conditions = (Trainee.filing_id == claim.filing_id, Trainee.status == TraineeStatus.ACTIVE,
                  ~exists().where(SubsidyClaimPerson.subsidy_claim_id == claim.id,
                                  SubsidyClaimPerson.trainee_id == Trainee.id))
    count = session.scalar(select(func.count()).select_from(Trainee).where(*conditions))
    if not count:
        raise ValidationFailed([FieldError("trainee_id", _l("没有可添加的在训人员：都已在本申请中"))])
    source = select(Trainee.id, literal(claim.id), literal(claim.stage)).where(*conditions)
    session.execute(insert(SubsidyClaimPerson).from_select(["trainee_id", "subsidy_claim_id", "stage"], source))
    audit.record(session, actor, "add_persons", claim, diff={"row": row_name(claim), "added": count})
    return count


def load_person(session: Session, actor: Actor, person_id: Any, *, editable: bool = False,
                reviewing: bool = False) -> SubsidyClaimPerson:
    """A person row through the scope, its claim locked first (a child's edit re-checks its parent, DESIGN §7)."""
    person = load_scoped(session, SubsidyClaimPerson, person_id, actor)
    if editable:
        load_claim(session, actor, person.subsidy_claim_id, editable=True)
    else:
        load_claim(session, actor, person.subsidy_claim_id, for_update=reviewing)
    return load_scoped(session, SubsidyClaimPerson, person.id, actor, for_update=True)


def update_person(session: Session, actor: Actor, person_id: Any, data: dict) -> SubsidyClaimPerson:
    """证书编号 and 证书等级 of a person (needed for 清算, R21); audited."""
    person = load_person(session, actor, person_id, editable=True)
    clean = Cleaner(data)
    CLAIM_PERSON.clean_fields(clean, names=PERSON_FIELDS)
    values = clean.finish()
    before = audit.snapshot(person, PERSON_FIELDS)
    for name in PERSON_FIELDS:
        setattr(person, name, values.get(name))
    session.flush()
    claim = person.claim
    audit.record_edit(session, actor, "update", person, before, audit.snapshot(person, PERSON_FIELDS),
                      row_name=person.trainee.name, filing=claim.filing)
    return person


def remove_persons(session: Session, actor: Actor, claim_id: Any, person_ids: Iterable[Any]) -> int:
    """【删除】 persons of an editable claim (ids of other claims answer 404: nothing is removed)."""
    claim = load_claim(session, actor, claim_id, editable=True)
    ids = sorted({int(p) for p in person_ids if isinstance(p, int) or (isinstance(p, str) and p.isdigit())})
    if not ids:
        raise ValidationFailed([FieldError("pk", _l("请先勾选要删除的人员"))])
    rows = list(session.execute(select(SubsidyClaimPerson.id, Trainee.name, Trainee.id_number)
                                .join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
                                .where(SubsidyClaimPerson.subsidy_claim_id == claim.id,
                                       SubsidyClaimPerson.id.in_(ids))))
    if len(rows) != len(ids):
        raise NotFound()
    session.execute(delete(SubsidyClaimPerson).where(SubsidyClaimPerson.id.in_(ids)))
    session.expire(claim, ["persons"])
    audit.record(session, actor, "remove_persons", claim,
                 diff={"row": row_name(claim), "removed": len(rows),
                       "persons": [{"name": r.name, "id_number": audit._plain("id_number", r.id_number)}
                                   for r in rows[:NAMED_FAILURES]]})
    return len(rows)


# ---------------------------------------------------------------------------------------------------------
# 附件
# ---------------------------------------------------------------------------------------------------------


def add_claim_attachment(session: Session, actor: Actor, claim_id: Any, kind: Any, file_name: str,
                         content: bytes) -> Attachment:
    """Upload a material of an editable claim (checked like a filing's, R11)."""
    claim = load_claim(session, actor, claim_id, editable=True)
    row = new_attachment(session, actor, kind, AK.CLAIM_CODES, file_name, content)
    row.subsidy_claim_id = claim.id
    session.add(row)
    session.flush()
    audit.record(session, actor, "create", row, diff={"row": row.file_name, **audit.snapshot(row, AUDITED)},
                 enterprise_id=claim.enterprise_id, city_code=claim.city_code, filing_id=claim.filing_id)
    return row


def delete_claim_attachment(session: Session, actor: Actor, attachment_id: Any) -> None:
    """Delete a material of an editable claim."""
    row = load_scoped(session, Attachment, attachment_id, actor)
    if row.subsidy_claim_id is None:
        raise NotFound()
    claim = load_claim(session, actor, row.subsidy_claim_id, editable=True)
    audit.record(session, actor, "delete", row, diff={"row": row.file_name, **audit.snapshot(row, AUDITED)},
                 enterprise_id=claim.enterprise_id, city_code=claim.city_code, filing_id=claim.filing_id)
    session.delete(row)
    session.flush()


def missing_kinds(session: Session, claim: SubsidyClaim) -> list[str]:
    """The required attachment kinds of the claim's stage it does not carry yet (R23)."""
    present = set(session.scalars(select(Attachment.kind).where(Attachment.subsidy_claim_id == claim.id)))
    return [kind for kind in REQUIRED_KINDS[claim.stage] if kind not in present]


# ---------------------------------------------------------------------------------------------------------
# The enterprise's transitions: submit (R21, R22), 取消申请, delete
# ---------------------------------------------------------------------------------------------------------


def readiness(session: Session, claim: SubsidyClaim, results: Optional[list] = None) -> dict[str, Any]:
    """``GET …/prechecks``: ``{"ready", "persons": [...], "missing_attachment_kinds", "items"}`` — every person's
    pre-checks (R21) and the claim-level items (unit info, persons, attachments)."""
    results = prechecks.evaluate(session, claim) if results is None else results
    unit = unit_info_problems(claim)
    missing = missing_kinds(session, claim)
    failing = [r for r in results if not r.ok]
    items = [
        {"code": "unit_info", "ok": not unit, "message": str(unit[0].message) if unit else str(_l("单位基本信息已填写"))},
        {"code": "persons", "ok": bool(results) and not failing,
         "message": str(_l("请添加人员信息") if not results else
                        _l("有 %(n)d 人预审未通过", n=len(failing)) if failing else
                        _l("%(n)d 人预审全部通过", n=len(results)))},
        {"code": "attachments", "ok": not missing,
         "message": str(_l("缺少附件：%(kinds)s", kinds="、".join(AK.label(k) for k in missing)) if missing
                        else _l("附件已齐全"))},
    ]
    return {"ready": all(i["ok"] for i in items), "items": items, "missing_attachment_kinds": missing,
            "persons": [r.as_dict() for r in results]}


def submit_guard(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> None:
    """R20–R23 at 提交审核: unit info complete, at least one person, every person's pre-checks pass (re-run now),
    the stage's attachments present. The results and amounts are kept on the person rows.

    :raises ValidationFailed: every problem, failing persons named with their reasons (the first 50).
    """
    results = prechecks.evaluate(session, claim)
    errors = list(unit_info_problems(claim))
    if not results:
        errors.append(FieldError("persons", _l("请添加人员信息")))
    failing = [r for r in results if not r.ok]
    for index, r in enumerate(failing):
        if index == NAMED_FAILURES:
            errors.append(FieldError("persons", _l("另有 %(n)d 人预审未通过", n=len(failing) - NAMED_FAILURES)))
            break
        errors.append(FieldError("persons", _l("%(name)s（%(id)s）：%(reasons)s", name=r.name,
                                               id=audit._plain("id_number", r.id_number),
                                               reasons="；".join(r.failures)), r.person_id))
    missing = missing_kinds(session, claim)
    if missing:
        errors.append(FieldError("attachments", _l("缺少附件：%(kinds)s",
                                                   kinds="、".join(AK.label(k) for k in missing))))
    if errors:
        raise ValidationFailed(errors, _l("补贴申请未满足提交条件（%(n)d 项），请查看人员信息的预审结果", n=len(errors)))
    prechecks.store(session, results)


def submit_effect(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> dict:
    """R22 total; R21 the persons held (the unique index refuses a person held by another claim that won a race);
    decisions of an earlier round cleared."""
    claim.requested_amount = session.scalar(select(func.coalesce(func.sum(SubsidyClaimPerson.amount), 0))
                                            .where(SubsidyClaimPerson.subsidy_claim_id == claim.id))
    claim.approved_amount = None
    try:  # PostgreSQL raises at the UPDATE itself (after waiting for the other transaction), SQLite at a flush
        session.execute(update(SubsidyClaimPerson).where(SubsidyClaimPerson.subsidy_claim_id == claim.id)
                        .values(held=True, stage=claim.stage, decision=None, approved_amount=None,
                                decision_reason=None, decided_at=None))
        session.flush()
    except IntegrityError:
        raise ValidationFailed([FieldError("persons", _l("部分人员刚刚已在其他补贴申请中提交（R21），请刷新人员信息查看预审结果"))],
                               ) from None
    return {"row": row_name(claim), "requested_amount": str(claim.requested_amount),
            "persons": session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == claim.id))}


def release_effect(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> dict:
    """取消申请 (and 退回): the persons are no longer held (R21), they may be claimed again."""
    session.execute(update(SubsidyClaimPerson).where(SubsidyClaimPerson.subsidy_claim_id == claim.id)
                    .values(held=None))
    return {"row": row_name(claim)}


def delete_effect(session: Session, actor: Actor, claim: SubsidyClaim, values: dict) -> dict:
    """删除 a DRAFT / RETURNED claim: its persons and attachments go with it (the audit events stay)."""
    persons = session.scalar(select(func.count()).where(SubsidyClaimPerson.subsidy_claim_id == claim.id))
    forget_blobs(session, Attachment.subsidy_claim_id == claim.id)  # their blobs go after the commit (issue 15)
    session.execute(delete(Attachment).where(Attachment.subsidy_claim_id == claim.id))
    session.execute(delete(SubsidyClaimPerson).where(SubsidyClaimPerson.subsidy_claim_id == claim.id))
    session.expire(claim, ["persons"])
    return {"row": row_name(claim), "persons": persons}

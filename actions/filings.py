"""培训备案申请 (manual §3.2.1.1, §3.2.3.2): creating a filing, its tabs, the submit checklist and the
enterprise's transitions. Both programmes share this code; they differ only by the data in ``TYPE_RULES``.

Rules: R1 commitment first, R2 types per programme, R3 生态链 recognition, R4 one class for 学生学徒制,
R5 other institution name, R6 offline course teacher, R7 no course date/venue before approval, R8 field
validation, R9 one active filing per person, R10 企业新型学徒制 limits, R11 complete tabs + materials.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable, Iterable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from actions import audit
from actions.specs import CHILD_SPECS, COURSE, FILING_INFO, INSTITUTION, TEACHER, TRAINEE, TRAINING_CLASS
from core.cleaning import Cleaner
from core.clock import add_years, today
from core.errors import FieldError, Forbidden, FieldInvalid, NotFound, TransitionNotAllowed
from actions.workflow import run
from core.validators import region_warning
from models.base import utcnow
from models.enterprise import EcosystemRecognition, Enterprise
from models.enums import (
    ApprenticeshipType as AT,
    AttachmentKind as AK,
    ClassStatus,
    CourseMode,
    FilingStatus,
    Programme,
    TraineeStatus,
    TYPES_BY_PROGRAMME,
)
from models.filing import Attachment, Course, Filing, PersonLock, Teacher, Trainee, TrainingClass
from models.lookups import Occupation, SkillLevel, TrainingInstitution
from models.scope import Actor, load_scoped

# ---------------------------------------------------------------------------------------------------------
# What differs between the apprenticeship types: data, not code.
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeRules:
    """Per apprenticeship type: which tabs exist and which materials are required (R4, R10, R11)."""

    single_class: bool  # R4
    has_courses: bool  # manual: no 培训课程信息 tab for 学生学徒制
    labour_contract: bool  # R10: trainees need a labour contract of at least one year
    min_skill_level: Optional[int]  # R10: 4 = 四级/中级工 or above (a lower number is a higher level)
    required_attachments: tuple[str, ...]  # R11


TYPE_RULES: dict[str, TypeRules] = {
    AT.NEW_APPRENTICE: TypeRules(False, True, True, 4, (AK.TRAINING_PLAN, AK.COOPERATION_AGREEMENT,
                                                         AK.LABOUR_CONTRACT)),
    AT.STUDENT: TypeRules(True, False, False, None, (AK.TRAINING_PLAN, AK.COOPERATION_AGREEMENT,
                                                      AK.APPRENTICE_AGREEMENT)),
    AT.TECH_TRAINEE: TypeRules(False, True, False, None, (AK.TRAINING_PLAN, AK.COOPERATION_AGREEMENT,
                                                           AK.APPRENTICE_AGREEMENT)),
}

# Edits of a filing's tabs are allowed only in these states (DESIGN §4).
FILING_EDITABLE = frozenset({FilingStatus.DRAFT, FilingStatus.RETURNED})

RECOGNITION_MISSING = _l("该机构没有当前有效的产业技能生态链企业认定记录，请联系当地人社部门维护")
NOT_EDITABLE = _l("备案已提交或已审核，当前不能修改；如需修改请先撤回（已提交待审核时）")
R9_CONFLICT = _l("该人员已在其他在训的学徒制培训备案中（培训期间重叠），同一人同一时间只能参加一个备案")
# 《劳动法》第十五条 (issue 12): nobody under 16 on the class start, whatever the type — neither DESIGN nor the
# manual makes an exception for 学生学徒制.
MIN_WORKING_AGE = 16


def age_on(birth: date, day: date) -> int:
    """Whole years of age (周岁) on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def under_age_message(names: str, start: date) -> Any:
    """The refusal of trainees under 16 on ``start``; ``names`` like "张三（15周岁）、李四（14周岁）"."""
    return _l("%(names)s在培训开始日期（%(start)s）未满16周岁。根据《劳动法》第十五条，禁止用人单位招用未满十六周岁的"
              "未成年人", names=names, start=start.isoformat())



def rules_for(filing: Filing) -> TypeRules:
    return TYPE_RULES[filing.apprenticeship_type]


def requires_recognition(programme: str, apprenticeship_type: str) -> bool:
    """R3: the 产教评 programme (any type) and 学生学徒制 in either programme need a valid recognition."""
    return programme == Programme.ECOSYSTEM or apprenticeship_type == AT.STUDENT


def has_valid_recognition(session: Session, enterprise_id: int, city_code: str, on: Optional[date] = None) -> bool:
    """Whether the enterprise holds a recognition of ``city_code`` valid on ``on`` (default today)."""
    on = on or today()
    stmt = select(EcosystemRecognition.id).where(
        EcosystemRecognition.enterprise_id == enterprise_id,
        EcosystemRecognition.city_code == city_code,
        EcosystemRecognition.valid_from <= on,
        (EcosystemRecognition.valid_to.is_(None)) | (EcosystemRecognition.valid_to >= on),
    )
    return session.scalars(stmt).first() is not None


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


def _require_enterprise(actor: Actor) -> None:
    if not actor.is_enterprise:
        raise Forbidden(_l("只有企业用户可以办理备案申请"))


def load_filing(session: Session, actor: Actor, filing_id: Any, *, editable: bool = False,
                for_update: bool = False) -> Filing:
    """Load a filing through the scope; ``editable`` also requires an enterprise user and DRAFT/RETURNED.

    :raises NotFound: missing or out of scope.
    :raises Forbidden: ``editable`` asked by a non-enterprise user.
    :raises TransitionNotAllowed: ``editable`` asked while the filing is not DRAFT/RETURNED.
    """
    filing = load_scoped(session, Filing, filing_id, actor, for_update=for_update)
    if editable:
        _require_enterprise(actor)
        if filing.status not in FILING_EDITABLE:
            raise TransitionNotAllowed(NOT_EDITABLE)
    return filing


# ---------------------------------------------------------------------------------------------------------
# Creating the filing (承诺书 + 学徒制培训类型) and the first two tabs
# ---------------------------------------------------------------------------------------------------------


def create_filing(session: Session, actor: Actor, programme: Any, apprenticeship_type: Any,
                  commitment_accepted: Any) -> Filing:
    """申请备案: after the commitment letter (R1) and the type choice (R2, R3), a DRAFT filing.

    :raises Forbidden: not an enterprise user.
    :raises ValidationFailed: commitment not accepted, type not offered by the programme, or no valid
        生态链 recognition where one is required.
    """
    _require_enterprise(actor)
    if commitment_accepted is not True:
        # R1: nothing can be entered before the commitment letter is confirmed.
        raise FieldInvalid("commitment_accepted", _l("请先阅读并确认承诺书"))
    if programme not in Programme.codes():
        raise FieldInvalid("programme", _l("请选择培训项目"), programme)
    if apprenticeship_type in (None, ""):  # issue 12: nothing chosen is not "not offered"
        raise FieldInvalid("apprenticeship_type", _l("请选择学徒制培训类型"))
    if apprenticeship_type not in TYPES_BY_PROGRAMME[programme]:
        raise FieldInvalid("apprenticeship_type", _l("该培训项目不提供所选的学徒制培训类型"), apprenticeship_type)
    enterprise = load_scoped(session, Enterprise, actor.enterprise_id, actor)
    if requires_recognition(programme, apprenticeship_type) and not has_valid_recognition(
        session, enterprise.id, enterprise.city_code
    ):
        raise FieldInvalid("apprenticeship_type", RECOGNITION_MISSING, apprenticeship_type)
    filing = Filing(
        programme=programme,
        apprenticeship_type=apprenticeship_type,
        enterprise_id=enterprise.id,
        city_code=enterprise.city_code,
        status=FilingStatus.DRAFT,
        commitment_accepted=True,
        commitment_accepted_by_id=actor.user_id,
        commitment_accepted_at=utcnow(),
        contact_name=enterprise.contact_name,
        contact_phone=enterprise.contact_phone,
    )
    session.add(filing)
    audit.record(session, actor, "create", filing, to_status=FilingStatus.DRAFT,
                 diff={"programme": programme, "apprenticeship_type": apprenticeship_type,
                       "commitment_accepted": True})
    return filing


def save_filing_info(session: Session, actor: Actor, filing_id: Any, data: dict) -> Filing:
    """备案信息 tab: the contact person and phone of this filing.

    :raises NotFound / Forbidden / TransitionNotAllowed: see ``load_filing``.
    :raises ValidationFailed: missing contact or invalid phone (R8).
    """
    filing = load_filing(session, actor, filing_id, editable=True, for_update=True)
    clean = Cleaner(data)
    FILING_INFO.clean_fields(clean)
    values = clean.finish()
    _apply_edit(session, actor, filing, filing, values, FILING_INFO.form_fields(), _l("备案信息"))
    return filing


def save_institution(session: Session, actor: Actor, filing_id: Any, data: dict) -> Filing:
    """培训机构情况 tab: a registry institution, or 其他培训机构 with its name (R5).

    ``data``: ``institution_id`` (an id, or empty / "other" for 其他培训机构) and ``other_institution_name``.
    :raises ValidationFailed: nothing chosen, unknown institution, or 其他 without a name.
    """
    filing = load_filing(session, actor, filing_id, editable=True, for_update=True)
    clean = Cleaner(data)
    raw = clean.raw("institution_id")
    INSTITUTION.clean_fields(clean, names=("other_institution_name",))
    other_name = clean.out["other_institution_name"]
    if raw in (None, "", "other", "OTHER"):
        if raw in (None, "") and not other_name:
            clean.error("institution_id", _l("请选择合作培训机构"))
        elif not other_name:
            # R5: 合作培训机构 = 其他培训机构 → 其他培训机构名称 required.
            clean.error("other_institution_name", _l("合作培训机构选择“其他培训机构”时，其他培训机构名称必填"))
        institution = None
    else:
        institution_id = clean.integer("institution_id", INSTITUTION.field("institution_id").label)
        institution = session.get(TrainingInstitution, institution_id) if institution_id else None
        if institution is None or not institution.active:
            clean.error("institution_id", _l("所选合作培训机构不存在或已停用"), raw)
    clean.finish()
    values = {"institution_id": institution.id if institution else None,
              "other_institution_name": None if institution else other_name}
    _apply_edit(session, actor, filing, filing, values, INSTITUTION.form_fields(), _l("培训机构情况"))
    return filing


# ---------------------------------------------------------------------------------------------------------
# Child rows: 培训信息, 培训师资信息, 培训人员信息, 培训课程信息
# ---------------------------------------------------------------------------------------------------------


def filing_period(filing: Filing) -> tuple[Optional[date], Optional[date]]:
    """The span of the filing's normal classes (used by R9)."""
    classes = [c for c in filing.classes if c.status == ClassStatus.NORMAL]
    if not classes:
        return None, None
    return min(c.start_date for c in classes), max(c.end_date for c in classes)


def clean_training_class(session: Session, filing: Filing, data: dict, *, pk: Optional[int] = None,
                         row_count: Optional[int] = None) -> dict:
    """Validate 培训信息 values (R4, R10); returns the cleaned values or raises ValidationFailed with all errors."""
    rules = rules_for(filing)
    clean = Cleaner(data)
    TRAINING_CLASS.clean_fields(clean, filing.apprenticeship_type)
    code, level = clean.out.get("occupation_code"), clean.out.get("skill_level")
    start, end, reason = clean.out.get("start_date"), clean.out.get("end_date"), clean.out.get("extension_reason")
    if code and not clean.has_error("occupation_code") and not session.scalars(
            select(Occupation.id).where(Occupation.code == code, Occupation.active.is_(True))).first():
        clean.error("occupation_code", _l("职业（工种）编码 %(code)s 不存在，请从列表中选择", code=code), code)
    if level is not None and not clean.has_error("skill_level"):
        if session.get(SkillLevel, level) is None:
            clean.error("skill_level", _l("培训等级不存在"), level)
        elif rules.min_skill_level is not None and level > rules.min_skill_level:
            # R10: 企业新型学徒制 trains to 四级/中级工 or above.
            clean.error("skill_level", _l("企业新型学徒制的培训等级应为四级/中级工及以上"), level)
    if start and end:
        for key, message, value in period_problems(rules, start, end, reason):
            clean.error(key, message, value)
    count = row_count if row_count is not None else len([c for c in filing.classes if c.id != pk])
    if rules.single_class and count >= 1:
        # R4: 学生学徒制 — exactly one 培训信息 per filing.
        clean.error("occupation_code", _l("学生学徒制一次备案只允许新增一条培训信息"))
    return clean.finish()


def id_index(rows: Iterable[Any]) -> dict[str, int]:
    """ID number → row id of a filing's teachers or trainees (built once per save or per imported file)."""
    return {r.id_number: r.id for r in rows}


def period_problems(rules: TypeRules, start: date, end: date, reason: Optional[str]) -> list[tuple[str, Any, Any]]:
    """A class period's problems as ``(field, message, value)``: end before start, and R10's 1–2 years (up to 3
    with a reason) for 企业新型学徒制. Used when the class is saved and when its dates change (R15)."""
    if end < start:
        return [("end_date", _l("培训结束日期不能早于培训开始日期"), end)]
    if not rules.labour_contract:
        return []
    # R10: training period 1–2 years, up to 3 years with a reason.
    if end < add_years(start, 1) - timedelta(days=1):
        return [("end_date", _l("企业新型学徒制培训期限不能少于1年"), end)]
    if end > add_years(start, 3) - timedelta(days=1):
        return [("end_date", _l("企业新型学徒制培训期限最长不超过3年"), end)]
    if end > add_years(start, 2) - timedelta(days=1) and not reason:
        return [("extension_reason", _l("培训期限超过2年时，请填写延长培训期限原因"), None)]
    return []


def _taken_by_other_row(taken: dict[str, int], number: str, pk: Optional[int]) -> bool:
    return number in taken and taken[number] != pk


def clean_teacher(session: Session, filing: Filing, data: dict, *, pk: Optional[int] = None,
                  taken: Optional[dict[str, int]] = None) -> dict:
    """Validate 培训师资信息 values (R8; one teacher once per filing). ``taken``: ``id_index`` of the filing's
    teachers when the caller cleans many rows (imports), so each row costs the same whatever the filing's size."""
    clean = Cleaner(data)
    TEACHER.clean_fields(clean, filing.apprenticeship_type)
    number = clean.out.get("id_number")
    if number and _taken_by_other_row(taken if taken is not None else id_index(filing.teachers), number, pk):
        clean.error("id_number", _l("该导师已在本备案中，不能重复添加"), number)
    return clean.finish()


def clean_trainee(session: Session, filing: Filing, data: dict, *, pk: Optional[int] = None,
                  check_r9: bool = True, taken: Optional[dict[str, int]] = None) -> dict:
    """Validate 培训人员信息 values (R8, R9, R10); gender and birth date derive from the ID number.

    ``check_r9`` off: the caller checks the whole list at once (set-based, imports). ``taken``: as ``clean_teacher``.
    """
    rules = rules_for(filing)
    clean = Cleaner(data)
    TRAINEE.clean_fields(clean, filing.apprenticeship_type, names=("name",))
    info = clean.id_number("id_number")
    TRAINEE.clean_fields(clean, filing.apprenticeship_type, names=("phone", "education", "contract_start",
                                                                    "contract_end", "hire_date"))
    start, end = clean.out.get("contract_start"), clean.out.get("contract_end")
    if start and end:
        if end < start:
            clean.error("contract_end", _l("%(end)s不能早于开始日期",
                                           end=TRAINEE.field("contract_end", filing.apprenticeship_type).label), end)
        elif rules.labour_contract and end < add_years(start, 1) - timedelta(days=1):
            # R10: 企业新型学徒制 trainees need a labour contract of at least one year.
            clean.error("contract_end", _l("企业新型学徒制培训人员的劳动合同期限应不少于1年"), end)
    if info:
        clean.out["gender"] = info.gender
        clean.out["birth_date"] = info.birth_date
        if _taken_by_other_row(taken if taken is not None else id_index(filing.trainees), info.number, pk):
            # R9: duplicates inside one filing are refused.
            clean.error("id_number", _l("该人员已在本备案中，不能重复添加"), info.number)
        elif check_r9 and conflicting_id_numbers(session, filing, [info.number]):
            clean.error("id_number", R9_CONFLICT, info.number)
        start = filing_period(filing)[0]  # the earliest class start; without a class the submit check decides
        if start and age_on(info.birth_date, start) < MIN_WORKING_AGE:
            age = age_on(info.birth_date, start)
            clean.error("id_number", under_age_message(f"{clean.out.get('name') or ''}（{age}周岁）", start),
                        info.number)
    return clean.finish()


def row_warnings(values: dict) -> list[FieldError]:
    """What is worth a second look but refused by no rule (R8: an ID number whose region prefix looks wrong).

    Shown next to a saved row (form flash, API ``warnings``, import result), never blocking the save.
    """
    number = values.get("id_number")
    warning = region_warning(number) if number else None
    return [FieldError("id_number", warning, number)] if warning else []


def clean_course(session: Session, filing: Filing, data: dict, *, pk: Optional[int] = None) -> dict:
    """Validate 培训课程信息 values (R6; date and venue come after approval, R7)."""
    if not rules_for(filing).has_courses:
        raise FieldInvalid("training_class_id", _l("学生学徒制备案没有培训课程信息"))
    clean = Cleaner(data)
    COURSE.clean_fields(clean, filing.apprenticeship_type)
    class_id, mode, teacher_id = (clean.out.get(k) for k in ("training_class_id", "mode", "teacher_id"))
    if class_id is not None and class_id not in {c.id for c in filing.classes}:
        clean.error("training_class_id", _l("请选择本备案的培训信息"), class_id)
    if teacher_id is not None and teacher_id not in {t.id for t in filing.teachers if t.active}:
        clean.error("teacher_id", _l("授课教师须为本备案的培训师资"), teacher_id)
    if mode == CourseMode.OFFLINE and teacher_id is None and not clean.has_error("teacher_id"):
        # R6: 线下培训 → 授课教师 required.
        clean.error("teacher_id", _l("授课方式为线下培训时，授课教师必填"))
    for key in ("start_date", "end_date", "date", "venue_id", "start_time", "end_time"):
        if data.get(key) not in (None, ""):
            # R7: course date and venue are configured after approval (备案变更).
            clean.error(key, _l("培训日期、时间和场地在备案通过后于“备案变更申请”中配置"), data.get(key))
    return clean.finish()


@dataclass(frozen=True)
class ChildKind:
    """One kind of child row of a filing: its model, its cleaner and how to find its filing."""

    name: str
    model: type
    clean: Callable[..., dict]
    filing_of: Callable[[Any], Filing]


CHILD_KINDS: dict[str, ChildKind] = {
    "training_class": ChildKind("training_class", TrainingClass, clean_training_class, lambda r: r.filing),
    "teacher": ChildKind("teacher", Teacher, clean_teacher, lambda r: r.filing),
    "trainee": ChildKind("trainee", Trainee, clean_trainee, lambda r: r.filing),
    "course": ChildKind("course", Course, clean_course, lambda r: r.training_class.filing),
}


def _collection(filing: Filing, kind: str, row: Any = None, class_id: Optional[int] = None) -> list:
    """The relationship list a child row lives in (kept in step with the session, no reloads needed)."""
    if kind == "course":
        cls = next(c for c in filing.classes if c.id == (class_id if class_id is not None else row.training_class_id))
        return cls.courses
    return getattr(filing, {"training_class": "classes", "teacher": "teachers", "trainee": "trainees"}[kind])


def row_name(row: Any) -> str:
    """How a row is named in messages and the audit trail (a name, a course, an occupation)."""
    if isinstance(row, TrainingClass):
        return f"{row.occupation_code} {row.start_date or ''}".strip()
    if isinstance(row, Attachment):
        return row.file_name
    if isinstance(row, Filing):
        return row.filing_no or f"#{row.id}"
    return getattr(row, "name", None) or f"#{row.id}"


def _apply_edit(session: Session, actor: Actor, row: Any, filing: Filing, values: dict, names: Iterable[str],
                name: Any = None, *, is_new: bool = False) -> None:
    """Set ``values`` on ``row`` and audit the save with its before/after diff (DESIGN §7: every write audited)."""
    names = tuple(dict.fromkeys((*names, *values)))
    before = {} if is_new else audit.snapshot(row, names)
    for key, value in values.items():
        setattr(row, key, value)
    session.flush()
    audit.record_edit(session, actor, "create" if is_new else "update", row, before, audit.snapshot(row, names),
                      row_name=name or row_name(row), filing=filing)


def save_child(session: Session, actor: Actor, kind: str, filing_id: Any, data: dict,
               pk: Optional[Any] = None) -> Any:
    """Add (``pk`` None) or update one child row of an editable filing after validating it; audited with a diff.

    The filing row is locked first and its state checked under the lock, so an edit cannot slip in while the
    filing is being submitted (a submit waits for the edit, then sees it).
    :raises NotFound: the filing or the row is missing or out of scope (or the row belongs to another filing).
    :raises Forbidden: not an enterprise user.
    :raises TransitionNotAllowed: the filing is not DRAFT/RETURNED.
    :raises ValidationFailed: every invalid field, named.
    """
    spec = CHILD_KINDS[kind]
    filing = load_filing(session, actor, filing_id, editable=True, for_update=True)
    row = None
    if pk not in (None, ""):
        row = load_scoped(session, spec.model, pk, actor)
        if spec.filing_of(row).id != filing.id:
            raise NotFound()
    values = spec.clean(session, filing, data, pk=row.id if row else None)
    class_id = values.get("training_class_id")
    is_new = row is None
    if is_new:
        row = spec.model()
        _collection(filing, kind, class_id=class_id).append(row)
    elif kind == "course" and class_id != row.training_class_id:
        _collection(filing, kind, row).remove(row)
        _collection(filing, kind, class_id=class_id).append(row)
    _apply_edit(session, actor, row, filing, values, CHILD_SPECS[kind].form_fields(), is_new=is_new)
    return row


def delete_child(session: Session, actor: Actor, kind: str, pk: Any) -> None:
    """Delete one child row of an editable filing (courses of a deleted class go with it); audited.

    :raises NotFound / Forbidden / TransitionNotAllowed: as ``save_child``.
    :raises ValidationFailed: a teacher still teaches a course.
    """
    spec = CHILD_KINDS[kind]
    row = load_scoped(session, spec.model, pk, actor)
    filing = load_filing(session, actor, spec.filing_of(row).id, editable=True, for_update=True)
    if kind == "teacher":
        used = session.scalars(select(Course.name).where(Course.teacher_id == row.id)).first()
        if used:
            raise FieldInvalid("teacher_id", _l("该导师仍是课程“%(course)s”的授课教师，请先修改课程", course=used))
    names = CHILD_SPECS[kind].form_fields()
    audit.record_edit(session, actor, "delete", row, audit.snapshot(row, names), {}, row_name=row_name(row),
                      filing=filing)
    _collection(filing, kind, row).remove(row)
    session.flush()


# ---------------------------------------------------------------------------------------------------------
# R9: one active filing per person, province-wide
# ---------------------------------------------------------------------------------------------------------


def lock_persons(session: Session, id_numbers: Iterable[str]) -> None:
    """Lock one ``person_lock`` row per ID number, in ID-number order, until the transaction ends (R9).

    Submission and approval call this before checking R9, so of two filings with the same person submitted at
    the same moment the second waits for the first and then sees it. PostgreSQL: INSERT … ON CONFLICT DO
    NOTHING (waits on a row another transaction is inserting) then SELECT … FOR UPDATE. SQLite: the INSERT takes
    the database's single write lock, which serialises the two the same way.
    """
    numbers = sorted(set(id_numbers))
    if not numbers:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(numbers), 1000):
        chunk = numbers[start:start + 1000]
        session.execute(insert(PersonLock).values([{"id_number": n} for n in chunk]).on_conflict_do_nothing())
        if dialect == "postgresql":
            session.execute(select(PersonLock.id_number).where(PersonLock.id_number.in_(chunk))
                            .order_by(PersonLock.id_number).with_for_update())


def active_id_numbers(session: Session, filing: Filing) -> list[str]:
    """The ID numbers of the filing's active (not lost) trainees, without loading the rows."""
    return list(session.scalars(select(Trainee.id_number).where(Trainee.filing_id == filing.id,
                                                                Trainee.status == TraineeStatus.ACTIVE)))


def conflicting_id_numbers(session: Session, filing: Filing, id_numbers: Optional[list[str]] = None) -> set[str]:
    """ID numbers already active in another SUBMITTED/APPROVED filing whose period overlaps this one (R9).

    ``id_numbers`` None: every active trainee of ``filing`` (one query, whatever the size). Active = not lost,
    class not cancelled. Without class dates the period is unknown and only the submit check (which requires a
    class) decides. The other filing is never named: it may be another enterprise's.
    """
    start, end = filing_period(filing)
    if id_numbers is None:
        own = aliased(Trainee)
        id_numbers = select(own.id_number).where(own.filing_id == filing.id, own.status == TraineeStatus.ACTIVE)
    elif not id_numbers:
        return set()
    if start is None:
        return set()
    stmt = (
        select(Trainee.id_number)
        .join(Filing, Filing.id == Trainee.filing_id)
        .join(TrainingClass, and_(TrainingClass.filing_id == Filing.id, TrainingClass.status == ClassStatus.NORMAL))
        .where(
            Trainee.id_number.in_(id_numbers),
            Trainee.status == TraineeStatus.ACTIVE,
            Filing.id != filing.id,
            Filing.status.in_((FilingStatus.SUBMITTED, FilingStatus.APPROVED)),
            TrainingClass.start_date <= end,
            TrainingClass.end_date >= start,
        )
    )
    return set(session.scalars(stmt))


def delete_effect(session: Session, actor: Actor, filing: Filing, values: dict) -> dict:
    """删除: what the audit event keeps of the filing (its rows go with it)."""
    return {"programme": filing.programme, "apprenticeship_type": filing.apprenticeship_type}


def submit(session: Session, actor: Actor, filing_id: Any) -> Filing:
    """提交审核: DRAFT/RETURNED → SUBMITTED (the filing table's ``submit`` row; rules in ``submit_guard``).

    :raises Forbidden / NotFound / TransitionNotAllowed / ValidationFailed: see ``actions.workflow.run``.
    """
    return run(session, actor, "filing", "submit", filing_id)


def withdraw(session: Session, actor: Actor, filing_id: Any) -> Filing:
    """撤回: SUBMITTED → DRAFT by the enterprise, before the reviewer decides.

    :raises Forbidden / NotFound / TransitionNotAllowed: see ``actions.workflow.run``.
    """
    return run(session, actor, "filing", "withdraw", filing_id)


def delete_filing(session: Session, actor: Actor, filing_id: Any) -> None:
    """删除: a DRAFT/RETURNED filing and its rows are removed; the audit trail stays.

    :raises Forbidden / NotFound / TransitionNotAllowed: see ``actions.workflow.run``.
    """
    return run(session, actor, "filing", "delete", filing_id)


def count_rows(session: Session, filing: Filing) -> dict[str, int]:
    """Row counts per tab (tab badges), by SQL COUNTs in one statement: the rows themselves are never loaded."""
    def count(model: Any, *where: Any) -> Any:
        return select(func.count()).select_from(model).where(*where).scalar_subquery()

    counts = {
        "classes": count(TrainingClass, TrainingClass.filing_id == filing.id),
        "teachers": count(Teacher, Teacher.filing_id == filing.id),
        "trainees": count(Trainee, Trainee.filing_id == filing.id),
        "courses": select(func.count()).select_from(Course).join(TrainingClass)
                   .where(TrainingClass.filing_id == filing.id).scalar_subquery(),
        "attachments": count(Attachment, Attachment.filing_id == filing.id),
    }
    row = session.execute(select(*[value.label(key) for key, value in counts.items()])).one()
    return {key: int(getattr(row, key) or 0) for key in counts}

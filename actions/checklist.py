"""提交审核 (R11, with R3 and R9 re-checked): the checklist the 提交审核 page and ``GET …/checklist`` show, item by
item, and the guard of the filing table's ``submit`` row. Set-based: no trainee row is loaded, whatever the size."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.filings import (
    CHILD_KINDS,
    R9_CONFLICT,
    RECOGNITION_MISSING,
    active_id_numbers,
    conflicting_id_numbers,
    has_valid_recognition,
    lock_persons,
    requires_recognition,
    rules_for,
)
from actions.specs import CHILD_SPECS
from core.errors import FieldError, ValidationFailed
from models.enums import AttachmentKind as AK
from models.enums import ClassStatus, CourseMode, TraineeStatus
from models.filing import Filing, Trainee
from models.scope import Actor, load_scoped



@dataclass
class ChecklistItem:
    code: str
    label: str
    ok: bool
    message: str = ""
    tab: str = "info"

    def as_dict(self) -> dict:
        return {"code": self.code, "label": self.label, "ok": self.ok, "message": self.message, "tab": self.tab}


@dataclass
class Checklist:
    items: list[ChecklistItem] = field(default_factory=list)
    missing_attachment_kinds: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(item.ok for item in self.items)

    def add(self, code: str, label: Any, problems: list, tab: str) -> None:
        self.items.append(ChecklistItem(code, str(label), not problems, "；".join(str(p) for p in problems), tab))

    def as_dict(self) -> dict:
        return {"ready": self.ready, "items": [i.as_dict() for i in self.items],
                "missing_attachment_kinds": self.missing_attachment_kinds}


def _revalidate(session: Session, filing: Filing, kind: str, row: Any, **kw) -> list[str]:
    """The problems of a stored row under today's rules (the same cleaner as the forms, fed the row's values)."""
    data = {name: getattr(row, name, None) for name in CHILD_SPECS[kind].form_fields()}
    try:
        CHILD_KINDS[kind].clean(session, filing, data, pk=row.id, **kw)
    except ValidationFailed as exc:
        return [str(e.message) for e in exc.errors]
    return []


def build_checklist(session: Session, filing: Filing) -> Checklist:
    """Everything 提交审核 requires, item by item, so the page and the API can list *all* problems at once."""
    rules = rules_for(filing)
    result = Checklist()

    problems = []
    if requires_recognition(filing.programme, filing.apprenticeship_type) and not has_valid_recognition(
        session, filing.enterprise_id, filing.city_code
    ):
        problems.append(RECOGNITION_MISSING)  # R3 is re-checked at submission
    if not filing.contact_name or not filing.contact_phone:
        problems.append(_l("请填写备案联系人和联系电话"))
    result.add("info", _l("备案信息"), problems, "info")

    problems = []
    if filing.institution_id is None and not filing.other_institution_name:
        problems.append(_l("请选择合作培训机构（或填写其他培训机构名称）"))
    result.add("institution", _l("培训机构情况"), problems, "institution")

    problems = []
    classes = [c for c in filing.classes if c.status == ClassStatus.NORMAL]
    if not classes:
        problems.append(_l("请至少填写一条培训信息"))
    if rules.single_class and len(classes) > 1:
        problems.append(_l("学生学徒制一次备案只允许一条培训信息"))
    for c in classes:
        problems += _revalidate(session, filing, "training_class", c, row_count=0)
    result.add("training_class", _l("培训信息"), problems, "classes")

    problems = []
    if not [t for t in filing.teachers if t.active]:
        problems.append(_l("请至少填写一名培训师资"))
    result.add("teacher", _l("培训师资信息"), problems, "teachers")

    problems = []
    # Set-based, no row loaded (R9 and the head count are SQL over the filing's active trainees): every trainee
    # row was cleaned when it was saved (form, API or import) and none of its field rules depends on anything
    # that can change later; one person twice in a filing is refused by a unique constraint.
    active = session.scalar(select(func.count()).select_from(Trainee).where(
        Trainee.filing_id == filing.id, Trainee.status == TraineeStatus.ACTIVE)) or 0
    if not active:
        problems.append(_l("请至少填写一名培训人员"))
    planned = sum(c.planned_headcount for c in classes)
    if classes and active > planned:
        problems.append(_l("培训人员 %(n)d 人，超过计划培训人数 %(p)d 人", n=active, p=planned))
    conflicts = conflicting_id_numbers(session, filing)
    if conflicts:
        names = session.execute(select(Trainee.name, Trainee.id_number).where(
            Trainee.filing_id == filing.id, Trainee.id_number.in_(conflicts)).order_by(Trainee.id)).all()
        problems += [f"{name}：{R9_CONFLICT}" for name, _number in names]
    result.add("trainee", _l("培训人员信息"), problems, "trainees")

    if rules.has_courses:
        problems = []
        courses = [c for cls in classes for c in cls.courses]
        if not courses:
            problems.append(_l("请至少新增一门培训课程"))
        for course in courses:
            if course.mode == CourseMode.OFFLINE and course.teacher_id is None:
                problems.append(_l("课程“%(name)s”为线下培训，须指定授课教师", name=course.name))
        result.add("course", _l("培训课程信息"), problems, "courses")

    present = {a.kind for a in filing.attachments}
    missing = [kind for kind in rules.required_attachments if kind not in present]
    result.missing_attachment_kinds = missing
    result.add("attachment", _l("上传材料"),
               [_l("缺少材料：%(kind)s", kind=AK.label(kind)) for kind in missing], "attachments")
    return result


def checklist(session: Session, actor: Actor, filing_id: Any) -> Checklist:
    """The submit checklist of a filing in scope (shown on the 提交审核 page and at GET …/checklist)."""
    return build_checklist(session, load_scoped(session, Filing, filing_id, actor))


def submit_guard(session: Session, actor: Actor, filing: Filing, values: dict) -> None:
    """提交审核 requires every checklist item (R11; R3 and R9 re-checked).

    :raises ValidationFailed: the checklist has problems (each item listed).
    """
    lock_persons(session, active_id_numbers(session, filing))  # R9 under concurrency: see lock_persons
    result = build_checklist(session, filing)
    if not result.ready:
        errors = [FieldError(item.code, f"{item.label}：{item.message}") for item in result.items if not item.ok]
        raise ValidationFailed(errors, _l("还有 %(n)d 项未完成，不能提交审核", n=len(errors)))



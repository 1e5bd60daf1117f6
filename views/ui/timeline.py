"""Labels of the audit timeline (审核记录) shown on the reviewer's detail page and the enterprise's 备案信息 tab.

The events themselves come from ``queries.audit.timeline_context``; ``templates/audit/_timeline.html`` shows them
with the Jinja globals ``audit_action_label`` / ``audit_status_label`` / ``audit_entity_label`` registered here
(``register_template_globals``, called by ``app.py``).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from flask_babel import lazy_gettext as _l

from actions.specs import ATTACHMENT, COURSE, FILING_INFO, INSTITUTION, TEACHER, TRAINEE, TRAINING_CLASS
from models.audit import AuditEvent
from models.enums import ChangeRequestStatus, ClaimStatus, ClassStatus, FilingStatus, Gender, TraineeStatus

#: (entity, action) → label; ``(None, action)`` is the fallback for any entity.
AUDIT_ACTION_LABELS: dict[tuple[Optional[str], str], Any] = {
    ("filing", "create"): _l("新建备案"),
    ("filing", "update"): _l("修改备案"),
    ("filing", "delete"): _l("删除备案"),
    ("trainee", "create"): _l("新增培训人员"),
    ("trainee", "update"): _l("修改培训人员"),
    ("trainee", "delete"): _l("删除培训人员"),
    ("teacher", "create"): _l("新增培训师资"),
    ("training_class", "cancel"): _l("注销培训班"),
    (None, "create"): _l("新建"),
    (None, "update"): _l("修改"),
    (None, "delete"): _l("删除"),
    (None, "submit"): _l("提交审核"),
    (None, "withdraw"): _l("撤回"),
    (None, "approve"): _l("审核通过"),
    (None, "return"): _l("退回"),
    (None, "mark_lost"): _l("标记为流失"),
    (None, "cancel_class"): _l("注销培训班"),
    (None, "cancel"): _l("取消申请"),
    (None, "import"): _l("导入"),
    (None, "lock"): _l("登录失败次数过多，账号锁定"),
    (None, "unlock"): _l("解除锁定"),
    (None, "reset_password"): _l("重置密码"),
    (None, "change_password"): _l("修改密码"),
}

AUDIT_ENTITY_LABELS = {
    "filing": _l("备案"),
    "trainee": _l("培训人员"),
    "teacher": _l("培训师资"),
    "training_class": _l("培训班"),
    "course": _l("培训课程"),
    "change_request": _l("变更申请"),
    "attachment": _l("上传材料"),
    "ab_user": _l("账号"),
}

_STATUS_SETS = {
    "filing": FilingStatus,
    "trainee": TraineeStatus,
    "training_class": ClassStatus,
    "course": ClassStatus,
    "change_request": ChangeRequestStatus,
    "subsidy_claim": ClaimStatus,
}


def audit_action_label(event: AuditEvent) -> str:
    """The Chinese label of an audit event's action (falls back to the stored code)."""
    label = AUDIT_ACTION_LABELS.get((event.entity, event.action)) or AUDIT_ACTION_LABELS.get((None, event.action))
    return str(label) if label is not None else event.action


def audit_status_label(event: AuditEvent, code: Optional[str]) -> str:
    """A from/to status of an audit event as its Chinese label (per the event's entity)."""
    if not code:
        return ""
    codeset = _STATUS_SETS.get(event.entity, FilingStatus)
    return codeset.label(code)


def audit_entity_label(event: AuditEvent) -> str:
    """The Chinese name of the kind of row an audit event is about (falls back to the stored code)."""
    label = AUDIT_ENTITY_LABELS.get(event.entity)
    return str(label) if label is not None else event.entity


#: entity → the field specs whose labels and code sets name the fields of its diffs (actions/specs.py).
_DIFF_SPECS = {"filing": (FILING_INFO, INSTITUTION), "training_class": (TRAINING_CLASS,), "teacher": (TEACHER,),
               "trainee": (TRAINEE,), "course": (COURSE,), "attachment": (ATTACHMENT,)}
#: Fields of diffs that no input spec describes.
_OTHER_LABELS = {"file_name": _l("文件名"), "size": _l("大小（字节）"), "sha256": _l("SHA-256"),
                 "gender": _l("性别"), "birth_date": _l("出生日期"), "roles": _l("角色"), "active": _l("启用"),
                 "username": _l("用户名"), "email": _l("电子邮箱"), "first_name": _l("名"), "last_name": _l("姓"),
                 "enterprise_id": _l("所属单位"), "city_code": _l("所属地市"), "filing_no": _l("备案编号")}
_CODES = {"gender": Gender}


def _shown(value: Any, codes: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_l("是") if value else _l("否"))
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "—"
    return codes.label(value) if codes is not None else str(value)


def audit_changes(event: AuditEvent) -> list[tuple[str, str, str]]:
    """A save's before/after diff as (字段, 旧值, 新值) rows in Chinese, in the spec's field order (ID numbers were
    masked when the event was written)."""
    diff = event.diff or {}
    changes = diff.get("changes") if isinstance(diff, dict) else None
    if not isinstance(changes, dict):
        return []
    fields = {f.name: f for spec in _DIFF_SPECS.get(event.entity, ()) for f in spec.fields}
    order = list(fields)
    rows = []
    for name in sorted(changes, key=lambda n: (order.index(n) if n in order else len(order), n)):
        pair = changes[name]
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        f = fields.get(name)
        label = f.label if f is not None else _OTHER_LABELS.get(name, name)
        codes = f.codes if f is not None else _CODES.get(name)
        rows.append((str(label), _shown(pair[0], codes), _shown(pair[1], codes)))
    return rows


def register_template_globals(app: Flask) -> None:
    """Make the three label helpers available to every template (the timeline partial uses them)."""
    app.jinja_env.globals.update(
        audit_action_label=audit_action_label,
        audit_status_label=audit_status_label,
        audit_entity_label=audit_entity_label,
        audit_changes=audit_changes,
    )

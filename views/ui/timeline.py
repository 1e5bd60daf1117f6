"""Labels of the audit timeline (审核记录) shown on the reviewer's detail page and the enterprise's 备案信息 tab.

The events themselves come from ``queries.audit.timeline_context``; ``templates/audit/_timeline.html`` shows them
with the Jinja globals ``audit_action_label`` / ``audit_status_label`` / ``audit_entity_label`` registered here
(``register_template_globals``, called by ``app.py``).
"""
from __future__ import annotations

from typing import Any, Optional

from flask import Flask
from flask_babel import lazy_gettext as _l

from models.audit import AuditEvent
from models.enums import ChangeRequestStatus, ClaimStatus, ClassStatus, FilingStatus, TraineeStatus

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
}

AUDIT_ENTITY_LABELS = {
    "filing": _l("备案"),
    "trainee": _l("培训人员"),
    "teacher": _l("培训师资"),
    "training_class": _l("培训班"),
    "course": _l("培训课程"),
    "change_request": _l("变更申请"),
    "attachment": _l("上传材料"),
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


def register_template_globals(app: Flask) -> None:
    """Make the three label helpers available to every template (the timeline partial uses them)."""
    app.jinja_env.globals.update(
        audit_action_label=audit_action_label,
        audit_status_label=audit_status_label,
        audit_entity_label=audit_entity_label,
    )

"""The state machines of DESIGN §4, one transition table per entity, in one module.

A table maps ``(from_status, action)`` to the new status; ``None`` as the target means the row is deleted.
``check(table, status, action)`` is the only place an action asks whether it may run.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.errors import TransitionNotAllowed
from models.enums import ChangeRequestStatus as CR
from models.enums import ClaimStatus as CS
from models.enums import FilingStatus as FS

DELETED = None

FILING_TRANSITIONS: dict[tuple[str, str], str | None] = {
    (FS.DRAFT, "submit"): FS.SUBMITTED,
    (FS.RETURNED, "submit"): FS.SUBMITTED,
    (FS.SUBMITTED, "withdraw"): FS.DRAFT,
    (FS.SUBMITTED, "approve"): FS.APPROVED,
    (FS.SUBMITTED, "return"): FS.RETURNED,
    (FS.APPROVED, "cancel_class"): FS.CANCELLED,
    (FS.DRAFT, "delete"): DELETED,
    (FS.RETURNED, "delete"): DELETED,
}

CHANGE_REQUEST_TRANSITIONS: dict[tuple[str, str], str | None] = {
    (CR.DRAFT, "submit"): CR.SUBMITTED,
    (CR.RETURNED, "submit"): CR.SUBMITTED,
    (CR.SUBMITTED, "approve"): CR.APPROVED,
    (CR.SUBMITTED, "return"): CR.RETURNED,
}

CLAIM_TRANSITIONS: dict[tuple[str, str], str | None] = {
    (CS.DRAFT, "submit"): CS.SUBMITTED,
    (CS.RETURNED, "submit"): CS.SUBMITTED,
    (CS.SUBMITTED, "approve"): CS.APPROVED,
    (CS.SUBMITTED, "return"): CS.RETURNED,
    (CS.SUBMITTED, "cancel"): CS.DRAFT,  # 取消申请
    (CS.DRAFT, "delete"): DELETED,
    (CS.RETURNED, "delete"): DELETED,
}

# Edits of a filing's tabs are allowed only in these states (DESIGN §4).
FILING_EDITABLE = frozenset({FS.DRAFT, FS.RETURNED})
CLAIM_EDITABLE = frozenset({CS.DRAFT, CS.RETURNED})

ACTION_LABELS = {
    "submit": _l("提交审核"),
    "withdraw": _l("撤回"),
    "approve": _l("审核通过"),
    "return": _l("退回"),
    "cancel_class": _l("注销培训班"),
    "delete": _l("删除"),
    "cancel": _l("取消申请"),
}


def allowed(table: dict, status: str, action: str) -> bool:
    """Whether ``action`` may run from ``status`` (used by views to show only allowed buttons)."""
    return (status, action) in table


def check(table: dict, status: str, action: str) -> str | None:
    """The target status of ``action`` from ``status``.

    :raises TransitionNotAllowed: the pair is not in the table.
    """
    if (status, action) not in table:
        raise TransitionNotAllowed(
            _l("当前状态不允许%(action)s，状态可能已变化，请刷新后重试", action=ACTION_LABELS.get(action, action))
        )
    return table[(status, action)]

"""The transition runner (DESIGN §4): every state change of every entity runs through ``run``.

A transition is a row of data (``Transition``): from which states, by which action, to which state, by which role,
with which guard (the rules), effect (what else changes), inputs (原因 / 意见 …) and how the row action looks
(label, confirmation text, icon, which screens show it, whether several rows can be chosen at once). The tables live
in ``actions/transitions.py``; this module knows none of them.

``run`` does, for any row: role check (403) → load through the scope with a row lock (404 when missing or out of
scope) → state check (409) → inputs cleaned (422) → guard → ``status`` and timestamps set → effect → AuditEvent with
from/to status, reason and the effect's diff → ``version`` bumped by the ORM's version counter at flush (a concurrent
decision on the same row loses with 409). ``status`` is assigned nowhere else (seed data aside).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any, Callable, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions import audit
from core.cleaning import Cleaner
from core.clock import today
from core.errors import Forbidden, NotFound, TransitionNotAllowed
from models.base import utcnow
from models.enums import RoleName
from models.scope import Actor, load_scoped

TEXT, DATE, TIME, INT = "text", "date", "time", "int"


@dataclass(frozen=True)
class Input:
    """A value the user gives with a transition (e.g. 退回 needs an 审核意见)."""

    name: str
    label: Any
    kind: str = TEXT  # TEXT (textarea), DATE, TIME (HH:MM) or INT (e.g. the id of a chosen row)
    required: bool = False
    max_len: int = 1000
    default_today: bool = False  # DATE: today when left empty
    not_future: bool = False  # DATE: refused after today
    api_name: Optional[str] = None  # the JSON body's name when it differs (DESIGN §10: mark_lost takes "reason")


@dataclass(frozen=True)
class Transition:
    """One row of a transition table: the rule data and how its row action appears."""

    entity: str  # the workflow it belongs to ("filing", "trainee")
    action: str  # API path segment and audit action ("submit", "approve" …)
    sources: tuple[str, ...]  # the states it may start from
    target: Optional[str]  # the new state; None deletes the row (the audit event stays)
    role: str  # models.enums.RoleName allowed to run it
    label: Any  # button text, e.g. 提交审核
    confirm: Any = None  # confirmation text shown before it runs (destructive or final actions)
    icon: str = "fa-check"
    style: str = "default"  # bootstrap button style
    inputs: tuple[Input, ...] = ()
    guard: Optional[Callable[..., None]] = None  # guard(session, actor, row, values): raises a DomainError
    effect: Optional[Callable[..., Optional[dict]]] = None  # effect(session, actor, row, values) -> audit diff
    stamps: tuple[str, ...] = ()  # timestamp attributes set to now
    reason_input: Optional[str] = None  # which input is the audit event's reason
    screens: tuple[str, ...] = ()  # where the row action is offered ("filing", "results", "review", "trainees")
    multi: bool = False  # may run on several chosen rows at once (a list's bulk action)
    success: Any = None  # flash message after it ran
    loader: Optional[Callable[..., Any]] = None  # loader(session, actor, pk) → locked row; default: the scope
    refused: Any = None  # the 409 message when the row's state does not allow it (default: a generic one)
    help: Any = None  # one sentence on what it does for API users (OpenAPI description; rules and status codes, not shown in screens)
    internal: bool = False  # run by another row's effect only (no button, no API endpoint)


@dataclass(frozen=True)
class Workflow:
    """The transitions of one entity and how its rows are named and found."""

    entity: str
    model: type
    transitions: tuple[Transition, ...]
    status_codes: Any = None  # the models.enums CodeSet of the states (labels)
    status_attr: str = "status"
    forbidden: dict[str, Any] = field(default_factory=dict)  # role → message when another role tries
    parent_lock: Optional[Callable[..., Any]] = None  # lock the parent row first (child transitions)

    def transition(self, action: str) -> Transition:
        for t in self.transitions:
            if t.action == action:
                return t
        raise NotFound()

    def pairs(self) -> dict[tuple[str, str], Optional[str]]:
        """The table as ``(from, action) → to`` (what DESIGN §4 lists)."""
        return {(source, t.action): t.target for t in self.transitions for source in t.sources}


WORKFLOWS: dict[str, Workflow] = {}


def register(workflow: Workflow) -> Workflow:
    WORKFLOWS[workflow.entity] = workflow
    return workflow


def workflow(entity: str) -> Workflow:
    """The workflow of ``entity`` (the tables register themselves when actions.transitions is imported)."""
    if entity not in WORKFLOWS:
        from actions import transitions  # noqa: F401  (registers every table)
    try:
        return WORKFLOWS[entity]
    except KeyError:
        raise NotFound() from None


def may_act_as(actor: Actor, role: str) -> bool:
    """Whether ``actor`` holds ``role`` with the link it needs (an enterprise user its enterprise, a reviewer its city)."""
    return {RoleName.ENTERPRISE: actor.is_enterprise, RoleName.REVIEWER: actor.is_reviewer,
            RoleName.ADMIN: actor.is_admin}.get(role, False)


def not_allowed(t: Transition) -> TransitionNotAllowed:
    if t.refused is not None:
        return TransitionNotAllowed(t.refused)
    return TransitionNotAllowed(_l("当前状态不允许%(action)s，状态可能已变化，请刷新后重试", action=t.label))


def allowed_for(entity: str, action: str, status: Optional[str], actor: Optional[Actor] = None) -> bool:
    """Whether the row action is offered for a row in ``status`` (and to ``actor``'s role, when given)."""
    flow = workflow(entity)
    for t in flow.transitions:
        if t.action == action and status in t.sources:
            return actor is None or may_act_as(actor, t.role)
    return False


def actions_for(entity: str, status: Optional[str], actor: Actor, screen: Optional[str] = None) -> list[Transition]:
    """The row actions ``actor`` may run on a row in ``status`` (on ``screen``), in table order."""
    return [t for t in workflow(entity).transitions
            if status in t.sources and may_act_as(actor, t.role) and not t.internal
            and (screen is None or screen in t.screens)]


def clean_inputs(t: Transition, data: Optional[dict]) -> dict[str, Any]:
    """The transition's inputs from ``data`` (a form or JSON body), cleaned; ValidationFailed names each one."""
    data = dict(data or {})
    for item in t.inputs:
        if item.kind == DATE and item.default_today and data.get(item.name) in (None, ""):
            data[item.name] = today()
    clean = Cleaner(data)
    for item in t.inputs:
        if item.kind == DATE:
            day = clean.day(item.name, item.label, required=item.required)
            if day and item.not_future and day > today():
                clean.error(item.name, _l("%(label)s不能晚于今天", label=item.label), day)
        elif item.kind == TIME:
            _clean_time(clean, item.name, item.label, item.required)
        elif item.kind == INT:
            clean.integer(item.name, item.label, required=item.required, minimum=1)
        else:
            clean.text(item.name, item.label, required=item.required, max_len=item.max_len)
    return clean.finish()


_TIME = re.compile(r"([01]?\d|2[0-3])[:：]?([0-5]\d)")  # 09:00, 9:00, 09：00 or 0900 as typed (issue 12)


def _clean_time(clean: Cleaner, key: str, label: Any, required: bool) -> None:
    """A time of day typed as HH:MM (a full-width colon too) into ``clean.out[key]``; anything else is named."""
    raw = clean.raw(key)
    if isinstance(raw, time):
        clean.out[key] = raw
        return
    if raw in (None, ""):
        if required:
            clean.error(key, _l("请填写%(label)s", label=label))
        clean.out[key] = None
        return
    match = _TIME.fullmatch(raw.strip()) if isinstance(raw, str) else None
    if match is None:
        clean.error(key, _l("%(label)s格式不正确，应为 HH:MM，如 09:00", label=label), raw)
        clean.out[key] = None
        return
    clean.out[key] = time(int(match.group(1)), int(match.group(2)))


def run(session: Session, actor: Actor, entity: str, action: str, pk: Any, data: Optional[dict] = None) -> Any:
    """Apply the ``action`` row of ``entity``'s table to row ``pk`` for ``actor`` (see the module docstring).

    :raises Forbidden: the actor's role may not run this action.
    :raises NotFound: no such row, or not in the actor's scope.
    :raises TransitionNotAllowed: the row's state does not allow the action (or changed meanwhile).
    :raises ValidationFailed: an input is missing or invalid, or the guard's rules refuse.
    """
    flow = workflow(entity)
    t = flow.transition(action)
    if not may_act_as(actor, t.role):
        raise Forbidden(flow.forbidden.get(t.role))
    if t.loader is not None:
        row = t.loader(session, actor, pk)
    else:
        row = load_scoped(session, flow.model, pk, actor)
        if flow.parent_lock is not None:
            flow.parent_lock(session, actor, row)
        row = load_scoped(session, flow.model, row.id, actor, for_update=True)
    before = getattr(row, flow.status_attr)
    if before not in t.sources:
        raise not_allowed(t)
    values = clean_inputs(t, data)
    if t.guard is not None:
        t.guard(session, actor, row, values)
    diff = None
    if t.target is not None:
        setattr(row, flow.status_attr, t.target)
        now = utcnow()
        for stamp in t.stamps:
            setattr(row, stamp, now)
    if t.effect is not None:
        diff = t.effect(session, actor, row, values)
    reason = values.get(t.reason_input) if t.reason_input else None
    if t.target is None:
        audit.record(session, actor, t.action, row, from_status=before, to_status=None, reason=reason, diff=diff)
        session.delete(row)
        session.flush()
        return None
    session.flush()  # the version check happens here: a concurrent change makes it fail (StaleDataError → 409)
    audit.record(session, actor, t.action, row, from_status=before, to_status=t.target, reason=reason, diff=diff)
    return row


def run_many(session: Session, actor: Actor, entity: str, action: str, pks: list[Any],
             data: Optional[dict] = None) -> list[Any]:
    """The same row action on several rows (a list's bulk action, e.g. deleting several drafts): all or nothing.

    :raises ValidationFailed: one error per refused row, naming it; nothing of the others is kept either
        (the caller rolls back).
    """
    from core.errors import DomainError, FieldError, ValidationFailed

    if not pks:
        raise ValidationFailed([FieldError("pk", _l("请先勾选要办理的记录"))])
    if not workflow(entity).transition(action).multi:
        raise NotFound()
    results, errors = [], []
    for pk in dict.fromkeys(pks):
        # No savepoint per row (pysqlite's SAVEPOINT outside a transaction would commit on release): any refusal
        # makes the caller roll the whole request back, so a half-run row never stays.
        try:
            results.append(run(session, actor, entity, action, pk, data))
        except (NotFound, Forbidden):
            raise  # a row out of scope, or a role that may never: 404 / 403 for the whole request
        except DomainError as exc:
            errors.append(FieldError("pk", _l("第 %(pk)s 条：%(message)s", pk=pk, message=exc.message), pk))
    if errors:
        raise ValidationFailed(errors, _l("有 %(n)d 条记录不能办理，未做任何修改", n=len(errors)))
    return results


def success_message(t: Transition, row: Any) -> str:
    """The flash after ``t`` ran on ``row``; ``%(field)s`` in the row's text is filled from the row."""
    text = str(t.success or t.label)
    if "%(" not in text or row is None:
        return text
    return text % {key: getattr(row, key, "") for key in ("filing_no", "name", "id")}

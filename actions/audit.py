"""The append-only AuditEvent writer: every transition, decision and edit calls ``record`` (R14, DESIGN §7).

Edits carry a before/after diff made by ``changes(before, after)`` of two ``snapshot``s:
``{"changes": {field: [old, new]}, "row": "<the row's name>"}``; ID numbers are masked in it.
One save writes one event, so a timeline shows the edits grouped per save.
"""
from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Iterable, Optional

from sqlalchemy.orm import Session

from core.validators import mask_id_number
from models.audit import AuditEvent
from models.scope import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: Any,
    *,
    from_status: Optional[str] = None,
    to_status: Optional[str] = None,
    reason: Optional[str] = None,
    diff: Optional[dict] = None,
    enterprise_id: Optional[int] = None,
    city_code: Optional[str] = None,
    filing_id: Optional[int] = None,
) -> AuditEvent:
    """Add one AuditEvent for ``entity`` (a model instance); scope columns default to the entity's own."""
    session.flush()  # the entity's id exists before it is referenced
    event = AuditEvent(
        actor_id=actor.user_id,
        actor_name=actor.username,
        role=actor.role,
        action=action,
        entity=entity.__tablename__,
        entity_id=getattr(entity, "id", None),
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        diff=diff,
        enterprise_id=enterprise_id if enterprise_id is not None else _enterprise_of(entity),
        city_code=city_code if city_code is not None else _city_of(entity),
        filing_id=filing_id if filing_id is not None else _filing_of(entity),
        ip=actor.ip,
    )
    session.add(event)
    return event


def _enterprise_of(entity: Any) -> Optional[int]:
    if hasattr(entity, "enterprise_id"):
        return entity.enterprise_id
    if getattr(entity, "filing", None) is not None:
        return entity.filing.enterprise_id
    if entity.__tablename__ == "enterprise":
        return entity.id
    return None


def _filing_of(entity: Any) -> Optional[int]:
    if entity.__tablename__ == "filing":
        return entity.id
    return getattr(entity, "filing_id", None)


def _city_of(entity: Any) -> Optional[str]:
    if hasattr(entity, "city_code"):
        return entity.city_code
    if getattr(entity, "filing", None) is not None:
        return entity.filing.city_code
    return None


#: Fields whose values are masked in diffs (one policy with the lists: ID numbers never in full in the trail).
MASKED_FIELDS = frozenset({"id_number"})


def _plain(name: str, value: Any) -> Any:
    """A JSON-safe form of a column value for the diff."""
    if value is None or isinstance(value, (bool, int, str)):
        return mask_id_number(value) if name in MASKED_FIELDS and value else value
    if isinstance(value, (date, datetime, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def snapshot(row: Any, names: Iterable[str]) -> dict[str, Any]:
    """The values of ``names`` on ``row`` (None for a row that does not exist yet)."""
    if row is None:
        return {}
    return {name: _plain(name, getattr(row, name, None)) for name in names}


def changes(before: dict[str, Any], after: dict[str, Any], row_name: Any = None) -> Optional[dict]:
    """``{"changes": {field: [old, new]}, "row": name}`` for the fields that differ, or None when nothing did."""
    diff = {key: [before.get(key), after.get(key)] for key in after.keys() | before.keys()
            if before.get(key) != after.get(key)}
    if not diff:
        return None
    out: dict[str, Any] = {"changes": dict(sorted(diff.items()))}
    if row_name:
        out["row"] = str(row_name)
    return out


def record_edit(session: Session, actor: Actor, action: str, entity: Any, before: dict, after: dict, *,
                row_name: Any = None, filing: Any = None) -> Optional[AuditEvent]:
    """Audit one save of ``entity`` (create / update / delete) with its before/after diff; nothing if unchanged."""
    diff = changes(before, after, row_name)
    if diff is None and action == "update":
        return None
    return record(session, actor, action, entity, diff=diff or ({"row": str(row_name)} if row_name else None),
                  enterprise_id=filing.enterprise_id if filing is not None else None,
                  city_code=filing.city_code if filing is not None else None,
                  filing_id=filing.id if filing is not None else None)


def record_bulk(session: Session, actor: Actor, table: str, events: list[dict[str, Any]]) -> int:
    """Add many AuditEvents of rows of ``table`` in one multi-row INSERT (a registry import writes one per row it
    created or changed). Each event: ``action``, ``entity_id``, ``diff`` and optionally ``enterprise_id``,
    ``city_code``, ``filing_id``. Returns how many were written."""
    if not events:
        return 0
    from sqlalchemy import insert

    from models.base import utcnow

    now = utcnow()
    payload = [{"created_at": now, "actor_id": actor.user_id, "actor_name": actor.username, "role": actor.role,
                "action": event["action"], "entity": table, "entity_id": event.get("entity_id"),
                "from_status": None, "to_status": None, "reason": None, "diff": event.get("diff"),
                "enterprise_id": event.get("enterprise_id"), "city_code": event.get("city_code"),
                "filing_id": event.get("filing_id"), "ip": actor.ip} for event in events]
    session.execute(insert(AuditEvent.__table__), payload)
    return len(payload)


def plain(name: str, value: Any) -> Any:
    """The JSON-safe, masked form of a column value as diffs hold it (for callers that build diffs in bulk)."""
    return _plain(name, value)

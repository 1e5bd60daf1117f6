"""The append-only AuditEvent writer: every transition and decision calls ``record`` (R14)."""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

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


def _city_of(entity: Any) -> Optional[str]:
    if hasattr(entity, "city_code"):
        return entity.city_code
    if getattr(entity, "filing", None) is not None:
        return entity.filing.city_code
    return None

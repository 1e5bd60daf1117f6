"""The audit timeline of a filing (审核记录): the AuditEvents of the filing and of its rows (every save of a tab,
classes, teachers, trainees, courses, materials, change requests — e.g. 标记为流失 of a trainee), oldest first,
limited to the actor's scope, with the names of the accounts that acted. Shared by the reviewer's detail page and the enterprise's filing page
(rendered by ``templates/audit/_timeline.html``; labels are the views' concern)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.filing import Filing
from models.scope import Actor, scope_condition
from models.security import AppUser


def timeline_events(session: Session, actor: Actor, filing: Filing) -> list[AuditEvent]:
    """AuditEvents of ``filing`` and of its rows (every save and transition, deleted rows included), oldest first,
    limited to what ``actor`` may see. One indexed query on ``audit_event.filing_id``."""
    stmt = (
        select(AuditEvent)
        .where(scope_condition(AuditEvent, actor), AuditEvent.filing_id == filing.id,
               # SQLite may reuse the id of a deleted draft: its events are older than this filing
               AuditEvent.created_at >= filing.created_at - timedelta(seconds=1))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return list(session.scalars(stmt))


def actor_names(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    """Display names (姓名) of the accounts that acted in ``events``, keyed by user id (one query)."""
    user_ids = {e.actor_id for e in events if e.actor_id is not None}
    if not user_ids:
        return {}
    rows = session.execute(select(AppUser.id, AppUser.first_name, AppUser.last_name)
                           .where(AppUser.id.in_(user_ids)))
    return {uid: f"{first or ''}{last or ''}".strip() for uid, first, last in rows}


def timeline_context(session: Session, actor: Actor, filing: Filing) -> dict:
    """What ``templates/audit/_timeline.html`` needs: ``{"events": [...], "actor_names": {...}}``."""
    events = timeline_events(session, actor, filing)
    return {"events": events, "actor_names": actor_names(session, events)}

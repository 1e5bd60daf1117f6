"""The audit timeline of a filing (审核记录): the AuditEvents of the filing and of its rows (trainees, classes,
teachers, change requests — e.g. 标记为流失 of a trainee), oldest first, limited to the actor's scope, with the
names of the accounts that acted. Shared by the reviewer's detail page and the enterprise's filing page
(rendered by ``templates/audit/_timeline.html``; labels are the views' concern)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.filing import ChangeRequest, Filing, Teacher, Trainee, TrainingClass
from models.scope import Actor, scope_condition
from models.security import AppUser


def timeline_events(session: Session, actor: Actor, filing: Filing) -> list[AuditEvent]:
    """AuditEvents of ``filing`` and of its rows (trainees, classes, teachers, change requests), oldest first,
    limited to what ``actor`` may see. Events older than the filing are left out (SQLite may reuse the id of a
    deleted draft)."""
    def ids(model):
        return select(model.id).where(model.filing_id == filing.id)

    stmt = (
        select(AuditEvent)
        .where(
            scope_condition(AuditEvent, actor),
            or_(
                (AuditEvent.entity == "filing") & (AuditEvent.entity_id == filing.id),
                (AuditEvent.entity == "trainee") & AuditEvent.entity_id.in_(ids(Trainee)),
                (AuditEvent.entity == "teacher") & AuditEvent.entity_id.in_(ids(Teacher)),
                (AuditEvent.entity == "training_class") & AuditEvent.entity_id.in_(ids(TrainingClass)),
                (AuditEvent.entity == "change_request") & AuditEvent.entity_id.in_(ids(ChangeRequest)),
            ),
            AuditEvent.created_at >= filing.created_at - timedelta(seconds=1),
        )
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

"""AuditEvent: the append-only record of every transition and decision (DESIGN §3, R14).

Rows are only ever inserted through ``actions.audit.record``; an ORM guard below refuses updates and deletes.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Model, utcnow


class AuditEvent(Model):
    """Who did what to which row, when (UTC), from where; scoped by enterprise and city like its subject."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        {"extend_existing": True},
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("ab_user.id"))
    actor_name: Mapped[Optional[str]] = mapped_column(String(128))
    role: Mapped[Optional[str]] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    entity: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[Optional[int]] = mapped_column(Integer)
    from_status: Mapped[Optional[str]] = mapped_column(String(16))
    to_status: Mapped[Optional[str]] = mapped_column(String(16))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    diff: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    enterprise_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    city_code: Mapped[Optional[str]] = mapped_column(String(6), index=True)
    #: The filing the event belongs to (the filing or one of its rows): the timeline reads by it.
    filing_id: Mapped[Optional[int]] = mapped_column(Integer, index=True)
    ip: Mapped[Optional[str]] = mapped_column(String(64))


class AuditImmutable(Exception):
    """Raised when code tries to change or delete an audit row."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):  # pragma: no cover - exercised by tests via flush
    raise AuditImmutable("audit events are append-only")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditImmutable("audit events are append-only")


# Database-level guard as well (raw SQL, bulk deletes): triggers refusing UPDATE and DELETE of audit rows.
# Created by a migration; tests that empty the database disable them for that transaction only.
AUDIT_TRIGGERS_SQL = {
    "postgresql": [
        """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only';
END;
$$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    ],
    "sqlite": [
        """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
        """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""",
    ],
}
AUDIT_TRIGGERS_DROP_SQL = {
    "postgresql": ["DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
                   "DROP FUNCTION IF EXISTS audit_event_append_only()"],
    "sqlite": ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"],
}

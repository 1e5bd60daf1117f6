"""``/api/v1/audit_event/``: the audit trail in scope, read-only (GET only; audit rows are never edited or
deleted — the table is append-only, models/audit.py)."""
from __future__ import annotations

from models.audit import AuditEvent
from views.base import ScopedModelRestApi, interface


class AuditEventApi(ScopedModelRestApi):
    """``/api/v1/audit_event/``: read the audit trail in scope; no POST/PUT/DELETE routes exist (append-only)."""

    resource_name = "audit_event"
    openapi_spec_tag = "audit_event 审计记录"
    datamodel = interface(AuditEvent)
    class_permission_name = "AuditEvent"
    method_permission_name = {"get": "read", "get_list": "read", "info": "read"}
    base_permissions = ["can_read"]
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = [
        "id", "created_at", "actor_id", "actor_name", "role", "action", "entity", "entity_id",
        "from_status", "to_status", "reason", "diff", "enterprise_id", "city_code",
    ]
    search_columns = ["entity", "entity_id", "action", "actor_name", "created_at"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "asc")
    page_size = 50

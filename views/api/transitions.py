"""``POST /api/v1/<resource>/<pk>/<action>`` endpoints generated from the transition tables (DESIGN §4, §10).

``add_transition_endpoints(ApiClass, entity)`` adds one endpoint per row of ``entity``'s table (rows that delete
are the resource's DELETE): the JSON body carries the row's inputs (under their API names), the answer is the row
as GET shows it, and the OpenAPI operation (summary, description, body schema, 200/401/403/404/409/422) is written
from the row. A new row in ``actions/transitions.py`` is a new endpoint with no code here.
"""
from __future__ import annotations

import keyword
from typing import Any, Callable, Optional

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name

from actions.workflow import DATE, Transition, run, workflow
from core.errors import DomainError, ValidationFailed
from models.enums import RoleName
from views.api.common import REVIEW, WRITE, check_fields, json_body
from views.api.openapi import transition
from views.glue import error_response

#: Who runs a row → the API permission it needs (models/roles.py grants can_write / can_review).
ROLE_PERMISSION = {RoleName.ENTERPRISE: WRITE, RoleName.REVIEWER: REVIEW, RoleName.ADMIN: WRITE}
ROLE_LABEL = {RoleName.ENTERPRISE: "企业用户", RoleName.REVIEWER: "备案所在地市的审核员", RoleName.ADMIN: "省级管理员"}

#: A hook that turns the rule failure of one action into a richer error (e.g. submit's 422 carries the checklist).
ErrorHook = Callable[[Any, Any, Any, ValidationFailed], DomainError]


def method_name(t: Transition) -> str:
    """The endpoint's method (and permission) name: the action, or ``<action>_<entity>`` for a keyword."""
    return f"{t.action}_{t.entity}" if keyword.iskeyword(t.action) else t.action


def body_schema(t: Transition) -> Optional[dict]:
    """The JSON request body of a row, from its inputs (None when it takes none)."""
    if not t.inputs:
        return None
    properties = {}
    for item in t.inputs:
        prop: dict[str, Any] = {"type": "string", "description": str(item.label)}
        if item.kind == DATE:
            prop["format"] = "date"
            if item.default_today:
                prop["description"] += "，YYYY-MM-DD，不填为今天"
        else:
            prop["maxLength"] = item.max_len
        properties[item.api_name or item.name] = prop
    required = [item.api_name or item.name for item in t.inputs if item.required and not item.default_today]
    return {"type": "object", "properties": properties, **({"required": required} if required else {})}


def _description(t: Transition) -> str:
    """From → to in Chinese, the row's help text, and when it answers 409."""
    codes = workflow(t.entity).status_codes
    text = f"{'/'.join(codes.label(s) for s in t.sources)} → {codes.label(t.target)}。"
    if t.help:
        text += str(t.help)
    if not t.inputs:
        text += "不需要请求体。"
    return text + "当前状态不允许时答 409（含并发操作中失败的一方）。"


def _run(t: Transition, error_hook: Optional[ErrorHook]):
    names = {item.api_name or item.name: item.name for item in t.inputs}

    def call(session, actor, pk, data: dict):
        check_fields(data, names)
        values = {names[key]: value for key, value in data.items()}
        try:
            return run(session, actor, t.entity, t.action, pk, values)
        except ValidationFailed as exc:
            back = {name: api for api, name in names.items()}
            for error in exc.errors:  # the body's names, not the internal ones
                if error.field in back:
                    error.field = back[error.field]
            if error_hook is not None:
                raise error_hook(session, actor, pk, exc) from None
            raise

    return call


def _endpoint(t: Transition, error_hook: Optional[ErrorHook]) -> Callable:
    call = _run(t, error_hook)

    def endpoint(self, pk: int):
        try:
            data = json_body(required=False)
        except DomainError as exc:
            return error_response(exc)
        return self._act(call, pk, data)

    endpoint.__name__ = method_name(t)
    schema = body_schema(t)
    endpoint = transition(f"{t.label}（{ROLE_LABEL[t.role]}）", _description(t), body_inline=schema,
                          body_required=bool(schema and schema.get("required")),
                          rule_failed=bool(t.guard or t.inputs))(endpoint)
    endpoint = permission_name(method_name(t))(endpoint)
    endpoint = safe(endpoint)
    endpoint = protect()(endpoint)
    return expose(f"/<int:pk>/{t.action}", methods=["POST"])(endpoint)


def add_transition_endpoints(api_class: type, entity: str, error_hooks: Optional[dict[str, ErrorHook]] = None):
    """Add the endpoints of ``entity``'s table to ``api_class`` (call right after the class statement)."""
    permissions = dict(getattr(api_class, "method_permission_name", {}) or {})
    for t in workflow(entity).transitions:
        if t.target is None or t.internal:
            continue  # deleting is the resource's DELETE; internal rows are run by other rows only
        setattr(api_class, method_name(t), _endpoint(t, (error_hooks or {}).get(t.action)))
        permissions[method_name(t)] = ROLE_PERMISSION[t.role]
    api_class.method_permission_name = permissions
    return api_class


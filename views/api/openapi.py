"""OpenAPI pieces shared by the REST APIs (DESIGN §10): the components (error body, checklist, row, request
bodies; the 409 conflict and 422 rule-failed responses) and decorators that write the standard operation of a
``/<pk>/<action>`` endpoint, so each endpoint states only its summary, description and body.

FAB reads an endpoint's OpenAPI operation from the YAML after ``---`` in its docstring; ``operation`` writes that
docstring. It must be the innermost decorator (below ``@permission_name``): the outer ones copy ``__doc__``.
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Optional

import yaml
from apispec.exceptions import DuplicateComponentNameError

from models.enums import AttachmentKind

PK_PARAMETER = {"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}


def response_ref(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def schema_ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


#: 401/403/404 of every endpoint on one row (FAB's own response components).
STANDARD_RESPONSES = {401: response_ref("401"), 403: response_ref("403"), 404: response_ref("404")}
ROW = response_ref("FilingRow")
CONFLICT = response_ref("FilingConflict")
RULE_FAILED = response_ref("FilingRuleFailed")


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors/aliases (shared dicts are written out each time)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def operation(method: str, summary: str, description: Optional[str] = None, *, ok: dict,
              body: Optional[str] = None, body_required: bool = False, body_inline: Optional[dict] = None,
              responses: Optional[dict] = None) -> Callable[[Callable], Callable]:
    """Decorator: the OpenAPI operation of a ``/<pk>/…`` endpoint, written as the docstring FAB reads.

    ``ok`` is the 200 response, ``body`` the name of the JSON request-body schema, ``responses`` the codes
    after the standard 401/403/404.
    """
    spec: dict[str, Any] = {"summary": summary}
    if description:
        spec["description"] = description
    spec["parameters"] = [PK_PARAMETER]
    if body or body_inline:
        schema = schema_ref(body) if body else body_inline
        spec["requestBody"] = {"required": body_required, "content": json_content(schema)}
    spec["responses"] = {200: ok, **STANDARD_RESPONSES, **(responses or {})}
    doc = f"{summary}\n---\n" + yaml.dump({method: spec}, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False)

    def decorate(fn: Callable) -> Callable:
        fn.__doc__ = doc
        return fn

    return decorate


def transition(summary: str, description: str, *, body: Optional[str] = None, body_required: bool = False,
               body_inline: Optional[dict] = None, rule_failed: bool = True) -> Callable[[Callable], Callable]:
    """Decorator: ``POST /<pk>/<action>`` answering the row (200), 409 in the wrong state and, when the action
    has rules, 422 with the Chinese field errors."""
    responses = {409: CONFLICT, **({422: RULE_FAILED} if rule_failed else {})}
    return operation("post", summary, description, ok=ROW, body=body, body_required=body_required,
                     body_inline=body_inline, responses=responses)


_ERROR = {
    "type": "object",
    "properties": {
        "message": {"type": "string", "description": "中文说明"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": "string"}, "value": {}, "message": {"type": "string"},
            "row": {"type": "integer"}, "column": {"type": "string"}}}},
    },
}
_CHECKLIST = {
    "type": "object",
    "properties": {
        "ready": {"type": "boolean"},
        "items": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "label": {"type": "string"}, "ok": {"type": "boolean"},
            "message": {"type": "string"}, "tab": {"type": "string"}}}},
        "missing_attachment_kinds": {"type": "array", "items": {"type": "string"}},
    },
}
SCHEMAS = {
    "FilingApiError": _ERROR,
    "FilingChecklist": _CHECKLIST,
    "FilingChecklistError": {"allOf": [
        schema_ref("FilingApiError"),
        {"type": "object", "properties": {"checklist": schema_ref("FilingChecklist")}},
    ]},
    "FilingReviewOpinion": {"type": "object", "properties": {"opinion": {"type": "string", "description": "审核意见"}}},
    "TraineeMarkLost": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string", "description": "流失原因"},
        "lost_date": {"type": "string", "format": "date", "description": "流失日期 YYYY-MM-DD，默认今天"}}},
    "ChangeRequestSwap": {"type": "object", "required": ["course_id", "teacher_id"], "properties": {
        "course_id": {"type": "integer", "description": "本备案的培训课程"},
        "teacher_id": {"type": "integer", "description": "新授课教师（在用师资或本次变更申请中新增的师资）"}}},
    "FilingApiRow": {"type": "object", "properties": {"id": {"type": "integer"}, "result": {"type": "object"}}},
    "AttachmentUpload": {"type": "object", "required": ["file", "kind", "filing_id"], "properties": {
        "file": {"type": "string", "format": "binary"},
        "kind": {"type": "string", "enum": AttachmentKind.codes()},
        "filing_id": {"type": "integer"}}},
}
RESPONSES = {
    "FilingRow": {"description": "更新后的记录 {id, result}", "content": json_content(schema_ref("FilingApiRow"))},
    "FilingConflict": {"description": "当前状态不允许该操作（含并发操作中失败的一方）",
                       "content": json_content(schema_ref("FilingApiError"))},
    "FilingRuleFailed": {"description": "业务规则或数据校验不通过（中文，逐字段说明；提交审核时另附 checklist）",
                         "content": json_content(schema_ref("FilingChecklistError"))},
}


def add_components(api_spec) -> None:
    """Add the shared schemas and responses to the document (the first API to call it adds them)."""
    for add, components in ((api_spec.components.schema, SCHEMAS), (api_spec.components.response, RESPONSES)):
        for name, component in components.items():
            try:
                add(name, copy.deepcopy(component))  # apispec may resolve references in place
            except DuplicateComponentNameError:
                pass

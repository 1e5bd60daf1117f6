"""``/api/v1/registration`` (企业注册 / 注册审核, DESIGN §10, issue 14).

- ``POST /`` (no login): ``{"uscc", "enterprise_name", "city_code", "legal_representative", "contact_name",
  "contact_phone", "username", "password"}`` (+ optional ``email``) → 201 ``{"id", "application_no", "status":
  "PENDING", …}``; rate-limited per client IP like the login (429); refused fields → 422 naming each.
- ``GET /`` (reviewer: its city; admin: every city), paged, ``?status=&uscc=&city_code=``; ``GET /<pk>`` adds
  ``application_no`` and ``existing_enterprise`` (what approval links: the differences with the registration).
- ``POST /<pk>/approve`` / ``POST /<pk>/return`` ``{"reason"}``, generated from the REGISTRATION table
  (actions/transitions.py): the city's reviewer; 409 when already decided (also the loser of two at once).
The password hash never leaves the server.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, safe
from flask_babel import lazy_gettext as _l

from actions import registration
from actions.workflow import workflow
from core.errors import DomainError
from models.base import db
from models.enums import RegistrationStatus
from models.registration import EnterpriseRegistration, application_no
from models.scope import Actor
from views.api.common import ContractApi, check_fields, json_body
from views.api.transitions import add_transition_endpoints, method_name
from views.base import API_PERMISSIONS, interface
from views.glue import api_call, error_response
from views.ui.registration import TOO_MANY, registration_limited

COLUMNS = ["id", "uscc", "enterprise_name", "city_code", "legal_representative", "contact_name", "contact_phone",
           "email", "username", "status", "reason", "created_at", "reviewed_at", "reviewed_by_id", "user_id",
           "enterprise_id"]

_BODY = {"type": "object", "required": ["uscc", "enterprise_name", "city_code", "legal_representative",
                                        "contact_name", "contact_phone", "username", "password"],
         "properties": {f.name: {"type": "string", "description": str(f.label), "maxLength": f.max_len or 32}
                        for f in registration.REGISTRATION.fields}}


def _registered(row: EnterpriseRegistration) -> dict:
    return {"id": row.id, "application_no": row.application_no, "status": row.status,
            "status_label": RegistrationStatus.label(row.status),
            "message": str(_l("注册申请已提交，请等待%(city)s人社部门审核", city=row.city.name if row.city else ""))}


def _register(session, actor: Actor, data: dict) -> EnterpriseRegistration:
    check_fields(data, registration.REGISTRATION.api_fields())
    return registration.register(session, actor, data)


class RegistrationApi(ContractApi):
    """``/api/v1/registration``: 企业注册 (public POST) and 注册审核 (the city's reviewer)."""

    list_title = show_title = _l("企业注册")
    resource_name = "registration"
    class_permission_name = "EnterpriseRegistration"
    openapi_spec_tag = "registration 企业注册"
    datamodel = interface(EnterpriseRegistration)
    # POST / is public (no permission); the reads and the table's rows are not
    method_permission_name = {name: perm for name, perm in API_PERMISSIONS.items() if name != "post"}
    # no PUT/DELETE/_info: a registration changes only by its transitions (the table's rows, added below)
    include_route_methods = {"get", "get_list", "post", *(method_name(t) for t in workflow("registration").transitions)}
    list_columns = show_columns = COLUMNS
    search_columns = ["uscc", "status", "city_code", "username"]
    simple_filters = {name: name for name in search_columns}
    order_columns = ["id", "created_at", "reviewed_at"]
    base_order = ("id", "desc")
    code_labels = {"status": RegistrationStatus}
    label_columns = {**registration.REGISTRATION.labels(), "status": _l("状态"), "reason": _l("退回原因"),
                     "created_at": _l("注册时间（UTC）"), "reviewed_at": _l("审核时间（UTC）"),
                     "reviewed_by_id": _l("审核人"), "user_id": _l("开通的账号"), "enterprise_id": _l("单位编号")}

    def pre_get(self, data: dict) -> None:
        super().pre_get(data)
        result = data.get("result", {})
        row = db.session.get(EnterpriseRegistration, data.get("id")) if data.get("id") else None
        if row is not None:
            result["application_no"] = row.application_no
            found = registration.differences(db.session, row)
            enterprise = found["enterprise"]
            result["existing_enterprise"] = None if enterprise is None else {
                "id": enterprise.id, "has_account": found["has_account"],
                "differences": [{"field": f["field"], "registered": f["registered"], "existing": f["existing"]}
                                for f in found["fields"] if f["differs"]]}

    def pre_get_list(self, data: dict) -> None:
        super().pre_get_list(data)
        for row in data.get("result", []):
            row["application_no"] = application_no(row.get("id"), row.get("created_at"))

    def get_method_permission(self, method_name: str):
        """None for the public POST, so its OpenAPI operation asks for no JWT (FAB adds one to every method it
        finds a permission for)."""
        return None if method_name == "post" else super().get_method_permission(method_name)

    def _row(self, item: Any) -> dict:
        row = super()._row(item)
        row["result"]["application_no"] = item.application_no
        return row

    @expose("/", methods=["POST"])
    @safe
    def post(self):
        """企业注册 (no login)
        ---
        post:
          summary: 企业注册（无需登录）
          description: >-
            提交后为“待审核”，由所选地市的审核员审核；统一社会信用代码须符合 GB 32100，已注册账号或已有待审核申请的代码、
            已被使用的用户名答 422（逐字段说明）。按客户端 IP 限制频率，超出答 429。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/RegistrationBody'
          responses:
            201:
              description: 已提交，待审核 {id, application_no, status, message}
            400:
              $ref: '#/components/responses/400'
            422:
              $ref: '#/components/responses/FilingRuleFailed'
            429:
              description: 提交过于频繁
        """
        if registration_limited():
            return error_response(_too_many())
        try:
            data = json_body()
        except DomainError as exc:
            return error_response(exc)
        actor = Actor.from_user(None, request.remote_addr)
        return api_call(_register, actor, data, status=201, render=_registered)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        if "RegistrationBody" not in api_spec.components.schemas:
            api_spec.components.schema("RegistrationBody", _BODY)


def _too_many() -> DomainError:
    error = DomainError(TOO_MANY)
    error.status_code = 429
    return error


# POST /api/v1/registration/<pk>/approve|return: the REGISTRATION table of actions/transitions.py.
add_transition_endpoints(RegistrationApi, "registration")

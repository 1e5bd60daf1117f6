"""``/api/v1/account`` (DESIGN §10, issue 14): the accounts an admin or a city reviewer manages.

- ``GET /api/v1/account/?page=0&page_size=20&search=&role=REVIEWER|ENTERPRISE&state=active|inactive`` → ``{"count",
  "page", "page_size", "result": [row]}`` (the admin: every reviewer and enterprise account; a reviewer: its city's
  enterprise accounts; an enterprise user: 403);
- ``GET /api/v1/account/<pk>`` → row (404 when not one of the actor's);
- ``POST /api/v1/account/`` ``{"username", "role", "city_code" | "enterprise_id", "first_name", "last_name",
  "email"}`` → 201 ``{"id", "one_time_password", …row}`` — the only time the password is ever shown;
- ``POST /api/v1/account/<pk>/deactivate|activate`` → row (409 when already in that state).

A row is ``id, username, first_name, last_name, email, role, city_code, enterprise_id, enterprise_name, active,
must_change_password, created_on, last_login`` — never a password hash. The rules are actions/account_admin.py.
"""
from __future__ import annotations

import copy
from typing import Any

from apispec.exceptions import DuplicateComponentNameError
from flask import request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import account_admin as aa
from core.errors import DomainError
from models.base import db
from models.scope import current_actor
from models.security import AppUser
from queries.accounts import STATES, account_page
from views.api.common import check_fields, json_body
from views.api.openapi import CONFLICT, add_components, operation
from views.api_guards import BadRequest
from views.base import ChineseApiResponses
from views.glue import api_call, error_response

DEFAULT_PAGE_SIZE = 20
ROW_PROPERTIES = {
    "id": {"type": "integer"},
    "username": {"type": "string"},
    "first_name": {"type": "string"},
    "last_name": {"type": "string"},
    "email": {"type": "string"},
    "role": {"type": "string", "enum": aa.AccountRole.codes()},
    "city_code": {"type": "string", "nullable": True, "description": "地市（审核员本人的地市；企业用户为所属单位的地市）"},
    "enterprise_id": {"type": "integer", "nullable": True},
    "enterprise_name": {"type": "string", "nullable": True},
    "active": {"type": "boolean", "description": "false：已停用，不能登录"},
    "must_change_password": {"type": "boolean", "description": "true：一次性密码尚未修改"},
    "created_on": {"type": "string", "format": "date-time", "description": "UTC"},
    "last_login": {"type": "string", "format": "date-time", "nullable": True, "description": "UTC"},
}
ROW = {"description": "账号", "content": {"application/json": {"schema": {"type": "object",
                                                                        "properties": ROW_PROPERTIES}}}}
CREATE_BODY = {"type": "object", "required": ["username", "role", "first_name", "last_name", "email"], "properties": {
    "username": {"type": "string", "description": "用户名（字母、数字和 _ . @ -，最多 64 个字符，不能与已有账号重复）"},
    "role": {"type": "string", "enum": ["REVIEWER", "ENTERPRISE"],
             "description": "REVIEWER 地市审核员（仅省级管理员）；ENTERPRISE 企业用户"},
    "city_code": {"type": "string", "description": "REVIEWER 必填：所属地市代码"},
    "enterprise_id": {"type": "integer", "description": "ENTERPRISE 必填：所属单位（审核员只能选本市单位）"},
    "first_name": {"type": "string"}, "last_name": {"type": "string"}, "email": {"type": "string"}}}


def _iso(value) -> Any:
    return value.isoformat() if value is not None else None


def account_row(user: AppUser) -> dict:
    """The API's view of an account (never the password or its hash)."""
    enterprise = user.enterprise
    return {"id": user.id, "username": user.username, "first_name": user.first_name, "last_name": user.last_name,
            "email": user.email, "role": aa.AccountRole.of(user),
            "city_code": enterprise.city_code if enterprise is not None else user.city_code,
            "enterprise_id": user.enterprise_id, "enterprise_name": enterprise.name if enterprise is not None else None,
            "active": bool(user.active), "must_change_password": bool(user.must_change_password),
            "created_on": _iso(user.created_on), "last_login": _iso(user.last_login)}


def _create(session, actor, data: dict):
    check_fields(data, aa.CREATE_FIELDS)
    return aa.create_account(session, actor, **{key: data.get(key) for key in aa.CREATE_FIELDS})


def _created(result) -> dict:
    user, password = result
    return {**account_row(user), "one_time_password": password}


def _int_arg(name: str, default: int) -> int:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdecimal()):
        raise BadRequest(_l("%(name)s 应为非负整数", name=name))
    return int(text)


class AccountApi(ChineseApiResponses, BaseApi):
    """``/api/v1/account``: 开通账号, 企业账号 (issue 14)."""

    resource_name = "account"
    openapi_spec_tag = "account 账号"
    class_permission_name = "AccountAdmin"
    method_permission_name = {"get_list": "read", "get": "read", "post": "write", "deactivate": "write",
                              "activate": "write"}
    allow_browser_login = True

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        add_components(api_spec)
        try:
            api_spec.components.schema("AccountCreate", copy.deepcopy(CREATE_BODY))
        except DuplicateComponentNameError:
            pass

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get_list")
    def get_list(self):
        """Accounts the user manages.
        ---
        get:
          summary: 账号列表（省级管理员：全部审核员和企业账号；地市审核员：本市单位的企业账号）
          parameters:
          - {in: query, name: page, schema: {type: integer, minimum: 0}, description: 页码，从 0 开始}
          - {in: query, name: page_size, schema: {type: integer, minimum: 1, maximum: 100}, description: 每页条数，默认 20}
          - {in: query, name: search, schema: {type: string}, description: 用户名、姓名、电子邮箱、单位名称（包含）或统一社会信用代码}
          - {in: query, name: role, schema: {type: string, enum: [REVIEWER, ENTERPRISE]}}
          - {in: query, name: state, schema: {type: string, enum: [active, inactive]}}
          responses:
            200:
              description: '{"count", "page", "page_size", "result": [账号]}'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
        """
        try:
            page = _int_arg("page", 0)
            size = min(max(_int_arg("page_size", DEFAULT_PAGE_SIZE), 1), 100)
            actor = current_actor()
            if not (actor.is_admin or actor.is_reviewer):
                return self.response_403()  # an enterprise user manages no accounts (also refused by the role matrix)
            search = (request.args.get("search") or "").strip()[:64]
            state = request.args.get("state") if request.args.get("state") in STATES else None
            found = account_page(db.session, actor, page + 1, size, q=search, role=request.args.get("role"),
                                 state=state)
        except DomainError as exc:
            return error_response(exc)
        finally:
            db.session.rollback()  # read-only
        items = [account_row(user) for user in found.items] if found.page == page + 1 else []
        return self.response(200, count=found.total, page=page, page_size=size, result=items)

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @operation("get", "一个账号", "不是本人可管理的账号（其他地市的、审核员或管理员的）与不存在的一样答 404。", ok=ROW)
    def get(self, pk: int):
        try:
            row = account_row(aa.load_account(db.session, current_actor(), pk))
        except DomainError as exc:
            return error_response(exc)
        finally:
            db.session.rollback()  # read-only
        return self.response(200, **row)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Create an account with a one-time password.
        ---
        post:
          summary: 开通账号（一次性密码只在此返回一次）
          description: >-
            省级管理员开通地市审核员（role=REVIEWER，city_code 必填）或企业用户（role=ENTERPRISE，enterprise_id 必填）账号；
            地市审核员只能为本市单位开通企业用户账号（其他角色 403，其他地市的单位 404）。新账号首次登录后必须先修改密码。
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/AccountCreate'
          responses:
            201:
              description: '{"id", "one_time_password", 以及账号的各字段}'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/FilingRuleFailed'
        """
        try:
            data = json_body()
        except DomainError as exc:
            return error_response(exc)
        response = api_call(_create, current_actor(), data, status=201, render=_created)
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/<int:pk>/deactivate", methods=["POST"])
    @protect()
    @safe
    @permission_name("deactivate")
    @operation("post", "停用账号", "停用后该账号不能登录，已登录的会话和已签发的 JWT 从下一次请求起失效（重新启用后也不恢复）。"
               "自己的账号和不归本人管理的账号一样答 404；已停用的 409。", ok=ROW, responses={409: CONFLICT})
    def deactivate(self, pk: int):
        return api_call(aa.deactivate_account, current_actor(), pk, render=account_row)

    @expose("/<int:pk>/activate", methods=["POST"])
    @protect()
    @safe
    @permission_name("activate")
    @operation("post", "重新启用账号", "启用后该账号可以重新登录；停用前的会话和 JWT 仍然无效。已启用的 409。", ok=ROW,
               responses={409: CONFLICT})
    def activate(self, pk: int):
        return api_call(aa.activate_account, current_actor(), pk, render=account_row)


"""``/api/v1/filing`` (培训备案, DESIGN §10): create, edit and delete through actions/filings, the
``submit|withdraw|approve|return`` transitions and the 提交审核 ``checklist``.

Reads go through FAB's list/show with the row scope; every write re-loads through the scope inside an action
(404 missing or out of scope, 409 wrong state or lost race, 422 rule failure with Chinese field errors).
"""
from __future__ import annotations

from typing import Any, Callable

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import filings as fa
from actions import review as ra
from core.errors import DomainError, FieldError, ValidationFailed
from models.enums import ApprenticeshipType, FilingStatus, Programme
from models.filing import Filing
from models.scope import current_actor
from views.api.common import READ, REVIEW, WRITE, ChecklistFailed, ContractApi, check_fields, json_body
from views.api.openapi import json_content, operation, schema_ref, transition
from views.base import API_PERMISSIONS, interface
from views.glue import api_call, error_response

FILING_COLUMNS = [
    "id", "programme", "apprenticeship_type", "enterprise_id", "city_code", "status", "filing_no",
    "commitment_accepted", "institution_id", "other_institution_name", "contact_name", "contact_phone",
    "submitted_at", "approved_at", "review_opinion", "reviewed_at", "created_at", "updated_at",
    "enterprise.name", "city.name",
]
FILING_INFO_FIELDS = ("contact_name", "contact_phone")
FILING_INSTITUTION_FIELDS = ("institution_id", "other_institution_name")


def _save_filing(session, actor, pk, data: dict) -> Filing:
    """PUT filing: 备案信息 (contact) and 培训机构情况 (institution, R5) in one transaction, all errors at once."""
    filing = fa.load_filing(session, actor, pk, editable=True)
    check_fields(data, FILING_INFO_FIELDS + FILING_INSTITUTION_FIELDS)
    errors: list[FieldError] = []
    if any(key in data for key in FILING_INFO_FIELDS):
        values = {key: data.get(key, getattr(filing, key)) for key in FILING_INFO_FIELDS}
        try:
            fa.save_filing_info(session, actor, filing.id, values)
        except ValidationFailed as exc:
            errors += exc.errors
    if any(key in data for key in FILING_INSTITUTION_FIELDS):
        if "institution_id" in data:
            institution = data["institution_id"]
            other = data.get("other_institution_name",
                             filing.other_institution_name if institution in (None, "", "other", "OTHER") else None)
        else:  # only a name: 其他培训机构
            institution, other = "other", data.get("other_institution_name")
        try:
            fa.save_institution(session, actor, filing.id,
                                {"institution_id": institution, "other_institution_name": other})
        except ValidationFailed as exc:
            errors += exc.errors
    if errors:
        raise ValidationFailed(errors)
    return filing


def _create_filing(session, actor, data: dict) -> Filing:
    check_fields(data, ("programme", "apprenticeship_type", "commitment_accepted"))
    return fa.create_filing(session, actor, data.get("programme"), data.get("apprenticeship_type"),
                            data.get("commitment_accepted"))


def _submit(session, actor, pk) -> Filing:
    try:
        return fa.submit(session, actor, pk)
    except ValidationFailed as exc:
        raise ChecklistFailed(exc, fa.checklist(session, actor, pk).as_dict()) from None


def _approve(session, actor, pk, data: dict) -> Filing:
    check_fields(data, ("opinion",))
    return ra.approve(session, actor, pk, data.get("opinion"))


def _return(session, actor, pk, data: dict) -> Filing:
    check_fields(data, ("opinion",))
    return ra.return_filing(session, actor, pk, data.get("opinion"))


def _no_body(session, actor, pk, data: dict, fn: Callable[..., Any]):
    check_fields(data, ())
    return fn(session, actor, pk)


def _delete_filing(session, actor, pk) -> None:
    fa.delete_filing(session, actor, pk)


class FilingApi(ContractApi):
    """``/api/v1/filing``: 培训备案."""

    list_title = show_title = add_title = edit_title = _l("培训备案")

    resource_name = "filing"
    class_permission_name = "Filing"
    openapi_spec_tag = "filing 培训备案"
    datamodel = interface(Filing)
    method_permission_name = {**API_PERMISSIONS, "submit": WRITE, "withdraw": WRITE, "approve": REVIEW,
                              "return_filing": REVIEW, "checklist": READ}
    list_columns = show_columns = FILING_COLUMNS
    add_columns = ["programme", "apprenticeship_type", "commitment_accepted"]
    edit_columns = list(FILING_INFO_FIELDS + FILING_INSTITUTION_FIELDS)
    search_columns = ["status", "programme", "apprenticeship_type", "filing_no", "enterprise_id", "city_code"]
    simple_filters = {name: name for name in search_columns}
    order_columns = ["id", "status", "filing_no", "submitted_at", "approved_at", "created_at"]
    base_order = ("id", "desc")
    code_labels = {"programme": Programme, "apprenticeship_type": ApprenticeshipType, "status": FilingStatus}
    openapi_spec_methods = {
        "get_list": {"get": {"description": (
            "备案列表（按权限范围：企业只看本单位，地市审核员只看本市已提交的备案，省级管理员看全部）。"
            "除 rison 参数 q 外，也可用简单查询参数筛选：status、programme、apprenticeship_type、filing_no、"
            "enterprise_id、city_code（等于），以及 page、page_size、order_column、order_direction。")}},
        "post": {"post": {"description": (
            "申请备案：请求体 {programme, apprenticeship_type, commitment_accepted: true}。"
            "commitment_accepted 不为 true 时拒绝（422，R1）；类型须为该培训项目提供的类型（R2），"
            "需要生态链企业认定的类型须有有效认定（R3）。其他字段（含 status）一律 422 拒绝。")}},
        "put": {"put": {"description": (
            "修改未提交/已退回的备案：contact_name、contact_phone（备案信息）、institution_id、"
            "other_institution_name（培训机构情况；institution_id 为 null 或 \"other\" 表示其他培训机构，"
            "此时名称必填，R5）。status 为只读：请求体含 status 时整体拒绝（422），不会被忽略；"
            "其他只读或未知字段同样 422。已提交或已审核的备案答 409。")}},
        "delete": {"delete": {"description": "删除未提交/已退回的备案（审计记录保留）；其他状态答 409。"}},
    }

    def post_headless(self):
        return self._act_on_body(_create_filing, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_save_filing, pk)

    def delete_headless(self, pk):
        return self._act(_delete_filing, pk, render=self._deleted)

    def _transition(self, pk, fn: Callable[..., Any], *, body_fields: tuple = ()):
        try:
            data = json_body(required=False)
        except DomainError as exc:
            return error_response(exc)
        if body_fields:
            return self._act(fn, pk, data)
        return self._act(_no_body, pk, data, fn)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    @transition("提交审核（企业用户）",
                "未提交/已退回 → 已提交待审核。清单未全部满足时答 422，响应体为 {\"message\", \"errors\", "
                "\"checklist\"}，checklist 与 GET …/checklist 相同。不需要请求体。")
    def submit(self, pk: int):
        return self._transition(pk, _submit)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    @permission_name("withdraw")
    @transition("撤回（企业用户，审核前）", "已提交待审核 → 未提交。已被审核（或状态已变化）时答 409。不需要请求体。",
                rule_failed=False)
    def withdraw(self, pk: int):
        return self._transition(pk, fa.withdraw)

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @permission_name("approve")
    @transition("审核通过（备案所在地市的审核员）",
                "已提交待审核 → 审核通过，并分配备案编号（如 XT4401-2026-000123，按地市和年度连续编号）。"
                "两人同时审核同一备案时只有一人成功，另一人答 409。",
                body="FilingReviewOpinion", rule_failed=False)
    def approve(self, pk: int):
        return self._transition(pk, _approve, body_fields=("opinion",))

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    @permission_name("return_filing")
    @transition("退回（备案所在地市的审核员）", "已提交待审核 → 已退回；审核意见 opinion 必填（R14），缺少时答 422。",
                body="FilingReviewOpinion", body_required=True)
    def return_filing(self, pk: int):
        return self._transition(pk, _return, body_fields=("opinion",))

    @expose("/<int:pk>/checklist", methods=["GET"])
    @protect()
    @safe
    @permission_name("checklist")
    @operation("get", "提交审核清单",
               "与“提交审核”页面相同的清单：{\"ready\", \"items\": [{\"code\", \"label\", \"ok\", \"message\", "
               "\"tab\"}], \"missing_attachment_kinds\": [...]}。",
               ok={"description": "清单", "content": json_content(schema_ref("FilingChecklist"))})
    def checklist(self, pk: int):
        return api_call(fa.checklist, current_actor(), pk, render=lambda result: result.as_dict())


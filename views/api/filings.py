"""``/api/v1/filing`` (培训备案, DESIGN §10): create, edit and delete through actions/filings, the
``submit|withdraw|approve|return`` transitions (generated from the transition table) and the 提交审核 ``checklist``.

Reads go through FAB's list/show with the row scope; every write re-loads through the scope inside an action
(404 missing or out of scope, 409 wrong state or lost race, 422 rule failure with Chinese field errors).
"""
from __future__ import annotations

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import checklist as checklist_actions
from actions import filings as fa
from actions.specs import FILING_INFO, INSTITUTION
from core.errors import FieldError, ValidationFailed
from models.enums import ApprenticeshipType, FilingStatus, Programme
from models.filing import Filing
from models.scope import current_actor
from views.api.common import READ, ChecklistFailed, ContractApi, check_fields
from views.api.openapi import json_content, operation, schema_ref
from views.api.transitions import add_transition_endpoints
from views.base import API_PERMISSIONS, interface
from views.glue import api_call

FILING_COLUMNS = [
    "id", "programme", "apprenticeship_type", "enterprise_id", "city_code", "status", "filing_no", "application_no",
    "commitment_accepted", "institution_id", "other_institution_name", "contact_name", "contact_phone",
    "submitted_at", "approved_at", "review_opinion", "reviewed_at", "created_at", "updated_at",
    "enterprise.name", "city.name",
]
FILING_INFO_FIELDS = FILING_INFO.api_fields()
FILING_INSTITUTION_FIELDS = INSTITUTION.api_fields()
CREATE_FIELDS = ("programme", "apprenticeship_type", "commitment_accepted")


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
    """POST filing: 承诺书 + type (R1–R3) and, in the same round trip, every editable field of the spec."""
    check_fields(data, CREATE_FIELDS + FILING_INFO_FIELDS + FILING_INSTITUTION_FIELDS)
    filing = fa.create_filing(session, actor, data.get("programme"), data.get("apprenticeship_type"),
                              data.get("commitment_accepted"))
    rest = {key: value for key, value in data.items() if key not in CREATE_FIELDS}
    if rest:
        _save_filing(session, actor, filing.id, rest)
    return filing


def _with_checklist(session, actor, pk, error: ValidationFailed) -> ChecklistFailed:
    """提交审核 refused: the 422 body also carries the whole checklist (DESIGN §10)."""
    return ChecklistFailed(error, checklist_actions.checklist(session, actor, pk).as_dict())


def _delete_filing(session, actor, pk) -> None:
    fa.delete_filing(session, actor, pk)


class FilingApi(ContractApi):
    """``/api/v1/filing``: 培训备案."""

    list_title = show_title = add_title = edit_title = _l("培训备案")

    resource_name = "filing"
    class_permission_name = "Filing"
    openapi_spec_tag = "filing 培训备案"
    datamodel = interface(Filing)
    method_permission_name = {**API_PERMISSIONS, "checklist": READ}  # + the transitions (added below)
    list_columns = show_columns = FILING_COLUMNS
    add_columns = [*CREATE_FIELDS, *FILING_INFO_FIELDS, *FILING_INSTITUTION_FIELDS]
    edit_columns = list(FILING_INFO_FIELDS + FILING_INSTITUTION_FIELDS)
    search_columns = ["status", "programme", "apprenticeship_type", "filing_no", "application_no", "enterprise_id",
                      "city_code"]
    simple_filters = {name: name for name in search_columns}
    order_columns = ["id", "status", "filing_no", "application_no", "submitted_at", "approved_at", "created_at"]
    base_order = ("id", "desc")
    code_labels = {"programme": Programme, "apprenticeship_type": ApprenticeshipType, "status": FilingStatus}
    openapi_spec_methods = {
        "get_list": {"get": {"description": (
            "备案列表（按权限范围：企业只看本单位，地市审核员只看本市已提交的备案，省级管理员看全部）。"
            "除 rison 参数 q 外，也可用简单查询参数筛选：status、programme、apprenticeship_type、filing_no、"
            "application_no（申请编号，创建时即生成，不变）、"
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

    @expose("/<int:pk>/checklist", methods=["GET"])
    @protect()
    @safe
    @permission_name("checklist")
    @operation("get", "提交审核清单",
               "与“提交审核”页面相同的清单：{\"ready\", \"items\": [{\"code\", \"label\", \"ok\", \"message\", "
               "\"tab\"}], \"missing_attachment_kinds\": [...], \"warnings\": [{\"code\", \"message\", "
               "\"rows\"?}]}。warnings 为提醒（不影响 ready，不阻止提交；审核人员同样可见），仅在备案未审核时给出："
               "trainee_over_60（开班时年满60周岁，rows 含 id、name、age，最多列 20 人）、class_ended（培训结束日期已过）、"
               "course_hours（课程课时合计少于培训课时）、headcount（在训人数少于计划培训人数）。"
               "开班时未满16周岁的培训人员不是提醒而是 trainee 检查项的问题（《劳动法》第十五条）。",
               ok={"description": "清单", "content": json_content(schema_ref("FilingChecklist"))})
    def checklist(self, pk: int):
        return api_call(checklist_actions.checklist, current_actor(), pk, render=lambda result: result.as_dict())



# POST /api/v1/filing/<pk>/submit|withdraw|approve|return: one endpoint per row of the filing table.
add_transition_endpoints(FilingApi, "filing", error_hooks={"submit": _with_checklist})

"""REST API of filings and their child rows (DESIGN §10): a second door to the same actions/ functions.

Resources under ``/api/v1``: ``filing`` (+ ``/<pk>/submit|withdraw|approve|return`` and ``/<pk>/checklist``),
``training_class``, ``teacher``, ``trainee`` (+ ``/<pk>/mark_lost``), ``course`` and ``attachment``
(+ ``/<pk>/content``). Reads go through FAB's list/show with the row scope (``ScopeFilter``); every write
re-loads through ``load_scoped`` inside an action and is answered by ``views.glue.api_call``
(404 missing or out of scope, 409 wrong state or lost race, 422 rule failure with Chinese field errors).

Write bodies are checked against the fields each endpoint accepts: ``status`` and every other read-only or
unknown field is refused with 422 (never silently ignored). A browser session (cookie) may use the API too;
its writes must then carry the CSRF token in an ``X-CSRFToken`` header (Bearer JWT requests need none).
"""
from __future__ import annotations

import copy
import io
from typing import Any, Callable, Iterable, Optional

from flask import request, send_file
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from marshmallow import fields
from sqlalchemy import Time, false, select

from actions import filings as fa
from actions import review as ra
from core.errors import DomainError, FieldError, FieldInvalid, NotFound, ValidationFailed
from models.base import db
from views.api_guards import BadRequest
from models.enums import (
    ApprenticeshipType,
    AttachmentKind,
    ClassStatus,
    CourseMode,
    Education,
    FilingStatus,
    Gender,
    Programme,
    TeacherKind,
    TraineeStatus,
)
from models.filing import Attachment, Course, Filing, Teacher, Trainee, TrainingClass
from models.scope import current_actor, load_scoped
from views.base import API_PERMISSIONS, ForeignKeySchemaConverter, ScopedModelRestApi, interface
from views.glue import api_call, error_response

# ---------------------------------------------------------------------------------------------------------
# Shared machinery
# ---------------------------------------------------------------------------------------------------------


class ChecklistFailed(ValidationFailed):
    """提交审核 refused: the 422 body also carries the whole checklist (DESIGN §10)."""

    def __init__(self, error: ValidationFailed, checklist: dict):
        super().__init__(error.errors, error.message)
        self.checklist = checklist

    def as_dict(self) -> dict:
        return {**super().as_dict(), "checklist": self.checklist}


STATUS_READ_ONLY = _l("status（状态）为只读字段，不能通过新增或修改提交；状态只能通过相应的操作接口改变")

# FAB's own 400 messages (rison query, filters, ordering) in Chinese; the original text stays as detail.
_FAB_400 = (
    ("Not a valid rison/json argument", _l("查询参数 q 不是有效的 rison 表达式")),
    ("Not a valid rison argument", _l("查询参数 q 不是有效的 rison 表达式")),
    ("Not a valid rison schema", _l("查询参数 q 的内容不符合要求")),
    ("Filter column", _l("该字段不能用于筛选")),
    ("Filter operation", _l("该筛选方式不能用于此字段")),
    ("Invalid order by column", _l("不能按该字段排序")),
    ("Cannot use both", _l("columns 与 select_columns 不能同时使用")),
    ("Request is not JSON", _l("请求体必须是 JSON")),
)


def _check_fields(data: dict, allowed: Iterable[str]) -> None:
    """Refuse ``status`` and every field the endpoint does not accept (422, each field named)."""
    allowed = set(allowed)
    errors = []
    for key in data:
        if key == "status":
            errors.append(FieldError("status", STATUS_READ_ONLY, data[key]))
        elif key not in allowed:
            errors.append(FieldError(key, _l("%(field)s 不是可提交的字段（只读或未知字段）", field=key)))
    if errors:
        raise ValidationFailed(errors)


def _json_body(required: bool = True) -> dict:
    """The request's JSON object (``{}`` when optional and absent).

    :raises BadRequest: not JSON, or not a JSON object.
    """
    if not request.get_data(cache=True):
        if required:
            raise BadRequest(_l("请求体必须是 JSON 对象"))
        return {}
    data = request.get_json(silent=True) if request.is_json else None
    if not isinstance(data, dict):
        raise BadRequest(_l("请求体必须是 JSON 对象（Content-Type: application/json）"))
    return data


def _int_field(data: dict, key: str, label: Any) -> int:
    """A required integer id from a body.

    :raises ValidationFailed: missing or not an integer.
    """
    value = data.get(key)
    if value in (None, ""):
        raise FieldInvalid(key, _l("请填写%(label)s（%(key)s）", label=label, key=key))
    if isinstance(value, bool):
        raise FieldInvalid(key, _l("%(label)s应为整数", label=label), value)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise FieldInvalid(key, _l("%(label)s应为整数", label=label), value) from None


class ContractSchemaConverter(ForeignKeySchemaConverter):
    """Foreign keys as plain fields, and times as ``HH:MM`` (DESIGN §10)."""

    def _column2field(self, datamodel, column, nested=True, parent_schema_name=None):
        sqla_column = datamodel.list_columns.get(column.name) if hasattr(datamodel, "list_columns") else None
        if sqla_column is not None and isinstance(getattr(sqla_column, "type", None), Time):
            return fields.Time(format="%H:%M", allow_none=True)
        return super()._column2field(datamodel, column, nested, parent_schema_name)


class _TimeAwareFilterConverter(SQLAFilterConverter):
    """FAB has no filters for TIME columns (and logs a warning per column); declare none, quietly."""

    conversion_table = (("is_time", []),) + SQLAFilterConverter.conversion_table


class TimeAwareInterface(SQLAInterface):
    """SQLAInterface that knows TIME columns (courses' start/end times)."""

    filter_converter_class = _TimeAwareFilterConverter

    def is_time(self, col_name: str) -> bool:
        column = self.list_columns.get(col_name)
        return column is not None and isinstance(getattr(column, "type", None), Time)


class CourseOfFilingFilter(BaseFilter):
    """``course?filing_id=…``: courses of the classes of one filing."""

    name = "filing"
    arg_name = "filing"

    def apply(self, query, value):
        try:
            filing_id = int(value)
        except (TypeError, ValueError):
            return query.filter(false())
        return query.filter(Course.training_class_id.in_(
            select(TrainingClass.id).where(TrainingClass.filing_id == filing_id)))


LABELS = {
    "id": _l("编号"),
    "programme": _l("培训项目"),
    "apprenticeship_type": _l("学徒制培训类型"),
    "enterprise_id": _l("单位编号"),
    "enterprise.name": _l("单位名称"),
    "city_code": _l("地市代码"),
    "city.name": _l("地市"),
    "status": _l("状态"),
    "filing_no": _l("备案编号"),
    "commitment_accepted": _l("已确认承诺书"),
    "institution_id": _l("合作培训机构"),
    "other_institution_name": _l("其他培训机构名称"),
    "contact_name": _l("联系人"),
    "contact_phone": _l("联系电话"),
    "submitted_at": _l("提交时间（UTC）"),
    "approved_at": _l("审核通过时间（UTC）"),
    "reviewed_at": _l("审核时间（UTC）"),
    "review_opinion": _l("审核意见"),
    "created_at": _l("创建时间（UTC）"),
    "updated_at": _l("更新时间（UTC）"),
    "filing_id": _l("所属备案"),
    "occupation_code": _l("职业（工种）编码"),
    "skill_level": _l("培训等级"),
    "start_date": _l("培训开始日期"),
    "end_date": _l("培训结束日期"),
    "hours": _l("课时"),
    "planned_headcount": _l("计划培训人数"),
    "extension_reason": _l("延长培训期限原因"),
    "date_change_count": _l("开班日期变更次数"),
    "cancel_reason": _l("注销原因"),
    "cancelled_at": _l("注销时间（UTC）"),
    "name": _l("姓名/名称"),
    "id_number": _l("身份证号码"),
    "phone": _l("联系电话"),
    "kind": _l("类型"),
    "title": _l("职称/技能等级"),
    "certificate_no": _l("证书编号"),
    "active": _l("有效"),
    "gender": _l("性别"),
    "birth_date": _l("出生日期"),
    "education": _l("文化程度"),
    "contract_start": _l("劳动合同/协议开始日期"),
    "contract_end": _l("劳动合同/协议结束日期"),
    "hire_date": _l("入职日期"),
    "lost_reason": _l("流失原因"),
    "lost_date": _l("流失日期"),
    "training_class_id": _l("培训班"),
    "mode": _l("授课方式"),
    "teacher_id": _l("授课教师"),
    "date": _l("培训日期"),
    "start_time": _l("开始时间"),
    "end_time": _l("结束时间"),
    "venue_id": _l("培训场地"),
    "subsidy_claim_id": _l("所属补贴申领"),
    "change_request_id": _l("所属变更申请"),
    "file_name": _l("文件名"),
    "media_type": _l("文件类型"),
    "size": _l("大小（字节）"),
    "sha256": _l("SHA-256"),
    "uploaded_at": _l("上传时间（UTC）"),
}


class ContractApi(ScopedModelRestApi):
    """Scoped FAB REST API with the DESIGN §10 conventions (Chinese errors, simple query filters, labels)."""

    model2schemaconverter = ContractSchemaConverter
    page_size = 20
    #: ``?name=value`` query arguments filtering by equality (besides FAB's rison ``q``): arg → column.
    simple_filters: dict[str, str] = {}
    #: ``?name=value`` query arguments with a custom filter: arg → (column, filter class).
    custom_filters: dict[str, tuple[str, type]] = {}
    #: code fields answered with their Chinese label too (``<field>_label``).
    code_labels: dict[str, Any] = {}
    label_columns = LABELS

    # -- blueprint and errors --------------------------------------------------------------------------------
    def response_400(self, message: Optional[str] = None):
        text = str(message or "")
        for prefix, chinese in _FAB_400:
            if text.startswith(prefix):
                return self.response(400, message=str(chinese), errors=[{"message": text}])
        return self.response(400, message=str(_l("请求格式不正确")), errors=[{"message": text}] if text else [])

    def response_401(self):
        return self.response(401, message=str(_l("请先登录（Bearer 令牌缺失、无效或已过期）")), errors=[])

    def response_403(self):
        return self.response(403, message=str(_l("您没有执行该操作的权限")), errors=[])

    def response_404(self):
        return self.response(404, message=str(NotFound().message), errors=[])

    # -- reads -----------------------------------------------------------------------------------------------
    def _handle_filters_args(self, rison_args: dict):
        """FAB's rison filters plus the simple ``?column=value`` arguments; a fresh Filters per request
        (FAB's shared ``self._filters`` is not safe with a threaded server)."""
        filters = copy.copy(self._filters)
        filters.clear_filters()  # new lists on the copy; the shared instance stays untouched
        filters.rest_add_filters(rison_args.get("filters", []))
        for arg, column in self.simple_filters.items():
            value = request.args.get(arg)
            if value not in (None, ""):
                filters.add_filter(column, FilterEqual, value)
        for arg, (column, filter_class) in self.custom_filters.items():
            value = request.args.get(arg)
            if value not in (None, ""):
                filters.add_filter(column, filter_class, value)
        return filters.get_joined_filters(self._base_filters)

    def get_list_headless(self, **kwargs: Any):
        args = kwargs.setdefault("rison", {})
        for key in ("page", "page_size"):
            value = request.args.get(key)
            if key not in args and value not in (None, ""):
                try:
                    args[key] = int(value)
                except ValueError:
                    return self.response_400(message=f"Not a valid rison schema: {key}")
        for key in ("order_column", "order_direction"):
            if key not in args and request.args.get(key):
                args[key] = request.args[key]
        return super().get_list_headless(**kwargs)

    def _labels(self, row: dict) -> dict:
        for key, codeset in self.code_labels.items():
            if key in row:
                row[f"{key}_label"] = codeset.label(row[key]) if row[key] is not None else None
        return row

    def pre_get(self, data: dict) -> None:
        self._labels(data.get("result", {}))

    def pre_get_list(self, data: dict) -> None:
        for row in data.get("result", []):
            self._labels(row)

    def _row(self, item: Any) -> dict:
        """The answer to a successful write or transition: the row as GET shows it."""
        return {"id": self.datamodel.get_pk_value(item), "result": self._labels(self.show_model_schema.dump(item))}

    # -- writes ----------------------------------------------------------------------------------------------
    def _act(self, fn: Callable[..., Any], *args: Any, status: int = 200,
             render: Optional[Callable[[Any], dict]] = None):
        """Run ``fn(session, actor, *args)`` through ``views.glue.api_call`` (one commit, DESIGN §10 errors)."""
        return api_call(fn, current_actor(), *args, status=status, render=render or self._row)


READ = "read"
WRITE = "write"
REVIEW = "review"

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
    _check_fields(data, FILING_INFO_FIELDS + FILING_INSTITUTION_FIELDS)
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
    _check_fields(data, ("programme", "apprenticeship_type", "commitment_accepted"))
    return fa.create_filing(session, actor, data.get("programme"), data.get("apprenticeship_type"),
                            data.get("commitment_accepted"))


def _submit(session, actor, pk) -> Filing:
    try:
        return fa.submit(session, actor, pk)
    except ValidationFailed as exc:
        raise ChecklistFailed(exc, fa.checklist(session, actor, pk).as_dict()) from None


def _approve(session, actor, pk, data: dict) -> Filing:
    _check_fields(data, ("opinion",))
    return ra.approve(session, actor, pk, data.get("opinion"))


def _return(session, actor, pk, data: dict) -> Filing:
    _check_fields(data, ("opinion",))
    return ra.return_filing(session, actor, pk, data.get("opinion"))


def _no_body(session, actor, pk, data: dict, fn: Callable[..., Any]):
    _check_fields(data, ())
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
        try:
            data = _json_body()
        except DomainError as exc:
            return error_response(exc)
        return self._act(_create_filing, data, status=201)

    def put_headless(self, pk):
        try:
            data = _json_body()
        except DomainError as exc:
            return error_response(exc)
        return self._act(_save_filing, pk, data)

    def delete_headless(self, pk):
        return self._act(_delete_filing, pk, render=lambda _: {"message": "OK"})

    def _transition(self, pk, fn: Callable[..., Any], *, body_fields: tuple = ()):
        try:
            data = _json_body(required=False)
        except DomainError as exc:
            return error_response(exc)
        if body_fields:
            return self._act(fn, pk, data)
        return self._act(_no_body, pk, data, fn)

    @expose("/<int:pk>/submit", methods=["POST"])
    @protect()
    @safe
    @permission_name("submit")
    def submit(self, pk: int):
        """提交审核
        ---
        post:
          summary: 提交审核（企业用户）
          description: >-
            未提交/已退回 → 已提交待审核。清单未全部满足时答 422，
            响应体为 {"message", "errors", "checklist"}，checklist 与 GET …/checklist 相同。
            不需要请求体。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              $ref: '#/components/responses/FilingRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/FilingConflict'
            422:
              $ref: '#/components/responses/FilingRuleFailed'
        """
        return self._transition(pk, _submit)

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    @permission_name("withdraw")
    def withdraw(self, pk: int):
        """撤回
        ---
        post:
          summary: 撤回（企业用户，审核前）
          description: 已提交待审核 → 未提交。已被审核（或状态已变化）时答 409。不需要请求体。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              $ref: '#/components/responses/FilingRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/FilingConflict'
        """
        return self._transition(pk, fa.withdraw)

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    @permission_name("approve")
    def approve(self, pk: int):
        """审核通过
        ---
        post:
          summary: 审核通过（备案所在地市的审核员）
          description: >-
            已提交待审核 → 审核通过，并分配备案编号（如 XT4401-2026-000123，按地市和年度连续编号）。
            两人同时审核同一备案时只有一人成功，另一人答 409。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/FilingReviewOpinion'
          responses:
            200:
              $ref: '#/components/responses/FilingRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/FilingConflict'
        """
        return self._transition(pk, _approve, body_fields=("opinion",))

    @expose("/<int:pk>/return", methods=["POST"])
    @protect()
    @safe
    @permission_name("return_filing")
    def return_filing(self, pk: int):
        """退回
        ---
        post:
          summary: 退回（备案所在地市的审核员）
          description: 已提交待审核 → 已退回；审核意见 opinion 必填（R14），缺少时答 422。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/FilingReviewOpinion'
          responses:
            200:
              $ref: '#/components/responses/FilingRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/FilingConflict'
            422:
              $ref: '#/components/responses/FilingRuleFailed'
        """
        return self._transition(pk, _return, body_fields=("opinion",))

    @expose("/<int:pk>/checklist", methods=["GET"])
    @protect()
    @safe
    @permission_name("checklist")
    def checklist(self, pk: int):
        """提交审核清单
        ---
        get:
          summary: 提交审核清单
          description: >-
            与“提交审核”页面相同的清单：{"ready", "items": [{"code", "label", "ok", "message", "tab"}],
            "missing_attachment_kinds": [...]}。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: 清单
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/FilingChecklist'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        return api_call(fa.checklist, current_actor(), pk, render=lambda result: result.as_dict())

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        _add_components(api_spec)


def _add_components(api_spec) -> None:
    """Shared OpenAPI components of this module (schemas of bodies and the DESIGN §10 error shape)."""
    from apispec.exceptions import DuplicateComponentNameError

    error = {
        "type": "object",
        "properties": {
            "message": {"type": "string", "description": "中文说明"},
            "errors": {"type": "array", "items": {"type": "object", "properties": {
                "field": {"type": "string"}, "value": {}, "message": {"type": "string"},
                "row": {"type": "integer"}, "column": {"type": "string"}}}},
        },
    }
    checklist = {
        "type": "object",
        "properties": {
            "ready": {"type": "boolean"},
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "label": {"type": "string"}, "ok": {"type": "boolean"},
                "message": {"type": "string"}, "tab": {"type": "string"}}}},
            "missing_attachment_kinds": {"type": "array", "items": {"type": "string"}},
        },
    }
    schemas = {
        "FilingApiError": error,
        "FilingChecklist": checklist,
        "FilingChecklistError": {"allOf": [
            {"$ref": "#/components/schemas/FilingApiError"},
            {"type": "object", "properties": {"checklist": {"$ref": "#/components/schemas/FilingChecklist"}}},
        ]},
        "FilingReviewOpinion": {"type": "object", "properties": {"opinion": {"type": "string", "description": "审核意见"}}},
        "TraineeMarkLost": {"type": "object", "required": ["reason"], "properties": {
            "reason": {"type": "string", "description": "流失原因"},
            "lost_date": {"type": "string", "format": "date", "description": "流失日期 YYYY-MM-DD，默认今天"}}},
        "FilingApiRow": {"type": "object", "properties": {"id": {"type": "integer"}, "result": {"type": "object"}}},
        "AttachmentUpload": {"type": "object", "required": ["file", "kind", "filing_id"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "kind": {"type": "string", "enum": AttachmentKind.codes()},
            "filing_id": {"type": "integer"}}},
    }
    for name, schema in schemas.items():
        try:
            api_spec.components.schema(name, schema)
        except DuplicateComponentNameError:
            pass
    responses = {
        "FilingRow": {"description": "更新后的记录 {id, result}",
                      "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilingApiRow"}}}},
        "FilingConflict": {
            "description": "当前状态不允许该操作（含并发操作中失败的一方）",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilingApiError"}}}},
        "FilingRuleFailed": {
            "description": "业务规则或数据校验不通过（中文，逐字段说明；提交审核时另附 checklist）",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FilingChecklistError"}}}},
    }
    for name, response in responses.items():
        try:
            api_spec.components.response(name, response)
        except DuplicateComponentNameError:
            pass


# ---------------------------------------------------------------------------------------------------------
# Child rows: training_class, teacher, trainee, course
# ---------------------------------------------------------------------------------------------------------

CHILD_FIELDS = {
    "training_class": ("occupation_code", "skill_level", "start_date", "end_date", "hours", "planned_headcount",
                       "extension_reason"),
    "teacher": ("name", "id_number", "phone", "kind", "title", "certificate_no"),
    "trainee": ("name", "id_number", "phone", "education", "contract_start", "contract_end", "hire_date"),
    "course": ("training_class_id", "name", "mode", "hours", "teacher_id"),
}
# R7: accepted as keys so that the rule (not "unknown field") answers; never copied from the stored row.
COURSE_AFTER_APPROVAL = ("date", "start_time", "end_time", "venue_id")


def _filing_id_of(session, actor, kind: str, data: dict) -> int:
    if kind == "course":
        class_id = _int_field(data, "training_class_id", _l("培训班"))
        return load_scoped(session, TrainingClass, class_id, actor).filing_id
    return _int_field(data, "filing_id", _l("所属备案"))


def _create_child(session, actor, kind: str, data: dict):
    filing_id = _filing_id_of(session, actor, kind, data)
    fa.load_filing(session, actor, filing_id, editable=True)  # scope and state before the body's details
    allowed = CHILD_FIELDS[kind] + (COURSE_AFTER_APPROVAL if kind == "course" else ("filing_id",))
    _check_fields(data, allowed)
    values = {key: value for key, value in data.items() if key != "filing_id"}
    return fa.save_child(session, actor, kind, filing_id, values)


def _update_child(session, actor, kind: str, pk: Any, data: dict):
    spec = fa.CHILD_KINDS[kind]
    row = load_scoped(session, spec.model, pk, actor)
    filing = fa.load_filing(session, actor, spec.filing_of(row).id, editable=True)
    _check_fields(data, CHILD_FIELDS[kind] + (COURSE_AFTER_APPROVAL if kind == "course" else ()))
    values = {key: getattr(row, key) for key in CHILD_FIELDS[kind]}
    values.update(data)
    return fa.save_child(session, actor, kind, filing.id, values, pk=row.id)


def _delete_child(session, actor, kind: str, pk: Any) -> None:
    fa.delete_child(session, actor, kind, pk)


class ChildApi(ContractApi):
    """A child row of a filing: created with its parent's id, edited and deleted through actions/filings."""

    kind = ""
    base_order = ("id", "asc")

    def post_headless(self):
        try:
            data = _json_body()
        except DomainError as exc:
            return error_response(exc)
        return self._act(_create_child, self.kind, data, status=201)

    def put_headless(self, pk):
        try:
            data = _json_body()
        except DomainError as exc:
            return error_response(exc)
        return self._act(_update_child, self.kind, pk, data)

    def delete_headless(self, pk):
        return self._act(_delete_child, self.kind, pk, render=lambda _: {"message": "OK"})


def _child_docs(label: str, parent: str, extra: str = "") -> dict:
    return {
        "get_list": {"get": {"description": (
            f"{label}列表（按备案的权限范围）。简单查询参数 {parent}=… 按所属筛选；也支持 rison 参数 q。")}},
        "post": {"post": {"description": (
            f"新增{label}：请求体带 {parent}（所属{'培训班' if parent == 'training_class_id' else '备案'}）及各字段；"
            f"备案须为未提交/已退回（否则 409），仅企业用户（审核员、管理员 403）。status 等只读或未知字段 422 拒绝。"
            f"{extra}")}},
        "put": {"put": {"description": (
            f"修改{label}（部分字段即可，未给出的保持原值）。status 为只读：请求体含 status 时 422 拒绝，不会被忽略。"
            f"{extra}")}},
        "delete": {"delete": {"description": f"删除{label}（备案须为未提交/已退回，否则 409）。"}},
    }


class TrainingClassApi(ChildApi):
    """``/api/v1/training_class``: 培训信息."""

    list_title = show_title = add_title = edit_title = _l("培训信息")

    resource_name = "training_class"
    class_permission_name = "TrainingClass"
    openapi_spec_tag = "training_class 培训信息"
    datamodel = interface(TrainingClass)
    kind = "training_class"
    list_columns = show_columns = ["id", "filing_id", "occupation_code", "skill_level", "start_date", "end_date",
                                   "hours", "planned_headcount", "status", "extension_reason", "date_change_count",
                                   "cancel_reason", "cancelled_at"]
    add_columns = ["filing_id", *CHILD_FIELDS["training_class"]]
    edit_columns = list(CHILD_FIELDS["training_class"])
    search_columns = ["filing_id", "occupation_code", "skill_level", "status"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"status": ClassStatus}
    openapi_spec_methods = _child_docs("培训信息", "filing_id",
                                       "学生学徒制只能有一条培训信息（R4）；企业新型学徒制等级四级及以上、期限1-2年"
                                       "（超过2年须填 extension_reason，最长3年，R10）。")


class TeacherApi(ChildApi):
    """``/api/v1/teacher``: 培训师资信息."""

    list_title = show_title = add_title = edit_title = _l("培训师资")

    resource_name = "teacher"
    class_permission_name = "Teacher"
    openapi_spec_tag = "teacher 培训师资"
    datamodel = interface(Teacher)
    kind = "teacher"
    list_columns = show_columns = ["id", "filing_id", "name", "id_number", "phone", "kind", "title",
                                   "certificate_no", "active"]
    add_columns = ["filing_id", *CHILD_FIELDS["teacher"]]
    edit_columns = list(CHILD_FIELDS["teacher"])
    search_columns = ["filing_id", "name", "id_number", "kind"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"kind": TeacherKind}
    openapi_spec_methods = _child_docs("培训师资", "filing_id", "kind 为 ENTERPRISE（企业导师）或 SCHOOL（院校导师）。")


class TraineeApi(ChildApi):
    """``/api/v1/trainee``: 培训人员信息 (+ 标记为流失)."""

    list_title = show_title = add_title = edit_title = _l("培训人员")

    resource_name = "trainee"
    class_permission_name = "Trainee"
    openapi_spec_tag = "trainee 培训人员"
    datamodel = interface(Trainee)
    kind = "trainee"
    method_permission_name = {**API_PERMISSIONS, "mark_lost": WRITE}
    list_columns = show_columns = ["id", "filing_id", "name", "id_number", "gender", "birth_date", "phone",
                                   "education", "contract_start", "contract_end", "hire_date", "status",
                                   "lost_reason", "lost_date"]
    add_columns = ["filing_id", *CHILD_FIELDS["trainee"]]
    edit_columns = list(CHILD_FIELDS["trainee"])
    search_columns = ["filing_id", "name", "id_number", "status"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"status": TraineeStatus, "gender": Gender, "education": Education}
    openapi_spec_methods = _child_docs(
        "培训人员", "filing_id",
        "身份证号码按 GB 11643 校验（末位小写 x 自动转为 X），性别和出生日期由身份证号码得出；"
        "同一人同一时间只能在一个在训备案中（R9）；企业新型学徒制劳动合同不少于1年（R10）。")

    @expose("/<int:pk>/mark_lost", methods=["POST"])
    @protect()
    @safe
    @permission_name("mark_lost")
    def mark_lost(self, pk: int):
        """标记为流失
        ---
        post:
          summary: 标记为流失（企业用户，备案审核通过后）
          description: >-
            请求体 {"reason": "流失原因（必填）", "lost_date": "YYYY-MM-DD（可选，默认今天，不能晚于今天）"}。
            备案未审核通过或人员已流失时答 409。
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/TraineeMarkLost'
          responses:
            200:
              $ref: '#/components/responses/FilingRow'
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/FilingConflict'
            422:
              $ref: '#/components/responses/FilingRuleFailed'
        """
        try:
            data = _json_body()
        except DomainError as exc:
            return error_response(exc)
        return self._act(_mark_lost, pk, data)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        _add_components(api_spec)


def _mark_lost(session, actor, pk, data: dict) -> Trainee:
    trainee = load_scoped(session, Trainee, pk, actor)
    _check_fields(data, ("reason", "lost_date"))
    try:
        return ra.mark_lost(session, actor, trainee.id, data.get("reason"), data.get("lost_date"))
    except ValidationFailed as exc:
        for error in exc.errors:  # the body names it "reason" (DESIGN §10)
            if error.field == "lost_reason":
                error.field = "reason"
        raise


class CourseApi(ChildApi):
    """``/api/v1/course``: 培训课程信息."""

    list_title = show_title = add_title = edit_title = _l("培训课程")

    resource_name = "course"
    class_permission_name = "Course"
    openapi_spec_tag = "course 培训课程"
    datamodel = TimeAwareInterface(Course, db.session)
    kind = "course"
    list_columns = show_columns = ["id", "training_class_id", "name", "mode", "hours", "teacher_id", "date",
                                   "start_time", "end_time", "venue_id", "status"]
    add_columns = [*CHILD_FIELDS["course"], *COURSE_AFTER_APPROVAL]
    edit_columns = list(CHILD_FIELDS["course"])
    search_columns = ["training_class_id", "name", "mode", "teacher_id"]
    simple_filters = {name: name for name in search_columns}
    custom_filters = {"filing_id": ("training_class_id", CourseOfFilingFilter)}
    code_labels = {"mode": CourseMode, "status": ClassStatus}
    openapi_spec_methods = _child_docs(
        "培训课程", "training_class_id",
        "线下培训（mode=OFFLINE）须指定本备案的授课教师 teacher_id（R6）；培训日期、时间和场地"
        "（date、start_time、end_time、venue_id）在备案通过后于备案变更中配置，此处提交即 422（R7）。"
        "列表也可用 filing_id=… 按备案筛选。")


# ---------------------------------------------------------------------------------------------------------
# Attachments (上传材料, R11)
# ---------------------------------------------------------------------------------------------------------


def _add_attachment(session, actor, filing_id_raw: Any, kind: Any, upload) -> Attachment:
    filing_id = _int_field({"filing_id": filing_id_raw}, "filing_id", _l("所属备案"))
    fa.load_filing(session, actor, filing_id, editable=True)
    if upload is None:
        raise FieldInvalid("file", _l("请选择要上传的文件（multipart 字段 file）"))
    return fa.add_attachment(session, actor, filing_id, kind, upload.filename or "", upload.read())


def _delete_attachment(session, actor, pk) -> None:
    fa.delete_attachment(session, actor, pk)


class AttachmentApi(ContractApi):
    """``/api/v1/attachment``: 上传材料 (metadata; the bytes at ``/<pk>/content``)."""

    list_title = show_title = add_title = edit_title = _l("上传材料")

    resource_name = "attachment"
    class_permission_name = "Attachment"
    openapi_spec_tag = "attachment 上传材料"
    datamodel = interface(Attachment)
    method_permission_name = {**API_PERMISSIONS, "content": READ}
    exclude_route_methods = {"put"}
    list_columns = show_columns = ["id", "filing_id", "subsidy_claim_id", "change_request_id", "kind", "file_name",
                                   "media_type", "size", "sha256", "uploaded_at"]
    add_columns = ["filing_id", "kind"]
    edit_columns = ["kind"]
    search_columns = ["filing_id", "subsidy_claim_id", "change_request_id", "kind"]
    simple_filters = {name: name for name in search_columns}
    base_order = ("id", "asc")
    code_labels = {"kind": AttachmentKind}
    openapi_spec_methods = {
        "post": {"post": {
            "description": ("上传材料：multipart/form-data，字段 file（文件）、kind（材料类型）、filing_id。"
                            "只接受按内容识别的 PDF、JPG、PNG、DOCX、XLSX，大小有上限，保存 sha256（R11）。"),
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": {"$ref": "#/components/schemas/AttachmentUpload"}}}},
        }},
        "delete": {"delete": {"description": "删除材料（备案须为未提交/已退回，否则 409）。"}},
    }

    def post_headless(self):
        if not request.mimetype == "multipart/form-data":
            return error_response(BadRequest(_l("请以 multipart/form-data 上传：字段 file、kind、filing_id")))
        unknown = [key for key in list(request.form) + list(request.files)
                   if key not in ("file", "kind", "filing_id", "csrf_token")]
        if unknown:
            return error_response(ValidationFailed([
                FieldError(key, STATUS_READ_ONLY if key == "status" else
                           _l("%(field)s 不是可提交的字段（只读或未知字段）", field=key)) for key in unknown]))
        return self._act(_add_attachment, request.form.get("filing_id"), request.form.get("kind"),
                           request.files.get("file"), status=201)

    def delete_headless(self, pk):
        return self._act(_delete_attachment, pk, render=lambda _: {"message": "OK"})

    @expose("/<int:pk>/content", methods=["GET"])
    @protect()
    @safe
    @permission_name("content")
    def content(self, pk: int):
        """材料文件内容
        ---
        get:
          summary: 下载材料文件（按权限范围）
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          responses:
            200:
              description: 文件内容（Content-Type 为识别出的类型）
              content:
                application/octet-stream:
                  schema:
                    type: string
                    format: binary
            401:
              $ref: '#/components/responses/401'
            403:
              $ref: '#/components/responses/403'
            404:
              $ref: '#/components/responses/404'
        """
        try:
            row = load_scoped(db.session, Attachment, pk, current_actor())
        except DomainError as exc:
            return error_response(exc)
        response = send_file(io.BytesIO(row.content), mimetype=row.media_type, as_attachment=True,
                             download_name=row.file_name, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        return response

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        _add_components(api_spec)


APIS = (FilingApi, TrainingClassApi, TeacherApi, TraineeApi, CourseApi, AttachmentApi)


def register(appbuilder) -> None:
    """Add the filing REST APIs (DESIGN §10) to the app."""
    for api in APIS:
        appbuilder.add_api(api)

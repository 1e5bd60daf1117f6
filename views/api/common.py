"""Shared plumbing of the REST APIs (DESIGN §10): the ``ContractApi`` base class, JSON body checks, the
TIME-aware interface and the field labels shared by the filing resources.

Write bodies are checked against the fields each endpoint accepts: ``status`` and every other read-only or
unknown field is refused with 422 (never silently ignored). A browser session (cookie) may use the API too;
its writes must then carry the CSRF token in an ``X-CSRFToken`` header (``views.api_guards``).
"""
from __future__ import annotations

import copy
from typing import Any, Callable, Iterable, Optional

from flask import request
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_babel import lazy_gettext as _l
from marshmallow import fields
from sqlalchemy import Time

from core.errors import DomainError, FieldError, FieldInvalid, ValidationFailed
from models.scope import current_actor
from views.api import rison_schema
from views.api.openapi import add_components
from views.api_guards import BadRequest
from views.base import ForeignKeySchemaConverter, ScopedModelRestApi
from views.datamodel import AppFilterConverter, AppInterface
from views.glue import api_call, error_response

rison_schema.install()  # FAB's rison check without re-validating its schema per request (issue 15)

#: Method permission names (DESIGN §2 role matrix) of the custom endpoints.
READ = "read"
WRITE = "write"
REVIEW = "review"


class ChecklistFailed(ValidationFailed):
    """提交审核 refused: the 422 body also carries the whole checklist (DESIGN §10)."""

    def __init__(self, error: ValidationFailed, checklist: dict):
        super().__init__(error.errors, error.message)
        self.checklist = checklist

    def as_dict(self) -> dict:
        return {**super().as_dict(), "checklist": self.checklist}


STATUS_READ_ONLY = _l("status（状态）为只读字段，不能通过新增或修改提交；状态只能通过相应的操作接口改变")

def unknown_field_error(key: str, value: Any = None) -> FieldError:
    """The 422 item for a field the endpoint does not accept (``status`` gets its own message)."""
    if key == "status":
        return FieldError("status", STATUS_READ_ONLY, value)
    return FieldError(key, _l("%(field)s 不是可提交的字段（只读或未知字段）", field=key))


def check_fields(data: dict, allowed: Iterable[str]) -> None:
    """Refuse ``status`` and every field the endpoint does not accept (422, each field named).

    :raises ValidationFailed: one error per refused field.
    """
    allowed = set(allowed)
    errors = [unknown_field_error(key, data[key]) for key in data if key == "status" or key not in allowed]
    if errors:
        raise ValidationFailed(errors)


def json_body(required: bool = True) -> dict:
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


def int_field(data: dict, key: str, label: Any) -> int:
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


class _TimeAwareFilterConverter(AppFilterConverter):
    """FAB has no filters for TIME columns (and logs a warning per column); declare none, quietly."""

    conversion_table = (("is_time", []),) + AppFilterConverter.conversion_table


class TimeAwareInterface(AppInterface):
    """SQLAInterface that knows TIME columns (courses' start/end times)."""

    filter_converter_class = _TimeAwareFilterConverter

    def is_time(self, col_name: str) -> bool:
        column = self.list_columns.get(col_name)
        return column is not None and isinstance(getattr(column, "type", None), Time)


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
    "application_no": _l("申请编号"),
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

    # -- errors and OpenAPI (FAB's 400/401/403/404 answers in Chinese: ScopedModelRestApi) ------------------
    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        add_components(api_spec)

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
        super().pre_get_list(data)
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

    def _act_on_body(self, fn: Callable[..., Any], *args: Any, required: bool = True, status: int = 200):
        """``_act(fn, *args, body)`` with the request's JSON object as last argument (400 when not one)."""
        try:
            data = json_body(required=required)
        except DomainError as exc:
            return error_response(exc)
        return self._act(fn, *args, data, status=status)

    @staticmethod
    def _deleted(_: Any) -> dict:
        """The answer to a successful DELETE."""
        return {"message": "OK"}

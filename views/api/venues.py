"""``/api/v1/venue`` (培训场地, DESIGN §10): ``id, enterprise_id, name, address, longitude, latitude, capacity``.

Reads: FAB's list/show through the row scope (an enterprise its own venues, a reviewer its city's, the admin all);
``?name=`` / ``?address=`` search by "contains". Writes go through ``actions.venues`` (the same functions as the
培训场地维护 screen): only enterprise users (403 otherwise), ``enterprise_id`` is always the user's own (another one:
422), unknown or read-only fields 422, a venue of another enterprise 404, R25 refusals 422 naming the course.
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder.models.filters import BaseFilter
from flask_babel import lazy_gettext as _l

from actions import venues as va
from actions.specs import VENUE
from models.enterprise import Venue
from queries.search import contains
from views.api.common import LABELS, ContractApi, check_fields
from views.base import interface

VENUE_COLUMNS = ["id", "enterprise_id", "name", "address", "longitude", "latitude", "capacity", "note"]
#: What a POST / PUT body may carry: the spec's fields and ``enterprise_id`` (which must be the user's own).
WRITE_FIELDS = (*va.VENUE_FIELDS, "enterprise_id")


def _contains_filter(column: str) -> type[BaseFilter]:
    class ContainsFilter(BaseFilter):
        name = f"{column} contains"
        arg_name = f"{column}_contains"

        def apply(self, query, value):
            return query.filter(contains(getattr(Venue, column), str(value)))

    return ContainsFilter


def _create_venue(session, actor, data: dict):
    check_fields(data, WRITE_FIELDS)
    return va.save_venue(session, actor, data)


def _update_venue(session, actor, pk: Any, data: dict):
    """PUT: the fields given replace the stored ones; the others stay."""
    check_fields(data, WRITE_FIELDS)
    return va.save_venue(session, actor, data, pk, partial=True)


def _delete_venue(session, actor, pk: Any) -> None:
    va.delete_venue(session, actor, pk)


class VenueApi(ContractApi):
    """``/api/v1/venue``: 培训场地."""

    list_title = show_title = add_title = edit_title = _l("培训场地")

    resource_name = "venue"
    class_permission_name = "Venue"
    openapi_spec_tag = "venue 培训场地"
    datamodel = interface(Venue)
    list_columns = show_columns = VENUE_COLUMNS
    add_columns = list(WRITE_FIELDS)
    edit_columns = list(WRITE_FIELDS)
    search_columns = ["name", "address", "enterprise_id", "capacity"]
    simple_filters = {"enterprise_id": "enterprise_id"}
    custom_filters = {"name": ("name", _contains_filter("name")), "address": ("address", _contains_filter("address"))}
    order_columns = ["id", "name", "capacity"]
    base_order = ("id", "desc")
    openapi_spec_methods = {
        "get_list": {"get": {"description": (
            "培训场地列表（企业只看本单位，地市审核员看本市单位的场地，省级管理员看全部）。"
            "简单查询参数：name、address（包含），enterprise_id（等于）；也支持 rison 参数 q。")}},
        "post": {"post": {"description": (
            "新增本单位的培训场地（仅企业用户，其他角色 403）：name（必填，最多64字）、address（必填，最多200字）、"
            "longitude / latitude（十进制度数，须同时填写或同时不填，中国境内：经度 73.5–135.1，纬度 3.8–53.6）、"
            "capacity（整数，至少 1，可不填）。enterprise_id 可不填，填写时只能是本单位；其他字段 422 拒绝。")}},
        "put": {"put": {"description": (
            "修改本单位的培训场地（部分字段即可，未给出的保持原值）；其他单位的场地答 404。")}},
        "delete": {"delete": {"description": (
            "删除本单位的培训场地。被未结束的课程使用时不能删除（R25），被任何课程引用时也不能删除；"
            "422 的说明写明课程名称和所属培训班。")}},
    }

    def __init__(self):
        self.label_columns = {**LABELS, **VENUE.labels(), "enterprise_id": _l("所属单位编号")}
        super().__init__()

    def post_headless(self):
        return self._act_on_body(_create_venue, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_update_venue, pk)

    def delete_headless(self, pk):
        return self._act(_delete_venue, pk, render=self._deleted)

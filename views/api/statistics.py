"""统计分析 for the provincial data exchange (DESIGN §10): ``GET /api/v1/statistics/<name>?from=&to=[&city_code=]``
→ ``{"rows": [...]}``, one figure of ``queries.statistics.FIGURES`` (its columns are the row fields; a code field also
comes with ``<field>_label``; money in yuan as decimal strings).

The admin reads the province (``city_code`` narrows it); a reviewer its own city — its own ``city_code`` is
accepted, another city's answers 404 like a city that does not exist (DESIGN §2: out of scope = missing); the
enterprise role has no ``Statistics`` permission (403). Unknown name: 404; a bad date: 422 naming ``from`` / ``to``;
``from`` after ``to``: 422. The dashboard's charts (static/statistics.js) read this endpoint with the browser session.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from core.clock import to_local
from core.errors import DomainError, NotFound
from models.base import db
from models.scope import current_actor
from queries import statistics as stats
from views.api.openapi import STANDARD_RESPONSES, add_components, json_content, schema_ref
from views.base import ChineseApiResponses
from views.glue import error_response

_TYPES = {"text": {"type": "string"}, "count": {"type": "integer"},
          "money": {"type": "string", "description": "元，两位小数的十进制字符串"}}


def _row_schema(figure: stats.Figure) -> dict:
    properties = {}
    for column in figure.columns:
        properties[column.key] = {**_TYPES[column.kind], "description": str(column.label)}
        if column.codes is not None:
            properties[column.key]["enum"] = column.codes.codes()
            properties[f"{column.key}_label"] = {"type": "string", "description": f"{column.label}（中文名称）"}
    return {"type": "object", "description": f"{figure.name}：{figure.title}（{figure.date_basis}）",
            "properties": properties}


def openapi_components() -> dict:
    """One row schema per figure (``StatisticsRow_<name>``) and the answer ``StatisticsResult``."""
    schemas = {f"StatisticsRow_{name}": _row_schema(figure) for name, figure in stats.FIGURES.items()}
    schemas["StatisticsResult"] = {"type": "object", "required": ["rows"], "properties": {
        "name": {"type": "string"}, "title": {"type": "string"},
        "from": {"type": "string", "format": "date", "nullable": True},
        "to": {"type": "string", "format": "date", "nullable": True},
        "city_code": {"type": "string", "nullable": True},
        "refreshed_at": {"type": "string", "format": "date-time", "nullable": True,
                         "description": "预汇总数据的统计时间（北京时间）；实时统计的图表为 null"},
        "rows": {"type": "array", "items": {"anyOf": [schema_ref(f"StatisticsRow_{n}") for n in stats.FIGURES]}}}}
    return schemas


def _operation_doc() -> str:
    import yaml

    from views.api.openapi import _PlainDumper

    names = "\n".join(f"- `{name}`：{figure.title}，{figure.date_basis}；字段 "
                      + "、".join(f"`{c.key}`" for c in figure.columns)
                      for name, figure in stats.FIGURES.items())
    spec = {"get": {
        "summary": "统计分析（省级数据交换）",
        "description": "按权限范围统计：省级管理员为全省（可用 city_code 限定地市），地市审核员为本市（传其他地市答 404）。"
                       "日期为北京时间自然日（含首尾）。统计项：\n" + names,
        "parameters": [
            {"in": "path", "name": "name", "required": True,
             "schema": {"type": "string", "enum": list(stats.FIGURES)}},
            {"in": "query", "name": "from", "required": False, "schema": {"type": "string", "format": "date"},
             "description": "开始日期 YYYY-MM-DD"},
            {"in": "query", "name": "to", "required": False, "schema": {"type": "string", "format": "date"},
             "description": "结束日期 YYYY-MM-DD（不早于 from）"},
            {"in": "query", "name": "city_code", "required": False, "schema": {"type": "string"},
             "description": "地市代码，如 4401（审核员只能是本市）"}],
        "responses": {
            200: {"description": "统计结果 {rows: [...]}", "content": json_content(schema_ref("StatisticsResult"))},
            **STANDARD_RESPONSES,
            422: {"description": "日期参数不正确（逐参数说明）或开始日期晚于结束日期",
                  "content": json_content(schema_ref("FilingApiError"))}},
    }}
    return "统计分析\n---\n" + yaml.dump(spec, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False)


def figure_answer(name: str) -> dict:
    """The JSON of one figure for the current request's actor and arguments.

    :raises NotFound: unknown name or city. :raises ValidationFailed: bad dates.
    """
    figure = stats.figure_or_none(name)
    if figure is None:
        raise NotFound(_l("统计项不存在：%(name)s", name=name[:64]))
    actor = current_actor()
    filters = stats.parse_filters(db.session, actor, request.args)
    refreshed = stats.refreshed_at(db.session, figure)
    return {"name": figure.name, "title": str(figure.title),
            "from": filters.first.isoformat() if filters.first else None,
            "to": filters.last.isoformat() if filters.last else None, "city_code": filters.city_code,
            "refreshed_at": to_local(refreshed).isoformat() if refreshed else None,
            "rows": stats.figure_rows(db.session, actor, figure, filters)}


class StatisticsApi(ChineseApiResponses, BaseApi):
    """``GET /api/v1/statistics/<name>``."""

    resource_name = "statistics"
    openapi_spec_tag = "statistics 统计分析"
    class_permission_name = "Statistics"
    method_permission_name = {"figure": "read"}
    allow_browser_login = True  # the dashboard's charts fetch it with the session cookie (GET only)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        add_components(api_spec)
        from apispec.exceptions import DuplicateComponentNameError

        for schema_name, schema in openapi_components().items():
            try:
                api_spec.components.schema(schema_name, schema)
            except DuplicateComponentNameError:
                pass

    @expose("/<name>", methods=["GET"])
    @protect()
    @safe
    @permission_name("figure")
    def figure(self, name: str):
        try:
            return jsonify(figure_answer(name))
        except DomainError as exc:
            return error_response(exc)
        finally:
            db.session.rollback()  # read-only


StatisticsApi.figure.__doc__ = _operation_doc()

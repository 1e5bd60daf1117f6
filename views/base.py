"""Base classes for every screen and REST API: scope on every load, permissions by name, saves and deletes
routed through actions/ (DESIGN §2, §7).

``ScopedModelView``: FAB ModelView whose list/show/edit/delete load through ``ScopeFilter``; add/edit/delete
call ``save_action`` / ``delete_action`` and on a DomainError keep the user's input on the form with the
error next to the field (nothing lost on bad input). Row actions must use ``self.reload(items)``.
``ScopedModelRestApi``: the same for ``/api/v1/<resource>``, with FAB's 400/401/403/404/500 answers in Chinese
(the registry APIs and the filing family alike) and a value the database cannot hold answered 400, not 500.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Optional

from flask import abort, flash, request
from flask_appbuilder import ModelRestApi, ModelView
from flask_appbuilder.api.convert import Model2SchemaConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.urltools import get_filter_args, get_order_args, get_page_args, get_page_size_args
from flask_babel import get_locale, lazy_gettext as _l
from marshmallow import ValidationError
from sqlalchemy.exc import DataError

from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from models.base import db
from models.scope import ScopeFilter, current_actor, load_scoped
from views.formatting import plain_formatters
from views.glue import attempt, error_response, flash_error

READ_WRITE_PERMISSIONS = {
    "list": "read",
    "show": "read",
    "download": "read",
    "add": "write",
    "edit": "write",
    "delete": "write",
    "action": "write",
    "action_post": "write",
}

API_PERMISSIONS = {
    "get": "read",
    "get_list": "read",
    "info": "read",
    "post": "write",
    "put": "write",
    "delete": "write",
}


def _attach_errors(form: Any, error: DomainError) -> None:
    """Show each FieldError under its form field; errors without a matching field are flashed."""
    for item in error.errors or [FieldError(None, error.message)]:
        field = getattr(form, item.field, None) if item.field else None
        if field is None and item.field and item.field.endswith("_id"):
            field = getattr(form, item.field[:-3], None)
        if field is not None:
            errors = list(field.errors) if isinstance(field.errors, (list, tuple)) else []
            errors.append(str(item.message))
            field.errors = errors
        else:
            flash(str(item.message), "danger")
    flash(str(_l("保存失败，请按提示修改后重新保存")), "danger")


class ScopedModelView(ModelView):
    """A FAB ModelView limited to the actor's rows, saving and deleting through actions/."""

    page_size = 20
    method_permission_name = READ_WRITE_PERMISSIONS
    #: ``fn(session, actor, item, is_new)`` that validates, normalises, adds and audits (actions/).
    save_action: Optional[Callable[..., None]] = None
    #: ``fn(session, actor, item)`` that checks, audits and deletes (actions/).
    delete_action: Optional[Callable[..., None]] = None

    def __init__(self, **kwargs: Any):
        pk_name = self.datamodel.get_pk_name()
        self.base_filters = [[pk_name, ScopeFilter, None]] + list(type(self).base_filters or [])
        self.formatters_columns = plain_formatters(self.list_columns, self.show_columns,
                                                   existing=type(self).formatters_columns)
        super().__init__(**kwargs)

    # -- scope ---------------------------------------------------------------------------------------------
    def reload(self, items: Any) -> list:
        """Re-load row-action items through the scope (FAB's /action and /action_post skip base_filters)."""
        if not isinstance(items, list):
            items = [items]
        model = self.datamodel.obj
        rows = []
        for item in items:
            if item is None:
                abort(404)
            try:
                rows.append(load_scoped(self.datamodel.session, model, self.datamodel.get_pk_value(item),
                                        current_actor()))
            except NotFound:
                abort(404)
        return rows

    # -- writes through actions ---------------------------------------------------------------------------
    # _add/_edit/_delete are forks of FAB's BaseCRUDView methods (flask_appbuilder/baseviews.py, 5.3): the same
    # steps and hooks (pre_/post_add, pre_/post_update, pre_/post_delete, prefill_form), with the datamodel
    # write replaced by save_action/delete_action in one transaction, and a failed save keeping the form.
    # tests/test_fab_fork.py fails when FAB changes the originals: re-compare then.
    def _save(self, form: Any, item: Any, is_new: bool) -> bool:
        """Run the pre hook and ``save_action`` in one transaction; on failure attach the errors to the form."""
        if self.save_action is None:
            _attach_errors(form, DomainError(_l("该数据不允许在此修改")))
            return False
        hook = self.pre_add if is_new else self.pre_update

        def save(session):
            _run_hook(hook, item)
            type(self).save_action(session, current_actor(), item, is_new)

        error, _ = attempt(save)
        if error is not None:
            _attach_errors(form, error)
            return False
        return True

    def _add(self):
        is_valid_form = True
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()

        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                self.process_form(form, True)
                item = self.datamodel.obj()
                form.populate_obj(item)
                if self._save(form, item, True):
                    self.post_add(item)
                    flash(str(self.add_row_message), "success")
                    return None
            is_valid_form = False  # invalid input or refused by the rules: the form again, input kept
        if is_valid_form:
            self.update_redirect()
        return self._get_add_widget(form=form, exclude_cols=exclude_cols)

    def _edit(self, pk):
        is_valid_form = True
        pages = get_page_args()
        page_sizes = get_page_size_args()
        orders = get_order_args()
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()

        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        pk = self.datamodel.get_pk_value(item)

        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            self._fill_form_exclude_cols(exclude_cols, form)
            form._id = pk  # FAB's trick to pass the unique validation
            if form.validate():
                self.process_form(form, False)
                form.populate_obj(item)
                if self._save(form, item, False):
                    self.post_update(item)
                    flash(str(self.edit_row_message), "success")
                    return None
                item = self.datamodel.get(pk, self._base_filters)  # rolled back: the stored row for related lists
            is_valid_form = False
        else:
            form = self.edit_form.refresh(obj=item)
            self.prefill_form(form, pk)

        widgets = self._get_edit_widget(form=form, exclude_cols=exclude_cols)
        widgets = self._get_related_views_widgets(
            item, filters={}, orders=orders, pages=pages, page_sizes=page_sizes, widgets=widgets
        )
        if is_valid_form:
            self.update_redirect()
        return widgets

    def _delete(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if not item:
            abort(404)
        if self.delete_action is None:
            flash(str(_l("该数据不允许删除")), "danger")
        else:
            def delete(session):
                _run_hook(self.pre_delete, item)
                type(self).delete_action(session, current_actor(), item)

            error, _ = attempt(delete)
            if error is not None:
                flash_error(error)
            else:
                self.post_delete(item)
                flash(str(self.delete_row_message), "success")
        self.update_redirect()


def _run_hook(hook: Callable[[Any], Any], item: Any) -> None:
    """A FAB ``pre_*`` hook: as in FAB, any exception it raises refuses the write with its message."""
    try:
        hook(item)
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - FAB flashes str(e) of whatever the hook raises
        raise DomainError(str(exc)) from exc


# FAB's own 400 messages (rison query, filters, ordering) in Chinese; the original text stays as detail.
FAB_400 = (
    ("Not a valid rison/json argument", _l("查询参数 q 不是有效的 rison 表达式")),
    ("Not a valid rison argument", _l("查询参数 q 不是有效的 rison 表达式")),
    ("Not a valid rison schema", _l("查询参数 q 的内容不符合要求")),
    ("Filter column", _l("该字段不能用于筛选")),
    ("Filter operation", _l("该筛选方式不能用于此字段")),
    ("Invalid order by column", _l("不能按该字段排序")),
    ("Cannot use both", _l("columns 与 select_columns 不能同时使用")),
    ("Request is not JSON", _l("请求体必须是 JSON")),
)
#: A value the database refused as data (a number beyond the column's range, NUL in a text on PostgreSQL).
VALUE_NOT_STORABLE = _l("请求中的数值超出范围或数据格式不被接受，请检查后重试")


def _marshmallow_errors(messages: Any) -> DomainError:
    """Turn marshmallow's (English) field messages into the Chinese 422 body of DESIGN §10."""
    errors: list[FieldError] = []
    if isinstance(messages, dict):
        for field, msgs in messages.items():
            text = " ".join(str(m) for m in msgs) if isinstance(msgs, list) else str(msgs)
            if "Missing data" in text:
                message = _l("%(field)s 为必填项", field=field)
            elif "Unknown field" in text:
                message = _l("%(field)s 不是可提交的字段", field=field)
            else:
                message = _l("%(field)s 的值格式不正确", field=field)
            errors.append(FieldError(field, message))
    else:
        errors.append(FieldError(None, _l("提交的数据格式不正确")))
    return ValidationFailed(errors)


class ForeignKeySchemaConverter(Model2SchemaConverter):
    """FAB's schema converter with foreign-key columns included: the API contract exchanges ``filing_id``,
    ``city_code`` … as plain fields (DESIGN §10)."""

    def _meta_schema_factory(self, columns, model, class_mixin, parent_schema_name=None):
        schema = super()._meta_schema_factory(columns, model, class_mixin, parent_schema_name)
        return type(schema.__name__, (schema,), {"Meta": type("Meta", (schema.Meta,), {"include_fk": True})})


class ChineseApiResponses:
    """FAB's 400/401/403/404/500 answers of a ``BaseApi`` in Chinese with the DESIGN §10 body shape (FAB answers
    "Forbidden", "Fatal error" …). Used by every scoped API (the filing family and the registries alike); an API
    built directly on FAB's ``BaseApi`` gets the same answers by listing it first among its bases."""

    def response_400(self, message: Optional[str] = None):
        text = str(message or "")
        for prefix, chinese in FAB_400:
            if text.startswith(prefix):
                return self.response(400, message=str(chinese), errors=[{"message": text}])
        return self.response(400, message=str(_l("请求格式不正确")), errors=[{"message": text}] if text else [])

    def response_401(self):
        return self.response(401, message=str(_l("请先登录（Bearer 令牌缺失、无效或已过期）")), errors=[])

    def response_403(self):
        return self.response(403, message=str(_l("您没有执行该操作的权限")), errors=[])

    def response_404(self):
        return self.response(404, message=str(NotFound().message), errors=[])

    def response_500(self, message: Optional[str] = None):
        """FAB's ``@safe`` answers every exception with this. A value the database cannot hold (an id beyond 64 bits
        on SQLite, an out-of-range number on PostgreSQL) is the request's fault: 400, after a rollback."""
        error = sys.exc_info()[1]
        if isinstance(error, (OverflowError, DataError)):
            db.session.rollback()
            return self.response(400, message=str(VALUE_NOT_STORABLE), errors=[])
        return self.response(500, message=str(_l("系统处理时出现错误，已记录。请稍后重试，如仍有问题请联系管理员。")),
                             errors=[])


class ScopedModelRestApi(ChineseApiResponses, ModelRestApi):
    """A FAB ModelRestApi limited to the actor's rows; POST/PUT/DELETE go through actions/."""

    allow_browser_login = True
    model2schemaconverter = ForeignKeySchemaConverter
    method_permission_name = API_PERMISSIONS

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        """FAB's ``_info`` of a field; a field with no label or description gets "" — FAB translates the empty
        string, which gettext answers with the catalog's header (security finding, Low)."""
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        for key in ("label", "description"):
            if str(info.get(key, "")).startswith("Project-Id-Version"):
                info[key] = ""
        return info
    save_action: Optional[Callable[..., None]] = None
    delete_action: Optional[Callable[..., None]] = None

    #: The list's ``count`` stops here: beyond it the answer says ``"count": 10000, "count_capped": true`` ("more
    #: than 10,000"; page on until a page comes back short). Counting every row cost more than the page (issue 15).
    count_cap: Optional[int] = 10_000

    def __init__(self):
        self.datamodel = self.datamodel  # set on subclasses
        if self.count_cap is not None and hasattr(self.datamodel, "count_cap"):
            self.datamodel.count_cap = self.count_cap
        pk_name = self.datamodel.get_pk_name()
        self.base_filters = [[pk_name, ScopeFilter, None]] + list(type(self).base_filters or [])
        self.labels_by_language: dict[tuple, dict] = {}
        super().__init__()

    def _label_columns_json(self, cols=None):
        """FAB's ``label_columns`` of an answer, translated once per language and column set (FAB translated every
        label of every answer: ~150 gettext calls per list page). The labels are the view's declared constants."""
        key = (str(get_locale()), tuple(cols or ()))
        if key not in self.labels_by_language:
            self.labels_by_language[key] = super()._label_columns_json(cols)
        return dict(self.labels_by_language[key])

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs: Any) -> None:
        """FAB's OpenAPI operations; the list answer also documents ``count_capped`` and what ``count`` means."""
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        if getattr(func, "__name__", None) != "get_list" or self.count_cap is None or not operations:
            return
        try:
            responses = operations["get"]["responses"]
            ok = responses.get(200) or responses["200"]
            properties = ok["content"]["application/json"]["schema"]["properties"]
        except (KeyError, TypeError):
            return
        properties["count"] = {"type": "integer", "description": f"符合条件的记录数；超过 {self.count_cap:,} 条时为 "
                                                                 f"{self.count_cap}，并且 count_capped 为 true"}
        properties["count_capped"] = {"type": "boolean", "description": f"true：记录多于 {self.count_cap:,} 条（count "
                                                                        f"不是精确总数，请翻页直到某页不足 page_size 条）"}

    def pre_get_list(self, data: dict) -> None:
        """``count_capped``: whether ``count`` is the cap rather than the exact number of rows."""
        capped = self.count_cap is not None and int(data.get("count") or 0) > self.count_cap
        if capped:
            data["count"] = self.count_cap
        data["count_capped"] = capped

    def _coerce_pk(self, pk: Any) -> Any:
        """FAB routes hand over ``<int:pk>``; a string key (地市 code) must be compared as text on PostgreSQL."""
        column = self.datamodel.obj.__mapper__.primary_key[0]
        try:
            return column.type.python_type(pk)
        except (TypeError, ValueError):
            return pk

    def get_headless(self, pk, **kwargs):
        return super().get_headless(self._coerce_pk(pk), **kwargs)

    # post_/put_/delete_headless are forks of FAB's ModelRestApi methods (flask_appbuilder/api/__init__.py, 5.3):
    # FAB's hooks (pre_/post_add, pre_/post_update, pre_/post_delete) kept, the datamodel write replaced by
    # save_action/delete_action in one transaction, errors answered as DESIGN §10. See tests/test_fab_fork.py.
    def _write(self, item: Any, pre_hook: Callable[[Any], Any], fn: Callable[[], Any],
               post_hook: Callable[[Any], Any], status: int, dump: Callable[[], dict]):
        def run(session):
            pre_hook(item)  # as in FAB, e.g. custom validation; a DomainError refuses the write
            fn()

        error, _ = attempt(run)
        if error is not None:
            return error_response(error)
        post_hook(item)
        return self.response(status, **dump())

    def post_headless(self):
        if not request.is_json:
            return self.response_400(message=str(_l("请求体必须是 JSON")))
        try:
            item = self.add_model_schema.load(request.json)
        except ValidationError as err:
            self.datamodel.session.rollback()
            return error_response(_marshmallow_errors(err.messages))
        if self.save_action is None:
            return error_response(DomainError(_l("该数据不允许在此新增")))
        return self._write(
            item, self.pre_add,
            lambda: type(self).save_action(self.datamodel.session, current_actor(), item, True),
            self.post_add, 201,
            lambda: {"result": self.add_model_schema.dump(item, many=False), "id": self.datamodel.get_pk_value(item)},
        )

    def put_headless(self, pk):
        item = self.datamodel.get(self._coerce_pk(pk), self._base_filters)
        if not request.is_json:
            return self.response_400(message=str(_l("请求体必须是 JSON")))
        if not item:
            return self.response_404()
        try:
            data = self._merge_update_item(item, request.json)
            item = self.edit_model_schema.load(data, instance=item)
        except ValidationError as err:
            self.datamodel.session.rollback()
            return error_response(_marshmallow_errors(err.messages))
        if self.save_action is None:
            return error_response(DomainError(_l("该数据不允许在此修改")))
        return self._write(
            item, self.pre_update,
            lambda: type(self).save_action(self.datamodel.session, current_actor(), item, False),
            self.post_update, 200,
            lambda: {"result": self.edit_model_schema.dump(item, many=False)},
        )

    def delete_headless(self, pk):
        item = self.datamodel.get(self._coerce_pk(pk), self._base_filters)
        if not item:
            return self.response_404()
        if self.delete_action is None:
            return error_response(DomainError(_l("该数据不允许删除")))
        return self._write(
            item, self.pre_delete,
            lambda: type(self).delete_action(self.datamodel.session, current_actor(), item),
            self.post_delete, 200,
            lambda: {"message": "OK"},
        )


def interface(model: type) -> SQLAInterface:
    """SQLAInterface bound to the app's session."""
    from models.base import db
    from views.datamodel import AppInterface

    return AppInterface(model, db.session)

"""Registry import screens (issue 14): 导入职业工种, 导入培训机构 (基础数据, the provincial admin) and 导入单位 (基础数据 for
the admin; 单位管理 → 导入本市单位 for a city reviewer, its own city only): 下载模板 → upload → 检查 (every error by
row / column / value, or the counts of new and updated records and a preview) → 确认导入, and 下载错误标注文件.
A 单位 import that created first accounts answers 确认导入 with their one-time passwords (shown once, ``no-store``).

The steps and the page are the filing imports' (``views.ui.import_steps``, ``templates/imports/_upload_page.html``);
one view class serves the three kinds (``RegistryImportView``; a subclass per kind only names its kind, permission
and route). Reading + importing is ``views.api.registry_imports`` (shared with the REST endpoints); every rule is in
``actions.registry_imports``.
"""
from __future__ import annotations

from typing import Any, Optional

from flask import request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions import registry_imports
from actions.registry_imports import RegistryImportResult
from models.base import db
from models.scope import current_actor, scope_condition
from views.api.registry_imports import KIND_UI, result_message, run_registry_import, template_response
from views.ui.forms import endpoint_exists
from views.ui.import_steps import check_or_confirm, error_workbook, page_context

#: The list screen each kind returns to (the admin's 基础数据 lists).
LIST_VIEW = {"occupation": "OccupationView.list", "enterprise": "EnterpriseView.list",
             "training_institution": "TrainingInstitutionView.list"}
ACTION_LABELS = {"create": _l("新增"), "update": _l("更新"), "unchanged": _l("无变化")}


class RegistryImportView(BaseView):
    """下载模板 / upload / check / preview / 确认导入 / 错误标注文件 of one registry."""

    default_view = "upload"
    kind = ""
    method_permission_name = {"upload": "write", "template": "write", "errors": "write"}

    def _back_url(self) -> Optional[str]:
        endpoint = LIST_VIEW[self.kind]
        if current_actor().is_admin and endpoint_exists(endpoint):
            return url_for(endpoint)
        return None

    def _upload_url(self) -> str:
        return url_for(f"{type(self).__name__}.upload")

    def _page(self, *, status: int = 200, **check: Any):
        kind = self.kind
        context = page_context(preview_type=RegistryImportResult, **check)
        cols = [c for c in registry_imports.columns(kind) if c.key not in ("major", "middle", "minor")]
        actor = current_actor()
        names = registry_imports.city_names(db.session)
        return self.render_template(
            "registry_imports/upload.html", kind=kind, kind_label=KIND_UI[kind], columns=cols,
            editable=True, back_url=self._back_url(),
            existing=_existing(kind), template_url=url_for(f"{type(self).__name__}.template"),
            upload_url=self._upload_url(), errors_url=url_for(f"{type(self).__name__}.errors"),
            preview_cells=lambda values: _preview_cells(cols, values, names),
            reviewer_city=names.get(actor.city_code) if actor.is_reviewer else None,
            **context,
        ), status

    @expose("/import", methods=["GET", "POST"])
    @has_access
    def upload(self):
        if request.method == "GET":
            return self._page()
        holder: dict[str, Any] = {}
        answer = check_or_confirm(
            self._runner(holder), preview_type=RegistryImportResult, retry_url=self._upload_url(),
            page=lambda status, **check: self._page(status=status, **check),
            done=lambda result: (result_message(self.kind, result), self._back_url() or self._upload_url()))
        result = holder.get("result")
        if isinstance(result, RegistryImportResult) and not result.dry_run and result.accounts:
            return self._accounts_page(result)
        return answer

    def _accounts_page(self, result: RegistryImportResult):
        """The import's result with the first accounts' one-time passwords: rendered once, in the answer to
        确认导入 (nothing keeps them; a later GET shows the upload page) and never cached."""
        page = self.render_template("registry_imports/accounts.html", kind_label=KIND_UI[self.kind],
                                    accounts=result.accounts, back_url=self._back_url(),
                                    upload_url=self._upload_url(), reviewer=current_actor().is_reviewer)
        return page, 200, {"Cache-Control": "no-store"}

    @expose("/import/template")
    @has_access
    def template(self):
        return template_response(self.kind)

    @expose("/import/errors", methods=["POST"])
    @has_access
    def errors(self):
        return error_workbook(self._runner(), retry_url=self._upload_url(), ascii_name=f"{self.kind}_errors.xlsx")

    def _runner(self, holder: Optional[dict] = None):
        kind = self.kind

        def run(content: bytes, file_name: str, dry_run: bool):
            parsed, result = run_registry_import(kind, content, file_name, dry_run=dry_run)
            if holder is not None:
                holder["result"] = result
            return parsed, result

        return run


class OccupationImportView(RegistryImportView):
    """导入职业工种 (国家职业分类大典)."""

    route_base = "/registry/occupation"
    kind = "occupation"
    class_permission_name = "Occupation"


class EnterpriseImportView(RegistryImportView):
    """导入单位 (the admin: any city; a city reviewer: its own)."""

    route_base = "/registry/enterprise"
    kind = "enterprise"
    class_permission_name = "EnterpriseImport"


class TrainingInstitutionImportView(RegistryImportView):
    """导入培训机构."""

    route_base = "/registry/training_institution"
    kind = "training_institution"
    class_permission_name = "TrainingInstitution"


def _existing(kind: str) -> int:
    """How many rows the registry has now, as the user may see them (a COUNT)."""
    model = registry_imports.KIND_RULES[kind].model
    stmt = select(func.count()).select_from(model)
    if kind == "enterprise":
        stmt = stmt.where(scope_condition(model, current_actor()))
    return db.session.scalar(stmt) or 0


def _preview_cells(cols: list, values: dict, city_names: dict[str, str]) -> list[str]:
    """A record of the preview as the user reads it: its action, then the columns (city names, 是/否)."""
    cells = [ACTION_LABELS.get(values.get("action"), "")]
    for col in cols:
        key = "work_types" if col.key == "work_type" else col.key
        value = values.get(key)
        if key == "city_code" and value:
            value = city_names.get(value, value)
        elif isinstance(value, bool):
            value = _l("是") if value else _l("否")
        cells.append("" if value is None else str(value))
    return cells

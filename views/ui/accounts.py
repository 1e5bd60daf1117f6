"""企业账号 (a city reviewer: its city's enterprise accounts) and 开通账号 (the provincial admin: reviewer and
enterprise accounts) — issue 14, DESIGN §6.

- ``/accounts/``: the paged list (search by username, name, e-mail, enterprise name or 统一社会信用代码; role and
  state filters) with 【停用】 / 【启用】 (confirmed) on each row;
- ``/accounts/new``: the form (the admin chooses 地市审核员 + 所属地市 or 企业用户; a reviewer creates 企业用户 only),
  the enterprise named by its 统一社会信用代码; after 开通 the page shows the one-time password once, with a copy
  hint (``Cache-Control: no-store``);
- ``POST /accounts/<pk>/deactivate|activate``.

The rules are actions/account_admin.py; FAB's own 账号列表 / 角色列表 stay the admin's alone (views/security.py).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from actions import account_admin as aa
from core.clock import format_local
from models.base import db
from models.lookups import City
from models.scope import current_actor
from queries.accounts import STATES, account_page
from queries.children import ListArgs
from views.glue import attempt
from views.ui.forms import abort_for, error_map, posted

#: The form's fields (``enterprise_uscc`` stands for ``enterprise_id``: a clerk has the code, not our id).
FORM_FIELDS = ("role", "city_code", "enterprise_uscc", "username", "last_name", "first_name", "email")
STATE_LABELS = {"active": _l("启用"), "inactive": _l("已停用")}


def _title(actor) -> Any:
    return _l("开通账号") if actor.is_admin else _l("企业账号")


def _create(session, actor, values: dict[str, str]):
    """The form's create: the enterprise looked up by its code within the actor's scope, then the action."""
    # a reviewer's form carries ENTERPRISE (hidden); a tampered role is refused by the action (403)
    role = values["role"] or (None if actor.is_admin else aa.AccountRole.ENTERPRISE)
    enterprise_id = None
    if role == aa.AccountRole.ENTERPRISE:
        enterprise_id = aa.enterprise_for_uscc(session, actor, values["enterprise_uscc"])
    city_code = (values["city_code"] or None) if role != aa.AccountRole.ENTERPRISE else None
    return aa.create_account(session, actor, username=values["username"], role=role, city_code=city_code,
                             enterprise_id=enterprise_id, first_name=values["first_name"],
                             last_name=values["last_name"], email=values["email"])


class AccountAdminView(BaseView):
    """企业账号 / 开通账号: list, create with a one-time password, deactivate / reactivate."""

    route_base = "/accounts"
    default_view = "list"
    class_permission_name = "AccountAdmin"
    method_permission_name = {"list": "read", "new": "write", "create": "write", "deactivate": "write",
                              "activate": "write"}

    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        args = ListArgs.from_args(request.args)
        role = request.args.get("role") if request.args.get("role") in (aa.AccountRole.REVIEWER,
                                                                          aa.AccountRole.ENTERPRISE) else ""
        state = request.args.get("state") if request.args.get("state") in STATES else ""
        found = account_page(db.session, actor, args.page, args.size, q=args.q, role=role or None,
                             state=state or None)
        filters = {"q": args.q, "role": role, "state": state, "size": args.size}

        def page_url(n: int) -> str:
            return url_for("AccountAdminView.list", **{k: v for k, v in {**filters, "page": n}.items() if v})

        return self.render_template("accounts/list.html", title=_title(actor), page=found, filters=filters,
                                    page_url=page_url, is_admin=actor.is_admin, role_label=aa.AccountRole.label,
                                    role_of=aa.AccountRole.of, state_labels=STATE_LABELS,
                                    format_local=format_local, me=actor.user_id)

    def _form(self, values: dict, errors: dict, general: list, status: int = 200):
        actor = current_actor()
        cities = db.session.execute(select(City.code, City.name).order_by(City.sort_order, City.code)).all() \
            if actor.is_admin else []
        roles = [(aa.AccountRole.REVIEWER, aa.AccountRole.label(aa.AccountRole.REVIEWER)),
                 (aa.AccountRole.ENTERPRISE, aa.AccountRole.label(aa.AccountRole.ENTERPRISE))]
        return self.render_template("accounts/new.html", title=_title(actor), values=values, errors=errors,
                                    general=general, is_admin=actor.is_admin, roles=roles,
                                    cities=[(code, f"{name}（{code}）") for code, name in cities]), status

    @expose("/new")
    @has_access
    def new(self):
        values = {name: "" for name in FORM_FIELDS}
        values["role"] = aa.AccountRole.ENTERPRISE
        values["enterprise_uscc"] = (request.args.get("uscc") or "")[:18]
        return self._form(values, {}, [])

    @expose("/new", methods=["POST"])
    @has_access
    def create(self):
        actor = current_actor()
        values = {name: value[:400] for name, value in posted(FORM_FIELDS).items()}
        error, result = attempt(_create, actor, values)
        if error is not None:
            abort_for(error)  # 403: a reviewer asking for another role; 404: an enterprise of another city
            errors, general = error_map(error, FORM_FIELDS)
            return self._form(values, errors, general, 422)
        user, password = result
        html = self.render_template("accounts/created.html", title=_title(actor), user=user, password=password,
                                    role_label=aa.AccountRole.label(aa.AccountRole.of(user)))
        return html, 200, {"Cache-Control": "no-store"}

    @expose("/<int:pk>/deactivate", methods=["POST"])
    @has_access
    def deactivate(self, pk: int):
        return self._set_active(aa.deactivate_account, pk,
                                lambda user: _l("已停用账号“%(name)s”，其已登录的会话和令牌已失效", name=user.username))

    @expose("/<int:pk>/activate", methods=["POST"])
    @has_access
    def activate(self, pk: int):
        return self._set_active(aa.activate_account, pk, lambda user: _l("已重新启用账号“%(name)s”", name=user.username))

    def _set_active(self, action, pk: int, done: Callable[[Any], Any]):
        error, user = attempt(action, current_actor(), pk)
        if error is not None:
            abort_for(error)
            flash(str(error.message), "danger")
        else:
            flash(str(done(user)), "success")
        back = request.form.get("back") or ""
        return redirect(back if back.startswith("/accounts/") else url_for("AccountAdminView.list"))


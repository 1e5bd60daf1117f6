"""The security manager using ``AppUser`` and the account screens of the provincial admin (账号管理): FAB's user
views showing and editing the enterprise / city link that scopes each account (DESIGN §2)."""
from __future__ import annotations

from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import RoleModelView, UserDBModelView
from flask_babel import lazy_gettext as _l

from models.security import AppUser
from views.formatting import plain_formatters


class AppUserDBModelView(UserDBModelView):
    """账号管理: FAB's user screens plus the enterprise / city link."""

    list_title = _l("账号列表")
    show_title = _l("账号详情")
    add_title = _l("新增账号")
    edit_title = _l("编辑账号")
    list_columns = ["username", "first_name", "last_name", "roles", "enterprise", "city", "active"]
    search_columns = ["username", "first_name", "last_name", "email", "active"]
    base_order = ("username", "asc")
    page_size = 20
    label_columns = {
        **UserDBModelView.label_columns,
        "enterprise": _l("所属单位"),
        "city": _l("所属地市"),
    }
    show_fieldsets = [
        (_l("账号"), {"fields": ["username", "first_name", "last_name", "email", "active", "roles"]}),
        (_l("数据范围"), {"fields": ["enterprise", "city"]}),
        (_l("登录情况"), {"fields": ["last_login", "login_count", "fail_login_count"]}),
    ]
    user_show_fieldsets = [
        (_l("账号"), {"fields": ["username", "first_name", "last_name", "email"]}),
        (_l("数据范围"), {"fields": ["enterprise", "city"]}),
    ]
    add_columns = UserDBModelView.add_columns[:-2] + ["enterprise", "city", "password", "conf_password"]
    add_columns = [c for c in add_columns if c != "groups"]
    edit_columns = ["first_name", "last_name", "username", "active", "email", "roles", "enterprise", "city"]
    formatters_columns = plain_formatters(list_columns, ["enterprise", "city", "active", "last_login", "login_count",
                                                         "fail_login_count", "email"])


class AppRoleModelView(RoleModelView):
    """角色列表, read-only: the permissions of the three roles are the matrix in models/roles.py."""

    list_title = show_title = _l("角色列表")
    base_permissions = ["can_list", "can_show"]
    list_columns = show_columns = ["name"]
    search_columns = ["name"]
    label_columns = {"name": _l("角色名称")}
    description_columns = {"name": _l("角色的权限由系统角色矩阵统一定义，不在此修改")}


class AppSecurityManager(SecurityManager):
    """Security manager using AppUser; everything else is FAB's (password hashing, login rate limit, JWT)."""

    user_model = AppUser
    userdbmodelview = AppUserDBModelView
    rolemodelview = AppRoleModelView

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        from views.datamodel import EagerInterface

        # The account list shows roles, enterprise and city: load them with the page, not per row.
        self.userdbmodelview.datamodel = EagerInterface(AppUser, eager=("roles", "enterprise", "city"))

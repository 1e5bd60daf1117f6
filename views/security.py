"""The security manager using ``AppUser`` and the account screens of the provincial admin (账号管理): FAB's user
views showing and editing the enterprise / city link that scopes each account (DESIGN §2).

Login protection (both doors: the form ``/login/`` and the JWT ``POST /api/v1/security/login``):

- ONE rate limit per client IP for both (``AUTH_RATE_LIMITED`` / ``AUTH_RATE_LIMIT``), counted in FAB's
  flask-limiter with the storage of ``RATELIMIT_STORAGE_URI`` (Redis shared by every gunicorn worker; in memory
  for the embedded default). Over the limit: 429 — the Chinese error page for the form, ``{"message": …}`` for
  the API.
- Account lockout after ``AUTH_LOCKOUT_FAILURES`` consecutive failed passwords (rule in actions/accounts.py); a
  locked account is refused with the same message as a wrong password or an unknown user. The admin lifts it
  with the 解除锁定 action of the account screens.
"""
from __future__ import annotations

import logging
import time
from types import SimpleNamespace
from datetime import timezone

from flask import abort, current_app, g, has_request_context, redirect, request, session
from flask_appbuilder.actions import action
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.forms import ResetPasswordForm
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.views import AuthDBView, RoleModelView, UserDBModelView
from flask_appbuilder.security.views import ResetMyPasswordView as FabResetMyPasswordView
from flask_appbuilder.security.views import ResetPasswordView as FabResetPasswordView
from flask_appbuilder.security.views import UserInfoEditView as FabUserInfoEditView
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget, BS3TextFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.validators import PasswordComplexityValidator
from flask_babel import lazy_gettext as _l
from flask_limiter import RequestLimit
from flask_login import user_logged_in, user_logged_out
from sqlalchemy.orm import joinedload
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired
from werkzeug.security import check_password_hash

from actions import accounts, audit
from core.clock import format_local
from core.validators import PASSWORD_MIN_LENGTH, password_problem
from core.errors import Forbidden, NotFound
from models.base import utcnow
from models.scope import current_actor, load_scoped
from models.security import AppUser
from views.errors import _render as render_error
from views.formatting import display_value, plain_formatters
from views.widgets import blank_choice
from views.glue import run_action

log = logging.getLogger(__name__)

#: The one answer to a refused login, whatever the reason (wrong password, unknown or inactive user, locked
#: account), so that it never tells whether an account exists or is locked.
LOGIN_REFUSED = _l("用户名或密码错误，或账号已被暂时锁定，请稍后再试")
TOO_MANY_LOGINS_TITLE = _l("登录尝试过于频繁")
TOO_MANY_LOGINS = _l("登录尝试过于频繁，请稍后再试")
#: Scope (storage key part) of the login limit shared by the form and the API.
LOGIN_LIMIT_SCOPE = "login"


def _locked_until(value):
    """The end of a lockout still running, in Asia/Shanghai; nothing once it has passed."""
    if value is None or value <= utcnow():
        return ""
    return format_local(value)


def _role_names(roles) -> str:
    """角色 as a clerk reads it: 企业用户、地市审核员 (not FAB's ``[企业用户]`` list)."""
    return "、".join(str(role.name) for role in roles or [])


def _count(value) -> int:
    return value or 0


class NotPublicRole(BaseFilter):
    """The public role (``AUTH_ROLE_PUBLIC``, 匿名访客: what a visitor who has not logged in may open) is no role an
    account can hold: never offered in the role select, not listed among the roles (issue 12)."""

    name = "not the public role"
    arg_name = "not_public"

    def apply(self, query, value):
        return query.filter(self.model.name != current_app.config["AUTH_ROLE_PUBLIC"])


#: Chinese labels of the account screens, 姓氏 before 名字 (issue 12: FAB's "First Name" first, in English order).
ACCOUNT_LABELS = {
    "username": _l("用户名"),
    "last_name": _l("姓氏"),
    "first_name": _l("名字"),
    "email": _l("电子邮箱"),
    "active": _l("是否启用"),
    "roles": _l("角色"),
    "password": _l("密码"),
    "conf_password": _l("确认密码"),
    "enterprise": _l("所属单位"),
    "city": _l("所属地市"),
    "last_login": _l("最近登录时间"),
    "login_count": _l("登录次数"),
    "fail_login_count": _l("连续登录失败次数"),
    "last_failed_login": _l("最近一次登录失败"),
    "locked_until": _l("锁定至"),
}
#: Help texts: what a clerk needs to know (FAB's mention LDAP and OpenID authentication, which this system has not).
ACCOUNT_DESCRIPTIONS = {
    "username": _l("登录时填写的用户名，不能与其他账号重复"),
    "last_name": _l("账号使用人的姓氏"),
    "first_name": _l("账号使用人的名字"),
    "email": _l("账号使用人的电子邮箱"),
    "active": _l("停用后该账号不能再登录；不建议删除账号，停用即可"),
    "roles": _l("企业用户办理本单位业务；地市审核员审核本市业务；省级管理员维护基础数据和账号"),
    "enterprise": _l("企业用户所属的单位：只能看到和办理该单位的业务"),
    "city": _l("地市审核员所属的地市：只能看到和审核该地市的业务"),
    "password": _l("至少 %(n)d 位，须同时包含字母和数字，不能包含用户名", n=PASSWORD_MIN_LENGTH),
    "conf_password": _l("请再次输入密码"),
}


class AppUserDBModelView(UserDBModelView):
    """账号管理: FAB's user screens plus the enterprise / city link, shown the way a clerk reads them (issue 12):
    姓氏 before 名字, roles as names, times in Asia/Shanghai to the minute, no LDAP / OpenID help texts, no
    ``__None`` in the empty choice of a select, the public role never offered."""

    list_title = _l("账号列表")
    show_title = _l("账号详情")
    add_title = _l("新增账号")
    edit_title = _l("编辑账号")
    user_info_title = _l("我的信息")
    list_columns = ["username", "last_name", "first_name", "roles", "enterprise", "city", "active", "locked_until"]
    search_columns = ["username", "last_name", "first_name", "email", "active"]
    base_order = ("username", "asc")
    page_size = 20
    # The unlock action is permission ``can_unlock`` (the admin's ``^can_`` on this view; nobody else's). FAB's own
    # single actions are mapped to themselves: unmapped, FAB looks their permission up without its ``can_`` prefix,
    # finds none and hides 重置密码 (admin's account page) and 编辑我的信息 / 修改密码 (我的信息) from everybody.
    method_permission_name = {**(UserDBModelView.method_permission_name or {}), "unlock": "unlock",
                              "resetpasswords": "resetpasswords", "resetmypassword": "resetmypassword",
                              "userinfoedit": "userinfoedit"}
    label_columns = {**UserDBModelView.label_columns, **ACCOUNT_LABELS}
    description_columns = ACCOUNT_DESCRIPTIONS
    show_fieldsets = [
        (_l("账号"), {"fields": ["username", "last_name", "first_name", "email", "active", "roles"]}),
        (_l("数据范围"), {"fields": ["enterprise", "city"]}),
        (_l("登录情况"), {"fields": ["last_login", "login_count", "fail_login_count", "last_failed_login",
                                     "locked_until"]}),
    ]
    user_show_fieldsets = [
        (_l("账号"), {"fields": ["username", "last_name", "first_name", "email", "roles"]}),
        (_l("数据范围"), {"fields": ["enterprise", "city"]}),
    ]
    add_columns = ["last_name", "first_name", "username", "active", "email", "roles", "enterprise", "city",
                   "password", "conf_password"]
    # FAB's validator reads form["groups"], which this form does not have (a KeyError 500 with no role chosen)
    validators_columns = {"roles": [DataRequired(message=_l("请至少选择一个角色"))]}
    edit_columns = ["last_name", "first_name", "username", "active", "email", "roles", "enterprise", "city"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"roles": [["name", NotPublicRole, None]]}
    formatters_columns = plain_formatters(
        list_columns, ["enterprise", "city", "active", "email"],
        existing={"locked_until": _locked_until,
                  "roles": _role_names,
                  "last_login": format_local,
                  "login_count": _count,
                  "fail_login_count": _count,
                  "last_failed_login": format_local},
    )

    def _init_forms(self):
        """FAB's forms, their empty choice of 所属单位 / 所属地市 reading 请选择 instead of ``__None``, the password
        fields saying what the password policy asks."""
        super()._init_forms()
        blank_choice(self.add_form, "enterprise", "city")
        blank_choice(self.edit_form, "enterprise", "city")
        for name in ("password", "conf_password"):
            getattr(self.add_form, name).kwargs["description"] = ACCOUNT_DESCRIPTIONS[name]

    @action("userinfoedit", _l("编辑我的信息"), "", "fa-edit", multiple=False)
    def userinfoedit(self, item):
        """我的信息 → 编辑我的信息 (FAB's action, its button named for what it edits)."""
        return super().userinfoedit(item)

    @action("unlock", _l("解除锁定"), _l("确定解除所选账号的登录锁定并清零登录失败次数吗？"), "fa-unlock",
            multiple=True, single=True)
    def unlock(self, items):
        """解除锁定: the admin lifts the lockout of the chosen accounts (audited)."""
        rows = self._reload(items)  # row actions skip base_filters: re-load through the scope
        run_action(accounts.unlock, current_actor(), rows, success=_l("已解除 %(n)d 个账号的登录锁定", n=len(rows)))
        self.update_redirect()
        return redirect(self.get_redirect())

    # -- every change of an account audited (roles included), in the transaction of the change ----------------
    def pre_add(self, item):
        if not current_actor().is_admin:
            raise Forbidden()

    def post_add(self, item):
        session = self.datamodel.session
        accounts.record_account_change(session, current_actor(), "create", item, {},
                                       accounts.account_snapshot(item))
        session.commit()

    def pre_update(self, item):
        before = accounts.account_snapshot(item, committed=True)
        if before["active"] and not item.active:
            revoke_sessions_and_tokens(item)  # issue 14: deactivated here too, its old sessions stay dead afterwards
        accounts.record_account_change(self.datamodel.session, current_actor(), "update", item, before,
                                       accounts.account_snapshot(item))

    def pre_delete(self, item):
        accounts.record_account_change(self.datamodel.session, current_actor(), "delete", item,
                                       accounts.account_snapshot(item), {})

    def _get_show_widget(self, pk, item, widgets=None, actions=None, show_fieldsets=None):
        """FAB's account show page offers only 重置密码: 解除锁定 is offered beside it (not on 我的信息)."""
        if actions and "resetpasswords" in actions:
            actions = {**actions, "unlock": self.actions["unlock"]}
        return super()._get_show_widget(pk, item, widgets=widgets, actions=actions, show_fieldsets=show_fieldsets)

    def _reload(self, items) -> list:
        if not isinstance(items, list):
            items = [items]
        rows = []
        for item in items:
            if item is None:
                abort(404)
            try:
                rows.append(load_scoped(self.datamodel.session, AppUser, item.id, current_actor()))
            except NotFound:
                abort(404)
        return rows


class AppRoleModelView(RoleModelView):
    """角色列表, read-only: the permissions of the three roles are the matrix in models/roles.py. The public role
    (匿名访客) is not listed: no account holds it (issue 12)."""

    list_title = show_title = _l("角色列表")
    base_filters = [["name", NotPublicRole, None]]
    base_permissions = ["can_list", "can_show"]
    list_columns = show_columns = ["name"]
    search_columns = ["name"]
    label_columns = {"name": _l("角色名称")}
    description_columns = {"name": _l("角色的权限由系统角色矩阵统一定义，不在此修改")}


class AppUserInfoEdit(DynamicForm):
    """编辑我的信息: 姓氏 before 名字 (FAB's form asks for the first name first)."""

    last_name = StringField(ACCOUNT_LABELS["last_name"], validators=[DataRequired(message=_l("请填写姓氏"))],
                            widget=BS3TextFieldWidget(), description=ACCOUNT_DESCRIPTIONS["last_name"])
    first_name = StringField(ACCOUNT_LABELS["first_name"], validators=[DataRequired(message=_l("请填写名字"))],
                             widget=BS3TextFieldWidget(), description=ACCOUNT_DESCRIPTIONS["first_name"])


class UserInfoEditView(FabUserInfoEditView):
    """编辑我的信息: FAB's view with the form above. Keeps FAB's class name, so its URL (``/userinfoeditview/form``),
    endpoints and permission resource (models/roles.py SELF_SERVICE) stay what they are."""

    form = AppUserInfoEdit
    form_title = _l("编辑我的信息")
    message = _l("您的信息已保存")


class AppResetPasswordForm(ResetPasswordForm):
    """修改密码 / 重置密码: FAB's form, whose help text says the application does not check the password's strength —
    this one does (``password_policy``), and the text says what it asks for."""

    password = PasswordField(ACCOUNT_LABELS["password"], description=ACCOUNT_DESCRIPTIONS["password"],
                             validators=[DataRequired(), PasswordComplexityValidator()],
                             widget=BS3PasswordFieldWidget())


class ResetMyPasswordView(FabResetMyPasswordView):
    """修改密码 (own password) with the form above; FAB's class name kept (URL, endpoints, permission resource)."""

    form = AppResetPasswordForm


class ResetPasswordView(FabResetPasswordView):
    """重置密码 (the admin's, for another account) with the form above; FAB's class name kept."""

    form = AppResetPasswordForm


class AppAuthDBView(AuthDBView):
    """FAB's login form; a refused login always reads the same (wrong password, unknown user, locked account)."""

    invalid_login_message = LOGIN_REFUSED
    login_template = "security/login.html"  # FAB's form plus the 企业注册 links (views/ui/registration.py)


class AppSecurityApi(SecurityApi):
    """FAB's JWT login (``POST /api/v1/security/login``); a refused login answers 401 with the same Chinese
    message as the form. ``response_401`` is only used by ``login`` here (``refresh`` is guarded by
    flask-jwt-extended)."""

    def response_401(self):
        return self.response(401, message=str(LOGIN_REFUSED))


def _too_many_logins(limit: RequestLimit):
    """429 answer of the login limit: JSON for the API, the Chinese error page for the form."""
    response = render_error(429, TOO_MANY_LOGINS_TITLE, TOO_MANY_LOGINS)
    if isinstance(response, tuple):
        response = current_app.make_response(response)
    response.status_code = 429
    response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time())))
    return response


def _not_a_login() -> bool:
    """The limit counts the login POSTs only (not the API's token refresh)."""
    return not (request.endpoint or "").endswith(".login")


def _password_owner() -> tuple[str | None, AppUser | None]:
    """Whose password a form sets: the new account's username (add), the account being reset (the admin's
    重置密码, ``?pk=``) or the user's own (修改密码)."""
    if not has_request_context():
        return None, None
    if request.form.get("username"):
        return request.form.get("username"), None
    pk = request.args.get("pk")
    if pk and pk.isdigit():
        user = current_app.appbuilder.sm.get_user_by_id(int(pk))
    else:
        user = getattr(g, "user", None)
        user = user if getattr(user, "is_authenticated", False) else None
    return (user.username, user) if user is not None else (None, None)


#: how many passwords (the current one included) a new password may not repeat
PASSWORD_HISTORY = 5


def password_policy(password: str) -> None:
    """FAB_PASSWORD_COMPLEXITY_VALIDATOR for every password form: length, letters and digits, not the username,
    not the password the account has now (issue: password policy).

    :raises PasswordComplexityValidationError: with the Chinese reason.
    """
    username, user = _password_owner()
    problem = password_problem(password, username)
    if problem is None and user is not None:
        hashes = [h for h in [getattr(user, "password", None), *(getattr(user, "previous_passwords", None) or [])]
                  if h]
        if any(check_password_hash(h, password or "") for h in hashes[:PASSWORD_HISTORY]):
            problem = _l("新密码不能与最近使用过的 %(n)d 个密码相同", n=PASSWORD_HISTORY)
    if problem is not None:
        raise PasswordComplexityValidationError(str(problem))


# ---- revocation: a logout or a password change ends the account's other sessions and its JWTs ----------------

LOGIN_AT = "login_at"  # session key: when this browser session logged in (epoch seconds, UTC)


def revoke_sessions_and_tokens(user: AppUser) -> None:
    """Every session logged in and every JWT issued before now stops working (the current browser session, when it
    is the user's own, is renewed so a self-service password change does not log it out)."""
    user.tokens_valid_after = utcnow()
    if has_request_context() and getattr(getattr(g, "user", None), "id", None) == user.id:
        session[LOGIN_AT] = time.time()  # read after the revocation time above: the user's own session stays valid


def _session_still_valid(user: AppUser) -> bool:
    if user.tokens_valid_after is None:
        return True
    valid_after = user.tokens_valid_after.replace(tzinfo=timezone.utc).timestamp()
    return session.get(LOGIN_AT, 0) >= valid_after


def _remember_login(_sender, user=None, **_kwargs) -> None:
    # exact time (both databases keep microseconds): a session that logged in even a moment before a deactivation or
    # logout stays refused after a reactivation
    session[LOGIN_AT] = time.time()


def _revoke_at_logout(_sender, user=None, **_kwargs) -> None:
    if user is None or getattr(user, "id", None) is None:
        return
    sm = current_app.appbuilder.sm
    row = sm.get_user_by_id(user.id)
    if row is not None:
        row.tokens_valid_after = utcnow()
        sm.session.commit()


class AppSecurityManager(SecurityManager):
    """Security manager using AppUser; password hashing and JWT are FAB's. Adds the login limit shared by form
    and API, and the account lockout of actions/accounts.py."""

    user_model = AppUser
    userdbmodelview = AppUserDBModelView
    rolemodelview = AppRoleModelView
    userinfoeditview = UserInfoEditView
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    authdbview = AppAuthDBView
    security_api = AppSecurityApi

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        config = current_app.config
        config.setdefault("FAB_PASSWORD_COMPLEXITY_ENABLED", True)
        config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_policy)
        user_logged_in.connect(_remember_login, weak=False)
        user_logged_out.connect(_revoke_at_logout, weak=False)
        from views.datamodel import EagerInterface

        # The account list shows roles, enterprise and city: load them with the page, not per row.
        self.userdbmodelview.datamodel = EagerInterface(AppUser, eager=("roles", "enterprise", "city"))

    # -- one login limit for form and API ------------------------------------------------------------------
    @property
    def is_auth_limited(self) -> bool:
        """FAB's own limit (per view, per worker) is replaced by the shared one of ``register_views``."""
        return False

    def register_views(self):
        super().register_views()
        if not current_app.config.get("AUTH_RATE_LIMITED"):
            return
        login_limit = self.limiter.shared_limit(
            lambda: current_app.config["AUTH_RATE_LIMIT"],
            scope=LOGIN_LIMIT_SCOPE,
            methods=["POST"],
            exempt_when=_not_a_login,
            on_breach=_too_many_logins,
        )
        api = next(v for v in self.appbuilder.baseviews if isinstance(v, AppSecurityApi))
        for blueprint in (self.auth_view.blueprint, api.blueprint):
            login_limit(blueprint)

    # -- account lockout -----------------------------------------------------------------------------------
    def _login_user(self, username):
        """The account a login names (username, else e-mail), as FAB's ``auth_user_db`` finds it."""
        if not username:
            return None
        return self.find_user(username=username) or self.find_user(email=username)

    def auth_user_db(self, username, password):
        """A locked account is refused before its password is looked at (same answer as a wrong password; the
        password hash is still checked so the answer takes as long). Otherwise FAB's check."""
        user = self._login_user(username)
        if user is not None and user.is_active and accounts.is_locked(user):
            check_password_hash(user.password or current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                password or "")
            log.info("Login refused: account %s is locked until %s", user.id, user.locked_until)
            return None
        return super().auth_user_db(username, password)

    def get_user_by_id(self, pk):
        """The user with its roles and groups in one statement (FAB's lazy loads made it three on every request:
        the user, then its roles and groups for the permission checks)."""
        try:
            key = int(pk)
        except (TypeError, ValueError):
            return None
        model = self.user_model
        return (self.session.query(model).options(joinedload(model.roles), joinedload(model.groups))
                .filter(model.id == key).one_or_none())

    def is_item_public(self, permission_name, view_name):
        """Whether a visitor who has not logged in may use a view: from the role matrix in memory. Every permission
        is a builtin role's (``FAB_ROLES``, models/roles.py); the role rows in the database hold none (nothing
        writes them: the role screens are read-only), so FAB's look-up of the public role and its permissions — two
        statements, twice on every API request (``@protect`` asks before and after reading the JWT) — always
        answered no. The public role (``AUTH_ROLE_PUBLIC``) has no entry in the matrix: nothing is public through
        FAB's permissions (the registration and check-in pages are plain routes)."""
        public = self.auth_role_public
        return public in self.builtin_roles and self._has_access_builtin_roles(
            SimpleNamespace(name=public), permission_name, view_name)

    # -- revoked sessions and tokens -------------------------------------------------------------------------
    def load_user(self, user_id):
        """A browser session's user, unless the session logged in before a logout or password change revoked it."""
        user = super().load_user(user_id)
        if user is not None and has_request_context() and not _session_still_valid(user):
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """A JWT's user, unless the token was issued before the account's last logout or password change."""
        user = SecurityManager.load_user(self, jwt_data["sub"])
        if user is None or not user.is_active or user.must_change_password:
            return None  # a reset password is changed on the 修改密码 screen before the API opens again
        if user.tokens_valid_after is not None and \
                jwt_data.get("iat", 0) < int(user.tokens_valid_after.replace(tzinfo=timezone.utc).timestamp()):
            return None
        g.user = user
        return user

    def reset_password(self, userid, password):
        """FAB's password change (own 修改密码, or the admin's 重置密码), audited without the password; the old
        hash joins the account's password history (a new password may not reuse the last ones)."""
        user = self.get_user_by_id(userid)
        if user is None:
            abort(404)  # the admin's 重置密码 form posted for an account that does not exist
        if user is not None and user.password:
            user.previous_passwords = [user.password, *(user.previous_passwords or [])][:PASSWORD_HISTORY - 1]
        super().reset_password(userid, password)
        user = self.get_user_by_id(userid)
        if user is not None:
            revoke_sessions_and_tokens(user)  # a stolen cookie or token stops working with the old password
            actor = current_actor()
            # an admin's 重置密码 gives a password somebody else knows: the user must replace it at next login
            user.must_change_password = actor.user_id != user.id
            audit.record(self.session, actor, "reset_password" if actor.user_id != user.id else "change_password",
                         user)
            self.session.commit()

    def update_user_auth_stat(self, user, success=True):
        """FAB's statistics on success (and an expired lock forgotten); on a failed password the lockout rule."""
        if success:
            accounts.clear_lock(user)
            return super().update_user_auth_stat(user, success)
        try:
            accounts.register_failed_login(self.session, user, ip=request.remote_addr if has_request_context() else None)
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        self.on_user_login_failed(user)
        return None

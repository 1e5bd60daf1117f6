"""Request-level guards for the screens and the app as a whole (registered by ``views.errors.register_error_pages``;
the /api/v1 guards are ``views.api_guards``). Each answers a request that would otherwise die inside FAB with a
500 by the Chinese 4xx it deserves:

- NUL characters in the path, any query argument or form value (PostgreSQL cannot store them; FAB's own forms, e.g. the
  registry and account screens, do not go through ``core.cleaning``): 400;
- FAB ModelView arguments: ``page_<View>`` / ``psize_<View>`` that are not integers or out of range (FAB calls
  ``int()`` on them and hands them to OFFSET/LIMIT), ``_oc_<View>`` naming a column the view cannot sort by:
  400; ``action_post`` / ``action`` with an unknown action name, ``download/<name>`` (no upload folder: files
  live in the database), ids in the URL beyond INTEGER: 404;
- logout only by POST with the CSRF token (``GET /logout/`` shows a confirmation page with that form, so a
  link or an image on another site cannot log anybody out);
- flask-jwt-extended's answers to a missing, tampered or expired token: 401 with a Chinese JSON message
  (instead of 422 "Signature verification failed").
"""
from __future__ import annotations

import re
from typing import Any, Optional

from flask import Flask, abort, current_app, jsonify, redirect, render_template, request
from flask_appbuilder.baseviews import BaseCRUDView
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from views.api_guards import MAX_OFFSET, BadRequest, id_out_of_range
from views.glue import error_response

NUL_MESSAGE = _l("提交的内容含有空字符（\\0），请删除后重新提交")
TOKEN_INVALID = _l("登录凭证无效或已过期（Bearer 令牌缺失、被篡改或已过期），请重新登录获取令牌")
#: Largest page size a FAB list is asked for (its own page-size menu offers 25 … 100).
MAX_UI_PAGE_SIZE = 100
_PAGE_ARG = re.compile("page_(.*)")  # FAB's own patterns (flask_appbuilder/urltools.py)
_PSIZE_ARG = re.compile("psize_(.*)")
_ORDER_ARG = re.compile("_oc_(.*)")


def register_request_guards(app: Flask) -> None:
    """Attach the guards, the POST-only logout and the JWT error answers to ``app`` (after FAB's views exist)."""
    app.before_request(_guard)
    _post_only_logout(app)
    _jwt_error_answers(app)


def _refuse(code: int, message: Any):
    """The Chinese answer: JSON under /api/, the error page otherwise."""
    from views.errors import MESSAGES, _render

    if request.path.startswith("/api/"):
        error = BadRequest(message)
        error.status_code = code
        return error_response(error)
    return _render(code, MESSAGES[code][0], message)


#: Endpoints open to a user who must change the password first (the form itself, logging out, static files).
PASSWORD_CHANGE_OPEN = {"ResetMyPasswordView.this_form_get", "ResetMyPasswordView.this_form_post",
                        "AuthDBView.logout", "AppAuthDBView.logout", "logout_post", "static", "appbuilder.static",
                        "LocaleView.index", "AppAuthDBView.login", "AuthDBView.login"}
MUST_CHANGE_PASSWORD = _l("您的密码是他人为您设置的（新开通账号的一次性密码或管理员重置的密码）：请先设置自己的新密码，再办理业务")


def _must_change_password():
    """After an admin's 重置密码, and for a new account's one-time password (actions/account_admin.py), the account
    opens nothing but 修改密码 (screens: redirect; API: 403)."""
    from flask import flash, redirect, url_for
    from flask_login import current_user

    if not getattr(current_user, "is_authenticated", False) or not getattr(current_user, "must_change_password",
                                                                           False):
        return None
    if request.endpoint in PASSWORD_CHANGE_OPEN:
        return None
    if request.path.startswith("/api/"):
        return _refuse(403, MUST_CHANGE_PASSWORD)
    flash(str(MUST_CHANGE_PASSWORD), "warning")
    return redirect(url_for("ResetMyPasswordView.this_form_get"))


def _guard():
    if _has_nul():
        return _refuse(400, NUL_MESSAGE)
    forced = _must_change_password()
    if forced is not None:
        return forced
    if request.path.startswith("/api/"):
        return None  # views.api_guards
    if id_out_of_range(request.view_args):
        abort(404)
    view = _fab_view()
    if view is not None:
        return _check_fab_arguments(view)
    return None


def _has_nul() -> bool:
    """A NUL character in a query argument or a form field (names and values); JSON bodies: views.api_guards."""
    if "\x00" in request.path:
        return True
    query = request.query_string
    if (b"%00" in query or b"\x00" in query) and any(
            "\x00" in (k or "") or "\x00" in (v or "") for k, v in request.args.items(multi=True)):
        return True
    if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "multipart/form-data", "application/x-www-form-urlencoded"):
        # a part name werkzeug cannot read (e.g. a bare line feed) comes as None
        return any("\x00" in (k or "") or "\x00" in (v or "") for k, v in request.form.items(multi=True))
    return False


# ---- FAB ModelView arguments ------------------------------------------------------------------------------

def _fab_views() -> dict[str, Any]:
    """FAB's CRUD views by endpoint (= class name = blueprint name), built once."""
    views = current_app.extensions.get("fab_crud_views")
    if views is None:
        views = {v.endpoint: v for v in current_app.appbuilder.baseviews if isinstance(v, BaseCRUDView)}
        current_app.extensions["fab_crud_views"] = views
    return views


def _fab_view() -> Optional[Any]:
    return _fab_views().get(request.blueprint) if request.blueprint else None


def _int_arg(value: str) -> Optional[int]:
    text = value.strip()
    digits = text.lstrip("+-")
    if not digits or not digits.isascii() or not digits.isdecimal() or len(digits) > 12:
        return None
    return int(text)


def _check_fab_arguments(view: Any):
    """Paging, sorting, action names and downloads of a FAB ModelView request."""
    views = _fab_views()
    for arg, value in request.args.items():
        if _PSIZE_ARG.findall(arg):
            size = _int_arg(value)
            if size is None or not 1 <= size <= MAX_UI_PAGE_SIZE:
                return _refuse(400, _l("每页条数应为 1 到 %(n)d 之间的整数", n=MAX_UI_PAGE_SIZE))
        if _PAGE_ARG.findall(arg):
            page = _int_arg(value)
            if page is None or not 0 <= page <= MAX_OFFSET // MAX_UI_PAGE_SIZE:
                return _refuse(400, _l("页码应为 0 到 %(n)d 之间的整数", n=MAX_OFFSET // MAX_UI_PAGE_SIZE))
        ordered = _ORDER_ARG.findall(arg)
        if ordered and request.args.get(f"_od_{ordered[0]}") in ("asc", "desc"):
            target = views.get(ordered[0])
            if target is not None and value not in (getattr(target, "order_columns", None) or []):
                return _refuse(400, _l("不能按该字段排序"))
    endpoint = (request.endpoint or "").rsplit(".", 1)[-1]
    if endpoint == "action_post" and request.method == "POST":
        if request.form.get("action") not in (getattr(view, "actions", None) or {}):
            abort(404)
    elif endpoint == "action":
        if (request.view_args or {}).get("name") not in (getattr(view, "actions", None) or {}):
            abort(404)
    elif endpoint == "download" and not current_app.config.get("UPLOAD_FOLDER"):
        abort(404)  # attachments are served by views/downloads.py (database or blob store), never FAB's folder
    return None


# ---- logout -------------------------------------------------------------------------------------------------

def _post_only_logout(app: Flask) -> None:
    """FAB's ``/logout/`` (a GET) becomes a confirmation page; its logout runs on POST only, where Flask-WTF's
    CSRFProtect checks the token like on every form."""
    auth_view = app.appbuilder.sm.auth_view
    endpoint = f"{auth_view.endpoint}.logout"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    fab_logout = app.view_functions[endpoint]
    app.add_url_rule(rule.rule, endpoint="logout_post", view_func=fab_logout, methods=["POST"])
    app.view_functions[endpoint] = _logout_page


def _logout_page():
    """GET /logout/: nothing happens; the page asks and posts the form (with the CSRF token)."""
    if not current_user.is_authenticated:
        return redirect(current_app.appbuilder.get_url_for_index)
    return render_template("logout.html", appbuilder=current_app.appbuilder)


# ---- JWT errors ---------------------------------------------------------------------------------------------

def _token_refused(*_args: Any):
    response = jsonify({"message": str(TOKEN_INVALID), "errors": []})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def _jwt_error_answers(app: Flask) -> None:
    """Every refusal of flask-jwt-extended (FAB's JWT manager) as 401 with a Chinese message."""
    manager = app.appbuilder.sm.jwt_manager
    for register in (manager.invalid_token_loader, manager.expired_token_loader, manager.unauthorized_loader,
                     manager.needs_fresh_token_loader, manager.revoked_token_loader,
                     manager.user_lookup_error_loader, manager.token_verification_failed_loader):
        register(_token_refused)

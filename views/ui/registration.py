"""企业注册 screens (issue 14).

- ``/register/`` (public, linked from the login page as 企业注册): the registration form (CSRF like every form,
  POSTs rate-limited per client IP like the login: ``REGISTRATION_RATE_LIMIT``, default ``AUTH_RATE_LIMIT``); after
  submitting, a page saying it waits for the city's review, with its 申请编号.
- ``/register/status`` (public): 注册进度查询 by USCC + username + password — PENDING / APPROVED / RETURNED with the
  reason; nothing is shown without the right password (same answer for an unknown USCC, username or password).
- ``/review/registrations/`` (审核管理 → 注册审核): the reviewer's city (the admin: every city, read-only — the
  transition rows decide who may act), pending first, search and status filter, paged; the detail shows the
  registration, the differences with an enterprise already registered under the USCC, and 通过 / 退回 (reason
  required) with confirmation.
"""
from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from limits import parse as parse_limit
from sqlalchemy import select

from actions import registration
from core.errors import NotFound
from models.base import db
from models.enums import RegistrationStatus
from models.lookups import City
from models.registration import EnterpriseRegistration
from models.scope import Actor, current_actor, load_scoped
from queries import registrations as queries
from queries.children import ListArgs
from views.glue import attempt
from views.ui.forms import error_map
from views.ui.row_actions import dispatch, offered, transition_or_404

TOO_MANY = _l("提交过于频繁，请稍后再试")
STATUS_STYLE = {RegistrationStatus.PENDING: "warning", RegistrationStatus.APPROVED: "success",
                RegistrationStatus.RETURNED: "danger"}


def registration_limited() -> bool:
    """True when this client IP is over the registration limit: the form, the status look-up and the API count
    together (FAB's flask-limiter storage, shared by the workers like the login's)."""
    limiter = getattr(current_app.appbuilder.sm, "limiter", None)
    if limiter is None or not limiter.enabled:
        return False
    config = current_app.config
    item = parse_limit(config.get("REGISTRATION_RATE_LIMIT") or config.get("AUTH_RATE_LIMIT") or "10 per 5 minute")
    return not limiter.limiter.hit(item, "registration", request.remote_addr or "unknown")


def _cities() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in db.session.scalars(select(City).order_by(City.sort_order, City.code))]


class RegisterView(BaseView):
    """企业注册 and 注册进度查询: public pages (no login, no permission)."""

    route_base = "/register"
    default_view = "form"

    @expose("/", methods=["GET", "POST"])
    def form(self):
        fields = registration.REGISTRATION.form_fields()
        if request.method == "GET":
            return self._form({}, {}, [])
        values = {name: request.form.get(name, "") for name in fields}
        if registration_limited():
            return self._form(values, {}, [str(TOO_MANY)], status=429)
        error, row = attempt(registration.register, Actor.from_user(None, request.remote_addr), values)
        if error is not None:
            by_field, general = error_map(error, fields)
            return self._form(values, by_field, general, status=error.status_code)
        return self.render_template("registration/submitted.html", row=row)

    def _form(self, values: dict, errors: dict, general: list, status: int = 200):
        values = {**values, "password": ""}  # a password is never sent back into the page
        return self.render_template("registration/register.html", spec=registration.REGISTRATION,
                                    values=values, errors=errors, general=general,
                                    options={"city": _cities()}), status

    @expose("/status", methods=["GET", "POST"])
    def status(self):
        values = {"uscc": request.form.get("uscc", ""), "username": request.form.get("username", "")}
        row, message, code = None, None, 200
        if request.method == "POST":
            if registration_limited():
                message, code = TOO_MANY, 429
            else:
                row = queries.own_registration(db.session, values["uscc"][:64], values["username"][:64],
                                               request.form.get("password", "")[:256])
                if row is None:  # the same answer whichever of the three is wrong
                    message = _l("未找到与所填信息相符的注册申请，请核对统一社会信用代码、用户名和密码")
        return self.render_template("registration/status.html", values=values, row=row, message=message,
                                    status_label=RegistrationStatus.label, status_style=STATUS_STYLE), code


class RegistrationReviewView(BaseView):
    """审核管理 → 注册审核: the city's registrations, pending first; detail and decision."""

    route_base = "/review/registrations"
    default_view = "queue"
    class_permission_name = "EnterpriseRegistration"
    method_permission_name = {"queue": "read", "detail": "read", "decide": "review"}

    @expose("/")
    @has_access
    def queue(self):
        actor = current_actor()
        if not (actor.is_reviewer or actor.is_admin):
            abort(403)
        status = request.args.get("status", "")
        status = status if status in RegistrationStatus.codes() else ""
        args = ListArgs.from_args(request.args)
        found = queries.queue_page(db.session, actor, status, args)
        return self.render_template(
            "registration/review_list.html", found=found, status=status, args=args,
            statuses=RegistrationStatus.choices(), status_label=RegistrationStatus.label, status_style=STATUS_STYLE,
            page_url=lambda n: url_for("RegistrationReviewView.queue", status=status or None, **args.as_args(page=n)))

    @expose("/<int:pk>")
    @has_access
    def detail(self, pk: int, reason: str = "", reason_error: Any = None, status: int = 200):
        actor = current_actor()
        if not (actor.is_reviewer or actor.is_admin):
            abort(403)
        try:
            row = load_scoped(db.session, EnterpriseRegistration, pk, actor)
        except NotFound:
            abort(404)
        return self.render_template(
            "registration/review_detail.html", row=row,
            found=registration.differences(db.session, row) if row.status == RegistrationStatus.PENDING else None,
            spec=registration.REGISTRATION, decisions=offered("registration", row, "registration_review"),
            reason=reason, reason_error=reason_error, status_label=RegistrationStatus.label,
            status_style=STATUS_STYLE), status

    @expose("/<int:pk>/<action>", methods=["POST"])
    @has_access
    def decide(self, pk: int, action: str):
        t = transition_or_404("registration", action)
        if "registration_review" not in t.screens:
            abort(404)
        data = {item.name: request.form.get(item.name, "") for item in t.inputs}
        error, _ = dispatch("registration", action, pk, data)
        if error is None:
            return redirect(url_for("RegistrationReviewView.detail", pk=pk))
        flash(str(error.message), "danger")
        db.session.expire_all()
        field_error = next((e.message for e in error.errors if e.field == "reason"), None)
        return self.detail(pk, reason=data.get("reason", ""), reason_error=field_error, status=error.status_code)

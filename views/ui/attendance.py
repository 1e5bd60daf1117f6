"""考勤 sources screens (R24): the enterprise's 考勤设备 and the course QR check-in (扫码签到).

- ``/attendance/devices/`` (menu 考勤设备): devices with name, key prefix, last seen, active; 【新增】 shows the new
  key once with a warning to copy it; 【吊销】 with confirmation. Below, the courses that can take QR check-ins.
- ``/attendance/course/<id>/qr``: the enterprise's QR page of a CONFIGURED course; the QR code (segno, inline SVG)
  carries ``/checkin/<token>``, a signed token that rotates every 60 s and is accepted for 2 minutes, issued only
  inside the course window; the page fetches a new one from ``…/qr/token`` every 20 s.
- ``/checkin/<token>`` (public, no account): the trainee's mobile page, name + ID number, CSRF on the form, POSTs
  rate-limited per client IP through FAB's flask-limiter (the storage of ``RATELIMIT_STORAGE_URI``, shared by the
  workers; limit ``CHECKIN_RATE_LIMIT``, default 60 per minute — a classroom shares one address).
Writes go through actions/attendance.py; one class serves both URL families (route base ``/``), so the public page
needs no registration of its own.
"""
from __future__ import annotations

from datetime import datetime, timezone

import segno
from flask import current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l
from limits import parse as parse_limit
from markupsafe import Markup

from actions import attendance as aa
from core.clock import format_local, today
from core.errors import DomainError
from models.base import db
from models.filing import Course
from models.scope import current_actor
from views.glue import attempt
from views.ui.forms import abort_for

#: Check-in POSTs per client IP (flask-limiter syntax); config ``CHECKIN_RATE_LIMIT`` overrides it.
CHECKIN_RATE_LIMIT = "60 per minute"
#: How often the QR page asks for a fresh token (ms); tokens rotate every 60 s and live 120 s.
QR_REFRESH_MS = 20_000


def _qr_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG (no external request, nothing stored)."""
    svg = segno.make(url, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
    return Markup(svg)  # noqa: S704 - segno's own SVG markup of our URL


def _token_payload(course) -> dict:
    issued = aa.issue_qr_token(current_app.config["SECRET_KEY"], course)
    if issued is None:
        return {"open": False, "message": str(_l("当前不在本课程的签到时段内（培训日期内，开始时间前 2 小时至结束时间后 2 小时）"))}
    url = url_for("AttendanceView.checkin", token=issued["token"], _external=True)
    return {"open": True, "url": url, "svg": str(_qr_svg(url)),
            "issued_at": format_local(issued["issued_at"], "%H:%M:%S"),
            "expires_at": format_local(issued["expires_at"], "%H:%M:%S"),
            "window": f"{issued['window'][0]:%Y-%m-%d %H:%M} – {issued['window'][1]:%H:%M}"}


def _limited() -> bool:
    """True when this client IP is over the check-in limit (counted in FAB's flask-limiter storage)."""
    limiter = getattr(current_app.appbuilder.sm, "limiter", None)
    if limiter is None or not limiter.enabled:
        return False
    item = parse_limit(current_app.config.get("CHECKIN_RATE_LIMIT") or CHECKIN_RATE_LIMIT)
    return not limiter.limiter.hit(item, "checkin", request.remote_addr or "unknown")


class AttendanceView(BaseView):
    """考勤设备 and 扫码签到 of the enterprise; the public check-in page."""

    route_base = "/"
    default_view = "devices"
    class_permission_name = "Attendance"
    method_permission_name = {"devices": "read", "add_device": "write", "revoke": "write", "qr": "write",
                              "qr_token": "write"}

    # -- 考勤设备 --------------------------------------------------------------------------------------------
    @expose("/attendance/devices/")
    @has_access
    def devices(self):
        actor = current_actor()
        return self.render_template("attendance/devices.html", devices=aa.device_rows(db.session, actor),
                                    courses=aa.qr_courses(db.session, actor, today()), can_edit=actor.is_enterprise,
                                    new_key=None, new_device=None, errors=[], values={"name": ""},
                                    format_local=format_local)

    @expose("/attendance/devices/add", methods=["POST"])
    @has_access
    def add_device(self):
        actor = current_actor()
        name = request.form.get("name", "")
        error, result = attempt(aa.create_device, actor, name)
        if error is not None:
            abort_for(error)
            status, errors, new_device, new_key = error.status_code, [str(e.message) for e in error.errors] or [
                str(error.message)], None, None
        else:
            status, errors, (new_device, new_key) = 201, [], result
        return self.render_template("attendance/devices.html", devices=aa.device_rows(db.session, actor),
                                    courses=aa.qr_courses(db.session, actor, today()), can_edit=actor.is_enterprise,
                                    new_key=new_key, new_device=new_device, errors=errors,
                                    values={"name": name if errors else ""}, format_local=format_local), status

    @expose("/attendance/devices/<int:pk>/revoke", methods=["POST"])
    @has_access
    def revoke(self, pk: int):
        error, device = attempt(aa.revoke_device, current_actor(), pk)
        if error is not None:
            abort_for(error)
            flash(str(error.message), "danger")
        else:
            flash(str(_l("已吊销考勤设备“%(name)s”，其密钥不再被接受", name=device.name)), "success")
        return redirect(url_for("AttendanceView.devices"))

    # -- 扫码签到: the enterprise's QR page -------------------------------------------------------------------------
    def _course(self, course_id: int):
        try:
            return aa.qr_course(db.session, current_actor(), course_id)
        except DomainError as error:
            abort_for(error)
            raise

    @expose("/attendance/course/<int:course_id>/qr")
    @has_access
    def qr(self, course_id: int):
        try:
            course = self._course(course_id)
        except DomainError as error:
            return self.render_template("attendance/qr.html", course=None, problem=str(error.message),
                                        payload=None, refresh_ms=QR_REFRESH_MS), 422
        cls = course.training_class
        return self.render_template("attendance/qr.html", course=course, cls=cls, problem=None,
                                    payload=_token_payload(course), refresh_ms=QR_REFRESH_MS,
                                    token_url=url_for("AttendanceView.qr_token", course_id=course.id))

    @expose("/attendance/course/<int:course_id>/qr/token")
    @has_access
    def qr_token(self, course_id: int):
        try:
            course = self._course(course_id)
        except DomainError as error:
            return jsonify({"open": False, "message": str(error.message)}), 422
        response = jsonify(_token_payload(course))
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- 扫码签到: the trainee's page (public) --------------------------------------------------------------------
    @expose("/checkin/<token>", methods=["GET", "POST"])
    def checkin(self, token: str):
        secret = current_app.config["SECRET_KEY"]
        values = {"name": "", "id_number": ""}
        if request.method == "POST" and _limited():
            return self._checkin_page(None, values, error=_l("提交过于频繁，请稍后再试"), status=429)
        try:
            course_id, _ = aa.read_qr_token(secret, token, datetime.now(timezone.utc))
        except DomainError as error:
            return self._checkin_page(None, values, error=error.message, status=410)
        course = db.session.get(Course, course_id)
        if request.method == "GET":
            return self._checkin_page(course, values)
        values = {"name": request.form.get("name", "")[:64], "id_number": request.form.get("id_number", "")[:32]}
        error, result = attempt(aa.qr_check_in, secret, token, values["name"], values["id_number"],
                                ip=request.remote_addr)
        if error is not None:
            messages = [str(e.message) for e in error.errors] or [str(error.message)]
            return self._checkin_page(course, values, error="；".join(messages), status=422)
        return self._checkin_page(course, values, result=result)

    def _checkin_page(self, course, values, *, error=None, result=None, status=200):
        html = self.render_template("attendance/checkin.html", course=course, values=values, error=error,
                                    result=result)
        return html, status

"""``/api/v1/attendance`` (考勤, R24, DESIGN §10).

``POST /api/v1/attendance/`` ``{"records": [{"course_id", "id_number", "role": "TRAINEE"|"TEACHER", "check_in",
"check_out"}]}`` (ISO date-times with offset) → ``{"accepted", "duplicates", "refused": [{"index", "message"}]}``.
Two ways in: the header ``X-Device-Key`` of an active 考勤设备 (no JWT; an unknown or revoked key is 401), or the
enterprise's JWT (a reviewer or the admin: 403 — they only read). More than 5,000 records: 413. Reads: FAB's
list/show through the row scope. The API guards' CSRF check does not apply to device posts: they carry no session
cookie (views/api_guards.py lets a request without a logged-in session through to the endpoint's own check).
"""
from __future__ import annotations

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import attendance as aa
from core.errors import DomainError, Forbidden
from models.attendance import CheckInSource
from models.base import db
from models.filing import Attendance
from models.scope import Actor, current_actor
from views.api.common import LABELS, ContractApi, check_fields, json_body
from views.base import API_PERMISSIONS, interface
from views.glue import api_call, error_response

DEVICE_HEADER = "X-Device-Key"
ATTENDANCE_COLUMNS = ["id", "course_id", "trainee_id", "teacher_id", "check_in", "check_out", "source", "device_id"]


def _record(session, actor: Actor, data: dict, device=None):
    check_fields(data, ("records",))
    if device is None and not actor.is_enterprise:
        raise Forbidden(_l("考勤由考勤设备或企业用户上传；审核员和管理员只能查看"))
    enterprise_id = device.enterprise_id if device is not None else actor.enterprise_id
    source = CheckInSource.DEVICE
    return aa.record_check_ins(session, enterprise_id, data.get("records"), source, device=device, actor=actor)


class AttendanceApi(ContractApi):
    """``/api/v1/attendance``: 考勤 records (read through the scope) and the check-in upload."""

    list_title = show_title = _l("考勤")
    resource_name = "attendance"
    class_permission_name = "Attendance"
    openapi_spec_tag = "attendance 考勤"
    datamodel = interface(Attendance)
    list_columns = show_columns = ATTENDANCE_COLUMNS
    search_columns = ["course_id", "trainee_id", "teacher_id", "source"]
    simple_filters = {"course_id": "course_id", "trainee_id": "trainee_id", "teacher_id": "teacher_id"}
    order_columns = ["id", "check_in"]
    base_order = ("id", "desc")
    exclude_route_methods = {"put", "delete"}
    method_permission_name = {**API_PERMISSIONS, "post_by_user": "write"}
    openapi_spec_methods = {
        "get_list": {"get": {"description": "考勤记录（企业本单位、审核员本市、管理员全部；只读）。参数 course_id、trainee_id、teacher_id。"}},
    }

    def __init__(self):
        self.label_columns = {**LABELS, "check_in": _l("签到时间（UTC）"), "check_out": _l("签退时间（UTC）"),
                              "source": _l("来源"), "device_id": _l("考勤设备"), "course_id": _l("课程")}
        super().__init__()

    @expose("/", methods=["POST"])
    def post(self):
        """Upload check-ins: header ``X-Device-Key`` (a 考勤设备) or the enterprise's JWT.
        ---
        post:
          description: >-
            上传考勤（R24）。请求体 {"records": [{"course_id", "id_number", "role": "TRAINEE"|"TEACHER",
            "check_in", "check_out"}]}，时间为带时区偏移的 ISO 8601（不带时区的时间被拒绝）。认证：请求头
            X-Device-Key（考勤设备密钥，未知或已吊销 401）或企业用户的 JWT。每条记录单独检查：课程属于本单位
            （备案已审核通过、培训班正常、课程已配置），人员为该课程所属备案的在训学员（未流失）或有效教师，签到时间在
            培训日期内、开始时间前 2 小时至结束时间后 2 小时（北京时间）之间。同一课程、人员、签到时间只记录一次，
            重复的计入 duplicates。一次最多 5000 条（超过 413）。
          responses:
            200:
              description: '{"accepted": n, "duplicates": n, "refused": [{"index", "message"}]}'
            400:
              description: 请求体不是 JSON 对象
            401:
              description: 设备密钥无效或已吊销 / 未登录
            403:
              description: 不是企业用户（审核员、管理员不能上传考勤）
            413:
              description: 一次超过 5000 条记录
            422:
              description: records 缺失或不是数组，或字段值无法存储
        """
        if DEVICE_HEADER in request.headers:
            return self._post_by_device(request.headers.get(DEVICE_HEADER, ""))
        return self.post_by_user()

    def _post_by_device(self, key: str):
        device = aa.device_for_key(db.session, key)
        if device is None:
            db.session.rollback()
            return error_response(aa.DeviceKeyRefused(_l("考勤设备密钥无效或已吊销")))
        try:
            data = json_body()
        except DomainError as exc:
            return error_response(exc)
        return api_call(_record, aa.device_actor(device, request.remote_addr), data, device, render=dict)

    @protect()
    @safe
    @permission_name("post")
    def post_by_user(self):
        try:
            data = json_body()
        except DomainError as exc:
            return error_response(exc)
        return api_call(_record, current_actor(), data, render=dict)


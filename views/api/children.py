"""The child rows of a filing (DESIGN §10): ``/api/v1/training_class`` (培训信息), ``teacher`` (培训师资),
``trainee`` (培训人员, + ``/<pk>/mark_lost``) and ``course`` (培训课程).

Each is created with its parent's id in the body (``filing_id``; a course with ``training_class_id``), edited
and deleted through ``actions.filings.save_child`` / ``delete_child``; the parent filing must be editable.
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select

from actions import filings as fa
from actions import changes
from actions.changes import date_change_status
from actions.specs import CHILD_SPECS
from core.errors import NotFound
from models.base import db
from models.enums import ClassStatus, CourseMode, Education, Gender, TeacherKind, TraineeStatus
from models.filing import Course, Teacher, Trainee, TrainingClass
from models.scope import current_actor, load_scoped
from views.api.common import LABELS, READ, ContractApi, TimeAwareInterface, check_fields, int_field
from views.api.openapi import json_content, operation
from views.api.transitions import add_transition_endpoints
from views.base import interface
from views.glue import api_call

#: The writable fields of each child resource: the entity's field spec (actions/specs.py), as the forms post them.
CHILD_FIELDS = {kind: spec.api_fields() for kind, spec in CHILD_SPECS.items()}
# R7: accepted as keys so that the rule (not "unknown field") answers; never copied from the stored row.
COURSE_AFTER_APPROVAL = ("start_date", "end_date", "start_time", "end_time", "venue_id")
#: … and the old single ``date`` key, refused by the same rule (R7) rather than as an unknown field.
COURSE_AFTER_APPROVAL_KEYS = (*COURSE_AFTER_APPROVAL, "date")


class CourseOfFilingFilter(BaseFilter):
    """``course?filing_id=…``: courses of the classes of one filing."""

    name = "filing"
    arg_name = "filing"

    def apply(self, query, value):
        try:
            filing_id = int(value)
        except (TypeError, ValueError):
            return query.filter(false())
        return query.filter(Course.training_class_id.in_(
            select(TrainingClass.id).where(TrainingClass.filing_id == filing_id)))


def _filing_id_of(session, actor, kind: str, data: dict) -> int:
    if kind == "course":
        class_id = int_field(data, "training_class_id", _l("培训班"))
        return load_scoped(session, TrainingClass, class_id, actor).filing_id
    return int_field(data, "filing_id", _l("所属备案"))


def _create_child(session, actor, kind: str, data: dict):
    if kind == "teacher" and data.get("change_request_id") not in (None, ""):
        # R17: a new teacher of a 师资信息变更 request (inactive until the city approves it)
        check_fields(data, CHILD_FIELDS[kind] + ("filing_id", "change_request_id"))
        request_id = int_field(data, "change_request_id", _l("所属变更申请"))
        values = {key: value for key, value in data.items() if key not in ("filing_id", "change_request_id")}
        return changes.add_new_teacher(session, actor, request_id, values)
    filing_id = _filing_id_of(session, actor, kind, data)
    fa.load_filing(session, actor, filing_id, editable=True)  # scope and state before the body's details
    allowed = CHILD_FIELDS[kind] + (COURSE_AFTER_APPROVAL_KEYS if kind == "course" else ("filing_id",))
    check_fields(data, allowed)
    values = {key: value for key, value in data.items() if key != "filing_id"}
    return fa.save_child(session, actor, kind, filing_id, values)


def _update_child(session, actor, kind: str, pk: Any, data: dict):
    spec = fa.CHILD_KINDS[kind]
    row = load_scoped(session, spec.model, pk, actor)
    filing = fa.load_filing(session, actor, spec.filing_of(row).id, editable=True)
    check_fields(data, CHILD_FIELDS[kind] + (COURSE_AFTER_APPROVAL_KEYS if kind == "course" else ()))
    values = {key: getattr(row, key) for key in CHILD_FIELDS[kind]}
    values.update(data)
    return fa.save_child(session, actor, kind, filing.id, values, pk=row.id)


def _delete_child(session, actor, kind: str, pk: Any) -> None:
    fa.delete_child(session, actor, kind, pk)


class ChildApi(ContractApi):
    """A child row of a filing: created with its parent's id, edited and deleted through actions/filings."""

    kind = ""
    base_order = ("id", "asc")

    def __init__(self):
        # the field spec's labels (forms, import headers) for the spec's fields; shared labels for the rest
        self.label_columns = {**LABELS, **CHILD_SPECS[self.kind].labels()}
        super().__init__()

    def post_headless(self):
        return self._act_on_body(_create_child, self.kind, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_update_child, self.kind, pk)

    def _row(self, item: Any) -> dict:
        """The saved row, with ``warnings`` that refuse nothing (R8: an unusual ID-number region prefix)."""
        values = {"id_number": getattr(item, "id_number", None)}
        return {**super()._row(item), "warnings": [w.as_dict() for w in fa.row_warnings(values)]}

    def delete_headless(self, pk):
        return self._act(_delete_child, self.kind, pk, render=self._deleted)


def _child_docs(label: str, parent: str, extra: str = "") -> dict:
    return {
        "get_list": {"get": {"description": (
            f"{label}列表（按备案的权限范围）。简单查询参数 {parent}=… 按所属筛选；也支持 rison 参数 q。")}},
        "post": {"post": {"description": (
            f"新增{label}：请求体带 {parent}（所属{'培训班' if parent == 'training_class_id' else '备案'}）及各字段；"
            f"备案须为未提交/已退回（否则 409），仅企业用户（审核员、管理员 403）。status 等只读或未知字段 422 拒绝。"
            f"{extra}")}},
        "put": {"put": {"description": (
            f"修改{label}（部分字段即可，未给出的保持原值）。status 为只读：请求体含 status 时 422 拒绝，不会被忽略。"
            f"{extra}")}},
        "delete": {"delete": {"description": f"删除{label}（备案须为未提交/已退回，否则 409）。"}},
    }


class TrainingClassApi(ChildApi):
    """``/api/v1/training_class``: 培训信息."""

    list_title = show_title = add_title = edit_title = _l("培训信息")

    resource_name = "training_class"
    class_permission_name = "TrainingClass"
    openapi_spec_tag = "training_class 培训信息"
    datamodel = interface(TrainingClass)
    kind = "training_class"
    list_columns = show_columns = ["id", "filing_id", "occupation_code", "skill_level", "start_date", "end_date",
                                   "hours", "planned_headcount", "status", "extension_reason", "date_change_count",
                                   "cancel_reason", "cancelled_at"]
    add_columns = ["filing_id", *CHILD_FIELDS["training_class"]]
    edit_columns = list(CHILD_FIELDS["training_class"])
    search_columns = ["filing_id", "occupation_code", "skill_level", "status"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"status": ClassStatus}
    openapi_spec_methods = _child_docs("培训信息", "filing_id",
                                       "学生学徒制只能有一条培训信息（R4）；企业新型学徒制等级四级及以上、期限1-2年"
                                       "（超过2年须填 extension_reason，最长3年，R10）。")


def _change_deadline(session, actor, pk) -> dict:
    """R15 before the user tries: the deadline (provisional when it falls back to Mon–Fri) and changes left."""
    training_class = load_scoped(session, TrainingClass, pk, actor)
    status = date_change_status(session, training_class)
    return {"deadline": status["deadline"].isoformat(), "provisional": status["provisional"],
            "remaining_changes": status["remaining_changes"], "open": status["open"]}


def _with_deadline_endpoint(api_class):
    @expose("/<int:pk>/change_deadline", methods=["GET"])
    @protect()
    @safe
    @permission_name("change_deadline")
    @operation("get", "开班信息变更期限（R15）",
               "{\"deadline\": \"YYYY-MM-DD\", \"provisional\": 是否暂按周一至周五计算, \"remaining_changes\": 剩余次数, "
               "\"open\": 现在是否可以变更}",
               ok={"description": "期限", "content": json_content({"type": "object", "properties": {
                   "deadline": {"type": "string", "format": "date"}, "provisional": {"type": "boolean"},
                   "remaining_changes": {"type": "integer"}, "open": {"type": "boolean"}}})})
    def change_deadline(self, pk: int):
        return api_call(_change_deadline, current_actor(), pk, render=lambda result: result)

    api_class.change_deadline = change_deadline
    api_class.method_permission_name = {**api_class.method_permission_name, "change_deadline": READ}
    return api_class


def _attendance(session, actor, pk) -> dict:
    """R24 查看考勤 of a class: trainees, teachers and courses, worst first (queries/attendance.py)."""
    from queries.attendance import TRACKED_FILINGS, class_summary

    training_class = load_scoped(session, TrainingClass, pk, actor)
    if training_class.filing.status not in TRACKED_FILINGS:
        raise NotFound()
    return class_summary(session, training_class)


_RATE = {"type": "number", "nullable": True, "minimum": 0, "maximum": 1,
         "description": "出勤率（0–1 的小数；无应出勤课时为 null）"}
_PERSON = {"type": "object", "properties": {"name": {"type": "string"}, "attended_hours": {"type": "integer"},
                                            "due_hours": {"type": "integer"}, "rate": _RATE}}


def _with_attendance_endpoint(api_class):
    @expose("/<int:pk>/attendance", methods=["GET"])
    @protect()
    @safe
    @permission_name("attendance")
    @operation("get", "查看考勤（R24）",
               "培训学员、培训教师按已结束课程统计已出勤课时/应出勤课时及出勤率（同一课程多次签到只计一次），"
               "培训课程按实到/应到人数；均按出勤率从低到高排列。仅限审核通过或已注销备案的培训班。",
               ok={"description": "考勤汇总", "content": json_content({"type": "object", "properties": {
                   "trainees": {"type": "array", "items": {**_PERSON, "properties": {
                       **_PERSON["properties"], "trainee_id": {"type": "integer"}}}},
                   "teachers": {"type": "array", "items": {**_PERSON, "properties": {
                       **_PERSON["properties"], "teacher_id": {"type": "integer"}}}},
                   "courses": {"type": "array", "items": {"type": "object", "properties": {
                       "course_id": {"type": "integer"}, "name": {"type": "string"},
                       "present": {"type": "integer"}, "expected": {"type": "integer"}, "rate": _RATE}}}}})})
    def attendance(self, pk: int):
        return api_call(_attendance, current_actor(), pk, render=lambda result: result)

    api_class.attendance = attendance
    api_class.method_permission_name = {**api_class.method_permission_name, "attendance": READ}
    return api_class


# POST /api/v1/training_class/<pk>/change_dates (R15) from the class table; GET …/change_deadline and
# GET …/attendance (R24) beside it.
add_transition_endpoints(_with_attendance_endpoint(_with_deadline_endpoint(TrainingClassApi)), "training_class")


class TeacherApi(ChildApi):
    """``/api/v1/teacher``: 培训师资信息."""

    list_title = show_title = add_title = edit_title = _l("培训师资")

    resource_name = "teacher"
    class_permission_name = "Teacher"
    openapi_spec_tag = "teacher 培训师资"
    datamodel = interface(Teacher)
    kind = "teacher"
    list_columns = show_columns = ["id", "filing_id", "name", "id_number", "phone", "kind", "title",
                                   "certificate_no", "active"]
    add_columns = ["filing_id", *CHILD_FIELDS["teacher"]]
    edit_columns = list(CHILD_FIELDS["teacher"])
    search_columns = ["filing_id", "name", "id_number", "kind"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"kind": TeacherKind}
    openapi_spec_methods = _child_docs("培训师资", "filing_id", "kind 为 ENTERPRISE（企业导师）或 SCHOOL（院校导师）。")


class TraineeApi(ChildApi):
    """``/api/v1/trainee``: 培训人员信息 (+ 标记为流失)."""

    list_title = show_title = add_title = edit_title = _l("培训人员")

    resource_name = "trainee"
    class_permission_name = "Trainee"
    openapi_spec_tag = "trainee 培训人员"
    datamodel = interface(Trainee)
    kind = "trainee"
    list_columns = show_columns = ["id", "filing_id", "name", "id_number", "gender", "birth_date", "phone",
                                   "education", "contract_start", "contract_end", "hire_date", "status",
                                   "lost_reason", "lost_date"]
    add_columns = ["filing_id", *CHILD_FIELDS["trainee"]]
    edit_columns = list(CHILD_FIELDS["trainee"])
    search_columns = ["filing_id", "name", "id_number", "status"]
    simple_filters = {name: name for name in search_columns}
    code_labels = {"status": TraineeStatus, "gender": Gender, "education": Education}
    openapi_spec_methods = _child_docs(
        "培训人员", "filing_id",
        "身份证号码按 GB 11643 校验（末位小写 x 自动转为 X），性别和出生日期由身份证号码得出；"
        "同一人同一时间只能在一个在训备案中（R9）；企业新型学徒制劳动合同不少于1年（R10）。")


# POST /api/v1/trainee/<pk>/mark_lost: from the trainee table (标记为流失).
add_transition_endpoints(TraineeApi, "trainee")


class CourseApi(ChildApi):
    """``/api/v1/course``: 培训课程信息."""

    list_title = show_title = add_title = edit_title = _l("培训课程")

    resource_name = "course"
    class_permission_name = "Course"
    openapi_spec_tag = "course 培训课程"
    datamodel = TimeAwareInterface(Course, db.session)
    kind = "course"
    list_columns = show_columns = ["id", "training_class_id", "name", "mode", "hours", "teacher_id", "start_date", "end_date",
                                   "start_time", "end_time", "venue_id", "status"]
    add_columns = [*CHILD_FIELDS["course"], *COURSE_AFTER_APPROVAL]
    edit_columns = list(CHILD_FIELDS["course"])
    search_columns = ["training_class_id", "name", "mode", "teacher_id"]
    simple_filters = {name: name for name in search_columns}
    custom_filters = {"filing_id": ("training_class_id", CourseOfFilingFilter)}
    code_labels = {"mode": CourseMode, "status": ClassStatus}
    openapi_spec_methods = _child_docs(
        "培训课程", "training_class_id",
        "线下培训（mode=OFFLINE）须指定本备案的授课教师 teacher_id（R6）；培训日期、时间和场地"
        "（date、start_time、end_time、venue_id）在备案通过后于备案变更中配置，此处提交即 422（R7）。"
        "列表也可用 filing_id=… 按备案筛选。")


# POST /api/v1/course/<pk>/configure (课程信息配置, R16) from the course table.
add_transition_endpoints(CourseApi, "course")

"""``/api/v1/change_request`` (备案变更, DESIGN §10): 师资信息变更 requests (R17) and the filed 开班信息变更 (R15).

- ``POST /`` ``{"filing_id", "kind": "TEACHER"}`` opens (or returns) the filing's one open teacher-change request;
- ``PUT /<pk>`` ``{"reason"}`` — 师资变更原因; ``POST /<pk>/swap`` ``{"course_id", "teacher_id"}`` — 【变更培训教师】;
- new teachers: ``POST /api/v1/teacher/`` with ``filing_id`` and ``change_request_id`` (views/api/children.py);
- ``POST /<pk>/submit|approve|return`` generated from the change-request table; ``DELETE /<pk>`` in DRAFT/RETURNED;
- ``GET /<pk>`` includes ``changes``: ``[{"entity", "entity_id", "field", "before", "after"}]`` (查看变更内容).
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import changes
from actions.workflow import run
from core.errors import FieldInvalid
from models.base import db
from models.enums import ChangeRequestKind, ChangeRequestStatus
from models.filing import ChangeRequest
from views.api.common import WRITE, ContractApi, check_fields, int_field
from views.api.openapi import transition
from views.api.transitions import add_transition_endpoints
from views.base import API_PERMISSIONS, interface


def _create(session, actor, data: dict) -> ChangeRequest:
    check_fields(data, ("filing_id", "kind"))
    if data.get("kind") != ChangeRequestKind.TEACHER:
        raise FieldInvalid("kind", _l("只能新建师资信息变更申请（kind=TEACHER）；开班信息变更请用 "
                                      "training_class/<id>/change_dates"), data.get("kind"))
    return changes.open_teacher_change(session, actor, int_field(data, "filing_id", _l("所属备案")))


def _update(session, actor, pk: Any, data: dict) -> ChangeRequest:
    check_fields(data, ("reason",))
    return changes.save_reason(session, actor, pk, data.get("reason"))


def _swap(session, actor, pk: Any, data: dict) -> ChangeRequest:
    check_fields(data, ("course_id", "teacher_id"))
    return changes.swap_teacher(session, actor, pk, data.get("course_id"), data.get("teacher_id"))


def _delete(session, actor, pk: Any) -> None:
    run(session, actor, "change_request", "delete", pk)


class ChangeRequestApi(ContractApi):
    """``/api/v1/change_request``: 变更申请."""

    list_title = show_title = add_title = edit_title = _l("变更申请")
    resource_name = "change_request"
    class_permission_name = "ChangeRequest"
    openapi_spec_tag = "change_request 备案变更"
    datamodel = interface(ChangeRequest)
    method_permission_name = {**API_PERMISSIONS, "swap": WRITE}
    list_columns = show_columns = ["id", "filing_id", "training_class_id", "kind", "status", "reason",
                                   "review_opinion", "before", "after", "submitted_at", "reviewed_at", "created_at"]
    add_columns = ["filing_id", "kind"]
    edit_columns = ["reason"]
    search_columns = ["filing_id", "kind", "status"]
    simple_filters = {name: name for name in search_columns}
    order_columns = ["id", "created_at", "submitted_at"]
    base_order = ("id", "desc")
    code_labels = {"kind": ChangeRequestKind, "status": ChangeRequestStatus}
    label_columns = {"filing_id": _l("所属备案"), "training_class_id": _l("培训班"), "kind": _l("变更类型"),
                     "status": _l("状态"), "reason": _l("变更原因"), "review_opinion": _l("审核意见")}

    def pre_get(self, data: dict) -> None:
        super().pre_get(data)
        result = data.get("result", {})
        request = db.session.get(ChangeRequest, data.get("id")) if data.get("id") else None
        if request is not None:
            result["changes"] = changes.change_items(db.session, request)

    def _row(self, item: Any) -> dict:
        row = super()._row(item)
        row["result"]["changes"] = changes.change_items(db.session, item)
        return row

    def post_headless(self):
        return self._act_on_body(_create, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_update, pk)

    def delete_headless(self, pk):
        return self._act(_delete, pk, render=self._deleted)

    @expose("/<int:pk>/swap", methods=["POST"])
    @protect()
    @safe
    @permission_name("swap")
    @transition("变更培训教师（企业用户）", "请求体 {\"course_id\", \"teacher_id\"}：本备案课程的新授课教师（本备案在用师资，"
                "或本次变更申请中新增的师资）；同一课程再选一次即替换。变更申请已提交或已审核时答 409。",
                body="ChangeRequestSwap", body_required=True)
    def swap(self, pk: int):
        return self._act_on_body(_swap, pk)


# POST /api/v1/change_request/<pk>/submit|approve|return: the change-request table (DELETE is the resource's).
add_transition_endpoints(ChangeRequestApi, "change_request")

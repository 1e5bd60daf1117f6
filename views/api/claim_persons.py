"""``/api/v1/subsidy_claim_person`` (补贴申请的人员信息, manual §3.2.3, R20–R23; DESIGN §10).

- ``POST /`` ``{"claim_id", "trainee_id"}`` or ``{"claim_id", "id_number"}`` (a trainee of the claim's filing,
  R20), optionally with ``certificate_no`` / ``skill_level`` (清算) → 201 with the person;
- ``PUT /<pk>`` ``{"certificate_no", "skill_level"}`` (证书编号, 证书等级; R21 for 清算);
- ``DELETE /<pk>`` — removes the person from an editable claim;
- ``POST /<pk>/decide`` ``{"approved_amount", "reason"}`` — the city reviewer's per-person decision (R23: as claimed
  or lowered with a reason, never raised; the claim must be SUBMITTED, else 409).

Reads through the scope of the person's claim; rows answer the contract's names (``claim_id``, ``id_number``,
``name``) and the stored pre-check results (``precheck``, kept at submit).
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from actions.subsidies import claims as ca
from actions.subsidies import decisions
from core.errors import FieldError, ValidationFailed
from core.validators import normalize_id_number
from models.filing import Trainee
from models.scope import load_scoped
from models.subsidy import SubsidyClaimPerson
from views.api.common import LABELS, REVIEW, ContractApi, check_fields, int_field
from views.api.openapi import transition
from views.base import API_PERMISSIONS, interface

PERSON_FIELDS = ca.PERSON_FIELDS  # certificate_no, skill_level
CREATE_FIELDS = ("claim_id", "trainee_id", "id_number", *PERSON_FIELDS)
PERSON_COLUMNS = [
    "id", "subsidy_claim_id", "trainee_id", "trainee.id_number", "trainee.name", "stage", "skill_level",
    "certificate_no", "amount", "approved_amount", "decision", "decision_reason", "decided_at", "held", "precheck",
]
#: FAB's names of the columns → the contract's (DESIGN §10 ``subsidy_claim_person``).
RENAMED = {"subsidy_claim_id": "claim_id"}
FLATTENED = {"trainee": {"id_number": "id_number", "name": "name"}}


def _contract_row(row: dict) -> dict:
    """FAB's row in the contract's shape: ``claim_id``, ``id_number``, ``name`` at the top, decision label."""
    for old, new in RENAMED.items():
        if old in row:
            row[new] = row.pop(old)
    for relation, names in FLATTENED.items():
        nested = row.pop(relation, None)
        if isinstance(nested, dict):
            for old, new in names.items():
                if old in nested:
                    row[new] = nested[old]
    if "decision" in row:
        row["decision_label"] = str(decisions.DECISIONS[row["decision"]]) if row["decision"] in decisions.DECISIONS \
            else None
    return row


def _create(session, actor, data: dict) -> SubsidyClaimPerson:
    """POST: one trainee of the claim's filing, by id or by ID number (R20), all or nothing."""
    check_fields(data, CREATE_FIELDS)
    claim_id = int_field(data, "claim_id", _l("所属补贴申请"))
    claim = ca.load_claim(session, actor, claim_id, editable=True)  # scope and state before the body's details
    by_id, by_number = data.get("trainee_id"), data.get("id_number")
    if (by_id in (None, "")) == (by_number in (None, "")):
        raise ValidationFailed([FieldError("trainee_id", _l("请给出 trainee_id（培训人员编号）或 id_number（身份证号码）其中之一"))])
    if by_id not in (None, ""):
        ca.add_persons(session, actor, claim.id, trainee_ids=[by_id])
        match = SubsidyClaimPerson.trainee_id == int(by_id)
    else:
        ca.add_persons(session, actor, claim.id, id_numbers=[by_number])
        match = Trainee.id_number == normalize_id_number(by_number)
    person_id = session.scalar(select(SubsidyClaimPerson.id).join(Trainee, Trainee.id == SubsidyClaimPerson.trainee_id)
                               .where(SubsidyClaimPerson.subsidy_claim_id == claim.id, match))
    if any(key in data for key in PERSON_FIELDS):
        ca.update_person(session, actor, person_id, {key: data.get(key) for key in PERSON_FIELDS})
    return load_scoped(session, SubsidyClaimPerson, person_id, actor)


def _update(session, actor, pk: Any, data: dict) -> SubsidyClaimPerson:
    """PUT: 证书编号 / 证书等级; a field left out keeps its value. Scope and state first (404 / 409)."""
    person = ca.load_person(session, actor, pk, editable=True)
    check_fields(data, PERSON_FIELDS)
    values = {key: data.get(key, getattr(person, key)) for key in PERSON_FIELDS}
    return ca.update_person(session, actor, person.id, values)


def _delete(session, actor, pk: Any) -> None:
    person = load_scoped(session, SubsidyClaimPerson, pk, actor)
    ca.remove_persons(session, actor, person.subsidy_claim_id, [person.id])


def _decide(session, actor, pk: Any, data: dict) -> SubsidyClaimPerson:
    check_fields(data, ("approved_amount", "reason"))
    return decisions.decide_person(session, actor, pk, data)


_STRING_OR_NUMBER = {"oneOf": [{"type": "string", "maxLength": 20}, {"type": "number"}]}


class SubsidyClaimPersonApi(ContractApi):
    """``/api/v1/subsidy_claim_person``: 补贴申请的人员信息 (+ the reviewer's 核定)."""

    list_title = show_title = add_title = edit_title = _l("补贴申请人员")

    resource_name = "subsidy_claim_person"
    class_permission_name = "SubsidyClaimPerson"
    openapi_spec_tag = "subsidy_claim_person 补贴申领人员"
    datamodel = interface(SubsidyClaimPerson)
    method_permission_name = {**API_PERMISSIONS, "decide": REVIEW}
    list_columns = show_columns = PERSON_COLUMNS
    add_columns = ["subsidy_claim_id", "trainee_id", *PERSON_FIELDS]
    edit_columns = list(PERSON_FIELDS)
    search_columns = ["subsidy_claim_id", "trainee_id", "decision", "stage"]
    simple_filters = {"claim_id": "subsidy_claim_id", "trainee_id": "trainee_id", "decision": "decision"}
    order_columns = ["id", "trainee_id", "amount", "approved_amount"]
    base_order = ("id", "asc")
    label_columns = {**LABELS, "subsidy_claim_id": _l("所属补贴申请"), "trainee_id": _l("培训人员"),
                     "trainee.id_number": _l("身份证号码"), "trainee.name": _l("姓名"), "stage": _l("申请阶段"),
                     "skill_level": _l("证书等级"), "certificate_no": _l("证书编号"), "amount": _l("申请金额（元）"),
                     "approved_amount": _l("核定金额（元）"), "decision": _l("核定结果"),
                     "decision_reason": _l("核减原因"), "decided_at": _l("核定时间（UTC）"),
                     "held": _l("已提交占用"), "precheck": _l("预审结果（提交时）")}
    openapi_spec_methods = {
        "get_list": {"get": {"description": (
            "补贴申请的人员（按所属申请的权限范围）。简单查询参数 claim_id=…、trainee_id、decision。每行："
            "id、claim_id、trainee_id、id_number、name、skill_level、certificate_no、amount（提交时计算，R22）、"
            "approved_amount、decision（APPROVED 按申请金额核定 / LOWERED 核减）、decision_reason、precheck（提交时的预审）。")}},
        "post": {"post": {
            "description": (
                "新增人员：{claim_id, trainee_id} 或 {claim_id, id_number}（须为本申请所属备案的培训人员，R20），"
                "可同时给 certificate_no、skill_level（清算）。申请须为未提交/已退回（否则 409），仅企业用户。"),
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["claim_id"], "properties": {
                    "claim_id": {"type": "integer", "description": "所属补贴申请"},
                    "trainee_id": {"type": "integer", "description": "培训人员编号（与 id_number 二选一）"},
                    "id_number": {"type": "string", "maxLength": 18, "description": "身份证号码（与 trainee_id 二选一）"},
                    "certificate_no": {"type": "string", "maxLength": 64, "description": "证书编号"},
                    "skill_level": {"type": "integer", "minimum": 1, "maximum": 5, "description": "证书等级"}}}}}},
        }},
        "put": {"put": {"description": (
            "修改证书编号 certificate_no、证书等级 skill_level（1–5，清算时须不低于培训目标等级，R21）；"
            "未给出的字段保持原值。申请已提交时 409。")}},
        "delete": {"delete": {"description": "从未提交/已退回的申请中删除该人员；其他状态 409。"}},
    }

    def pre_get(self, data: dict) -> None:
        super().pre_get(data)
        _contract_row(data.get("result", {}))

    def pre_get_list(self, data: dict) -> None:
        super().pre_get_list(data)
        for row in data.get("result", []):
            _contract_row(row)

    def _row(self, item: Any) -> dict:
        row = super()._row(item)
        _contract_row(row["result"])
        return row

    def post_headless(self):
        return self._act_on_body(_create, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_update, pk)

    def delete_headless(self, pk):
        return self._act(_delete, pk, render=self._deleted)

    @expose("/<int:pk>/decide", methods=["POST"])
    @protect()
    @safe
    @permission_name("decide")
    @transition("核定金额（备案所在地市的审核员）",
                "逐人核定（R23）：{\"approved_amount\": 元（文本或数字，最多两位小数）, \"reason\": 核减原因}。"
                "核定金额不能高于申请金额；低于申请金额时须填核减原因。申请须为已提交待审核，否则 409"
                "（含与审核通过、退回、取消申请同时操作时失败的一方）。",
                body_inline={"type": "object", "required": ["approved_amount"], "properties": {
                    "approved_amount": {**_STRING_OR_NUMBER, "description": "核定金额（元）"},
                    "reason": {"type": "string", "maxLength": 500, "description": "核减原因"}}},
                body_required=True)
    def decide(self, pk: int):
        return self._act_on_body(_decide, pk)

"""``/api/v1/subsidy_claim`` (补贴申领, manual §3.2.3, R20–R23; DESIGN §10): the claim itself.

- ``POST /`` ``{"filing_id" | "training_class_id", "stage": "ADVANCE"|"BALANCE", "commitment_accepted": true}``
  → 201 (承诺书 first, R20; unit-info fields may come in the same body);
- ``PUT /<pk>`` 单位基本信息 (bank_name, bank_account_name, bank_account_no, contact_name, contact_phone; R20);
- ``DELETE /<pk>`` — the ``delete`` row of the claim table (DRAFT / RETURNED, persons and attachments with it);
- ``POST /<pk>/submit|cancel|approve|return`` generated from the claim table (submit refused: 422 naming every
  failing person, with ``prechecks``);
- ``GET /<pk>/prechecks`` — every person's pre-checks (R21) and the claim-level items;

The persons are ``views/api/claim_persons.py``, the documents (form.pdf, roster.pdf, roster.xlsx)
``views/api/claim_documents.py``; attachments go through ``/api/v1/attachment`` with ``claim_id``.
Every write goes through ``actions.subsidies`` in one transaction (``views.glue.api_call``).
"""
from __future__ import annotations

from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from actions.specs import CLAIM_UNIT
from actions.subsidies import claims as ca
from actions.workflow import run
from core.errors import DomainError, ValidationFailed
from models.base import db
from models.enums import ClaimStage, ClaimStatus
from models.subsidy import SubsidyClaim, SubsidyClaimPerson
from models.scope import current_actor
from views.api.common import LABELS, READ, ContractApi, check_fields
from views.api.openapi import json_content, operation
from views.api.transitions import add_transition_endpoints
from views.base import API_PERMISSIONS, interface
from views.glue import api_call

UNIT_FIELDS = CLAIM_UNIT.api_fields()
CREATE_FIELDS = ("filing_id", "training_class_id", "stage", "commitment_accepted")
CLAIM_COLUMNS = [
    "id", "enterprise_id", "city_code", "filing_id", "training_class_id", "stage", "status", "commitment_accepted",
    *UNIT_FIELDS, "requested_amount", "approved_amount", "submitted_at", "reviewed_at", "review_opinion",
    "created_at", "enterprise.name", "filing.filing_no",
]


class ClaimSubmitFailed(ValidationFailed):
    """提交审核 refused: the 422 body also carries every person's pre-checks (``prechecks``, as GET shows them)."""

    def __init__(self, error: DomainError, prechecks: dict):
        super().__init__(error.errors, error.message)
        self.prechecks = prechecks

    def as_dict(self) -> dict:
        return {**super().as_dict(), "prechecks": self.prechecks}


def _with_prechecks(session, actor, pk, error: ValidationFailed) -> DomainError:
    """Submit refused (R21): the pre-checks as they stand now. The transaction is rolled back first — a lost race
    on the unique index leaves it unusable — so the answer shows the state after the other submit won."""
    session.rollback()
    try:
        claim = ca.load_claim(session, actor, pk)
    except DomainError:
        return error
    return ClaimSubmitFailed(error, _readiness_of(session, claim))


def _readiness_of(session, claim: SubsidyClaim) -> dict:
    result = ca.readiness(session, claim)
    return {"claim_id": claim.id, "status": claim.status, **result}


def _create(session, actor, data: dict) -> SubsidyClaim:
    """POST: the claim after the 承诺书 (R20); unit info given in the same body is saved as by PUT."""
    check_fields(data, CREATE_FIELDS + UNIT_FIELDS)
    claim = ca.create_claim(session, actor, {key: data[key] for key in CREATE_FIELDS if key in data})
    if any(key in data for key in UNIT_FIELDS):
        _save_unit(session, actor, claim.id, {key: data[key] for key in UNIT_FIELDS if key in data})
    return claim


def _save_unit(session, actor, pk: Any, data: dict) -> SubsidyClaim:
    """PUT: 单位基本信息 (R20); fields left out keep their value. Scope and state first (404 / 409), then the body."""
    claim = ca.load_claim(session, actor, pk, editable=True)
    check_fields(data, UNIT_FIELDS)
    values = {key: data.get(key, getattr(claim, key)) for key in UNIT_FIELDS}
    return ca.save_unit_info(session, actor, claim.id, values)


def _delete(session, actor, pk: Any) -> None:
    run(session, actor, "subsidy_claim", "delete", pk)


def _prechecks(session, actor, pk: Any) -> dict:
    return _readiness_of(session, ca.load_claim(session, actor, pk))


def _person_counts(ids: list) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(select(SubsidyClaimPerson.subsidy_claim_id, func.count())
                              .where(SubsidyClaimPerson.subsidy_claim_id.in_(ids))
                              .group_by(SubsidyClaimPerson.subsidy_claim_id))
    return {claim_id: count for claim_id, count in rows}


_PRECHECKS = {"type": "object", "properties": {
    "claim_id": {"type": "integer"}, "status": {"type": "string"}, "ready": {"type": "boolean"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string"}, "ok": {"type": "boolean"}, "message": {"type": "string"}}}},
    "missing_attachment_kinds": {"type": "array", "items": {"type": "string"}},
    "persons": {"type": "array", "items": {"type": "object", "properties": {
        "person_id": {"type": "integer"}, "trainee_id": {"type": "integer"}, "name": {"type": "string"},
        "id_number": {"type": "string"}, "ok": {"type": "boolean"},
        "amount": {"type": "string", "nullable": True, "description": "按补贴标准计算的金额（元，R22）"},
        "checks": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "ok": {"type": "boolean"}, "message": {"type": "string"}}}}}}},
}}


class SubsidyClaimApi(ContractApi):
    """``/api/v1/subsidy_claim``: 补贴申请."""

    list_title = show_title = add_title = edit_title = _l("补贴申请")

    resource_name = "subsidy_claim"
    class_permission_name = "SubsidyClaim"
    openapi_spec_tag = "subsidy_claim 补贴申领"
    datamodel = interface(SubsidyClaim)
    method_permission_name = {**API_PERMISSIONS, "prechecks": READ}  # + the transitions (added below)
    list_columns = show_columns = CLAIM_COLUMNS
    add_columns = list(CREATE_FIELDS + UNIT_FIELDS)
    edit_columns = list(UNIT_FIELDS)
    search_columns = ["status", "stage", "filing_id", "training_class_id", "enterprise_id", "city_code"]
    simple_filters = {name: name for name in search_columns}
    order_columns = ["id", "status", "stage", "submitted_at", "reviewed_at", "created_at", "requested_amount"]
    base_order = ("id", "desc")
    code_labels = {"stage": ClaimStage, "status": ClaimStatus}
    label_columns = {**LABELS, **CLAIM_UNIT.labels(), "stage": _l("申请阶段"), "requested_amount": _l("申请金额（元）"),
                     "approved_amount": _l("核定金额（元）"), "training_class_id": _l("培训班"),
                     "commitment_accepted": _l("已确认承诺书"), "enterprise.name": _l("单位名称"),
                     "filing.filing_no": _l("备案编号")}
    openapi_spec_methods = {
        "get_list": {"get": {"description": (
            "补贴申请列表（企业只看本单位；地市审核员只看本市已提交过的申请，看不到未提交的；省级管理员看全部）。"
            "每行另有 persons_count（人员数）。简单查询参数：status、stage、filing_id、training_class_id、enterprise_id、"
            "city_code，以及 page、page_size、order_column、order_direction。")}},
        "get": {"get": {"description": "补贴申请详情（另有 persons_count）；范围外或不存在答 404。"}},
        "post": {"post": {"description": (
            "申请补贴：请求体 {training_class_id 或 filing_id（只有一个培训班时）, stage: ADVANCE（预拨）|BALANCE（清算）, "
            "commitment_accepted: true}，可同时带单位基本信息字段。commitment_accepted 不为 true 时 422（R20）；"
            "备案须审核通过、培训班未注销（422）。仅企业用户。status 等只读或未知字段 422。")}},
        "put": {"put": {"description": (
            "修改单位基本信息：bank_name、bank_account_name（须与单位名称一致）、bank_account_no（8–32 位数字）、"
            "contact_name、contact_phone（R20），未给出的字段保持原值。仅未提交/已退回的申请，否则 409。"
            "status 为只读：请求体含 status 时 422。")}},
        "delete": {"delete": {"description": "删除未提交/已退回的补贴申请（人员信息和附件一并删除，审计记录保留）；其他状态 409。"}},
    }

    def _with_counts(self, rows: list[dict]) -> None:
        counts = _person_counts([row["id"] for row in rows if isinstance(row.get("id"), int)])
        for row in rows:
            if "id" in row:
                row["persons_count"] = counts.get(row["id"], 0)

    def pre_get(self, data: dict) -> None:
        super().pre_get(data)
        result = data.get("result", {})
        result.setdefault("id", data.get("id"))
        self._with_counts([result])

    def pre_get_list(self, data: dict) -> None:
        super().pre_get_list(data)
        rows = data.get("result", [])
        for row, pk in zip(rows, data.get("ids", [])):
            row.setdefault("id", pk)
        self._with_counts(rows)

    def _row(self, item: Any) -> dict:
        row = super()._row(item)
        row["result"].setdefault("id", item.id)
        self._with_counts([row["result"]])
        return row

    def post_headless(self):
        return self._act_on_body(_create, status=201)

    def put_headless(self, pk):
        return self._act_on_body(_save_unit, pk)

    def delete_headless(self, pk):
        return self._act(_delete, pk, render=self._deleted)

    @expose("/<int:pk>/prechecks", methods=["GET"])
    @protect()
    @safe
    @permission_name("prechecks")
    @operation("get", "人员预审结果（R21）",
               "与人员信息页相同的预审：{\"ready\", \"items\": [单位基本信息、人员、附件], \"persons\": [{\"person_id\", "
               "\"trainee_id\", \"name\", \"id_number\", \"ok\", \"checks\": [{\"code\", \"ok\", \"message\"}], "
               "\"amount\"}], \"missing_attachment_kinds\": [...]}；现在重新计算（出勤率、重复申领、补贴标准）。",
               ok={"description": "预审结果", "content": json_content(_PRECHECKS)})
    def prechecks(self, pk: int):
        return api_call(_prechecks, current_actor(), pk, render=lambda result: result)


# POST /api/v1/subsidy_claim/<pk>/submit|cancel|approve|return: one endpoint per row of the claim table (DELETE is
# the resource's); a refused submit carries the pre-checks.
add_transition_endpoints(SubsidyClaimApi, "subsidy_claim", error_hooks={"submit": _with_prechecks})

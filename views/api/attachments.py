"""``/api/v1/attachment`` (上传材料, R11; DESIGN §10): metadata through FAB's list/show, upload as
multipart (``file``, ``kind``, ``filing_id``) through ``actions.attachments.add_attachment``, delete through
``delete_attachment``, and the bytes at ``/<pk>/content`` (``views.downloads.attachment_response``: checked against
the recorded sha256 wherever they are stored, 410 when missing or damaged, 503 when the store does not answer).
A 补贴申请's materials (R23) are posted with ``claim_id`` instead of ``filing_id`` and go through
``actions.subsidies.claims.add_claim_attachment`` / ``delete_claim_attachment``.
"""
from __future__ import annotations

from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions import attachments
from actions import filings as fa
from actions.subsidies import claims as claim_actions
from core.errors import DomainError, FieldInvalid, ValidationFailed
from models.base import db
from models.enums import AttachmentKind
from models.filing import Attachment
from models.scope import current_actor, load_scoped
from views.api.common import READ, ContractApi, int_field, unknown_field_error
from views.api.openapi import json_content, operation, schema_ref
from views.api_guards import BadRequest
from views.base import API_PERMISSIONS, interface
from views.downloads import attachment_response
from views.glue import error_response

UPLOAD_FIELDS = ("file", "kind", "filing_id", "claim_id", "csrf_token")


def _add_claim_attachment(session, actor, claim_id_raw: Any, kind: Any, upload) -> Attachment:
    """A 补贴申请's material (R23): the claim must be the enterprise's and editable."""
    claim_id = int_field({"claim_id": claim_id_raw}, "claim_id", _l("所属补贴申请"))
    claim_actions.load_claim(session, actor, claim_id, editable=True)
    if upload is None:
        raise FieldInvalid("file", _l("请选择要上传的文件（multipart 字段 file）"))
    return claim_actions.add_claim_attachment(session, actor, claim_id, kind, upload.filename or "", upload.read())


def _add_attachment(session, actor, filing_id_raw: Any, kind: Any, upload, claim_id_raw: Any = None) -> Attachment:
    if claim_id_raw not in (None, ""):
        if filing_id_raw not in (None, ""):
            raise FieldInvalid("claim_id", _l("filing_id 与 claim_id 只能给出其中之一"))
        return _add_claim_attachment(session, actor, claim_id_raw, kind, upload)
    filing_id = int_field({"filing_id": filing_id_raw}, "filing_id", _l("所属备案"))
    fa.load_filing(session, actor, filing_id, editable=True)
    if upload is None:
        raise FieldInvalid("file", _l("请选择要上传的文件（multipart 字段 file）"))
    return attachments.add_attachment(session, actor, filing_id, kind, upload.filename or "", upload.read())


def _delete_attachment(session, actor, pk) -> None:
    row = load_scoped(session, Attachment, pk, actor)
    if row.subsidy_claim_id is not None:
        claim_actions.delete_claim_attachment(session, actor, row.id)
    else:
        attachments.delete_attachment(session, actor, row.id)


class AttachmentApi(ContractApi):
    """``/api/v1/attachment``: 上传材料 (metadata; the bytes at ``/<pk>/content``)."""

    list_title = show_title = add_title = edit_title = _l("上传材料")

    resource_name = "attachment"
    class_permission_name = "Attachment"
    openapi_spec_tag = "attachment 上传材料"
    datamodel = interface(Attachment)
    method_permission_name = {**API_PERMISSIONS, "content": READ}
    exclude_route_methods = {"put"}
    list_columns = show_columns = ["id", "filing_id", "subsidy_claim_id", "change_request_id", "kind", "file_name",
                                   "media_type", "size", "sha256", "uploaded_at"]
    add_columns = ["filing_id", "kind"]
    edit_columns = ["kind"]
    search_columns = ["filing_id", "subsidy_claim_id", "change_request_id", "kind"]
    simple_filters = {**{name: name for name in search_columns}, "claim_id": "subsidy_claim_id"}
    base_order = ("id", "asc")
    code_labels = {"kind": AttachmentKind}
    openapi_spec_methods = {
        "post": {"post": {
            "description": ("上传材料：multipart/form-data，字段 file（文件）、kind（材料类型）、filing_id；"
                            "补贴申请的附件以 claim_id 代替 filing_id（申请须为未提交/已退回，R23）。"
                            "只接受按内容识别的 PDF、JPG、PNG、DOCX、XLSX，大小有上限，保存 sha256（R11）。"),
            "requestBody": {"required": True, "content": {"multipart/form-data": {
                "schema": {"$ref": "#/components/schemas/AttachmentUpload"}}}},
        }},
        "delete": {"delete": {"description": "删除材料（所属备案或补贴申请须为未提交/已退回，否则 409）。"}},
    }

    def post_headless(self):
        if not request.mimetype == "multipart/form-data":
            return error_response(BadRequest(_l("请以 multipart/form-data 上传：字段 file、kind、filing_id（或 claim_id）")))
        unknown = [key for key in list(request.form) + list(request.files) if key not in UPLOAD_FIELDS]
        if unknown:
            return error_response(ValidationFailed([unknown_field_error(key) for key in unknown]))
        return self._act(_add_attachment, request.form.get("filing_id"), request.form.get("kind"),
                         request.files.get("file"), request.form.get("claim_id"), status=201)

    def delete_headless(self, pk):
        return self._act(_delete_attachment, pk, render=self._deleted)

    @expose("/<int:pk>/content", methods=["GET"])
    @protect()
    @safe
    @permission_name("content")
    @operation("get", "下载材料文件（按权限范围）", ok={
        "description": "文件内容（Content-Type 为识别出的类型）",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
        responses={410: {"description": "文件内容缺失或与保存时的 SHA-256 不符（已记录），不给出错误的文件",
                         "content": json_content(schema_ref("FilingApiError"))},
                   503: {"description": "文件存储暂时无法访问，请稍后重试", "content": json_content(schema_ref("FilingApiError"))}})
    def content(self, pk: int):
        try:
            row = load_scoped(db.session, Attachment, pk, current_actor())
            return attachment_response(row, inline_allowed=False)
        except DomainError as exc:  # out of scope (404); a missing / damaged file (410); store down (503)
            return error_response(exc)

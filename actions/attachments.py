"""上传材料 (R11): uploads of a filing's materials — the type sniffed from the content, the size limited, the name
cleaned of control characters, sha256 kept, the bytes kept where ``ATTACHMENT_STORAGE`` says
(``actions.attachment_blobs``) — and their deletion, only while the filing is editable; audited."""
from __future__ import annotations

import hashlib
import io
import os
import zipfile
from typing import Any, Optional

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from actions import audit
from actions.attachment_blobs import place_content
from actions.filings import load_filing
from core.errors import FieldInvalid, NotFound
from models.enums import AttachmentKind as AK
from models.filing import Attachment
from models.scope import Actor, load_scoped

ALLOWED_UPLOADS = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}



def sniff_media_type(file_name: str, content: bytes) -> Optional[str]:
    """The media type the bytes really are, if it is one we accept and matches the file extension."""
    ext = os.path.splitext(file_name)[1].lower().lstrip(".")
    if ext not in ALLOWED_UPLOADS:
        return None
    if ext == "pdf" and content.startswith(b"%PDF-"):
        return ALLOWED_UPLOADS[ext]
    if ext in ("jpg", "jpeg") and content.startswith(b"\xff\xd8\xff"):
        return ALLOWED_UPLOADS[ext]
    if ext == "png" and content.startswith(b"\x89PNG\r\n\x1a\n"):
        return ALLOWED_UPLOADS[ext]
    if ext in ("docx", "xlsx") and content.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
        except zipfile.BadZipFile:
            return None
        marker = "word/document.xml" if ext == "docx" else "xl/workbook.xml"
        return ALLOWED_UPLOADS[ext] if marker in names else None
    return None


def new_attachment(session: Session, actor: Actor, kind: Any, allowed_kinds: tuple[str, ...], file_name: str,
                   content: bytes) -> Attachment:
    """An uploaded material checked (R11) and ready to be given its owner: kind one of ``allowed_kinds``, name
    cleaned, size limited, type sniffed from the content, sha256 kept, the bytes stored (``place_content``).
    Filings and subsidy claims share it.

    :raises ValidationFailed: unknown kind, empty or oversized file, or content that is not the type it claims.
    :raises StoreUnavailable: the configured file store did not take the bytes.
    """
    if kind not in allowed_kinds:
        raise FieldInvalid("kind", _l("请选择材料类型"), kind)
    # Names end up in Content-Disposition headers: no control characters (CR/LF/NUL), no directories.
    name = "".join(ch for ch in os.path.basename((file_name or "").replace("\\", "/")) if ch >= " " and ch != "\x7f")
    name = name.strip()[:255]
    if not name:
        raise FieldInvalid("file", _l("请选择要上传的文件"))
    limit = current_app.config.get("UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    if not content:
        raise FieldInvalid("file", _l("文件“%(name)s”是空文件", name=name))
    if len(content) > limit:
        raise FieldInvalid("file", _l("文件“%(name)s”超过大小上限 %(mb)d MB", name=name, mb=limit // (1024 * 1024)))
    media_type = sniff_media_type(name, content)
    if media_type is None:
        raise FieldInvalid("file", _l("文件“%(name)s”不是有效的 PDF、JPG、PNG、DOCX 或 XLSX 文件（按文件内容识别）",
                                      name=name))
    row = Attachment(kind=kind, file_name=name, media_type=media_type, size=len(content),
                     sha256=hashlib.sha256(content).hexdigest(), uploaded_by_id=actor.user_id)
    place_content(session, row, content)
    return row


AUDITED = ("kind", "file_name", "size", "sha256", "storage")


def add_attachment(session: Session, actor: Actor, filing_id: Any, kind: Any, file_name: str,
                   content: bytes) -> Attachment:
    """Store an uploaded material of an editable filing (``new_attachment``, R11).

    :raises ValidationFailed: as ``new_attachment``.
    """
    filing = load_filing(session, actor, filing_id, editable=True, for_update=True)
    row = new_attachment(session, actor, kind, AK.FILING_CODES, file_name, content)
    row.filing_id = filing.id
    session.add(row)
    session.flush()
    audit.record_edit(session, actor, "create", row, {}, audit.snapshot(row, AUDITED), row_name=row.file_name,
                      filing=filing)
    return row


def delete_attachment(session: Session, actor: Actor, attachment_id: Any) -> None:
    """Delete a material of an editable filing.

    :raises NotFound / Forbidden / TransitionNotAllowed: as ``load_filing``.
    """
    row = load_scoped(session, Attachment, attachment_id, actor)
    if row.filing_id is None:
        raise NotFound()
    filing = load_filing(session, actor, row.filing_id, editable=True, for_update=True)
    audit.record_edit(session, actor, "delete", row, audit.snapshot(row, AUDITED),
                      {}, row_name=row.file_name, filing=filing)
    session.delete(row)
    session.flush()



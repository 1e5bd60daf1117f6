"""The one way an uploaded material (``Attachment``) is sent back to a browser or an API client.

``attachment_response(row, inline_allowed)``: the stored bytes with the detected media type, never cached
(``private, no-store``), never sniffed (``nosniff``); shown inline only when the caller allows it, the type is
one a browser renders safely (PDF, JPEG, PNG) and the request has no ``?download``; otherwise a download.
The caller loads the row through the scope first (``models.scope.load_scoped``).

The bytes come from where the row says (issue 15): the row itself (``database``) or a blob store
(``directory`` / ``s3``, streamed, never whole in memory). Either way they are checked against the recorded
sha256 and size before the first byte goes out: a missing or damaged file raises ``BlobMissing`` /
``BlobCorrupt`` (410), an unreachable store ``StoreUnavailable`` (503); logged here with where and why, answered by
``views/errors.py`` (a Chinese page or JSON body; the API's ``/content`` answers its own) — never wrong bytes.
"""
from __future__ import annotations

import hashlib
import io
import logging
from typing import BinaryIO

from flask import Response, current_app, request, send_file
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import object_session
from werkzeug.exceptions import RequestedRangeNotSatisfiable

from core.errors import BlobCorrupt, BlobError, BlobMissing
from models.filing import Attachment
from services.storage import DATABASE, open_verified

log = logging.getLogger(__name__)

#: Media types a browser may show inline (预览); everything else is always a download.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def open_content(row: Attachment) -> BinaryIO:
    """The verified bytes of ``row`` as a binary file positioned at the start (the caller closes it).

    :raises BlobMissing / BlobCorrupt / StoreUnavailable:
    """
    if row.storage == DATABASE:
        content = row.content
        if content is None:
            raise BlobMissing(f"attachment {row.id}: no content in the database")
        if len(content) != row.size or hashlib.sha256(content).hexdigest() != row.sha256:
            raise BlobCorrupt(f"attachment {row.id}: database content differs from sha256 {row.sha256}")
        return io.BytesIO(content)
    store = current_app.extensions["blob_stores"].get(row.storage)
    return open_verified(store, row.storage_key, row.sha256, row.size)


def _reopened_after_move(row: Attachment, missing: BlobMissing) -> BinaryIO:
    """The bytes of a row that ``flask attachments move`` switched after it was loaded (mixed states while a move
    runs): read its place again and open it there; ``missing`` when the place did not change."""
    before = (row.storage, row.storage_key)
    try:
        object_session(row).refresh(row, ["storage", "storage_key", "content"])
    except InvalidRequestError:  # deleted meanwhile
        raise missing from None
    if (row.storage, row.storage_key) == before:
        raise missing
    return open_content(row)


def attachment_response(row: Attachment, inline_allowed: bool) -> Response:
    """The file of ``row`` as a response (inline or as a download with its file name)."""
    inline = inline_allowed and row.media_type in INLINE_TYPES and not request.args.get("download")
    try:
        try:
            content = open_content(row)
        except BlobMissing as missing:
            content = _reopened_after_move(row, missing)
    except BlobError as exc:
        log.error("attachment %s not served (%s %s): %s: %s", row.id, request.method, request.path,
                  type(exc).__name__, exc.detail)
        raise
    response = send_file(content, mimetype=row.media_type, as_attachment=not inline,
                         download_name=row.file_name, max_age=0, conditional=False)
    # A stream has no length werkzeug could read: the verified size gives Content-Length and byte ranges.
    response.content_length = row.size
    try:
        response = response.make_conditional(request, accept_ranges=True, complete_length=row.size)
    except RequestedRangeNotSatisfiable:
        response.close()
        raise
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


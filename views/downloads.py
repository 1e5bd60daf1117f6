"""The one way an uploaded material (``Attachment``) is sent back to a browser or an API client.

``attachment_response(row, inline_allowed)``: the stored bytes with the detected media type, never cached
(``private, no-store``), never sniffed (``nosniff``); shown inline only when the caller allows it, the type is
one a browser renders safely (PDF, JPEG, PNG) and the request has no ``?download``; otherwise a download.
The caller loads the row through the scope first (``models.scope.load_scoped``).
"""
from __future__ import annotations

import io

from flask import Response, request, send_file

from models.filing import Attachment

#: Media types a browser may show inline (预览); everything else is always a download.
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def attachment_response(row: Attachment, inline_allowed: bool) -> Response:
    """The file of ``row`` as a response (inline or as a download with its file name)."""
    inline = inline_allowed and row.media_type in INLINE_TYPES and not request.args.get("download")
    response = send_file(io.BytesIO(row.content), mimetype=row.media_type, as_attachment=not inline,
                         download_name=row.file_name, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response

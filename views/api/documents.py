"""The 备案表 (R12) of an APPROVED filing as a PDF rendered by ``services.pdf``:
``GET /api/v1/filing/<pk>/form.pdf`` (``FilingFormPdfApi``), and the loader and response shared with the print
screen ``/filing/<id>/form.pdf`` (``views.ui.review.FilingPrintView``).
"""
from __future__ import annotations

import io
from typing import Any

from flask import send_file
from flask_appbuilder.api import BaseApi
from flask_appbuilder.api import expose as api_expose
from flask_appbuilder.security.decorators import protect
from flask_babel import lazy_gettext as _l

from core.errors import DomainError, NotFound, TransitionNotAllowed
from models.base import db
from models.enums import FilingStatus
from models.filing import Filing
from models.scope import Actor, current_actor
from queries import review as review_queries
from views.base import ChineseApiResponses
from views.glue import error_response


def printable_filing(actor: Actor, filing_id: Any) -> Filing:
    """The filing to print, loaded through the scope with its rows.

    :raises NotFound: missing or out of scope.
    :raises TransitionNotAllowed: not APPROVED.
    """
    filing = review_queries.filing_detail(db.session, actor, filing_id)
    if filing is None:
        raise NotFound()
    if filing.status != FilingStatus.APPROVED:
        raise TransitionNotAllowed(_l("只有审核通过的备案才能打印备案表"))
    return filing


def pdf_response(filing: Filing):
    """The rendered 备案表 shown inline (file name 备案表-<filing_no>.pdf), never cached."""
    from services.pdf import pdf_filename, render_filing_form

    response = send_file(io.BytesIO(render_filing_form(filing)), mimetype="application/pdf", as_attachment=False,
                         download_name=pdf_filename(filing), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


class FilingFormPdfApi(ChineseApiResponses, BaseApi):
    """``GET /api/v1/filing/<pk>/form.pdf``: the 备案表 PDF (404 out of scope, 409 not approved)."""

    resource_name = "filing"
    openapi_spec_tag = "filing 培训备案"  # grouped with the filing resource in Swagger
    class_permission_name = "Filing"
    method_permission_name = {"form_pdf": "read"}
    allow_browser_login = True

    @api_expose("/<int:pk>/form.pdf", methods=["GET"])
    @protect()
    def form_pdf(self, pk: int):
        """Download the 备案表 (PDF) of an approved filing.
        ---
        get:
          summary: 打印备案表 (PDF) of an APPROVED filing
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: the PDF (inline, file name 备案表-<filing_no>.pdf)
              content:
                application/pdf:
                  schema:
                    type: string
                    format: binary
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              description: the filing is not approved
        """
        try:
            filing = printable_filing(current_actor(), pk)
        except DomainError as error:
            db.session.rollback()
            return error_response(error)
        return pdf_response(filing)

"""单位培训人员查询 with 【导出学员名单】 (manual §3.2.1.3, §3.2.2.3): the trainees of the enterprise's filings,
one screen per programme menu (``EcosystemTraineeQueryView``, ``EnterpriseTraineeQueryView``; menu entries in
``views/menu.py``). The query is ``queries.trainees``. 导出学员名单 (POST ``/export``) starts a background job
(``trainee_export``, DESIGN §9) and opens its progress page (我的下载); ``GET /export.xlsx`` still streams the
workbook in the request up to ``TRAINEE_EXPORT_DIRECT_MAX_ROWS`` rows (``views.api.imports.export_response``).
"""
from __future__ import annotations

from typing import Optional

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access

from core.errors import DomainError
from core.validators import mask_id_number
from models.base import db
from models.enums import TYPES_BY_PROGRAMME, ApprenticeshipType, FilingStatus, Gender, Programme, TraineeStatus
from models.scope import current_actor
from queries import trainees
from views.api.imports import export_response
from views.api.jobs import start_job
from views.ui.forms import endpoint_exists


class TraineeQueryBase(BaseView):
    """The trainees of the enterprise's filings of this menu's programme, searched, 20 a page, exported to xlsx."""

    class_permission_name = "Trainee"
    method_permission_name = {"list": "read", "export": "read", "export_job": "read"}
    default_view = "list"
    programme: str = Programme.ECOSYSTEM

    @expose("/")
    @has_access
    def list(self):
        actor = current_actor()
        filters = self._filters()  # a bad date: its message under the field (filters.date_errors, issue 12)
        found = trainees.trainee_page(db.session, actor, filters, request.args.get("page", 1))
        args = filters.as_args()
        endpoint = f"{type(self).__name__}.list"

        def page_url(n: int) -> str:
            return url_for(endpoint, **args, page=n)

        return self.render_template(
            "imports/trainees.html", rows=found.items, filters=filters, total=found.total, capped=found.capped,
            page=found.page,
            pages=found.pages, page_size=found.page_size, page_url=page_url, page_numbers=found.numbers,
            menu_programme=Programme.label(self.programme),
            export_job_url=url_for(f"{type(self).__name__}.export_job"),
            reset_url=url_for(endpoint), action_url=url_for(endpoint),
            mask=mask_id_number, occupation_text=trainees.occupation_text,
            programmes=[(self.programme, Programme.label(self.programme))],
            types=[(c, ApprenticeshipType.label(c)) for c in TYPES_BY_PROGRAMME[self.programme]],
            filing_statuses=FilingStatus.choices(),
            statuses=TraineeStatus.choices(), programme_label=Programme.label, type_label=ApprenticeshipType.label,
            filing_status_label=FilingStatus.label, status_label=TraineeStatus.label, gender_label=Gender.label,
            filing_url=_filing_url,
        )

    @expose("/export.xlsx")
    @has_access
    def export(self):
        filters = self._filters()
        answer = export_response(filters)
        if isinstance(answer, DomainError):  # too large for the request: the background export instead
            flash(str(answer.message), "warning")
            return redirect(url_for(f"{type(self).__name__}.list", **filters.as_args()))
        return answer

    @expose("/export", methods=["POST"])
    @has_access
    def export_job(self):
        """导出学员名单 as a background job: the progress page (then the file, also in 我的下载)."""
        filters = trainees.TraineeFilters.from_args(request.form)
        filters.programme = self.programme
        public_id, error = start_job("trainee_export", filters.as_args())
        if error is not None:
            flash(str(error.message), "danger")
            return redirect(url_for(f"{type(self).__name__}.list", **filters.as_args()))
        return redirect(url_for("DownloadsView.progress", job_id=public_id))

    def _filters(self) -> "trainees.TraineeFilters":
        """The query's filters, limited to this menu's programme (each programme lists its own trainees)."""
        filters = trainees.TraineeFilters.from_args(request.args)
        filters.programme = self.programme
        return filters


def _filing_url(filing_id: int) -> Optional[str]:
    if endpoint_exists("FilingView.tab"):
        return url_for("FilingView.tab", filing_id=filing_id, tab="trainees")
    return None


class EcosystemTraineeQueryView(TraineeQueryBase):
    route_base = "/ecosystem/trainees"
    programme = Programme.ECOSYSTEM


class EnterpriseTraineeQueryView(TraineeQueryBase):
    route_base = "/enterprise/trainees"
    programme = Programme.ENTERPRISE

"""我的下载 (DESIGN §6, §9): the user's own background jobs — a paged list (名称, 状态, 进度, 创建时间, 保留至,
下载, 删除 with a confirmation) and a job's progress page, which polls ``GET /api/v1/job/<id>`` (static/jobs.js),
shows a progress bar and, once DONE, starts the download (or, for an import, goes on to the same result as the
synchronous 确认导入). Only the requester sees a job: anyone else's id answers 404 like a missing one.
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l

from actions.jobs import delete_job
from core.errors import NotFound
from models.base import db
from models.enums import JobStatus
from models.scope import current_actor
from queries.jobs import job_page
from services import job_files
from views.api.jobs import current_job, download_url, job_answer
from views.glue import attempt, flash_error
from views.ui.forms import endpoint_exists

#: import kind → the filing tab its rows are on (where the synchronous 确认导入 goes too)
IMPORT_TABS = {"training_class": "classes", "teacher": "teachers", "trainee": "trainees", "course": "courses"}


class DownloadsView(BaseView):
    """``/downloads/``: 我的下载; ``/downloads/<id>``: one job's progress."""

    route_base = "/downloads"
    default_view = "list"
    class_permission_name = "Job"
    method_permission_name = {"list": "read", "progress": "read", "delete": "write"}

    @expose("/")
    @has_access
    def list(self):
        found = job_page(db.session, current_actor(), request.args.get("page", 1))

        def page_url(n: int) -> str:
            return url_for("DownloadsView.list", page=n)

        return self.render_template(
            "jobs/list.html", jobs=found.items, total=found.total, page=found.page, pages=found.pages,
            page_size=found.page_size, page_numbers=found.numbers, page_url=page_url, download_url=download_url,
            status_label=JobStatus.label, JobStatus=JobStatus)

    @expose("/<job_id>")
    @has_access
    def progress(self, job_id: str):
        try:
            job = current_job(job_id)
        except NotFound:
            abort(404)
        if job.kind == "import_confirm" and job.finished:
            finished = self._import_finished(job)
            if finished is not None:
                return finished
        return self.render_template("jobs/progress.html", job=job, answer=job_answer(job),
                                    status_label=JobStatus.label, JobStatus=JobStatus)

    def _import_finished(self, job):
        """A DONE import: the synchronous 确认导入's answer (its message, the filing's tab). FAILED: the page says
        why (None)."""
        params = job.params or {}
        if job.status != JobStatus.DONE or not endpoint_exists("FilingView.tab"):
            return None
        flash(job.message or str(_l("导入完成")), "success")
        return redirect(url_for("FilingView.tab", filing_id=params.get("filing_id"),
                                tab=IMPORT_TABS.get(params.get("kind"), "info")))

    @expose("/<job_id>/delete", methods=["POST"])
    @has_access
    def delete(self, job_id: str):
        error, gone = attempt(delete_job, current_actor(), job_id)
        if isinstance(error, NotFound):
            abort(404)
        if error is not None:
            flash_error(error)
        else:
            job_files.delete(gone)  # after the commit: the row is gone, so is its file
            flash(str(_l("已删除")), "success")
        return redirect(url_for("DownloadsView.list"))

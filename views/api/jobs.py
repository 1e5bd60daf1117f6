"""Background jobs over the REST API (DESIGN §10 "long work as jobs") and the one way views start a job:

- ``POST /api/v1/trainee/export`` (``TraineeExportJobApi``): the 单位培训人员查询 filters in a JSON body → 202
  ``{"job_id"}``; the export runs as a job (``services.job_kinds``), whatever its size;
- ``POST /api/v1/subsidy_claim/<pk>/roster.pdf/job`` (``ClaimRosterJobApi``): the 花名册 PDF of a submitted claim
  as a job (large rosters; ``GET …/roster.pdf`` answers them 422) → 202 ``{"job_id"}``;
- ``POST /api/v1/statistics/export`` (``StatisticsExportJobApi``): 导出全部报表 — every 统计分析 figure of the
  filter (``{"from", "to", "city_code"}``, all optional) in one workbook as a job → 202 ``{"job_id"}``;
- ``GET /api/v1/job/<id>`` (``JobApi``): ``{"status", "progress", "message", "download_url", …}`` — the requester's
  own job only (anyone else: 404, like a missing id); ``GET /api/v1/job/<id>/download``: the file once DONE (the
  ``download_url``; the 我的下载 screen links to it too).

``start_job`` (create the audited row, commit, keep the input file, hand it to a worker; an opportunistic cleanup of
expired and stale jobs first) and ``job_answer`` (the JSON of a job) are shared with the screens (views/ui/jobs.py,
views/ui/trainees.py, views/ui/imports.py, views/ui/claims.py).
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

from flask import Response, current_app, request, url_for
from flask_appbuilder.api import BaseApi, expose, protect, safe
from flask_appbuilder.security.decorators import permission_name
from flask_babel import lazy_gettext as _l

from actions.jobs import create_job, fail_job, load_job
from actions.subsidies.claims import document_claim
from core.clock import to_local
from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from models.base import db
from models.enums import JobStatus
from models.job import Job
from models.scope import current_actor
from queries import statistics as stats
from queries.trainees import TraineeFilters
from services import job_files, jobs
from views.base import ChineseApiResponses
from views.glue import attempt, error_response

#: The job's answer (DESIGN §10), as the OpenAPI document describes it.
JOB_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "description": "任务编号（32 位十六进制）"},
        "kind": {"type": "string", "enum": ["trainee_export", "claim_roster_pdf", "import_confirm", "statistics_xlsx"]},
        "title": {"type": "string"},
        "status": {"type": "string", "enum": ["QUEUED", "RUNNING", "DONE", "FAILED"]},
        "status_label": {"type": "string"},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string", "nullable": True},
        "download_url": {"type": "string", "nullable": True, "description": "DONE 且有文件时：下载地址"},
        "file_name": {"type": "string", "nullable": True},
        "size": {"type": "integer", "nullable": True},
        "result": {"type": "object", "nullable": True},
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": "string", "format": "date-time", "nullable": True},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}
ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/FilingApiError"}}}


# ---------------------------------------------------------------------------------------------------------
# Shared with the screens
# ---------------------------------------------------------------------------------------------------------


def start_job(kind: str, params: dict, *, title: Any = None, content: Optional[bytes] = None
              ) -> tuple[Optional[str], Optional[DomainError]]:
    """Start a job of ``kind`` for the current user: ``(public id, None)`` or ``(None, the error)``. ``content`` is
    kept for the job to read (``services.job_files.save_input``)."""
    config = current_app.config
    session = db.session
    if jobs.expired_or_stale_exist(session):  # opportunistic retention cleanup (cheap when there is nothing)
        jobs.cleanup(session)
    actor = current_actor()
    error, job = attempt(create_job, actor, kind, title or jobs.kind_title(kind), params,
                         retention_days=int(config.get("JOB_RETENTION_DAYS", 7)))
    if error is not None:
        return None, error
    public_id = job.public_id
    try:
        if content is not None:
            job_files.save_input(public_id, content)
        jobs.enqueue(public_id)
    except jobs.QueueUnavailable as exc:
        job_files.delete(public_id)
        attempt(lambda session: fail_job(session, actor, load_job(session, actor, public_id), exc.message))
        return None, exc
    return public_id, None


def download_url(job: Job) -> Optional[str]:
    if not job.has_file:
        return None
    return url_for("JobApi.download", job_id=job.public_id)


def job_answer(job: Job) -> dict:
    """The JSON of a job (``GET /api/v1/job/<id>``; the progress page reads it)."""
    def stamp(value) -> Optional[str]:
        return to_local(value).isoformat() if value is not None else None

    return {
        "id": job.public_id, "kind": job.kind, "title": job.title, "status": job.status,
        "status_label": JobStatus.label(job.status), "progress": round(float(job.progress or 0), 4),
        "message": job.message, "download_url": download_url(job), "file_name": job.file_name, "size": job.size,
        "result": job.result, "created_at": stamp(job.created_at), "finished_at": stamp(job.finished_at),
        "expires_at": stamp(job.expires_at),
    }


def current_job(public_id: Any) -> Job:
    """The current user's job, a dead worker's RUNNING job marked FAILED first. :raises NotFound."""
    session = db.session
    job = load_job(session, current_actor(), public_id)
    if job.status == JobStatus.RUNNING and jobs.fail_stale(session, job.public_id):
        session.commit()
        session.refresh(job)
    return job


def file_response(job: Job) -> Response:
    """The job's file as a download (streamed), never cached; 404 when there is none (any more)."""
    if not job.has_file or not job_files.exists(job.public_id):
        raise NotFound(_l("文件不存在或已过期删除"))
    response = Response(job_files.stream(job.public_id), mimetype=job.media_type or "application/octet-stream",
                        direct_passthrough=True)
    ascii_name = "download" + ("." + job.file_name.rsplit(".", 1)[1] if "." in job.file_name else "")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(job.file_name)}")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if job.size is not None:
        response.headers["Content-Length"] = str(job.size)
    return response


# ---------------------------------------------------------------------------------------------------------
# REST API
# ---------------------------------------------------------------------------------------------------------


class JobApi(ChineseApiResponses, BaseApi):
    """``GET /api/v1/job/<id>`` and ``/api/v1/job/<id>/download``: the requester's own jobs only."""

    resource_name = "job"
    class_permission_name = "Job"
    method_permission_name = {"get": "read", "download": "read"}
    openapi_spec_tag = "job 后台任务"
    allow_browser_login = True  # read-only: the progress page polls it with the session cookie

    @expose("/<job_id>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self, job_id: str):
        """The state of one of the user's jobs.
        ---
        get:
          summary: 查询后台任务（状态、进度、下载地址）
          description: 只有发起人能看到自己的任务；其他任何人（含管理员）答 404，与不存在的编号相同。
          parameters:
          - {in: path, name: job_id, required: true, schema: {type: string, pattern: '^[0-9a-f]{32}$'}}
          responses:
            200:
              description: 任务
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/JobState'}
            401: {$ref: '#/components/responses/401'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            job = current_job(job_id)
        except DomainError as exc:
            return error_response(exc)
        return self.response(200, **job_answer(job))

    @expose("/<job_id>/download", methods=["GET"])
    @protect()
    @safe
    @permission_name("download")
    def download(self, job_id: str):
        """The file a DONE job made.
        ---
        get:
          summary: 下载后台任务生成的文件
          parameters:
          - {in: path, name: job_id, required: true, schema: {type: string, pattern: '^[0-9a-f]{32}$'}}
          responses:
            200:
              description: 文件（xlsx / pdf）
              content:
                application/octet-stream:
                  schema: {type: string, format: binary}
            401: {$ref: '#/components/responses/401'}
            404: {$ref: '#/components/responses/404'}
        """
        try:
            return file_response(current_job(job_id))
        except DomainError as exc:
            return error_response(exc)

    def add_apispec_components(self, api_spec) -> None:
        super().add_apispec_components(api_spec)
        from apispec.exceptions import DuplicateComponentNameError

        from views.api.openapi import add_components

        add_components(api_spec)
        for name, schema in (("JobState", JOB_SCHEMA), ("JobStarted", {
                "type": "object", "properties": {"job_id": {"type": "string"}, "status_url": {"type": "string"},
                                                 "message": {"type": "string"}}})):
            try:
                api_spec.components.schema(name, schema)
            except DuplicateComponentNameError:
                pass


def request_json_object() -> Any:
    """The JSON body of a job request: ``{}`` when there is none, ``""`` when it is unreadable (refused next)."""
    body = request.get_json(silent=True) if request.data else {}
    return body if body is not None else ""


def text_fields(body: Any, fields: tuple[str, ...]) -> dict[str, str]:
    """``fields`` of a JSON object whose values are strings or nulls (others are left out).
    :raises ValidationFailed: not an object, or one of ``fields`` holds another type (each named)."""
    if not isinstance(body, dict):
        raise ValidationFailed([FieldError(None, _l("请求体应为 JSON 对象（导出条件）"))])
    wrong = [FieldError(key, _l("%(field)s 应为文本", field=key), value=body[key])
             for key in fields if body.get(key) is not None and not isinstance(body[key], str)]
    if wrong:
        raise ValidationFailed(wrong)
    return {key: body[key] for key in fields if body.get(key) is not None}


def job_started(api: BaseApi, kind: str, params: dict, message: Any, title: Any = None):
    """Start ``kind`` for the current user: 202 ``{"job_id", "status_url", "message"}``, or the refusal."""
    public_id, error = start_job(kind, params, title=title)
    if error is not None:
        return error_response(error)
    return api.response(202, job_id=public_id, status_url=url_for("JobApi.get", job_id=public_id),
                        message=str(message))


def filters_from_body(body: Any) -> TraineeFilters:
    """The filters of ``POST /api/v1/trainee/export``: a JSON object of strings (or nulls) with the query-string
    names of ``GET /api/v1/trainee/export.xlsx``. :raises ValidationFailed: not an object, a value of another type,
    or a bad date."""
    filters = TraineeFilters.from_args(text_fields(body, TraineeFilters.FIELDS))
    if filters.errors:
        raise ValidationFailed([FieldError(key, message) for key, message in filters.date_errors.items()])
    return filters


class TraineeExportJobApi(ChineseApiResponses, BaseApi):
    """``POST /api/v1/trainee/export`` — next to ``GET /api/v1/trainee/export.xlsx`` (views/api/imports.py)."""

    resource_name = "trainee"
    class_permission_name = "Trainee"
    method_permission_name = {"export_job": "read"}
    openapi_spec_tag = "Trainee export"
    allow_browser_login = False  # a POST exempt from form CSRF: Bearer JWT only

    @expose("/export", methods=["POST"])
    @protect()
    @safe
    @permission_name("export_job")
    def export_job(self):
        """导出学员名单 as a background job.
        ---
        post:
          summary: 导出学员名单（后台任务，任意规模）
          description: 条件同 GET /api/v1/trainee/export.xlsx 的查询参数（JSON 对象，值为文本）；答 202 与任务编号，
            用 GET /api/v1/job/{job_id} 查询进度，完成后从 download_url 下载。
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    name: {type: string}
                    id_number: {type: string}
                    filing_no: {type: string}
                    programme: {type: string, enum: [ECOSYSTEM, ENTERPRISE]}
                    apprenticeship_type: {type: string}
                    filing_status: {type: string}
                    status: {type: string, enum: [ACTIVE, LOST]}
                    date_from: {type: string, format: date}
                    date_to: {type: string, format: date}
          responses:
            202:
              description: 已加入后台任务
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/JobStarted'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            422:
              description: 条件不正确（逐字段中文说明）
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/FilingApiError'}
            503:
              description: 任务队列暂时无法访问
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/FilingApiError'}
        """
        try:
            filters = filters_from_body(request_json_object())
        except DomainError as exc:
            return error_response(exc)
        return job_started(self, "trainee_export", filters.as_args(), _l("已加入后台导出，完成后可在“我的下载”中下载"))


class ClaimRosterJobApi(ChineseApiResponses, BaseApi):
    """``POST /api/v1/subsidy_claim/<pk>/roster.pdf/job`` — next to ``GET …/roster.pdf`` (views/api/claim_documents)."""

    resource_name = "subsidy_claim"
    class_permission_name = "SubsidyClaim"
    method_permission_name = {"roster_job": "read"}
    openapi_spec_tag = "subsidy_claim 补贴申领"
    allow_browser_login = False  # a POST exempt from form CSRF: Bearer JWT only

    @expose("/<int:pk>/roster.pdf/job", methods=["POST"])
    @protect()
    @safe
    @permission_name("roster_job")
    def roster_job(self, pk: int):
        """下载花名册 (PDF) as a background job.
        ---
        post:
          summary: 生成花名册 PDF（后台任务，R23）
          description: 申请须已提交（否则 409）；答 202 与任务编号，用 GET /api/v1/job/{job_id} 查询进度并下载。
          parameters:
          - {in: path, name: pk, required: true, schema: {type: integer}}
          responses:
            202:
              description: 已加入后台任务
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/JobStarted'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            409: {$ref: '#/components/responses/FilingConflict'}
            503:
              description: 任务队列暂时无法访问
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/FilingApiError'}
        """
        try:
            claim = document_claim(db.session, current_actor(), pk)
        except DomainError as exc:
            return error_response(exc)
        return job_started(self, "claim_roster_pdf", {"claim_id": claim.id},
                           _l("已加入后台生成，完成后可在“我的下载”中下载"),
                           title=_l("补贴花名册（PDF）- 申请 %(id)s", id=claim.id))


class StatisticsExportJobApi(ChineseApiResponses, BaseApi):
    """``POST /api/v1/statistics/export`` — next to ``GET /api/v1/statistics/<name>`` (views/api/statistics.py)."""

    resource_name = "statistics"
    class_permission_name = "Statistics"
    method_permission_name = {"export_job": "read"}
    openapi_spec_tag = "statistics 统计分析"
    allow_browser_login = False  # a POST exempt from form CSRF: Bearer JWT only (the dashboard posts its own form)

    @expose("/export", methods=["POST"])
    @protect()
    @safe
    @permission_name("export_job")
    def export_job(self):
        """导出全部报表 as a background job.
        ---
        post:
          summary: 导出全部统计报表（后台任务，一个 Excel 文件，每个报表一个工作表）
          description: 范围同 GET /api/v1/statistics/{name}（省级管理员全省或 city_code 指定地市，地市审核员本市）；
            答 202 与任务编号，用 GET /api/v1/job/{job_id} 查询进度，完成后从 download_url 下载。
          requestBody:
            required: false
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    from: {type: string, format: date, description: 开始日期 YYYY-MM-DD}
                    to: {type: string, format: date, description: 结束日期 YYYY-MM-DD（不早于 from）}
                    city_code: {type: string, description: 地市代码（审核员只能是本市）}
          responses:
            202:
              description: 已加入后台任务
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/JobStarted'}
            401: {$ref: '#/components/responses/401'}
            403: {$ref: '#/components/responses/403'}
            404: {$ref: '#/components/responses/404'}
            422:
              description: 参数不正确（逐字段中文说明）
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/FilingApiError'}
            503:
              description: 任务队列暂时无法访问
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/FilingApiError'}
        """
        try:
            args = text_fields(request_json_object(), ("from", "to", "city_code"))
            filters = stats.parse_filters(db.session, current_actor(), args)
        except DomainError as exc:
            return error_response(exc)
        finally:
            db.session.rollback()
        return job_started(self, "statistics_xlsx", filters.as_args(), _l("已加入后台导出，完成后可在“我的下载”中下载"))

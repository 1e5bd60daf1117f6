"""The kinds of background job of this app (``services.jobs.register``: one line each, at the end of this module).

- ``trainee_export``: 导出学员名单 of 单位培训人员查询 (``services.trainee_export``), any size; rows streamed into
  xlsxwriter's constant-memory writer straight into the job's file, progress = rows written / COUNT.
- ``claim_roster_pdf``: the 补贴花名册 PDF of a submitted claim (``services.claim_documents``), for rosters of more
  than ``ROSTER_DIRECT_MAX_PERSONS`` persons.
- ``statistics_xlsx``: 导出全部报表 of 统计分析 (``services.statistics_export``): every figure of the dashboard's
  filter in one workbook, one sheet per figure, progress per figure.
- ``import_confirm``: 确认导入 of a filing import (``actions.imports.import_rows``) of more than
  ``IMPORT_DIRECT_MAX_ROWS`` rows. The action loads the filing again under its row lock and re-checks that it is
  still editable (it may have been submitted since the check), and stays all-or-nothing: the runner commits only
  when every row passed.

Each kind loads its rows through the requester's scope (``ctx.actor``), exactly like the screen it comes from.
"""
from __future__ import annotations

import hashlib
from flask_babel import lazy_gettext as _l

from actions.filings import load_filing
from actions.imports import import_rows
from actions.specs import import_columns
from actions.subsidies.claims import document_claim
from core.clock import today
from core.errors import FieldInvalid
from imports import reader
from imports.specs import KIND_LABELS, KINDS as IMPORT_KINDS
from queries import trainees
from queries.claim_roster import roster_totals
from queries import statistics as stats
from services import claim_documents, job_files, statistics_export, trainee_export
from services.jobs import JobContext, JobOutput, register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"

#: Names of the import kinds in messages (the file's own sheet names stay as they are).
IMPORT_KIND_NAMES = {"training_class": _l("培训信息"), "teacher": _l("培训师资信息"), "trainee": _l("培训人员信息"),
                     "course": _l("培训课程信息")}


def trainee_filters(params: dict) -> trainees.TraineeFilters:
    """The list filters of 单位培训人员查询 from the job's parameters (the query-string form, validated again)."""
    return trainees.TraineeFilters.from_args(params)


def run_trainee_export(ctx: JobContext) -> JobOutput:
    """导出学员名单 as a job: COUNT first (the denominator of the progress), then the streamed workbook."""
    filters = trainee_filters(ctx.params)
    total = trainees.count_trainees(ctx.session, ctx.actor, filters)
    ctx.progress(0.0, _l("正在导出，共 %(n)d 人", n=total), force=True)

    def on_rows(written: int) -> None:
        # 95 %: the rows; the rest is xlsxwriter assembling the file when the book is closed
        ctx.progress(0.95 * written / max(total, 1), _l("已导出 %(done)d / %(n)d 人", done=written, n=total))

    count = trainee_export.write_export(ctx.session, ctx.actor, filters, str(ctx.output_path), on_rows=on_rows,
                                        tmpdir=str(job_files.work_dir(ctx.public_id)))
    ctx.session.rollback()  # read-only: end the (long) read transaction before the file is stored
    return JobOutput(trainee_export.export_file_name(today()), XLSX, message=_l("共导出 %(n)d 人", n=count),
                     result={"count": count})


def run_claim_roster_pdf(ctx: JobContext) -> JobOutput:
    """下载花名册 (PDF) of a submitted claim (R23) as a job."""
    claim = document_claim(ctx.session, ctx.actor, ctx.params.get("claim_id"))
    persons = roster_totals(ctx.session, claim.id).count
    ctx.progress(0.1, _l("正在生成花名册，共 %(n)d 人", n=persons), force=True)
    content = claim_documents.claim_roster_pdf(ctx.session, claim)
    name = claim_documents.claim_document_name(claim, "roster")
    ctx.session.rollback()
    return JobOutput(name, PDF, content=content, message=_l("花名册共 %(n)d 人", n=persons),
                     result={"claim_id": claim.id, "count": persons})


def run_import_confirm(ctx: JobContext) -> JobOutput:
    """确认导入 of a large file: read the kept workbook, then ``import_rows`` (row lock, state re-checked, all rows
    or none). No file: the result is the count the screen reports."""
    params = ctx.params
    kind = params.get("kind")
    content = ctx.input()
    if kind not in IMPORT_KINDS or content is None:
        raise FieldInvalid("file", _l("确认导入的数据已失效，请重新选择文件上传"))
    # The state is read here without a lock only to pick the columns; import_rows loads it again under the lock.
    filing = load_filing(ctx.session, ctx.actor, params.get("filing_id"))
    ctx.progress(0.05, _l("正在读取文件"), force=True)
    limits = params.get("limits") or {}
    parsed = reader.read_workbook(content, params.get("file_name") or "", import_columns(kind,
                                  filing.apprenticeship_type), sheet_hint=KIND_LABELS[kind],
                                  **{k: int(v) for k, v in limits.items()})
    ctx.progress(0.3, _l("正在检查并导入 %(n)d 行", n=len(parsed.rows)), force=True)
    source = {"file_name": params.get("file_name") or "", "sha256": hashlib.sha256(content).hexdigest(),
              "rows": len(parsed.rows), "job": ctx.public_id}
    result = import_rows(ctx.session, ctx.actor, filing.id, kind, parsed.rows, sheet=parsed.sheet, source=source)
    return JobOutput(message=_l("已成功导入 %(n)d 条%(kind)s", n=result.count, kind=IMPORT_KIND_NAMES[kind]),
                     result={"count": result.count, "filing_id": filing.id, "kind": kind})


def run_statistics_xlsx(ctx: JobContext) -> JobOutput:
    """导出全部报表: the filter is parsed again in the requester's scope (a reviewer: its city; a city that left the
    admin's scope or dates that no longer parse fail the job with the screen's message)."""
    filters = stats.parse_filters(ctx.session, ctx.actor, ctx.params)
    ctx.progress(0.0, _l("正在统计"), force=True)

    def on_figure(done: int, total: int, figure: stats.Figure) -> None:
        ctx.progress(0.95 * done / total, _l("已完成 %(done)d / %(n)d 个报表：%(title)s", done=done, n=total,
                                               title=figure.title))

    sheets = statistics_export.write_all_figures(ctx.session, ctx.actor, filters, str(ctx.output_path),
                                                 on_figure=on_figure)
    city = statistics_export.scope_city_name(ctx.session, ctx.actor, filters)
    ctx.session.rollback()
    name = f"{_l('统计报表')}-{city or _l('全省')}-{today():%Y%m%d}.xlsx"
    return JobOutput(name, XLSX, message=_l("共 %(n)d 个报表", n=sheets), result={"sheets": sheets})


register("trainee_export", _l("单位培训人员名单"), run_trainee_export)
register("claim_roster_pdf", _l("补贴花名册（PDF）"), run_claim_roster_pdf)
register("import_confirm", _l("确认导入"), run_import_confirm)
register("statistics_xlsx", _l("统计报表（全部）"), run_statistics_xlsx)

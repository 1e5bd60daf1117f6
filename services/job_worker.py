"""``flask --app app jobs worker`` and ``flask --app app jobs cleanup`` (DESIGN §9, README "Background jobs").

- ``jobs worker [--burst]``: an RQ worker on ``JOBS_QUEUE`` of ``JOBS_REDIS_URL``, inside the app context (the same
  ``services.jobs.run_job`` the embedded worker thread runs). It runs on any host that reaches the database, Redis
  and ``JOB_FILES_DIR``; start as many as wanted (each runs one job at a time). rq's ``SimpleWorker`` runs the job
  in the worker process itself (no fork: the app's database pool and context stay valid); a job killed by rq's
  time limit (``JOB_TIMEOUT_SECONDS``) or a worker killed outright leaves the job RUNNING without heartbeat, which
  ``fail_stale`` turns FAILED after ``JOB_STALE_SECONDS``. ``--burst``: stop when the queue is empty.
- ``jobs cleanup``: delete expired jobs and their files, fail stale jobs, remove orphaned files (run it daily from
  cron; starting a job also does it when something is due).
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from models.base import db
from services import jobs


def register_job_commands(app: Flask) -> None:
    group = AppGroup("jobs", help="后台任务：worker（RQ 工作进程）与 cleanup（清理过期任务）")

    @group.command("worker")
    @click.option("--burst", is_flag=True, help="队列为空时退出（测试、批处理）")
    def worker(burst: bool) -> None:
        """Run an RQ worker for the jobs queue (needs JOBS_REDIS_URL)."""
        from rq import SimpleWorker

        from services import job_kinds  # noqa: F401 - the kinds registered before the first job

        config = current_app.config
        if not config.get("JOBS_REDIS_URL"):
            raise click.ClickException("JOBS_REDIS_URL 未配置：未配置时任务由应用进程内的工作线程执行，无需单独的 worker")
        queue = jobs.rq_queue(current_app)
        SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=False)

    @group.command("cleanup")
    def cleanup() -> None:
        """Delete expired jobs and files; mark stale RUNNING jobs FAILED."""
        counts = jobs.cleanup(db.session)
        click.echo(f"expired jobs deleted: {counts['expired']}; stale jobs failed: {counts['stale']}; "
                   f"orphaned files removed: {counts['orphans']}")

    app.cli.add_command(group)

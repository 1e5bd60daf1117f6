"""Job files in the object store (``JOB_FILES_STORE=s3``, services/job_files.py; issue 15: workers on several hosts
without a shared volume), against a real S3-compatible HTTP server (moto, as tests/test_storage.py):

- an export run by an RQ worker *process* whose ``JOB_FILES_DIR`` is not the web app's (another host, in effect):
  the result is the object ``jobs/<id>``, on neither host's disk, and the web app downloads it;
- an import confirmation: the web app keeps the uploaded workbook as ``jobs/<id>.input``, the job reads it and
  removes it;
- retention: ``jobs cleanup`` deletes an expired job's object and an orphaned object;
- a misconfiguration stops the start; an object gone answers 404, the store unreachable 503 with a Chinese message.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from models.base import db, utcnow
from models.job import Job
from services import job_files
from tests.conftest import ROOT
from tests.test_imports import count_rows, make_filing
from tests.test_jobs import (_import_params, _workbook, add_trainees, job_files_dir, job_row, new_job, rq_mode,  # noqa: F401
                             run_now, sheet_rows, wait_finished)
from tests.test_storage import new_bucket, s3_client, s3_endpoint  # noqa: F401  (fixtures)


@pytest.fixture
def s3_jobs(app, monkeypatch, new_bucket):  # noqa: F811
    """Job files of this test in a fresh bucket; returns (bucket name, boto3 client)."""
    for name, value in new_bucket.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.config, "JOB_FILES_STORE", "s3")
    return new_bucket["S3_BUCKET"], s3_client(new_bucket["S3_ENDPOINT_URL"])


def objects(client, bucket: str) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])}


def test_a_worker_on_another_host_writes_the_result_to_the_store(app, api, rq_mode, s3_jobs, tmp_path):  # noqa: F811
    bucket, client = s3_jobs
    url, queue_name = rq_mode
    filing_id, numbers = add_trainees(app, "ent_gz", 25)
    response = api("ent_gz").post("/api/v1/trainee/export", json={"filing_no": f"-{filing_id:06d}"})
    assert response.status_code == 202, response.get_data(as_text=True)
    job_id = response.get_json()["job_id"]

    worker_dir = tmp_path / "worker_host"  # the worker's own scratch: not the web app's JOB_FILES_DIR
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "JOBS_REDIS_URL": url,
           "JOBS_QUEUE": queue_name, "JOB_FILES_DIR": str(worker_dir), "JOB_FILES_STORE": "s3",
           "PYTHONPATH": str(ROOT), **{name: str(app.config[name]) for name in (
               "S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION")}}
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]
    assert job_row(app, job_id)["status"] == "DONE", worker.stderr[-2000:]

    assert objects(client, bucket) == {f"jobs/{job_id}"}
    web_dir = Path(app.config["JOB_FILES_DIR"])
    leftovers = [p.name for d in (web_dir, worker_dir) if d.exists() for p in d.iterdir()]
    assert leftovers == [], leftovers  # no result, .part or scratch directory on either host
    download = api("ent_gz").get(f"/api/v1/job/{job_id}/download")
    assert download.status_code == 200 and download.headers["Cache-Control"] == "private, no-store"
    assert int(download.headers["Content-Length"]) == job_row(app, job_id)["size"] == len(download.data)
    assert {row[1] for row in sheet_rows(download.data)[1:]} == numbers
    assert api("ent_sz").get(f"/api/v1/job/{job_id}/download").status_code == 404


def test_an_import_confirmation_reads_its_input_from_the_store(app, s3_jobs):
    bucket, client = s3_jobs
    filing_id = make_filing(app)
    public_id = new_job(app, "ent_gz", "import_confirm", _import_params(filing_id), content=_workbook(7))
    assert objects(client, bucket) == {f"jobs/{public_id}.input"}
    assert not any(Path(app.config["JOB_FILES_DIR"]).glob(f"{public_id}*"))
    assert run_now(app, public_id) == "DONE"
    assert count_rows(app, "trainee", filing_id) == 7
    assert objects(client, bucket) == set()  # the input is removed once read; an import leaves no result file


def test_cleanup_removes_expired_and_orphaned_objects(app, s3_jobs):
    bucket, client = s3_jobs
    kept, expired = new_job(app, "ent_gz", "trainee_export", {}), new_job(app, "ent_sz", "trainee_export", {})
    for public_id in (kept, expired):
        assert run_now(app, public_id) == "DONE"
    orphan = uuid.uuid4().hex
    client.put_object(Bucket=bucket, Key=f"jobs/{orphan}", Body=b"left by a crash")
    client.put_object(Bucket=bucket, Key="jobs/not-a-job-file", Body=b"someone else's")
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == expired)).one()
        job.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        known = set(db.session.scalars(select(Job.public_id)))
        assert job_files.orphans(known) == []  # just written: younger than an hour, never taken for an orphan
        assert job_files.orphans(known - {expired}, min_age=-60) == sorted({orphan, expired})
        db.session.remove()
    result = app.test_cli_runner().invoke(args=["jobs", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "expired jobs deleted: 1" in result.output
    assert objects(client, bucket) == {f"jobs/{kept}", f"jobs/{orphan}", "jobs/not-a-job-file"}
    with app.app_context():
        job_files.delete(orphan)
    assert objects(client, bucket) == {f"jobs/{kept}", "jobs/not-a-job-file"}


def test_missing_object_is_404_and_an_unreachable_store_503(app, api, s3_jobs, monkeypatch):
    bucket, client = s3_jobs
    public_id = new_job(app, "ent_gz", "trainee_export", {})
    assert run_now(app, public_id) == "DONE"
    assert api("ent_gz").get(f"/api/v1/job/{public_id}/download").status_code == 200
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", "http://127.0.0.1:1")  # nothing listens there
    down = api("ent_gz").get(f"/api/v1/job/{public_id}/download")
    assert down.status_code == 503 and "稍后重试" in down.get_json()["message"]
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_jobs[1].meta.endpoint_url)
    client.delete_object(Bucket=bucket, Key=f"jobs/{public_id}")
    gone = api("ent_gz").get(f"/api/v1/job/{public_id}/download")
    assert gone.status_code == 404 and "已过期删除" in gone.get_json()["message"]


@pytest.mark.parametrize("settings,message", [
    ({"JOB_FILES_STORE": "s3"}, "S3_BUCKET is not set"),
    ({"JOB_FILES_STORE": "ftp"}, "JOB_FILES_STORE='ftp'"),
])
def test_a_wrong_setting_stops_the_start(app, settings, message):
    from app import create_app

    with pytest.raises(RuntimeError, match=message):
        create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                    "S3_BUCKET": "", **settings})

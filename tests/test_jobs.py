"""Background jobs (DESIGN §9, §10; issue 15): the runner in both modes (the app's worker thread; an RQ worker in a
``flask --app app jobs worker --burst`` subprocess against real Redis), QUEUED → RUNNING → DONE with progress, the
file for its requester only, FAILED with a Chinese message, stale RUNNING recovery, retention cleanup (command and
opportunistic), the enterprise scope inside the job, import_confirm re-checking the filing's state under its lock,
the large roster PDF as a job, 我的下载, /health, and the API contract (202, 401, 404, 422) in OpenAPI.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import create_engine, func, insert, select

from models.audit import AuditEvent
from models.base import db, utcnow
from models.filing import Filing, Trainee
from models.job import Job
from services import job_files, jobs
from tests import factories
from tests.conftest import ROOT, login
from tests.test_claim_documents import make_claim
from tests.test_imports import TRAINEE_HEADERS, check, count_rows, hidden, make_filing, token, trainee_line, xlsx

REDIS_DB = 7  # this suite's own Redis database number (the server is shared); keys are prefixed per run


@pytest.fixture(autouse=True)
def job_files_dir(app, tmp_path, monkeypatch):
    """Every test writes job files into a directory of its own; jobs are quick (no heartbeat throttling)."""
    monkeypatch.setitem(app.config, "JOB_FILES_DIR", str(tmp_path / "job_files"))
    monkeypatch.setitem(app.config, "JOB_HEARTBEAT_SECONDS", 0)
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "")
    yield tmp_path / "job_files"
    wait_idle(app)  # no job of this test may still run when the next test resets the database


def wait_idle(app, timeout: float = 60) -> None:
    worker = app.extensions.get("jobs_local_worker")
    end = time.monotonic() + timeout
    while worker is not None and not worker.idle():
        assert time.monotonic() < end, "the worker thread did not finish its jobs"
        time.sleep(0.05)


def job_row(app, public_id: str) -> dict:
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == public_id)).one_or_none()
        found = None if job is None else {c.name: getattr(job, c.name) for c in Job.__table__.columns}
        db.session.remove()
        return found


def wait_finished(app, public_id: str, timeout: float = 60) -> dict:
    end = time.monotonic() + timeout
    while True:
        row = job_row(app, public_id)
        if row is not None and row["status"] in ("DONE", "FAILED"):
            return row
        assert time.monotonic() < end, f"job {public_id} did not finish: {row}"
        time.sleep(0.05)


def sheet_rows(data: bytes) -> list[list]:
    return [[c.value for c in row] for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()]


def add_trainees(app, username: str, count: int) -> tuple[int, set[str]]:
    """An APPROVED filing of ``username``'s enterprise with ``count`` trainees (one bulk INSERT)."""
    with app.app_context():
        ent = factories.demo_enterprise(username)
        filing = factories.complete_filing(ent.id, status="APPROVED", trainees=1)
        filing.filing_no = f"XT{ent.city_code}-2026-{filing.id:06d}"
        numbers = [factories.id_number(birth=f"197001{1 + i // 500:02d}", seq=i % 500) for i in range(count)]
        db.session.execute(insert(Trainee), [
            {"filing_id": filing.id, "name": f"批量学员{i}", "id_number": n, "gender": "M", "phone": "13700137000",
             "education": "SENIOR_HIGH", "status": "ACTIVE", "created_at": utcnow()} for i, n in enumerate(numbers)])
        db.session.commit()
        return filing.id, set(numbers) | {filing.trainees[0].id_number}


def scope_numbers(app, username: str) -> set[str]:
    with app.app_context():
        ent = factories.demo_enterprise(username)
        return set(db.session.scalars(select(Trainee.id_number).join(Filing).where(Filing.enterprise_id == ent.id)))


def new_job(app, username: str, kind: str, params: dict, *, content: bytes | None = None) -> str:
    """A QUEUED job created through the action (not handed to any worker)."""
    from actions.jobs import create_job

    with app.app_context():
        job = create_job(db.session, factories.actor(username), kind, kind, params, retention_days=7)
        db.session.commit()
        if content is not None:
            job_files.save_input(job.public_id, content)
        public_id = job.public_id
        db.session.remove()
        return public_id


def run_now(app, public_id: str):
    with app.app_context():
        return jobs.run_job(public_id)


# ---------------------------------------------------------------------------------------------------------
# Thread mode: the API from POST to download
# ---------------------------------------------------------------------------------------------------------


def test_export_job_thread_mode_and_requester_only(app, api, client):
    filing_id, numbers = add_trainees(app, "ent_gz", 30)
    ent_gz = api("ent_gz")
    response = ent_gz.post("/api/v1/trainee/export", json={"filing_no": f"-{filing_id:06d}"})
    assert response.status_code == 202, response.get_data(as_text=True)
    job_id = response.get_json()["job_id"]
    assert len(job_id) == 32 and response.get_json()["status_url"] == f"/api/v1/job/{job_id}"
    first = ent_gz.get(f"/api/v1/job/{job_id}").get_json()
    assert first["status"] in ("QUEUED", "RUNNING", "DONE") and 0 <= first["progress"] <= 1
    wait_finished(app, job_id)

    answer = ent_gz.get(f"/api/v1/job/{job_id}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert (body["status"], body["progress"], body["result"]) == ("DONE", 1.0, {"count": 31}), body["message"]
    assert body["message"] == "共导出 31 人" and body["download_url"] == f"/api/v1/job/{job_id}/download"
    download = ent_gz.get(body["download_url"])
    assert download.status_code == 200 and download.headers["Cache-Control"] == "private, no-store"
    assert "filename*=UTF-8''%E5%8D%95%E4%BD%8D" in download.headers["Content-Disposition"]  # 单位培训人员名单_…
    rows = sheet_rows(download.data)
    assert rows[0][:2] == ["姓名", "身份证号码"] and {r[1] for r in rows[1:]} == numbers

    # Only the requester: another enterprise, a reviewer of the same city, the admin — 404 like a missing id.
    for other in ("ent_sz", "gz_reviewer", "admin"):
        assert api(other).get(f"/api/v1/job/{job_id}").status_code == 404, other
        assert api(other).get(f"/api/v1/job/{job_id}/download").status_code == 404, other
    assert ent_gz.get(f"/api/v1/job/{uuid.uuid4().hex}").status_code == 404
    assert ent_gz.get("/api/v1/job/not-a-job-id").status_code == 404
    assert client.get(f"/api/v1/job/{job_id}").status_code == 401
    assert client.get(f"/api/v1/job/{job_id}/download").status_code == 401
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "job_create")).one()
        assert event.actor_name == "ent_gz" and event.diff["kind"] == "trainee_export"


def test_queued_running_done_with_progress(app, monkeypatch):
    """The runner itself: QUEUED before, RUNNING while the kind reports progress (visible to other connections
    while the export's read is open), DONE at 1.0 with the file."""
    add_trainees(app, "ent_gz", 4500)
    public_id = new_job(app, "ent_gz", "trainee_export", {})
    assert job_row(app, public_id)["status"] == "QUEUED"
    seen = []
    original = jobs.write_progress

    def spy(job_id, fraction, message):
        original(job_id, fraction, message)
        with create_engine(app.config["SQLALCHEMY_DATABASE_URI"]).connect() as conn:  # another connection
            seen.append(tuple(conn.execute(select(Job.status, Job.progress).where(Job.id == job_id)).one()))

    monkeypatch.setattr(jobs, "write_progress", spy)
    assert run_now(app, public_id) == "DONE"
    assert seen[0] == ("RUNNING", 0.0)
    fractions = [f for _status, f in seen]
    assert {s for s, _f in seen} == {"RUNNING"} and fractions == sorted(fractions) and 0.3 < fractions[-1] < 1
    assert len(seen) >= 3  # the start, then every 2,000 rows of 4,5xx
    row = job_row(app, public_id)
    assert (row["status"], row["progress"], row["file_name"][-5:]) == ("DONE", 1.0, ".xlsx")
    assert row["started_at"] <= row["finished_at"] and row["size"] == (Path(app.config["JOB_FILES_DIR"])
                                                                        / public_id).stat().st_size
    # its scratch (xlsxwriter's row files) lived in the job's own directory, removed with the job's input
    assert sorted(p.name for p in Path(app.config["JOB_FILES_DIR"]).iterdir()) == [public_id]
    assert run_now(app, public_id) is None  # a finished job is never run again


def test_scope_inside_the_job(app):
    """The job runs as its requester: ent_gz's export never holds ent_sz's trainees, and the reverse."""
    add_trainees(app, "ent_sz", 5)
    exports = {}
    for username in ("ent_gz", "ent_sz"):
        public_id = new_job(app, username, "trainee_export", {})
        assert run_now(app, public_id) == "DONE"
        with app.app_context(), job_files.open_file(public_id) as fh:
            exports[username] = {r[1] for r in sheet_rows(fh.read())[1:]}
    gz, sz = scope_numbers(app, "ent_gz"), scope_numbers(app, "ent_sz")
    assert exports["ent_gz"] == gz and exports["ent_sz"] == sz and not gz & sz


def test_scope_is_taken_from_the_user_at_run_time(app):
    public_id = new_job(app, "ent_gz", "trainee_export", {})
    with app.app_context():
        from models.security import AppUser

        db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one().active = False
        db.session.commit()
    assert run_now(app, public_id) == "FAILED"
    row = job_row(app, public_id)
    assert row["message"] == "发起任务的账号已停用，任务未执行" and row["file_name"] is None


def test_failed_with_a_message_when_the_kind_raises(app, api, monkeypatch):
    from core.errors import FieldInvalid

    def refuse(ctx):
        ctx.progress(0.5, "半途")
        ctx.output_path.write_bytes(b"partial")
        raise FieldInvalid("file", "测试：规则不通过")

    def crash(ctx):
        raise RuntimeError("boom")

    monkeypatch.setitem(jobs.KINDS, "refuse", jobs.JobKind("refuse", "refuse", refuse))
    monkeypatch.setitem(jobs.KINDS, "crash", jobs.JobKind("crash", "crash", crash))
    refused, crashed = new_job(app, "ent_gz", "refuse", {}), new_job(app, "ent_gz", "crash", {})
    assert run_now(app, refused) == run_now(app, crashed) == "FAILED"
    body = api("ent_gz").get(f"/api/v1/job/{refused}").get_json()
    assert (body["status"], body["message"], body["download_url"]) == ("FAILED", "测试：规则不通过", None)
    assert body["result"]["errors"][0]["field"] == "file"
    assert api("ent_gz").get(f"/api/v1/job/{crashed}").get_json()["message"].startswith("处理时出现错误")
    assert not any(Path(app.config["JOB_FILES_DIR"]).iterdir())  # the partial file is gone
    assert api("ent_gz").get(f"/api/v1/job/{refused}/download").status_code == 404


def test_stale_running_job_is_failed(app, api):
    """A worker killed mid-job stops its heartbeat: after JOB_STALE_SECONDS the job reads FAILED (GET, the list,
    ``flask jobs cleanup``); a live one is left alone."""
    stale, live = new_job(app, "ent_gz", "trainee_export", {}), new_job(app, "ent_gz", "trainee_export", {})
    with app.app_context():
        old = utcnow() - timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 5)
        for public_id, beat in ((stale, old), (live, utcnow())):
            job = db.session.scalars(select(Job).where(Job.public_id == public_id)).one()
            job.status, job.started_at, job.heartbeat_at = "RUNNING", old, beat
        db.session.commit()
    body = api("ent_gz").get(f"/api/v1/job/{stale}").get_json()
    assert (body["status"], body["message"]) == ("FAILED", "任务处理中断（处理进程已停止），请重新发起")
    assert api("ent_gz").get(f"/api/v1/job/{live}").get_json()["status"] == "RUNNING"
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == live)).one()
        job.heartbeat_at = old
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["jobs", "cleanup"])
    assert result.exit_code == 0 and "stale jobs failed: 1" in result.output
    assert job_row(app, live)["status"] == "FAILED"


def test_heartbeat_while_a_kind_reports_nothing(app, monkeypatch):
    """A long step without progress (a big PDF render) keeps the heartbeat fresh, so it is not taken for dead."""
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", 4)  # a beat every second
    beats = []

    def silent(ctx):
        engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            for _ in range(3):
                with engine.connect() as conn:
                    beats.append(conn.execute(select(Job.heartbeat_at).where(Job.id == ctx.job_id)).scalar())
                time.sleep(1.3)
        finally:
            engine.dispose()
        return jobs.JobOutput(message="完成")

    monkeypatch.setitem(jobs.KINDS, "silent", jobs.JobKind("silent", "silent", silent))
    public_id = new_job(app, "ent_gz", "silent", {})
    assert run_now(app, public_id) == "DONE"
    assert beats[0] < beats[-1] and job_row(app, public_id)["message"] == "完成"


def test_retention_cleanup_command_and_opportunistic(app, api):
    kept, expired = new_job(app, "ent_gz", "trainee_export", {}), new_job(app, "ent_sz", "trainee_export", {})
    for public_id in (kept, expired):
        assert run_now(app, public_id) == "DONE"
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == expired)).one()
        job.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        orphan = uuid.uuid4().hex
        (job_files.files_dir() / orphan).write_bytes(b"left by a crash")
        os.utime(job_files.files_dir() / orphan, (time.time() - 7200, time.time() - 7200))
    result = app.test_cli_runner().invoke(args=["jobs", "cleanup"])
    assert result.exit_code == 0, result.output
    assert "expired jobs deleted: 1" in result.output and "orphaned files removed: 1" in result.output
    assert job_row(app, expired) is None and job_row(app, kept) is not None
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "job_expire")).one()
        assert event.diff == {"count": 1, "jobs": [expired]} and event.actor_name == "system"
    names = {p.name for p in Path(app.config["JOB_FILES_DIR"]).iterdir()}
    assert names == {kept}

    # Opportunistic: starting a job deletes what has expired meanwhile.
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == kept)).one()
        job.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = api("ent_gz").post("/api/v1/trainee/export", json={})
    assert response.status_code == 202
    wait_finished(app, response.get_json()["job_id"])
    assert job_row(app, kept) is None and not (Path(app.config["JOB_FILES_DIR"]) / kept).exists()
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.public_id == response.get_json()["job_id"])).one()
        assert timedelta(days=6, hours=23) < job.expires_at - job.created_at <= timedelta(days=7)


# ---------------------------------------------------------------------------------------------------------
# import_confirm: state re-checked under the lock, all or nothing
# ---------------------------------------------------------------------------------------------------------


def _workbook(count: int) -> bytes:
    return xlsx([TRAINEE_HEADERS] + [trainee_line(factories.id_number(birth="19960101", seq=i), name=f"导入{i}")
                                     for i in range(count)])


def _import_params(filing_id: int) -> dict:
    return {"filing_id": filing_id, "kind": "trainee", "file_name": "roster.xlsx",
            "limits": {"max_rows": 10000, "max_bytes": 10 * 1024 * 1024, "max_uncompressed": 100 * 1024 * 1024}}


def test_import_confirm_job_imports_all_rows(app):
    filing_id = make_filing(app)
    public_id = new_job(app, "ent_gz", "import_confirm", _import_params(filing_id), content=_workbook(12))
    assert run_now(app, public_id) == "DONE"
    row = job_row(app, public_id)
    assert row["message"] == "已成功导入 12 条培训人员信息" and row["result"]["count"] == 12
    assert count_rows(app, "trainee", filing_id) == 12
    assert not (Path(app.config["JOB_FILES_DIR"]) / f"{public_id}.input").exists()
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "import")).one()
        assert event.diff["count"] == 12 and event.diff["source"]["job"] == public_id


def test_import_confirm_job_rechecks_the_filing_state(app):
    """The filing was submitted between the check and the job: FAILED with the reason, nothing imported."""
    filing_id = make_filing(app)
    public_id = new_job(app, "ent_gz", "import_confirm", _import_params(filing_id), content=_workbook(5))
    with app.app_context():
        db.session.get(Filing, filing_id).status = "SUBMITTED"
        db.session.commit()
    assert run_now(app, public_id) == "FAILED"
    assert "不能修改" in job_row(app, public_id)["message"] or "当前状态" in job_row(app, public_id)["message"]
    assert count_rows(app, "trainee", filing_id) == 0


def test_import_confirm_job_is_all_or_nothing(app):
    """A person imported elsewhere meanwhile (R9 checked again in the job): FAILED with the row, nothing stored."""
    filing_id = make_filing(app, complete=True)  # class dates: R9 compares periods (two trainees already)
    content = _workbook(6)
    public_id = new_job(app, "ent_gz", "import_confirm", _import_params(filing_id), content=content)
    taken = trainee_line(factories.id_number(birth="19960101", seq=3))[1]
    with app.app_context():
        other = factories.complete_filing(factories.demo_enterprise("ent_sz").id, status="APPROVED",
                                          id_numbers=[taken], trainees=1)
        db.session.commit()
        assert other.id
    assert run_now(app, public_id) == "FAILED"
    row = job_row(app, public_id)
    assert row["result"]["errors"][0]["row"] == 5 and row["result"]["error_total"] == 1
    assert count_rows(app, "trainee", filing_id) == 2


def test_large_confirm_on_the_screen_runs_as_a_job(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_DIRECT_MAX_ROWS", 3)
    filing_id = make_filing(app)
    assert login(client, "ent_gz").status_code == 302
    html = check(client, filing_id, "trainee", _workbook(4)).get_data(as_text=True)
    assert hidden(html, "row_count") == "4"
    response = client.post(f"/filing/{filing_id}/import/trainee", data={
        "csrf_token": token(client), "action": "confirm", "content": hidden(html, "content"),
        "file_name": hidden(html, "file_name"), "row_count": hidden(html, "row_count")})
    assert response.status_code == 302 and response.headers["Location"].startswith("/downloads/")
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    wait_finished(app, public_id)
    done = client.get(f"/downloads/{public_id}")
    assert done.status_code == 302 and done.headers["Location"] == f"/filing/{filing_id}/trainees"
    assert "已成功导入 4 条培训人员信息" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert count_rows(app, "trainee", filing_id) == 4


# ---------------------------------------------------------------------------------------------------------
# claim_roster_pdf
# ---------------------------------------------------------------------------------------------------------


def test_large_roster_pdf_is_a_job(app, api, client, monkeypatch):
    monkeypatch.setitem(app.config, "ROSTER_DIRECT_MAX_PERSONS", 2)
    with app.app_context():
        claim_id = make_claim(persons=3)
    refused = api("ent_gz").get(f"/api/v1/subsidy_claim/{claim_id}/roster.pdf")
    assert refused.status_code == 422 and "roster.pdf/job" in refused.get_json()["message"]
    assert api("ent_sz").post(f"/api/v1/subsidy_claim/{claim_id}/roster.pdf/job").status_code == 404
    started = api("ent_gz").post(f"/api/v1/subsidy_claim/{claim_id}/roster.pdf/job")
    assert started.status_code == 202
    row = wait_finished(app, started.get_json()["job_id"])
    assert (row["status"], row["file_name"], row["media_type"]) == ("DONE", f"补贴花名册-{claim_id}.pdf",
                                                                    "application/pdf")
    pdf = api("ent_gz").get(f"/api/v1/job/{row['public_id']}/download")
    assert pdf.status_code == 200 and pdf.data[:4] == b"%PDF"

    assert login(client, "ent_gz").status_code == 302
    page = client.get(f"/claims/{claim_id}/unit").get_data(as_text=True)
    assert f'action="/claims/{claim_id}/roster.pdf/job"' in page
    response = client.post(f"/claims/{claim_id}/roster.pdf/job", data={"csrf_token": token(client)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/downloads/")
    wait_finished(app, response.headers["Location"].rsplit("/", 1)[1])


# ---------------------------------------------------------------------------------------------------------
# 我的下载
# ---------------------------------------------------------------------------------------------------------


def test_downloads_screen_lists_own_jobs_and_deletes_with_audit(app, client):
    mine, theirs = new_job(app, "ent_gz", "trainee_export", {}), new_job(app, "ent_sz", "trainee_export", {})
    for public_id in (mine, theirs):
        run_now(app, public_id)
    assert login(client, "ent_gz").status_code == 302
    html = client.get("/downloads/").get_data(as_text=True)
    assert mine in html and theirs not in html
    assert 'role="progressbar"' in html and 'aria-valuenow="100"' in html and "保留至" in html
    assert client.get(f"/downloads/{theirs}").status_code == 404
    assert client.post(f"/downloads/{theirs}/delete", data={"csrf_token": token(client)}).status_code == 404
    assert client.post(f"/downloads/{mine}/delete").status_code == 400  # no CSRF token
    progress = client.get(f"/downloads/{mine}").get_data(as_text=True)
    assert f'href="/api/v1/job/{mine}/download"' in progress and "已完成" in progress
    assert client.post(f"/downloads/{mine}/delete", data={"csrf_token": token(client)}).status_code == 302
    assert job_row(app, mine) is None and job_row(app, theirs) is not None
    assert not (Path(app.config["JOB_FILES_DIR"]) / mine).exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "job_delete", AuditEvent.actor_name == "ent_gz")) == 1


def test_screen_export_button_starts_a_job(app, client):
    assert login(client, "ent_gz").status_code == 302
    page = client.get("/enterprise/trainees/?name=学员").get_data(as_text=True)
    assert 'action="/enterprise/trainees/export"' in page and 'name="name" value="学员"' in page
    response = client.post("/enterprise/trainees/export", data={"csrf_token": token(client), "name": "学员"})
    assert response.status_code == 302
    public_id = response.headers["Location"].rsplit("/", 1)[1]
    row = wait_finished(app, public_id)
    assert row["params"] == {"name": "学员", "programme": "ENTERPRISE"} and row["status"] == "DONE"


def test_direct_export_refuses_beyond_its_limit(app, api, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRAINEE_EXPORT_DIRECT_MAX_ROWS", 1)
    refused = api("ent_gz").get("/api/v1/trainee/export.xlsx")
    assert refused.status_code == 422 and "POST /api/v1/trainee/export" in refused.get_json()["message"]
    assert login(client, "ent_gz").status_code == 302
    response = client.get("/enterprise/trainees/export.xlsx")
    assert response.status_code == 302 and response.headers["Location"].startswith("/enterprise/trainees/")


# ---------------------------------------------------------------------------------------------------------
# API contract
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body,field", [
    ([1, 2], None), ({"name": 5}, "name"), ({"date_from": "2027-02-30"}, "date_from"),
    ({"status": ["ACTIVE"]}, "status"),
])
def test_export_body_is_checked(app, api, body, field):
    response = api("ent_gz").post("/api/v1/trainee/export", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    if field:
        assert response.get_json()["errors"][0]["field"] == field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_export_needs_a_token(client):
    assert client.post("/api/v1/trainee/export", json={}).status_code == 401


def test_openapi_documents_the_job_endpoints(api):
    paths = api("admin").get("/api/v1/_openapi").get_json()["paths"]
    assert {"202", "401", "422"} <= set(paths["/api/v1/trainee/export"]["post"]["responses"])
    assert {"200", "401", "404"} <= set(paths["/api/v1/job/{job_id}"]["get"]["responses"])
    assert {"200", "401", "404"} <= set(paths["/api/v1/job/{job_id}/download"]["get"]["responses"])
    assert {"202", "404", "409"} <= set(paths["/api/v1/subsidy_claim/{pk}/roster.pdf/job"]["post"]["responses"])
    assert "422" in paths["/api/v1/trainee/export.xlsx"]["get"]["responses"]


# ---------------------------------------------------------------------------------------------------------
# /health
# ---------------------------------------------------------------------------------------------------------


def test_health(app, client, monkeypatch):
    from views import health

    ok = client.get("/health")
    assert ok.status_code == 200
    assert ok.get_json() == {"status": "ok", "checks": {"database": "ok", "redis": "not_configured"}, "failed": []}
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")
    assert client.get("/health").get_json()["checks"]["redis"] == "ok"

    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://:secret-password@127.0.0.1:1/0")
    bad_redis = client.get("/health")
    assert bad_redis.status_code == 503 and bad_redis.get_json()["failed"] == ["redis"]
    assert b"secret-password" not in bad_redis.data and b"127.0.0.1" not in bad_redis.data

    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "")
    unreachable = create_engine("postgresql+psycopg://nobody:dbsecret@127.0.0.1:1/nothing",
                                connect_args={"connect_timeout": 2})
    monkeypatch.setattr(health, "_database_engine", lambda: unreachable)
    bad_db = client.get("/health")
    assert bad_db.status_code == 503 and bad_db.get_json()["failed"] == ["database"]
    assert b"dbsecret" not in bad_db.data and b"nothing" not in bad_db.data


# ---------------------------------------------------------------------------------------------------------
# RQ mode: a real worker process (flask --app app jobs worker --burst) against Redis
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def rq_mode(app, monkeypatch):
    from redis import Redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    queue_name = f"test-jobs-{uuid.uuid4().hex[:12]}"  # this run's own queue: keys of other users untouched
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", url)
    monkeypatch.setitem(app.config, "JOBS_QUEUE", queue_name)
    yield url, queue_name
    queue = jobs.rq_queue(app)
    queue.delete(delete_jobs=True)
    Redis.from_url(url).close()


def test_rq_mode_with_a_worker_process(app, api, rq_mode):
    url, queue_name = rq_mode
    filing_id, numbers = add_trainees(app, "ent_gz", 20)
    response = api("ent_gz").post("/api/v1/trainee/export", json={"filing_no": f"-{filing_id:06d}"})
    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    time.sleep(0.3)
    assert job_row(app, job_id)["status"] == "QUEUED"  # no worker thread in RQ mode: it waits in Redis
    assert jobs.rq_queue(app).count == 1

    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "JOBS_REDIS_URL": url,
           "JOBS_QUEUE": queue_name, "JOB_FILES_DIR": app.config["JOB_FILES_DIR"], "PYTHONPATH": str(ROOT)}
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert worker.returncode == 0, worker.stderr[-2000:]
    row = job_row(app, job_id)
    assert row["status"] == "DONE", (row, worker.stderr[-2000:])
    download = api("ent_gz").get(f"/api/v1/job/{job_id}/download")
    assert {r[1] for r in sheet_rows(download.data)[1:]} == numbers
    assert api("ent_sz").get(f"/api/v1/job/{job_id}/download").status_code == 404


def test_rq_mode_queue_down_fails_the_job_cleanly(app, api, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_REDIS_URL", "redis://127.0.0.1:1/0")
    response = api("ent_gz").post("/api/v1/trainee/export", json={})
    assert response.status_code == 503 and response.get_json()["message"] == "任务队列暂时无法访问，请稍后重试"
    with app.app_context():
        job = db.session.scalars(select(Job)).one()
        assert (job.status, job.message) == ("FAILED", "任务队列暂时无法访问，请稍后重试")


def test_worker_command_needs_redis(app):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "JOBS_REDIS_URL" in result.output


def test_two_workers_never_run_one_job(app):
    public_id = new_job(app, "ent_gz", "trainee_export", {})
    assert run_now(app, public_id) == "DONE"
    assert run_now(app, public_id) is None


def test_progress_is_throttled(app, monkeypatch):
    calls = []
    monkeypatch.setattr(jobs, "write_progress", lambda *args: calls.append(args))
    progress = jobs.Progress(1, interval=60)
    for i in range(100):
        progress(i / 100, "x")
    progress(0.1)  # never goes back
    assert len(calls) == 1 and progress.fraction == 0.99
    progress(1.0, force=True)
    assert calls[-1][1] == 1.0

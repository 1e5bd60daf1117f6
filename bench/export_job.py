"""导出学员名单 as a background job at provincial scale (DESIGN §9): rows/s, wall time and peak RSS of the
``trainee_export`` job for a city's reviewer (about 100k trainees) and for the province (1M), each in a fresh
process, so the peak RSS of the two can be compared (flat memory: the 1M export must not need more).

It runs the job's kind exactly as a worker does (``services.job_kinds.run_trainee_export``: COUNT, then rows
streamed with ``yield_per`` — a server-side cursor — into xlsxwriter's constant-memory writer, progress every 2,000
rows) against a populated database, READ-ONLY (the session is opened with ``default_transaction_read_only``; no job
row is written, progress is recorded in memory). The file goes to a temp directory and is deleted.

    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale1m .venv/bin/python bench/export_job.py
    .venv/bin/python bench/export_job.py --database-url … --scopes city:4419,province

Needs a database seeded at provincial scale (``flask --app app seed scale``; e.g. ``scale1m`` with 1M trainees).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _actor(scope: str):
    from models.enums import RoleName
    from models.scope import Actor

    if scope == "province":
        return Actor(None, "bench-admin", RoleName.ADMIN)
    kind, _, code = scope.partition(":")
    if kind == "city":
        return Actor(None, f"bench-reviewer-{code}", RoleName.REVIEWER, city_code=code)
    raise SystemExit(f"unknown scope {scope!r} (province | city:<code>)")


def run_one(url: str, scope: str) -> dict:
    """One export in this process; returns the figures (and prints them as JSON for the parent)."""
    from app import create_app
    from models.base import db
    from services import job_kinds
    from services.jobs import JobContext

    scratch = tempfile.mkdtemp(prefix="export-job-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "JOB_FILES_DIR": scratch, "SQLALCHEMY_ENGINE_OPTIONS": {
        "connect_args": {"options": "-c default_transaction_read_only=on"}} if url.startswith("postgresql") else {}})
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    marks: list[tuple[float, float]] = []
    began = time.perf_counter()

    class Recorder:
        """``progress(fraction, message)`` as the job gets it, recorded in memory (no job row in a read-only DB)."""

        def __call__(self, fraction, message=None, *, force=False):
            marks.append((round(time.perf_counter() - began, 2), round(float(fraction), 4)))

    with app.app_context():
        out = Path(scratch) / "export.xlsx"
        ctx = JobContext(0, "0" * 32, {}, _actor(scope), db.session, Recorder(), out)
        try:
            output = job_kinds.run_trainee_export(ctx)
            wall = time.perf_counter() - began
            size = out.stat().st_size
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    rows = output.result["count"]
    figures = {"scope": scope, "rows": rows, "wall_s": round(wall, 2), "rows_per_s": round(rows / wall),
               "file_mb": round(size / 1024 / 1024, 1), "rss_before_mb": round(rss_before),
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "progress_updates": len(marks), "first_progress": marks[:2], "last_progress": marks[-1:]}
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    parser.add_argument("--scopes", default="city:4419,province", help="comma-separated: province, city:<code>")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url or BENCH_DATABASE_URL (a populated database, read only)")
    if args.one:
        print("RESULT " + json.dumps(run_one(args.database_url, args.one), ensure_ascii=False), flush=True)
        return
    results = []
    for scope in args.scopes.split(","):
        print(f"export as {scope} …", flush=True)
        done = subprocess.run([sys.executable, __file__, "--database-url", args.database_url, "--one", scope],
                              capture_output=True, text=True, cwd=ROOT)
        line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
        if done.returncode != 0 or line is None:
            print(done.stderr[-3000:])
            raise SystemExit(f"the export as {scope} failed")
        results.append(json.loads(line[len("RESULT "):]))
        print(f"  {results[-1]}", flush=True)  # each scope's figures as soon as they are known
    print()
    print(f"{'scope':14} {'rows':>9} {'wall s':>8} {'rows/s':>8} {'file MB':>8} {'RSS app MB':>11} "
          f"{'peak RSS MB':>12} {'progress':>9}")
    print("-" * 88)
    for r in results:
        print(f"{r['scope']:14} {r['rows']:9d} {r['wall_s']:8.1f} {r['rows_per_s']:8d} {r['file_mb']:8.1f} "
              f"{r['rss_before_mb']:11d} {r['peak_rss_mb']:12d} {r['progress_updates']:9d}")
    if len(results) > 1:
        small, large = results[0], results[-1]
        growth = large["peak_rss_mb"] - small["peak_rss_mb"]
        print(f"\npeak RSS {small['peak_rss_mb']} MB for {small['rows']:,} rows vs {large['peak_rss_mb']} MB for "
              f"{large['rows']:,} rows ({large['rows'] / max(small['rows'], 1):.1f}× the rows, {growth:+d} MB)")
    for r in results:
        print(f"{r['scope']}: progress at (s, fraction) {r['first_progress']} … {r['last_progress']}")


if __name__ == "__main__":
    main()

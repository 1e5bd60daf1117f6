"""Benchmarks of DESIGN §9 for Excel import and export, side by side in one run:

1. import of a 10,000-row trainee roster (the real template, filled by openpyxl) — read + validate with the
   forms' cleaners + R9 + store in one transaction + commit — vs python-calamine alone parsing the same file
   (target ≤ 2×); also the same import through the REST API (HTTP multipart upload, JWT);
2. export of 100,000 trainees (导出学员名单: query streamed from the database into xlsxwriter constant_memory)
   vs xlsxwriter constant_memory writing the same cell values from a list in memory (target ≤ 1.3×), with
   the peak Python memory of each (tracemalloc, separate runs) and the process's peak RSS.

Usage: ``.venv/bin/python bench/import_export.py`` (own SQLite database in a temp dir) or with
``DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db>`` (that database is emptied and rebuilt).
Options: ``--rows 10000 --export-rows 100000 --repeat 3 --export-repeat 3``.
"""
from __future__ import annotations

import argparse
import gc
import io
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def build_app(url: str):
    from flask_migrate import upgrade
    from sqlalchemy import create_engine, text

    from app import create_app

    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "DEMO_PASSWORD": "Demo@2026", "IMPORT_MAX_ROWS": 100_000,
                      "UPLOAD_MAX_BYTES": 50 * 1024 * 1024, "MAX_CONTENT_LENGTH": 60 * 1024 * 1024})
    with app.app_context():
        upgrade()
        from seed.commands import run_demo_seed

        run_demo_seed()
    return app


def roster_file(app, rows: int) -> bytes:
    """The trainee template of a 企业新型学徒制 filing, filled with ``rows`` people by openpyxl."""
    from types import SimpleNamespace

    import openpyxl

    from core.validators import complete_id_number
    from actions.specs import import_columns
    from imports.template import build_template

    with app.test_request_context():
        stub = SimpleNamespace(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", classes=[], teachers=[])
        content = build_template(None, stub, "trainee", import_columns("trainee", stub.apprenticeship_type), max_rows=rows)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    educations = ["初中及以下", "高中", "中专/中职/技工学校", "大专/高职", "本科"]
    for i in range(rows):
        birth = f"{1980 + i % 25}{1 + i % 12:02d}{1 + i % 28:02d}"
        number = complete_id_number(f"44{(i // 1000) % 100:02d}06{birth}{i % 1000:03d}")
        sheet.append([f"学员{i:05d}", number, None, f"138{i:08d}", educations[i % 5], date(2026, 1, 1),
                      date(2028, 12, 31), date(2026, 1, 1)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def new_filing(app) -> int:
    from models.base import db
    from tests import factories

    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        filing = factories.filing(ent.id)
        db.session.commit()
        return filing.id


def bench_import(app, rows: int, repeat: int) -> dict:
    import python_calamine

    from actions.imports import import_rows
    from imports.reader import read_workbook
    from actions.specs import import_columns
    from models.base import db
    from models.scope import Actor
    from models.security import AppUser

    content = roster_file(app, rows)
    print(f"  roster: {rows} rows, {len(content) / 1024:.0f} KiB", flush=True)

    def calamine_only():
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        book.get_sheet_by_name("培训人员信息").to_python(skip_empty_area=False)

    columns = import_columns("trainee", "NEW_APPRENTICE")
    limits = {"max_rows": 100_000, "max_bytes": 50 * 1024 * 1024, "max_uncompressed": 500 * 1024 * 1024}

    client = app.test_client()
    token = client.post("/api/v1/security/login", json={"username": "ent_gz", "password": "Demo@2026",
                                                        "provider": "db"}).get_json()["access_token"]

    # Runs alternate (parse, import, HTTP import, parse, …) so all see the same machine load and database
    # size; the best of each is reported.
    parses: list[float] = []
    http: list[float] = []
    timings: dict[str, list[float]] = {"read": [], "validate+store": [], "total": []}
    for _ in range(repeat):
        parses.append(best(calamine_only, 3))
        filing_id = new_filing(app)
        with app.test_request_context():
            user = db.session.query(AppUser).filter_by(username="ent_gz").one()
            actor = Actor.from_user(user)
            gc.collect()
            start = time.perf_counter()
            parsed = read_workbook(content, "roster.xlsx", columns, **limits)
            mid = time.perf_counter()
            result = import_rows(db.session, actor, filing_id, "trainee", parsed.rows, sheet=parsed.sheet)
            db.session.commit()
            end = time.perf_counter()
            assert result.count == rows, result
            db.session.remove()
        timings["read"].append(mid - start)
        timings["validate+store"].append(end - mid)
        timings["total"].append(end - start)
        # The same through the REST API: multipart upload, JWT, Flask, commit.
        filing_id = new_filing(app)
        gc.collect()
        start = time.perf_counter()
        response = client.post(f"/api/v1/filing/{filing_id}/import/trainee",
                               headers={"Authorization": f"Bearer {token}"},
                               data={"file": (io.BytesIO(content), "roster.xlsx")}, content_type="multipart/form-data")
        http.append(time.perf_counter() - start)
        assert response.status_code == 201, response.get_data(as_text=True)[:500]
    parse = min(parses)
    i = timings["total"].index(min(timings["total"]))
    return {"parse": parse, "read": timings["read"][i], "validate": timings["validate+store"][i],
            "total": timings["total"][i], "http": min(http), "size": len(content)}


EXPORT_USER = "bench_export"


def seed_trainees(app, count: int, per_filing: int = 1000) -> None:
    """A new enterprise (account ``bench_export``) with exactly ``count`` trainees in SUBMITTED filings (one
    class each), inserted in bulk; every 97th name looks like a formula (neutralised by the export)."""
    from sqlalchemy import insert

    from core.validators import complete_id_number
    from models.base import db, utcnow
    from models.filing import Trainee, TrainingClass
    from tests import factories

    with app.app_context():
        ent = factories.enterprise("基准测试单位")
        factories.user(EXPORT_USER, "企业用户", enterprise_id=ent.id)
        n = 0
        filing_no = 0
        while n < count:
            filing_no += 1
            filing = factories.filing(ent.id, status="SUBMITTED", filing_no=f"XT4401-2026-9{filing_no:05d}")
            db.session.add(TrainingClass(filing_id=filing.id, occupation_code="6-18-01-01", skill_level=4,
                                         start_date=date(2027, 3, 1), end_date=date(2028, 2, 29), hours=400,
                                         planned_headcount=per_filing))
            db.session.flush()
            batch = []
            for _ in range(min(per_filing, count - n)):
                birth = f"{1980 + n % 25}{1 + n % 12:02d}{1 + n % 28:02d}"
                number = complete_id_number(f"44{(n // 1000) % 100:02d}07{birth}{n % 1000:03d}")
                name = f"学员{n:06d}" if n % 97 else f"=HYPERLINK(\"x\",\"{n}\")"
                batch.append({"filing_id": filing.id, "name": name, "id_number": number, "gender": "M",
                              "birth_date": date(1995, 3, 7), "phone": f"139{n:08d}", "education": "SENIOR_HIGH",
                              "contract_start": date(2026, 1, 1), "contract_end": date(2028, 12, 31),
                              "hire_date": date(2026, 1, 1), "status": "ACTIVE", "created_at": utcnow()})
                n += 1
            db.session.execute(insert(Trainee), batch)
        db.session.commit()


def bench_export(app, repeat: int) -> dict:
    from queries import trainees as trainee_query
    from services import trainee_export
    from models.base import db
    from models.scope import Actor
    from models.security import AppUser

    def actor():
        return Actor.from_user(db.session.query(AppUser).filter_by(username=EXPORT_USER).one())

    filters = trainee_query.TraineeFilters()
    results = {}
    with app.test_request_context():
        a = actor()
        total = trainee_query.count_trainees(db.session, a, filters)
        # The cell values, materialised once (outside the timing) for the baseline.
        convert = trainee_export.ExportConverter()
        held = {"values": [convert(row) for row in db.session.execute(trainee_query.trainee_select(a, filters))]}
        db.session.rollback()

    def baseline():
        path = tempfile.mktemp(suffix=".xlsx")
        book, sheet, formats = trainee_export.open_export_workbook(path)
        trainee_export.write_rows(sheet, formats, held["values"])
        book.close()
        size = os.path.getsize(path)
        os.unlink(path)
        return size

    def export():
        with app.test_request_context():
            path, count = trainee_export.export_trainees(db.session, actor(), filters)
            db.session.rollback()
            size = os.path.getsize(path)
            os.unlink(path)
            db.session.remove()
        assert count == total
        return size

    def fetch_only():
        with app.test_request_context():
            for row in db.session.execute(trainee_query.trainee_select(actor(), filters),
                                          execution_options={"yield_per": 2000}):
                convert(row)
            db.session.rollback()
            db.session.remove()

    results["rows"] = total
    results["fetch"] = best(fetch_only, repeat)
    baselines, exports = [], []
    for _ in range(repeat):  # alternating, best of each
        baselines.append(best(baseline, 1))
        exports.append(best(export, 1))
    results["baseline"] = min(baselines)
    results["export"] = min(exports)
    # Peak Python memory (separate runs: tracemalloc slows everything down).
    held.clear()
    gc.collect()
    tracemalloc.start()
    export()
    results["export_peak"] = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with app.test_request_context():
        a = actor()
        tracemalloc.start()
        materialised = [convert(row) for row in db.session.execute(trainee_query.trainee_select(a, filters))]
        results["list_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del materialised
        db.session.rollback()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="import runs (best is reported)")
    parser.add_argument("--export-repeat", type=int, default=3, help="export runs (best is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        os.environ.setdefault("INSTANCE_PATH", tmp)
        print(f"database: {url.split('@')[-1] if '@' in url else url}", flush=True)
        app = build_app(url)
        print("import …", flush=True)
        imp = bench_import(app, args.rows, args.repeat)
        print("export: seeding trainees …", flush=True)
        seed_trainees(app, args.export_rows)
        print("export …", flush=True)
        exp = bench_export(app, args.export_repeat)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print()
    print(f"{'benchmark':58} {'seconds':>9} {'ratio':>7}  target")
    print("-" * 90)
    print(f"{'python-calamine alone: parse ' + str(args.rows) + '-row roster':58} {imp['parse']:9.3f} {1:7.2f}")
    print(f"{'import (read + validate + store + commit)':58} {imp['total']:9.3f} "
          f"{imp['total'] / imp['parse']:7.2f}  ≤ 2×  {'OK' if imp['total'] <= 2 * imp['parse'] else 'MISSED'}")
    print(f"{'   of which: read (checks + calamine + mapping)':58} {imp['read']:9.3f} {imp['read'] / imp['parse']:7.2f}")
    print(f"{'   of which: validate (cleaners, R9) + insert + commit':58} {imp['validate']:9.3f} "
          f"{imp['validate'] / imp['parse']:7.2f}")
    print(f"{'import through POST /api/v1/filing/<pk>/import/trainee':58} {imp['http']:9.3f} "
          f"{imp['http'] / imp['parse']:7.2f}")
    print(f"{'xlsxwriter constant_memory: write ' + str(exp['rows']) + ' rows from a list':58} "
          f"{exp['baseline']:9.3f} {1:7.2f}")
    print(f"{'导出学员名单 (query streamed → xlsxwriter constant_memory)':54} {exp['export']:9.3f} "
          f"{exp['export'] / exp['baseline']:7.2f}  ≤ 1.3× {'OK' if exp['export'] <= 1.3 * exp['baseline'] else 'MISSED'}")
    print(f"{'   of which: query streamed + cells converted (no writing)':58} {exp['fetch']:9.3f} "
          f"{exp['fetch'] / exp['baseline']:7.2f}")
    print("-" * 90)
    print(f"peak Python memory of the export (tracemalloc): {exp['export_peak'] / 1024 / 1024:.1f} MiB; "
          f"the same rows held in a list: {exp['list_peak'] / 1024 / 1024:.1f} MiB; process peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()

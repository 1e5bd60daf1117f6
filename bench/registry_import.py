"""Benchmark of the 职业工种 registry import (issue 14: "a 3,000-row file must go through in a few seconds"): a file in
the 国家职业分类大典 layout (3,000 职业 rows, a third with a 工种, plus the 大类/中类/小类 category rows), imported through
the REST API as the admin (HTTP multipart upload, JWT: read + check + store + audit + commit), side by side with
python-calamine alone parsing the same file; then the same file again (every row found and compared: 0 changes), and a
file that renames every 职业 (3,000 updates).

Usage: ``.venv/bin/python bench/registry_import.py`` (own SQLite database in a temp dir) or with
``DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/<db>`` (that database is emptied and rebuilt).
Options: ``--rows 3000 --repeat 3``.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def dadian_file(app, rows: int, suffix: str = "") -> bytes:
    """The 职业工种 template filled with ``rows`` 职业 (codes d-dd-dd-dd, 大类 1-8) and their category rows."""
    import openpyxl

    from imports import registry as layout

    with app.test_request_context():
        content = layout.template_bytes(None, "occupation", layout.columns("occupation"), max_rows=rows * 2,
                                        subtitle="bench")
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    seen_minor = set()
    for i in range(rows):
        # unique codes for up to 8 × 100 × 100 × 99 rows; about 50 职业 per 小类, as in the 大典
        rest = i // 8
        major, middle, minor, detail = 1 + i % 8, rest // 5000, rest // 50 % 100, rest % 50 + 1
        minor_code = f"{major}-{middle:02d}-{minor:02d}"
        if minor_code not in seen_minor:  # a 小类 heading row before its first 职业, as the 大典 lists them
            seen_minor.add(minor_code)
            sheet.append([None, None, None, minor_code, f"小类{minor_code}", None])
        sheet.append([str(major), f"{major}-{middle:02d}", minor_code, f"{minor_code}-{detail:02d}",
                      f"职业{i:05d}{suffix}", f"工种{i:05d}" if i % 3 == 0 else None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import python_calamine
    from sqlalchemy import delete, func, select

    from _common import seeded_app
    from models.base import db
    from models.lookups import Occupation

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        if url.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            engine = create_engine(url)
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            engine.dispose()
        app = seeded_app(url)
        app.config.update(WTF_CSRF_ENABLED=False, DEMO_PASSWORD="Demo@2026")
        content = dadian_file(app, args.rows)
        renamed = dadian_file(app, args.rows, suffix="（新）")
        print(f"database: {url.split('@')[-1]}; file: {args.rows} 职业 rows, {len(content) / 1024:.0f} KiB")

        start = time.perf_counter()
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        parsed_rows = len(book.get_sheet_by_name("职业工种").to_python(skip_empty_area=False))
        calamine = time.perf_counter() - start
        print(f"python-calamine alone: {calamine * 1000:.0f} ms ({parsed_rows} rows)")

        client = app.test_client()
        token = client.post("/api/v1/security/login", json={"username": "admin", "password": "Demo@2026",
                                                             "provider": "db"}).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        def post(data: bytes, dry_run: bool = False) -> tuple[float, dict]:
            start = time.perf_counter()
            answer = client.post("/api/v1/occupation/import" + ("?dry_run=1" if dry_run else ""), headers=headers,
                                 data={"file": (io.BytesIO(data), "大典.xlsx")}, content_type="multipart/form-data")
            elapsed = time.perf_counter() - start
            body = answer.get_json()
            assert answer.status_code in (200, 201), (answer.status_code, str(body)[:500])
            return elapsed, body

        def reset() -> None:
            with app.app_context():
                db.session.execute(delete(Occupation).where(Occupation.name.like("职业%")))
                db.session.commit()

        for label, data, dry, before in (("check (dry run), empty table", content, True, reset),
                                         ("import, 3,000 new 职业", content, False, reset),
                                         ("same file again (all unchanged)", content, False, None),
                                         ("renamed file (all updated)", renamed, False, None)):
            times = []
            body = {}
            for _ in range(args.repeat if before is not None else 1):
                if before is not None:
                    before()
                elapsed, body = post(data, dry)
                times.append(elapsed)
            best = min(times)
            print(f"{label}: {best * 1000:.0f} ms (best of {len(times)}; {best / calamine:.1f}× calamine) — "
                  f"created {body['created']}, updated {body['updated']}, unchanged {body['unchanged']}, "
                  f"skipped {body['skipped']}")
        with app.app_context():
            print("occupations stored:", db.session.scalar(select(func.count()).select_from(Occupation)))


if __name__ == "__main__":
    main()

"""Benchmark: 打印备案表 PDF render time for a filing with 50 and with 1,000 trainees (DESIGN §9 targets:
filing form with 50 trainees ≤ 1 s; roster of 1,000 persons ≤ 5 s).

Builds a throw-away database (SQLite in a temp dir, or ``BENCH_DATABASE_URL``; never point it at a database
you care about: the schema is migrated and demo data seeded), creates an APPROVED filing per size through the
real approve action, then times, per size: loading the filing with its rows, Jinja → HTML, WeasyPrint → PDF.
The first render of the process (font discovery, CSS parsing of the UA stylesheet) is reported separately as
"cold"; the figures compared with the targets are the median of the warm runs (wall clock), printed with the
process CPU time, which stays meaningful when other jobs share the machine.

Usage: ``.venv/bin/python bench/pdf_bench.py [--sizes 50,1000] [--runs 5]``
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGETS = {50: 1.0, 1000: 5.0}
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰伦", "吴晓东", "欧阳明", "徐静蕾"]


def _app(url: str):
    from bench._common import seeded_app

    return seeded_app(url)


def _approved_filing(n: int) -> int:
    """An APPROVED filing of ent_gz with ``n`` trainees (unique ID numbers), approved by gz_reviewer."""
    from actions import review
    from models.base import db
    from tests import factories

    ent = factories.demo_enterprise("ent_gz")
    # the sequence part of an ID number has 500 odd values per birth date: vary the birth date per block
    numbers = [factories.id_number(birth=f"1999{1 + i // 400:02d}01", seq=i % 400) for i in range(n)]
    filing = factories.complete_filing(ent.id, status="SUBMITTED", trainees=n, id_numbers=numbers)
    for i, trainee in enumerate(filing.trainees):
        trainee.name = NAMES[i % len(NAMES)]  # realistic 2–3 character names (they fit the column)
    db.session.commit()
    review.approve(db.session, factories.actor("gz_reviewer"), filing.id, "材料齐全，同意备案。")
    db.session.commit()
    return filing.id


def _load(filing_id: int):
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from models.base import db
    from models.filing import Filing, TrainingClass

    db.session.expunge_all()
    stmt = (select(Filing).where(Filing.id == filing_id)
            .options(selectinload(Filing.classes).selectinload(TrainingClass.courses),
                     selectinload(Filing.teachers), selectinload(Filing.trainees), selectinload(Filing.attachments),
                     selectinload(Filing.institution)))
    return db.session.scalars(stmt).unique().one()


def _pages(pdf: bytes) -> int:
    """Page count as poppler's pdfinfo reads it (poppler-utils, installed by scripts/setup.sh)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(pdf)
        tmp.flush()
        info = subprocess.run(["pdfinfo", tmp.name], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,1000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    import os

    from services import pdf as pdf_service

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        application = _app(url)
        with application.app_context():
            ids = {n: _approved_filing(n) for n in sizes}
            print(f"database: {url.split('@')[-1]}  runs per size: {args.runs} (+1 cold run of the process)")
            cold = True
            for n in sizes:
                loads, htmls, pdfs, totals, cpus = [], [], [], [], []
                pages = size = 0
                for run in range(args.runs + (1 if cold else 0)):
                    c0 = time.process_time()
                    t0 = time.perf_counter()
                    filing = _load(ids[n])
                    t1 = time.perf_counter()
                    html = pdf_service.render_form_html(filing)
                    t2 = time.perf_counter()
                    fetcher = pdf_service.LocalOnlyFetcher()
                    data = pdf_service.render_html(html, fetcher=fetcher)
                    t3 = time.perf_counter()
                    c3 = time.process_time()
                    assert not fetcher.refused, fetcher.refused
                    pages, size = _pages(data), len(data)
                    if cold:
                        print(f"  cold first render ({n} trainees): {t3 - t0:.3f} s")
                        cold = False
                        continue
                    loads.append(t1 - t0)
                    htmls.append(t2 - t1)
                    pdfs.append(t3 - t2)
                    totals.append(t3 - t0)
                    cpus.append(c3 - c0)
                med = statistics.median(totals)
                cpu = statistics.median(cpus)
                target = TARGETS.get(n)
                verdict = ""
                if target is not None:
                    verdict = f"target ≤ {target:.0f} s: " + ("OK" if med <= target else "MISSED")
                    if med > target >= cpu:
                        verdict += " (CPU time within target: the machine is busy)"
                print(f"{n:>5} trainees: median total {med:.3f} s (min {min(totals):.3f}, max {max(totals):.3f}, "
                      f"CPU {cpu:.3f} s); "
                      f"load {statistics.median(loads) * 1000:.0f} ms, jinja {statistics.median(htmls) * 1000:.0f} ms, "
                      f"weasyprint {statistics.median(pdfs):.3f} s; {pages} pages, {size / 1024:.0f} KiB  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

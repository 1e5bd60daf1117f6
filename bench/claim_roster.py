"""Benchmark: the documents of a subsidy claim (R23) — 花名册 PDF (DESIGN §9 target: 1,000 persons ≤ 5 s),
申请表 PDF and 花名册 xlsx.

Builds a throw-away database (SQLite in a temp dir, or ``BENCH_DATABASE_URL``; never point it at a database you
care about: the schema is migrated and demo data seeded), creates an APPROVED filing of ent_gz with N trainees and a
SUBMITTED claim of them (amounts set, half of them decided), then times each document: the roster PDF as the median
of ``--runs`` warm runs (after one cold render: font discovery, UA stylesheet), the form PDF and the xlsx likewise.
Wall clock and process CPU time are printed (CPU stays meaningful when other jobs share the machine).

Usage: ``.venv/bin/python bench/claim_roster.py [--persons 1000] [--runs 3]``
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_SECONDS = {1000: 5.0}
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰伦", "吴晓东", "欧阳明", "阿依古丽·买买提"]


def build_claim(persons: int) -> int:
    """A SUBMITTED 预拨 claim of ent_gz with ``persons`` persons (2,200.00 yuan each, every second one decided)."""
    from datetime import datetime

    from models.base import db
    from models.subsidy import SubsidyClaim, SubsidyClaimPerson
    from tests import factories

    ent = factories.demo_enterprise("ent_gz")
    # the sequence part of an ID number has 500 odd values per birth date: vary the birth date per block
    numbers = [factories.id_number(birth=f"1999{1 + i // 400:02d}01", seq=i % 400) for i in range(persons)]
    filing = factories.complete_filing(ent.id, status="APPROVED", trainees=persons, id_numbers=numbers)
    filing.filing_no = f"XT4401-2027-{filing.id:06d}"
    for i, trainee in enumerate(filing.trainees):
        trainee.name = NAMES[i % len(NAMES)]
    cls = filing.classes[0]
    amount = Decimal("2200.00")
    claim = SubsidyClaim(enterprise_id=ent.id, city_code=filing.city_code, filing_id=filing.id,
                         training_class_id=cls.id, stage="ADVANCE", status="SUBMITTED", commitment_accepted=True,
                         bank_name="中国工商银行广州天河支行", bank_account_name=ent.name,
                         bank_account_no="3602000109000123456", contact_name="王经办", contact_phone="13800138000",
                         requested_amount=amount * persons, submitted_at=datetime(2027, 4, 1, 2, 0))
    db.session.add(claim)
    db.session.flush()
    db.session.add_all([
        SubsidyClaimPerson(subsidy_claim_id=claim.id, trainee_id=t.id, stage="ADVANCE", held=True,
                           skill_level=cls.skill_level, certificate_no=f"S{4401}{i:08d}", amount=amount,
                           approved_amount=amount if i % 2 == 0 else None)
        for i, t in enumerate(filing.trainees)
    ])
    db.session.commit()
    return claim.id


def _pages(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
        tmp.write(pdf)
        tmp.flush()
        info = subprocess.run(["pdfinfo", tmp.name], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def _time(fn, runs: int) -> tuple[list[float], list[float], object]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return walls, cpus, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    from bench._common import seeded_app
    from models.base import db
    from models.subsidy import SubsidyClaim
    from services import claim_documents as docs
    from services.pdf import LocalOnlyFetcher

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        application = seeded_app(url)
        # a private directory for the xlsx temp files (instance/tmp/exports is shared with test runs)
        application.config["EXPORT_TMP_DIR"] = str(Path(tmp, "exports"))
        with application.app_context():
            claim_id = build_claim(args.persons)

            def load():
                db.session.expunge_all()
                return db.session.get(SubsidyClaim, claim_id)

            fetcher = LocalOnlyFetcher()
            c0, t0 = time.process_time(), time.perf_counter()
            docs.claim_roster_pdf(db.session, load(), fetcher=fetcher)
            cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
            assert not fetcher.requested, fetcher.requested
            print(f"database: {url.split('@')[-1]}  persons: {args.persons}  warm runs: {args.runs}")
            print(f"  cold first roster render: {cold:.3f} s (CPU {cold_cpu:.3f} s)")
            results = {}
            for name, fn in (("roster PDF", lambda: docs.claim_roster_pdf(db.session, load())),
                             ("form PDF", lambda: docs.claim_form_pdf(db.session, load())),
                             ("roster xlsx", lambda: docs.claim_roster_xlsx(db.session, load()))):
                results[name] = _time(fn, args.runs)
            print(f"{'document':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'CPU s':>7} {'size':>9}  "
                  "pages  verdict")
            for name, (walls, cpus, data) in results.items():
                med, cpu = statistics.median(walls), statistics.median(cpus)
                pages = _pages(data) if name.endswith("PDF") else ""
                verdict = ""
                target = TARGET_SECONDS.get(args.persons) if name == "roster PDF" else None
                if target is not None:
                    verdict = f"target ≤ {target:.0f} s: " + ("OK" if med <= target else "MISSED")
                    if med > target >= cpu:
                        verdict += " (CPU time within target: the machine is busy)"
                print(f"{name:<12} {med:>9.3f} {min(walls):>7.3f} {max(walls):>7.3f} {cpu:>7.3f} "
                      f"{len(data) / 1024:>6.0f} KiB  {str(pages):>5}  {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

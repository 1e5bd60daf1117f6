"""Benchmark: the 提交审核 checklist and the whole submit (R9 person locks included) for filings of 1,000 and
10,000 trainees (DESIGN §9: checks are linear — 10,000 trainees ≤ 10× the 1,000 one, and well under a second).

Builds a throw-away database (SQLite in a temp dir, or ``BENCH_DATABASE_URL``: it is migrated and seeded, never
point it at a database you care about), creates a complete DRAFT filing per size, then times ``build_checklist``
(median of warm runs) and one ``submit`` (rolled back after each run, so every run submits the same DRAFT).
On PostgreSQL the tables are ANALYZEd first, as autovacuum keeps a live database (without statistics the
planner picks a nested loop for the R9 query: 2 s instead of 10 ms at 10,000 trainees).

Usage: ``.venv/bin/python bench/checklist.py [--sizes 1000,10000] [--runs 5]``
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _app(url: str):
    from bench._common import seeded_app

    return seeded_app(url)


def _draft(n: int) -> int:
    from models.base import db
    from tests import factories

    ent = factories.demo_enterprise("ent_gz")
    # 400 sequence numbers per birth date: a new month every 400 trainees, a new year every 4,800
    numbers = [factories.id_number(birth=f"19{70 + i // 4800:02d}{1 + (i // 400) % 12:02d}01", seq=i % 400)
               for i in range(n)]
    filing = factories.complete_filing(ent.id, trainees=n, id_numbers=numbers)
    db.session.commit()
    return filing.id


def _median(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import os

    url = os.environ.get("BENCH_DATABASE_URL")
    with tempfile.TemporaryDirectory() as tmp:
        app = _app(url or f"sqlite:///{Path(tmp) / 'bench.db'}")
        with app.app_context():
            from sqlalchemy import text

            from actions import checklist as checklist_actions
            from actions import filings
            from models.base import db
            from models.filing import Filing
            from tests import factories

            actor = factories.actor("ent_gz")
            rows = []
            for size in [int(s) for s in args.sizes.split(",")]:
                filing_id = _draft(size)
                if db.engine.dialect.name == "postgresql":
                    # a live database has planner statistics (autovacuum); a fresh bench database has none yet
                    db.session.execute(text("ANALYZE"))
                    db.session.commit()

                def checklist():
                    db.session.expire_all()
                    result = checklist_actions.build_checklist(db.session, db.session.get(Filing, filing_id))
                    assert result.ready, result.as_dict()

                def submit():
                    db.session.expire_all()
                    filings.submit(db.session, actor, filing_id)
                    db.session.rollback()

                checklist()  # warm-up (first load of the rows)
                rows.append((size, _median(checklist, args.runs), _median(submit, args.runs)))
        print(f"database: {'PostgreSQL' if url else 'SQLite'}; median of {args.runs} warm runs")
        print(f"{'trainees':>9} {'checklist s':>12} {'submit s':>10}")
        for size, check_s, submit_s in rows:
            print(f"{size:>9} {check_s:>12.3f} {submit_s:>10.3f}")
        if len(rows) >= 2:
            small, large = rows[0], rows[-1]
            print(f"ratio {large[0]}/{small[0]} trainees: checklist {large[1] / small[1]:.1f}×, "
                  f"submit {large[2] / small[2]:.1f}× (linear goal: ≤ {large[0] / small[0]:.0f}×)")


if __name__ == "__main__":
    main()

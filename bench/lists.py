"""Benchmark: every list screen and list API as each role (admin, a city reviewer, an enterprise) on the data of
``flask seed scale`` (DESIGN §9, issue 15). Read-only: it only sends GETs.

Per screen and role, side by side: ``ms`` (median wall time of the request through the test client, warm),
``SQL ms`` (the request's statements, timed by SQLAlchemy cursor events), ``stmts`` (their number), ``raw ms`` (the
same statements with the same parameters run again directly on a DBAPI cursor, fetching every row, median) and
``ratio`` = ms / raw ms; ``cpu ms`` is the Python process's CPU time of the request (steadier than wall time when
other jobs share the machine). Goal: ratio ≤ 3, or ms ≤ 15 where the raw SQL takes under 5 ms; misses are marked
✗ (a screen that is not a list, 备案审核 详情, is measured for comparison and marked ·).
``--json FILE`` keeps the figures; ``--compare FILE`` prints an earlier run's ms and raw ms beside this one's.

Database: ``BENCH_DATABASE_URL`` (e.g. the shared ``scale1m``, PostgreSQL, 1M trainees — never written to), or
without it a throw-away SQLite file built with ``flask seed scale --preset 10k`` (migrated and seeded here).

Roles: ``admin``, ``rev_4401`` (广州, the biggest city) and ``load_ent_002`` (the enterprise that owns the
10,000-trainee filing); the big filing's class is used for 查看考勤 and the child tabs.

Usage: ``BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale1m .venv/bin/python bench/lists.py
[--runs 5] [--only 备案审核] [--json after.json] [--compare before.json]``
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ADMIN, REVIEWER, ENTERPRISE = "admin", "rev_4401", "load_ent_002"
STAFF = (ADMIN, REVIEWER)
ALL = (ADMIN, REVIEWER, ENTERPRISE)


def cases(big: int, big_class: int) -> list[tuple[str, tuple[str, ...], str]]:
    """(screen, roles, URL) of every list; ``big`` is the 10,000-trainee filing, ``big_class`` its class."""
    return [
        ("首页计数", ALL, "/"),
        ("备案审核", STAFF, "/review/filings/"),
        ("备案审核 p50", STAFF, "/review/filings/?page=50"),
        ("备案审核 企业名称", STAFF, "/review/filings/?enterprise=科技0001"),
        ("变更审核", STAFF, "/review/changes/"),
        ("补贴审核", STAFF, "/review/claims/"),
        ("培训情况跟踪", STAFF, "/tracking/"),
        ("培训情况跟踪", (ENTERPRISE,), "/tracking/ENTERPRISE"),
        ("办理结果", (ENTERPRISE,), "/filing/results/ENTERPRISE"),
        ("单位培训人员查询", ALL, "/enterprise/trainees/"),
        ("单位培训人员查询 p100", ALL, "/enterprise/trainees/?page=100"),
        ("单位培训人员查询 姓名", ALL, "/enterprise/trainees/?name=张伟"),
        ("单位培训人员查询 身份证", ALL, "/enterprise/trainees/?id_number=44010019830"),
        ("备案 培训人员 tab", (ENTERPRISE,), f"/filing/{big}/trainees"),
        ("备案 培训人员 tab p400", (ENTERPRISE,), f"/filing/{big}/trainees?page=400"),
        ("备案审核 详情", STAFF, f"/review/filing/{big}"),
        ("补贴 办理结果", (ENTERPRISE,), "/claims/results"),
        ("变更 列表", (ENTERPRISE,), "/changes/ENTERPRISE"),
        ("查看考勤 学员", ALL, f"/tracking/class/{big_class}"),
        ("查看考勤 教师", ALL, f"/tracking/class/{big_class}?tab=teachers"),
        ("查看考勤 课程", ALL, f"/tracking/class/{big_class}?tab=courses"),
        ("API filing", ALL, "/api/v1/filing/"),
        ("API trainee", ALL, "/api/v1/trainee/"),
        ("API trainee 100", ALL, "/api/v1/trainee/?q=(page_size:100)"),
        ("API subsidy_claim", ALL, "/api/v1/subsidy_claim/"),
        ("API attendance", ALL, "/api/v1/attendance/"),
        ("API audit_event", STAFF, "/api/v1/audit_event/"),
        ("API change_request", ALL, "/api/v1/change_request/"),
    ]


class Recorder:
    """The statements a request runs (SQLAlchemy cursor events): text, parameters and time."""

    def __init__(self, engine):
        from sqlalchemy import event

        self.active = False
        self.statements: list[tuple[str, object, float]] = []

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            conn.info["bench_t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):
            if self.active:
                self.statements.append((statement, parameters, time.perf_counter() - conn.info["bench_t0"]))

    def start(self) -> None:
        self.statements = []
        self.active = True

    def stop(self) -> list[tuple[str, object, float]]:
        self.active = False
        return self.statements


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def _replay(connection, statements) -> float:
    """The SELECTs of one request run again directly on a DBAPI cursor, every row fetched: seconds."""
    replay = [(s, p) for s, p, _t in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    cursor = connection.cursor()
    started = time.perf_counter()
    for statement, parameters in replay:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    elapsed = time.perf_counter() - started
    cursor.close()
    connection.rollback()
    return elapsed


def measure(app, engine, recorder: Recorder, client, url: str, headers: dict, runs: int) -> dict:
    """ms, SQL ms, statements and raw ms of one GET (median of ``runs`` after one warm-up). Each run times the
    request and then its raw SQL right after it, so both see the same machine: on this VM the speed of the CPU
    itself varies by ±30 % from minute to minute, and timing all requests first and all raw SQL later made the
    ratio swing with it."""
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    walls, cpus, sqls, raws, statements = [], [], [], [], []
    connection = engine.raw_connection()
    try:
        for _ in range(runs):
            recorder.start()
            cpu, started = time.process_time(), time.perf_counter()
            response = client.get(url, headers=headers)
            walls.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu)
            statements = recorder.stop()
            sqls.append(sum(t for _s, _p, t in statements))
            assert response.status_code == 200, (url, response.status_code)
            raws.append(_replay(connection, statements))
    finally:
        connection.close()
    slowest = max(statements, key=lambda item: item[2]) if statements else ("", None, 0.0)
    return {"ms": _median(walls) * 1000, "cpu_ms": _median(cpus) * 1000, "sql_ms": _median(sqls) * 1000, "stmts": len(statements),
            "raw_ms": _median(raws) * 1000, "slowest_ms": slowest[2] * 1000,
            "slowest": " ".join(slowest[0].split())[:160]}


#: Screens measured for comparison that are not lists (a whole record with every tab on one page): the list goal
#: does not apply; their figures are printed with "·".
NOT_LISTS = {"备案审核 详情"}


def meets_goal(row: dict) -> bool:
    """≤ 3× the raw SQL, or ≤ 15 ms when the raw SQL is under 5 ms (issue 15)."""
    return row["ms"] <= 3 * row["raw_ms"] or (row["raw_ms"] < 5 and row["ms"] <= 15)


def build_sqlite(preset: str) -> str:
    """A throw-away SQLite database migrated and filled with ``flask seed scale --preset``."""
    import subprocess

    path = Path(tempfile.mkdtemp(prefix="bench_lists_")) / "scale.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed", "scale", "--preset", preset], cwd=ROOT, env=env, check=True)
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="", help="screens whose name contains this text")
    parser.add_argument("--preset", default="10k", help="SQLite only: the size of the data set built")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--compare", help="an earlier --json file: its ms / raw ms are printed beside")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL") or build_sqlite(args.preset)

    from sqlalchemy import func, select, text

    from app import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    with app.app_context():
        from models.base import db
        from models.filing import Trainee, TrainingClass

        engine = db.engine
        big = db.session.execute(select(Trainee.filing_id, func.count()).group_by(Trainee.filing_id)
                                 .order_by(func.count().desc()).limit(1)).first()[0]
        big_class = db.session.scalar(select(func.min(TrainingClass.id)).where(TrainingClass.filing_id == big))
        trainees = db.session.scalar(select(func.count()).select_from(Trainee))
        dialect = engine.dialect.name
        db.session.remove()
    # requests run outside any app context: inside one, Flask would share ``g`` (the logged-in user) between them
    if True:
        recorder = Recorder(engine)
        password = app.config["DEMO_PASSWORD"]
        clients, tokens = {}, {}
        for username in ALL:
            client = app.test_client()
            response = client.post("/login/", data={"username": username, "password": password})
            assert response.status_code == 302, (username, response.status_code)
            clients[username] = client
            api_client = app.test_client()  # no session cookie: the JSON API then needs no CSRF token
            api = api_client.post("/api/v1/security/login",
                                  json={"username": username, "password": password, "provider": "db"})
            tokens[username] = (api_client, {"Authorization": f"Bearer {api.get_json()['access_token']}"})
        results = []
        for screen, roles, path in cases(big, big_class):
            if args.only and args.only not in screen:
                continue
            for role in roles:
                client, headers = tokens[role] if path.startswith("/api/") else (clients[role], {})
                row = measure(app, engine, recorder, client, path, headers, args.runs)
                row.update(screen=screen, role=role, url=path)
                results.append(row)
                print(f"  {screen} / {role}: {row['ms']:.1f} ms", file=sys.stderr, flush=True)
    earlier = {}
    if args.compare:
        earlier = {(r["screen"], r["role"]): r for r in json.loads(Path(args.compare).read_text())["results"]}
    print(f"\n{dialect}, {trainees:,} trainees; median of {args.runs} warm runs; goal ≤ 3× raw SQL "
          f"(≤ 15 ms where raw < 5 ms)")
    head = f"{'screen':<24} {'role':<13} {'ms':>8} {'cpu ms':>7} {'SQL ms':>8} {'stmts':>5} {'raw ms':>8} {'ratio':>6}  "
    if earlier:
        head += f"{'before ms':>9} {'before raw':>10}  "
    print(head + "slowest statement")
    for row in results:
        ratio = row["ms"] / row["raw_ms"] if row["raw_ms"] else float("inf")
        mark = "·" if row["screen"] in NOT_LISTS else "✓" if meets_goal(row) else "✗"
        line = (f"{row['screen']:<24} {row['role']:<13} {row['ms']:>8.1f} {row['cpu_ms']:>7.1f} {row['sql_ms']:>8.1f} {row['stmts']:>5} "
                f"{row['raw_ms']:>8.1f} {ratio:>5.1f}{mark}  ")
        if earlier:
            old = earlier.get((row["screen"], row["role"]))
            line += (f"{old['ms']:>9.1f} {old['raw_ms']:>10.1f}  " if old else f"{'':>9} {'':>10}  ")
        print(line + f"{row['slowest_ms']:.1f} ms: {row['slowest'][:70]}")
    if args.json:
        Path(args.json).write_text(json.dumps({"dialect": dialect, "trainees": trainees, "results": results},
                                              ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

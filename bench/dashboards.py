"""Benchmark: 统计分析 at provincial scale (issue 14: every dashboard ≤ 500 ms at 1M trainees), PostgreSQL.

Times every figure of ``queries.statistics.FIGURES`` as the admin (province) and as a city reviewer (gz_reviewer,
广州), median of ``--runs`` warm runs, side by side:

- ``sql``: the figure's aggregate alone (``figure.query``: the statement and its few result rows);
- ``api``: ``GET /api/v1/statistics/<name>`` through the test client with a JWT (parameters, scope, JSON);
- and per actor the whole dashboard ``GET /statistics/`` (every figure's table rendered on the server; the browser
  then draws the charts from the ``api`` calls above).

Two measures each: the median wall time, and the CPU time the work costs — this process (Flask, SQLAlchemy, JSON)
plus the PostgreSQL backend (``/proc/<pid>/stat`` of the run's one connection; parallel workers are switched off so
the backend does all of it). On a machine shared with other work the wall time grows with the load average (printed);
the CPU time is what an idle machine would need, single-threaded.

Data: a populated database, used READ-ONLY (``BENCH_DATABASE_URL``, e.g. the ``scale1m`` database of
``flask seed scale``: 1M trainees, 100k filings, 10M attendance rows). When that database predates this branch's
migration (e3c4d5f6a7b8), the pre-aggregate tables are created as TEMP tables of the benchmark's one connection (so
nothing is written to the database) and filled by ``actions.statistics.refresh_class_figures`` — its time is the
nightly refresh's, printed too. ``--explain`` prints the plans of the admin's statements.

Usage: ``BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/scale1m
.venv/bin/python bench/dashboards.py [--runs 5] [--from 2026-01-01 --to 2026-12-31] [--explain]``
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMP_TABLES = (
    """CREATE TEMP TABLE statistics_class (training_class_id integer PRIMARY KEY, city_code varchar(6) NOT NULL,
           occupation_code varchar(16) NOT NULL, skill_level integer NOT NULL, start_date date NOT NULL,
           end_date date NOT NULL, class_status varchar(16) NOT NULL, active integer NOT NULL, lost integer NOT NULL,
           rate_below_60 integer NOT NULL, rate_from_60 integer NOT NULL, rate_from_80 integer NOT NULL,
           rate_from_90 integer NOT NULL, rate_full integer NOT NULL, rate_none integer NOT NULL)""",
    "CREATE INDEX ix_statistics_class_city_code ON statistics_class (city_code)",
    """CREATE TEMP TABLE statistics_refresh (name varchar(64) PRIMARY KEY, refreshed_at timestamp NOT NULL,
           row_count integer NOT NULL)""",
)
PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")


#: The PostgreSQL backend of the run's one connection (its CPU time is read from /proc: same machine).
BACKEND: dict = {}


def _backend_cpu() -> float:
    """CPU seconds the PostgreSQL backend has used so far (utime + stime of /proc/<pid>/stat)."""
    pid = BACKEND.get("pid")
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(fn, runs: int) -> tuple[float, float]:
    """(median wall ms, mean CPU ms) of ``fn`` over ``runs`` warm runs. CPU = this process (Flask, SQLAlchemy,
    JSON) + the PostgreSQL backend (the statement): what the work costs, whatever else the machine is doing."""
    fn()  # warm
    times = []
    cpu_start = time.process_time() + _backend_cpu()
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    cpu = (time.process_time() + _backend_cpu() - cpu_start) / runs
    times.sort()  # (the median by hand: this file's name hides the standard library's statistics module)
    middle = len(times) // 2
    wall = times[middle] if len(times) % 2 else (times[middle - 1] + times[middle]) / 2
    return wall * 1000, cpu * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--from", dest="first", default="")
    parser.add_argument("--to", dest="last", default="")
    parser.add_argument("--reviewer", default="gz_reviewer")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each figure (admin)")
    parser.add_argument("--no-refresh", action="store_true",
                        help="the database has the pre-aggregate tables, already refreshed: time the figures only")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must name a populated PostgreSQL database (read only), e.g. "
                 "postgresql+psycopg://postgres@127.0.0.1:5432/scale1m")
    from sqlalchemy.pool import StaticPool

    from app import create_app

    # one connection for the whole run: the TEMP tables live in it
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, "SQLALCHEMY_ENGINE_OPTIONS": {"poolclass": StaticPool}})
    with app.app_context():
        from sqlalchemy import inspect, select, text

        from actions.statistics import refresh_class_figures
        from models.base import db
        from models.scope import Actor
        from models.security import AppUser
        from queries import statistics as stats

        # every statement in the one backend whose CPU time is read (no parallel workers: a conservative figure
        # for this 2-core machine, where the workers would share the same two cores)
        BACKEND["pid"] = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.execute(text("SET max_parallel_workers_per_gather = 0"))
        db.session.commit()
        names = set(inspect(db.engine).get_table_names())
        if "statistics_class" not in names:
            print("pre-aggregate tables missing (database before migration e3c4d5f6a7b8): TEMP tables of this run")
            for sql in TEMP_TABLES:
                db.session.execute(text(sql))
            db.session.commit()
        started = time.perf_counter()
        rows = 0 if args.no_refresh else refresh_class_figures(db.session)
        db.session.commit()
        refresh_s = time.perf_counter() - started
        print(f"nightly refresh of the class pre-aggregate: {rows:,} classes in {refresh_s:.1f} s")
        db.session.execute(text("ANALYZE statistics_class"))
        db.session.commit()

    # The timed requests run outside any app context: Flask reuses an active one for a request, and its ``g``
    # (flask_login's user) would then leak from one request to the next.
    query = {k: v for k, v in (("from", args.first), ("to", args.last)) if v}
    results = []
    for username in ("admin", args.reviewer):
        with app.app_context():
            from sqlalchemy import select

            from models.base import db
            from models.scope import Actor
            from models.security import AppUser
            from queries import statistics as stats

            actor = Actor.from_user(db.session.scalars(select(AppUser).filter_by(username=username)).one())
            filters = stats.parse_filters(db.session, actor, query)
            figures = list(stats.FIGURES.values())
        client = app.test_client()
        login = client.post("/api/v1/security/login", json={"username": username, "password": PASSWORD,
                                                             "provider": "db"})
        assert login.status_code == 200, login.get_data(as_text=True)[:300]
        headers = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
        total_sql = total_api = (0.0, 0.0)
        for figure in figures:
            with app.app_context():
                sql_ms = _measure(lambda: (figure.query(db.session, actor, filters), db.session.rollback()),
                                  args.runs)
                if args.explain and username == "admin":
                    _explain(db, figure, actor, filters)

            def call(name=figure.name):
                answer = client.get(f"/api/v1/statistics/{name}", query_string=query, headers=headers)
                assert answer.status_code == 200, answer.get_data(as_text=True)[:300]

            api_ms = _measure(call, args.runs)
            total_sql = (total_sql[0] + sql_ms[0], total_sql[1] + sql_ms[1])
            total_api = (total_api[0] + api_ms[0], total_api[1] + api_ms[1])
            results.append((username, figure.name, sql_ms, api_ms))
        page_client = app.test_client()
        assert page_client.post("/login/", data={"username": username, "password": PASSWORD}).status_code == 302

        def page():
            answer = page_client.get("/statistics/", query_string=query)
            assert answer.status_code == 200, answer.status_code

        page_ms = _measure(page, args.runs)
        results.append((username, "= all figures (sum)", total_sql, total_api))
        results.append((username, "= dashboard page /statistics/", None, page_ms))
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nmedian of {args.runs} warm runs, range {query or 'unbounded'}; load average {load} "
          f"on {os.cpu_count()} CPUs (other work on the machine inflates every figure)\n")
    print(f"{'':<47} {'wall ms (median)':>24} {'CPU ms (app + database)':>26}")
    print(f"{'actor':<12} {'figure':<34} {'sql':>11} {'api/page':>12} {'sql':>12} {'api/page':>13}")
    for username, name, sql_ms, api_ms in results:
        sql_wall = f"{sql_ms[0]:11.1f}" if sql_ms else f"{'':11}"
        sql_cpu = f"{sql_ms[1]:12.1f}" if sql_ms else f"{'':12}"
        print(f"{username:<12} {name:<34} {sql_wall} {api_ms[0]:12.1f} {sql_cpu} {api_ms[1]:13.1f}")


def _explain(db, figure, actor, filters) -> None:
    """EXPLAIN ANALYZE of the figure's statement(s), captured from the session's executions."""
    from sqlalchemy import event, text

    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        figure.query(db.session, actor, filters)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    for statement, parameters in statements:
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            print(f"\n--- {figure.name}\n" + "\n".join(row[0] for row in cursor.fetchall()))
    db.session.rollback()


if __name__ == "__main__":
    main()

"""Benchmark: 查看考勤 summaries of one class and the 培训情况跟踪 list of a city at 10 million attendance rows
(DESIGN §9: each ≤ 3× its raw aggregate SQL), PostgreSQL only.

Builds the data by SQL in a throw-away database (``BENCH_DATABASE_URL``, required: it is migrated, seeded and
filled; never point it at a database you care about): ``--classes`` APPROVED filings of 广州 (ent_gz), one class each
with 30 trainees, 2 teachers and ``--courses`` past configured courses of 8 h, then ``--rows`` attendance rows by
``generate_series`` (trainee check-ins, ~5 % of pairs missing, ~10 % with a repeat, plus teacher check-ins), then
ANALYZE. Timed, median of ``--runs`` warm runs, side by side:

- 查看考勤 of one class: ``queries.attendance.tab_page`` for the three tabs (and the rendered page
  ``/tracking/class/<id>`` through the test client) vs one hand-written aggregate SQL per tab;
- the city's tracking list (``tracking_page``, page 1, and the rendered ``/tracking/``) vs a hand-written
  aggregate SQL of the same page (rates of the first 10 classes of the city).

Usage: ``BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/attendance_bench
.venv/bin/python bench/attendance.py [--rows 10000000] [--courses 200] [--runs 5]``
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TRAINEES_PER_CLASS = 30

RAW_TRAINEES = """
WITH ended AS (SELECT id, hours, start_date FROM course
               WHERE training_class_id = :cid AND status = 'CONFIGURED' AND end_date < :today),
     seen AS (SELECT DISTINCT a.course_id, a.trainee_id FROM attendance a JOIN ended e ON e.id = a.course_id
              WHERE a.trainee_id IS NOT NULL)
SELECT t.id, t.name, COALESCE(SUM(e.hours) FILTER (WHERE s.trainee_id IS NOT NULL), 0) AS attended,
       COALESCE(SUM(e.hours), 0) AS due
FROM trainee t LEFT JOIN ended e ON (t.status <> 'LOST' OR e.start_date <= t.lost_date)
LEFT JOIN seen s ON s.course_id = e.id AND s.trainee_id = t.id
WHERE t.filing_id = :fid GROUP BY t.id, t.name
ORDER BY CASE WHEN COALESCE(SUM(e.hours), 0) > 0
              THEN COALESCE(SUM(e.hours) FILTER (WHERE s.trainee_id IS NOT NULL), 0)::numeric / SUM(e.hours) END
         NULLS LAST, t.name, t.id LIMIT 20
"""
RAW_TEACHERS = """
SELECT te.id, te.name,
       SUM(c.hours) FILTER (WHERE c.end_date < :today AND EXISTS (
           SELECT 1 FROM attendance a WHERE a.course_id = c.id AND a.teacher_id = te.id)) AS attended,
       SUM(c.hours) FILTER (WHERE c.end_date < :today) AS due
FROM course c JOIN teacher te ON te.id = c.teacher_id
WHERE c.training_class_id = :cid AND c.status <> 'CANCELLED' GROUP BY te.id, te.name
"""
RAW_COURSES = """
SELECT c.id, c.name, count(DISTINCT a.trainee_id) AS present,
       (SELECT count(*) FROM trainee t WHERE t.filing_id = :fid
          AND (t.status <> 'LOST' OR c.start_date <= t.lost_date)) AS expected
FROM course c LEFT JOIN attendance a ON a.course_id = c.id AND a.trainee_id IS NOT NULL
WHERE c.training_class_id = :cid AND c.status = 'CONFIGURED' AND c.start_date <= :today
GROUP BY c.id, c.name ORDER BY present, c.start_date, c.id LIMIT 20
"""
RAW_LIST = """
WITH page AS (SELECT k.id, k.filing_id FROM training_class k JOIN filing f ON f.id = k.filing_id
              WHERE f.city_code = :city AND f.status IN ('APPROVED', 'CANCELLED')
              ORDER BY f.approved_at DESC NULLS LAST, f.id DESC, k.id LIMIT 10),
     ended AS (SELECT c.id, c.hours, c.start_date, c.training_class_id, p.filing_id FROM course c
               JOIN page p ON p.id = c.training_class_id WHERE c.status = 'CONFIGURED' AND c.end_date < :today),
     seen AS (SELECT DISTINCT a.course_id, a.trainee_id FROM attendance a JOIN ended e ON e.id = a.course_id
              WHERE a.trainee_id IS NOT NULL)
SELECT e.training_class_id, SUM(e.hours) FILTER (WHERE s.trainee_id IS NOT NULL) AS attended, SUM(e.hours) AS due
FROM ended e JOIN trainee t ON t.filing_id = e.filing_id AND (t.status <> 'LOST' OR e.start_date <= t.lost_date)
LEFT JOIN seen s ON s.course_id = e.id AND s.trainee_id = t.id
GROUP BY e.training_class_id
"""


def _app(url: str):
    from flask_migrate import upgrade

    from app import create_app

    application = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True, "RATELIMIT_ENABLED": False,
                              "WTF_CSRF_ENABLED": False, "FAB_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"})
    with application.app_context():
        upgrade()
        from seed.commands import run_demo_seed

        run_demo_seed()
    return application


def _fill(db, classes: int, courses: int, rows: int) -> None:
    """Filings, classes, trainees, teachers, courses and ``rows`` attendance rows, all by SQL."""
    from sqlalchemy import text

    from core.clock import today
    from tests import factories

    ent = factories.demo_enterprise("ent_gz")
    day = today()
    pairs = classes * TRAINEES_PER_CLASS * courses
    repeat = max(1.0, rows / max(pairs, 1))  # records per (course, trainee) needed on average
    params = {"ent": ent.id, "n": classes, "courses": courses, "per": TRAINEES_PER_CLASS, "today": day}
    statements = [
        """INSERT INTO filing (programme, apprenticeship_type, enterprise_id, city_code, status, filing_no,
               application_no, commitment_accepted, created_at, updated_at, version, approved_at, contact_name,
               contact_phone)
           SELECT 'ENTERPRISE', 'NEW_APPRENTICE', :ent, '4401', 'APPROVED', 'BENCH-' || g, 'BENCH-SQ-' || g, true,
                  now(), now(), 1,
                  now() - g * interval '1 minute', '基准', '13800138000' FROM generate_series(1, :n) g""",
        """INSERT INTO training_class (filing_id, occupation_code, skill_level, start_date, end_date, hours,
               planned_headcount, date_change_count, status)
           SELECT f.id, '6-18-01-01', 4, CAST(:today AS date) - 400, CAST(:today AS date) + 300, 480, :per, 0, 'NORMAL'
           FROM filing f WHERE f.filing_no LIKE 'BENCH-%'""",
        """INSERT INTO teacher (filing_id, name, id_number, kind, active)
           SELECT f.id, '教师' || g, lpad((f.id * 10 + g)::text, 18, '9'), 'ENTERPRISE', true
           FROM filing f, generate_series(1, 2) g WHERE f.filing_no LIKE 'BENCH-%'""",
        """INSERT INTO trainee (filing_id, name, id_number, status, created_at, lost_date)
           SELECT f.id, '学员' || g, lpad((f.id * 100 + g)::text, 18, '8'),
                  CASE WHEN g = 1 THEN 'LOST' ELSE 'ACTIVE' END, now(),
                  CASE WHEN g = 1 THEN CAST(:today AS date) - 100 END
           FROM filing f, generate_series(1, :per) g WHERE f.filing_no LIKE 'BENCH-%'""",
        """INSERT INTO course (training_class_id, name, mode, hours, teacher_id, start_date, end_date, start_time,
               end_time, status)
           SELECT k.id, '课程' || g, 'OFFLINE', 8,
                  (SELECT min(t.id) FROM teacher t WHERE t.filing_id = k.filing_id) + g % 2,
                  CAST(:today AS date) - 390 + g, CAST(:today AS date) - 390 + g, '09:00', '17:00',
                  CASE WHEN g % 50 = 0 THEN 'UNCONFIGURED' ELSE 'CONFIGURED' END
           FROM training_class k JOIN filing f ON f.id = k.filing_id, generate_series(1, :courses) g
           WHERE f.filing_no LIKE 'BENCH-%'""",
    ]
    for sql in statements:
        db.session.execute(text(sql), params)
    db.session.commit()
    columns = "course_id, trainee_id, check_in, check_out, source"
    extra = _attendance_columns(db)
    print(f"attendance: {pairs:,} (course, trainee) pairs, ~{repeat:.2f} records each", flush=True)
    # one record per present pair (95 % present), plus repeats 1 minute apart until ``rows`` is reached
    copies = max(1, round(repeat / 0.95))
    db.session.execute(text(f"""
        INSERT INTO attendance ({columns}{extra[0]})
        SELECT c.id, t.id, (c.start_date + time '00:50') + r * interval '1 minute',
               (c.start_date + time '09:00'), 'DEVICE'{extra[1]}
        FROM course c JOIN training_class k ON k.id = c.training_class_id
        JOIN filing f ON f.id = k.filing_id AND f.filing_no LIKE 'BENCH-%'
        JOIN trainee t ON t.filing_id = f.id, generate_series(0, :copies - 1) r
        WHERE c.status = 'CONFIGURED' AND (hashtext(c.id::text || '-' || t.id) % 20) <> 0
        LIMIT :rows"""), {"copies": copies, "rows": rows})
    db.session.execute(text(f"""
        INSERT INTO attendance (course_id, teacher_id, check_in, check_out, source{extra[0]})
        SELECT c.id, c.teacher_id, c.start_date + time '00:40', c.start_date + time '09:05', 'DEVICE'{extra[1]}
        FROM course c JOIN training_class k ON k.id = c.training_class_id
        JOIN filing f ON f.id = k.filing_id AND f.filing_no LIKE 'BENCH-%'
        WHERE c.status = 'CONFIGURED' AND c.id % 10 <> 0"""))
    db.session.commit()


def _attendance_columns(db) -> tuple[str, str]:
    """Required columns the attendance table may have gained (created_at) — filled with now()."""
    from sqlalchemy import inspect

    names = {c["name"] for c in inspect(db.engine).get_columns("attendance")}
    return (", created_at", ", now()") if "created_at" in names else ("", "")


def _median(fn, runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="the database is already filled: time only")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        sys.exit("BENCH_DATABASE_URL must name a throw-away PostgreSQL database (it is migrated and filled), e.g. "
                 "postgresql+psycopg://postgres@127.0.0.1:5432/attendance_bench")
    classes = max(1, round(args.rows / (TRAINEES_PER_CLASS * args.courses)))
    app = _app(url)
    with app.app_context():
        from sqlalchemy import func, select, text

        from core.clock import today
        from models.base import db
        from models.filing import Attendance, Filing, TrainingClass
        from queries import attendance as aq
        from tests import factories

        if not args.reuse:
            started = time.perf_counter()
            _fill(db, classes, args.courses, args.rows)
            db.session.execute(text("ANALYZE"))
            db.session.commit()
            print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)
        total = db.session.scalar(select(func.count()).select_from(Attendance))
        cls = db.session.scalars(select(TrainingClass).join(Filing).where(Filing.filing_no.like("BENCH-%"))
                                 .order_by(TrainingClass.id)).first()
        day = today()
        params = {"cid": cls.id, "fid": cls.filing_id, "today": day, "city": "4401"}

        def raw(sql):
            return lambda: db.session.execute(text(sql), params).all()

        gz = factories.actor("gz_reviewer")
        filters = aq.TrackingFilters.from_args(None, {})
        client = app.test_client()
        with client:
            login = client.post("/login/", data={"username": "gz_reviewer", "password": app.config["DEMO_PASSWORD"]})
            assert login.status_code == 302, login.status_code

            def page(url):
                def get():
                    response = client.get(url)
                    assert response.status_code == 200, (url, response.status_code)
                return get

            cases = [
                ("查看考勤 · 培训学员考勤", lambda: aq.tab_page(db.session, cls, "trainees", 1), raw(RAW_TRAINEES)),
                ("查看考勤 · 培训教师考勤", lambda: aq.tab_page(db.session, cls, "teachers", 1), raw(RAW_TEACHERS)),
                ("查看考勤 · 培训课程考勤", lambda: aq.tab_page(db.session, cls, "courses", 1), raw(RAW_COURSES)),
                ("查看考勤 page (HTTP, trainees)", page(f"/tracking/class/{cls.id}"), raw(RAW_TRAINEES)),
                ("培训情况跟踪 list (city)", lambda: aq.tracking_page(db.session, gz, filters, 1), raw(RAW_LIST)),
                ("培训情况跟踪 page (HTTP, city)", page("/tracking/"), raw(RAW_LIST)),
            ]
            # the screen and the raw SQL agree on the trainees' figures
            mine = {r["trainee_id"]: (r["attended_hours"], r["due_hours"])
                    for r in aq.tab_page(db.session, cls, "trainees", 1).items}
            theirs = {r.id: (int(r.attended), int(r.due)) for r in raw(RAW_TRAINEES)()}
            assert mine == theirs, (mine, theirs)
            results = [(name, _median(ours, args.runs), _median(baseline, args.runs))
                       for name, ours, baseline in cases]
    print(f"PostgreSQL, {total:,} attendance rows, {classes} classes × {TRAINEES_PER_CLASS} trainees × "
          f"{args.courses} courses; median of {args.runs} warm runs")
    print(f"{'screen':<34} {'ours ms':>9} {'raw SQL ms':>11} {'ratio':>7}  (goal ≤ 3×)")
    for name, ours, baseline in results:
        print(f"{name:<34} {ours * 1000:>9.1f} {baseline * 1000:>11.1f} {ours / baseline:>6.1f}×")


if __name__ == "__main__":
    main()

"""``flask seed scale`` (issue 15): at a tiny size the generator makes rows the app treats as valid — ID numbers
(GB 11643) and USCCs (GB 32100) pass the validators, filing statuses follow STATUS_MIX, counts are as asked, every
ID number is one trainee row (R9), attendance references existing courses and trainees of the course's filing —
it refuses production and a second run, and the screens open on the data as each role.

The data set is generated once for the module (the per-test reset of tests/conftest.py is overridden here) and the
database is reset to the demo seed when the module ends.
"""
from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text

from core.validators import parse_id_number, validate_uscc
from seed.scale import (STATUS_MIX, Sizes, account_drafts, big_filing_number, generate, sizes_from, status_of,
                        type_of)
from tests.conftest import login, reset_database

SIZES = Sizes(enterprises=8, filings=40, trainees=200, attendance=900, audit_events=90, big_filing=30, accounts=3)


@pytest.fixture(autouse=True)
def fresh_data():
    """Overrides the per-test reset: the module shares one generated data set."""
    yield


@pytest.fixture(scope="module")
def scale(app):
    from models.base import db

    reset_database(app)
    with app.app_context():
        base = generate(db.session, SIZES)
        db.session.remove()
    yield base
    reset_database(app)


def rows(app, sql: str, **params) -> list:
    from models.base import db

    with app.app_context():
        result = db.session.execute(text(sql), params).all()
        db.session.remove()
    return result


def test_counts_are_as_asked(app, scale):
    def generated(table: str) -> int:
        return rows(app, f"SELECT count(*) FROM {table} WHERE id > :b", b=scale[table])[0][0]

    assert generated("enterprise") == SIZES.enterprises
    assert generated("filing") == SIZES.filings
    assert generated("trainee") == SIZES.trainees
    assert rows(app, "SELECT count(*) FROM attendance")[0][0] == SIZES.attendance
    assert rows(app, "SELECT count(*) FROM audit_event WHERE filing_id > :b", b=scale["filing"])[0][0] \
        == SIZES.audit_events
    big = scale["filing"] + big_filing_number(SIZES.filings)
    assert rows(app, "SELECT count(*) FROM trainee WHERE filing_id = :f", f=big)[0][0] >= SIZES.big_filing
    accounts = {r[0] for r in rows(app, "SELECT username FROM ab_user")}
    assert {"admin", "gz_reviewer", "rev_4401", "rev_4453", "load_ent_001", "load_ent_003"} <= accounts
    assert "load_ent_004" not in accounts


def test_filing_statuses_programmes_and_numbers(app, scale):
    found = rows(app, "SELECT id, status, programme, apprenticeship_type, filing_no, application_no, submitted_at "
                      "FROM filing WHERE id > :b ORDER BY id", b=scale["filing"])
    drafts = account_drafts(SIZES)
    assert [r.status for r in found] == ["DRAFT" if n in drafts else status_of(n) for n in range(1, SIZES.filings + 1)]
    # every load_ent_NNN account has a draft of its own (the load test edits and submits it)
    owners = rows(app, "SELECT DISTINCT u.username FROM ab_user u JOIN filing f ON f.enterprise_id = u.enterprise_id "
                       "WHERE u.username LIKE 'load_ent_%' AND f.status = 'DRAFT'")
    assert len(owners) == SIZES.accounts
    assert [(r.programme, r.apprenticeship_type) for r in found] == [type_of(n) for n in range(1, SIZES.filings + 1)]
    assert {status for status, _ in STATUS_MIX} == {r.status for r in found}  # every state is present
    for r in found:
        assert (r.filing_no is not None) == (r.status in ("APPROVED", "CANCELLED"))
        assert (r.submitted_at is None) == (r.status == "DRAFT")
        assert r.application_no.startswith("SQ")
    # the 备案编号 counter of each city and year (XT4401-2024-000006) is past the generated numbers: the next approval
    # cannot collide. (Keyed by city alone, the demo seed's counter of another year could stand for the city.)
    counters = {(city, year): last for city, year, last in rows(app, "SELECT city_code, year, last "
                                                                     "FROM filing_number_counter")}
    numbered = [r.filing_no for r in found if r.filing_no]
    assert numbered and all(counters[(n[2:6], int(n[7:11]))] >= int(n[-6:]) for n in numbered), counters


def test_id_numbers_and_codes_pass_the_validators(app, scale):
    trainees = rows(app, "SELECT id_number, gender, birth_date FROM trainee WHERE id > :b", b=scale["trainee"])
    for number, gender, birth in trainees:
        info = parse_id_number(number)  # raises on a wrong check digit, date or length
        assert info.gender == gender
        assert info.birth_date == (birth if isinstance(birth, date) else date.fromisoformat(birth))
    for (number,) in rows(app, "SELECT id_number FROM teacher WHERE id > :b", b=scale["teacher"]):
        parse_id_number(number)
    for (code,) in rows(app, "SELECT uscc FROM enterprise WHERE id > :b", b=scale["enterprise"]):
        validate_uscc(code)
    assert len(trainees) == SIZES.trainees


def test_every_person_is_one_trainee_row_and_in_one_active_filing(app, scale):
    per_number = Counter(n for (n,) in rows(app, "SELECT id_number FROM trainee"))
    assert max(per_number.values()) == 1
    active = rows(app, """SELECT t.id_number, count(DISTINCT f.id) FROM trainee t JOIN filing f ON f.id = t.filing_id
                          WHERE t.status = 'ACTIVE' AND f.status IN ('SUBMITTED', 'APPROVED')
                          GROUP BY t.id_number HAVING count(DISTINCT f.id) > 1""")
    assert active == []
    assert rows(app, "SELECT count(*) FROM trainee WHERE id > :b AND status = 'LOST'", b=scale["trainee"])[0][0] > 0


def test_classes_courses_and_attendance_hang_together(app, scale):
    without_class = rows(app, """SELECT f.id FROM filing f WHERE f.id > :b AND NOT EXISTS
                                 (SELECT 1 FROM training_class c WHERE c.filing_id = f.id)""", b=scale["filing"])
    assert without_class == []
    # 学生学徒制 has no course tab; the other approved filings have configured courses with a venue
    assert rows(app, """SELECT count(*) FROM course co JOIN training_class c ON c.id = co.training_class_id
                        JOIN filing f ON f.id = c.filing_id WHERE f.apprenticeship_type = 'STUDENT'
                        AND f.id > :b""", b=scale["filing"])[0][0] == 0
    assert rows(app, """SELECT count(*) FROM course co JOIN training_class c ON c.id = co.training_class_id
                        JOIN filing f ON f.id = c.filing_id WHERE f.status = 'APPROVED' AND f.id > :b
                        AND (co.status <> 'CONFIGURED' OR co.venue_id IS NULL OR co.teacher_id IS NULL)""",
                b=scale["filing"])[0][0] == 0
    orphans = rows(app, """SELECT count(*) FROM attendance a
                           LEFT JOIN course co ON co.id = a.course_id
                           LEFT JOIN training_class c ON c.id = co.training_class_id
                           LEFT JOIN trainee t ON t.id = a.trainee_id
                           WHERE co.id IS NULL OR t.id IS NULL OR t.filing_id <> c.filing_id""")
    assert orphans[0][0] == 0
    claims = rows(app, "SELECT status, count(*) FROM subsidy_claim WHERE id > :b GROUP BY status",
                  b=scale["subsidy_claim"])
    assert claims and rows(app, "SELECT count(*) FROM subsidy_claim_person")[0][0] > 0
    assert rows(app, "SELECT count(*) FROM change_request")[0][0] > 0


def test_refuses_production_and_a_second_run(app, scale):
    runner = app.test_cli_runner()
    app.config["APP_ENV"] = "production"
    try:
        refused = runner.invoke(args=["seed", "scale", "--trainees", "20"])
    finally:
        app.config["APP_ENV"] = "development"
    assert refused.exit_code != 0 and "APP_ENV=production" in refused.output
    again = runner.invoke(args=["seed", "scale", "--trainees", "20"])
    assert again.exit_code != 0 and "already holds" in again.output
    assert rows(app, "SELECT count(*) FROM trainee WHERE id > :b", b=scale["trainee"])[0][0] == SIZES.trainees


def test_sizes_from_presets_and_options():
    assert sizes_from("1m").trainees == 1_000_000 and sizes_from("1m").attendance == 10_000_000
    assert sizes_from("1m").enterprises == 20_000 and sizes_from("1m").filings == 100_000
    assert sizes_from(None).trainees == 10_000
    custom = sizes_from(None, trainees=500, attendance=0)
    assert (custom.trainees, custom.attendance, custom.filings) == (500, 0, 50)
    with pytest.raises(ValueError):
        sizes_from(None, trainees=100, enterprises=50, filings=10)


def _first(app, sql: str, **params):
    found = rows(app, sql, **params)
    return tuple(found[0]) if found and found[0][0] is not None else None


def test_screens_open_on_the_generated_data(app, scale):
    from tests.conftest import api_token

    b = scale["filing"]
    big = b + big_filing_number(SIZES.filings)
    big_class = _first(app, "SELECT min(id) FROM training_class WHERE filing_id = :f", f=big)[0]
    owner = _first(app, "SELECT u.username FROM ab_user u JOIN filing f ON f.enterprise_id = u.enterprise_id "
                        "WHERE f.id = :f", f=big)[0]
    # detail screens: (url, city of the row) — opened by the admin and by that city's reviewer
    details = [(f"/review/filing/{big}", "4401"), (f"/tracking/class/{big_class}", "4401")]
    for url, sql in (("/review/filing/{}", "SELECT id, city_code FROM filing WHERE id > :b AND status = 'SUBMITTED'"),
                     ("/review/claims/{}", "SELECT id, city_code FROM subsidy_claim WHERE filing_id > :b "
                                           "AND status = 'SUBMITTED'"),
                     ("/review/changes/{}", "SELECT cr.id, f.city_code FROM change_request cr JOIN filing f "
                                            "ON f.id = cr.filing_id WHERE f.id > :b AND cr.kind = 'TEACHER'")):
        row = _first(app, sql + " ORDER BY 1", b=b)
        assert row is not None, url
        details.append((url.format(row[0]), row[1]))
    lists = ["/", "/review/filings/", "/review/filings/?page=2", "/review/changes/", "/review/claims/", "/tracking/"]
    claim = _first(app, "SELECT sc.id, u.username FROM subsidy_claim sc JOIN ab_user u "
                        "ON u.enterprise_id = sc.enterprise_id WHERE sc.filing_id > :b ORDER BY sc.id", b=b)
    enterprise = ["/", "/filing/results/ENTERPRISE", "/filing/results/ECOSYSTEM", "/enterprise/trainees/",
                  "/enterprise/trainees/?name=张", "/ecosystem/trainees/", f"/filing/{big}/trainees",
                  f"/filing/{big}/trainees?page=2", f"/filing/{big}/classes", f"/filing/{big}/courses",
                  "/changes/ENTERPRISE", "/tracking/ENTERPRISE", f"/tracking/class/{big_class}", "/claims/results"]
    checks = [("admin", lists + [url for url, _city in details]), ("rev_4401", lists), (owner, enterprise)]
    checks += [(f"rev_{city}", [url]) for url, city in details]
    if claim:
        checks.append((claim[1], [f"/claims/{claim[0]}/unit", f"/claims/{claim[0]}/persons"]))
    for username, urls in checks:
        client = app.test_client()
        login(client, username)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (username, url, response.status_code)
    client = app.test_client()
    for username in ("admin", "rev_4401", owner):
        token = api_token(client, username)
        for url in ("/api/v1/filing/", "/api/v1/trainee/", "/api/v1/subsidy_claim/", "/api/v1/attendance/"):
            response = client.get(url, headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, (username, url, response.status_code)
            if url in ("/api/v1/filing/", "/api/v1/trainee/"):
                assert response.get_json()["count"] > 0, (username, url)

"""DESIGN §9 for the REST APIs: every list API runs the same number of SQL statements for a page of 1 row and a page
of 50 (no N+1: views/datamodel.py loads no relationship the list's columns do not name, and the columns' own
relations are joined), and a list names its related columns without loading the relations' own relations.

Data: ``flask seed scale`` at a small size (every list has rows), generated once for the module like
tests/test_scale_lists.py; the database is reset to the demo seed when the module ends."""
from __future__ import annotations

import pytest
from flask_appbuilder.api import ModelRestApi

from models.base import db
from seed.scale import Sizes, generate
from tests.conftest import reset_database, statements_run

SIZES = Sizes(enterprises=8, filings=40, trainees=200, attendance=400, audit_events=20, big_filing=30, accounts=2)


@pytest.fixture(scope="module")
def scale(app):
    reset_database(app)
    from datetime import date

    from actions.registration import register
    from models.lookups import WorkdayOverride
    from tests.test_registration import ANON, form

    with app.app_context():
        generate(db.session, SIZES)
        for _ in range(2):  # 注册审核 and 工作日维护 are not in the generated set
            register(db.session, ANON, form())
        db.session.add_all([WorkdayOverride(day=date(2031, 1, 2), is_workday=False, note="休"),
                            WorkdayOverride(day=date(2031, 1, 4), is_workday=True, note="调休上班")])
        db.session.commit()
        db.session.remove()
    yield
    reset_database(app)


@pytest.fixture(autouse=True)
def fresh_data():
    """Overrides the per-test reset: the module shares one generated data set."""
    yield


def _list_apis(app) -> list[str]:
    return sorted(f"/api/v1/{view.resource_name}/" for view in app.appbuilder.baseviews
                  if isinstance(view, ModelRestApi)
                  and (view.include_route_methods is None or "get_list" in view.include_route_methods))


def _statements(app, api, url: str) -> tuple[int, int, list[str]]:
    with statements_run(app) as seen:
        response = api.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return len(seen), len(response.get_json()["result"]), seen


def test_every_list_api_runs_the_same_statements_for_1_and_50_rows(app, api, scale):
    admin = api("admin")
    urls = _list_apis(app)
    assert len(urls) >= 15, urls
    few = []
    for url in urls:
        one, rows_one, _ = _statements(app, admin, url + "?q=(page_size:1)")
        many, rows_many, seen = _statements(app, admin, url + "?q=(page_size:50)")
        assert one == many, (url, one, many, seen)
        assert many <= 6, (url, seen)
        if rows_many < 2:
            few.append(url)
    # the comparison only proves something for a list with two rows or more
    assert few == [], few


def test_a_list_joins_only_the_relations_its_columns_name(app, api, scale):
    """The claim list shows enterprise.name and filing.filing_no: enterprise and filing are joined once each, and
    neither their cities nor the filing's enterprise (the models' joined defaults)."""
    _count, rows, seen = _statements(app, api("admin"), "/api/v1/subsidy_claim/")
    assert rows >= 1
    page = next(s for s in seen if "FROM subsidy_claim" in s and "ORDER BY" in s)
    joined = page.split("FROM", 1)[1].upper()
    assert joined.count(" JOIN ") == 2, page
    assert "CITY" not in joined, page

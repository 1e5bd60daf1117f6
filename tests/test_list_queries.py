"""DESIGN §9: a list page runs a constant number of SQL statements whatever its page size (no N+1)."""
from __future__ import annotations

import pytest

from models.base import db
from tests import factories
from tests.conftest import login, statements_run


def _count_statements(app, client, url: str) -> int:
    with statements_run(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


@pytest.mark.parametrize("username,url", [
    ("admin", "/enterpriseview/list/"),
    ("admin", "/recognitionview/list/"),
    ("admin", "/traininginstitutionview/list/"),
    ("admin", "/subsidystandardview/list/"),
    ("admin", "/users/list/"),
    ("gz_reviewer", "/recognitionview/list/"),
])
def test_list_statement_count_is_constant(app, client, username, url):
    with app.app_context():
        for i in range(30):
            ent = factories.enterprise(city="4401")
            factories.recognition(ent.id, city="4401")
            db.session.commit()
            factories.user(f"user{i}", "企业用户", enterprise_id=ent.id)
    login(client, username)
    small = _count_statements(app, client, f"{url}?psize_{_view(url)}=5")
    large = _count_statements(app, client, f"{url}?psize_{_view(url)}=50")
    assert small == large, f"{url}: {small} statements for 5 rows, {large} for 50"
    assert large <= 10, f"{url}: {large} statements"


def _view(url: str) -> str:
    names = {"/enterpriseview/": "EnterpriseView", "/recognitionview/": "RecognitionView",
             "/traininginstitutionview/": "TrainingInstitutionView", "/subsidystandardview/": "SubsidyStandardView",
             "/users/": "AppUserDBModelView"}
    return next(v for k, v in names.items() if url.startswith(k))

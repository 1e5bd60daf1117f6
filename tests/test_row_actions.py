"""Row actions are declared with the transition rows and rendered/dispatched generically (views/ui/row_actions.py):
buttons with their confirmation texts on the filing page, checkboxes and a bulk 批量删除 on 办理结果 (all or
nothing), and a row added to a table shows up as a button with no view code."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from actions.transitions import FILING
from actions.workflow import WORKFLOWS, Transition
from models.base import db
from models.enums import FilingStatus, RoleName
from models.filing import Filing
from tests import factories
from tests.conftest import csrf_token_from, login


def _drafts(n: int, status: str = FilingStatus.DRAFT, owner: str = "ent_gz") -> list[int]:
    ids = [factories.filing(factories.demo_enterprise(owner).id, status=status).id for _ in range(n)]
    db.session.commit()
    return ids


def _exists(filing_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Filing, filing_id) is not None


def test_results_list_offers_bulk_delete_for_drafts_only(app, client):
    with app.app_context():
        drafts = _drafts(2)
        submitted = _drafts(1, FilingStatus.SUBMITTED)[0]
    login(client, "ent_gz")
    html = client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    assert 'id="bulk-filing"' in html and 'id="bulk-delete"' in html
    assert "对所勾选的记录：确定删除该备案申请吗？" in html
    for pk in drafts:
        assert f'name="pk" value="{pk}"' in html
    assert f'name="pk" value="{submitted}"' not in html


def test_bulk_delete_is_all_or_nothing(app, client):
    with app.app_context():
        drafts = _drafts(2)
        submitted = _drafts(1, FilingStatus.SUBMITTED)[0]
        other = _drafts(1, owner="ent_sz")[0]
    login(client, "ent_gz")
    token = csrf_token_from(client.get("/filing/results/ENTERPRISE").get_data(as_text=True))
    response = client.post("/rows/filing/delete", data={"pk": [drafts[0], submitted], "csrf_token": token,
                                                        "next": "/filing/results/ENTERPRISE"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/filing/results/ENTERPRISE")
    with app.app_context():
        assert _exists(drafts[0]) and _exists(submitted)  # nothing deleted: one row could not be
    assert "未做任何修改" in client.get("/filing/results/ENTERPRISE").get_data(as_text=True)
    # another enterprise's row among the chosen ones: 404 like any row out of scope, nothing deleted
    response = client.post("/rows/filing/delete", data={"pk": [drafts[0], other], "csrf_token": token})
    assert response.status_code == 404
    with app.app_context():
        assert _exists(drafts[0]) and _exists(other)
    response = client.post("/rows/filing/delete", data={"pk": drafts, "csrf_token": token,
                                                        "next": "https://evil.example/"})
    assert response.status_code == 302 and "evil" not in response.headers["Location"]
    with app.app_context():
        assert not any(_exists(pk) for pk in drafts)
    assert client.post("/rows/filing/withdraw", data={"pk": [submitted], "csrf_token": token}).status_code == 404
    assert client.post("/rows/filing/delete", data={"pk": drafts}).status_code == 400  # CSRF


def test_a_new_table_row_is_a_new_button_without_view_code(app, client, monkeypatch):
    """A row added to the filing table (here a made-up 'archive' for drafts) appears on the filing page with its
    label, confirmation and icon, and posts to the screen's generic URL."""
    extra = Transition("filing", "archive", (FilingStatus.DRAFT,), FilingStatus.CANCELLED, RoleName.ENTERPRISE,
                       "归档测试", confirm="确定归档吗？", icon="fa-archive", screens=("filing",))
    monkeypatch.setitem(WORKFLOWS, "filing", replace(FILING, transitions=FILING.transitions + (extra,)))
    with app.app_context():
        draft = _drafts(1)[0]
    login(client, "ent_gz")
    html = client.get(f"/filing/{draft}/info").get_data(as_text=True)
    assert 'id="action-archive"' in html and "归档测试" in html and 'data-confirm="确定归档吗？"' in html
    assert f'action="/filing/{draft}/do/archive"' in html
    token = csrf_token_from(html)
    assert client.post(f"/filing/{draft}/do/archive", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Filing.status).where(Filing.id == draft)) == FilingStatus.CANCELLED
    assert client.post(f"/filing/{draft}/do/nope", data={"csrf_token": token}).status_code == 404


def test_decision_form_names_the_decision_that_requires_the_opinion(client, app):
    """备案审核: 审核意见 is optional for 审核通过 and required for 退回 — the label says so (same input name, two rows)."""
    from sqlalchemy import select as _select

    from models.filing import Filing as _Filing
    from tests.conftest import login as _login

    with app.app_context():
        from models.base import db as _db

        pk = _db.session.scalars(_select(_Filing.id).where(_Filing.status == "SUBMITTED",
                                                           _Filing.city_code == "4401")).first()
    _login(client, "gz_reviewer")
    html = client.get(f"/review/filing/{pk}").get_data(as_text=True)
    assert "退回时必填" in html and "审核通过时必填" not in html

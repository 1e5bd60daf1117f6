"""Child lists page on the server (issue 12 High): a filing with many trainees renders one page of them on the
enterprise's 培训人员信息 tab and in the reviewer's detail, searches by name / ID number, switches the page size
(20/50/100) and comes back to the same page after an edit."""
from __future__ import annotations

import re

import pytest

from models.base import db
from models.enums import FilingStatus
from tests import factories
from tests.conftest import csrf_token_from, login

N = 130


@pytest.fixture
def big(app):
    """ent_gz's DRAFT filing and SUBMITTED filing with 130 trainees each (学员1 … 学员130)."""
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz").id
        numbers = [factories.id_number(seq=100 + i) for i in range(N)]
        draft = factories.complete_filing(ent, trainees=N, id_numbers=numbers)
        submitted = factories.complete_filing(ent, trainees=N, status=FilingStatus.SUBMITTED,
                                              id_numbers=[factories.id_number(birth="19960101", seq=100 + i)
                                                          for i in range(N)])
        db.session.commit()
        return {"draft": draft.id, "submitted": submitted.id, "numbers": numbers}


def rows_of(html: str) -> list[str]:
    return re.findall(r'data-trainee="([0-9X]+)"', html)


def test_trainee_tab_pages(client, big):
    login(client, "ent_gz")
    html = client.get(f"/filing/{big['draft']}/trainees").get_data(as_text=True)
    assert rows_of(html) == big["numbers"][:20]
    assert "共 130 条，每页 20 条，第 1 / 7 页" in html
    html = client.get(f"/filing/{big['draft']}/trainees?page=7").get_data(as_text=True)
    assert rows_of(html) == big["numbers"][120:]
    html = client.get(f"/filing/{big['draft']}/trainees?page=99&size=50").get_data(as_text=True)
    assert rows_of(html) == big["numbers"][100:] and "第 3 / 3 页" in html
    html = client.get(f"/filing/{big['draft']}/trainees?size=7").get_data(as_text=True)  # not offered: 20
    assert len(rows_of(html)) == 20


def test_search_by_name_and_id_number(client, big):
    login(client, "ent_gz")
    html = client.get(f"/filing/{big['draft']}/trainees?q=学员13").get_data(as_text=True)
    assert len(rows_of(html)) == 2  # 学员13, 学员130
    number = big["numbers"][57]
    html = client.get(f"/filing/{big['draft']}/trainees?q={number[-6:].lower()}").get_data(as_text=True)
    assert rows_of(html) == [number]
    html = client.get(f"/filing/{big['draft']}/trainees?q=%25").get_data(as_text=True)  # a literal %, no wildcard
    assert rows_of(html) == [] and "共 0 条" in html


def test_an_edit_comes_back_to_its_page(client, big, app):
    login(client, "ent_gz")
    page = client.get(f"/filing/{big['draft']}/trainees?page=3&size=50")
    html = page.get_data(as_text=True)
    edit = re.search(r'href="(/filing/\d+/trainees\?[^"]*edit=(\d+)[^"]*)#row-form"', html)
    assert edit and "page=3" in edit.group(1) and "size=50" in edit.group(1)
    form = client.get(edit.group(1).replace("&amp;", "&")).get_data(as_text=True)
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*id="trainees-form"', form).group(1)
    assert "page=3" in action
    values = {"pk": edit.group(2), "name": "改名学员", "id_number": big["numbers"][100], "phone": "13700137000",
              "education": "SECONDARY_VOCATIONAL", "contract_start": "2026-01-01", "contract_end": "2029-12-31",
              "hire_date": "2026-01-01", "csrf_token": csrf_token_from(form)}
    saved = client.post(action.replace("&amp;", "&"), data=values)
    assert saved.status_code == 302 and "page=3" in saved.headers["Location"] and "size=50" in saved.headers["Location"]


def test_reviewer_detail_pages_trainees(client, big):
    login(client, "gz_reviewer")
    response = client.get(f"/review/filing/{big['submitted']}")
    html = response.get_data(as_text=True)
    assert html.count('class="id-number"') < 40  # 20 trainees + 1 teacher, not 130
    assert "共 130 条，每页 20 条，第 1 / 7 页" in html and '<span class="badge">130</span>' in html
    html = client.get(f"/review/filing/{big['submitted']}?t_page=7").get_data(as_text=True)
    assert "第 7 / 7 页" in html and ">121<" in html  # numbering goes on across pages
    assert "学员130" in html and "学员1<" not in html

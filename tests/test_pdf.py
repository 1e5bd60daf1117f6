"""打印备案表 (R12): the WeasyPrint PDF of an approved filing.

- Its text layer (pdftotext, poppler-utils) holds the real characters: title per programme, filing number,
  enterprise, every trainee, 第 x 页 共 y 页 on every page, the trainee table header repeated on every page,
  and user text with <script>&"' characters shown literally (escaped, never markup).
- Nothing is fetched while rendering: external URLs in the template or CSS go to the url_fetcher, which refuses
  them, and no socket is ever opened.
- /filing/<id>/form.pdf and GET /api/v1/filing/<pk>/form.pdf: who may print (own enterprise, city reviewer,
  admin), 404 out of scope, 409 before approval, inline PDF named 备案表-<filing_no>.pdf (RFC 5987).
The render time of the 50-trainee form is printed (DESIGN §9 target ≤ 1 s; measured by bench/pdf_bench.py).
"""
from __future__ import annotations

import socket
import subprocess
import time
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.clock import today
from actions.review import next_filing_number
from models.base import db, utcnow
from models.filing import Filing, TrainingClass
from services import pdf as pdf_service
from tests import factories
from tests.conftest import login

SPECIAL_NAMES = ["<script>", "&\"'<>", "<b>李四</b>", "O'Neil&Co"]
OPINION = "<script>alert(\"审核\")</script> & 'ok' 同意备案"
OTHER_INSTITUTION = "<b>粗体</b>培训中心&\"'"


def approved_filing(owner: str = "ent_gz", trainees: int = 3, programme: str = "ENTERPRISE",
                    apprenticeship_type: str = "NEW_APPRENTICE", special: bool = False) -> int:
    """An APPROVED filing with ``trainees`` trainees named 测试学员NN号 (plus <script>-like names if ``special``)."""
    ent = factories.demo_enterprise(owner)
    numbers = [factories.id_number(birth="19880808", seq=i) for i in range(trainees)]
    row = factories.complete_filing(ent.id, programme=programme, apprenticeship_type=apprenticeship_type,
                                    status="APPROVED", trainees=trainees, id_numbers=numbers)
    for i, trainee in enumerate(row.trainees):
        trainee.name = SPECIAL_NAMES[i] if special and i < len(SPECIAL_NAMES) else f"测试学员{i:02d}号"
    if special:
        row.institution_id = None
        row.other_institution_name = OTHER_INSTITUTION
    row.filing_no = next_filing_number(db.session, row.city_code, today().year)
    row.submitted_at = row.approved_at = row.reviewed_at = utcnow()
    row.review_opinion = OPINION if special else "材料齐全，同意备案。"
    db.session.commit()
    return row.id


def load(filing_id: int) -> Filing:
    db.session.expire_all()
    stmt = (select(Filing).where(Filing.id == filing_id)
            .options(selectinload(Filing.classes).selectinload(TrainingClass.courses),
                     selectinload(Filing.teachers), selectinload(Filing.trainees), selectinload(Filing.attachments)))
    return db.session.scalars(stmt).unique().one()


def pdf_text(data: bytes, tmp_path, first: int | None = None, last: int | None = None) -> str:
    path = tmp_path / f"form-{time.monotonic_ns()}.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first), "-l", str(last or first)]
    out = subprocess.run([*args, str(path), "-"], check=True, capture_output=True)
    return out.stdout.decode("utf-8")


def pdf_pages(data: bytes, tmp_path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def squash(text: str) -> str:
    """pdftotext breaks lines inside table cells; compare without whitespace."""
    return "".join(text.split())


# ---- the document -----------------------------------------------------------------------------------------

def test_fifty_trainee_form_text_layer(app, tmp_path):
    with app.app_context():
        filing_id = approved_filing(trainees=50, special=True)
        filing = load(filing_id)
        names = [t.name for t in filing.trainees]
        number, enterprise = filing.filing_no, filing.enterprise.name
        fetcher = pdf_service.LocalOnlyFetcher()
        started = time.perf_counter()
        data = pdf_service.render_filing_form(filing, fetcher=fetcher)
        elapsed = time.perf_counter() - started
    print(f"\n备案表 with 50 trainees rendered in {elapsed:.3f} s ({len(data) / 1024:.0f} KiB)")  # not asserted
    assert data.startswith(b"%PDF-")
    assert fetcher.requested == []  # the template references nothing; user text cannot add references
    pages = pdf_pages(data, tmp_path)
    assert pages >= 2
    text = pdf_text(data, tmp_path)
    flat = squash(text)
    assert "企业新型学徒制培训备案表" in text and "产教评" not in text
    assert number in text and enterprise in flat
    assert "一、单位基本信息" in text and "⼀" not in text  # U+4E00, not the Kangxi radical U+2F00
    assert "培训人员（共 50 人）" in text
    for name in names:
        assert squash(name) in flat, name
    for literal in [*SPECIAL_NAMES, OPINION, OTHER_INSTITUTION]:
        assert squash(literal) in flat, literal  # shown as text, not interpreted as markup
    assert "alert" in flat and "李四" in flat
    for page in range(1, pages + 1):
        page_text = pdf_text(data, tmp_path, page)
        assert squash(f"第 {page} 页 共 {pages} 页") in squash(page_text)  # pdftotext drops the thin spaces
        assert f"备案编号：{number}" in page_text  # running header
        if any(squash(n) in squash(page_text) for n in names):
            assert "身份证号码" in page_text and "文化程度" in page_text  # the trainee header on this page too
    last_page = pdf_text(data, tmp_path, pages)
    for label in ("审核意见", "审核日期", "申请单位（盖章）", "单位盖章", "审核单位（盖章）", "广州市人力资源和社会保障局"):
        assert label in last_page, label


@pytest.mark.parametrize("programme,apprenticeship_type,title", [
    ("ECOSYSTEM", "STUDENT", "产教评技能生态链企业新型学徒制培训备案表"),
    ("ECOSYSTEM", "TECH_TRAINEE", "产教评技能生态链企业新型学徒制培训备案表"),
    ("ENTERPRISE", "NEW_APPRENTICE", "企业新型学徒制培训备案表"),
])
def test_title_per_programme(app, tmp_path, programme, apprenticeship_type, title):
    with app.app_context():
        filing = load(approved_filing(programme=programme, apprenticeship_type=apprenticeship_type))
        data = pdf_service.render_filing_form(filing)
        courses = bool([c for cls in filing.classes for c in cls.courses])
    text = pdf_text(data, tmp_path)
    first_line = next(line for line in text.splitlines() if line.strip())
    assert first_line.strip() in (title, f"备案编号：{filing.filing_no}")
    assert title in text
    if programme == "ENTERPRISE":
        assert "产教评" not in text
    assert ("六、培训课程" in text) == courses


# ---- nothing external is ever fetched ---------------------------------------------------------------------

@pytest.fixture
def no_network(monkeypatch):
    """Record (and refuse) every attempt to resolve or connect: the renderer must not make any."""
    attempts: list = []

    def refuse(name):
        def _refuse(*args, **kwargs):
            attempts.append((name, args[:2]))
            raise OSError(f"network disabled in this test ({name})")
        return _refuse

    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    return attempts


EXTERNAL = [
    "http://example.invalid/x.png",
    "https://example.invalid/style.css",
    "http://example.invalid/import.css",
    "http://example.invalid/bg.png",
    "http://example.invalid/font.woff2",
    "file:///etc/passwd",
    "ftp://example.invalid/y.png",
]
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAA"
         "AABJRU5ErkJggg==")


def test_external_resources_are_refused(app, no_network):
    html = f"""<!DOCTYPE html><html><head>
      <link rel="stylesheet" href="{EXTERNAL[1]}">
      <style>
        @import url("{EXTERNAL[2]}");
        body {{ background: url("{EXTERNAL[3]}"); }}
        @font-face {{ font-family: Remote; src: url("{EXTERNAL[4]}"); }}
        p {{ font-family: Remote, "WenQuanYi Zen Hei"; }}
      </style></head>
      <body><p>外部资源测试</p><img src="{EXTERNAL[0]}"><img src="{EXTERNAL[5]}"><img src="{EXTERNAL[6]}">
      <img src="{PIXEL}"></body></html>"""
    fetcher = pdf_service.LocalOnlyFetcher()
    data = pdf_service.render_html(html, fetcher=fetcher)
    assert data.startswith(b"%PDF-")
    assert sorted(fetcher.refused) == sorted(EXTERNAL)  # every external URL was asked for and refused
    assert PIXEL in fetcher.requested and PIXEL not in fetcher.refused  # data: URLs are fine
    assert no_network == []  # and no socket was touched


def test_the_real_template_with_an_external_reference_is_refused(app, no_network, tmp_path):
    with app.app_context():
        filing = load(approved_filing())
        html = pdf_service.render_form_html(filing)
    injected = html.replace("</h1>", '</h1><img src="http://example.invalid/x.png">', 1).replace(
        "</style>", 'h1 { background: url("http://example.invalid/bg.png"); }</style>', 1)
    fetcher = pdf_service.LocalOnlyFetcher()
    data = pdf_service.render_html(injected, fetcher=fetcher)
    assert set(fetcher.refused) == {"http://example.invalid/x.png", "http://example.invalid/bg.png"}
    assert no_network == []
    assert "企业新型学徒制培训备案表" in pdf_text(data, tmp_path)


def test_fetcher_refuses_directly():
    fetcher = pdf_service.LocalOnlyFetcher()
    for url in ("http://127.0.0.1/", "https://example.invalid/", "file:///etc/hostname"):
        with pytest.raises(pdf_service.ExternalResourceRefused):
            fetcher.fetch(url)
    assert fetcher.refused == ["http://127.0.0.1/", "https://example.invalid/", "file:///etc/hostname"]
    assert fetcher.fetch("data:text/plain,abc").read() == b"abc"


# ---- /filing/<id>/form.pdf and the API ----------------------------------------------------------------------

PRINT_EXPECTED = {  # role → status for an APPROVED 广州 filing
    "ent_gz": 200, "gz_reviewer": 200, "admin": 200, "ent_sz": 404, "sz_reviewer": 404,
}


@pytest.mark.parametrize("username", list(PRINT_EXPECTED))
def test_print_view_roles_and_scope(app, client, username):
    with app.app_context():
        filing_id = approved_filing()
        number = db.session.get(Filing, filing_id).filing_no
    login(client, username)
    response = client.get(f"/filing/{filing_id}/form.pdf")
    assert response.status_code == PRINT_EXPECTED[username]
    if response.status_code == 200:
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline")
        assert f"filename*=UTF-8''{quote(f'备案表-{number}.pdf')}" in disposition
        assert "no-store" in response.headers["Cache-Control"]
    else:
        assert number not in response.get_data(as_text=True)


@pytest.mark.parametrize("state", ["SUBMITTED", "RETURNED", "DRAFT"])
@pytest.mark.parametrize("username", ["ent_gz", "gz_reviewer", "admin"])
def test_print_view_refuses_before_approval(app, client, username, state):
    with app.app_context():
        ent = factories.demo_enterprise("ent_gz")
        filing_id = factories.complete_filing(ent.id, status=state).id
        db.session.commit()
    login(client, username)
    response = client.get(f"/filing/{filing_id}/form.pdf")
    if username == "gz_reviewer" and state == "DRAFT":
        assert response.status_code == 404  # a reviewer never sees drafts
        return
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "只有审核通过的备案才能打印备案表" in html and response.mimetype == "text/html"


def test_print_view_needs_login(app, client):
    with app.app_context():
        filing_id = approved_filing()
    response = client.get(f"/filing/{filing_id}/form.pdf")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


@pytest.mark.parametrize("username", list(PRINT_EXPECTED))
def test_api_form_pdf(app, api, username):
    with app.app_context():
        approved = approved_filing()
        ent = factories.demo_enterprise("ent_gz")
        submitted = factories.complete_filing(ent.id, status="SUBMITTED").id
        db.session.commit()
        number = db.session.get(Filing, approved).filing_no
    caller = api(username)
    response = caller.get(f"/api/v1/filing/{approved}/form.pdf")
    assert response.status_code == PRINT_EXPECTED[username]
    if response.status_code == 200:
        assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
        assert quote(f"备案表-{number}.pdf") in response.headers["Content-Disposition"]
        refused = caller.get(f"/api/v1/filing/{submitted}/form.pdf")
        assert refused.status_code == 409
        assert refused.get_json()["message"] == "只有审核通过的备案才能打印备案表"
    else:
        assert response.get_json()["message"] == "记录不存在或无权访问"
    assert caller.get("/api/v1/filing/999999/form.pdf").status_code == 404


def test_api_form_pdf_needs_a_token(app, client):
    with app.app_context():
        filing_id = approved_filing()
    assert client.get(f"/api/v1/filing/{filing_id}/form.pdf").status_code == 401


def test_openapi_lists_the_pdf_and_the_read_only_audit_api(app, api):
    response = api("admin").get("/api/v1/_openapi")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    assert set(paths["/api/v1/filing/{pk}/form.pdf"]) == {"get"}
    for path in ("/api/v1/audit_event/", "/api/v1/audit_event/{pk}", "/api/v1/audit_event/_info"):
        assert set(paths[path]) == {"get"}, path

"""Internationalisation: the Chinese UI shows no stray English from Flask-AppBuilder, the language switch works,
and the committed translation catalogs (translations/) are complete and compiled.

The crawl logs in as each demo role, opens every page linked from the home page (navbar menus, user menu,
services tree) and then, on each of those pages, the first link of every other screen shape (first show / edit /
add link of a list, the user-info sub-forms …). Each page's *visible* text is checked against a fixed list of
English UI words. Translations live in translations/ and are rebuilt with scripts/translations.sh.
"""
from __future__ import annotations

import html as html_lib
import io
import json
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest

from tests.conftest import login

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"

MAX_PAGES = 60
# Self-service forms every role may open (models/roles.py SELF_SERVICE) but no page links to: crawled as well.
SELF_SERVICE_FORMS = ["/resetmypassword/form", "/userinfoeditview/form"]
# Screens each role's crawl must reach, so an empty crawl cannot pass.
MUST_REACH = {
    "admin": ["/users/userinfo/", "/list/", "/show/", "/edit/", "/add", *SELF_SERVICE_FORMS],
    "gz_reviewer": ["/users/userinfo/", "/list/", "/show/", "/edit/", "/add", *SELF_SERVICE_FORMS],
    "ent_gz": ["/users/userinfo/", *SELF_SERVICE_FORMS],
}
ROLES = list(MUST_REACH)

# English UI words that must never be visible on a Chinese page (case-sensitive, whole words).
STRAY_ENGLISH = [
    "Show", "Edit", "Delete", "Add", "Search", "Actions", "Save", "Back", "Refresh", "Clear", "Yes", "No",
    "Previous", "Next", "Language", "List", "Record", "Records", "Page size", "Filter", "Logout", "User info",
    "Welcome", "Home", "Security", "Roles",
]
STRAY_RE = re.compile(r"\b(" + "|".join(re.escape(w) for w in STRAY_ENGLISH) + r")\b")

# Legitimate, non-UI English that may appear on a Chinese page: each pattern is removed before the check. Keep
# it small, one comment per entry saying why the English is not UI text.
ALLOWED_ENGLISH: list[re.Pattern] = [
    # The language menu names the other language in that language ("English", config.py LANGUAGES); it is not
    # in STRAY_ENGLISH today, listed so a future word list containing it does not flag the switcher.
    re.compile(r"- English\b"),
]

SKIP_PREFIXES = ("/logout", "/lang/", "/api/", "/swagger", "/static/", "/appbuilder/", "/login", "/back")
# GET on these would change data (or they are not pages): never followed by the crawler.
SKIP_PARTS = ("/delete", "/action/", "/action_post", "/download/", "/template")  # /template: xlsx downloads
STATIC_EXT = re.compile(r"\.(css|js|map|png|jpe?g|gif|svg|ico|woff2?|ttf|eot|pdf|xlsx?|csv|zip)$", re.I)
HREF_RE = re.compile(r"""<a\b[^>]*?\shref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
TAG_RE = re.compile(r"<[^>]*>", re.S)
TITLE_ATTR_RE = re.compile(r"""\stitle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)


def visible_text(page: str) -> str:
    """The text a user sees: no <script>/<style>/comments, no tags; attribute values dropped except
    ``title="…"`` tooltips, which the user does see."""
    page = re.sub(r"(?is)<(script|style|template|noscript)\b.*?</\1\s*>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)

    def tag(match: re.Match) -> str:
        titles = [a or b for a, b in TITLE_ATTR_RE.findall(match.group(0))]
        return " " + " ".join(titles) + " "

    text = html_lib.unescape(TAG_RE.sub(tag, page))
    return re.sub(r"\s+", " ", text)


def stray_english(text: str) -> list[str]:
    for pattern in ALLOWED_ENGLISH:
        text = pattern.sub(" ", text)
    return [f"{m.group(0)!r} in …{text[max(0, m.start() - 30):m.end() + 30]}…" for m in STRAY_RE.finditer(text)]


def same_origin_links(page: str, base: str) -> list[str]:
    """Same-origin page links (path + query) in document order, without the ones the crawler must skip."""
    links = []
    for a, b in HREF_RE.findall(page):
        href = html_lib.unescape(a or b).strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        parts = urlsplit(urljoin("http://localhost" + base, href))
        if parts.netloc != "localhost" or not parts.path.startswith("/"):
            continue
        path = parts.path
        if path.startswith(SKIP_PREFIXES) or any(p in path for p in SKIP_PARTS) or STATIC_EXT.search(path):
            continue
        links.append(path + (f"?{parts.query}" if parts.query else ""))
    return links


def shape(url: str) -> str:
    """A screen's shape: path with ids replaced and the query dropped (/cityview/show/4401 → /cityview/show/N)."""
    return re.sub(r"/[^/]*\d[^/]*", "/N", urlsplit(url).path.rstrip("/"))


def fetch(client, url: str) -> str:
    response = client.get(url, follow_redirects=True)
    assert response.status_code == 200, f"GET {url} answered {response.status_code}"
    return response.get_data(as_text=True)


def crawl(client) -> dict[str, str]:
    """Home page, every page it links to (plus the self-service forms), then the first link of each new screen
    shape on those pages."""
    pages = {"/": fetch(client, "/")}
    shapes = {shape("/")}
    first_level = []
    for url in same_origin_links(pages["/"], "/") + SELF_SERVICE_FORMS:
        if shape(url) not in shapes and len(pages) < MAX_PAGES:
            shapes.add(shape(url))
            pages[url] = fetch(client, url)
            first_level.append(url)
    for parent in first_level:
        for url in same_origin_links(pages[parent], parent):
            if shape(url) not in shapes and len(pages) < MAX_PAGES:
                shapes.add(shape(url))
                pages[url] = fetch(client, url)
    return pages


def test_the_checker_itself():
    """visible_text / stray_english: tooltips count, scripts, styles and other attributes do not, whole words."""
    page = ("<html><head><style>.Show{}</style><script>var a = 'Delete';</script></head><body>"
            "<a class=\"Edit\" href=\"/x/edit/1\" title=\"Edit record\"><i></i></a>"
            "<!-- Save --><span data-x=\"Back\">查看</span> Showcase Addition &lt;No&gt;</body></html>")
    text = visible_text(page)
    assert "Delete" not in text and ".Show" not in text and "Save" not in text and "Back" not in text
    found = [f.split(" in ")[0] for f in stray_english(text)]
    assert found == ["'Edit'", "'No'"], found
    assert stray_english(visible_text("<p>查看 新增</p><i class='flag gb'></i> - English")) == []
    assert same_origin_links('<a href="/a/list/">x</a><a href="http://other.example/">y</a>'
                             '<a href="/logout/">z</a><a href="/a/delete/1">d</a><a href="#">h</a>'
                             '<a href="/static/app.css">s</a><a href="show/2?x=1">r</a>', "/a/") == \
        ["/a/list/", "/a/show/2?x=1"]


@pytest.mark.parametrize("username", ROLES)
def test_chinese_pages_have_no_stray_english(client, username):
    assert client.get("/lang/zh").status_code == 302
    response = login(client, username)
    assert response.status_code == 302, f"login of {username} failed"
    pages = crawl(client)
    # The crawl must really reach the role's screens (lists, show pages, forms).
    urls = list(pages)
    for part in MUST_REACH[username]:
        assert any(part in url for url in urls), f"{username}: crawl never reached {part}: {urls}"
    problems = {url: found for url, page in pages.items() if (found := stray_english(visible_text(page)))}
    assert not problems, f"{username}: English on Chinese pages:\n" + "\n".join(
        f"  {url}: {found}" for url, found in problems.items())


def test_login_page_and_login_errors_are_chinese(client):
    client.get("/lang/zh")
    page = fetch(client, "/login/")
    assert stray_english(visible_text(page)) == []
    assert "用户名" in visible_text(page) and "密码" in visible_text(page)
    response = login(client, "admin", "wrong-password")
    text = visible_text(client.get(response.headers.get("Location", "/login/"), follow_redirects=True)
                        .get_data(as_text=True))
    assert "Invalid login" not in text
    assert "用户名或密码错误" in text, text


def test_access_denied_flash_is_chinese(client):
    """A protected page opened without logging in: FAB redirects to the login page with a flash message."""
    client.get("/lang/zh")
    text = visible_text(fetch(client, "/roles/list/"))
    assert "Access is Denied" not in text
    assert "无权访问" in text, text


def test_search_filter_operators_are_chinese(client):
    """Filter operator names reach the page as JSON for the filter widget (inside a script)."""
    client.get("/lang/zh")
    login(client, "admin")
    page = fetch(client, "/cityview/list/")
    match = re.search(r"new AdminFilters\(\s*'#filter_form',\s*(.*?)\);", page, re.S)
    assert match, "the list page has no filter widget"
    args = json.loads("[" + match.group(1) + "]")
    search_filters = args[2]
    operators = {op for ops in search_filters.values() for op in (o[1] for o in ops)}
    assert operators, search_filters
    english = sorted(op for op in operators if re.search(r"[A-Za-z]", op))
    assert english == [], f"filter operators still in English: {english}"


def navbar_text(page: str) -> str:
    match = re.search(r"(?s)<header\b.*?</header>", page)
    assert match, "the page has no navbar"
    return visible_text(match.group(0))


def test_language_switch(client):
    login(client, "admin")
    client.get("/lang/zh")
    zh = visible_text(fetch(client, "/"))
    assert "基础数据" in zh and "Base data" not in zh

    assert client.get("/lang/en").status_code == 302
    en = fetch(client, "/")
    navbar = navbar_text(en)
    assert "Base data" in navbar and "基础数据" not in navbar, navbar
    assert "Cities" in navbar and "Ecosystem enterprise recognitions" in navbar, navbar
    assert "Services" in visible_text(en)
    cities = visible_text(fetch(client, "/cityview/list/"))
    assert "Cities" in cities and "Code" in cities and "Name" in cities, cities

    assert client.get("/lang/zh").status_code == 302
    back = fetch(client, "/")
    navbar = navbar_text(back)
    assert "基础数据" in navbar and "Base data" not in navbar
    assert "事项办理" in visible_text(back)


def test_api_labels_follow_the_language_of_each_request(client):
    """The REST lists' ``label_columns`` are translated once per language (views/base.py), never served in the
    language of an earlier request."""
    login(client, "admin")
    labels = {}
    for lang in ("zh", "en", "zh", "en"):
        assert client.get(f"/lang/{lang}").status_code == 302
        answer = client.get("/api/v1/filing/", headers={"X-CSRFToken": "unused"})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:200]
        labels.setdefault(lang, []).append(answer.get_json()["label_columns"]["status"])
    assert labels == {"zh": ["状态", "状态"], "en": ["Status", "Status"]}, labels


# ---- the catalogs themselves --------------------------------------------------------------------------------

def _read_po(path: Path):
    from babel.messages.pofile import read_po

    with path.open("rb") as handle:
        return read_po(handle)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compiled_catalogs_are_up_to_date(lang):
    """translations/<lang>/LC_MESSAGES/messages.mo is exactly what compiling the .po gives (run
    scripts/translations.sh after editing a .po)."""
    from babel.messages.mofile import write_mo

    po = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"
    mo = po.with_suffix(".mo")
    assert po.exists() and mo.exists()
    buffer = io.BytesIO()
    write_mo(buffer, _read_po(po))
    assert buffer.getvalue() == mo.read_bytes(), f"{mo} is stale: run scripts/translations.sh"


def test_every_flask_appbuilder_string_has_a_chinese_translation():
    """Every msgid of the installed Flask-AppBuilder (its .py files and templates) is translated into Chinese by
    FAB's own zh catalog or ours: a FAB upgrade that adds strings makes this fail until they are translated."""
    import flask_appbuilder
    from babel.messages.extract import extract_from_dir

    fab_dir = Path(flask_appbuilder.__file__).parent
    method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "_l": None, "__": None}
    msgids = {msgid if isinstance(msgid, str) else msgid[0]
              for _file, _line, msgid, _comments, _ctx in extract_from_dir(str(fab_dir), method_map,
                                                                          keywords=keywords)}
    assert len(msgids) > 100
    catalogs = [_read_po(fab_dir / "translations" / "zh" / "LC_MESSAGES" / "messages.po"),
                _read_po(TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po")]

    def translated(msgid):
        for catalog in catalogs:
            message = catalog.get(msgid)
            if message is not None and message.string and not message.fuzzy:
                return True
        return False

    missing = sorted(m for m in msgids if m and not translated(m))
    assert missing == [], f"Flask-AppBuilder strings without a Chinese translation: {missing}"


def test_english_catalog_translates_the_menus():
    en = _read_po(TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po")
    for msgid, expected in [("基础数据", "Base data"), ("地市", "Cities"), ("事项办理", "Services"),
                            ("生态链企业认定维护", "Ecosystem enterprise recognitions")]:
        assert en.get(msgid) is not None and en.get(msgid).string == expected, msgid

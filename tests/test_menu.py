"""The one menu table (views/menu.py, DESIGN §6): every entry is in the navbar of exactly its roles (label, icon,
URL, order), answers 200 for them, the home page's 事项办理 tree links only to entries of the table, and the role
matrix grants ``menu_access`` by exact names from the table only."""
from __future__ import annotations

import html as html_lib
import re

import pytest

from models.enums import RoleName
from tests.conftest import login, statements_run
from views import menu

USERS = {"admin": RoleName.ADMIN, "gz_reviewer": RoleName.REVIEWER, "ent_gz": RoleName.ENTERPRISE}

DROPDOWN = re.compile(r'<li class="dropdown">\s*<a class="dropdown-toggle"[^>]*>(.*?)<b class="caret"></b></a>\s*'
                      r'<ul class="dropdown-menu">(.*?)</ul></li>', re.S)
ITEM = re.compile(r'<a tabindex="-1" href="([^"]*)">(.*?)</a>', re.S)
ICON = re.compile(r'<i class="fa (?:fa-fw )?([^"]+)"></i>')


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def navbar(page: str) -> list[tuple[str, str, str, str]]:
    """``(category label, item label, item icon, url)`` of the left navbar (the menu), in page order."""
    start = page.index('<ul class="nav navbar-nav">')
    block = page[start:page.index('<ul class="nav navbar-nav navbar-right">', start)]
    found = []
    for toggle, items in DROPDOWN.findall(block):
        category = _text(toggle)
        for url, body in ITEM.findall(items):
            icon = ICON.search(body)
            found.append((category, _text(body), icon.group(1) if icon else "", url))
    return found


def home_links(page: str) -> list[str]:
    """The URLs of the 事项办理 tree's buttons."""
    return re.findall(r'<a class="btn btn-xs btn-primary" href="([^"]+)">', page)


@pytest.fixture
def entry_url(app):
    """The URL FAB's menu gives an entry (the same as the navbar's link)."""
    def url(entry: menu.MenuEntry) -> str:
        with app.test_request_context():
            return menu.menu_item(app.appbuilder.menu, entry).get_url()
    return url


def expected_navbar(app, role: str, entry_url) -> list[tuple[str, str, str, str]]:
    rows = []
    with app.test_request_context():
        for entry in menu.MENU:
            if role in entry.roles:
                icon = entry.icon or menu.menu_item(app.appbuilder.menu, entry).icon
                rows.append((str(entry.category.label), str(entry.label), icon, entry_url(entry)))
    return rows


@pytest.mark.parametrize("username", list(USERS))
def test_every_entry_is_in_the_navbar_of_exactly_its_roles(app, client, entry_url, username):
    role = USERS[username]
    login(client, username)
    shown = navbar(client.get("/").get_data(as_text=True))
    assert shown == expected_navbar(app, role, entry_url)
    assert shown, f"{username} sees no menu"


@pytest.mark.parametrize("username", list(USERS))
def test_every_entry_answers_200_for_its_roles(client, entry_url, username):
    role = USERS[username]
    login(client, username)
    for entry in menu.MENU:
        if role in entry.roles:
            url = entry_url(entry)
            response = client.get(url)
            assert response.status_code == 200, (entry.name, url, response.status_code)


@pytest.mark.parametrize("username", list(USERS))
def test_home_tree_links_only_to_entries_of_the_table(client, entry_url, username):
    role = USERS[username]
    login(client, username)
    page = client.get("/").get_data(as_text=True)
    content = page[page.index("事项办理"):]
    links = home_links(content)
    allowed = {entry_url(entry) for entry in menu.MENU if role in entry.roles}
    placed = {entry_url(entry) for entry in menu.MENU
              if any(role in (place.roles or entry.roles) for place in entry.home)}
    assert links, f"{username}: empty 事项办理 tree"
    assert set(links) <= allowed, set(links) - allowed
    assert set(links) == placed


def test_table_is_consistent():
    names = [entry.name for entry in menu.MENU]
    assert len(names) == len(set(names)), "menu names must be unique"
    for entry in menu.MENU:
        assert entry.roles and set(entry.roles) <= set(USERS.values()), entry.name
        assert not (entry.view and entry.href), entry.name
        for place in entry.home:
            assert place.group in menu.HOME_GROUPS, (entry.name, place.group)
            assert set(place.roles) <= set(entry.roles), entry.name


def _alternatives(pattern: str) -> list[str]:
    match = re.fullmatch(r"\^\((.*)\)\$", pattern)
    assert match, f"menu_access pattern is not ^(exact|names)$: {pattern}"
    return [re.sub(r"\\(.)", r"\1", name) for name in match.group(1).split("|")]


def test_menu_access_is_granted_by_exact_names_from_the_table(app):
    roles = app.config["FAB_ROLES"]
    assert set(roles) == set(USERS.values())
    table_names = menu.all_names()
    for role, permissions in roles.items():
        granted: list[str] = []
        for resource, permission in permissions:
            if not re.match(permission, "menu_access"):
                continue
            assert permission == r"^menu_access$", (role, permission)
            names = _alternatives(resource)
            assert set(names) <= table_names, (role, set(names) - table_names)
            for name in names:
                assert re.match(resource, name) and not re.match(resource, name + "X"), (role, name)
            granted += names
        assert granted == menu.menu_names(role), role
        # A future menu whose name merely starts like an existing one is not granted by accident.
        for other in ("EnterpriseUnits", "EcosystemX", "BaseDataX", "ReviewX", "Home", "Statistics"):
            assert not any(re.match(resource, other) for resource, permission in permissions
                           if re.match(permission, "menu_access")), (role, other)


@pytest.mark.parametrize("seconds", [60, 0])
def test_menu_rendered_once_per_role_set_and_language(app, entry_url, monkeypatch, seconds):
    """views/menu_cache.py: one app, users of each role in turn (and the admin in English) each get their own
    role's menu, from the cache or rendered afresh (``MENU_CACHE_SECONDS = 0``)."""
    monkeypatch.setitem(app.config, "MENU_CACHE_SECONDS", seconds)
    app.extensions.pop("navbar_menu_cache", None)
    for _round in range(2):  # the second round reads what the first one cached
        for username, role in USERS.items():
            client = app.test_client()
            login(client, username)
            assert navbar(client.get("/").get_data(as_text=True)) == expected_navbar(app, role, entry_url), username
    cached = app.extensions.get("navbar_menu_cache") or {}
    assert len([key for key in cached if key[0] != ("public",)]) == (len(USERS) if seconds else 0)  # one per role
    english = app.test_client()
    login(english, "admin")
    english.get("/lang/en")
    shown = navbar(english.get("/").get_data(as_text=True))
    assert shown and all(not re.search(r"[\u4e00-\u9fff]", label) for _c, label, _i, _u in shown), shown[:3]
    anonymous = app.test_client().get("/login/").get_data(as_text=True)
    assert navbar(anonymous) == []


def test_permissions_are_the_matrix_only_and_nothing_is_public(app, client, api):
    """``is_item_public`` answers from the role matrix in memory (views/security.py): that is right only while the
    role rows in the database hold no permission and the public role has no matrix entry — checked here — and it
    saves FAB's four statements (public role and its permissions, twice) on every API request."""
    from flask_appbuilder.security.sqla.models import assoc_permissionview_role
    from sqlalchemy import func, select

    from models.base import db

    with app.app_context():
        sm = app.appbuilder.sm
        assert db.session.scalar(select(func.count()).select_from(assoc_permissionview_role)) == 0
        assert app.config["AUTH_ROLE_PUBLIC"] not in app.config["FAB_ROLES"]
        assert not any(sm.is_item_public(permission, view)
                       for view, permission in (("Filing", "can_read"), ("Trainee", "can_get_list"), ("Job", "can_read")))
    assert client.get("/api/v1/filing/").status_code == 401
    assert client.get("/filing/results/ENTERPRISE").status_code in (302, 401)

    caller = api("ent_gz")
    with statements_run(app) as seen:
        assert caller.get("/api/v1/filing/").status_code == 200
    public_role_lookups = [s for s in seen if "ab_role.name =" in s or "ab_permission_view_role" in s]
    assert public_role_lookups == [], public_role_lookups
    assert len(seen) <= 5, seen  # the user (roles and groups joined), the page, its count, the page's relations

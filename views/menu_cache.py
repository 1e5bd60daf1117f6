"""The navbar's menu markup, rendered once per role set and language and reused for ``MENU_CACHE_SECONDS``
(issue 15: FAB renders it on every page — one permission look-up and one translation per menu item, about a third of
a list page's CPU time at provincial scale).

Which items a user sees depends only on its roles' ``menu_access`` permissions (FAB's ``is_menu_visible``), so the
key is the user's role ids, the language and the URL prefix. A change of a role's permissions shows in the menus
within ``MENU_CACHE_SECONDS`` (each app process has its own copy); access itself is always checked per request, so
a stale menu can only show an item that then answers 403, or hide one for a minute.
``MENU_CACHE_SECONDS = 0`` renders the menu on every page as FAB does.
"""
from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, current_app, request
from flask_babel import get_locale
from markupsafe import Markup

_lock = threading.Lock()


def _key() -> tuple:
    """The user FAB's ``has_access`` asks about (session, JWT or none) reduced to what decides the menu."""
    user = current_app.appbuilder.sm.current_user
    if user is None:
        roles: tuple = ("public",)
    elif not getattr(user, "is_active", False):
        roles = ("inactive",)  # sees no item
    else:
        roles = tuple(sorted(role.id for role in user.roles))
    return roles, str(get_locale()), request.script_root


def cached_navbar_menu(menu: Any) -> Markup:
    """The menu items of the current user (templates/appbuilder/navbar_menu_items.html), from the cache when fresh."""
    ttl = float(current_app.config.get("MENU_CACHE_SECONDS", 60))
    template = current_app.jinja_env.get_template("appbuilder/navbar_menu_items.html")
    if ttl <= 0:
        return Markup(template.render(menu=menu))
    cache: dict = current_app.extensions.setdefault("navbar_menu_cache", {})
    key = _key()
    now = time.monotonic()
    found = cache.get(key)
    if found is not None and found[0] > now:
        return found[1]
    markup = Markup(template.render(menu=menu))
    with _lock:
        cache[key] = (now + ttl, markup)
    return markup


def init_app(app: Flask) -> None:
    app.jinja_env.globals["cached_navbar_menu"] = cached_navbar_menu

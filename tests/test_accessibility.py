"""Accessibility (issue 12): axe-core (axe-playwright-python, in Debian Chromium) reports no serious or critical
violation on the screens of the three roles. The screens are the ones tests/test_i18n.py's crawler reaches from
each role's home page (every menu screen, then the first row of each list): the same set the stray-English check
walks, so a new screen is checked by both."""
from __future__ import annotations

import pytest

from tests.conftest import browser_login, login
from tests.test_i18n import crawl

pytestmark = pytest.mark.browser
SERIOUS = ("serious", "critical")


def violations_of(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v.get("impact") in SERIOUS:
            targets = [", ".join(n.get("target", [])) for n in v.get("nodes", [])][:3]
            found.append(f"{v['id']} ({v['impact']}): {v['help']} — {targets}")
    return found


@pytest.mark.parametrize("username", ["admin", "gz_reviewer", "ent_gz"])
def test_no_serious_violations(app, browser, live_server, username):
    client = app.test_client()
    login(client, username)
    urls = list(crawl(client))
    assert len(urls) >= 5, urls
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, base_url=live_server)
    try:
        page = context.new_page()
        browser_login(page, username)
        report = {}
        for url in urls:
            page.goto(url)
            found = violations_of(page)
            if found:
                report[url] = found
        assert not report, "\n".join(f"{url}:\n  " + "\n  ".join(items) for url, items in report.items())
    finally:
        context.close()

"""Long operations and expired forms (issue 12), as the user sees them in the browser (static/forms.js):

- a POST form is submitted once: the clicked button shows 处理中… and is disabled, a second click sends nothing
  (proved by the requests the server receives and the rows saved); a confirm dialog that is cancelled leaves the
  button alone; back on the page the button works again; FAB's script-submitted confirm dialogs still go through;
- links that build a file (导出学员名单) show the busy state while the file is made;
- an expired security token answers a Chinese 页面已过期 page (400, never the word CSRF) linking back to the form,
  where the input comes back (our own forms and FAB's).

The server holds the form's POST until the second click has happened (``SlowServer``), so the first request is
certainly under way when the user clicks again; the server counts what it received.
"""
from __future__ import annotations

import base64
import re
import threading

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.base import db
from models.enterprise import Venue
from models.filing import Filing
from models.security import AppUser
from tests.conftest import ARTIFACTS, browser_login, login, screenshot

BUSY = "处理中"


class SlowServer:
    """Holds the POSTs to ``path`` at the server until ``release()``: the page waits for its answer as it would for
    an import of 3,000 rows. ``received`` counts the POSTs that reached the server."""

    def __init__(self, app, monkeypatch, path: str):
        self.received, self.gate = [], threading.Event()
        inner = app.wsgi_app

        def wsgi(environ, start_response):
            if environ["REQUEST_METHOD"] == "POST" and re.search(path, environ["PATH_INFO"]):
                self.received.append(environ["PATH_INFO"])
                self.gate.wait(30)
            return inner(environ, start_response)

        monkeypatch.setattr(app, "wsgi_app", wsgi)

    def wait_for_first(self, page):
        for _ in range(1500):  # lets Playwright's events flow meanwhile; gives up after about 30 s
            if self.received:
                return
            page.wait_for_timeout(20)
        raise AssertionError("the form was never posted")

    def release(self):
        self.gate.set()


class Watched:
    """What a button shows, reported by the page at each change. While the page waits for the answer of its form,
    Playwright's locators, ``evaluate`` and screenshots wait for that navigation: the page reports instead, and the
    screenshot is taken through the DevTools protocol."""

    SCRIPT = """(sel) => { const b = document.querySelector(sel);
        const report = () => window.reportButton({sel: sel, text: b.textContent.trim(), disabled: b.disabled,
                                                  spinner: !!b.querySelector('.fa-spinner')});
        new MutationObserver(report).observe(b, {attributes: true, childList: true, subtree: true}); }"""

    def __init__(self, page):
        self.page, self.states = page, []
        page.expose_function("reportButton", lambda state: self.states.append(state))

    def watch(self, selector: str):
        self.page.evaluate(self.SCRIPT, selector)

    def last(self, selector: str) -> dict:
        """The button's last reported state, once its reports have come in (nothing reported: unchanged)."""
        for _ in range(250):  # the page's reports are delivered while Playwright waits; about 5 s at most
            shown = [s for s in self.states if s["sel"] == selector]
            if shown and shown[-1]["disabled"]:
                break
            self.page.wait_for_timeout(20)
        return shown[-1] if shown else {}

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        shot = self.page.context.new_cdp_session(self.page).send("Page.captureScreenshot", {"format": "png"})
        (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _venues(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Venue).where(Venue.name == name))


@pytest.mark.browser
def test_double_click_on_save_submits_once(app, page, monkeypatch):
    server = SlowServer(app, monkeypatch, r"/venues/add$")
    shown = Watched(page)
    browser_login(page, "ent_gz")
    page.goto("/venues/add")
    page.fill("#name", "双击测试场地")
    page.fill("#address", "广州市天河区科韵路16号")
    shown.watch("#venue-save")
    box = page.locator("#venue-save").bounding_box()
    page.locator("#venue-save").click(no_wait_after=True)  # the page waits for its answer: do not wait with it
    server.wait_for_first(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the second click of a double click
    shown.screenshot("busy-button")
    state = shown.last("#venue-save")
    server.release()
    expect(page).to_have_url(re.compile(r"/venues/$"))
    expect(page.locator(".alert-success")).to_contain_text("双击测试场地")
    assert len(server.received) == 1, server.received
    assert _venues(app, "双击测试场地") == 1
    assert BUSY in state.get("text", "") and state["disabled"] and state["spinner"], state

    page.go_back()  # back on the form: it works again
    expect(page.locator("#venue-save")).to_be_enabled()
    expect(page.locator("#venue-save")).not_to_contain_text(BUSY)


@pytest.mark.browser
def test_a_cancelled_confirmation_leaves_the_button_alone(app, page, monkeypatch):
    with app.app_context():
        owner = db.session.scalars(select(AppUser).filter_by(username="ent_gz")).one()
        draft = db.session.scalars(select(Filing).where(Filing.enterprise_id == owner.enterprise_id,
                                                        Filing.status == "DRAFT")).first()
        pk = draft.id
    server = SlowServer(app, monkeypatch, rf"/filing/{pk}/do/delete$")
    shown = Watched(page)
    browser_login(page, "ent_gz")
    page.goto(f"/filing/{pk}/info")
    delete = page.locator("#action-delete")
    delete.click()
    page.locator("#confirm-cancel").click()
    expect(page.locator("#filing-confirm")).to_be_hidden()
    expect(delete).to_be_enabled()
    expect(delete).not_to_contain_text(BUSY)

    shown.watch("#action-delete")
    delete.click()
    page.locator("#confirm-ok").click(no_wait_after=True)
    server.wait_for_first(page)
    state = shown.last("#action-delete")
    server.release()
    expect(page.locator(".alert-success")).to_be_visible()
    assert len(server.received) == 1, server.received
    assert BUSY in state.get("text", ""), state
    with app.app_context():
        assert db.session.get(Filing, pk) is None


@pytest.mark.browser
def test_fab_confirmed_action_still_goes_through_once(app, page, monkeypatch):
    """FAB's row actions submit from their confirm dialog by script (jQuery's trigger, no native submit event):
    static/forms.js must let that submit out (and not twice). 解除锁定 on an account, OK clicked twice. (Chromium
    itself does not post FAB's action form twice here: this guards the jQuery path of forms.js, it does not prove
    the double-click protection — test_double_click_on_save_submits_once does.)"""
    with app.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username="ent_sz")).one()
    server = SlowServer(app, monkeypatch, rf"/users/action/unlock/{pk}$")
    browser_login(page, "admin")
    page.goto(f"/users/show/{pk}")
    page.locator("a", has_text="解除锁定").click()
    ok = page.locator("#modal-confirm-ok:visible")  # (FAB's show page has its dialog twice)
    expect(ok).to_be_visible()
    box = ok.bounding_box()
    ok.click(no_wait_after=True)
    server.wait_for_first(page)
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # OK again: the dialog stays open
    server.release()
    expect(page.locator(".alert-success")).to_contain_text("解除")
    assert len(server.received) == 1, server.received
    with app.app_context():
        unlocks = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "unlock", AuditEvent.entity_id == pk))
    assert unlocks == 1


@pytest.mark.browser
def test_export_button_leads_to_the_file(page):
    """导出学员名单 is a background job now (issue 15): the POST form (marked busy like every form, tested above)
    opens the progress page, which starts the download when the job is done."""
    browser_login(page, "ent_gz")
    page.goto("/enterprise/trainees/")
    with page.expect_download(timeout=60000) as download:
        page.locator("#export-trainees").click()
    assert download.value.suggested_filename.endswith(".xlsx")


# ---- an expired security token ------------------------------------------------------------------------------

def _expired_page(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "页面已过期，请刷新后重新提交" in page and "CSRF" not in page  # (the logout form's csrf_token is no text)
    return page


def test_expired_token_on_our_own_form(app, client):
    login(client, "ent_gz")
    client.get("/venues/add")
    response = client.post("/venues/add", data={"name": "过期表单场地", "address": "广州", "csrf_token": "expired"},
                           headers={"Referer": "http://localhost/venues/add?from=list"})
    page = _expired_page(response)
    assert 'id="back-to-form" href="/venues/add?from=list"' in page
    assert _venues(app, "过期表单场地") == 0


def test_expired_token_on_a_fab_form_links_back_without_leaving_the_site(app, client):
    with app.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username="ent_sz")).one()
    login(client, "admin")
    client.get(f"/users/edit/{pk}")
    response = client.post(f"/users/edit/{pk}", data={"last_name": "改", "csrf_token": "x"},
                           headers={"Referer": "http://evil.example//phish"})
    page = _expired_page(response)
    assert f'id="back-to-form" href="/users/edit/{pk}"' in page  # a foreign Referer is not followed
    response = client.post(f"/users/edit/{pk}", data={"last_name": "改"},
                           headers={"Referer": "http://localhost//evil.example/x"})
    assert 'id="back-to-form" href="/evil.example/x"' in _expired_page(response)  # never "//host"


def test_login_form_without_token_is_the_same_page(client):
    page = _expired_page(client.post("/login/", data={"username": "admin", "password": "x"}))
    assert 'href="/login/"' in page


@pytest.mark.browser
def test_expired_form_gives_the_input_back(app, page):
    browser_login(page, "ent_gz")
    page.goto("/venues/add")
    page.fill("#name", "过期后恢复的场地")
    page.fill("#address", "广州市黄埔区开创大道1号")
    page.fill("#capacity", "40")
    page.evaluate("document.querySelector('#venue-form [name=csrf_token]').value = 'expired'")
    page.locator("#venue-save").click()
    expect(page.locator("#form-expired")).to_contain_text("页面已过期，请刷新后重新提交")
    assert "CSRF" not in page.locator("body").inner_text()
    screenshot(page, "form-expired")
    page.locator("#back-to-form").click()
    expect(page).to_have_url(re.compile(r"/venues/add$"))
    expect(page.locator("#form-restored")).to_be_visible()
    expect(page.locator("#name")).to_have_value("过期后恢复的场地")
    expect(page.locator("#address")).to_have_value("广州市黄埔区开创大道1号")
    expect(page.locator("#capacity")).to_have_value("40")
    screenshot(page, "form-restored")
    page.locator("#venue-save").click()
    expect(page).to_have_url(re.compile(r"/venues/$"))
    assert _venues(app, "过期后恢复的场地") == 1
    page.goto("/venues/add")  # given back once only
    expect(page.locator("#name")).to_have_value("")
    expect(page.locator("#form-restored")).to_have_count(0)


@pytest.mark.browser
def test_expired_fab_form_gives_the_input_back(app, page):
    with app.app_context():
        pk = db.session.scalars(select(AppUser.id).filter_by(username="gz_reviewer")).one()
    browser_login(page, "admin")
    page.goto(f"/users/edit/{pk}")
    page.fill("#last_name", "恢复")
    page.locator("#city").select_option("4403")  # the select behind select2
    page.evaluate("document.querySelector('#model_form [name=csrf_token]').value = 'expired'")
    page.locator("#model_form button[type=submit]").first.click()
    expect(page.locator("#form-expired")).to_be_visible()
    page.locator("#back-to-form").click()
    expect(page.locator("#form-restored")).to_be_visible()
    expect(page.locator("#last_name")).to_have_value("恢复")
    expect(page.locator("#city")).to_have_value("4403")
    expect(page.locator("#select2-city-container")).to_contain_text("深圳市")

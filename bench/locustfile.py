"""Load test (issue 15, DESIGN §9: 0 errors and p95 ≤ 300 ms at 20 concurrent users) against gunicorn on the data of
``flask seed scale`` (the accounts it creates: ``rev_<city>``, ``load_ent_NNN``, admin; password ``DEMO_PASSWORD``).

Three kinds of user, each logged in once (one account per simulated user):
- ``Reviewer`` (rev_<city>, the big cities first): 备案审核 pages and filters, a filing's detail from the page,
  补贴审核, 变更审核, 培训情况跟踪, the home page;
- ``Enterprise`` (load_ent_NNN): 办理结果, 单位培训人员查询 (search by surname), a filing's 培训人员 tab, and writes
  through the JSON API with its JWT: edits the contact of one of its draft filings (PUT) and asks to submit it
  (the submit check runs the whole checklist; the generated drafts have no materials, so R11 refuses them with
  422 and the checklist — counted as the expected answer, anything else is an error);
- ``ApiClient`` (admin, JWT): pages of ``/api/v1/trainee/`` (100 a page) and ``/api/v1/filing/``.

Run with ``bench/load.sh`` (it starts gunicorn); by hand: ``.venv/bin/locust -f bench/locustfile.py --headless
--users 20 --spawn-rate 5 --run-time 60s --host http://127.0.0.1:8000``. Locust runs as its own command: importing it
after boto3 in one process breaks (gevent SSL patching).
"""
from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task
from locust.clients import HttpSession

PASSWORD = os.environ.get("DEMO_PASSWORD", "Demo@2026")
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
CITIES = ["4401", "4403", "4419", "4406", "4413", "4420", "4407", "4404", "4405", "4418"]
_reviewers = itertools.count()
_enterprises = itertools.count(1)


def _login_form(user: HttpUser, username: str) -> None:
    page = user.client.get("/login/", name="/login/")
    token = CSRF.search(page.text)
    with user.client.post("/login/", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token.group(1) if token else ""},
                          allow_redirects=False, name="/login/ POST", catch_response=True) as response:
        if response.status_code != 302:
            response.failure(f"login of {username}: HTTP {response.status_code}")


def _jwt(client, username: str) -> dict:
    response = client.post("/api/v1/security/login", name="/api/v1/security/login",
                                json={"username": username, "password": PASSWORD, "provider": "db"})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


class Reviewer(HttpUser):
    weight = 8
    wait_time = between(0.5, 2)

    def on_start(self):
        self.username = f"rev_{CITIES[next(_reviewers) % len(CITIES)]}"
        _login_form(self, self.username)
        self.filing_ids: list[str] = []

    @task(6)
    def queue(self):
        page = random.randint(1, 5)
        response = self.client.get(f"/review/filings/?page={page}", name="/review/filings/?page=N")
        self.filing_ids = re.findall(r'/review/filing/(\d+)', response.text) or self.filing_ids

    @task(2)
    def queue_filtered(self):
        status = random.choice(["SUBMITTED", "APPROVED", "RETURNED"])
        self.client.get(f"/review/filings/?status={status}", name="/review/filings/?status=S")

    @task(4)
    def detail(self):
        if self.filing_ids:
            self.client.get(f"/review/filing/{random.choice(self.filing_ids)}", name="/review/filing/ID")

    @task(2)
    def other_queues(self):
        self.client.get(random.choice(["/review/claims/", "/review/changes/"]), name="/review/claims|changes/")

    @task(1)
    def tracking(self):
        self.client.get("/tracking/", name="/tracking/")

    @task(1)
    def home(self):
        self.client.get("/", name="/")


class Enterprise(HttpUser):
    weight = 8
    wait_time = between(0.5, 2)

    def on_start(self):
        self.username = f"load_ent_{next(_enterprises):03d}"
        _login_form(self, self.username)
        # the JSON API on a client of its own: with the screens' session cookie a write would need the CSRF token
        self.api = HttpSession(base_url=self.host, request_event=self.environment.events.request, user=self)
        self.headers = _jwt(self.api, self.username)
        drafts = self.api.get("/api/v1/filing/?status=DRAFT", headers=self.headers, name="/api/v1/filing/?status")
        self.drafts = [row["id"] for row in drafts.json().get("result", [])]
        if not self.drafts:  # a data set generated before account_drafts: create the draft (创建备案) once
            created = self.api.post("/api/v1/filing/", headers=self.headers, name="/api/v1/filing/ POST",
                                    json={"programme": "ENTERPRISE", "apprenticeship_type": "NEW_APPRENTICE",
                                          "commitment_accepted": True})
            if created.status_code in (200, 201):
                self.drafts = [created.json()["id"]]
        mine = self.api.get("/api/v1/filing/?q=(page_size:20)", headers=self.headers, name="/api/v1/filing/")
        self.filings = [row["id"] for row in mine.json().get("result", [])]

    @task(4)
    def results(self):
        self.client.get("/filing/results/ENTERPRISE", name="/filing/results/ENTERPRISE")

    @task(3)
    def trainees(self):
        surname = random.choice("王李张刘陈杨黄赵")
        self.client.get(f"/enterprise/trainees/?name={surname}", name="/enterprise/trainees/?name=X")

    @task(2)
    def trainee_tab(self):
        if self.filings:
            self.client.get(f"/filing/{random.choice(self.filings)}/trainees", name="/filing/ID/trainees")

    @task(2)
    def edit_draft(self):
        if not self.drafts:
            return
        phone = "1380013%04d" % random.randint(0, 9999)
        with self.api.put(f"/api/v1/filing/{random.choice(self.drafts)}", headers=self.headers,
                             json={"contact_name": "压测经办", "contact_phone": phone},
                             name="/api/v1/filing/ID PUT", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"edit: HTTP {response.status_code} {response.text[:200]}")

    @task(1)
    def submit_draft(self):
        if not self.drafts:
            return
        with self.api.post(f"/api/v1/filing/{random.choice(self.drafts)}/submit", headers=self.headers,
                              json={}, name="/api/v1/filing/ID/submit", catch_response=True) as response:
            # the generated drafts lack their materials: R11 answers 422 with the checklist (the expected answer)
            if response.status_code == 422 and "checklist" in response.text:
                response.success()
            elif response.status_code != 200:
                response.failure(f"submit: HTTP {response.status_code} {response.text[:200]}")


class ApiClient(HttpUser):
    weight = 4
    wait_time = between(0.5, 2)

    def on_start(self):
        self.headers = _jwt(self.client, "admin")

    @task(3)
    def trainees(self):
        page = random.randint(0, 50)
        self.client.get(f"/api/v1/trainee/?q=(page:{page},page_size:100)", headers=self.headers,
                        name="/api/v1/trainee/ 100")

    @task(1)
    def filings(self):
        self.client.get("/api/v1/filing/?q=(page_size:25)", headers=self.headers, name="/api/v1/filing/")

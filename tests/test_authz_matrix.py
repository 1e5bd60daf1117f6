"""Authorisation matrix, generated from the app's URL map (DESIGN §2, §10; security issue "proofs that stay in the
suite").

Every URL rule of the app (``app.url_map.iter_rules()``, minus ``EXCLUDED``) must have an entry in ``ROUTES``, keyed
by endpoint name: who may use it (``who``: role kinds; the table is the policy, not FAB's permission strings), how the
ids it takes are scoped (``scope`` + ``bind``: which URL argument, or body field, carries which row id), and, for a
rule that writes, the one write that must get through (``write``). A route without an entry fails
``test_every_route_has_an_entry``, so a new route cannot slip in unreviewed; an entry whose endpoint is gone fails
``test_no_stale_entries``.

For every rule × role (anonymous, admin, gz_reviewer, sz_reviewer, ent_gz, ent_sz) × id (own row, another
enterprise's row, another city's row, a draft a reviewer must not see, a missing id; for rules taking two ids also
the row of *another* filing of the same enterprise) × method, the expected answer is computed from the entry:

- anonymous: 302 to ``/login/`` (screens) / 401 (``/api/``), unless the entry is public;
- a role the entry does not name: 403 — except FAB's row actions (``/action/<name>/<pk>``, ``/action_post``),
  which have no ``@has_access``: FAB answers them with a 302 and its "Access is Denied" flash (asserted exactly:
  the redirect *and* the flash), and FAB's refusal of a GET that would mutate (delete / action by GET while CSRF
  is on), which is the same 302 + flash;
- a row out of the role's scope, or missing: 404;
- otherwise "ok": anything but 400/401/403/404, a redirect to the login page, the access-denied flash, or 5xx.

No answer may be 5xx (exceptions propagate in TESTING and are reported with their traceback). Where the app
answers otherwise than the policy today, ``DEVIATIONS`` holds its current answer and the reason — each one reported
for an app fix; such an entry fails as soon as the app answers as the policy says (then delete it).

Phases: ``test_reads`` sends every GET (no side effects: the database fingerprint must not change);
``test_refused_writes`` sends every POST/PUT/DELETE whose expected answer is a refusal (a valid CSRF token for cookie
sessions, a JWT for ``/api/``; bodies that would succeed if the check were missing) and proves the database did not
change; ``test_in_scope_writes`` sends one allowed write per rule, on rows made for it (``Write.make``).

Rows are built once for the module (``world``; the per-test reset of tests/conftest.py is overridden here), and
the database is reset to the demo seed when the module ends.
"""
from __future__ import annotations

import hashlib
import io
import itertools
import traceback
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Optional
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from tests.conftest import DEMO_PASSWORD, csrf_token_from, login, reset_database

# ---------------------------------------------------------------------------------------------------------------
# Roles
# ---------------------------------------------------------------------------------------------------------------

ANON = "anonymous"
USERS = (ANON, "admin", "gz_reviewer", "sz_reviewer", "ent_gz", "ent_sz")
ADMIN, REVIEWER, ENTERPRISE = "admin", "reviewer", "enterprise"
KIND_OF = {"admin": ADMIN, "gz_reviewer": REVIEWER, "sz_reviewer": REVIEWER, "ent_gz": ENTERPRISE,
           "ent_sz": ENTERPRISE}
#: (enterprise key, city code) each account is scoped to.
HOME = {"admin": (None, None), "gz_reviewer": (None, "4401"), "sz_reviewer": (None, "4403"),
        "ent_gz": ("gz", "4401"), "ent_sz": ("sz", "4403")}

ALL = frozenset({ADMIN, REVIEWER, ENTERPRISE})
STAFF = frozenset({ADMIN, REVIEWER})
ADM = frozenset({ADMIN})
REV = frozenset({REVIEWER})
ENT = frozenset({ENTERPRISE})
NOBODY: frozenset = frozenset()

# Outcomes
OK, LOGIN, FLASH = "ok", "302 to /login/", "302 + FAB's 'Access is Denied' flash"

MISSING_ID = 2_000_000_000  # within INTEGER, never reached by a sequence in this module

# ---------------------------------------------------------------------------------------------------------------
# Rows (subjects) and their scope
# ---------------------------------------------------------------------------------------------------------------

LOOKUP_SCOPES = {"city", "occupation", "skill_level", "institution", "subsidy_standard", "workday"}
ADMIN_ONLY_SCOPES = {"account", "role", "group"}
#: Filing states whose classes 培训情况跟踪 and 查看考勤 show (queries/attendance.py TRACKED_FILINGS); any other: 404.
TRACKED = ("APPROVED", "CANCELLED")


@dataclass(frozen=True)
class Subject:
    """A row an id in a request points at: its scope family (``filing`` covers the filing and every row hanging
    from it: classes, teachers, trainees, courses, attachments, audit events), owner and state."""

    label: str
    scope: str  # filing (the filing and its rows), change (变更申请), enterprise, recognition, a lookup table …
    ids: dict = field(hash=False, compare=False)
    enterprise: Optional[str] = None  # "gz" (ent_gz's), "gz2" (another 广州 enterprise), "sz" (ent_sz's)
    city: Optional[str] = None
    status: Optional[str] = None
    missing: bool = False
    mixed: bool = False  # a filing id with the child row of another filing
    owner: Optional[str] = None  # scope "job": the account that started it (a job is its requester's alone)

    def __getitem__(self, key: str) -> Any:
        return self.ids[key]


def visible(user: str, s: Subject) -> bool:
    """DESIGN §2, as the policy reads: enterprises see their own rows; reviewers their city's rows (filings and
    their rows once not a draft); the admin everything; lookup tables are read by every role."""
    if s.missing or s.mixed:
        return False
    if s.scope == "tracked" and s.status not in TRACKED:  # 培训情况跟踪 shows APPROVED / CANCELLED filings only
        return False
    if s.scope == "job":  # 我的下载 / GET /api/v1/job/<id>: only the requester, whatever the role (admin included)
        return s.owner == user
    kind = KIND_OF[user]
    if s.scope in LOOKUP_SCOPES or kind == ADMIN:
        return True
    if s.scope in ADMIN_ONLY_SCOPES:
        return False
    own_enterprise, own_city = HOME[user]
    if s.scope == "managed_account":  # issue 14: a reviewer manages its city's enterprise accounts only
        return kind == REVIEWER and s.enterprise is not None and s.city == own_city
    if kind == ENTERPRISE:
        return s.enterprise == own_enterprise
    if s.scope in ("filing", "change", "claim"):  # change requests and subsidy claims: reviewers see none in DRAFT
        return s.city == own_city and s.status != "DRAFT"
    if s.scope == "decision":  # R14: the reviewer's decision loads its city's filing in any state (a draft: 409)
        return s.city == own_city
    return s.city == own_city  # enterprise, recognition, venue (its enterprise's city)


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

Body = Callable[[Optional[Subject]], dict]


@dataclass(frozen=True)
class Write:
    """The one write of a rule that must get through: sent by ``by`` on a row made for it (``make``: a builder of
    ``fresh``, or ``world:<label>`` for a row of the module's world that the write does not spoil)."""

    by: str
    make: Optional[str] = None
    fresh_client: bool = False  # log in a client of its own (the write ends its session: logout, login)


@dataclass(frozen=True)
class Route:
    """Who may use an endpoint and how its ids are scoped."""

    who: frozenset
    scope: Optional[str] = None  # the subject family of the ids (URL or body); None: the rule takes no id
    bind: dict = field(default_factory=dict)  # URL argument → key of Subject.ids
    args: dict = field(default_factory=dict)  # other URL arguments
    query: Optional[Body] = None  # query-string arguments (may carry the id)
    body: Optional[Body] = None  # request kwargs of POST/PUT/DELETE (data=…, json=…)
    public: bool = False  # answers everybody, anonymous included
    denied: str = "403"  # the answer to a role the entry does not name
    anonymous: Optional[str] = None  # the answer to anonymous (default: 302 to login / 401)
    on_get: Optional[str] = None  # the answer to a GET of a role that may use it (FAB refuses mutating GETs)
    fixed: Optional[str] = None  # the answer whoever asks, with whatever id
    write: Optional[Write] = None
    auth: str = "access"  # which JWT the API request carries: "access" or "refresh"
    pairs: bool = False  # takes two ids (filing + row): also try a row of another filing
    own_client: bool = False  # every request on a session of its own (the route may end the session)
    note: str = ""


def form(**values: Any) -> Body:
    return lambda s: {"data": dict(values)}


def as_json(**values: Any) -> Body:
    return lambda s: {"json": dict(values)}


NO_BODY: Body = lambda s: {}  # noqa: E731
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF_SHA256 = hashlib.sha256(PDF_BYTES).hexdigest()  # downloads re-check it (issue 15)
_n = itertools.count(1)


def _seq() -> int:
    return next(_n)


def _pdf_upload(s: Optional[Subject]) -> dict:
    return {"data": {"kind": "OTHER", "file": (io.BytesIO(PDF_BYTES), "其他.pdf")},
            "content_type": "multipart/form-data"}


def _xlsx_check(s: Optional[Subject]) -> dict:
    return {"data": {"action": "check", "file": (io.BytesIO(b"not a workbook"), "trainees.xlsx")},
            "content_type": "multipart/form-data"}


def _xlsx_api(s: Optional[Subject]) -> dict:
    return {"data": {"file": (io.BytesIO(b"not a workbook"), "trainees.xlsx")},
            "content_type": "multipart/form-data"}


def _attachment_api(s: Optional[Subject]) -> dict:
    return {"data": {"filing_id": str(s["filing"]), "kind": "OTHER", "file": (io.BytesIO(PDF_BYTES), "其他.pdf")},
            "content_type": "multipart/form-data"}


def _id_number() -> str:
    from tests import factories

    return factories.id_number(seq=500 + _seq())


def _class_json(s: Optional[Subject]) -> dict:
    return {"json": {"filing_id": s["filing"], "occupation_code": "6-18-01-01", "skill_level": 4,
                     "start_date": "2027-03-01", "end_date": "2028-02-29", "hours": 400, "planned_headcount": 2}}


def _teacher_json(s: Optional[Subject]) -> dict:
    return {"json": {"filing_id": s["filing"], "name": "李导师", "id_number": _id_number(), "phone": "13900139001",
                     "kind": "ENTERPRISE", "title": "技师"}}


def _trainee_json(s: Optional[Subject]) -> dict:
    return {"json": {"filing_id": s["filing"], "name": "新学员", "id_number": _id_number(), "phone": "13700137001",
                     "education": "SECONDARY_VOCATIONAL", "contract_start": "2026-01-01",
                     "contract_end": "2029-12-31", "hire_date": "2026-01-01"}}


def _course_json(s: Optional[Subject]) -> dict:
    return {"json": {"training_class_id": s["training_class"], "name": "新课程", "mode": "OFFLINE", "hours": 8,
                     "teacher_id": s["teacher"]}}


def _attendance_json(s: Optional[Subject]) -> dict:
    """One check-in of a trainee of ent_gz's configured course, inside its window (R24)."""
    return {"json": {"records": [{"course_id": IDS["gz_course"], "id_number": IDS["gz_course_trainee"],
                                  "role": "TRAINEE", "check_in": "2027-03-10T09:05:00+08:00"}]}}


def _today() -> str:
    from core.clock import today

    return today().isoformat()


def crud_view(view: str, scope: str, *, read: frozenset = ALL, write: frozenset = ADM, writer: str = "admin",
              add: Optional[Body] = None, edit: Optional[Body] = None, action: Optional[str] = None,
              action_who: Optional[frozenset] = None, note: str = "") -> dict[str, Route]:
    """The endpoints of a FAB ModelView: list/show (read), add/edit/delete (write; delete by GET refused by FAB with
    its access-denied flash while CSRF is on), download (no UPLOAD_FOLDER: 404 before any check,
    views/request_guards.py), and the row actions: FAB's ``/action/<name>/<pk>`` and ``/action_post`` carry no
    ``@has_access`` — an unknown action name is 404 for everybody (request guard), a known one refused by FAB's
    302 + flash; allowed ones re-load their rows through the scope (404)."""
    pk = {"pk": "pk"}
    routes = {
        f"{view}.list": Route(read, note=note),
        f"{view}.show": Route(read, scope, pk),
        f"{view}.add": Route(write, body=add, write=Write(writer) if write else None),
        f"{view}.edit": Route(write, scope, pk, body=edit or add, write=Write(writer, scope) if write else None),
        f"{view}.delete": Route(write, scope, pk, body=NO_BODY, on_get=FLASH,
                                write=Write(writer, scope) if write else None),
        f"{view}.download": Route(read, args={"filename": "x.xlsx"}, fixed="404",
                                  note="files live in the database: no UPLOAD_FOLDER, 404 for everybody"),
    }
    if action is None:
        routes[f"{view}.action"] = Route(read, args={"name": "no_such_action", "pk": "1"}, body=NO_BODY, fixed="404",
                                         note="the view has no row actions: 404 for every name")
        routes[f"{view}.action_post"] = Route(read, body=form(action="no_such_action", rowid="1"), fixed="404",
                                              note="the view has no row actions: 404 for every name")
    else:
        who = write if action_who is None else action_who
        flash = dict(denied=FLASH, anonymous=FLASH)
        routes[f"{view}.action"] = Route(who, scope, pk, args={"name": action}, body=NO_BODY, on_get=FLASH,
                                         write=Write(writer, scope) if who else None, **flash)
        routes[f"{view}.action_post"] = Route(
            who, scope, body=lambda s, a=action: {"data": {"action": a, "rowid": str(s["pk"])}},
            write=Write(writer, scope) if who else None, **flash)
    return routes


API_METHODS = ("get_list", "info", "get", "post", "put", "delete")


def rest(api: str, scope: str, key: str = "pk", *, read: frozenset = ALL, write: frozenset = ADM,
         writer: str = "admin", post: Optional[Body] = None, post_scope: Optional[str] = None,
         post_make: Optional[str] = None, put: Optional[Body] = None, make: Optional[str] = None,
         get_key: Optional[str] = None, methods: tuple[str, ...] = API_METHODS) -> dict[str, Route]:
    """The endpoints of a FAB ModelRestApi: list/_info (read), show (read, scoped), POST (write; ``post_scope``
    when the body carries the parent's id), PUT/DELETE (write, scoped)."""
    make = make or scope
    routes = {
        f"{api}.get_list": Route(read),
        f"{api}.info": Route(read),
        f"{api}.get": Route(read, scope, {"pk": get_key or key}),
        f"{api}.post": Route(write, post_scope, body=post, write=Write(writer, post_make or post_scope)),
        f"{api}.put": Route(write, scope, {"pk": key}, body=put, write=Write(writer, make)),
        f"{api}.delete": Route(write, scope, {"pk": key}, body=NO_BODY, write=Write(writer, make)),
    }
    return {name: route for name, route in routes.items() if name.rsplit(".", 1)[1] in methods}


FILING_ID = {"filing_id": "filing"}
#: Ids the bodies need (filled by ``world``).
IDS: dict[str, Any] = {}
API_FILING = {"pk": "filing"}

#: Rules not in the matrix, with the reason.
EXCLUDED = {
    "static": "the app's static files (CSS, vendored JS, Leaflet): public assets, no data",
    "appbuilder.static": "FAB's static files, Swagger UI assets included: public assets, no data",
}

ROUTES: dict[str, Route] = {
    # ---- public pages and authentication ------------------------------------------------------------------
    "HomeView.index": Route(ALL, public=True, note="事项办理 home; anonymous users see the login prompt"),
    "UtilView.back": Route(ALL, public=True, note="FAB's back link"),
    "LocaleView.index": Route(ALL, args={"locale": "zh"}, public=True, note="language switch (session only)"),
    "AppAuthDBView.login": Route(ALL, public=True, body=form(username="ent_gz", password=DEMO_PASSWORD),
                                 write=Write(ANON, fresh_client=True)),
    "AppAuthDBView.logout": Route(ALL, public=True, own_client=True,
                                  note="GET shows the confirmation form (a session of its own all the same)"),
    "logout_post": Route(ALL, public=True, body=NO_BODY, write=Write("ent_gz", fresh_client=True)),
    "AppSecurityApi.login": Route(ALL, public=True,
                                  body=as_json(username="ent_gz", password=DEMO_PASSWORD, provider="db"),
                                  write=Write(ANON)),
    "AppSecurityApi.refresh": Route(ALL, auth="refresh", body=NO_BODY, write=Write("ent_gz")),
    # ---- API documentation and FAB internals --------------------------------------------------------------
    "SwaggerView.show": Route(ADM, args={"version": "v1"}),
    "OpenApi.get": Route(ADM, args={"version": "v1"}),
    "MenuApi.get_menu_data": Route(NOBODY, note="FAB's menu API for its React UI: no role is granted it"),
    # ---- accounts (账号管理) ---------------------------------------------------------------------------------
    **crud_view("AppUserDBModelView", "account",
                read=ADM, add=lambda s: {"data": {
                    "first_name": "测", "last_name": "试", "username": f"scratch_add{_seq()}", "active": "y",
                    "email": f"scratch_add{_seq()}@test.invalid", "roles": str(IDS["enterprise_role"]),
                    "enterprise": str(IDS["gz"]), "password": "Scratch2026x", "conf_password": "Scratch2026x"}},
                edit=lambda s: {"data": {"first_name": "改", "last_name": "名", "username": f"renamed{_seq()}",
                                         "email": f"renamed{_seq()}@test.invalid", "active": "y",
                                         "roles": str(IDS["enterprise_role"]), "enterprise": str(IDS["gz"])}},
                action="unlock"),
    "AppUserDBModelView.userinfo": Route(ALL, note="我的信息: the user's own account"),
    # 开通账号 / 企业账号 (issue 14): the admin manages reviewer and enterprise accounts, a reviewer its city's
    # enterprise accounts ("managed_account"); the form names the enterprise by its USCC (another city's reads like a
    # missing one: 422 with the same message, tests/test_account_onboarding_screens.py)
    "AccountAdminView.list": Route(STAFF),
    "AccountAdminView.new": Route(STAFF),
    "AccountAdminView.create": Route(STAFF, body=lambda s: {"data": {
        "role": "ENTERPRISE", "enterprise_uscc": IDS["gz_uscc"], "username": f"onboard{_seq()}", "last_name": "王",
        "first_name": "五", "email": f"onboard{_seq()}@test.invalid"}}, write=Write("gz_reviewer")),
    "AccountAdminView.deactivate": Route(STAFF, "managed_account", {"pk": "pk"}, body=NO_BODY,
                                         write=Write("gz_reviewer", "managed_account")),
    "AccountAdminView.activate": Route(STAFF, "managed_account", {"pk": "pk"}, body=NO_BODY,
                                       write=Write("gz_reviewer", "managed_account"),
                                       note="an active account: 409 flashed, back to the list"),
    "AccountApi.get_list": Route(STAFF),
    "AccountApi.get": Route(STAFF, "managed_account", {"pk": "pk"}),
    "AccountApi.post": Route(STAFF, "enterprise", body=lambda s: {"json": {
        "role": "ENTERPRISE", "enterprise_id": s["pk"], "username": f"apionboard{_seq()}", "last_name": "王",
        "first_name": "五", "email": f"apionboard{_seq()}@test.invalid"}}, write=Write("gz_reviewer", "enterprise")),
    "AccountApi.deactivate": Route(STAFF, "managed_account", {"pk": "pk"}, body=NO_BODY,
                                   write=Write("gz_reviewer", "managed_account")),
    "AccountApi.activate": Route(STAFF, "managed_account", {"pk": "pk"}, body=NO_BODY,
                                 write=Write("gz_reviewer", "managed_account"), note="an active account: 409"),
    **crud_view("AppRoleModelView", "role", read=ADM, write=NOBODY, action="copyrole", action_who=NOBODY,
                add=form(name="新角色"), note="角色列表 is read-only: the matrix is models/roles.py"),
    **crud_view("UserGroupModelView", "group", read=ADM, add=lambda s: {"data": {"name": f"g{_seq()}",
                                                                                   "label": "组"}}),
    "UserStatsChartView.chart": Route(ADM, args={"group_by": "0"}),
    "ResetPasswordView.this_form_get": Route(ADM, note="the form page; the account is only used on POST"),
    "ResetPasswordView.this_form_post": Route(ADM, "account", query=lambda s: {"pk": s["pk"]},
                                              body=form(password="Reset2026ab", conf_password="Reset2026ab"),
                                              write=Write("admin", "account")),
    "ResetMyPasswordView.this_form_get": Route(ALL),
    "ResetMyPasswordView.this_form_post": Route(ALL, body=form(password="Mismatch2026a",
                                                               conf_password="Mismatch2026b"),
                                                write=Write("ent_gz"), note="mismatched: the form again"),
    "UserInfoEditView.this_form_get": Route(ALL),
    "UserInfoEditView.this_form_post": Route(ALL, body=form(first_name="", last_name=""), write=Write("ent_gz"),
                                             note="empty names: the form again, nothing saved"),
    # ---- 基础数据 (lookup tables), 单位, 生态链企业认定 -----------------------------------------------------
    **crud_view("CityView", "city", add=lambda s: {"data": {"code": f"44{90 + _seq() % 9}",
                                                             "name": f"测试市{_seq()}", "sort_order": "99"}}),
    **crud_view("OccupationView", "occupation",
                add=lambda s: {"data": {"code": f"9-99-99-{_seq():02d}", "name": "测试工种", "active": "y"}}),
    **crud_view("SkillLevelView", "skill_level", add=form(level="3", name="三级/高级工（重复）")),
    **crud_view("TrainingInstitutionView", "institution",
                add=lambda s: {"data": {"name": f"测试培训机构{_seq()}", "city": "4401", "active": "y"}}),
    **crud_view("SubsidyStandardView", "subsidy_standard",
                add=form(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", amount_yuan="3000",
                         advance_ratio="0.4", valid_from="2030-01-01")),
    **crud_view("WorkdayOverrideView", "workday",
                add=lambda s: {"data": {"day": f"2031-03-{_seq() % 28 + 1:02d}", "is_workday": "y",
                                        "note": "测试"}}),
    "WorkdayImportView.upload": Route(ADM, body=lambda s: {
        "data": {"file": (io.BytesIO(b"not a workbook"), "工作日历.xlsx")}, "content_type": "multipart/form-data"},
        write=Write("admin"), note="导入全年安排: all or nothing"),
    "WorkdayImportView.template": Route(ALL, note="an empty template (the WorkdayOverride read permission)"),
    # registry imports (issue 14): 职业工种 / 培训机构 the admin's; 单位 the admin's and a city reviewer's (its city:
    # the rule is in actions/registry_imports.py, the file names the rows, no id in the URL)
    **{f"{view}.{name}": Route(who, body=body, write=Write(writer), note=note)
       for view, who, writer in (("OccupationImportView", ADM, "admin"), ("EnterpriseImportView", STAFF, "gz_reviewer"),
                                 ("TrainingInstitutionImportView", ADM, "admin"))
       for name, body, note in (("upload", _xlsx_check, "check step: a file that is no workbook answers 422"),
                                ("errors", form(content="", file_name="x.xlsx"), "nothing carried back: a redirect"))},
    "OccupationImportView.template": Route(ADM),
    "EnterpriseImportView.template": Route(STAFF, note="a reviewer's 地市 dropdown holds its own city"),
    "TrainingInstitutionImportView.template": Route(ADM),
    **crud_view("EnterpriseView", "enterprise",
                add=lambda s: {"data": {"uscc": _uscc(), "name": f"新单位{_seq()}", "city": "4401"}}),
    **crud_view("RecognitionView", "recognition", write=STAFF, writer="gz_reviewer", action="delete_selected",
                add=lambda s: {"data": {"enterprise": str(IDS["gz2"]), "chain_name": "测试生态链", "role": "MEMBER",
                                        "city": "4401", "valid_from": "2025-01-01"}},
                edit=form(chain_name="改名生态链", role="MEMBER", valid_from="2025-01-01")),
    # ---- 单位培训人员查询 ----------------------------------------------------------------------------------------
    "EcosystemTraineeQueryView.list": Route(ALL),
    "EcosystemTraineeQueryView.export": Route(ALL),
    "EnterpriseTraineeQueryView.list": Route(ALL),
    "EnterpriseTraineeQueryView.export": Route(ALL),
    "EcosystemTraineeQueryView.export_job": Route(ALL, body=form(name="学员"), write=Write("ent_gz"),
                                                  note="导出学员名单 as a background job (redirect to its progress)"),
    "EnterpriseTraineeQueryView.export_job": Route(ALL, body=form(name="学员"), write=Write("ent_gz")),
    # ---- 我的下载 and background jobs (DESIGN §9, §10): a job is its requester's alone -----------------------------
    "DownloadsView.list": Route(ALL, note="the user's own jobs"),
    "DownloadsView.progress": Route(ALL, "job", {"job_id": "pk"}),
    "DownloadsView.delete": Route(ALL, "job", {"job_id": "pk"}, body=NO_BODY, write=Write("ent_gz", "job")),
    "JobApi.get": Route(ALL, "job", {"job_id": "pk"}),
    "JobApi.download": Route(ALL, "job", {"job_id": "pk"}),
    "TraineeExportJobApi.export_job": Route(ALL, body=as_json(name="学员"), write=Write("ent_gz"),
                                            note="202 {job_id}"),
    "ClaimRosterJobApi.roster_job": Route(ALL, "claim", {"pk": "claim"}, body=NO_BODY,
                                          write=Write("ent_gz", "claim_submitted"), note="409 until submitted (R23)"),
    "ClaimView.roster_job": Route(ENT, "claim", {"claim_id": "claim"}, body=NO_BODY,
                                  write=Write("ent_gz", "claim_submitted"), note="花名册 PDF of a large roster as a job"),
    "health": Route(ALL, public=True, note="GET /health: database (and Redis) reachable; no secrets"),
    # ---- 备案申请 / 办理结果 / the filing page ------------------------------------------------------------------
    "FilingView.results_default": Route(ALL),
    "FilingView.results": Route(ALL, args={"programme": "ENTERPRISE"}),
    "FilingView.apply": Route(ENT, args={"programme": "ENTERPRISE"},
                              body=form(commitment_accepted="1", apprenticeship_type="NEW_APPRENTICE"),
                              write=Write("ent_gz")),
    "FilingView.tab": Route(ALL, "filing", FILING_ID, args={"tab": "info"},
                            note="reviewers open the same page read-only"),
    "FilingView.save": Route(ENT, "filing", FILING_ID, args={"tab": "info"},
                             body=form(contact_name="赵经办", contact_phone="13800138001"),
                             write=Write("ent_gz", "draft")),
    "FilingView.delete_row": Route(ENT, "filing", {"filing_id": "filing", "pk": "trainee"},
                                   args={"tab": "trainees"}, body=NO_BODY, pairs=True,
                                   write=Write("ent_gz", "draft")),
    "FilingView.upload": Route(ENT, "filing", FILING_ID, body=_pdf_upload, write=Write("ent_gz", "draft")),
    "FilingView.transition": Route(ENT, "filing", FILING_ID, args={"action": "delete"}, body=NO_BODY,
                                   write=Write("ent_gz", "draft")),
    "FilingView.attachment": Route(ALL, "filing", {"attachment_id": "attachment"}),
    "FilingView.mark_lost": Route(ENT, "filing", {"filing_id": "filing", "trainee_id": "trainee"}, pairs=True,
                                  body=lambda s: {"data": {"lost_reason": "离职", "lost_date": _today()}},
                                  write=Write("ent_gz", "approved")),
    "FilingPrintView.form_pdf": Route(ALL, "filing", FILING_ID, note="409 unless APPROVED"),
    "FilingImportView.upload": Route(ENT, "filing", FILING_ID, args={"kind": "trainee"}, body=_xlsx_check,
                                     write=Write("ent_gz", "draft")),
    "FilingImportView.errors": Route(ENT, "filing", FILING_ID, args={"kind": "trainee"},
                                     body=form(content="", file_name="trainees.xlsx"),
                                     write=Write("ent_gz", "draft")),
    "FilingImportView.template": Route(ALL, "filing", FILING_ID, args={"kind": "trainee"}),
    # 补贴申请 → 人员信息【导入】 (manual §3.2.3.1): the screen and its REST twin; enterprise users, own claims
    "ClaimImportView.upload": Route(ENT, "claim", {"claim_id": "claim"}, body=_xlsx_check,
                                    write=Write("ent_gz", "claim_draft"),
                                    note="人员信息导入 (manual §3.2.3.1): 409 unless DRAFT/RETURNED"),
    "ClaimImportView.errors": Route(ENT, "claim", {"claim_id": "claim"}, body=form(content="", file_name="人员.xlsx"),
                                    write=Write("ent_gz", "claim_draft")),
    "ClaimImportView.template": Route(ENT, "claim", {"claim_id": "claim"}),
    "ClaimPersonImportApi.import_person": Route(ENT, "claim", {"pk": "claim"}, query=lambda s: {"dry_run": "1"},
                                                body=_xlsx_api, write=Write("ent_gz", "claim_draft")),
    "ClaimPersonImportApi.import_person_template": Route(ENT, "claim", {"pk": "claim"}),
    "RowActionView.bulk": Route(ENT, "filing", args={"entity": "filing", "action": "delete"},
                                body=lambda s: {"data": {"pk": str(s["filing"])}}, write=Write("ent_gz", "draft"),
                                note="办理结果's bulk delete; the transition table names who may run it"),
    # ---- 审核管理 → 备案审核 -------------------------------------------------------------------------------------
    "ReviewFilingView.list": Route(STAFF),
    "ReviewFilingView.detail": Route(STAFF, "filing", FILING_ID),
    "ReviewFilingView.decide": Route(REV, "decision", FILING_ID, args={"action": "return"},
                                     body=form(opinion="请补充培训计划"), write=Write("gz_reviewer", "submitted")),
    "ReviewFilingView.attachment": Route(STAFF, "filing", {"attachment_id": "attachment"}),
    # ---- 企业新型学徒制培训补贴: 补贴申请 / 办理结果 / the claim page (enterprise only; reviewers use 补贴审核) ----------
    "ClaimView.apply": Route(ENT, body=lambda s: {"data": {
        "commitment_accepted": "1", "stage": "ADVANCE",
        "training_class_id": str(s["training_class"]) if s is not None else "1"}},
        write=Write("ent_gz", "approved"), note="承诺书 + class + stage; GET lists the classes of APPROVED filings"),
    "ClaimView.results": Route(ENT),
    "ClaimView.tab": Route(ENT, "claim", {"claim_id": "claim"}, args={"tab": "unit"}),
    "ClaimView.save_unit": Route(ENT, "claim", {"claim_id": "claim"},
                                 body=form(bank_name="中国工商银行广州分行", contact_name="赵经办",
                                           contact_phone="13800138001", bank_account_no="3602000109200012345"),
                                 write=Write("ent_gz", "claim_draft"), note="422 on a SUBMITTED claim: a flash"),
    "ClaimView.upload": Route(ENT, "claim", {"claim_id": "claim"}, body=_pdf_upload,
                              write=Write("ent_gz", "claim_draft")),
    "ClaimView.delete_attachment": Route(ENT, "claim", {"claim_id": "claim", "attachment_id": "claim_attachment"},
                                         body=NO_BODY, write=Write("ent_gz", "claim_draft")),
    "ClaimView.attachment": Route(ENT, "claim", {"attachment_id": "claim_attachment"}),
    "ClaimView.transition": Route(ENT, "claim", {"claim_id": "claim"}, args={"action": "delete"}, body=NO_BODY,
                                  write=Write("ent_gz", "claim_draft")),
    "ClaimView.form_pdf": Route(ENT, "claim", {"claim_id": "claim"}, note="a DRAFT: 302 back with a message"),
    "ClaimView.roster_pdf": Route(ENT, "claim", {"claim_id": "claim"}),
    "ClaimView.roster_xlsx": Route(ENT, "claim", {"claim_id": "claim"}),
    "ClaimPersonsView.picker": Route(ENT, "claim", {"claim_id": "claim"}),
    "ClaimPersonsView.add": Route(ENT, "claim", {"claim_id": "claim"},
                                  body=lambda s: {"data": {"trainee_id": str(s["claim_trainee"])}},
                                  write=Write("ent_gz", "claim_draft")),
    "ClaimPersonsView.add_all": Route(ENT, "claim", {"claim_id": "claim"}, body=NO_BODY,
                                      write=Write("ent_gz", "claim_draft")),
    "ClaimPersonsView.remove": Route(ENT, "claim", {"claim_id": "claim"},
                                     body=lambda s: {"data": {"pk": str(s["person"])}},
                                     write=Write("ent_gz", "claim_draft")),
    "ClaimPersonsView.save_person": Route(ENT, "claim", {"claim_id": "claim", "person_id": "person"},
                                          body=form(certificate_no="S0001234", skill_level="4"),
                                          write=Write("ent_gz", "claim_draft")),
    # ---- 备案变更 (R15 开班信息变更, R17 师资信息变更) and 审核管理 → 变更审核 ------------------------------------
    "ChangeView.list": Route(ALL, args={"programme": "ENTERPRISE"},
                             note="the scope's APPROVED filings; only the enterprise gets buttons that write"),
    "ChangeView.dates": Route(ENT, "filing", {"class_id": "training_class"},
                              body=form(start_date="2027-04-01", end_date="2028-03-31", reason="场地调整"),
                              write=Write("ent_gz", "approved")),
    "ChangeView.teachers": Route(ALL, "filing", FILING_ID),
    "ChangeView.history": Route(ALL, "filing", FILING_ID),
    "ChangeView.open_request": Route(ENT, "filing", FILING_ID, body=NO_BODY, write=Write("ent_gz", "approved")),
    "ChangeView.add_teacher": Route(ENT, "change", {"request_id": "change"},
                                    body=lambda s: {"data": {"name": "新导师", "id_number": _id_number(),
                                                             "phone": "13900139002", "kind": "ENTERPRISE",
                                                             "title": "技师"}},
                                    write=Write("ent_gz", "change_draft")),
    "ChangeView.remove_teacher": Route(ENT, "filing", {"teacher_id": "teacher"}, body=NO_BODY,
                                       write=Write("ent_gz", "change_draft"),
                                       note="an active teacher is refused (409 flash); scope first"),
    "ChangeView.swap": Route(ENT, "change", {"request_id": "change"},
                             body=lambda s: {"data": {"course_id": str(s["course"]), "teacher_id": str(s["teacher"])}},
                             write=Write("ent_gz", "change_draft")),
    "ChangeView.reason": Route(ENT, "change", {"request_id": "change"}, body=form(reason="原导师离职"),
                               write=Write("ent_gz", "change_draft")),
    "ChangeView.request_action": Route(ENT, "change", {"request_id": "change"}, args={"action": "delete"},
                                       body=NO_BODY, write=Write("ent_gz", "change_draft")),
    "ChangeReviewView.queue": Route(STAFF),
    "ChangeReviewView.detail": Route(STAFF, "change", {"request_id": "change"}),
    "ChangeReviewView.decide": Route(REV, "change", {"request_id": "change"}, args={"action": "return"},
                                     body=form(opinion="请补充变更原因"), write=Write("gz_reviewer", "change_submitted")),
    # ---- 审核管理 → 补贴审核 (R23) -------------------------------------------------------------------------------
    "ClaimReviewView.list": Route(STAFF),
    "ClaimReviewView.detail": Route(STAFF, "claim", {"claim_id": "claim"}),
    "ClaimReviewView.attachment": Route(STAFF, "claim", {"attachment_id": "claim_attachment"}),
    "ClaimReviewView.decide_person": Route(REV, "claim", {"person_id": "person"},
                                           body=form(approved_amount="2000", reason="出勤折算"),
                                           write=Write("gz_reviewer", "claim_submitted")),
    "ClaimReviewView.decide": Route(REV, "claim", {"claim_id": "claim"}, args={"action": "return"},
                                    body=form(opinion="请补充培训计划"), write=Write("gz_reviewer", "claim_submitted")),
    **rest("ChangeRequestApi", "change", "change", write=ENT, writer="ent_gz",
           post=lambda s: {"json": {"filing_id": s["filing"], "kind": "TEACHER"}}, post_scope="filing",
           post_make="approved", put=as_json(reason="原导师离职"), make="change_draft"),
    "ChangeRequestApi.swap": Route(ENT, "change", {"pk": "change"},
                                   body=lambda s: {"json": {"course_id": s["course"], "teacher_id": s["teacher"]}},
                                   write=Write("ent_gz", "change_draft")),
    "ChangeRequestApi.submit": Route(ENT, "change", {"pk": "change"}, body=NO_BODY,
                                     write=Write("ent_gz", "change_draft")),
    "ChangeRequestApi.approve": Route(REV, "change", {"pk": "change"}, body=as_json(opinion="同意"),
                                      write=Write("gz_reviewer", "change_submitted")),
    "ChangeRequestApi.return_change_request": Route(REV, "change", {"pk": "change"},
                                                    body=as_json(opinion="请补充变更原因"),
                                                    write=Write("gz_reviewer", "change_submitted")),
    "TrainingClassApi.change_dates": Route(ENT, "filing", {"pk": "training_class"},
                                           body=as_json(start_date="2027-04-01", end_date="2028-03-31",
                                                        reason="场地调整"),
                                           write=Write("ent_gz", "approved")),
    "TrainingClassApi.change_deadline": Route(ALL, "filing", {"pk": "training_class"}),
    "ChangeView.courses": Route(ALL, "filing", FILING_ID),
    "ChangeView.configure": Route(ENT, "filing", {"course_id": "course"},
                                  body=lambda s: {"data": {"start_date": "2027-03-10", "end_date": "2027-03-12",
                                                           "start_time": "09:00", "end_time": "17:00",
                                                           "venue_id": str(IDS["gz_venue"])}},
                                  write=Write("ent_gz", "approved")),
    "CourseApi.configure": Route(ENT, "filing", {"pk": "course"},
                                 body=lambda s: {"json": {"start_date": "2027-03-10", "end_date": "2027-03-12",
                                                          "start_time": "09:00", "end_time": "17:00",
                                                          "venue_id": IDS["gz_venue"]}},
                                 write=Write("ent_gz", "approved")),
    "TrainingClassApi.cancel": Route(ENT, "filing", {"pk": "training_class"}, body=as_json(reason="企业停产"),
                                     write=Write("ent_gz", "approved")),
    # ---- 培训场地维护 (venues: the enterprise's own; reviewers their city's, the admin all, read-only) -----------
    "VenueView.list": Route(ALL),
    "VenueView.add": Route(ENT, body=form(name="二号实训车间", address="广州市天河区测试路2号", capacity="30"),
                           write=Write("ent_gz")),
    "VenueView.edit": Route(ENT, "venue", {"pk": "pk"},
                            body=form(name="改名实训车间", address="广州市天河区测试路3号", capacity="40"),
                            write=Write("ent_gz", "venue")),
    "VenueView.delete": Route(ENT, "venue", {"pk": "pk"}, body=NO_BODY, write=Write("ent_gz", "venue")),
    "VenueView.geocode": Route(ALL, anonymous="401", note="搜索地址 (JSON, @has_access_api): 401 when anonymous"),
    **rest("VenueApi", "venue", write=ENT, writer="ent_gz",
           post=as_json(name="接口实训车间", address="广州市天河区测试路4号", capacity=20),
           put=as_json(capacity=25)),
    # ---- REST API: filings and their rows ---------------------------------------------------------------------
    **rest("FilingApi", "filing", "filing", write=ENT, writer="ent_gz", make="draft",
           post=as_json(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", commitment_accepted=True),
           put=as_json(contact_name="钱经办", contact_phone="13800138002")),
    "FilingApi.submit": Route(ENT, "filing", API_FILING, body=NO_BODY, write=Write("ent_gz", "draft")),
    "FilingApi.withdraw": Route(ENT, "filing", API_FILING, body=NO_BODY, write=Write("ent_gz", "submitted")),
    "FilingApi.approve": Route(REV, "decision", API_FILING, body=as_json(opinion="材料齐全"),
                               write=Write("gz_reviewer", "submitted")),
    "FilingApi.return_filing": Route(REV, "decision", API_FILING, body=as_json(opinion="请补充材料"),
                                     write=Write("gz_reviewer", "submitted")),
    "FilingApi.checklist": Route(ALL, "filing", API_FILING),
    "FilingFormPdfApi.form_pdf": Route(ALL, "filing", API_FILING, note="409 unless APPROVED"),
    "FilingImportApi.import_file": Route(ENT, "filing", API_FILING, args={"kind": "trainee"},
                                         query=lambda s: {"dry_run": "1"}, body=_xlsx_api,
                                         write=Write("ent_gz", "draft")),
    "FilingImportApi.import_template": Route(ALL, "filing", API_FILING, args={"kind": "trainee"}),
    **rest("TrainingClassApi", "filing", "training_class", write=ENT, writer="ent_gz", post=_class_json,
           post_scope="filing", post_make="draft", make="draft", put=as_json(hours=420)),
    **rest("TeacherApi", "filing", "teacher", write=ENT, writer="ent_gz", post=_teacher_json,
           post_scope="filing", post_make="draft", make="draft", put=as_json(title="高级技师")),
    **rest("TraineeApi", "filing", "trainee", write=ENT, writer="ent_gz", post=_trainee_json,
           post_scope="filing", post_make="draft", make="draft", put=as_json(phone="13700137002")),
    "TraineeApi.mark_lost": Route(ENT, "filing", {"pk": "trainee"}, body=as_json(reason="离职"),
                                  write=Write("ent_gz", "approved")),
    **rest("CourseApi", "filing", "course", write=ENT, writer="ent_gz", post=_course_json, post_scope="filing",
           post_make="draft", make="draft", put=as_json(hours=10)),
    **rest("AttachmentApi", "filing", "attachment", write=ENT, writer="ent_gz", post=_attachment_api,
           post_scope="filing", post_make="draft", make="draft",
           methods=("get_list", "info", "get", "post", "delete")),
    "AttachmentApi.content": Route(ALL, "filing", {"pk": "attachment"}),
    **rest("AuditEventApi", "filing", "audit", methods=("get_list", "info", "get")),
    "TraineeExportApi.export_xlsx": Route(ALL),
    # ---- REST API: registries ------------------------------------------------------------------------------
    **rest("CityApi", "city", post=lambda s: {"json": {"code": f"44{80 + _seq() % 9}", "name": f"接口市{_seq()}",
                                                        "sort_order": 98}},
           put=as_json(sort_order=97)),
    **rest("OccupationApi", "occupation",
           post=lambda s: {"json": {"code": f"9-88-88-{_seq():02d}", "name": "接口工种", "active": True}},
           put=as_json(name="改名工种")),
    **rest("SkillLevelApi", "skill_level", post=as_json(level=3, name="三级/高级工（重复）"),
           put=as_json(name="改名等级")),
    **rest("TrainingInstitutionApi", "institution",
           post=lambda s: {"json": {"name": f"接口培训机构{_seq()}", "city_code": "4401", "active": True}},
           put=as_json(contact_name="孙联系")),
    **rest("SubsidyStandardApi", "subsidy_standard",
           post=as_json(programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", amount_yuan="3000.00",
                        advance_ratio="0.4", valid_from="2030-01-01"),
           put=as_json(note="改")),
    **rest("WorkdayOverrideApi", "workday", get_key="api_pk",
           post=lambda s: {"json": {"day": f"2032-04-{_seq() % 28 + 1:02d}", "is_workday": True, "note": "接口"}},
           put=as_json(note="改")),
    **rest("EnterpriseApi", "enterprise",
           post=lambda s: {"json": {"uscc": _uscc(), "name": f"接口单位{_seq()}", "city_code": "4401"}},
           put=as_json(contact_name="周联系")),
    **{f"{api}.import_file": Route(who, query=lambda s: {"dry_run": "1"}, body=_xlsx_api, write=Write(writer))
       for api, who, writer in (("OccupationImportApi", ADM, "admin"), ("EnterpriseImportApi", STAFF, "gz_reviewer"),
                                ("TrainingInstitutionImportApi", ADM, "admin"))},
    "OccupationImportApi.import_template": Route(ADM),
    "EnterpriseImportApi.import_template": Route(STAFF),
    "TrainingInstitutionImportApi.import_template": Route(ADM),
    **rest("EcosystemRecognitionApi", "recognition", write=STAFF, writer="gz_reviewer",
           post=lambda s: {"json": {"enterprise_id": s["pk"], "chain_name": "接口生态链", "role": "MEMBER",
                                    "city_code": s.city or "4401", "valid_from": "2025-01-01"}},
           post_scope="enterprise", post_make="world:gz2 enterprise", put=as_json(chain_name="改名生态链")),
    # ---- 考勤 (R24): 考勤设备, 扫码签到, the attendance API --------------------------------------------------------
    # Devices and QR pages are the enterprise's own (Attendance can_write: reviewers and the admin 403); the
    # attendance records are read by every role through the scope.
    "AttendanceView.devices": Route(ALL, note="考勤设备: the enterprise's own; a reviewer its city's, read-only"),
    "AttendanceView.add_device": Route(ENT, body=lambda s: {"data": {"name": f"门禁{_seq()}"}}, write=Write("ent_gz"),
                                       note="201 with the key shown once"),
    "AttendanceView.revoke": Route(ENT, "device", {"pk": "pk"}, body=NO_BODY, write=Write("ent_gz", "device")),
    "AttendanceView.qr": Route(ENT, "course", {"course_id": "course"},
                               note="扫码签到 page: a course not CONFIGURED / class not NORMAL answers 422"),
    "AttendanceView.qr_token": Route(ENT, "course", {"course_id": "course"},
                                     note="JSON for the QR page; outside the window {open: false}"),
    "AttendanceView.checkin": Route(ALL, args={"token": "forged-token"}, public=True,
                                    body=lambda s: {"data": {"name": "学员1", "id_number": _id_number()}},
                                    write=Write(ANON),
                                    note="the trainee's public page: a forged token is the 410 page 二维码无效 "
                                         "(no login, never 5xx)"),
    **rest("AttendanceApi", "attendance", write=ENT, writer="ent_gz", post=_attendance_json,
           methods=("get_list", "info", "get", "post")),
    # ---- 培训情况跟踪 / 查看考勤 (R18, R24): classes of APPROVED / CANCELLED filings only -------------------------
    "TrackingView.city": Route(STAFF, note="审核管理 → 培训情况跟踪: the reviewer's city (admin: all), read-only"),
    "TrackingView.programme_list": Route(ALL, args={"programme": "ENTERPRISE"},
                                         note="the enterprise menus; reviewers and the admin read-only"),
    "TrackingView.attendance": Route(ALL, "tracked", {"class_id": "training_class"}),
    "TrackingView.records": Route(ALL, "tracked", {"class_id": "training_class", "person_id": "trainee"},
                                  args={"tab": "trainees"}, pairs=True),
    "TrackingView.export": Route(ALL, "tracked", {"class_id": "training_class"}, args={"tab": "trainees"}),
    "TrackingView.action_form": Route(ENT, "tracked", {"class_id": "training_class"}, args={"action": "cancel"},
                                      note="【注销培训班】's form (reason required)"),
    "TrackingView.class_action": Route(ENT, "tracked", {"class_id": "training_class"}, args={"action": "cancel"},
                                       body=form(reason="企业停产"), write=Write("ent_gz", "tracked")),
    "TrainingClassApi.attendance": Route(ALL, "tracked", {"pk": "training_class"}),
    # ---- 统计分析 (issue 14): the reviewer's city, the admin's province; no row ids (the city scope of
    # ``city_code`` — another city's answers 404 — is proved in tests/test_statistics.py) ---------------------
    "StatisticsView.dashboard": Route(STAFF, query=lambda s: {"from": "2026-01-01", "to": "2027-12-31"}),
    "StatisticsView.export": Route(STAFF, args={"name": "filings_by_city_status"},
                                   query=lambda s: {"from": "2026-01-01"}),
    "StatisticsApi.figure": Route(STAFF, args={"name": "subsidy_by_city_stage"},
                                  query=lambda s: {"to": "2027-12-31"}),
    "StatisticsView.export_all": Route(STAFF, body=form(**{"from": "2026-01-01"}), write=Write("gz_reviewer"),
                                       note="导出全部报表 as a background job (redirect to its progress)"),
    "StatisticsExportJobApi.export_job": Route(STAFF, body=as_json(to="2027-12-31"), write=Write("gz_reviewer"),
                                               note="202 {job_id}"),
    # ---- REST API: 补贴申领 (R20–R23): claims and their persons, scoped like filings (reviewers: no DRAFT) ------
    **rest("SubsidyClaimApi", "claim", "claim", write=ENT, writer="ent_gz",
           post=lambda s: {"json": {"training_class_id": s["training_class"], "stage": "BALANCE",
                                    "commitment_accepted": True}},
           post_scope="claim", post_make="claim_draft", put=as_json(contact_name="钱经办"), make="claim_draft"),
    "SubsidyClaimApi.submit": Route(ENT, "claim", {"pk": "claim"}, body=NO_BODY,
                                    write=Write("ent_gz", "claim_draft")),
    "SubsidyClaimApi.cancel": Route(ENT, "claim", {"pk": "claim"}, body=NO_BODY,
                                    write=Write("ent_gz", "claim_submitted")),
    "SubsidyClaimApi.approve": Route(REV, "claim", {"pk": "claim"}, body=as_json(opinion="同意"),
                                     write=Write("gz_reviewer", "claim_submitted")),
    "SubsidyClaimApi.return_subsidy_claim": Route(REV, "claim", {"pk": "claim"}, body=as_json(opinion="请补充材料"),
                                                  write=Write("gz_reviewer", "claim_submitted")),
    "SubsidyClaimApi.prechecks": Route(ALL, "claim", {"pk": "claim"}),
    "ClaimDocumentsApi.form_pdf": Route(ALL, "claim", {"pk": "claim"}, note="409 until submitted (R23)"),
    "ClaimDocumentsApi.roster_pdf": Route(ALL, "claim", {"pk": "claim"}, note="409 until submitted (R23)"),
    "ClaimDocumentsApi.roster_xlsx": Route(ALL, "claim", {"pk": "claim"}, note="409 until submitted (R23)"),
    **rest("SubsidyClaimPersonApi", "claim", "person", write=ENT, writer="ent_gz",
           post=lambda s: {"json": {"claim_id": s["claim"], "trainee_id": s["claim_trainee"]}},
           post_scope="claim", post_make="claim_draft", put=as_json(certificate_no="S4401-0001"),
           make="claim_draft"),
    "SubsidyClaimPersonApi.decide": Route(REV, "claim", {"pk": "person"},
                                          body=as_json(approved_amount="2000", reason="出勤折算"),
                                          write=Write("gz_reviewer", "claim_submitted")),
    # ---- 企业注册 (public) and 审核管理 → 注册审核 (issue 14): the reviewer its city's, the admin all (read-only) ------
    "RegisterView.form": Route(ALL, public=True, body=lambda s: {"data": _registration_form()}, write=Write(ANON),
                               note="企业注册: the public form (CSRF on); a valid registration answers the 已提交 page"),
    "RegisterView.status": Route(ALL, public=True,
                                 body=form(uscc="91440101MA5CXXXX0B", username="nobody", password="Wrong2026x"),
                                 write=Write(ANON), note="注册进度查询: the same page whichever field is wrong"),
    "RegistrationReviewView.queue": Route(STAFF),
    "RegistrationReviewView.detail": Route(STAFF, "registration", {"pk": "pk"}),
    "RegistrationReviewView.decide": Route(REV, "registration", {"pk": "pk"}, args={"action": "return"},
                                           body=form(reason="营业执照名称不一致"),
                                           write=Write("gz_reviewer", "registration")),
    "RegistrationApi.get_list": Route(STAFF),
    "RegistrationApi.get": Route(STAFF, "registration", {"pk": "pk"}),
    "RegistrationApi.post": Route(ALL, public=True, body=lambda s: {"json": _registration_form()}, write=Write(ANON),
                                  note="企业注册 (no login): 201 pending"),
    "RegistrationApi.approve": Route(REV, "registration", {"pk": "pk"}, body=NO_BODY,
                                     write=Write("gz_reviewer", "registration")),
    "RegistrationApi.return_registration": Route(REV, "registration", {"pk": "pk"},
                                                 body=as_json(reason="营业执照名称不一致"),
                                                 write=Write("gz_reviewer", "registration")),
}


def _registration_form() -> dict:
    n = _seq()
    return {"uscc": _uscc(), "enterprise_name": f"注册单位{n}", "city_code": "4401", "legal_representative": "张法人",
            "contact_name": "李联系", "contact_phone": "13800138000", "username": f"matrix_reg{n}",
            "password": "Zhuce2026a"}


@dataclass(frozen=True)
class Deviation:
    """A place where the app answers otherwise than the policy today — each one reported for an app fix. The test
    expects the app's current answer there, so that it stays green until the fix and fails once the app answers as
    the policy says (then delete the entry)."""

    endpoint: str
    users: tuple[str, ...]
    answer: str  # an outcome, or BY_SCOPE: ok for the user's own rows, 404 for the others
    subjects: tuple[str, ...] = ()  # Subject labels; empty: any
    methods: tuple[str, ...] = ()  # empty: any
    reason: str = ""

    def applies(self, endpoint: str, user: str, method: str, subject: Optional[Subject]) -> bool:
        return (endpoint == self.endpoint and user in self.users and (not self.methods or method in self.methods)
                and (not self.subjects or (subject is not None and subject.label in self.subjects)))


LOGGED_IN = USERS[1:]
BY_SCOPE = "ok for its own rows, 404 for the others"
DEVIATIONS: tuple[Deviation, ...] = (
    Deviation("WorkdayOverrideApi.get", LOGGED_IN, "404", ("a workday row",), reason=(
        "GET /api/v1/workday_override/<int:pk>: FAB's show route takes an integer, the key is a date, so no URL "
        "reaches a row (PUT/DELETE /<pk> take the date)")),
)


def _uscc() -> str:
    from tests import factories

    return factories.uscc("440101", 9_000 + _seq())


# ---------------------------------------------------------------------------------------------------------------
# The module's rows
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class World:
    subjects: dict[str, list[Subject]]
    ids: dict[str, Any]

    def find(self, label: str) -> Subject:
        return next(s for group in self.subjects.values() for s in group if s.label == label)


def _bundle(label: str, enterprise_key: str, enterprise_id: int, status: str) -> Subject:
    """A complete filing of ``status`` with a class, a teacher, trainees, a course, attachments, an audit event."""
    from actions import audit
    from models.base import db
    from tests import factories

    extra: dict[str, Any] = {}
    if status != "DRAFT":
        extra["submitted_at"] = datetime(2026, 3, 1, tzinfo=timezone.utc)
    if status == "APPROVED":
        extra.update(filing_no=f"XT9999-2026-{_seq():06d}", approved_at=datetime(2026, 3, 2, tzinfo=timezone.utc))
    filing = factories.complete_filing(enterprise_id, status=status, **extra)
    event = audit.record(db.session, factories.actor("admin"), "create", filing, to_status=status)
    db.session.flush()
    cls = filing.classes[0]
    return Subject(label, "filing", {
        "filing": filing.id, "training_class": cls.id, "teacher": filing.teachers[0].id,
        "trainee": filing.trainees[0].id, "course": cls.courses[0].id, "attachment": filing.attachments[0].id,
        "audit": event.id}, enterprise_key, filing.city_code, status)


def _change(label: str, enterprise_key: str, enterprise_id: int, status: str) -> Subject:
    """A 师资信息变更 request of ``status`` on an APPROVED filing of its own (one open request per filing, R17)."""
    from models.base import db
    from models.filing import ChangeRequest

    bundle = _bundle(f"the filing of {label}", enterprise_key, enterprise_id, "APPROVED")
    request = ChangeRequest(filing_id=bundle["filing"], kind="TEACHER", status=status, before={"swaps": []},
                            after={"swaps": []}, reason="师资调整",
                            submitted_at=None if status == "DRAFT" else datetime(2026, 4, 1, tzinfo=timezone.utc))
    db.session.add(request)
    db.session.flush()
    return Subject(label, "change", {**bundle.ids, "change": request.id}, enterprise_key, bundle.city, status)


def _claim(label: str, enterprise_key: str, enterprise_id: int, status: str) -> Subject:
    """A 补贴申请 of ``status`` (ADVANCE) on an APPROVED filing of its own, with its first trainee as a person
    (held unless DRAFT, amount 2200) and a 培训计划 attachment. Ids: ``claim``, ``person``, ``claim_attachment``,
    ``claim_trainee`` (a trainee of the filing not in the claim)."""
    from models.base import db
    from models.filing import Attachment, Filing
    from models.subsidy import SubsidyClaim, SubsidyClaimPerson

    bundle = _bundle(f"the filing of {label}", enterprise_key, enterprise_id, "APPROVED")
    filing = db.session.get(Filing, bundle["filing"])
    ent = filing.enterprise
    claim = SubsidyClaim(enterprise_id=enterprise_id, city_code=filing.city_code, filing_id=filing.id,
                         training_class_id=bundle["training_class"], stage="ADVANCE", status=status,
                         commitment_accepted=True, bank_name="中国工商银行广州分行", bank_account_name=ent.name,
                         bank_account_no="3602000109200012345", contact_name="李四", contact_phone="13800138000",
                         requested_amount=None if status == "DRAFT" else 2200,
                         submitted_at=None if status == "DRAFT" else datetime(2026, 6, 1, tzinfo=timezone.utc))
    db.session.add(claim)
    db.session.flush()
    person = SubsidyClaimPerson(subsidy_claim_id=claim.id, trainee_id=filing.trainees[0].id, stage="ADVANCE",
                                held=None if status in ("DRAFT", "RETURNED") else True, amount=2200)
    attachment = Attachment(subsidy_claim_id=claim.id, kind="TRAINING_PLAN", file_name="培训计划.pdf",
                            media_type="application/pdf", size=len(PDF_BYTES), sha256=PDF_SHA256, content=PDF_BYTES)
    db.session.add_all([person, attachment])
    db.session.flush()
    return Subject(label, "claim", {**bundle.ids, "claim": claim.id, "person": person.id,
                                    "claim_attachment": attachment.id, "claim_trainee": filing.trainees[1].id},
                   enterprise_key, filing.city_code, status)


def _tracked(label: str, enterprise_key: str, enterprise_id: int, status: str = "APPROVED") -> Subject:
    """A filing 培训情况跟踪 shows (APPROVED, or CANCELLED with its class): its course CONFIGURED for 2027-03-10..11,
    09:00–12:00 (cancelled with a CANCELLED class), and one attendance record of its first trainee (R24)."""
    from models.base import db
    from models.filing import Attendance, Filing

    bundle = _bundle(label, enterprise_key, enterprise_id, "APPROVED")
    filing = db.session.get(Filing, bundle["filing"])
    cls = filing.classes[0]
    course = cls.courses[0]
    course.start_date, course.end_date = date(2027, 3, 10), date(2027, 3, 11)
    course.start_time, course.end_time, course.status = time(9, 0), time(12, 0), "CONFIGURED"
    trainee = filing.trainees[0]
    record = Attendance(course_id=course.id, trainee_id=trainee.id, check_in=datetime(2027, 3, 10, 1, 0),
                        source="DEVICE")
    db.session.add(record)
    if status == "CANCELLED":
        cancelled = datetime(2026, 5, 1, tzinfo=timezone.utc)
        cls.status, cls.cancel_reason, cls.cancelled_at = "CANCELLED", "企业停产", cancelled
        course.status = "CANCELLED"
        filing.status = "CANCELLED"
    db.session.flush()
    return Subject(label, "tracked", {**bundle.ids, "attendance": record.id, "pk": record.id,
                                      "trainee_number": trainee.id_number},
                   enterprise_key, filing.city_code, status)


def _device(label: str, enterprise_key: str, enterprise_id: int, city: str) -> Subject:
    """An active 考勤设备 of the enterprise (its key is never used here: only the hash is stored)."""
    import secrets

    from actions.attendance import hash_key
    from models.attendance import CheckInDevice
    from models.base import db

    key = secrets.token_urlsafe(32)
    device = CheckInDevice(enterprise_id=enterprise_id, name=f"{enterprise_key} 门禁", key_hash=hash_key(key),
                           key_prefix=key[:6], active=True)
    db.session.add(device)
    db.session.flush()
    return Subject(label, "device", {"pk": device.id}, enterprise_key, city)


def _registration(label: str, city: str, status: str = "PENDING") -> Subject:
    """An 企业注册 of ``city`` in ``status`` (its data as the public form leaves it)."""
    from models.base import db
    from models.registration import EnterpriseRegistration

    n = _seq()
    row = EnterpriseRegistration(uscc=_uscc(), enterprise_name=f"注册单位{n}", city_code=city,
                                 legal_representative="张法人", contact_name="李联系", contact_phone="13800138000",
                                 username=f"world_reg{n}", password_hash="pbkdf2:sha256:1000$x$0", status=status)
    db.session.add(row)
    db.session.flush()
    return Subject(label, "registration", {"pk": row.id}, None, city, status)


def _job(label: str, username: str) -> Subject:
    """A DONE background job of ``username`` with its file (我的下载)."""
    from models.base import utcnow
    from models.job import Job
    from models.base import db
    from services import job_files
    from tests import factories

    user = factories.actor(username)
    job = Job(kind="trainee_export", title="单位培训人员名单", requester_id=user.user_id, params={}, status="DONE",
              progress=1.0, file_name="名单.xlsx", media_type="application/octet-stream", size=2,
              expires_at=utcnow() + timedelta(days=7))
    db.session.add(job)
    db.session.flush()
    job_files.save_bytes(job.public_id, b"PK")
    return Subject(label, "job", {"pk": job.public_id}, owner=username)


def _missing(scope: str, pk: Any = MISSING_ID) -> Subject:
    keys = ("filing", "training_class", "teacher", "trainee", "course", "attachment", "audit", "change", "pk",
            "attendance", "claim", "person", "claim_attachment", "claim_trainee")
    return Subject(f"a missing {scope} id", scope, {key: pk for key in keys}, missing=True)


def _build_world() -> World:
    from flask import current_app

    from models.base import db
    from models.enterprise import EcosystemRecognition, Venue
    from models.lookups import Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
    from models.security import AppUser
    from tests import factories

    gz = factories.demo_enterprise("ent_gz")
    sz = factories.demo_enterprise("ent_sz")
    gz2 = factories.enterprise("广州另一家测试单位", city="4401")
    enterprises = {"gz": gz, "gz2": gz2, "sz": sz}
    filings = [
        _bundle("ent_gz's DRAFT filing", "gz", gz.id, "DRAFT"),
        _bundle("ent_gz's SUBMITTED filing", "gz", gz.id, "SUBMITTED"),
        _bundle("ent_gz's APPROVED filing", "gz", gz.id, "APPROVED"),
        _bundle("another 广州 enterprise's SUBMITTED filing", "gz2", gz2.id, "SUBMITTED"),
        _bundle("ent_sz's DRAFT filing", "sz", sz.id, "DRAFT"),
        _bundle("ent_sz's SUBMITTED filing", "sz", sz.id, "SUBMITTED"),
    ]
    own_draft, own_submitted = filings[0], filings[1]
    change_requests = [
        _change("ent_gz's DRAFT change request", "gz", gz.id, "DRAFT"),
        _change("ent_gz's SUBMITTED change request", "gz", gz.id, "SUBMITTED"),
        _change("another 广州 enterprise's SUBMITTED change request", "gz2", gz2.id, "SUBMITTED"),
        _change("ent_sz's DRAFT change request", "sz", sz.id, "DRAFT"),
        _change("ent_sz's SUBMITTED change request", "sz", sz.id, "SUBMITTED"),
    ]
    claims = [
        _claim("ent_gz's DRAFT claim", "gz", gz.id, "DRAFT"),
        _claim("ent_gz's SUBMITTED claim", "gz", gz.id, "SUBMITTED"),
        _claim("another 广州 enterprise's SUBMITTED claim", "gz2", gz2.id, "SUBMITTED"),
        _claim("ent_sz's DRAFT claim", "sz", sz.id, "DRAFT"),
        _claim("ent_sz's SUBMITTED claim", "sz", sz.id, "SUBMITTED"),
    ]
    mixed = Subject("ent_gz's DRAFT filing with a row of its SUBMITTED filing", "filing",
                    {**own_submitted.ids, "filing": own_draft["filing"]}, "gz", "4401", "DRAFT", mixed=True)
    recognitions = []
    for key in ("gz", "gz2", "sz"):
        ent = enterprises[key]
        row = db.session.scalars(select(EcosystemRecognition).filter_by(enterprise_id=ent.id)).first() \
            or factories.recognition(ent.id, city=ent.city_code)
        recognitions.append(Subject(f"{key} recognition", "recognition", {"pk": row.id}, key, ent.city_code))
    venues = []
    for key in ("gz", "gz2", "sz"):
        ent = enterprises[key]
        venue = Venue(enterprise_id=ent.id, name=f"{key} 实训车间", address="测试地址1号", capacity=30)
        db.session.add(venue)
        db.session.flush()
        venues.append(Subject(f"{key} venue", "venue", {"pk": venue.id}, key, ent.city_code))
    tracked = [
        _tracked("ent_gz's APPROVED filing with a configured course", "gz", gz.id),
        _tracked("ent_gz's CANCELLED filing", "gz", gz.id, "CANCELLED"),
        _tracked("another 广州 enterprise's APPROVED filing with a configured course", "gz2", gz2.id),
        _tracked("ent_sz's APPROVED filing with a configured course", "sz", sz.id),
    ]
    own_tracked, own_cancelled = tracked[0], tracked[1]
    not_tracked = replace(own_submitted, label="ent_gz's SUBMITTED filing (not tracked)", scope="tracked")
    tracked_mixed = Subject("ent_gz's tracked class with a trainee of its CANCELLED filing", "tracked",
                            {**own_tracked.ids, "trainee": own_cancelled["trainee"]}, "gz", "4401", "APPROVED",
                            mixed=True)
    devices = [_device(f"{key} device", key, enterprises[key].id, enterprises[key].city_code)
               for key in ("gz", "gz2", "sz")]
    workday = WorkdayOverride(day=date(2031, 1, 2), is_workday=True, note="测试")
    db.session.add(workday)
    group = current_app.appbuilder.sm.add_group("测试组", "测试组", "", commit=False)
    db.session.flush()
    sm = current_app.appbuilder.sm
    ent_sz_user = db.session.scalars(select(AppUser).filter_by(username="ent_sz")).one()
    ent_gz_user, sz_reviewer_user, gz_reviewer_user = (
        db.session.scalars(select(AppUser).filter_by(username=name)).one()
        for name in ("ent_gz", "sz_reviewer", "gz_reviewer"))
    gz2_user = factories.user("gz2_clerk", "企业用户", enterprise_id=gz2.id)
    first = {model: db.session.scalars(select(model)).first()
             for model in (Occupation, SkillLevel, TrainingInstitution, SubsidyStandard)}

    def lookup(scope: str, pk: Any, missing: Any) -> list[Subject]:
        return [Subject(f"a {scope} row", scope, {"pk": pk}), _missing(scope, missing)]

    subjects = {
        "filing": [*filings, _missing("filing")],
        "filing+pairs": [*filings, mixed, _missing("filing")],
        "change": [*change_requests, _missing("change")],
        "claim": [*claims, _missing("claim")],
        "enterprise": [Subject(f"{key} enterprise", "enterprise", {"pk": ent.id}, key, ent.city_code)
                       for key, ent in enterprises.items()] + [_missing("enterprise")],
        "recognition": [*recognitions, _missing("recognition")],
        "venue": [*venues, _missing("venue")],
        "city": lookup("city", "4401", "4400"),
        "occupation": lookup("occupation", first[Occupation].id, MISSING_ID),
        "skill_level": lookup("skill_level", first[SkillLevel].level, 9),
        "institution": lookup("institution", first[TrainingInstitution].id, MISSING_ID),
        "subsidy_standard": lookup("subsidy_standard", first[SubsidyStandard].id, MISSING_ID),
        "workday": [Subject("a workday row", "workday", {"pk": "2031-01-02", "api_pk": 20310102}),
                    Subject("a missing workday id", "workday", {"pk": "2099-12-31", "api_pk": 20991231}, missing=True)],
        "account": [Subject("ent_sz's account", "account", {"pk": ent_sz_user.id}), _missing("account")],
        "managed_account": [
            Subject("ent_gz's account", "managed_account", {"pk": ent_gz_user.id}, "gz", "4401"),
            Subject("another 广州 enterprise's account", "managed_account", {"pk": gz2_user.id}, "gz2", "4401"),
            Subject("ent_sz's account", "managed_account", {"pk": ent_sz_user.id}, "sz", "4403"),
            Subject("sz_reviewer's account", "managed_account", {"pk": sz_reviewer_user.id}, None, "4403"),
            Subject("gz_reviewer's account", "managed_account", {"pk": gz_reviewer_user.id}, None, "4401"),
            _missing("managed_account")],
        "role": [Subject("the 企业用户 role", "role", {"pk": sm.find_role("企业用户").id}), _missing("role")],
        "group": [Subject("a group", "group", {"pk": group.id}), _missing("group")],
        "tracked": [*tracked, not_tracked, _missing("tracked")],
        "tracked+pairs": [*tracked, not_tracked, tracked_mixed, _missing("tracked")],
        "course": [replace(row, scope="course") for row in (*tracked, not_tracked, _missing("course"))],
        "attendance": [replace(row, scope="attendance") for row in tracked] + [_missing("attendance")],
        "device": [*devices, _missing("device")],
        "registration": [_registration("a PENDING 广州 registration", "4401"),
                         _registration("a RETURNED 广州 registration", "4401", "RETURNED"),
                         _registration("a PENDING 深圳 registration", "4403"), _missing("registration")],
        "job": [_job(f"{user}'s job", user) for user in LOGGED_IN] + [_missing("job", "0" * 32)],
    }
    db.session.commit()
    IDS.update(gz_uscc=gz.uscc)
    IDS.update(gz=gz.id, gz2=gz2.id, sz=sz.id, enterprise_role=sm.find_role("企业用户").id, gz_venue=venues[0]["pk"],
               gz_course=own_tracked["course"], gz_course_trainee=own_tracked["trainee_number"])
    return World(subjects, {"enterprise": {k: e.id for k, e in enterprises.items()}})


def _fresh(world: World, make: str) -> Subject:
    """A row made for one allowed write (the write may delete or change it)."""
    from flask import current_app

    from models.base import db
    from models.enums import RoleName
    from models.lookups import City, Occupation, SkillLevel, SubsidyStandard, TrainingInstitution, WorkdayOverride
    from tests import factories

    if make.startswith("world:"):
        return world.find(make[len("world:"):])
    n = _seq()
    gz = world.ids["enterprise"]["gz"]
    if make in ("draft", "submitted", "approved"):
        subject = _bundle(f"a fresh {make} filing", "gz", gz, make.upper())
    elif make in ("change_draft", "change_submitted"):
        subject = _change(f"a fresh {make[7:]} change request", "gz", gz, make[7:].upper())
    elif make in ("claim_draft", "claim_submitted"):
        subject = _claim(f"a fresh {make[6:]} claim", "gz", gz, make[6:].upper())
    elif make == "tracked":
        subject = _tracked("a fresh tracked filing of ent_gz", "gz", gz)
    elif make == "job":
        subject = _job("a fresh job of ent_gz", "ent_gz")
    elif make == "device":
        subject = _device("a fresh device of ent_gz", "gz", gz, "4401")
    elif make == "registration":
        subject = _registration("a fresh PENDING 广州 registration", "4401")
    elif make == "enterprise":
        row = factories.enterprise(f"临时单位{n}", city="4401")
        subject = Subject("a fresh enterprise", "enterprise", {"pk": row.id}, f"fresh{n}", "4401")
    elif make == "recognition":
        row = factories.recognition(world.ids["enterprise"]["gz2"], city="4401")
        subject = Subject("a fresh 广州 recognition", "recognition", {"pk": row.id}, "gz2", "4401")
    elif make == "venue":
        from models.enterprise import Venue

        row = Venue(enterprise_id=gz, name=f"临时场地{n}", address="测试地址9号")
        db.session.add(row)
        db.session.flush()
        subject = Subject("a fresh venue of ent_gz", "venue", {"pk": row.id}, "gz", "4401")
    elif make == "account":
        row = factories.user(f"scratch{n}", RoleName.ENTERPRISE, enterprise_id=gz)
        subject = Subject("a fresh account", "account", {"pk": row.id})
    elif make == "managed_account":
        row = factories.user(f"managed{n}", RoleName.ENTERPRISE, enterprise_id=gz)
        subject = Subject("a fresh account of ent_gz's enterprise", "managed_account", {"pk": row.id}, "gz", "4401")
    elif make == "group":
        row = current_app.appbuilder.sm.add_group(f"临时组{n}", "临时组", "", commit=False)
        db.session.flush()
        subject = Subject("a fresh group", "group", {"pk": row.id})
    else:
        rows = {
            "city": lambda: City(code=f"45{n:02d}", name=f"临时市{n}", sort_order=90),
            "occupation": lambda: Occupation(code=f"9-77-77-{n:02d}", name="临时工种"),
            "skill_level": lambda: SkillLevel(level=10 + n, name=f"临时等级{n}"),
            "institution": lambda: TrainingInstitution(name=f"临时培训机构{n}", city_code="4401"),
            "subsidy_standard": lambda: SubsidyStandard(
                programme="ENTERPRISE", apprenticeship_type="NEW_APPRENTICE", amount_yuan=1000, advance_ratio=0.4,
                valid_from=date(2035, 1, 1)),
            "workday": lambda: WorkdayOverride(day=date(2033, 1, 1 + n % 28), is_workday=False, note="临时"),
        }
        row = rows[make]()
        db.session.add(row)
        db.session.flush()
        pk = {"city": getattr(row, "code", None), "skill_level": getattr(row, "level", None),
              "workday": str(getattr(row, "day", ""))}.get(make, getattr(row, "id", None))
        subject = Subject(f"a fresh {make} row", make, {"pk": pk})
    db.session.commit()
    return subject


# ---------------------------------------------------------------------------------------------------------------
# Fixtures: the rows once per module, one logged-in client and one JWT per role
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_data():
    """This module builds its rows once (``world``) instead of tests/conftest.py's reset before every test."""
    yield


@pytest.fixture(scope="module")
def world(app):
    reset_database(app)
    with app.app_context():
        built = _build_world()
    yield built
    reset_database(app)  # leave the demo seed, as every other module expects


@dataclass
class Session:
    """The clients of one role: a cookie session with its CSRF token (screens), and JWTs (API)."""

    client: Any
    csrf: str
    access: Optional[str] = None
    refresh: Optional[str] = None


def _cookie_session(app, user: str) -> Session:
    client = app.test_client()
    if user == ANON:
        return Session(client, csrf_token_from(client.get("/login/").get_data(as_text=True)))
    response = login(client, user)
    assert response.status_code == 302, f"login of {user} failed"
    return Session(client, csrf_token_from(client.get("/resetmypassword/form").get_data(as_text=True)))


@pytest.fixture(scope="module")
def sessions(app, world) -> dict[str, Session]:
    api = app.test_client(use_cookies=False)
    found = {}
    for user in USERS:
        session = _cookie_session(app, user)
        if user != ANON:
            response = api.post("/api/v1/security/login", json={"username": user, "password": DEMO_PASSWORD,
                                                                 "provider": "db", "refresh": True})
            assert response.status_code == 200, response.get_data(as_text=True)
            session.access = response.get_json()["access_token"]
            session.refresh = response.get_json()["refresh_token"]
        found[user] = session
    return found


@pytest.fixture(scope="module")
def access_denied(app) -> set[str]:
    """FAB's access-denied flash, as flashed (the request's language) and as written."""
    from flask_appbuilder.const import FLAMSG_ERR_SEC_ACCESS_DENIED

    with app.test_request_context("/"):
        return {str(FLAMSG_ERR_SEC_ACCESS_DENIED), "Access is Denied"}


# ---------------------------------------------------------------------------------------------------------------
# Sending requests and reading the answers
# ---------------------------------------------------------------------------------------------------------------

WRITE_METHODS = ("POST", "PUT", "DELETE", "PATCH")


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in EXCLUDED]


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _is_api(rule) -> bool:
    return rule.rule.startswith("/api/")


def _url(rule, route: Route, subject: Optional[Subject]) -> str:
    values = dict(route.args)
    for arg, key in route.bind.items():
        values[arg] = subject[key]
    values = {arg: value for arg, value in values.items() if arg in rule.arguments}
    unbound = set(rule.arguments) - set(values)
    if unbound:
        raise LookupError(f"{rule.endpoint}: the entry gives no value for URL argument(s) {sorted(unbound)} "
                          "(add them to args= or bind=)")
    try:
        built = rule.build(values, append_unknown=False)
    except (TypeError, ValueError) as exc:
        raise LookupError(f"{rule.endpoint}: cannot build {rule.rule} from {values} ({exc})") from None
    if built is None:
        raise LookupError(f"{rule.endpoint}: cannot build {rule.rule} from {values}")
    url = built[1]
    if route.query is not None:
        url += "?" + urlencode(route.query(subject))
    return url


@dataclass
class Answer:
    outcome: str
    status: int
    detail: str = ""


def classify(response, flashes: list, access_denied: set[str]) -> Answer:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status >= 500:
        return Answer("5xx", status, response.get_data(as_text=True)[:500])
    if status in (301, 302, 303, 307) and urlsplit(location).path == "/login/":
        return Answer(LOGIN, status, location)
    if status in (302, 303) and any(message in access_denied for _category, message in flashes):
        return Answer(FLASH, status, location)
    if status in (400, 401, 403, 404):
        return Answer(str(status), status, response.get_data(as_text=True)[:300])
    return Answer(OK, status, location)


def send(sessions: dict[str, Session], app, access_denied: set[str], user: str, rule, route: Route, method: str,
         subject: Optional[Subject], client_session: Optional[Session] = None) -> Answer:
    """One request as ``user``; exceptions (TESTING propagates them) are answered 5xx with the traceback."""
    url = _url(rule, route, subject)
    kwargs: dict[str, Any] = {}
    if method in WRITE_METHODS and route.body is not None:
        kwargs = route.body(subject)
    if client_session is None and route.own_client:
        client_session = _cookie_session(app, user)
    session = client_session or sessions[user]
    headers = {}
    if _is_api(rule):
        client = app.test_client(use_cookies=False)
        token = session.refresh if route.auth == "refresh" else session.access
        if token and user != ANON:
            headers["Authorization"] = f"Bearer {token}"
    else:
        client = session.client
        if method in WRITE_METHODS:
            data = kwargs.setdefault("data", {})
            data["csrf_token"] = session.csrf
    try:
        response = client.open(url, method=method, headers=headers, **kwargs)
    except Exception:  # noqa: BLE001 - an exception here is the 500 a user would get
        return Answer("5xx", 500, traceback.format_exc(limit=-8))
    flashes: list = []
    if not _is_api(rule):
        with client.session_transaction() as cookie:
            flashes = cookie.pop("_flashes", [])
    return classify(response, flashes, access_denied)


def expected(route: Route, user: str, method: str, subject: Optional[Subject], api: bool) -> str:
    """The policy's answer (module docstring)."""
    if route.fixed:
        return route.fixed
    if user == ANON:
        if route.public:
            return OK
        return route.anonymous or ("401" if api else LOGIN)
    if route.public:
        return OK
    if KIND_OF[user] not in route.who:
        return route.denied
    if method == "GET" and route.on_get:
        return route.on_get
    if subject is not None and not visible(user, subject):
        return "404"
    return OK


def deviation(endpoint: str, user: str, method: str, subject: Optional[Subject]) -> Optional[Deviation]:
    return next((d for d in DEVIATIONS if d.applies(endpoint, user, method, subject)), None)


def check(failures: list, sessions, app, access_denied, user: str, rule, route: Route, method: str,
          subject: Optional[Subject], client_session: Optional[Session] = None) -> None:
    """Send one request and record it in ``failures`` when its answer is not the matrix's."""
    policy = expected(route, user, method, subject, _is_api(rule))
    known = deviation(rule.endpoint, user, method, subject)
    want = known.answer if known else policy
    if want == BY_SCOPE:
        want = OK if subject is None or visible(user, subject) else "404"
    got = send(sessions, app, access_denied, user, rule, route, method, subject, client_session)
    if got.outcome == want:
        return
    line = _line(user, method, _url(rule, route, subject), subject, want, got)
    if known and got.outcome == policy:
        line += f"\n      the app now answers as the policy says: delete the DEVIATIONS entry ({known.reason})"
    failures.append(line)


def subjects_for(world: World, route: Route, user: str, method: str) -> list[Optional[Subject]]:
    """The ids worth sending: every row of the scope for a role that gets past the permission check, one row
    otherwise (the refusal comes before any id is looked at)."""
    if route.scope is None:
        return [None]
    if route.scope == "decision":
        rows = [replace(row, scope="decision") for row in world.subjects["filing"]]
    else:
        rows = world.subjects[f"{route.scope}+pairs" if route.pairs else route.scope]
    refused_early = (route.fixed or user == ANON or route.public or KIND_OF[user] not in route.who
                     or (method == "GET" and route.on_get))
    return rows[:1] if refused_early else list(rows)


def _line(user: str, method: str, url: str, subject: Optional[Subject], want: str, got: Answer) -> str:
    about = f" [{subject.label}]" if subject is not None else ""
    detail = f"\n      {got.detail.strip()}" if got.outcome in ("5xx",) or want == OK else ""
    return f"  {user:11s} {method:6s} {url}{about}: expected {want}, got {got.outcome} ({got.status}){detail}"


#: Columns a login writes (sessions of their own log in during the phases), left out of the fingerprint.
LOGIN_STATS = {"last_login", "login_count", "fail_login_count", "last_failed_login", "locked_until", "changed_on"}


def fingerprint(app) -> dict[str, str]:
    """A digest of every table (the module's database is small), login statistics left out."""
    from flask_appbuilder import Model

    from models.base import db

    digests = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in Model.metadata.sorted_tables:
                columns = [c for c in table.columns if c.name not in LOGIN_STATS]
                rows = sorted(repr(tuple(row)) for row in conn.execute(select(*columns)))
                digests[table.name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))


# ---------------------------------------------------------------------------------------------------------------
# The table is complete and current
# ---------------------------------------------------------------------------------------------------------------


def test_every_route_has_an_entry(app):
    missing = sorted({f"{rule.endpoint}  ({rule.rule}  {'/'.join(_methods(rule))})" for rule in _rules(app)
                      if rule.endpoint not in ROUTES})
    assert not missing, (
        "Route(s) without an entry in tests/test_authz_matrix.py ROUTES. Add one per endpoint saying who may use it "
        "(who=ALL/STAFF/ADM/REV/ENT/NOBODY), how its ids are scoped (scope=…, bind={url argument: id key}), and for "
        "a route that writes the one write that must get through (write=Write(user, make)):\n  "
        + "\n  ".join(missing))


def test_no_stale_entries(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"ROUTES entries whose endpoint no longer exists (remove or rename them): {stale}"


def test_entries_are_complete(app):
    """Every URL argument has a value, and every rule that writes names the write that must get through."""
    problems = []
    for rule in _rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None:
            continue
        given = set(route.args) | set(route.bind)
        if set(rule.arguments) - given:
            problems.append(f"{rule.endpoint}: no value for {sorted(set(rule.arguments) - given)}")
        writes = [m for m in _methods(rule) if m in WRITE_METHODS]
        if writes and route.who and not route.fixed and route.write is None:
            problems.append(f"{rule.endpoint}: {writes} but no write=Write(…) that must get through")
        if writes and route.body is None and route.who and not route.fixed:
            problems.append(f"{rule.endpoint}: {writes} but no body=")
        if route.bind and route.scope is None:
            problems.append(f"{rule.endpoint}: bind= without scope=")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------------------
# The matrix
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", USERS)
def test_reads(app, world, sessions, access_denied, user):
    """Every GET of every rule, as ``user``, with every id: the policy's answer, never 5xx, nothing written."""
    before = fingerprint(app)
    failures = []
    for rule in _rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None or "GET" not in rule.methods:
            continue  # test_every_route_has_an_entry reports it
        for subject in subjects_for(world, route, user, "GET"):
            check(failures, sessions, app, access_denied, user, rule, route, "GET", subject)
    changed = _changed(before, fingerprint(app))
    assert not failures and not changed, (
        f"{len(failures)} GET answer(s) differ from the matrix:\n" + "\n".join(failures)
        + (f"\nGETs changed the database: {changed}" if changed else ""))


@pytest.mark.parametrize("user", USERS)
def test_refused_writes(app, world, sessions, access_denied, user):
    """Every POST/PUT/DELETE the policy refuses to ``user`` (no permission, out of scope, missing): refused as the
    matrix says, and the database unchanged. Bodies are ones that would succeed if the check were missing."""
    before = fingerprint(app)
    failures, sent = [], 0
    for rule in _rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None:
            continue
        for method in (m for m in _methods(rule) if m in WRITE_METHODS):
            for subject in subjects_for(world, route, user, method):
                if expected(route, user, method, subject, _is_api(rule)) == OK:
                    continue  # allowed: test_in_scope_writes, on rows of its own
                sent += 1
                check(failures, sessions, app, access_denied, user, rule, route, method, subject)
    changed = _changed(before, fingerprint(app))
    assert not failures and not changed, (
        f"{len(failures)} of {sent} refused write(s) answered otherwise:\n" + "\n".join(failures)
        + (f"\nRefused writes changed table(s): {changed}" if changed else ""))


def test_in_scope_writes(app, world, sessions, access_denied):
    """One allowed write per rule, on a row made for it: gets past authentication, permission and scope, no 5xx."""
    failures = []
    for rule in _rules(app):
        route = ROUTES.get(rule.endpoint)
        if route is None or route.write is None:
            continue
        write = route.write
        for method in (m for m in _methods(rule) if m in WRITE_METHODS):
            with app.app_context():
                subject = _fresh(world, write.make) if write.make else None
            own = _cookie_session(app, write.by) if write.fresh_client else None
            want = expected(route, write.by, method, subject, _is_api(rule))
            assert want == OK, f"{rule.endpoint}: the table's write by {write.by} is not allowed by the table itself"
            check(failures, sessions, app, access_denied, write.by, rule, route, method, subject, own)
    assert not failures, f"{len(failures)} allowed write(s) refused or failing:\n" + "\n".join(failures)

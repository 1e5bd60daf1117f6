"""The OpenAPI document at ``/api/v1/_openapi`` keeps the public contract of DESIGN §10: every path, method and
response code the filing family and the registries had when the APIs moved to ``views/api/`` (captured from the
document before the move), and the shared components the transition endpoints refer to."""
from __future__ import annotations

import pytest

LIST = (200, 400, 401, 422, 500)
INFO = (200, 400, 401, 422, 500)
CREATE = (201, 400, 401, 422, 500)
SHOW = (200, 400, 401, 404, 422, 500)
UPDATE = (200, 400, 401, 404, 422, 500)
DELETE = (200, 404, 422, 500)

#: path → method → response codes, as generated before the refactor (FAB 5.3).
FILING_FAMILY = {
    "/api/v1/attachment/": {"get": LIST, "post": CREATE},
    "/api/v1/attachment/_info": {"get": INFO},
    "/api/v1/attachment/{pk}": {"delete": DELETE, "get": SHOW},
    "/api/v1/attachment/{pk}/content": {"get": (200, 401, 403, 404, 410, 503)},  # 410/503: issue 15 storage
    "/api/v1/course/": {"get": LIST, "post": CREATE},
    "/api/v1/course/_info": {"get": INFO},
    "/api/v1/course/{pk}": {"delete": DELETE, "get": SHOW, "put": UPDATE},
    "/api/v1/filing/": {"get": LIST, "post": CREATE},
    "/api/v1/filing/_info": {"get": INFO},
    "/api/v1/filing/{pk}": {"delete": DELETE, "get": SHOW, "put": UPDATE},
    "/api/v1/filing/{pk}/approve": {"post": (200, 401, 403, 404, 409, 422)},  # 422: R9 re-checked at approval
    "/api/v1/filing/{pk}/checklist": {"get": (200, 401, 403, 404)},
    "/api/v1/filing/{pk}/form.pdf": {"get": (200, 401, 404, 409)},
    "/api/v1/filing/{pk}/import/{kind}": {"post": (200, 201, 404, 409, 422)},
    "/api/v1/filing/{pk}/import/{kind}/template": {"get": (200, 404)},
    "/api/v1/filing/{pk}/return": {"post": (200, 401, 403, 404, 409, 422)},
    "/api/v1/filing/{pk}/submit": {"post": (200, 401, 403, 404, 409, 422)},
    "/api/v1/filing/{pk}/withdraw": {"post": (200, 401, 403, 404, 409)},
    "/api/v1/teacher/": {"get": LIST, "post": CREATE},
    "/api/v1/teacher/_info": {"get": INFO},
    "/api/v1/teacher/{pk}": {"delete": DELETE, "get": SHOW, "put": UPDATE},
    "/api/v1/trainee/": {"get": LIST, "post": CREATE},
    "/api/v1/trainee/_info": {"get": INFO},
    "/api/v1/trainee/export.xlsx": {"get": (200,)},
    "/api/v1/trainee/{pk}": {"delete": DELETE, "get": SHOW, "put": UPDATE},
    "/api/v1/trainee/{pk}/mark_lost": {"post": (200, 401, 403, 404, 409, 422)},
    "/api/v1/training_class/": {"get": LIST, "post": CREATE},
    "/api/v1/training_class/_info": {"get": INFO},
    "/api/v1/training_class/{pk}": {"delete": DELETE, "get": SHOW, "put": UPDATE},
}
REGISTRY_RESOURCES = ("city", "occupation", "skill_level", "training_institution", "subsidy_standard",
                      "workday_override", "enterprise", "ecosystem_recognition")
REGISTRY = {
    f"/api/v1/{resource}{suffix}": methods
    for resource in REGISTRY_RESOURCES
    for suffix, methods in (("/", {"get": LIST, "post": CREATE}), ("/_info", {"get": INFO}),
                            ("/{pk}", {"delete": DELETE, "get": SHOW, "put": UPDATE}))
}
#: The registry imports (issue 14): multipart ``file``, ``?dry_run=1``; 400 / 413 / 422 documented.
REGISTRY_IMPORTS = {
    f"/api/v1/{resource}{suffix}": methods
    for resource in ("occupation", "enterprise", "training_institution")
    for suffix, methods in (("/import", {"post": (200, 201, 400, 401, 403, 413, 422)}),
                            ("/import/template", {"get": (200, 401, 403)}))
}
#: The transition endpoints answer with the shared components of views/api/openapi.py.
TRANSITION_REFS = {
    ("/api/v1/filing/{pk}/submit", "post"): {"200": "FilingRow", "409": "FilingConflict", "422": "FilingRuleFailed"},
    ("/api/v1/filing/{pk}/withdraw", "post"): {"200": "FilingRow", "409": "FilingConflict"},
    ("/api/v1/filing/{pk}/approve", "post"): {"200": "FilingRow", "409": "FilingConflict", "422": "FilingRuleFailed"},
    ("/api/v1/filing/{pk}/return", "post"): {"200": "FilingRow", "409": "FilingConflict", "422": "FilingRuleFailed"},
    ("/api/v1/trainee/{pk}/mark_lost", "post"): {"200": "FilingRow", "409": "FilingConflict",
                                                 "422": "FilingRuleFailed"},
}


#: ``/api/v1/account`` (issue 14): create, scoped list and row, deactivate / activate.
ACCOUNT = {
    "/api/v1/account/": {"get": (200, 400, 401, 403), "post": (201, 400, 401, 403, 404, 422)},
    "/api/v1/account/{pk}": {"get": (200, 401, 403, 404)},
    "/api/v1/account/{pk}/deactivate": {"post": (200, 401, 403, 404, 409)},
    "/api/v1/account/{pk}/activate": {"post": (200, 401, 403, 404, 409)},
}


@pytest.fixture
def spec(api):
    response = api("admin").get("/api/v1/_openapi")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()


def _missing(spec: dict, contract: dict) -> list[str]:
    missing = []
    for path, methods in contract.items():
        operations = spec["paths"].get(path)
        if operations is None:
            missing.append(f"path {path}")
            continue
        for method, codes in methods.items():
            if method not in operations:
                missing.append(f"{method.upper()} {path}")
                continue
            have = set(operations[method].get("responses", {}))
            missing += [f"{method.upper()} {path} → {code}" for code in codes if str(code) not in have]
    return missing


def test_filing_family_keeps_every_path_method_and_status_code(spec):
    assert not _missing(spec, FILING_FAMILY), _missing(spec, FILING_FAMILY)


def test_registry_apis_keep_every_path_method_and_status_code(spec):
    assert not _missing(spec, REGISTRY), _missing(spec, REGISTRY)


def test_registry_imports_are_documented(spec):
    assert not _missing(spec, REGISTRY_IMPORTS), _missing(spec, REGISTRY_IMPORTS)
    for resource in ("occupation", "enterprise", "training_institution"):
        operation = spec["paths"][f"/api/v1/{resource}/import"]["post"]
        assert {"in": "query", "name": "dry_run", "schema": {"type": "integer", "enum": [0, 1]}} \
            in operation["parameters"], resource
        assert "file" in operation["requestBody"]["content"]["multipart/form-data"]["schema"]["properties"]


def test_account_api_documents_every_path_method_and_status_code(spec):
    assert not _missing(spec, ACCOUNT), _missing(spec, ACCOUNT)
    create = spec["paths"]["/api/v1/account/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert create == {"$ref": "#/components/schemas/AccountCreate"}
    assert set(spec["components"]["schemas"]["AccountCreate"]["properties"]) == {
        "username", "role", "city_code", "enterprise_id", "first_name", "last_name", "email"}


def test_contract_detects_a_missing_code(spec):
    """The comparison above can fail: a code or a method the document lacks is reported."""
    contract = {"/api/v1/filing/{pk}/withdraw": {"post": (200, 418)}, "/api/v1/filing/": {"patch": (200,)}}
    assert _missing(spec, contract) == ["POST /api/v1/filing/{pk}/withdraw → 418", "PATCH /api/v1/filing/"]


def test_transitions_use_the_shared_components(spec):
    for (path, method), refs in TRANSITION_REFS.items():
        operation = spec["paths"][path][method]
        assert operation["parameters"] == [{"in": "path", "name": "pk", "required": True,
                                            "schema": {"type": "integer"}}], path
        for code, name in refs.items():
            assert operation["responses"][code] == {"$ref": f"#/components/responses/{name}"}, (path, code)
            assert name in spec["components"]["responses"], name
        for code in ("401", "403", "404"):
            assert operation["responses"][code] == {"$ref": f"#/components/responses/{code}"}, (path, code)
        assert operation["summary"] and operation["description"], path
        assert operation["security"] == [{"jwt": []}, {"api_key": []}], path
    bodies = {path: spec["paths"][path]["post"].get("requestBody") for path, _ in TRANSITION_REFS}
    assert bodies["/api/v1/filing/{pk}/return"]["required"] is True
    assert bodies["/api/v1/filing/{pk}/approve"]["required"] is False
    assert bodies["/api/v1/filing/{pk}/submit"] is None and bodies["/api/v1/filing/{pk}/withdraw"] is None
    for name in ("FilingApiError", "FilingChecklist", "FilingChecklistError", "FilingReviewOpinion",
                 "TraineeMarkLost", "FilingApiRow", "AttachmentUpload"):
        assert name in spec["components"]["schemas"], name

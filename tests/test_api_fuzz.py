"""Property-based fuzzing of the REST API with schemathesis (DESIGN §10; security issue "proofs that stay in the
suite").

The OpenAPI document is read from the app itself (``GET /api/v1/_openapi``, admin JWT: the spec is the admin's),
in-process through schemathesis' WSGI transport: no network, no server. Every operation is then exercised as each
role — anonymous, admin, gz_reviewer, sz_reviewer, ent_gz, ent_sz (a JWT each) — with valid (positive) and invalid
(negative) generated requests, a fixed number of examples and a derandomized seed, so a run is repeatable.

What is checked, for every response:

- never a 5xx, and never an exception escaping the app (TESTING propagates them; reported with the traceback);
- for valid (positive) requests, the status code is one the operation documents — except that FAB's *generated*
  operations (the ModelRestApi CRUD, ``_info``, the menu and security APIs: those that do not document 403) may also
  answer 401/403: FAB's ``@protect`` answers them but FAB's generated spec never lists them (FAB's schema is wrong
  there, not ours). Two gaps of the app's own are tolerated and reported (``_tolerated``): a POST whose body names a
  parent (``filing_id`` …) that is missing or out of scope answers 404, which FAB's generated POST spec does not
  list; ``security/login`` answers views/api_guards' 422 for a value no column holds. Invalid (negative) requests
  must only not fail with a 5xx (the spec cannot list every refusal: e.g. a non-integer id is FAB's 405);
- for the operations whose OpenAPI text is written by the app (``views/api/openapi.py``: every ``/<pk>/<action>``,
  checklist, documents, imports — they document 401/403/404), also the content type and the response body against
  the documented schema. FAB's generated response schemas are left out of that check because they are wrong for
  FAB's own endpoints in ways that are not the app's: the list's ``ids`` typed as strings (they are integers),
  ``_info``'s ``add_columns``/``edit_columns`` typed as objects (they are arrays), ``security/login``'s 400 body
  typed as a string (it is marshmallow's dict of messages).

Bounded: ``MAX_EXAMPLES`` per operation and mode, no shrinking (the first failing example is reported).
"""
from __future__ import annotations

import logging
import traceback
from typing import Any, Optional

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.conftest import DEMO_PASSWORD

USERS = ("anonymous", "admin", "gz_reviewer", "sz_reviewer", "ent_gz", "ent_sz")
#: Examples per operation and generation mode (positive and negative), per role.
MAX_EXAMPLES = 4
#: FAB's ``@protect`` answers these without its generated spec listing them.
FAB_UNDOCUMENTED = {401, 403}
#: Body fields naming the parent row of a POST (DESIGN §10: created with the parent's id in the body).
PARENT_FIELDS = ("filing_id", "training_class_id", "enterprise_id", "claim_id", "change_request_id")


def _token(client, user: str) -> str:
    response = client.post("/api/v1/security/login",
                           json={"username": user, "password": DEMO_PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["access_token"]


@pytest.fixture(scope="module")
def api_schema(app):
    """The app's OpenAPI document as schemathesis reads it (loaded once; the spec does not depend on the data)."""
    from tests.conftest import reset_database

    reset_database(app)
    client = app.test_client(use_cookies=False)
    return schemathesis.openapi.from_wsgi("/api/v1/_openapi", app,
                                          headers={"Authorization": f"Bearer {_token(client, 'admin')}"})


def _documented(operation) -> set[int]:
    codes: set[int] = set()
    for code in operation.responses.status_codes:
        text = str(code).upper()
        if text.isdigit():
            codes.add(int(text))
        elif len(text) == 3 and text.endswith("XX") and text[0].isdigit():
            codes.update(range(int(text[0]) * 100, int(text[0]) * 100 + 100))
        elif text == "DEFAULT":
            codes.update(range(100, 600))
    return codes


def _written_by_the_app(operation) -> bool:
    """The app's own operations (views/api/openapi.py) document 403; FAB's generated ones never do."""
    return 403 in _documented(operation)


class Finding(AssertionError):
    """One failing request, described so that it can be reproduced by hand."""


class _Tracebacks(logging.Handler):
    """Keeps the traceback of the last exception the app logged (FAB's ``@safe`` turns it into a 500 answer)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.last: Optional[str] = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.last = "".join(traceback.format_exception(*record.exc_info)[-8:])


TRACEBACKS = _Tracebacks()


def _request_text(case) -> str:
    path = case.formatted_path if hasattr(case, "formatted_path") else case.path
    query = f"?{case.query}" if case.query else ""
    body = "" if case.body is None or type(case.body).__name__ == "NotSet" else f"\n    body: {case.body!r}"[:1200]
    return f"{case.method} {path}{query} ({case.media_type or 'no body'}){body}"


def _tolerated(operation, case, status: int, app_written: bool) -> bool:
    """Undocumented answers that are known and reported (see the module docstring and the report of the issue)."""
    if not app_written and status in FAB_UNDOCUMENTED:
        return True  # FAB's generated spec never lists its @protect answers
    if (status == 404 and case.method == "POST" and operation.path.endswith("/") and isinstance(case.body, dict)
            and any(key in case.body for key in PARENT_FIELDS)):
        return True  # REPORTED: the parent in the body is missing or out of scope; FAB's POST spec has no 404
    if status == 422 and "/security/" in operation.path:
        return True  # REPORTED: views/api_guards refuses a value no column holds (422); FAB's login spec lists none
    return False


def _check(operation, case, response, mode: GenerationMode) -> None:
    status = response.status_code
    if status >= 500:
        raise Finding(f"{status} for {_request_text(case)}\n    answer: {response.text[:300]}\n"
                      f"    logged: {TRACEBACKS.last or '(no traceback logged)'}")
    if mode == GenerationMode.NEGATIVE:
        return  # a request the schema does not allow: any refusal but a 5xx will do
    documented = _documented(operation)
    app_written = _written_by_the_app(operation)
    if status not in documented and not _tolerated(operation, case, status, app_written):
        raise Finding(f"undocumented {status} (documented: {sorted(documented)}) for {_request_text(case)}\n"
                      f"    answer: {response.text[:300]}")
    if app_written:
        try:
            case.validate_response(response, checks=[content_type_conformance, response_schema_conformance])
        except Exception as exc:  # noqa: BLE001 - schemathesis' failure group: reported with the request
            raise Finding(f"response does not match the documented schema for {_request_text(case)}\n"
                          f"    {str(exc).strip()[:900]}") from None


def _fuzz(operation, mode: GenerationMode, headers: dict[str, str]) -> Optional[str]:
    """Run one operation in one generation mode; the first failure described, or None."""
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception as exc:  # noqa: BLE001 - e.g. nothing to negate in an operation without inputs
        if mode == GenerationMode.NEGATIVE:
            return None
        return f"cannot generate requests: {exc!r}"

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate),
              report_multiple_bugs=False, print_blob=False)
    def run(case):
        TRACEBACKS.last = None
        try:
            response = case.call(headers=headers)
        except Finding:
            raise
        except Exception:  # noqa: BLE001 - TESTING: the exception a user would get as a 500
            raise Finding(f"exception (a 500) for {_request_text(case)}\n"
                          + traceback.format_exc(limit=-6)) from None
        _check(operation, case, response, mode)

    try:
        run()
    except Finding as finding:
        return str(finding)
    except Exception as exc:  # noqa: BLE001 - hypothesis' own errors (unsatisfiable strategies …)
        name = type(exc).__name__
        if name in ("Unsatisfiable", "FailedHealthCheck"):
            return None
        return f"{name}: {str(exc)[:600]}"
    return None


@pytest.mark.parametrize("user", USERS)
def test_api_fuzz(app, api_schema, user):
    """Every operation of the OpenAPI document, as ``user``: no 5xx, documented status codes, and the app's
    own operations answer their documented schema."""
    client = app.test_client(use_cookies=False)
    headers: dict[str, Any] = {} if user == "anonymous" else {"Authorization": f"Bearer {_token(client, user)}"}
    failures = []
    logging.getLogger().addHandler(TRACEBACKS)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 50, "the OpenAPI document lost its operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problem = _fuzz(operation, mode, headers)
            if problem:
                failures.append(f"[{user}] {operation.label} ({mode.value}): {problem}")
    logging.getLogger().removeHandler(TRACEBACKS)
    assert not failures, f"{len(failures)} operation(s) failed as {user}:\n" + "\n\n".join(failures)

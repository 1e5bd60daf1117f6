"""Guards for every /api/v1 request, run before FAB's own decorators (attached in app.py), so that a malformed
request is answered 4xx in Chinese instead of dying inside FAB (``@safe`` turns any exception into 500 "Fatal
error"):

- a body over ``MAX_CONTENT_LENGTH``: 413 (JSON);
- CSRF for browser sessions: writes authenticated by the session cookie must carry the token in an
  ``X-CSRFToken`` header; only a *valid* Bearer JWT (signature and expiry checked by flask-jwt-extended's
  ``decode_token``) lifts that — any other ``Authorization: Bearer …`` header does not;
- the rison ``q`` argument: one that makes FAB's parser recurse without end, and ``page`` / ``page_size`` (in
  ``q`` or as plain arguments) that are negative or beyond what the database can page: 400;
- JSON bodies: nested deeper than ``MAX_JSON_DEPTH`` (50,000 brackets make Python's parser raise RecursionError):
  400; a NUL character, an integer beyond 64 bits or a number that is not finite (``1e400``) anywhere in it:
  422 naming the field;
- ids in the URL that no INTEGER column can hold: 404 (as a missing row).
"""
from __future__ import annotations

import json
import math
from typing import Any, Optional

import prison
from flask import abort, current_app, request
from flask_babel import lazy_gettext as _l
from flask_jwt_extended import decode_token
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.validators import ValidationError as WTFValidationError

from core.errors import DomainError, FieldError, NotFound, ValidationFailed
from views.glue import error_response

#: Deepest nesting of arrays/objects accepted in a JSON body (the contract's bodies are 3 levels deep).
MAX_JSON_DEPTH = 32
#: At most this many field errors are listed for one body.
MAX_BODY_ERRORS = 50
#: Largest id an INTEGER primary key can hold (PostgreSQL's 4-byte integer).
MAX_ID = 2**31 - 1
#: Largest row offset (page × page_size) a list is asked for.
MAX_OFFSET = 2**31 - 1
_INT64 = 2**63


class BadRequest(DomainError):
    """A malformed API request (400) with a Chinese message."""

    status_code = 400


def api_before_request():
    """The guards of this module, in order; the first refusal is the answer."""
    for guard in (_body_size, _csrf_for_cookie_sessions, _rison_and_paging, _json_body, _ids_in_url):
        answer = guard()
        if answer is not None:
            return answer
    return None


# ---- size -------------------------------------------------------------------------------------------------

def _body_size():
    """413 before anything reads the body (FAB's ``@safe`` would turn werkzeug's 413 into a 500)."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and request.content_length is not None and request.content_length > limit:
        abort(413)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        try:
            request.form  # noqa: B018 - parse now: a streamed body over the limit raises here, not in the view
        except RequestEntityTooLarge:
            abort(413)
    return None


# ---- CSRF ---------------------------------------------------------------------------------------------------

def valid_bearer_token() -> bool:
    """The request carries ``Authorization: Bearer <token>`` and the token is a JWT this app signed, not expired."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return False
    try:
        decode_token(header[len("Bearer "):].strip())
    except Exception:  # noqa: BLE001 - every kind of bad token (PyJWT and flask-jwt-extended errors) is "not valid"
        return False
    return True


def _csrf_for_cookie_sessions():
    """Writes authenticated by a browser session cookie must carry the CSRF token; a valid Bearer JWT needs none
    (no ambient credentials), but a made-up ``Authorization`` header does not lift the check."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if valid_bearer_token():
        return None
    if not current_user.is_authenticated:
        return None  # neither a session nor a valid token: protect() answers 401
    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token") or request.form.get(
        "csrf_token")
    try:
        validate_csrf(token)
    except (WTFValidationError, CSRFError):
        return error_response(BadRequest(_l("通过浏览器会话调用接口时，修改类请求须在 X-CSRFToken 请求头中携带 CSRF 令牌")))
    return None


# ---- rison q and paging -------------------------------------------------------------------------------------

def _rison_and_paging():
    """A ``q`` that crashes the rison parser, and page numbers / sizes out of range: 400 in Chinese."""
    paging: dict[str, Any] = {}
    query = request.args.get("q")
    if query:
        try:
            parsed = prison.loads(query)
        except prison.decoder.ParserException:
            parsed = None  # FAB answers 400 itself (or reads it as JSON)
        except Exception:  # noqa: BLE001 - prison recurses without end on e.g. "(((" (a 500 otherwise)
            return error_response(BadRequest(_l("查询参数 q 不是有效的 rison 表达式")))
        if isinstance(parsed, dict):
            paging.update({k: parsed[k] for k in ("page", "page_size") if k in parsed})
    for key in ("page", "page_size"):
        text = request.args.get(key, "").strip()
        digits = text.lstrip("+-")
        if key not in paging and digits.isascii() and digits.isdecimal():
            paging[key] = int(text) if len(text) <= 30 else _INT64
    return _paging_problem(paging)


def _paging_problem(paging: dict[str, Any]):
    """``page`` ≥ 0 and ``page_size`` within 1 … FAB_API_MAX_PAGE_SIZE, the offset within what SQL can skip.
    Values that are not integers are left to FAB (its schema check answers 400)."""
    page, size = paging.get("page"), paging.get("page_size")
    max_size = current_app.config.get("FAB_API_MAX_PAGE_SIZE") or 100
    if isinstance(size, int) and not isinstance(size, bool) and max_size != -1 and not 1 <= size <= max_size:
        return error_response(BadRequest(_l("每页条数 page_size 应为 1 到 %(n)d 之间的整数", n=max_size)))
    if isinstance(page, int) and not isinstance(page, bool):
        biggest = MAX_OFFSET // max(size if isinstance(size, int) and size > 0 else max_size, 1)
        if not 0 <= page <= biggest:
            return error_response(BadRequest(_l("页码 page 应为 0 到 %(n)d 之间的整数（从 0 开始）", n=biggest)))
    return None


# ---- JSON bodies --------------------------------------------------------------------------------------------

def _json_body():
    """Too deep: 400. NUL characters, integers beyond 64 bits, infinite numbers: 422 naming each field."""
    if not request.is_json:
        return None
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except RecursionError:
        return error_response(BadRequest(_l("请求体 JSON 嵌套层数过多（最多 %(n)d 层）", n=MAX_JSON_DEPTH)))
    except ValueError:
        return None  # not JSON at all: the endpoint answers 400 "请求体必须是 JSON"
    try:
        errors = json_value_problems(data)
    except _TooDeep:
        return error_response(BadRequest(_l("请求体 JSON 嵌套层数过多（最多 %(n)d 层）", n=MAX_JSON_DEPTH)))
    if errors:
        return error_response(ValidationFailed(errors))
    if request.path.rstrip("/") == "/api/v1/security/login" and request.method == "POST" and (
            not isinstance(data, dict) or not isinstance(data.get("provider"), str)):
        # FAB's login reads body["provider"] unchecked (a 500 without it): DESIGN §10 names it, "db".
        return error_response(BadRequest(_l("登录请求体须为 JSON 对象，包含 username、password 和 provider（\"db\"）")))
    return None


class _TooDeep(Exception):
    pass


def json_value_problems(data: Any) -> list[FieldError]:
    """Values in a parsed JSON document that no column can store, each named by its path (``records[3].name``).

    :raises _TooDeep: nested deeper than ``MAX_JSON_DEPTH``.
    """
    errors: list[FieldError] = []
    stack: list[tuple[Any, Optional[str], int]] = [(data, None, 0)]
    while stack and len(errors) < MAX_BODY_ERRORS:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _TooDeep()
        name = path or "body"
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else key
                if "\x00" in key:
                    errors.append(FieldError(child.replace("\x00", "\\0"), _l("字段名不能包含空字符")))
                    continue
                stack.append((item, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{name}[{i}]", depth + 1) for i, item in enumerate(value))
        elif isinstance(value, str):
            if "\x00" in value:
                errors.append(FieldError(name, _l("%(field)s 不能包含空字符", field=name),
                                         value.replace("\x00", "\\0")))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int):
            if not -_INT64 <= value < _INT64:
                errors.append(FieldError(name, _l("%(field)s 的数值超出范围", field=name), value))
        elif isinstance(value, float) and not math.isfinite(value):
            errors.append(FieldError(name, _l("%(field)s 的数值超出范围", field=name), str(value)))
    errors.reverse()  # the stack visits the last key first
    return errors


# ---- ids in the URL ------------------------------------------------------------------------------------------

def id_out_of_range(view_args: Optional[dict]) -> bool:
    """An id in the URL (``<int:…>``, or FAB's string ``<pk>`` made of digits) that no INTEGER column holds."""
    for name, value in (view_args or {}).items():
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_ID:
            return True
        digits = value.lstrip("-") if name == "pk" and isinstance(value, str) else ""
        if digits.isascii() and digits.isdecimal() and (len(digits) > 12 or int(digits) > MAX_ID):
            return True
    return False


def _ids_in_url():
    if id_out_of_range(request.view_args):
        return error_response(NotFound())
    return None

"""Guards for every /api/v1 blueprint, run before FAB's own decorators (attached in app.py):

- CSRF for browser sessions: writes authenticated by the session cookie must carry the token in an
  ``X-CSRFToken`` header; Bearer-JWT requests need none (no ambient credentials).
- A rison ``q`` argument that would make FAB's parser recurse without end answers 400, not 500.
"""
from __future__ import annotations

import prison
from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError as WTFValidationError

from core.errors import DomainError
from views.glue import error_response


class BadRequest(DomainError):
    """A malformed API request (400) with a Chinese message."""

    status_code = 400


def api_before_request():
    """Guards run before FAB's own decorators: a rison ``q`` that crashes the parser, and CSRF for cookies."""
    query = request.args.get("q")
    if query:
        try:
            prison.loads(query)
        except prison.decoder.ParserException:
            pass  # FAB answers 400 itself (or reads it as JSON)
        except Exception:  # noqa: BLE001 - prison recurses without end on e.g. "(((" (a 500 otherwise)
            return error_response(BadRequest(_l("查询参数 q 不是有效的 rison 表达式")))
    return _csrf_for_cookie_sessions()


def _csrf_for_cookie_sessions():
    """Writes authenticated by a browser session cookie must carry the CSRF token (Bearer JWT needs none)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return None
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return None
    if not current_user.is_authenticated:
        return None  # neither a session nor a token: protect() answers 401
    token = request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token") or request.form.get(
        "csrf_token")
    try:
        validate_csrf(token)
    except (WTFValidationError, CSRFError):
        return error_response(BadRequest(_l("通过浏览器会话调用接口时，修改类请求须在 X-CSRFToken 请求头中携带 CSRF 令牌")))
    return None



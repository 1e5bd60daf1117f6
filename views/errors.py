"""Chinese error pages for the screens and DESIGN §10 JSON bodies for the API (400/403/404/405/413/500, and the
页面已过期 page of a form whose security token expired).

Input that the database cannot take (a number beyond what SQLite's or PostgreSQL's integers hold, a value
PostgreSQL refuses as data: ``DataError``) is the client's error, answered 400 instead of 500; the session is
rolled back first so the error page itself can still query. ``register_error_pages`` also attaches the
request-level guards (``views.request_guards``) whose refusals are these error answers.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException

from core.errors import BlobError

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("请求有误"), _l("提交的数据不完整或格式不正确，请返回后重试。")),
    403: (_l("无权访问"), _l("您没有访问该功能的权限。如需开通，请联系管理员。")),
    404: (_l("记录不存在或无权访问"), _l("您要找的页面或记录不存在，或不在您的数据范围内。")),
    405: (_l("操作方式不被允许"), _l("该地址不支持这种操作方式，请从页面上的按钮进入。")),
    413: (_l("文件过大"), _l("上传的文件超过大小上限，请压缩或拆分后重新上传。")),
    500: (_l("系统繁忙"), _l("系统处理时出现错误，已记录。请稍后重试，如仍有问题请联系管理员。")),
}
FORM_EXPIRED_TITLE = _l("页面已过期")
FORM_EXPIRED = _l("页面已过期，请刷新后重新提交。您刚才提交的内容没有保存。")
BLOB_TITLE = _l("文件无法下载")
OUT_OF_RANGE = _l("提交的数值超出范围或数据格式不被接受，请检查后重试。")


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(code: int, title, message):
    if _wants_json():
        response = jsonify({"message": str(message), "errors": []})
        response.status_code = code
        return response
    if not hasattr(current_app, "appbuilder"):
        return str(message), code
    if not hasattr(g, "user"):  # errors raised before FAB's before_request (e.g. CSRF) still get the layout
        g.user = current_user
    return render_template("error.html", appbuilder=current_app.appbuilder, code=code, title=title,
                           message=message), code


def _form_url() -> str:
    """The page of the expired form: the Referer when it is a page of this site (path and query only), else the
    URL the form posted to."""
    referrer = urlsplit(request.referrer or "")
    if referrer.scheme in ("http", "https") and referrer.netloc == request.host and referrer.path:
        path, query = referrer.path, referrer.query
    else:
        path, query = request.path, request.query_string.decode("latin-1")
    path = "/" + path.lstrip("/")  # never "//host": a link to another site
    return path + ("?" + query if query else "")


def register_error_pages(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        """An expired (or missing) security token of a form (issue 12): a Chinese page without the word CSRF,
        linking back to the form; static/forms.js puts the input back into the form there."""
        if _wants_json() or not hasattr(current_app, "appbuilder"):
            return _render(400, FORM_EXPIRED_TITLE, FORM_EXPIRED)
        if not hasattr(g, "user"):  # raised before FAB's before_request: the layout still needs the user
            g.user = current_user
        return render_template("form_expired.html", appbuilder=current_app.appbuilder, title=FORM_EXPIRED_TITLE,
                               message=FORM_EXPIRED, form_url=_form_url()), 400

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code not in MESSAGES:
            return error
        title, message = MESSAGES[error.code]
        return _render(error.code, title, message)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _bad_value(error: Exception):
        """A value the database cannot hold (e.g. an id or page beyond 64 bits on SQLite, NUL or an out-of-range
        integer on PostgreSQL) reached a query: the request's fault, 400."""
        log.warning("Refused a value the database cannot hold (%s %s): %s", request.method, request.path, error)
        from models.base import db

        db.session.rollback()
        return _render(400, MESSAGES[400][0], OUT_OF_RANGE)

    @app.errorhandler(BlobError)
    def _blob(error: BlobError):
        """A file whose bytes are missing or damaged (410) or whose store does not answer (503) — issue 15:
        answered in Chinese without paths or bucket names (views/downloads.py logged where and why)."""
        return _render(error.status_code, BLOB_TITLE, error.message)

    @app.errorhandler(500)
    def _server_error(error):
        title, message = MESSAGES[500]
        return _render(500, title, message)

    from views.request_guards import register_request_guards

    register_request_guards(app)

"""``GET /health`` (DESIGN §10): 200 when the database (and Redis, when ``JOBS_REDIS_URL`` is set) answers, 503
naming which check failed otherwise. Public (load balancers and monitors call it without logging in); the body
names the checks and their outcome only — never a URL, host name, password or error text.
"""
from __future__ import annotations

import logging

from flask import current_app, jsonify
from sqlalchemy import text

from models.base import db

log = logging.getLogger(__name__)


def _database_engine():
    """The engine to check (a function of its own, so a test can point it at an unreachable server)."""
    return db.engine


def check_database() -> bool:
    try:
        with _database_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception as exc:  # noqa: BLE001 - any failure is "down"; the reason goes to the log, not the body
        log.warning("health: database check failed: %s", type(exc).__name__)
        return False


def check_redis(url: str) -> bool:
    from redis import Redis

    try:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception as exc:  # noqa: BLE001 - a bad URL, refused connection, timeout, auth error: all "down"
        log.warning("health: redis check failed: %s", type(exc).__name__)
        return False


def health():
    """The checks as ``{"status": "ok"|"fail", "checks": {"database": "ok"|"fail", "redis": …}}``."""
    checks = {"database": "ok" if check_database() else "fail"}
    redis_url = current_app.config.get("JOBS_REDIS_URL")
    checks["redis"] = ("ok" if check_redis(redis_url) else "fail") if redis_url else "not_configured"
    failed = [name for name, outcome in checks.items() if outcome == "fail"]
    response = jsonify({"status": "fail" if failed else "ok", "checks": checks, "failed": failed})
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = "no-store"
    return response


def register_health(app) -> None:
    app.add_url_rule("/health", "health", health, methods=["GET"])

"""Deployment behind a reverse proxy (README "Deployment on several hosts"): with ``PROXY_TRUSTED_HOPS`` the app takes
the client's address from ``X-Forwarded-For`` (login rate limits and audit IPs count real clients, not the proxy);
without it the header is ignored, since any client could forge it."""
from __future__ import annotations

import pytest
from flask import request

from tests.conftest import TEST_OVERRIDES


def _app_with(app, **settings):
    from app import create_app

    other = create_app({**TEST_OVERRIDES, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                        **settings})
    other.add_url_rule("/_client_address", "client_address", lambda: request.remote_addr or "")
    return other


@pytest.mark.parametrize("hops,expected", [(0, "10.0.0.5"), (1, "203.0.113.9")])
def test_client_address_behind_the_proxy(app, hops, expected):
    served = _app_with(app, PROXY_TRUSTED_HOPS=hops)
    answer = served.test_client().get("/_client_address", headers={"X-Forwarded-For": "203.0.113.9"},
                                      environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert answer.get_data(as_text=True) == expected


def test_only_the_trusted_hop_counts(app):
    """A client that forges its own X-Forwarded-For entry in front of the proxy's gets the proxy's view of it."""
    served = _app_with(app, PROXY_TRUSTED_HOPS=1)
    answer = served.test_client().get("/_client_address", headers={"X-Forwarded-For": "1.2.3.4, 198.51.100.7"},
                                      environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert answer.get_data(as_text=True) == "198.51.100.7"


def test_health_answers_for_the_load_balancer(client):
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.get_json()["checks"]["database"] == "ok"

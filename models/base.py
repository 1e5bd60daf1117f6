"""Shared pieces of the data model: the declarative base (FAB's, so our tables share metadata with ab_*)
and UTC timestamps. Times are stored as naive UTC and shown in Asia/Shanghai (DESIGN §7)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_appbuilder import Model  # noqa: F401  (re-exported: every model derives from it)


def utcnow() -> datetime:
    """Current time as naive UTC, the form every timestamp column stores."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _make_db():
    from flask_appbuilder.utils.legacy import get_sqla_class

    return get_sqla_class()()


#: The Flask-SQLAlchemy extension (FAB's SQLA class); ``db.session`` is the request-scoped session.
db = _make_db()

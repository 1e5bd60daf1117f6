"""Where an attachment's bytes are written, and when a blob of a store may go (issue 15: attachments out of the
database). The stores themselves are ``services/storage.py``; this layer reaches them as
``current_app.extensions["blob_stores"]`` (it may not import services, DESIGN §7).

- ``place_content``: the bytes of a new attachment go where ``ATTACHMENT_STORAGE`` says — into the row
  (``database``) or into the store under ``blob_key(sha256)`` (``directory`` / ``s3``). Content-addressed: equal
  files share one blob (dedup).
- A blob is removed when the last row using it is gone, and only after that deletion is committed (a rolled-back
  delete must still find its bytes): ORM deletes are noticed by a mapper event, bulk deletes call ``forget``
  first; a blob written by a transaction that rolls back is removed the same way.
- ``lock_blob`` serialises, per blob, "a new row refers to it" against "nobody refers to it, remove it", so a
  concurrent upload of the same file never loses its blob: PostgreSQL takes a transaction-level advisory lock,
  SQLite its single write lock.
"""
from __future__ import annotations

import hashlib
import logging
from typing import Any, Iterable, Optional

from flask import current_app
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session, object_session

from core.errors import BlobError
from models.filing import Attachment

log = logging.getLogger(__name__)

DATABASE = "database"
PREFIX = "attachments"
_DELETED, _WRITTEN, _STORES = "blobs_deleted", "blobs_written", "blob_stores"


def blob_key(sha256: str) -> str:
    """The store key of the bytes with this sha256 (two-character fan-out keeps folders small)."""
    return f"{PREFIX}/{sha256[:2]}/{sha256}"


def stores() -> Any:
    """The app's ``services.storage.StoreRegistry``."""
    return current_app.extensions["blob_stores"]


def lock_blob(bind: Any, key: str) -> None:
    """Hold, until the end of the current transaction of ``bind`` (a session or connection), the lock that
    orders writers and removers of the blob ``key``."""
    dialect = getattr(bind, "dialect", None) or bind.get_bind().dialect
    if dialect.name == "postgresql":
        number = int(hashlib.sha256(key.encode()).hexdigest()[:15], 16)  # fits a signed bigint
        bind.execute(text("SELECT pg_advisory_xact_lock(:n)"), {"n": number})
    else:
        # A write statement (matching nothing) takes SQLite's one write lock until commit / rollback.
        bind.execute(text("UPDATE attachment SET id = id WHERE 1 = 0"))


def _remember(session: Session, kind: str, backend: str, key: str) -> None:
    session.info.setdefault(kind, set()).add((backend, key))
    session.info.setdefault(_STORES, stores())


def place_content(session: Session, row: Attachment, content: bytes) -> None:
    """Keep the bytes of the new attachment ``row`` (sha256 already set) in the configured storage.

    :raises StoreUnavailable: the store did not take the blob (nothing is saved).
    """
    registry = stores()
    backend = registry.active
    if backend == DATABASE:
        row.storage, row.storage_key, row.content = DATABASE, None, content
        return
    key = blob_key(row.sha256)
    lock_blob(session, key)
    registry.get(backend).put(key, content)  # equal bytes under the same key: rewriting it is harmless
    _remember(session, _WRITTEN, backend, key)
    row.storage, row.storage_key, row.content = backend, key, None


def forget(session: Session, *conditions: Any) -> None:
    """Before a bulk ``DELETE`` of attachments matching ``conditions``: their blobs become candidates for removal
    once the deletion is committed (ORM deletes are noticed without this)."""
    rows = session.execute(select(Attachment.storage, Attachment.storage_key).distinct()
                           .where(Attachment.storage != DATABASE, *conditions)).all()
    for backend, key in rows:
        _remember(session, _DELETED, backend, key)


@event.listens_for(Attachment, "after_delete")
def _noticed_delete(mapper, connection, target: Attachment) -> None:
    session = object_session(target)
    if session is not None and target.storage != DATABASE and target.storage_key:
        _remember(session, _DELETED, target.storage, target.storage_key)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    deleted = session.info.pop(_DELETED, None)
    session.info.pop(_WRITTEN, None)
    registry = session.info.pop(_STORES, None)
    if deleted:
        remove_unused(session.get_bind(), registry, deleted)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    written = session.info.pop(_WRITTEN, None)
    session.info.pop(_DELETED, None)
    registry = session.info.pop(_STORES, None)
    if written:
        remove_unused(session.get_bind(), registry, written)


def remove_unused(engine: Any, registry: Any, blobs: Iterable[tuple[str, str]]) -> int:
    """Remove each ``(backend, key)`` blob no attachment row refers to (each checked under ``lock_blob`` in a
    transaction of its own); returns how many went. A store that fails is logged: a stale blob only takes space.
    """
    removed = 0
    for backend, key in sorted(blobs):
        try:
            with engine.begin() as conn:
                lock_blob(conn, key)
                used: Optional[int] = conn.scalar(select(Attachment.id).where(
                    Attachment.storage == backend, Attachment.storage_key == key).limit(1))
                if used is None:
                    registry.get(backend).delete(key)
                    removed += 1
        except BlobError as exc:
            log.error("unused blob %s of store %s not removed: %s", key, backend, exc.detail)
        except Exception:  # noqa: BLE001 - runs after a commit that succeeded: log, never fail the request
            log.exception("unused blob %s of store %s not removed", key, backend)
    return removed

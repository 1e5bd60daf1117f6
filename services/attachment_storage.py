"""Moving the bytes of existing attachments between the database and a blob store, and checking that every
attachment's bytes are where its row says (issue 15): ``flask --app app attachments move --to
directory|s3|database [--batch 500] [--dry-run]`` and ``flask --app app attachments verify [--sha256]``
(``views/attachment_commands.py``).

Production-safe and restartable:
- rows are taken in id order, ``batch`` at a time, by their metadata only; the bytes of one row at a time are in
  memory (the database contents of a batch are streamed, a store blob is read as a stream);
- every blob is checked against the row's sha256 and size when read from the source and again after it was
  written to the target (read back) before the row is switched and the old copy cleared — the database content set
  to NULL in the same UPDATE, a store blob removed after the commit when no other row uses it;
- each batch is committed; an interrupted move leaves every row either fully moved or untouched, and running the
  command again carries on (rows already at the target are not looked at, blobs already written are verified and
  reused). Moving to where every row already is changes nothing;
- a row whose source bytes are missing or damaged is left where it is, counted and listed (its download already
  answers 410); a store that does not answer stops the run (the batches before it stay committed);
- the run is audited as one system event with its counts (also when it stopped early).
``--dry-run`` only counts what would move (rows and bytes per source). Another process may keep serving uploads
and downloads meanwhile: the UPDATE only switches rows still where they were read from.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from actions import audit
from actions.attachment_blobs import blob_key, remove_unused
from core.errors import BlobCorrupt, BlobError, BlobMissing
from models.filing import Attachment
from models.scope import Actor
from services.storage import BACKENDS, DATABASE, StoreRegistry, open_verified

log = logging.getLogger(__name__)

SYSTEM = Actor(None, "system", None)
#: Contents destined for the database are written in groups of at most this many bytes (one executemany).
DATABASE_WRITE_BYTES = 64 * 1024 * 1024
#: Failed rows named in the report and the audit event (the count is always complete).
NAMED_FAILURES = 100


@dataclass
class MoveReport:
    """What a run did (or, with ``dry_run``, would do)."""

    target: str
    dry_run: bool = False
    pending: dict[str, dict[str, int]] = field(default_factory=dict)  # source → {"rows", "bytes"} at the start
    moved: int = 0
    moved_bytes: int = 0
    reused_blobs: int = 0  # target blob already there and verified (dedup, or a restarted run)
    removed_blobs: int = 0  # source blobs no longer used by any row
    failed: int = 0
    failures: list[dict[str, Any]] = field(default_factory=list)  # {"id", "storage", "error"}
    batches: int = 0
    stopped: Optional[str] = None  # why the run stopped early

    def as_diff(self) -> dict[str, Any]:
        return {"to": self.target, "pending": self.pending, "moved": self.moved, "moved_bytes": self.moved_bytes,
                "reused_blobs": self.reused_blobs, "removed_blobs": self.removed_blobs, "failed": self.failed,
                "failures": self.failures[:NAMED_FAILURES], "batches": self.batches,
                **({"stopped": self.stopped} if self.stopped else {})}


class _AllAttachments:
    """The audit event's entity: the attachment table as a whole."""

    __tablename__ = "attachment"
    id = None


def pending(session: Session, target: str) -> dict[str, dict[str, int]]:
    """Rows and bytes per source storage that are not at ``target`` yet (one aggregate query)."""
    rows = session.execute(select(Attachment.storage, func.count(), func.coalesce(func.sum(Attachment.size), 0))
                           .where(Attachment.storage != target).group_by(Attachment.storage)
                           .order_by(Attachment.storage)).all()
    return {storage: {"rows": count, "bytes": int(size)} for storage, count, size in rows}


def move(session: Session, registry: StoreRegistry, target: str, batch: int = 500, dry_run: bool = False,
         progress: Optional[Callable[[MoveReport], None]] = None) -> MoveReport:
    """Move every attachment not at ``target`` there (see the module docstring); commits per batch.

    :raises StoreUnavailable: a store did not answer (the report so far is audited first).
    """
    if target not in BACKENDS:
        raise ValueError(f"unknown storage {target!r}")
    report = MoveReport(target, dry_run, pending(session, target))
    if dry_run:
        session.rollback()
        return report
    target_store = None if target == DATABASE else registry.get(target)
    counted = (0, 0, 0)
    try:
        last_id = 0
        while True:
            rows = session.execute(
                select(Attachment.id, Attachment.storage, Attachment.storage_key, Attachment.sha256, Attachment.size)
                .where(Attachment.storage != target, Attachment.id > last_id)
                .order_by(Attachment.id).limit(batch)).all()
            if not rows:
                break
            last_id = rows[-1].id
            sources = _move_batch(session, registry, target, target_store, rows, report)
            session.commit()
            counted = (report.moved, report.moved_bytes, report.reused_blobs)
            report.batches += 1
            report.removed_blobs += remove_unused(session.get_bind(), registry, sources)
            if progress is not None:
                progress(report)
    except BaseException as exc:
        session.rollback()  # the batch under way is undone: count only what was committed
        report.moved, report.moved_bytes, report.reused_blobs = counted
        report.stopped = f"{type(exc).__name__}: {exc.detail}" if isinstance(exc, BlobError) else type(exc).__name__
        raise
    finally:
        if report.moved or report.failed or report.stopped or report.pending:
            audit.record(session, SYSTEM, "move_storage", _AllAttachments(), to_status=target, diff=report.as_diff())
            session.commit()
    return report


def _move_batch(session: Session, registry: StoreRegistry, target: str, target_store: Any, rows: list,
                report: MoveReport) -> set[tuple[str, str]]:
    """Copy the bytes of ``rows`` to the target, verified, then switch the rows (not committed). Returns the source
    blobs the switched rows no longer use."""
    switched: list[dict[str, Any]] = []
    written_bytes = 0
    verified: set[str] = set()
    sources: set[tuple[str, str]] = set()

    def done(row, content: Optional[bytes]) -> None:
        nonlocal written_bytes
        switched.append({"b_id": row.id, "b_source": row.storage, "b_old_key": row.storage_key,
                         "b_key": None if target == DATABASE else blob_key(row.sha256), "b_content": content})
        report.moved += 1
        report.moved_bytes += row.size
        if row.storage != DATABASE:
            sources.add((row.storage, row.storage_key))
        written_bytes += len(content or b"")
        if written_bytes >= DATABASE_WRITE_BYTES:
            _switch(session, target, switched)
            switched.clear()
            written_bytes = 0

    def fail(row, exc: BlobError) -> None:
        log.error("attachment %s not moved from %s: %s", row.id, row.storage, exc.detail)
        report.failed += 1
        if len(report.failures) < NAMED_FAILURES:
            report.failures.append({"id": row.id, "storage": row.storage, "error": type(exc).__name__})

    by_id = {row.id: row for row in rows}
    in_database = [row.id for row in rows if row.storage == DATABASE]
    if in_database:  # target is a store: stream the contents, one row's bytes in memory at a time
        contents = session.execute(select(Attachment.id, Attachment.content).where(Attachment.id.in_(in_database))
                                   .order_by(Attachment.id).execution_options(yield_per=1))
        try:
            for row_id, content in contents:
                row = by_id[row_id]
                try:
                    _check_bytes(row, content)
                    _write_verified(target_store, row, content, verified, report)
                except (BlobMissing, BlobCorrupt) as exc:
                    fail(row, exc)
                    continue
                done(row, None)
        finally:
            contents.close()  # a stream left open would keep SQLite's snapshot (and the next write "locked")
    for row in rows:
        if row.storage == DATABASE:
            continue
        source = registry.get(row.storage)
        try:
            blob = open_verified(source, row.storage_key, row.sha256, row.size)
        except (BlobMissing, BlobCorrupt) as exc:
            fail(row, exc)
            continue
        with blob:
            if target == DATABASE:
                done(row, blob.read())
                continue
            _write_verified(target_store, row, blob, verified, report)
        done(row, None)
    _switch(session, target, switched)
    return sources


def _check_bytes(row, content: Optional[bytes]) -> None:
    if content is None:
        raise BlobMissing(f"attachment {row.id}: no content in the database")
    if len(content) != row.size or hashlib.sha256(content).hexdigest() != row.sha256:
        raise BlobCorrupt(f"attachment {row.id}: database content differs from its sha256")


def _write_verified(store: Any, row, data: Any, verified: set[str], report: MoveReport) -> None:
    """Put the bytes under the row's content key unless a verified blob is already there; read it back."""
    key = blob_key(row.sha256)
    if key in verified:
        report.reused_blobs += 1
        return
    if store.exists(key):
        try:
            open_verified(store, key, row.sha256, row.size).close()
            verified.add(key)
            report.reused_blobs += 1
            return
        except BlobCorrupt:
            log.warning("blob %s at the target was damaged: written again", key)
    store.put(key, data)  # bytes, or the verified source blob positioned at its start
    open_verified(store, key, row.sha256, row.size).close()  # read back: the target holds the right bytes
    verified.add(key)


def _switch(session: Session, target: str, switched: list[dict[str, Any]]) -> None:
    """Point the rows at their new place — only rows still where they were read from (executemany)."""
    if not switched:
        return
    table = Attachment.__table__
    still_there = and_(table.c.id == bindparam("b_id"), table.c.storage == bindparam("b_source"))
    if target == DATABASE:
        statement = update(table).where(still_there, table.c.storage_key == bindparam("b_old_key")).values(
            storage=DATABASE, storage_key=None, content=bindparam("b_content"))
    else:
        statement = update(table).where(still_there).values(
            storage=target, storage_key=bindparam("b_key"), content=None)
    session.execute(statement, switched)


@dataclass
class VerifyReport:
    """``verify``'s answer: rows looked at per storage, and the problems found."""

    checked: dict[str, int] = field(default_factory=dict)
    problems: int = 0
    named: list[dict[str, Any]] = field(default_factory=list)  # {"id", "storage", "error"}, the first ones


def verify(session: Session, registry: StoreRegistry, sha256: bool = False, batch: int = 500) -> VerifyReport:
    """Check every attachment's bytes are where its row says (after a restore, a move, a storage incident): a blob
    exists — or, with ``sha256``, has the recorded sha256 and size (reads every byte; database contents too).
    Read only; rows in id order, ``batch`` at a time, one blob in memory at most."""
    report = VerifyReport()

    def problem(row, exc: BlobError) -> None:
        report.problems += 1
        if len(report.named) < NAMED_FAILURES:
            report.named.append({"id": row.id, "storage": row.storage, "error": type(exc).__name__})

    last_id = 0
    while True:
        rows = session.execute(
            select(Attachment.id, Attachment.storage, Attachment.storage_key, Attachment.sha256, Attachment.size,
                   *([] if sha256 else [Attachment.content.is_(None).label("empty")]))
            .where(Attachment.id > last_id).order_by(Attachment.id).limit(batch)).all()
        if not rows:
            break
        last_id = rows[-1].id
        for row in rows:
            report.checked[row.storage] = report.checked.get(row.storage, 0) + 1
            try:
                if row.storage == DATABASE:
                    if sha256:
                        _check_bytes(row, session.scalar(select(Attachment.content).where(Attachment.id == row.id)))
                    elif row.empty:
                        raise BlobMissing(f"attachment {row.id}: no content in the database")
                elif sha256:
                    open_verified(registry.get(row.storage), row.storage_key, row.sha256, row.size).close()
                elif not registry.get(row.storage).exists(row.storage_key):
                    raise BlobMissing(f"attachment {row.id}: no blob {row.storage_key}")
            except (BlobMissing, BlobCorrupt) as exc:
                problem(row, exc)
        session.rollback()  # end the read transaction of each batch
    return report

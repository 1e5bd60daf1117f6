"""``flask attachments move`` both ways (dry run changes nothing, counts printed, batches committed, an interrupted
run resumes, damaged rows reported, audited as one system event), a download of a row moved meanwhile,
``flask attachments verify``, and ``scripts/backup.sh`` naming the files it does not contain (issue 15).
Fixtures and helpers: tests/test_storage.py.
"""
from __future__ import annotations

import hashlib
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import func, select, update

from actions.attachment_blobs import blob_key
from core.errors import StoreUnavailable
from models.audit import AuditEvent
from models.base import db
from models.filing import Attachment
from tests.conftest import login
from tests.test_storage import (  # noqa: F401 - fixtures used by name
    draft_filing,
    new_bucket,
    pdf,
    s3_endpoint,
    store_of,
    use_storage,
)


# ---- flask attachments move ----------------------------------------------------------------------------------------

def add_rows(app, count: int) -> list[int]:
    """``count`` attachments with distinct bytes in the database, on a draft of ent_gz (bulk insert)."""
    fid = draft_filing(app)
    values = [{"filing_id": fid, "kind": "OTHER", "file_name": f"f{i}.pdf", "media_type": "application/pdf",
               "size": len(pdf(f"m{i}")), "sha256": hashlib.sha256(pdf(f"m{i}")).hexdigest(),
               "content": pdf(f"m{i}"), "storage": "database"} for i in range(count)]
    with app.app_context():
        db.session.execute(Attachment.__table__.insert(), values)
        db.session.commit()
        return list(db.session.scalars(select(Attachment.id).where(Attachment.filing_id == fid)))


def placements(app) -> dict[int, tuple[str, str | None, bool]]:
    with app.app_context():
        return {r.id: (r.storage, r.storage_key, r.has_content) for r in db.session.execute(
            select(Attachment.id, Attachment.storage, Attachment.storage_key,
                   Attachment.content.is_not(None).label("has_content")))}


def blob_files(app) -> list[Path]:
    return [p for p in Path(app.config["ATTACHMENT_DIR"]).rglob("*") if p.is_file()]


def move_cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["attachments", "move", *args])


def move_events(app) -> list[AuditEvent]:
    with app.app_context():
        return db.session.scalars(select(AuditEvent).where(AuditEvent.action == "move_storage")
                                  .order_by(AuditEvent.id)).all()


def test_move_to_a_store_and_back(app, client, use_storage):
    use_storage("directory")
    ids = add_rows(app, 5)
    before = placements(app)
    total = len(before)
    assert all(storage == "database" for storage, _, _ in before.values())

    dry = move_cli(app, "--to", "directory", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"would move: {total} attachments" in dry.output
    assert placements(app) == before and blob_files(app) == []
    assert move_events(app) == []

    done = move_cli(app, "--to", "directory", "--batch", "2")
    assert done.exit_code == 0, done.output
    assert f"to move: {total} attachments" in done.output and f"moved {total} attachments" in done.output
    assert "failed 0" in done.output and "batch 2:" in done.output
    after = placements(app)
    assert all(storage == "directory" and key and not has for storage, key, has in after.values())
    (event,) = move_events(app)
    assert event.actor_name == "system" and event.to_status == "directory" and event.entity == "attachment"
    assert event.diff["moved"] == total and event.diff["failed"] == 0
    assert event.diff["pending"]["database"]["rows"] == total

    login(client, "ent_gz")
    assert client.get(f"/filing/attachment/{ids[3]}").data == pdf("m3")

    again = move_cli(app, "--to", "directory")
    assert again.exit_code == 0 and "nothing to move" in again.output and len(move_events(app)) == 1

    back = move_cli(app, "--to", "database", "--batch", "3")
    assert back.exit_code == 0, back.output
    assert f"moved {total} attachments" in back.output
    assert all(storage == "database" and key is None and has for storage, key, has in placements(app).values())
    assert blob_files(app) == []  # no row uses them any more
    assert client.get(f"/filing/attachment/{ids[3]}").data == pdf("m3")
    assert [e.to_status for e in move_events(app)] == ["directory", "database"]


def test_move_from_the_directory_to_s3(app, client, use_storage):
    use_storage("directory")
    ids = add_rows(app, 3)
    assert move_cli(app, "--to", "directory").exit_code == 0
    use_storage("s3")
    result = move_cli(app, "--to", "s3", "--batch", "2")
    assert result.exit_code == 0, result.output
    assert all(storage == "s3" for storage, _, _ in placements(app).values())
    assert blob_files(app) == []  # the old blobs are gone once unused
    login(client, "ent_gz")
    assert client.get(f"/filing/attachment/{ids[1]}").data == pdf("m1")


def test_an_interrupted_move_resumes(app, use_storage, monkeypatch):
    use_storage("directory")
    mine = add_rows(app, 6)
    total = len(placements(app))
    in_order = sorted(placements(app))
    # The store fails on the second row of a batch of two (one of ours, distinct bytes): the first row of that
    # batch was already copied, and must not count as moved when the batch is undone.
    breaking = next(row_id for index, row_id in enumerate(in_order) if index % 2 == 1 and row_id in mine[1:])
    with app.app_context():
        breaking_key = blob_key(db.session.get(Attachment, breaking).sha256)
    registry = app.extensions["blob_stores"]
    real_get = registry.get

    class Flaky:
        """The directory store failing on one write (the disk filled up, the volume went away)."""

        def __init__(self, store):
            self.store = store

        def put(self, key, data):
            if key == breaking_key:
                raise StoreUnavailable("disk full (test)")
            self.store.put(key, data)

        def __getattr__(self, name):
            return getattr(self.store, name)

    monkeypatch.setattr(registry, "get", lambda backend: Flaky(real_get(backend)))
    stopped = move_cli(app, "--to", "directory", "--batch", "2")
    assert stopped.exit_code != 0 and "stopped: disk full (test)" in stopped.output
    half = placements(app)
    moved = sorted(i for i, (storage, _, _) in half.items() if storage == "directory")
    assert 0 < len(moved) < total and moved == in_order[:in_order.index(breaking) - 1]
    assert all(not has for storage, _, has in half.values() if storage == "directory")
    assert all(has for storage, _, has in half.values() if storage == "database")
    (event,) = move_events(app)
    assert "disk full (test)" in event.diff["stopped"] and event.diff["moved"] == len(moved)

    monkeypatch.setattr(registry, "get", real_get)
    resumed = move_cli(app, "--to", "directory", "--batch", "2")
    assert resumed.exit_code == 0, resumed.output
    assert f"to move: {total - len(moved)} attachments" in resumed.output
    assert all(storage == "directory" for storage, _, _ in placements(app).values())


def test_a_damaged_row_is_not_moved_and_is_reported(app, use_storage):
    use_storage("directory")
    ids = add_rows(app, 3)
    with app.app_context():
        db.session.execute(update(Attachment).where(Attachment.id == ids[1]).values(content=pdf("tampered")))
        db.session.commit()
    result = move_cli(app, "--to", "directory")
    assert result.exit_code == 1
    assert f"not moved: attachment {ids[1]} in database: BlobCorrupt" in result.output
    after = placements(app)
    assert after[ids[1]] == ("database", None, True)
    assert after[ids[0]][0] == after[ids[2]][0] == "directory"
    assert move_events(app)[-1].diff["failures"] == [{"id": ids[1], "storage": "database", "error": "BlobCorrupt"}]


def test_a_download_finds_a_row_moved_after_it_was_loaded(app, use_storage):
    """Mixed states while a move runs: the row was read as ``database``; its bytes moved before they were read."""
    from views.downloads import attachment_response

    use_storage("directory")
    (row_id,) = add_rows(app, 1)
    with app.test_request_context(f"/filing/attachment/{row_id}"):
        row = db.session.get(Attachment, row_id)
        assert row.storage == "database"
        with db.engine.begin() as conn:  # another process moves it now
            sha = conn.execute(select(Attachment.sha256).where(Attachment.id == row_id)).scalar()
            store_of(app, "directory").put(blob_key(sha), pdf("m0"))
            conn.execute(update(Attachment).where(Attachment.id == row_id)
                         .values(storage="directory", storage_key=blob_key(sha), content=None))
        response = attachment_response(row, inline_allowed=False)
        response.direct_passthrough = False
        assert response.status_code == 200 and response.get_data() == pdf("m0")
        response.close()


def test_counts_by_sql(app, use_storage):
    """The dry run's counts are the table's (one GROUP BY), whatever the batch size."""
    use_storage("directory")
    add_rows(app, 4)
    with app.app_context():
        expected = db.session.execute(select(func.count(), func.sum(Attachment.size))
                                      .where(Attachment.storage == "database")).one()
    result = move_cli(app, "--to", "directory", "--dry-run", "--batch", "1")
    assert f"would move: {expected[0]} attachments ({expected[1] / (1024 * 1024):.1f} MB) from database" \
        in result.output


# ---- flask attachments verify, and backups that say where the files are --------------------------------------------

def test_verify_names_missing_and_damaged_files(app, use_storage):
    use_storage("directory")
    ids = add_rows(app, 3)
    assert move_cli(app, "--to", "directory").exit_code == 0
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["attachments", "verify", "--sha256"])
    assert clean.exit_code == 0 and "problems: 0" in clean.output and "sha256 compared" in clean.output
    with app.app_context():
        keys = dict(db.session.execute(select(Attachment.id, Attachment.storage_key)
                                       .where(Attachment.id.in_(ids[:2]))).all())
    store = store_of(app, "directory")
    store.delete(keys[ids[0]])
    store.path(keys[ids[1]]).write_bytes(b"%PDF-1.4 something else")
    quick = runner.invoke(args=["attachments", "verify"])
    assert quick.exit_code == 1 and "problems: 1" in quick.output
    assert f"attachment {ids[0]} in directory: BlobMissing" in quick.output
    full = runner.invoke(args=["attachments", "verify", "--sha256"])
    assert full.exit_code == 1 and "problems: 2" in full.output
    assert f"attachment {ids[1]} in directory: BlobCorrupt" in full.output


def test_backup_says_which_files_it_does_not_contain(tmp_path):
    database = tmp_path / "app.db"
    with sqlite3.connect(database) as conn:  # just the column the script reads
        conn.execute("CREATE TABLE attachment (id INTEGER PRIMARY KEY, storage VARCHAR(16))")
        conn.executemany("INSERT INTO attachment (storage) VALUES (?)",
                         [("directory",), ("directory",), ("database",)])
    script = Path(__file__).resolve().parent.parent / "scripts" / "backup.sh"
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{database}", "ATTACHMENT_DIR": "/srv/blobs",
           "ATTACHMENT_STORAGE": "s3", "S3_BUCKET": "apprentice-files"}
    done = subprocess.run([str(script), str(tmp_path / "one.db")], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2 attachments keep their bytes in the directory store, which this backup does NOT contain" in done.stdout
    assert "rsync -a /srv/blobs/ <backup place>/attachments/" in done.stdout
    assert "aws s3 sync s3://apprentice-files" in done.stdout  # the configured store, even before any row uses it
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE attachment SET storage = 'database'")
    quiet = subprocess.run([str(script), str(tmp_path / "two.db")], env={**env, "ATTACHMENT_STORAGE": "database"},
                           capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0 and "note:" not in quiet.stdout and "rsync" not in quiet.stdout

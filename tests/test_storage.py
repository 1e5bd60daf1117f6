"""Attachment storage (issue 15): the blob stores of ``services/storage.py`` (database, a directory, S3 against a
real S3-compatible HTTP server — moto's ``ThreadedMotoServer`` on a free port, boto3 talking HTTP to it), uploads
and downloads through them (same bytes and headers, the sha256 re-checked: a damaged or missing blob answers 410
with a Chinese message and is logged, an unreachable store 503), keys that would leave the directory, shared
blobs on delete. ``flask attachments move`` / ``verify`` and the backup note: tests/test_storage_move.py.
"""
from __future__ import annotations

import hashlib
import io
import logging
import socket
import uuid
import zipfile

import boto3
import pytest
from sqlalchemy import select, text, update

from actions import attachments as attachment_actions
from actions.attachment_blobs import blob_key
from actions.workflow import run
from core.errors import BlobCorrupt, BlobMissing, StoreUnavailable
from models.audit import AuditEvent
from models.base import db
from models.filing import Attachment, Filing
from services.storage import DirectoryStore, InvalidKey, S3Store, open_verified
from tests import factories
from tests.conftest import api_token, csrf_token_from, login

PDF = factories.PDF_BYTES
S3_KEYS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}


def pdf(marker: str) -> bytes:
    """A small PDF whose bytes (and so sha256) depend on ``marker``."""
    return b"%PDF-1.4\n% " + marker.encode() + b"\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    """A minimal .docx, the same bytes on every call (fixed member times)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, body in (("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 12, 1, 0, 0, 0)), body)
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A real S3-compatible HTTP server (moto) on a free loopback port for this module."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def s3_client(endpoint: str):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing",
                        region_name="us-east-1")


@pytest.fixture
def new_bucket(s3_endpoint):
    """A fresh bucket per test: ``{"S3_ENDPOINT_URL", "S3_BUCKET", …}`` settings for it."""
    name = f"att-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return {"S3_ENDPOINT_URL": s3_endpoint, "S3_BUCKET": name, **S3_KEYS}


@pytest.fixture
def use_storage(app, monkeypatch, tmp_path, new_bucket):
    """``use_storage(backend)`` points the app's uploads at ``database`` / ``directory`` (tmp_path) / ``s3``;
    both stores stay configured so rows of any storage are readable."""
    def _use(backend: str) -> None:
        monkeypatch.setitem(app.config, "ATTACHMENT_STORAGE", backend)

    monkeypatch.setitem(app.config, "ATTACHMENT_DIR", str(tmp_path / "blobs"))
    for name, value in new_bucket.items():
        monkeypatch.setitem(app.config, name, value)
    return _use


@pytest.fixture
def download_log(caplog, monkeypatch):
    """The records of ``views.downloads`` (Alembic's ``fileConfig`` disabled the loggers that existed when the test
    database was migrated; a production server logs them from its start)."""
    monkeypatch.setattr(logging.getLogger("views.downloads"), "disabled", False)
    caplog.set_level(logging.ERROR, logger="views.downloads")
    return caplog


@pytest.fixture(params=["database", "directory", "s3"])
def backend(request, use_storage):
    use_storage(request.param)
    return request.param


class ApiUser:
    """Bearer requests as ``username`` from a client of its own (no browser session, so no CSRF)."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {api_token(self.client, username)}"}

    def get(self, url, **kw):
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url, **kw):
        return self.client.post(url, headers=self.headers, **kw)


def store_of(app, backend: str):
    return app.extensions["blob_stores"].get(backend)


def draft_filing(app, username: str = "ent_gz") -> int:
    with app.app_context():
        row = factories.filing(factories.demo_enterprise(username).id)
        db.session.commit()
        return row.id


def upload(client, filing_id: int, name: str, content: bytes, kind: str = "OTHER"):
    token = csrf_token_from(client.get(f"/filing/{filing_id}/attachments").get_data(as_text=True))
    return client.post(f"/filing/{filing_id}/attachments/upload", data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def rows_of(app, filing_id: int) -> list[Attachment]:
    with app.app_context():
        rows = db.session.scalars(select(Attachment).where(Attachment.filing_id == filing_id)
                                  .order_by(Attachment.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


def stored_bytes(app, row: Attachment) -> bytes | None:
    """What the row's storage holds for it (None when there is nothing)."""
    with app.app_context():
        if row.storage == "database":
            return db.session.scalar(select(Attachment.content).where(Attachment.id == row.id))
        store = store_of(app, row.storage)
        if not store.exists(row.storage_key):
            return None
        with store.open(row.storage_key) as blob:
            return blob.read()


# ---- each backend: upload → list → download, same bytes and headers ---------------------------------------------

def test_upload_list_and_download_through_each_backend(app, client, backend):
    fid = draft_filing(app)
    login(client, "ent_gz")
    assert upload(client, fid, "培训 计划.pdf", pdf("one"), kind="TRAINING_PLAN").status_code == 302
    assert upload(client, fid, "名单.docx", docx()).status_code == 302
    listed = client.get(f"/filing/{fid}/attachments").get_data(as_text=True)
    assert "培训 计划.pdf" in listed and "名单.docx" in listed

    plan, roster = rows_of(app, fid)
    assert (plan.storage, roster.storage) == (backend, backend)
    if backend == "database":
        assert plan.storage_key is None
    else:  # content-addressed blob, nothing left in the row
        assert plan.storage_key == blob_key(hashlib.sha256(pdf("one")).hexdigest())
        with app.app_context():
            assert db.session.scalar(select(Attachment.content).where(Attachment.id == plan.id)) is None
    assert stored_bytes(app, plan) == pdf("one") and stored_bytes(app, roster) == docx()

    shown = client.get(f"/filing/attachment/{plan.id}")
    assert shown.status_code == 200 and shown.data == pdf("one")
    assert shown.headers["Content-Type"].startswith("application/pdf")
    assert shown.headers["Content-Disposition"].startswith("inline")
    assert "filename*=UTF-8''%E5%9F%B9%E8%AE%AD%20%E8%AE%A1%E5%88%92.pdf" in shown.headers["Content-Disposition"]
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert shown.headers["Cache-Control"] == "private, no-store"
    assert shown.headers["Content-Length"] == str(len(pdf("one")))
    part = client.get(f"/filing/attachment/{plan.id}", headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.data == pdf("one")[:8]
    downloaded = client.get(f"/filing/attachment/{roster.id}")
    assert downloaded.data == docx() and downloaded.headers["Content-Disposition"].startswith("attachment")

    ent = ApiUser(app, "ent_gz")
    body = ent.get(f"/api/v1/attachment/{plan.id}").get_json()["result"]
    assert body["sha256"] == hashlib.sha256(pdf("one")).hexdigest() and body["size"] == len(pdf("one"))
    content = ent.get(f"/api/v1/attachment/{roster.id}/content")
    assert content.status_code == 200 and content.data == docx()
    assert content.headers["Content-Disposition"].startswith("attachment")

    # The API upload takes the same way in.
    made = ent.post("/api/v1/attachment/", data={"file": (io.BytesIO(pdf("api")), "接口.pdf"), "kind": "OTHER",
                                                 "filing_id": str(fid)}, content_type="multipart/form-data")
    assert made.status_code == 201, made.get_data(as_text=True)
    assert ent.get(f"/api/v1/attachment/{made.get_json()['id']}/content").data == pdf("api")


def test_scope_is_unchanged_whatever_the_storage(app, client, backend):
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "a.pdf", pdf("scope"))
    (row,) = rows_of(app, fid)
    with app.app_context():  # the reviewer of 广州 sees it once submitted; 深圳 never
        db.session.execute(update(Filing).where(Filing.id == fid).values(status="SUBMITTED"))
        db.session.commit()
    assert ApiUser(app, "ent_sz").get(f"/api/v1/attachment/{row.id}/content").status_code == 404
    assert ApiUser(app, "sz_reviewer").get(f"/api/v1/attachment/{row.id}/content").status_code == 404
    assert ApiUser(app, "gz_reviewer").get(f"/api/v1/attachment/{row.id}/content").data == pdf("scope")
    client.post("/logout/", data={"csrf_token": csrf_token_from(client.get("/logout/").get_data(as_text=True))})
    login(client, "ent_sz")
    assert client.get(f"/filing/attachment/{row.id}").status_code == 404
    assert client.get(f"/review/attachment/{row.id}").status_code in (403, 404)


def test_uploads_and_deletes_are_audited_with_their_storage(app, client, backend):
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "a.pdf", pdf("audit"))
    (row,) = rows_of(app, fid)
    token = csrf_token_from(client.get(f"/filing/{fid}/attachments").get_data(as_text=True))
    assert client.post(f"/filing/{fid}/attachments/{row.id}/delete", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "attachment",
                                                             AuditEvent.entity_id == row.id)
                                    .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["create", "delete"]
    assert events[0].actor_name == "ent_gz"
    assert events[0].diff["changes"]["storage"] == [None, backend]
    assert events[0].diff["changes"]["sha256"] == [None, hashlib.sha256(pdf("audit")).hexdigest()]
    assert events[1].diff["changes"]["storage"] == [backend, None]


# ---- the sha256 re-check: damaged or missing bytes are never handed out ------------------------------------------

def damage(app, row: Attachment, content: bytes | None) -> None:
    """Replace (or, with None, remove) the stored bytes of ``row`` behind the app's back."""
    with app.app_context():
        if row.storage == "database":
            if content is None:  # the CHECK constraint keeps content: a row cannot lose it in the database
                raise AssertionError("not possible in the database")
            db.session.execute(update(Attachment).where(Attachment.id == row.id).values(content=content))
            db.session.commit()
        elif content is None:
            store_of(app, row.storage).delete(row.storage_key)
        elif row.storage == "directory":
            store_of(app, "directory").path(row.storage_key).write_bytes(content)  # not through put()
        else:
            s3_client(app.config["S3_ENDPOINT_URL"]).put_object(Bucket=app.config["S3_BUCKET"],
                                                                Key=row.storage_key, Body=content)


@pytest.mark.parametrize("same_size", [True, False])
def test_damaged_bytes_answer_410_and_are_logged(app, client, backend, download_log, same_size):
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "损坏.pdf", pdf("good"))
    (row,) = rows_of(app, fid)
    damage(app, row, pdf("evil") if same_size else pdf("good") + b"x")
    page = client.get(f"/filing/attachment/{row.id}")
    assert page.status_code == 410
    html = page.get_data(as_text=True)
    assert "文件无法下载" in html and "校验值（SHA-256）不符" in html and "%PDF" not in html
    assert any("BlobCorrupt" in r.getMessage() and f"attachment {row.id}" in r.getMessage() for r in download_log.records)
    answer = ApiUser(app, "ent_gz").get(f"/api/v1/attachment/{row.id}/content")
    assert answer.status_code == 410 and "校验值（SHA-256）不符" in answer.get_json()["message"]


@pytest.mark.parametrize("where", ["directory", "s3"])
def test_missing_blob_answers_410_in_chinese(app, client, use_storage, download_log, where):
    use_storage(where)
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "丢失.pdf", pdf("lost"))
    (row,) = rows_of(app, fid)
    damage(app, row, None)
    page = client.get(f"/filing/attachment/{row.id}")
    assert page.status_code == 410 and "文件存储中找不到" in page.get_data(as_text=True)
    assert any("BlobMissing" in r.getMessage() for r in download_log.records)
    answer = ApiUser(app, "ent_gz").get(f"/api/v1/attachment/{row.id}/content")
    assert answer.status_code == 410 and "找不到" in answer.get_json()["message"]
    assert "blobs" not in answer.get_json()["message"] and app.config["S3_BUCKET"] not in page.get_data(as_text=True)


def test_an_unreachable_store_answers_503_and_keeps_nothing(app, client, use_storage, monkeypatch):
    use_storage("s3")
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "早先.pdf", pdf("before"))
    (row,) = rows_of(app, fid)
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # nobody listens there
    answer = ApiUser(app, "ent_gz").get(f"/api/v1/attachment/{row.id}/content")
    assert answer.status_code == 503 and "文件存储暂时无法访问" in answer.get_json()["message"]
    assert client.get(f"/filing/attachment/{row.id}").status_code == 503
    refused = upload(client, fid, "之后.pdf", pdf("after"))
    assert refused.status_code == 422 and "文件存储暂时无法访问" in refused.get_data(as_text=True)
    assert [r.id for r in rows_of(app, fid)] == [row.id]


def test_a_row_with_a_key_outside_the_directory_is_refused(app, client, use_storage, tmp_path):
    use_storage("directory")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(PDF)
    fid = draft_filing(app)
    login(client, "ent_gz")
    upload(client, fid, "a.pdf", PDF)
    (row,) = rows_of(app, fid)
    with app.app_context():
        db.session.execute(update(Attachment).where(Attachment.id == row.id).values(storage_key="../secret.pdf"))
        db.session.commit()
    page = client.get(f"/filing/attachment/{row.id}")
    assert page.status_code == 410 and page.data != PDF


# ---- the stores themselves ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["../x", "a/../../x", "/etc/passwd", "a\\b", "", ".hidden", "a//b", "a/./b",
                                 "a/b/", "x" * 256, "a\x00b", "键"])
def test_keys_that_are_not_plain_relative_paths_are_refused(tmp_path, key):
    store = DirectoryStore(tmp_path / "root")
    for call in (lambda: store.put(key, b"x"), lambda: store.open(key), lambda: store.exists(key),
                 lambda: store.delete(key)):
        with pytest.raises(InvalidKey):
            call()
    assert [p.name for p in (tmp_path / "root").iterdir()] == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["root"]


def test_a_symlinked_folder_cannot_lead_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = DirectoryStore(tmp_path / "root")
    (tmp_path / "root" / "link").symlink_to(outside)
    with pytest.raises(InvalidKey):
        store.put("link/blob", b"x")
    assert list(outside.iterdir()) == []


def test_directory_writes_are_atomic(tmp_path):
    store = DirectoryStore(tmp_path)
    store.put("a/b", b"old")

    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def read(self, size=-1):
            if getattr(self, "done", False):
                raise OSError("the upload stream broke")
            self.done = True
            return b"new-but-incomplete"

    with pytest.raises(StoreUnavailable):
        store.put("a/b", Broken())
    assert store.open("a/b").read() == b"old"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["b"]  # no temporary file left
    store.put("a/b", io.BytesIO(b"streamed"))
    assert store.open("a/b").read() == b"streamed" and store.exists("a/b")
    store.delete("a/b")
    store.delete("a/b")  # deleting twice is harmless
    assert not store.exists("a/b")
    with pytest.raises(BlobMissing):
        store.open("a/b")


def test_s3_store_over_http(new_bucket):
    store = S3Store(new_bucket["S3_BUCKET"], new_bucket["S3_ENDPOINT_URL"], "testing", "testing", "us-east-1")
    big = bytes(range(256)) * 40_000  # 10 MB, streamed in and out
    store.put("attachments/ab/big", io.BytesIO(big))
    assert store.exists("attachments/ab/big") and not store.exists("attachments/ab/none")
    with open_verified(store, "attachments/ab/big", hashlib.sha256(big).hexdigest(), len(big)) as blob:
        assert blob.read() == big
    with pytest.raises(BlobCorrupt):
        open_verified(store, "attachments/ab/big", "0" * 64, len(big))
    store.delete("attachments/ab/big")
    with pytest.raises(BlobMissing):
        store.open("attachments/ab/big")
    with pytest.raises(InvalidKey):
        store.put("../big", b"x")


# ---- shared blobs: removed with their last row, after the commit --------------------------------------------------

@pytest.mark.parametrize("where", ["directory", "s3"])
def test_a_shared_blob_goes_with_its_last_row(app, client, use_storage, where):
    use_storage(where)
    first, second = draft_filing(app), draft_filing(app)
    login(client, "ent_gz")
    upload(client, first, "一.pdf", pdf("shared"))
    upload(client, first, "二.pdf", pdf("shared"))
    upload(client, second, "三.pdf", pdf("shared"))
    a, b = rows_of(app, first)
    (c,) = rows_of(app, second)
    assert a.storage_key == b.storage_key == c.storage_key  # one blob for equal bytes
    store = store_of(app, where)
    token = csrf_token_from(client.get(f"/filing/{first}/attachments").get_data(as_text=True))
    client.post(f"/filing/{first}/attachments/{a.id}/delete", data={"csrf_token": token})
    assert store.exists(a.storage_key)
    assert client.get(f"/filing/attachment/{b.id}").data == pdf("shared")
    with app.app_context():  # the filing's delete takes its remaining row; the other filing still uses the blob
        run(db.session, factories.actor("ent_gz"), "filing", "delete", first)
        db.session.commit()
    assert store.exists(a.storage_key)
    with app.app_context():
        run(db.session, factories.actor("ent_gz"), "filing", "delete", second)
        db.session.commit()
    assert not store.exists(a.storage_key)


def test_a_rolled_back_delete_keeps_the_blob_and_a_rolled_back_upload_leaves_none(app, use_storage):
    use_storage("directory")
    fid = draft_filing(app)
    with app.app_context():
        row = attachment_actions.add_attachment(db.session, factories.actor("ent_gz"), fid, "OTHER", "a.pdf",
                                                pdf("kept"))
        db.session.commit()
        key = row.storage_key
        attachment_actions.delete_attachment(db.session, factories.actor("ent_gz"), row.id)
        db.session.rollback()
        assert store_of(app, "directory").exists(key)
        attachment_actions.add_attachment(db.session, factories.actor("ent_gz"), fid, "OTHER", "b.pdf",
                                          pdf("never"))
        never = blob_key(hashlib.sha256(pdf("never")).hexdigest())
        assert store_of(app, "directory").exists(never)  # written before the row is committed …
        db.session.rollback()
        assert not store_of(app, "directory").exists(never)  # … and removed when it is not
        assert store_of(app, "directory").exists(key)


def test_a_deleted_claim_takes_its_blobs(app, use_storage):
    from actions.subsidies import claims
    from seed import demo_running_class

    use_storage("directory")
    with app.app_context():
        demo_running_class.seed(db.session)
        db.session.commit()
        cls_id = db.session.execute(text(
            "SELECT c.id FROM training_class c JOIN filing f ON f.id = c.filing_id WHERE f.enterprise_id = :e "
            "ORDER BY c.id DESC"), {"e": factories.demo_enterprise("ent_gz").id}).scalar()
        actor = factories.actor("ent_gz")
        claim = claims.create_claim(db.session, actor, {"training_class_id": cls_id, "stage": "ADVANCE",
                                                        "commitment_accepted": True})
        row = claims.add_claim_attachment(db.session, actor, claim.id, "TRAINING_PLAN", "计划.pdf", pdf("claim"))
        db.session.commit()
        key = row.storage_key
        assert store_of(app, "directory").exists(key)
        run(db.session, actor, "subsidy_claim", "delete", claim.id)
        db.session.commit()
        assert not store_of(app, "directory").exists(key)


def test_a_wrong_storage_setting_is_named(tmp_path):
    """Start-up (``services.storage.init_app``) stops with the setting to fix, not at the first upload."""
    from types import SimpleNamespace

    from services.storage import StoreRegistry, init_app

    for config, wrong in (({"ATTACHMENT_STORAGE": "ftp"}, "ATTACHMENT_STORAGE='ftp'"),
                          ({"ATTACHMENT_STORAGE": "directory"}, "ATTACHMENT_DIR is not set"),
                          ({"ATTACHMENT_STORAGE": "s3", "ATTACHMENT_DIR": str(tmp_path)}, "S3_BUCKET is not set")):
        with pytest.raises(RuntimeError, match=wrong):
            init_app(SimpleNamespace(config=config, extensions={}))
    app = SimpleNamespace(config={"ATTACHMENT_STORAGE": "Directory ", "ATTACHMENT_DIR": str(tmp_path / "b")},
                          extensions={})
    assert init_app(app).active == "directory" and (tmp_path / "b").is_dir()
    assert StoreRegistry({}).active == "database"

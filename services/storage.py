"""Blob stores: where file contents live outside the database (issue 15: attachments out of the database at scale).

A store keeps immutable blobs under keys: ``put(key, data)`` (bytes or a binary file object), ``open(key)`` (a
binary file object to read and close; streamable, never the whole blob in memory), ``delete(key)``,
``exists(key)``, ``list(prefix)`` (the keys under a prefix with their modification times). Nothing in it knows about attachments; ``open_verified`` checks a blob against the sha256 its
owner recorded before anyone reads it.

Backends, chosen by configuration (README "Configuration"):
- ``directory`` — ``ATTACHMENT_DIR``, e.g. a volume every app host mounts. Writes go to a temporary file in the
  target folder, are fsync'ed and renamed into place (atomic: a reader sees the whole blob or none).
- ``s3`` — an S3-compatible object store (``S3_ENDPOINT_URL``, ``S3_BUCKET``, ``S3_ACCESS_KEY_ID``,
  ``S3_SECRET_ACCESS_KEY``, ``S3_REGION``) through boto3.
- ``database`` (the default ``ATTACHMENT_STORAGE``) is not a blob store: the bytes stay in their own row
  (``attachment.content``), as before.

Keys are relative paths of plain segments (``[A-Za-z0-9][A-Za-z0-9._-]*`` joined by ``/``, at most 255
characters): no ``..``, no absolute path, no backslash, so a key can never name a file outside the directory.

``StoreRegistry`` (``app.extensions["blob_stores"]``, set by ``init_app``) builds the stores from the app's
configuration when first asked and rebuilds them when the settings change. The write side (``actions/``) reaches
it through ``current_app.extensions`` since it may not import this layer (DESIGN §7).
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import BinaryIO, Iterator, Optional, Protocol, Union

from core.errors import BlobCorrupt, BlobError, BlobMissing, StoreUnavailable


DATABASE, DIRECTORY, S3 = "database", "directory", "s3"
BACKENDS = (DATABASE, DIRECTORY, S3)
STORES = (DIRECTORY, S3)  # the backends that are blob stores

KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
MAX_KEY_LENGTH = 255
CHUNK = 1024 * 1024
#: An S3 blob being verified is spooled to a temporary file; up to this size it stays in memory.
SPOOL_IN_MEMORY = 1024 * 1024

Data = Union[bytes, bytearray, memoryview, BinaryIO]


class InvalidKey(BlobMissing, ValueError):
    """A key that is not a plain relative path (e.g. ``../etc/passwd``): refused, nothing is read or written."""


def check_key(key: str) -> str:
    """``key`` when it is a valid store key, else ``InvalidKey``."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not KEY_RE.fullmatch(key):
        raise InvalidKey(f"invalid blob key: {key!r}")
    return key


class BlobStore(Protocol):
    """What every backend offers."""

    name: str

    def put(self, key: str, data: Data) -> None: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> Iterator[tuple[str, float]]: ...


def _chunks(data: Data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        yield bytes(data)
        return
    while True:
        chunk = data.read(CHUNK)
        if not chunk:
            return
        yield chunk


class DirectoryStore:
    """Blobs as files under ``root`` (created if missing)."""

    name = DIRECTORY

    def __init__(self, root: Union[str, Path]):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        """The file of ``key``, refused when it would lie outside the root (also through a symlinked folder)."""
        path = self.root / check_key(key)
        real = Path(os.path.realpath(path))
        if real != self.root and self.root not in real.parents:
            raise InvalidKey(f"blob key leaves the storage directory: {key!r}")
        return path

    def put(self, key: str, data: Data) -> None:
        path = self.path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    for chunk in _chunks(data):
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o640)
                os.replace(tmp, path)  # atomic: readers see the old blob, or the whole new one
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StoreUnavailable(f"cannot write {path}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        path = self.path(key)
        try:
            return open(path, "rb")
        except FileNotFoundError as exc:
            raise BlobMissing(f"no file {path}") from exc
        except OSError as exc:
            raise StoreUnavailable(f"cannot read {path}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot delete {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def list(self, prefix: str) -> Iterator[tuple[str, float]]:
        """(key, modification time as epoch seconds) of the files whose key starts with ``prefix``."""
        for path in self.root.rglob("*"):
            key = path.relative_to(self.root).as_posix()
            if path.is_file() and key.startswith(prefix) and not path.name.startswith(".tmp-"):
                yield key, path.stat().st_mtime


class S3Store:
    """Blobs as objects of one bucket of an S3-compatible store (AWS S3, MinIO, Ceph RGW, OSS/COS S3 APIs)."""

    name = S3

    def __init__(self, bucket: str, endpoint_url: Optional[str] = None, access_key_id: Optional[str] = None,
                 secret_access_key: Optional[str] = None, region: Optional[str] = None):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        config = Config(
            connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
            # Path-style URLs and checksums only where required: what S3-compatible servers understand.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            request_checksum_calculation="when_required", response_checksum_validation="when_required")
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key_id or None,
                                   aws_secret_access_key=secret_access_key or None, region_name=region or None,
                                   config=config)

    def _fail(self, key: str, exc: Exception) -> BlobError:
        from botocore.exceptions import ClientError

        if isinstance(exc, ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "404", "NotFound"):
                return BlobMissing(f"no object {self.bucket}/{key}")
        return StoreUnavailable(f"S3 {self.bucket}/{key}: {exc}")

    def put(self, key: str, data: Data) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(key)
        try:
            if isinstance(data, (bytes, bytearray, memoryview)):
                self.client.put_object(Bucket=self.bucket, Key=key, Body=bytes(data))
            else:
                self.client.upload_fileobj(data, self.bucket, key)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(key, exc) from exc

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(key)
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"]  # streamed as it is read
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(key, exc) from exc

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(key)
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(key, exc) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        check_key(key)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
            return True
        except (BotoCoreError, ClientError) as exc:
            error = self._fail(key, exc)
            if isinstance(error, BlobMissing):
                return False
            raise error from exc

    def list(self, prefix: str) -> Iterator[tuple[str, float]]:
        """(key, last modified as epoch seconds) of the objects whose key starts with ``prefix``, page by page."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"], item["LastModified"].timestamp()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(prefix, exc) from exc


def open_verified(store: BlobStore, key: str, sha256: str, size: Optional[int] = None) -> BinaryIO:
    """The blob ``key`` opened for reading, positioned at its start, after checking that its bytes have the
    recorded ``sha256`` (and ``size``): a reader never gets wrong bytes. A seekable blob (a file) is hashed then
    rewound; a stream (S3) is hashed while spooled to a temporary file (in memory up to ``SPOOL_IN_MEMORY``).

    :raises BlobMissing / BlobCorrupt / StoreUnavailable:
    """
    source = store.open(key)
    try:
        seekable = getattr(source, "seekable", lambda: False)()
        target = source if seekable else tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        digest, total = hashlib.sha256(), 0
        try:
            for chunk in _chunks(source):
                digest.update(chunk)
                total += len(chunk)
                if target is not source:
                    target.write(chunk)
        except (OSError, BlobError) as exc:
            raise StoreUnavailable(f"reading {key}: {exc}") from exc
        except Exception as exc:  # botocore's streaming errors (connection reset while reading)
            if type(exc).__module__.startswith(("botocore", "urllib3")):
                raise StoreUnavailable(f"reading {key}: {exc}") from exc
            raise
        if digest.hexdigest() != sha256 or (size is not None and total != size):
            raise BlobCorrupt(f"blob {key}: sha256 {digest.hexdigest()} / {total} bytes, "
                              f"recorded {sha256} / {size} bytes")
        target.seek(0)
        if target is not source:
            source.close()
        return target
    except BaseException:
        source.close()
        if "target" in locals() and target is not source:
            target.close()
        raise


def sha256_of(data: Data) -> str:
    digest = hashlib.sha256()
    for chunk in _chunks(data):
        digest.update(chunk)
    return digest.hexdigest()


def store_from_config(config, backend: str) -> BlobStore:
    """The blob store ``backend`` (``directory`` / ``s3``) built from ``config``.

    :raises StoreUnavailable: the backend's settings are missing.
    """
    if backend == DIRECTORY:
        root = str(config.get("ATTACHMENT_DIR") or "").strip()
        if not root:
            raise StoreUnavailable("ATTACHMENT_DIR is not set (needed for the directory store)")
        try:
            return DirectoryStore(root)
        except OSError as exc:
            raise StoreUnavailable(f"ATTACHMENT_DIR {root}: {exc}") from exc
    if backend == S3:
        if not config.get("S3_BUCKET"):
            raise StoreUnavailable("S3_BUCKET is not set (needed for the s3 store)")
        return S3Store(config["S3_BUCKET"], config.get("S3_ENDPOINT_URL"), config.get("S3_ACCESS_KEY_ID"),
                       config.get("S3_SECRET_ACCESS_KEY"), config.get("S3_REGION"))
    raise StoreUnavailable(f"{backend!r} is not a blob store (one of {', '.join(STORES)})")


SETTINGS = ("ATTACHMENT_DIR", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION")


class StoreRegistry:
    """The app's blob stores, built from its configuration on first use (and again when the settings change)."""

    def __init__(self, config):
        self.config = config
        self._stores: dict[tuple, BlobStore] = {}
        self._lock = threading.Lock()

    @property
    def active(self) -> str:
        """``ATTACHMENT_STORAGE``: where new uploads go."""
        backend = (self.config.get("ATTACHMENT_STORAGE") or DATABASE).strip().lower()
        if backend not in BACKENDS:
            raise StoreUnavailable(f"ATTACHMENT_STORAGE={backend!r}: use one of {', '.join(BACKENDS)}")
        return backend

    def get(self, backend: str) -> BlobStore:
        """The store ``backend`` (``directory`` / ``s3``). :raises StoreUnavailable: not configured."""
        signature = (backend, *(str(self.config.get(name) or "") for name in SETTINGS))
        with self._lock:
            store = self._stores.get(signature)
            if store is None:
                store = self._stores[signature] = store_from_config(self.config, backend)
            return store


def init_app(app) -> StoreRegistry:
    """Register the stores as ``app.extensions["blob_stores"]``; a wrong ``ATTACHMENT_STORAGE`` stops the start."""
    registry = StoreRegistry(app.config)
    try:
        backend = registry.active
        if backend != DATABASE:
            registry.get(backend)  # the settings are complete (S3 is not contacted here: hosts may start before it)
    except StoreUnavailable as exc:
        raise RuntimeError(f"attachment storage: {exc.detail}") from exc
    app.extensions["blob_stores"] = registry
    return registry


__all__ = ["BACKENDS", "BlobCorrupt", "BlobError", "BlobMissing", "BlobStore", "DATABASE", "DIRECTORY",
           "DirectoryStore", "InvalidKey", "S3", "S3Store", "STORES", "StoreRegistry", "StoreUnavailable",
           "check_key", "init_app", "open_verified", "sha256_of", "store_from_config"]

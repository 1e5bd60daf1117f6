"""The files of background jobs, by job id: the one module that touches them (``part_path``, ``commit``,
``open_file``, ``stream``, ``delete``, ``save_input``, ``work_dir``).

Files live under ``JOB_FILES_DIR`` (default ``<instance>/job_files``), mode 0700, named by the job's public id:
``<id>`` the result, ``<id>.input`` what the job reads (an uploaded workbook to import), ``<id>.part`` a result
being written (made the result when complete, so a half-written file is never served), ``<id>.work/`` its scratch
directory. They hold names and complete ID numbers: never the shared system temp directory.

``JOB_FILES_STORE=s3`` (workers on several hosts without a shared volume): the result and the input are objects
``jobs/<id>`` and ``jobs/<id>.input`` of the S3 store of services/storage.py (the attachments' ``S3_*`` settings);
the ``.part`` file and the scratch directory stay on the worker's own ``JOB_FILES_DIR`` and the finished result
is uploaded from there. Default ``directory``: everything under ``JOB_FILES_DIR`` (one host, or a shared volume).
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from flask import current_app

from core.errors import BlobMissing, StoreUnavailable

_SAFE_ID = re.compile(r"^[0-9a-f]{32}$")
STORES = ("directory", "s3")
PREFIX = "jobs/"


def store_name(config) -> str:
    """``JOB_FILES_STORE``: ``directory`` (the default) or ``s3``. :raises StoreUnavailable: another value."""
    name = (config.get("JOB_FILES_STORE") or "directory").strip().lower()
    if name not in STORES:
        raise StoreUnavailable(f"JOB_FILES_STORE={name!r}: use one of {', '.join(STORES)}")
    return name


def check_config(app) -> None:
    """At start-up: a wrong ``JOB_FILES_STORE``, or ``s3`` without the S3 settings, stops the start (after
    services/storage.py ``init_app``)."""
    try:
        if store_name(app.config) == "s3":
            app.extensions["blob_stores"].get("s3")
    except StoreUnavailable as exc:
        raise RuntimeError(f"job files: {exc.detail}") from exc


def _store():
    """The object store of results and inputs (``JOB_FILES_STORE=s3``), or None: files under ``JOB_FILES_DIR``."""
    if store_name(current_app.config) == "directory":
        return None
    return current_app.extensions["blob_stores"].get("s3")


def _key(public_id: str, suffix: str = "") -> str:
    _path(public_id)  # the same check: 32 hex digits
    return f"{PREFIX}{public_id}{suffix}"


def files_dir() -> Path:
    """``JOB_FILES_DIR``, created 0700 when missing."""
    path = Path(current_app.config.get("JOB_FILES_DIR") or Path(current_app.instance_path, "job_files"))
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(public_id: str, suffix: str = "") -> Path:
    if not _SAFE_ID.match(public_id or ""):
        raise ValueError("not a job id")  # a job id is 32 hex digits: never a path
    return files_dir() / f"{public_id}{suffix}"


def part_path(public_id: str) -> Path:
    """Where a job writes its result while it runs (``commit`` makes it the result)."""
    return _path(public_id, ".part")


def commit(public_id: str) -> int:
    """The written ``.part`` file becomes the job's result (renamed, or uploaded to the object store and removed);
    returns its size in bytes."""
    part, store = part_path(public_id), _store()
    if store is None:
        final = _path(public_id)
        os.replace(part, final)
        return final.stat().st_size
    size = part.stat().st_size
    with open(part, "rb") as fh:
        store.put(_key(public_id), fh)
    os.unlink(part)
    return size


def save_bytes(public_id: str, content: bytes) -> int:
    """Store ``content`` as the job's result; returns its size."""
    with open(part_path(public_id), "wb") as fh:
        fh.write(content)
    return commit(public_id)


def save_input(public_id: str, content: bytes) -> None:
    """Keep what the job will read (e.g. the uploaded workbook of an import confirmation)."""
    store = _store()
    if store is not None:
        store.put(_key(public_id, ".input"), content)
        return
    with open(_path(public_id, ".input"), "wb") as fh:
        fh.write(content)


def read_input(public_id: str) -> Optional[bytes]:
    store = _store()
    try:
        if store is not None:
            with store.open(_key(public_id, ".input")) as fh:
                return fh.read()
        return _path(public_id, ".input").read_bytes()
    except (FileNotFoundError, BlobMissing):
        return None


def delete_input(public_id: str) -> None:
    """Remove what the job read, once it ran."""
    store = _store()
    if store is not None:
        store.delete(_key(public_id, ".input"))
        return
    try:
        os.unlink(_path(public_id, ".input"))
    except FileNotFoundError:
        pass


def exists(public_id: str) -> bool:
    store = _store()
    return store.exists(_key(public_id)) if store is not None else _path(public_id).is_file()


def open_file(public_id: str) -> BinaryIO:
    """The job's result, opened for reading (from the object store: streamed as it is read).

    :raises FileNotFoundError: none (deleted, or never made).
    """
    store = _store()
    if store is None:
        return open(_path(public_id), "rb")
    try:
        return store.open(_key(public_id))
    except BlobMissing as exc:
        raise FileNotFoundError(public_id) from exc


def stream(public_id: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """The job's result in chunks (a download never holds the file in memory). The file is opened now (in the
    request), read while the response is sent. :raises FileNotFoundError: no result."""
    fh = open_file(public_id)

    def chunks() -> Iterator[bytes]:
        with fh:
            while True:
                chunk = fh.read(chunk_size)
                if not chunk:
                    return
                yield chunk

    return chunks()


def work_dir(public_id: str) -> Path:
    """A scratch directory of the job (0700), e.g. xlsxwriter's row files: never ``instance/tmp/exports``, whose
    start-up sweep takes xlsxwriter's parts (stamped 1980) for leftovers and would delete them mid-job."""
    path = _path(public_id, ".work")
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def discard_scratch(public_id: str) -> None:
    """Remove what the job read and its scratch directory, once it ran."""
    delete_input(public_id)
    shutil.rmtree(_path(public_id, ".work"), ignore_errors=True)


def delete(public_id: str) -> None:
    """Remove every file of the job (result, input, part, scratch); missing ones are fine."""
    store = _store()
    if store is not None:
        for suffix in ("", ".input"):
            store.delete(_key(public_id, suffix))
    for suffix in ("", ".input", ".part"):
        try:
            os.unlink(_path(public_id, suffix))
        except FileNotFoundError:
            pass
    shutil.rmtree(_path(public_id, ".work"), ignore_errors=True)


def orphans(known: set[str], min_age: float = 3600) -> list[str]:
    """Ids of files (in the directory, and in the object store when used) whose job is not in ``known`` (a job row
    deleted without its files), older than ``min_age`` seconds (a job created after ``known`` was read is never
    taken for one)."""
    found = []
    cutoff = time.time() - min_age
    with os.scandir(files_dir()) as entries:
        for entry in entries:
            stem = entry.name.split(".", 1)[0]
            try:
                old = entry.stat(follow_symlinks=False).st_mtime < cutoff
            except FileNotFoundError:
                continue
            if _SAFE_ID.match(stem) and stem not in known and old:
                found.append(stem)
    store = _store()
    if store is not None:
        for key, modified in store.list(PREFIX):
            stem = key[len(PREFIX):].split(".", 1)[0]
            if _SAFE_ID.match(stem) and stem not in known and modified < cutoff:
                found.append(stem)
    return sorted(set(found))

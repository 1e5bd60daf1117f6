"""The files of background jobs, by job id: the one module that touches them (``save_path``, ``open_file``,
``delete``, ``save_input``, ``work_dir``), so they can move to another store (services/storage.py) in one place.

Files live under ``JOB_FILES_DIR`` (default ``<instance>/job_files``; with workers on several hosts, a volume they
all mount), mode 0700, named by the job's public id: ``<id>`` the result, ``<id>.input`` what the job reads (an
uploaded workbook to import), ``<id>.part`` a result being written (renamed when complete, so a half-written file
is never served), ``<id>.work/`` its scratch directory. They hold names and complete ID numbers: never the shared system temp directory.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from typing import BinaryIO, Iterator, Optional

from flask import current_app

_SAFE_ID = re.compile(r"^[0-9a-f]{32}$")


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
    """The written ``.part`` file becomes the job's result; returns its size in bytes."""
    part, final = part_path(public_id), _path(public_id)
    os.replace(part, final)
    return final.stat().st_size


def save_bytes(public_id: str, content: bytes) -> int:
    """Store ``content`` as the job's result; returns its size."""
    with open(part_path(public_id), "wb") as fh:
        fh.write(content)
    return commit(public_id)


def save_input(public_id: str, content: bytes) -> None:
    """Keep what the job will read (e.g. the uploaded workbook of an import confirmation)."""
    with open(_path(public_id, ".input"), "wb") as fh:
        fh.write(content)


def read_input(public_id: str) -> Optional[bytes]:
    try:
        return _path(public_id, ".input").read_bytes()
    except FileNotFoundError:
        return None


def delete_input(public_id: str) -> None:
    """Remove what the job read, once it ran."""
    try:
        os.unlink(_path(public_id, ".input"))
    except FileNotFoundError:
        pass


def exists(public_id: str) -> bool:
    return _path(public_id).is_file()


def open_file(public_id: str) -> BinaryIO:
    """The job's result, opened for reading. :raises FileNotFoundError: none (deleted, or never made)."""
    return open(_path(public_id), "rb")


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
    for suffix in ("", ".input", ".part"):
        try:
            os.unlink(_path(public_id, suffix))
        except FileNotFoundError:
            pass
    shutil.rmtree(_path(public_id, ".work"), ignore_errors=True)


def orphans(known: set[str], min_age: float = 3600) -> list[str]:
    """Ids of files in the directory whose job is not in ``known`` (a job row deleted without its files), older
    than ``min_age`` seconds (a job created after ``known`` was read is never taken for one)."""
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
    return sorted(set(found))

"""导出学员名单 (manual §3.2.1.3, §3.2.2.3): the trainees of 单位培训人员查询 as an xlsx workbook, ID numbers complete.

The export streams the query's SELECT (``queries.trainees.trainee_select``; ``yield_per``, a server-side cursor on
PostgreSQL) into xlsxwriter in ``constant_memory`` mode, so memory stays flat whatever the number of rows
(DESIGN §9); every text that starts with = + - @ (or a tab / carriage return) is prefixed with ' so a spreadsheet
never evaluates it as a formula.

The workbook and xlsxwriter's own row files hold names and complete ID numbers in plain text: they are written
under ``<instance>/tmp/exports/`` (a directory of the app only, mode 0700), never the shared system temp
directory, and ``remove_stale_exports`` (called by ``create_app``) deletes what a killed process left there.
"""
from __future__ import annotations

import logging
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import xlsxwriter
from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from models.enums import ApprenticeshipType, Education, FilingStatus, Gender, Programme, TraineeStatus
from actions.fields import DATE_T, ID_T, INT_T
from core.cells import neutralise
from actions.specs import TRAINEE
from models.scope import Actor
from queries.trainees import TraineeFilters, occupation_text, trainee_select

log = logging.getLogger(__name__)

#: Leftover export files older than this (seconds) are deleted at start-up: no export runs for an hour.
STALE_EXPORT_SECONDS = 3600


def export_dir(app: Optional[Flask] = None) -> Path:
    """``<instance>/tmp/exports``: where export workbooks and xlsxwriter's temp files are written (created 0700)."""
    app = app or current_app
    path = Path(app.config.get("EXPORT_TMP_DIR") or Path(app.instance_path, "tmp", "exports"))
    for directory in (path.parent, path):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)
    return path


def remove_stale_exports(app: Flask, max_age: float = STALE_EXPORT_SECONDS) -> int:
    """Delete files in ``export_dir`` older than ``max_age`` seconds (left by a killed export); returns how many."""
    removed = 0
    cutoff = time.time() - max_age
    directory = export_dir(app)
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                continue  # removed meanwhile (another worker starting)
    if removed:
        log.info("Removed %d leftover export file(s) from %s", removed, directory)
    return removed




#: 人员状态 of an active trainee whose filing is not (or no longer) in training: a draft, under review, cancelled.
NOT_IN_TRAINING = _l("备案未生效")
S, D, N = "s", "d", "n"  # cell kinds: text, date, number
_KIND = {DATE_T: D, INT_T: N}


def _person_columns() -> tuple:
    """The trainee's own columns, from its field spec (actions/specs.py), with the derived 出生日期 after 性别."""
    columns = []
    for f in TRAINEE.export_columns():
        columns.append((f.export_title, f.width if f.type != ID_T else 21, _KIND.get(f.type, S)))
        if f.name == "gender":
            columns.append(("出生日期", 12, D))
    return tuple(columns)


EXPORT_COLUMNS = _person_columns() + (
    ("人员状态", 9, S), ("流失原因", 20, S), ("流失日期", 12, D), ("备案编号", 20, S),
    ("培训项目", 30, S), ("学徒制培训类型", 14, S), ("备案状态", 12, S), ("职业（工种）", 26, S), ("培训等级", 14, S),
    ("培训开始日期", 12, D), ("培训结束日期", 12, D),
)


def _labels(codeset) -> dict[str, str]:
    with force_locale("zh"):
        return {code: str(label) for code, label in codeset.LABELS.items()}


class ExportConverter:
    """Turns a query row into the cell values of EXPORT_COLUMNS (labels in Chinese, texts neutralised)."""

    def __init__(self):
        self.gender = _labels(Gender)
        self.education = _labels(Education)
        self.status = _labels(TraineeStatus)
        self.programme = _labels(Programme)
        self.type = _labels(ApprenticeshipType)
        self.filing_status = _labels(FilingStatus)
        with force_locale("zh"):
            self.not_yet = str(NOT_IN_TRAINING)

    def __call__(self, row: Any) -> tuple:
        (_id, name, id_number, gender, birth, phone, education, c_start, c_end, hire, status, lost_reason, lost_date,
         _filing_id, filing_no, programme, a_type, f_status, in_training, class_start, class_end, class_count,
         occ_code, occ_name, level) = row
        return (
            neutralise(name or ""), neutralise(id_number or ""), self.gender.get(gender, ""), birth,
            neutralise(phone or ""), self.education.get(education, education or ""), c_start, c_end, hire,
            self.status.get(status, status) if status != TraineeStatus.ACTIVE or in_training else self.not_yet,
            neutralise(lost_reason or ""), lost_date, filing_no or "",
            self.programme.get(programme, programme), self.type.get(a_type, a_type),
            self.filing_status.get(f_status, f_status), neutralise(occupation_text(occ_code, occ_name, class_count)),
            level or "", class_start, class_end,
        )


def open_export_workbook(path: str, tmpdir: Optional[str] = None):
    """An xlsxwriter workbook in constant_memory mode (rows go to a temp file as written) and its sheet.

    ``tmpdir`` (where those row files go): ``export_dir()`` in an app context, else the system temp directory.
    """
    if tmpdir is None:
        tmpdir = str(export_dir()) if has_app_context() else tempfile.gettempdir()
    book = xlsxwriter.Workbook(path, {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,  # a text is never written as a formula
        "strings_to_urls": False,
        "tmpdir": tmpdir,
    })
    book.set_properties({"title": "单位培训人员名单", "author": "学徒制培训备案与补贴申领系统"})
    sheet = book.add_worksheet("培训人员名单")
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                              "valign": "vcenter", "align": "center"})
    text = book.add_format({"num_format": "@"})
    day = book.add_format({"num_format": "yyyy-mm-dd", "align": "left"})
    formats = []
    for ci, (title, width, kind) in enumerate(EXPORT_COLUMNS):
        fmt = day if kind == D else text
        sheet.set_column(ci, ci, width, fmt)
        formats.append(fmt)
    sheet.set_row(0, 30)
    for ci, (title, _width, _kind) in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, ci, title, header)
    sheet.freeze_panes(1, 0)
    return book, sheet, formats


def write_rows(sheet, formats: list, rows: Iterable[tuple]) -> int:
    """Write cell values row after row (typed writes: text stays text, dates are dates). Returns the count."""
    writers = []
    for ci, (_title, _width, kind) in enumerate(EXPORT_COLUMNS):
        if kind == D:
            writers.append((ci, sheet.write_datetime, formats[ci]))
        elif kind == N:
            writers.append((ci, sheet.write_number, formats[ci]))
        else:
            writers.append((ci, sheet.write_string, formats[ci]))
    count = 0
    for count, values in enumerate(rows, start=1):
        for (ci, write, fmt), value in zip(writers, values):
            if value is None or value == "":
                continue
            write(count, ci, value, fmt)
    return count


def export_trainees(session: Session, actor: Actor, filters: TraineeFilters, *, batch: int = 2000) -> tuple[str, int]:
    """Write the trainees matching ``filters`` to a temporary .xlsx file in ``export_dir()``; returns (path, row
    count).

    Rows are streamed from the database (``yield_per``) into xlsxwriter's constant-memory writer. The caller
    streams the file to the client and removes it (``stream_and_remove``).
    """
    directory = export_dir()
    handle, path = tempfile.mkstemp(prefix="trainees-", suffix=".xlsx", dir=directory)
    os.close(handle)
    try:
        count = write_export(session, actor, filters, path, batch=batch)
    except BaseException:
        os.unlink(path)
        raise
    return path, count


def write_export(session: Session, actor: Actor, filters: TraineeFilters, path: str, *, batch: int = 2000,
                 on_rows: Optional[Callable[[int], None]] = None, tmpdir: Optional[str] = None) -> int:
    """Write the workbook of the trainees matching ``filters`` to ``path``; returns the row count. ``on_rows(n)`` is
    called after every ``batch`` rows (the background export's progress); ``tmpdir``: where xlsxwriter's row files
    go (default ``export_dir()``). Memory stays flat: rows are streamed (``yield_per``: a server-side cursor on
    PostgreSQL) into xlsxwriter's constant-memory writer."""
    book, sheet, formats = open_export_workbook(path, tmpdir or (str(export_dir()) if has_app_context() else None))
    convert = ExportConverter()
    result = session.execute(trainee_select(actor, filters), execution_options={"yield_per": batch})

    def rows() -> Iterator[tuple]:
        for n, row in enumerate(result, start=1):
            yield convert(row)
            if on_rows is not None and n % batch == 0:
                on_rows(n)

    count = write_rows(sheet, formats, rows())
    if count:
        sheet.autofilter(0, 0, count, len(EXPORT_COLUMNS) - 1)
    book.close()
    return count


def stream_and_remove(path: str, chunk_size: int = 256 * 1024) -> Iterator[bytes]:
    """Yield a file in chunks, then delete it (also when the client goes away)."""
    try:
        with open(path, "rb") as fh:
            while True:
                chunk = fh.read(chunk_size)
                if not chunk:
                    break
                yield chunk
    finally:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def export_file_name(today: date) -> str:
    return f"单位培训人员名单_{today:%Y%m%d}.xlsx"

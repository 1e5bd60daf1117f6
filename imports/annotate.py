"""下载错误标注文件: the user's own workbook with every bad cell highlighted (and a note on it) and a 错误说明
column at the end of each row with errors, so the user fixes the file where they typed it and imports it again
(the 错误说明 column is ignored on re-import, and old highlights are cleared on the next annotation).

openpyxl keeps the user's sheets, dropdowns and formats. When openpyxl cannot open a file that calamine could
read, the annotation is written into a fresh workbook holding the same rows.
"""
from __future__ import annotations

import io
from collections import defaultdict
from typing import Iterable, Optional

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from core.errors import FieldError
from core.cells import neutralise
from imports.reader import ParsedSheet, column_letter
from imports.specs import ERROR_HEADER

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
ERROR_FONT = Font(color="9C0006")
HEADER_FONT = Font(bold=True, color="C00000")
NOTE_AUTHOR = "导入检查"
#: Cell notes beyond this many are left out (the 错误说明 column still lists every error).
MAX_NOTES = 2000


def _messages_by_row(errors: Iterable[FieldError]) -> dict[int, list[FieldError]]:
    grouped: dict[int, list[FieldError]] = defaultdict(list)
    for error in errors:
        if error.row:
            grouped[error.row].append(error)
    return grouped


def _describe(error: FieldError) -> str:
    column = f"【{error.column}】" if error.column else ""
    return f"{column}{error.message}"


def annotate(content: bytes, parsed: ParsedSheet, errors: list[FieldError]) -> bytes:
    """The uploaded workbook with ``errors`` marked on the sheet ``parsed`` was read from."""
    try:
        book = load_workbook(io.BytesIO(content), keep_vba=False, keep_links=False, rich_text=False)
        sheet = book[parsed.sheet]
    except Exception:  # noqa: BLE001 - any file openpyxl cannot round-trip: rebuild from the parsed rows
        book, sheet = _rebuild(parsed)
    _mark(sheet, parsed, errors)
    book.active = book.sheetnames.index(sheet.title)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rebuild(parsed: ParsedSheet):
    book = Workbook()
    sheet = book.active
    sheet.title = parsed.sheet[:31]
    for key, ci in parsed.columns.items():
        sheet.cell(row=parsed.header_row, column=ci + 1, value=neutralise(parsed.found_headers.get(key)))
    for row in parsed.rows:
        for ci, value in enumerate(row.cells):
            if value != "":
                sheet.cell(row=row.number, column=ci + 1, value=neutralise(value))  # a typed "=…" stays text
    return book, sheet


def _mark(sheet, parsed: ParsedSheet, errors: list[FieldError]) -> None:
    header_row = parsed.header_row
    error_col = parsed.error_column
    if error_col is None:
        # Right after the last column holding a header or data (never over the user's own cells).
        last = max((cell.column for cell in sheet[header_row] if cell.value not in (None, "")), default=0)
        error_col = max(last, parsed.width)
    col_number = error_col + 1  # 1-based
    _clear_previous(sheet, header_row, col_number)

    header = sheet.cell(row=header_row, column=col_number, value=ERROR_HEADER)
    header.font = HEADER_FONT
    header.fill = ERROR_FILL
    sheet.column_dimensions[column_letter(error_col)].width = 60

    notes = 0
    for number, row_errors in sorted(_messages_by_row(errors).items()):
        if number <= header_row:
            continue
        text = "；".join(_describe(e) for e in row_errors)
        cell = sheet.cell(row=number, column=col_number, value=neutralise(text))
        cell.font = ERROR_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        cell.number_format = "@"
        for error in row_errors:
            ci = _column_index(parsed, error)
            if ci is None:
                continue
            target = sheet.cell(row=number, column=ci + 1)
            target.fill = ERROR_FILL
            if notes < MAX_NOTES:
                target.comment = Comment(str(error.message), NOTE_AUTHOR, width=260, height=90)
                notes += 1
    # Header-level errors (row = header row) mark the header cell.
    for error in errors:
        if error.row == header_row:
            ci = _column_index(parsed, error)
            if ci is not None:
                sheet.cell(row=header_row, column=ci + 1).fill = ERROR_FILL
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1).coordinate


def _column_index(parsed: ParsedSheet, error: FieldError) -> Optional[int]:
    if error.field in parsed.columns:
        return parsed.columns[error.field]
    if error.column and error.column.isascii() and error.column.isalpha():
        index = 0
        for ch in error.column.upper():
            index = index * 26 + ord(ch) - 64
        return index - 1
    return None


def _clear_previous(sheet, header_row: int, error_col: int) -> None:
    """Undo an earlier annotation of this file (fills, notes and 错误说明 texts we wrote)."""
    for row in sheet.iter_rows(min_row=header_row + 1, max_row=sheet.max_row):
        for cell in row:
            if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb in ("00FFC7CE",
                                                                                                   "FFFFC7CE"):
                cell.fill = PatternFill(fill_type=None)
            if cell.comment is not None and cell.comment.author == NOTE_AUTHOR:
                cell.comment = None
            if cell.column == error_col and cell.value is not None:
                cell.value = None
                cell.font = Font()


def error_file_name(file_name: Optional[str]) -> str:
    base = (file_name or "导入文件").rsplit(".", 1)[0] or "导入文件"
    return f"{base}_错误标注.xlsx"


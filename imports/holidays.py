"""The 工作日历 year file (R19): the State Council's holiday schedule of one year as the admin types it — one row
per day off (放假) or 调休 working day (调休上班) — its columns and an empty template to fill in."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from imports.specs import DATE, TEXT, Column

COLUMNS = [
    Column("date", "日期", DATE, True, None, "日期，如 2027-01-01（也可写 2027/1/1 或 2027年1月1日）", "2027-01-01", 14,
           ("日期（年月日）",)),
    Column("kind", "类型", TEXT, True, None, "放假 或 调休上班", "放假", 12, ("安排", "类别")),
    Column("note", "备注", TEXT, False, None, "如 元旦、春节调休（最多128字）", "元旦", 24, ("说明", "节日")),
]
SHEET = "工作日历"


def template_bytes(year: int) -> bytes:
    """An .xlsx with the header row, an example row of ``year`` and a sheet of instructions."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=("*" if column.required else "") + column.header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = column.width
    sheet.append([f"{year}-01-01", "放假", "元旦"])
    guide = book.create_sheet("填写说明")
    guide.append(["每行一天：放假日填“放假”，调休上班日（周末上班）填“调休上班”；未列出的日期按周一至周五计算。"])
    guide.append(["一个文件只填一个年度；导入后替换该年度已有的全部安排。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()

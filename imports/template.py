"""下载模板: the import template of one kind for one filing (openpyxl).

The data sheet has the Chinese headers (required ones marked ``*`` in red), the header row frozen, every
enumerated column a dropdown filled from the lookup tables (lists on a hidden 选项 sheet, so long lists such
as the 国家职业分类大典 fit), ID-number / phone / text columns formatted as text (so Excel never turns an ID into
4.40106E+17), date columns formatted as dates, input prompts on every column and a 填写说明 sheet explaining each
column and the rules of the import.
"""
from __future__ import annotations

import io
from typing import Any, Optional

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from core.clock import today
from core.cells import neutralise
from imports.reader import column_letter
from imports.specs import CHOICE, DATE, ID, INT, PHONE, TEXT, KIND_LABELS, Column, build_choices
from models.enums import ApprenticeshipType, Programme

HEADER_FONT = Font(name="宋体", bold=True, size=11)
REQUIRED_FONT = Font(name="宋体", bold=True, size=11, color="C00000")
REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
OPTIONAL_FILL = PatternFill("solid", fgColor="DDEBF7")
THIN = Side(style="thin", color="A6A6A6")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
NUMBER_FORMATS = {TEXT: "@", ID: "@", PHONE: "@", CHOICE: "@", DATE: "yyyy-mm-dd", INT: "0"}
OPTIONS_SHEET = "选项"
APP_NAME = "学徒制培训备案与补贴申领系统"


def template_file_name(kind: str) -> str:
    return f"{KIND_LABELS[kind]}导入模板.xlsx"


def _kind_rules(kind: str, filing: Any) -> list[str]:
    t = filing.apprenticeship_type
    if kind == "trainee":
        rules = ["同一身份证号码在本文件中只能出现一次，也不能是本备案已有的培训人员。",
                 "同一人同一时间只能参加一个在训的学徒制培训备案（全省范围，培训期间重叠即冲突）。",
                 "性别、出生日期按身份证号码自动识别；填写性别时须与身份证号码一致。"]
        if t == ApprenticeshipType.NEW_APPRENTICE:
            rules.append("企业新型学徒制：劳动合同开始日期、结束日期和入职日期必填，劳动合同期限不少于1年。")
        return rules
    if kind == "teacher":
        return ["同一身份证号码在本文件中只能出现一次，也不能是本备案已有的导师。"]
    if kind == "training_class":
        rules = ["培训结束日期不能早于培训开始日期。"]
        if t == ApprenticeshipType.STUDENT:
            rules.append("学生学徒制一次备案只允许一条培训信息：本文件只能填写一行，且本备案尚未填写培训信息。")
        if t == ApprenticeshipType.NEW_APPRENTICE:
            rules.append("企业新型学徒制：培训等级为四级/中级工及以上；培训期限1至2年，最长3年，超过2年须填写延长原因。")
        return rules
    return ["授课方式为“线下培训”时，授课教师必填。",
            "培训课程的培训日期、时间和培训场地在备案通过后，于“备案变更申请”中配置（开班日期一天前），本模板不填写。",
            "培训班和授课教师须先在系统中填写（培训信息、培训师资信息），模板下拉列表为下载时本备案已有的内容。"]


def build_template(session: Session, filing: Any, kind: str, columns: list[Column], *, max_rows: int = 10000,
                   title: Optional[str] = None, subtitle: Optional[str] = None,
                   rules: Optional[list[str]] = None, choices: Optional[dict[str, Any]] = None) -> bytes:
    """The .xlsx template of ``kind`` for ``filing`` with ``columns`` (from the entity's field spec) as bytes.

    ``title`` (the data sheet's name), ``subtitle`` and ``rules`` (the 填写说明's second line and kind rules) serve
    imports that are not a filing's child kinds (e.g. a subsidy claim's 人员信息, actions/subsidies/person_import.py;
    the registry imports, imports/registry.py, with ``filing`` None); ``choices`` (source → ``Choices``) replaces a
    dropdown's list (a city reviewer's template offers its own city only).
    """
    title = title or KIND_LABELS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = title
    options = book.create_sheet(OPTIONS_SHEET)
    guide = book.create_sheet("填写说明", 1)
    last_row = max_rows + 1

    option_col = 0
    lists: dict[str, tuple[str, int]] = {}
    for col in columns:
        if col.type != CHOICE or col.source in lists:
            continue
        labels = (choices or {}).get(col.source) or build_choices(session, filing, col.source)
        labels = labels.labels
        letter = column_letter(option_col)
        options.cell(row=1, column=option_col + 1, value=f"选项：{col.header}").font = HEADER_FONT
        for i, label in enumerate(labels, start=2):
            # labels come from data (teacher names, occupations): never a formula
            options.cell(row=i, column=option_col + 1, value=neutralise(label)).number_format = "@"
        options.column_dimensions[letter].width = max(16, min(60, max((len(x) for x in labels), default=8) * 2))
        lists[col.source] = (letter, len(labels))
        option_col += 1
    options.sheet_state = "hidden"
    options.protection.sheet = True

    for ci, col in enumerate(columns):
        letter = column_letter(ci)
        cell = sheet.cell(row=1, column=ci + 1, value=("*" if col.required else "") + col.header)
        cell.font = REQUIRED_FONT if col.required else HEADER_FONT
        cell.fill = REQUIRED_FILL if col.required else OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = BORDER
        dimension = sheet.column_dimensions[letter]
        dimension.width = col.width
        dimension.number_format = NUMBER_FORMATS[col.type]
        if col.type == DATE:
            dimension.alignment = Alignment(horizontal="left")
        area = f"{letter}2:{letter}{last_row}"
        validation = _validation(col, lists)
        prompt = col.help + ("" if not col.required else "（必填）")
        if col.required_note:
            prompt += f"（{col.required_note}）"
        if validation is None:
            validation = DataValidation(allow_blank=True)
        validation.showInputMessage = True
        validation.promptTitle = col.header[:32]
        validation.prompt = prompt[:250]
        validation.add(area)
        sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = 30
    sheet.freeze_panes = "A2"
    _print_setup(sheet, landscape=True)

    _guide(guide, filing, kind, columns, lists, max_rows, title=title, subtitle=subtitle, rules=rules)
    book.active = 0
    book.properties.creator = APP_NAME
    book.properties.title = f"{title}导入模板"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validation(col: Column, lists: dict[str, tuple[str, int]]) -> DataValidation | None:
    if col.type == CHOICE:
        letter, count = lists[col.source]
        if count == 0:
            return None
        # Classes and teachers may also be typed (occupation code, teacher name or ID number), a city by its
        # code (4401): warn only.
        strict = col.source not in ("class", "teacher", "occupation", "city")
        return DataValidation(type="list", formula1=f"'{OPTIONS_SHEET}'!${letter}$2:${letter}${count + 1}",
                              allow_blank=True, showErrorMessage=True, errorStyle="stop" if strict else "warning",
                              errorTitle=col.header[:32], error="请从下拉列表中选择")
    if col.type == ID:
        return DataValidation(type="textLength", operator="equal", formula1="18", allow_blank=True,
                              showErrorMessage=True, errorStyle="stop", errorTitle=col.header[:32],
                              error="身份证号码应为18位（本列为文本格式，请勿改为数字）")
    if col.type == DATE:
        return DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                              formula2="DATE(2100,12,31)", allow_blank=True, showErrorMessage=True,
                              errorStyle="warning", errorTitle=col.header[:32], error="请输入日期，如 2026-03-01")
    if col.type == INT:
        return DataValidation(type="whole", operator="greaterThanOrEqual", formula1="1", allow_blank=True,
                              showErrorMessage=True, errorStyle="stop", errorTitle=col.header[:32],
                              error="请输入正整数")
    return None


def _guide(sheet, filing: Any, kind: str, columns: list[Column], lists: dict, max_rows: int, *, title: str,
           subtitle: Optional[str] = None, rules: Optional[list[str]] = None) -> None:
    sheet["A1"] = f"{title}导入模板 · 填写说明"
    sheet["A1"].font = Font(name="宋体", bold=True, size=14)
    if subtitle is None:
        subtitle = f"备案：{Programme.label(filing.programme)} · {ApprenticeshipType.label(filing.apprenticeship_type)}"
    sheet["A2"] = f"{subtitle} · 模板生成日期 {today():%Y-%m-%d}"
    kind_rules = rules if rules is not None else _kind_rules(kind, filing)
    rules = [
        f"请在“{title}”工作表第2行起逐行填写，一行一条记录；不要修改或删除第1行表头（列的顺序可以调整，"
        "可以增加“序号”“备注”列）。",
        "表头带 * 的列为必填列。",
        "有下拉箭头的列请从下拉列表中选择。",
        "身份证号码、联系电话等列已设置为文本格式，请勿改为数字或常规格式，否则身份证号码会变成 4.40106E+17 并丢失"
        "后几位；从其他表格复制时请使用“选择性粘贴→数值”。",
        "日期请填写为 2026-03-01（也可以写 2026/3/1 或 2026年3月1日）。",
        f"单次最多导入 {max_rows} 行，超过请拆分为多个文件分批导入。",
        "导入时系统逐行检查全部数据：只要有一处错误，整个文件都不会导入。页面会列出每一处错误（工作表、行、列、值和原因），"
        "并可下载“错误标注文件”——在您的原文件中标出错误单元格，并在最后增加“错误说明”列；修改后可直接重新导入。",
        "请不要隐藏数据工作表，不要合并单元格，不要使用没有计算结果的公式。",
        *kind_rules,
    ]
    row = 4
    sheet.cell(row=row, column=1, value="一、填写规则").font = HEADER_FONT
    for i, text in enumerate(rules, start=1):
        row += 1
        sheet.cell(row=row, column=1, value=f"{i}. {text}").alignment = Alignment(wrap_text=True, vertical="top")
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=4)
        sheet.row_dimensions[row].height = 32 if len(text) > 60 else 18
    row += 2
    sheet.cell(row=row, column=1, value="二、各列说明").font = HEADER_FONT
    row += 1
    for ci, text in enumerate(("列名", "是否必填", "填写要求", "示例")):
        cell = sheet.cell(row=row, column=ci + 1, value=text)
        cell.font = HEADER_FONT
        cell.fill = OPTIONAL_FILL
        cell.border = BORDER
    for col in columns:
        row += 1
        need = "必填" if col.required else (col.required_note or "选填")
        help_text = col.help
        if col.type == CHOICE and lists.get(col.source, ("", 0))[1] == 0:
            help_text += "（本备案暂无可选项，请先在系统中填写后重新下载模板）"
        values = (col.header, need, help_text, col.example)
        for ci, value in enumerate(values):
            cell = sheet.cell(row=row, column=ci + 1, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = BORDER
            cell.number_format = "@"
        sheet.row_dimensions[row].height = 32 if len(help_text) > 30 else 18
    for letter, width in zip("ABCD", (22, 16, 70, 24)):
        sheet.column_dimensions[letter].width = width
    _print_setup(sheet, landscape=False)


def _print_setup(sheet, landscape: bool) -> None:
    """A4, fitted to the page width (the 填写说明 prints on one page wide)."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0

"""Reading an uploaded import file: refuse what is not a safe xlsx, parse it with python-calamine, find the
header row by names and turn each data row into the raw dict of values a form would send.

Order of checks (each gives one clear Chinese message and nothing is parsed after a refusal):

1. bytes: empty / too large; an OLE compound file is either an encrypted OOXML workbook (it holds an
   ``EncryptionInfo`` stream: "password-protected") or a legacy .xls ("save as .xlsx"); anything that is not
   a zip is "not an Excel workbook" (a renamed .txt or .csv);
2. the zip: a decompression bomb is refused by size *before* parsing — declared sizes, compression ratios,
   and every entry inflated with a cap (so a header that lies about its size is caught too); a zip without
   ``xl/workbook.xml`` (.docx, .ods, .xlsb) is refused by name (steps 1–2: ``imports.container``);
3. calamine: the first visible worksheet with a header row (hidden sheets are ignored, but a hidden data
   sheet is named), the header row found by names within the first rows (title rows above it are fine), the
   columns mapped by name (reordered headers simply work; missing required and unknown columns are named);
4. cells: Excel dates and texts (yyyy-mm-dd, yyyy/m/d, yyyy年m月d日) for dates, Excel serial numbers in date
   columns, numbers in text columns (an ID number stored as a number has lost digits: the user is told to
   format the column as text), formulas read through their cached values (a formula without one, or an error
   value such as #N/A, is reported), merged cells in the data area reported. Full-width characters and stray
   blanks are normalised by the cleaners (``core.validators.normalize_text``). Sheet XML that Python's parser
   refuses (an undefined entity) makes the file "damaged" (422); lower-case cell references (``a1``) are read.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Optional
from xml.etree import ElementTree

import python_calamine
from flask_babel import lazy_gettext as _l

from core.errors import FieldError, ValidationFailed
from imports.container import check_container
from imports.container import corrupt_message as _corrupt
from imports.container import refuse_file as _refuse
from imports.specs import CHOICE, DATE, ERROR_HEADER, ID, IGNORED_HEADERS, INT, PHONE, TEXT, Column, header_key

HEADER_SEARCH_ROWS = 10
EXCEL_EPOCH = date(1899, 12, 30)
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_CELL_REF = re.compile(r"([A-Za-z]{1,3})([0-9]{1,7})")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class ImportRow:
    """One data row: its Excel row number, the values by data key, and problems found while reading it."""

    number: int
    values: dict[str, Any]
    cells: list = field(repr=False, default_factory=list)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def error_keys(self) -> set[str]:
        return {e.field for e in self.errors if e.field}


@dataclass
class ParsedSheet:
    """The data sheet of an upload, mapped onto the kind's columns."""

    sheet: str
    header_row: int  # Excel row number of the header
    columns: dict[str, int]  # data key -> 0-based column index
    found_headers: dict[str, str]  # data key -> header as written in the file
    specs: dict[str, Column]
    rows: list[ImportRow]
    width: int
    error_column: Optional[int] = None  # an existing 错误说明 column (re-uploaded annotated file)
    ignored_sheets: list[str] = field(default_factory=list)

    def header_of(self, key: Optional[str]) -> Optional[str]:
        if key in self.specs:
            return self.specs[key].header
        return None

    def letter_of(self, key: Optional[str]) -> Optional[str]:
        if key in self.columns:
            return column_letter(self.columns[key])
        return None

    def shown(self, row: ImportRow, key: Optional[str]) -> Any:
        """The value of ``key`` in ``row`` as the user typed it (for error lists)."""
        if key not in self.columns or not row.cells:
            return None
        return shown_value(row.cells[self.columns[key]])


def shown_value(value: Any) -> Any:
    """A cell value as Excel would display it in a General cell (4.40106E+17 for a long number)."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e11:
            return str(int(value))
        if abs(value) >= 1e11:
            return f"{value:.5E}"  # as Excel shows it in a General cell: 4.40106E+17
        return repr(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.strftime("%Y-%m-%d")
    return str(value)




# ---------------------------------------------------------------------------------------------------------
# 3. Sheets and headers
# ---------------------------------------------------------------------------------------------------------


def _header_index(columns: list[Column]) -> dict[str, str]:
    index: dict[str, str] = {}
    for col in columns:
        for text in (col.header, *col.aliases):
            index.setdefault(header_key(text), col.key)
    for text in IGNORED_HEADERS:
        index.setdefault(header_key(text), "")
    return index


def _find_header(rows: list[list], index: dict[str, str]) -> tuple[int, int]:
    """(row index, number of recognised data headers) of the best header row among the first rows."""
    best, best_count = -1, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = sum(1 for cell in row if isinstance(cell, str) and index.get(header_key(cell)))
        if count > best_count:
            best, best_count = i, count
    return best, best_count


def _sheet_paths(content: bytes) -> dict[str, str]:
    """Sheet name → zip path of its XML (for the formula / error-value scan)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[rel.get("Id")] = target
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    out = {}
    for sheet in book.iter(f"{_NS}sheet"):
        rid = sheet.get(f"{_REL_NS}id")
        if rid in targets:
            out[sheet.get("name")] = targets[rid]
    return out


def _sheet_path(content: bytes, sheet_name: str, file_name: str) -> Optional[str]:
    """The zip path of ``sheet_name``; a workbook whose XML Python's parser refuses is damaged (422, not 500)."""
    try:
        return _sheet_paths(content).get(sheet_name)
    except (ElementTree.ParseError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        raise _refuse(_corrupt(file_name)) from None


def _formula_problems(content: bytes, path: str) -> dict[tuple[int, int], str]:
    """Cells (row, col; 0-based) holding a formula without a cached value ("formula") or an error ("#N/A").

    :raises ElementTree.ParseError: the sheet XML is not well-formed (e.g. an undefined entity ``&foo;``).
    """
    problems: dict[tuple[int, int], str] = {}
    with zipfile.ZipFile(io.BytesIO(content)).open(path) as fh:
        for _event, elem in ElementTree.iterparse(fh):
            if elem.tag != f"{_NS}c":
                continue
            where = _ref_to_index(elem.get("r") or "")
            formula = elem.find(f"{_NS}f")
            value = elem.find(f"{_NS}v")
            text = value.text if value is not None else None
            if where is not None and elem.get("t") == "e":
                problems[where] = text or "#ERROR"
            elif where is not None and formula is not None and not text and elem.get("t") != "inlineStr":
                problems[where] = "formula"
            elem.clear()
    return problems


def _ref_to_index(ref: str) -> Optional[tuple[int, int]]:
    """``"B3"`` (or ``"b3"``, as some generators write it) → (2, 1); None for anything that is not a cell reference."""
    match = _CELL_REF.fullmatch(ref.strip())
    if not match:
        return None
    letters, digits = match.groups()
    col = 0
    for ch in letters.upper():
        col = col * 26 + (ord(ch) - 64)
    return int(digits) - 1, col - 1


def _cell_problems(content: bytes, path: str, file_name: str) -> dict[tuple[int, int], str]:
    """``_formula_problems`` of a sheet whose XML calamine read but Python's parser refuses: the file is damaged."""
    try:
        return _formula_problems(content, path)
    except (ElementTree.ParseError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        raise _refuse(_corrupt(file_name)) from None


# ---------------------------------------------------------------------------------------------------------
# 4. Cells
# ---------------------------------------------------------------------------------------------------------


def _number_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _convert(col: Column, value: Any) -> tuple[Any, Any]:
    """A non-text cell value converted for ``col``: ``(value, None)`` or ``(None, error message)``."""
    kind = col.type
    if isinstance(value, bool):
        value = "是" if value else "否"
        return value, None
    if kind == DATE:
        if isinstance(value, datetime):
            return value.date(), None
        if isinstance(value, date):
            return value, None
        if isinstance(value, (int, float)) and 1 <= value < 2958466:
            # A date typed into a cell formatted as a number: an Excel serial day number.
            return EXCEL_EPOCH + timedelta(days=int(value)), None
        return None, _l("%(label)s应为日期（如 2026-03-01）", label=col.header)
    if isinstance(value, (datetime, date)):
        if kind in (TEXT, CHOICE, INT):
            return shown_value(value), None
        return None, _l("%(label)s不应是日期，请将该列设置为“文本”格式后重新输入", label=col.header)
    if not isinstance(value, (int, float)):
        return str(value), None  # time of day, duration: let the cleaner judge the text
    if kind == ID:
        return None, _l("身份证号码被 Excel 存成了数字（显示为 %(shown)s），后几位已丢失。请将该列单元格格式设置为"
                        "“文本”后重新输入身份证号码", shown=shown_value(float(value)))
    if kind == PHONE:
        text = _number_text(float(value))
        if not text.startswith("1"):
            # A landline typed as a number has lost its leading 0 (020… → 20…).
            return None, _l("联系电话被存成了数字，开头的 0 已丢失（显示为 %(shown)s）。请将该列单元格格式设置为"
                            "“文本”后重新输入", shown=text)
        return text, None
    if kind == INT:
        return (int(value) if float(value).is_integer() else value), None
    return _number_text(float(value)), None


# ---------------------------------------------------------------------------------------------------------
# The whole read
# ---------------------------------------------------------------------------------------------------------


def read_workbook(content: bytes, file_name: str, columns: list[Column], *, max_rows: int, max_bytes: int,
                  max_uncompressed: int, sheet_hint: Optional[str] = None,
                  min_headers: Optional[int] = None) -> ParsedSheet:
    """Check, parse and map an uploaded workbook onto ``columns``.

    A sheet's header row is the row with the most known headers, at least ``min_headers`` of them (default: 2, or
    1 for a single column); 1 suits a kind whose only required column may stand alone (a claim's 身份证号码).

    :raises ValidationFailed: the file is refused (one ``file`` error) or its headers are wrong (one error per
        missing / unknown / duplicated column, with the sheet, header row and column).
    """
    report = check_container(content, file_name, max_bytes=max_bytes, max_uncompressed=max_uncompressed)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(content))
        metadata = book.sheets_metadata
    except python_calamine.PasswordError:
        raise _refuse(_l("文件“%(name)s”设置了密码，系统无法读取。请取消密码后再导入", name=file_name)) from None
    except Exception:  # noqa: BLE001 - calamine raises several error types for damaged files
        raise _refuse(_corrupt(file_name)) from None
    index = _header_index(columns)
    needed = min_headers or min(2, len(columns))
    worksheets = [m for m in metadata if str(m.typ).endswith("WorkSheet")]
    visible = [m for m in worksheets if str(m.visible).endswith(".Visible")]
    hidden = [m for m in worksheets if m not in visible]
    if sheet_hint:
        visible.sort(key=lambda m: m.name != sheet_hint)

    def load(meta) -> tuple[Any, list[list]]:
        try:
            sheet = book.get_sheet_by_name(meta.name)  # parses the sheet: once per sheet
            return sheet, sheet.to_python(skip_empty_area=False)
        except Exception:  # noqa: BLE001
            raise _refuse(_corrupt(file_name)) from None

    chosen = None
    first_nonempty = None
    for meta in visible:
        sheet_obj, data = load(meta)
        if first_nonempty is None and any(any(c != "" for c in row) for row in data[:HEADER_SEARCH_ROWS + 50]):
            first_nonempty = (meta, data)
        header_idx, count = _find_header(data, index)
        if count >= needed:
            chosen = (meta, sheet_obj, data, header_idx)
            break
    if chosen is None:
        for meta in hidden:
            header_idx, count = _find_header(load(meta)[1], index)
            if count >= needed:
                raise _refuse(_l("导入数据所在的工作表“%(sheet)s”被隐藏了。请在 Excel 中右键工作表标签→取消隐藏，"
                                 "或把数据复制到可见的工作表后再导入", sheet=meta.name), sheet=meta.name)
        if not visible:
            raise _refuse(_l("工作簿中没有可见的工作表"))
        if first_nonempty is None:
            raise _refuse(_l("工作表“%(sheet)s”是空的，请在模板中填写数据后再导入", sheet=visible[0].name),
                          sheet=visible[0].name)
        expected = "、".join(c.header for c in columns)
        raise _refuse(_l("工作表“%(sheet)s”中找不到表头。表头（第一行）应为：%(headers)s。请使用下载的模板填写",
                         sheet=first_nonempty[0].name, headers=expected), sheet=first_nonempty[0].name)
    meta, sheet_obj, data, header_idx = chosen
    sheet_name = meta.name
    header = data[header_idx]
    width = len(header)
    specs = {c.key: c for c in columns}

    # Map the header row by names.
    problems: list[FieldError] = []
    mapped: dict[str, int] = {}
    found: dict[str, str] = {}
    error_column = None
    unknown_cols: list[int] = []
    empty_header_cols: list[int] = []
    for ci, cell in enumerate(header):
        text = shown_value(cell) if cell != "" else None
        key = index.get(header_key(text)) if text else None
        if not text:
            empty_header_cols.append(ci)
        elif key is None:
            unknown_cols.append(ci)
        elif key == "":
            if header_key(text) == header_key(ERROR_HEADER):
                error_column = ci
        elif key in mapped:
            problems.append(FieldError(key, _l("列“%(header)s”出现了两次（%(a)s列和%(b)s列），请删除其中一列",
                                               header=specs[key].header, a=column_letter(mapped[key]),
                                               b=column_letter(ci)),
                                       value=text, row=header_idx + 1, column=specs[key].header, sheet=sheet_name))
        else:
            mapped[key] = ci
            found[key] = text
    for ci in unknown_cols:
        problems.append(FieldError(None, _l("无法识别的列“%(header)s”（%(letter)s列）。请使用模板中的列名，不要修改表头；"
                                            "不需要的列请删除", header=shown_value(header[ci]),
                                            letter=column_letter(ci)),
                                   value=shown_value(header[ci]), row=header_idx + 1, column=column_letter(ci),
                                   sheet=sheet_name))
    for col in columns:
        if col.required and col.key not in mapped:
            problems.append(FieldError(col.key, _l("缺少必填列“%(header)s”，请使用下载的模板填写", header=col.header),
                                       row=header_idx + 1, column=col.header, sheet=sheet_name))
    merged = sheet_obj.merged_cell_ranges or []
    for (r1, c1), (r2, c2) in merged:
        if r1 <= header_idx <= r2 and (r1 != r2 or c1 != c2):
            problems.append(FieldError(None, _l("表头单元格 %(range)s 是合并单元格，请取消合并，每列一个列名",
                                                range=f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"),
                                       row=header_idx + 1, column=column_letter(c1), sheet=sheet_name))
    if problems:
        raise ValidationFailed(problems, _l("工作表“%(sheet)s”的表头不正确，共 %(n)d 处问题，未导入任何数据",
                                            sheet=sheet_name, n=len(problems)))

    # Rows: every row with a value in a mapped column (rows with only 序号 / 备注 are skipped).
    plan = [(key, ci, specs[key]) for key, ci in mapped.items()]
    body = data[header_idx + 1:]
    rows: list[ImportRow] = []
    first = header_idx + 2  # Excel row number of body[0]
    for offset, cells in enumerate(body):
        values: dict[str, Any] = {}
        errors: list[FieldError] = []
        blank = True
        for key, ci, col in plan:
            value = cells[ci]
            if type(value) is str:
                if not value or value.isspace():
                    values[key] = None
                    continue
                blank = False
                values[key] = value
                continue
            blank = False
            converted, problem = _convert(col, value)
            values[key] = converted
            if problem is not None:
                errors.append(FieldError(key, problem, value=shown_value(value), row=first + offset,
                                         column=col.header, sheet=sheet_name))
        if blank:
            continue
        rows.append(ImportRow(first + offset, values, cells, errors))
        if len(rows) > max_rows:
            total = len(rows) + sum(1 for rest in body[offset + 1:]
                                    if any(rest[ci] != "" and not (isinstance(rest[ci], str) and rest[ci].isspace())
                                           for _k, ci, _c in plan))
            raise _refuse(_l("工作表“%(sheet)s”有 %(n)d 行数据，超过单次导入上限 %(max)d 行。请拆分为多个文件分批导入",
                             sheet=sheet_name, n=total, max=max_rows), sheet=sheet_name)
    if not rows:
        raise _refuse(_l("工作表“%(sheet)s”只有表头，没有数据行。请从第 %(row)d 行起逐行填写", sheet=sheet_name,
                         row=header_idx + 2), sheet=sheet_name)

    # Data in a column without a header is not silently dropped.
    by_number = {row.number: row for row in rows}
    for ci in empty_header_cols:
        for offset, cells in enumerate(body):
            if cells[ci] != "" and not (isinstance(cells[ci], str) and cells[ci].isspace()):
                number = first + offset
                target = by_number.get(number)
                error = FieldError(None, _l("%(letter)s列有数据但没有列名（表头为空），请填写列名或删除该列数据",
                                            letter=column_letter(ci)), value=shown_value(cells[ci]),
                                   row=number, column=column_letter(ci), sheet=sheet_name)
                if target is None:
                    target = ImportRow(number, {}, cells, [])
                    rows.append(target)
                    by_number[number] = target
                target.errors.append(error)
                break

    # Merged cells in the data area: only the first cell keeps the value, the others read as empty — every
    # row the merge covers is told so (instead of a puzzling "请填写" on the rows below).
    columns_by_index = {ci: key for key, ci in mapped.items()}
    for (r1, c1), (r2, c2) in merged:
        if r2 <= header_idx or (r1 == r2 and c1 == c2):
            continue
        key = columns_by_index.get(c1)
        cell_range = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        for r in range(max(r1, header_idx + 1), r2 + 1):
            number = r + 1
            target = by_number.get(number)
            if target is None:
                target = ImportRow(number, {}, data[r] if r < len(data) else [], [])
                rows.append(target)
                by_number[number] = target
            value = target.cells[c1] if c1 < len(target.cells) else None
            target.errors.append(FieldError(key, _l("单元格 %(range)s 是合并单元格。请取消合并，并在每一行分别填写",
                                                    range=cell_range), value=shown_value(value),
                                            row=number, column=specs[key].header if key else column_letter(c1),
                                            sheet=sheet_name))

    # Formulas without a cached value and error values (#N/A, #REF!) read as empty cells: say what they are.
    path = _sheet_path(content, sheet_name, file_name) if report["worksheets_with_formulas"] else None
    if path in report["worksheets_with_formulas"]:
        for (r, c), what in sorted(_cell_problems(content, path, file_name).items()):
            key = columns_by_index.get(c)
            if r <= header_idx or key is None:
                continue
            target = by_number.get(r + 1)
            if target is None:
                continue
            if what == "formula":
                message = _l("%(label)s是公式但没有计算结果。请在 Excel 中打开并保存后再导入，或将公式“选择性粘贴为数值”",
                             label=specs[key].header)
            else:
                message = _l("%(label)s的值是错误值 %(value)s（公式出错），请修改", label=specs[key].header, value=what)
            target.errors.append(FieldError(key, message, value=what if what != "formula" else None, row=r + 1,
                                            column=specs[key].header, sheet=sheet_name))
    rows.sort(key=lambda r: r.number)
    ignored = [m.name for m in worksheets if m.name != sheet_name]
    return ParsedSheet(sheet_name, header_idx + 1, mapped, found, specs, rows, width, error_column, ignored)

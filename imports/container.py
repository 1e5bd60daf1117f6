"""The container checks of an uploaded import file (steps 1–2 of ``imports.reader``): refuse what is not a safe
xlsx by its bytes and its zip directory, before any parsing.

- bytes: empty / too large; an OLE compound file is either an encrypted OOXML workbook (it holds an
  ``EncryptionInfo`` stream: "password-protected") or a legacy .xls ("save as .xlsx"); anything that is not a zip
  is "not an Excel workbook" (a renamed .txt or .csv);
- the zip: a decompression bomb is refused by size *before* parsing — declared sizes, compression ratios, and every
  entry inflated with a cap (so a header that lies about its size is caught too); a zip without
  ``xl/workbook.xml`` (.docx, .ods, .xlsb) is refused by name. While inflating, the worksheets holding formulas or
  error values are noted (the reader checks those cell by cell).
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import Any

from flask_babel import lazy_gettext as _l

from core.errors import FieldError, ValidationFailed

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
MAX_ZIP_ENTRIES = 2000
#: An entry larger than this must not compress better than MAX_RATIO (xlsx XML compresses 5-20×).
RATIO_MIN_SIZE = 1024 * 1024
MAX_RATIO = 200
_FORMULA_OR_ERROR_MARKS = (b"<f>", b"<f ", b"<f/", b't="e"')


def refuse_file(message: Any, **kw: Any) -> ValidationFailed:
    """The refusal of a whole file: one error on the ``file`` field."""
    return ValidationFailed([FieldError("file", message, **kw)])


def corrupt_message(name: str):
    return _l("文件“%(name)s”已损坏或不完整，无法读取。请在 Excel 中打开确认内容，另存为 .xlsx 后再导入", name=name)


def _has_formula_or_error(data: bytes) -> bool:
    return any(data.find(mark) != -1 for mark in _FORMULA_OR_ERROR_MARKS)


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def check_container(content: bytes, file_name: str, *, max_bytes: int, max_uncompressed: int) -> dict:
    """Refuse what is not a safe xlsx by its bytes and zip directory, before any parsing.

    Returns a small report: ``{"worksheets_with_formulas": set of zip paths}``.
    :raises ValidationFailed: with one ``file`` error explaining what the file is and what to do.
    """
    name = file_name or "上传文件"
    if not content:
        raise refuse_file(_l("文件“%(name)s”是空文件，请选择填写好的 Excel 文件", name=name))
    if len(content) > max_bytes:
        raise refuse_file(_l("文件“%(name)s”超过大小上限 %(mb)d MB，请拆分后分批导入", name=name,
                         mb=max(1, max_bytes // (1024 * 1024))))
    if content.startswith(OLE_MAGIC):
        if _utf16("EncryptionInfo") in content or _utf16("EncryptedPackage") in content:
            raise refuse_file(_l("文件“%(name)s”设置了打开密码（已加密），系统无法读取。请在 Excel 中取消密码"
                             "（文件→信息→保护工作簿→用密码进行加密，清空密码并保存）后再导入", name=name))
        if _utf16("Workbook") in content or _utf16("Book") in content:
            raise refuse_file(_l("文件“%(name)s”是旧版 Excel 97-2003 工作簿（.xls）。请在 Excel 或 WPS 中“另存为”"
                             "Excel 工作簿（*.xlsx）后再导入", name=name))
        raise refuse_file(_l("文件“%(name)s”不是 Excel 工作簿（.xlsx）。请使用下载的模板填写并保存为 .xlsx 后再导入",
                         name=name))
    if not content.startswith(ZIP_MAGIC):
        raise refuse_file(_l("文件“%(name)s”不是 Excel 工作簿（.xlsx），可能是改了扩展名的文本或其他文件。"
                         "请使用下载的模板填写并保存为 .xlsx 后再导入", name=name))
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        raise refuse_file(corrupt_message(name)) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        if "xl/workbook.bin" in names:
            raise refuse_file(_l("文件“%(name)s”是 Excel 二进制工作簿（.xlsb）。请另存为 Excel 工作簿（*.xlsx）后再导入",
                             name=name))
        if "content.xml" in names and "mimetype" in names:
            raise refuse_file(_l("文件“%(name)s”是 OpenDocument 表格（.ods）。请另存为 Excel 工作簿（*.xlsx）后再导入",
                             name=name))
        raise refuse_file(_l("文件“%(name)s”不是 Excel 工作簿（.xlsx）。请使用下载的模板填写并保存为 .xlsx 后再导入",
                         name=name))
    bomb = _l("文件“%(name)s”解压后过大（超过 %(mb)d MB）或压缩比异常，为保护系统已拒绝读取。"
              "请删除多余的工作表、空白行列和格式，或拆分后分批导入", name=name,
              mb=max(1, max_uncompressed // (1024 * 1024)))
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > max_uncompressed:
        raise refuse_file(bomb)
    for info in infos:
        if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse_file(bomb)
    # The declared sizes may lie: inflate every entry with a cap (a few ms for a 10,000-row sheet) and note
    # which worksheets hold formulas or error values (checked cell by cell later, only when present).
    report = {"worksheets_with_formulas": set()}
    total = 0
    for info in infos:
        try:
            size, flagged = _inflate(content, info, max_uncompressed - total,
                                     scan=info.filename.startswith("xl/worksheets/"))
        except _TooLarge:
            raise refuse_file(bomb) from None
        except (zlib.error, ValueError, struct.error, IndexError, NotImplementedError):
            raise refuse_file(corrupt_message(name)) from None
        if size != info.file_size:
            raise refuse_file(corrupt_message(name))
        total += size
        if flagged:
            report["worksheets_with_formulas"].add(info.filename)
    return report


class _TooLarge(Exception):
    pass


def _inflate(content: bytes, info: zipfile.ZipInfo, budget: int, scan: bool) -> tuple[int, bool]:
    """Inflate one entry from the raw bytes with an output cap; return (real size, formula/error seen)."""
    offset = info.header_offset
    if content[offset:offset + 4] != ZIP_MAGIC:
        raise ValueError("bad local header")
    name_len, extra_len = struct.unpack("<HH", content[offset + 26:offset + 30])
    start = offset + 30 + name_len + extra_len
    raw = content[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise ValueError("truncated")
    if info.flag_bits & 0x1:
        raise ValueError("encrypted zip entry")
    flagged = False
    if info.compress_type == zipfile.ZIP_STORED:
        if len(raw) > budget:
            raise _TooLarge()
        return len(raw), bool(scan and _has_formula_or_error(raw))
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise NotImplementedError("compression")
    inflater = zlib.decompressobj(-15)
    produced = 0
    tail = b""
    pending = raw
    cap = min(budget, info.file_size)
    while True:
        chunk = inflater.decompress(pending, 1 << 20)
        produced += len(chunk)
        if produced > cap:
            raise _TooLarge()
        if scan and not flagged and chunk:
            flagged = _has_formula_or_error(tail + chunk)
            tail = chunk[-8:]
        pending = inflater.unconsumed_tail
        if inflater.eof or (not pending and not chunk):
            break
    if not inflater.eof:
        raise ValueError("incomplete deflate stream")
    return produced, flagged

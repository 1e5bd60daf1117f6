"""Excel import and export (manual: every 【导入】 on the 培训信息 / 培训师资信息 / 培训人员信息 / 培训课程信息 tabs,
§3.2.1.3 / §3.2.2.3 单位培训人员查询 with 【导出学员名单】; DESIGN §1 Excel rows, §9 performance).

- ``imports.specs``: the columns of each import kind (Chinese header, the action's data key, required, type,
  dropdown source) and the dropdown choices (Chinese label ↔ code) built from the lookup tables.
- ``imports.reader``: an uploaded file → rows. Refuses what is not an xlsx by its bytes (txt, xls, encrypted
  OOXML, corrupt zip, decompression bombs — by size, before parsing), parses with python-calamine, finds the
  header row by names (order free), converts cells (Excel dates, numbers stored for text, formulas' cached
  values) and reports merged cells and hidden sheets.
- ``imports.template``: the 下载模板 workbooks (openpyxl): headers, dropdowns, text/date formats, 填写说明.
- ``imports.annotate``: the 错误标注 workbook — the user's own file with bad cells highlighted and a 错误说明 column.
- ``imports.trainees``: 单位培训人员查询 (scoped search) and the streamed 导出学员名单 (xlsxwriter constant_memory).

Validation and storing are business rules and live in ``actions.imports`` (same cleaners as the forms).
"""

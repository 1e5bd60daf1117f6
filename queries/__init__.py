"""The read side (DESIGN §7 layer 4): search, filters, paging and the per-screen queries the views render.

- ``queries.paging``: ``Page`` / ``paginate`` (one COUNT + one page SELECT, page numbers clamped) and the page links.
- ``queries.search``: the LIKE "contains" condition (escaped) and the parsing of date filter inputs.
- ``queries.filings``: the enterprise's 办理结果 list.
- ``queries.review``: the city reviewer's 备案审核 queue.
- ``queries.trainees``: 单位培训人员查询 (also the row source of the 导出学员名单 export in ``services``).
- ``queries.audit``: the audit timeline of a filing (reviewer and enterprise pages).

Functions take the session and the actor and return plain data (rows, dicts, ``Page``); nothing here commits,
flashes or knows about requests. May import ``core``, ``models`` and ``actions``; never ``views``.
"""

"""Jinja filters: show UTC timestamps in Asia/Shanghai, code labels, ID numbers masked or full by the page's kind,
and the page numbers a pager shows."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask

from core.clock import format_local


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A naive-UTC timestamp rendered in Asia/Shanghai (DESIGN §7; ``core.clock``)."""
    return format_local(value, fmt)


def id_on_detail(number: Any) -> str:
    """An ID number on a record's own detail page: full for the enterprise user (the owner: the row scope let the
    page open) and the city reviewer, masked for the provincial admin — the policy in
    ``core.validators.mask_id_number`` (lists use ``mask_id``)."""
    from core.validators import shown_id_number
    from models.scope import current_actor

    actor = current_actor()
    return shown_id_number(number, full=actor.is_enterprise or actor.is_reviewer)


def page_window(page: int, pages: int, radius: int = 2) -> list[int | None]:
    """The page links of a pager: the first, the last and ``radius`` pages either side of ``page``, with ``None``
    where pages are left out (shown as …). Worked out from the window, not by walking every page: the province's
    备案审核 has 5,000 pages and the template walked them all on every request (issue 15)."""
    if pages <= 1:
        return [1] if pages == 1 else []
    shown = sorted({1, pages, *range(max(1, page - radius), min(pages, page + radius) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - window[-1] > 1:
            window.append(None)
        window.append(number)
    return window


def register_template_filters(app: Flask) -> None:
    from core.validators import mask_id_number

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["mask_id"] = mask_id_number  # lists (issue 12 policy)
    app.jinja_env.filters["id_detail"] = id_on_detail  # a record's own detail
    app.jinja_env.globals["page_window"] = page_window

"""Jinja filters: show UTC timestamps in Asia/Shanghai, code labels, masked ID numbers."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from core.clock import format_local


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A naive-UTC timestamp rendered in Asia/Shanghai (DESIGN §7; ``core.clock``)."""
    return format_local(value, fmt)


def register_template_filters(app: Flask) -> None:
    from core.validators import mask_id_number

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["mask_id"] = mask_id_number

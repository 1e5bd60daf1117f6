"""Jinja filters: show UTC timestamps in Asia/Shanghai, code labels, masked ID numbers."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Flask, current_app


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A naive-UTC timestamp rendered in the display time zone (DESIGN §7)."""
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config.get("DISPLAY_TIMEZONE", "Asia/Shanghai"))
    return value.replace(tzinfo=timezone.utc).astimezone(zone).strftime(fmt)


def register_template_filters(app: Flask) -> None:
    from actions.validators import mask_id_number

    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["mask_id"] = mask_id_number

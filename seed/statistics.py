"""``flask --app app statistics refresh``: rebuild 统计分析's pre-aggregate (the class figures: classes, trainees
在训 / 流失, attendance-rate buckets; models/statistics.py). Run it nightly after midnight Asia/Shanghai (cron, e.g. ``30 0 * * *``): rates count the
courses ended by "today"; the dashboard shows when it last ran."""
from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import AppGroup

from actions.statistics import refresh_class_figures
from models.base import db

statistics_cli = AppGroup("statistics", help="统计分析: refresh the pre-aggregated figures.")


@statistics_cli.command("refresh")
def refresh() -> None:
    """Rebuild the class figures (one transaction: readers see the old or the new figures)."""
    started = time.perf_counter()
    rows = refresh_class_figures(db.session)
    db.session.commit()
    click.echo(f"statistics_class: {rows} classes in {time.perf_counter() - started:.1f} s")


def register_statistics_commands(app: Flask) -> None:
    app.cli.add_command(statistics_cli)

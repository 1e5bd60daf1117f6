"""``flask --app app attachments move --to directory|s3|database [--batch 500] [--dry-run]`` (issue 15): moves the
bytes of existing attachments to the named storage (``services.attachment_storage.py`` does the work, commits per
batch and audits the run) and prints the counts. The target store must be configured (``ATTACHMENT_DIR`` /
``S3_*``), and so must every store rows are still in. Set ``ATTACHMENT_STORAGE`` to the same target so new uploads
go there too; the command says so when they differ.
"""
from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from core.errors import BlobError
from models.base import db
from services.attachment_storage import MoveReport, move, verify
from services.storage import BACKENDS

attachments_cli = AppGroup("attachments", help="Attachment storage: move existing files between the stores.")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _print_pending(report: MoveReport) -> None:
    if not report.pending:
        click.echo(f"every attachment is already in {report.target}: nothing to move")
        return
    for source, counts in report.pending.items():
        click.echo(f"{'would move' if report.dry_run else 'to move'}: {counts['rows']} attachments "
                   f"({_mb(counts['bytes'])}) from {source} to {report.target}")


def _print_done(report: MoveReport) -> None:
    click.echo(f"moved {report.moved} attachments ({_mb(report.moved_bytes)}) to {report.target} in "
               f"{report.batches} batches; blobs reused {report.reused_blobs}, old blobs removed "
               f"{report.removed_blobs}, failed {report.failed}")
    for failure in report.failures:
        click.echo(f"  not moved: attachment {failure['id']} in {failure['storage']}: {failure['error']} "
                   "(missing or damaged at its source; restore it from a backup)")


@attachments_cli.command("move")
@click.option("--to", "target", required=True, type=click.Choice(BACKENDS), help="Where the bytes go.")
@click.option("--batch", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Attachments per committed batch.")
@click.option("--dry-run", is_flag=True, help="Only count what would move; change nothing.")
def move_command(target: str, batch: int, dry_run: bool) -> None:
    """Move existing attachments' bytes to TARGET (restartable; verified by sha256; audited)."""
    registry = current_app.extensions["blob_stores"]
    if registry.active != target:
        click.echo(f"note: ATTACHMENT_STORAGE is {registry.active}: new uploads still go there, not to {target}")

    def progress(report: MoveReport) -> None:
        click.echo(f"batch {report.batches}: {report.moved} moved, {report.failed} failed")

    try:
        report = move(db.session, registry, target, batch=batch, dry_run=dry_run, progress=progress)
    except BlobError as exc:
        raise click.ClickException(f"stopped: {exc.detail} — the batches before were committed; run the command "
                                   "again to carry on") from exc
    _print_pending(report)
    if not dry_run and report.pending:
        _print_done(report)
    if report.failed:
        raise SystemExit(1)


@attachments_cli.command("verify")
@click.option("--sha256", "full", is_flag=True, help="Read every file and compare its sha256 (slow); "
                                                     "otherwise only check that each file exists.")
def verify_command(full: bool) -> None:
    """Check that every attachment's bytes are where its row says; exit 1 when some are missing or damaged."""
    try:
        report = verify(db.session, current_app.extensions["blob_stores"], sha256=full)
    except BlobError as exc:
        raise click.ClickException(f"stopped: {exc.detail}") from exc
    checked = ", ".join(f"{count} in {storage}" for storage, count in sorted(report.checked.items())) or "none"
    click.echo(f"checked attachments: {checked}; {'sha256 compared' if full else 'existence checked'}; "
               f"problems: {report.problems}")
    for item in report.named:
        click.echo(f"  attachment {item['id']} in {item['storage']}: {item['error']}")
    if report.problems:
        raise SystemExit(1)


def register_attachment_commands(app: Flask) -> None:
    app.cli.add_command(attachments_cli)

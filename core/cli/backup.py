"""`crm backup create|list|prune|restore` (the core's; they work with any plugin set)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from core.backup import BackupError, create_backup, list_backups, prune_backups, restore_backup
from core.cli.common import CliError, cli_actor
from core.events import context


@click.group("backup", cls=AppGroup)
def backup() -> None:
    """Back up and restore the database and the attachment files."""


@backup.command("create")
def create() -> None:
    """Write a new backup archive into <instance>/backups/."""
    try:
        made = create_backup(current_app)
    except BackupError as exc:
        raise CliError(f"The backup failed: {exc}.") from exc
    click.echo(f"Wrote {made.path} ({made.size // 1024} KiB).")


@backup.command("list")
def list_() -> None:
    """List the backup archives, newest first."""
    backups = list_backups(current_app)
    for item in backups:
        made = f"{item.created_at:%Y-%m-%d %H:%M} UTC"
        click.echo(f"{item.path.name}  {made}  {item.size // 1024} KiB")
    if not backups:
        click.echo("No backups yet; make one with 'crm backup create'.")


@backup.command("prune")
@click.option("--keep-days", type=click.IntRange(0, 36500), default=30, show_default=True,
              help="Delete archives older than this many days.")
def prune(keep_days: int) -> None:
    """Delete backups older than --keep-days (deleted data lives in backups at most that long)."""
    removed = prune_backups(current_app, keep_days)
    for item in removed:
        click.echo(f"Deleted {item.path.name}.")
    click.echo(f"Pruned {len(removed)} backup(s) older than {keep_days} days.")


@backup.command("restore")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore(file: Path, yes: bool) -> None:
    """Replace the database and attachments with those in FILE."""
    if not yes:
        click.confirm(
            f"This replaces ALL data of this deployment with {file.name}. Continue?", abort=True
        )
    try:
        manifest = restore_backup(current_app, file)
    except BackupError as exc:
        raise CliError(f"Nothing was restored: {exc}.") from exc
    click.echo(f"Restored {file.name} (made {manifest['created_at']}).")
    ctx = context(actor=cli_actor())
    host = current_app.extensions["crm"]["plugins"]
    for lines in host.caller_for(None, "crm_backup_restored")(ctx=ctx, backup_name=file.name):
        for line in lines or []:
            click.echo(line)

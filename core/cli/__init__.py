"""The `crm` command line: one FlaskGroup; every command has --help.

Exit codes: 0 success, 1 a failed operation or check (`CliError`), 2 bad usage (click).
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


def _make_app() -> Flask:
    from core.app import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_make_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """crm-gdpr: a CRM with GDPR features (audit, consents, trash, export)."""


def register_core_commands(app: Flask) -> None:
    """Add the core's commands to `app.cli` (plugins add theirs through a boot hook)."""
    from core.cli.backup import backup
    from core.cli.db_commands import init_db, schema
    from core.cli.demo import demo
    from core.cli.plugins import plugins
    from core.cli.tenants import tenants
    from core.cli.users import users

    for command in (init_db, schema, backup, demo, plugins, tenants, users):
        app.cli.add_command(command)

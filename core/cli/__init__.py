"""The `crm` command line: one FlaskGroup; every command has --help.

Every command, the core's and the plugins', runs as the actor `cli:<os user>`: commands
reach `app.cli` only through `add_command`, which wraps each one so that rows and events it
makes name who ran it (a command may still narrow the tenant with `set_actor`).

Exit codes: 0 success, 1 a failed operation or check (`CliError`), 2 bad usage (click).
"""

from __future__ import annotations

import functools
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext

from core.cli.common import CliError, cli_actor
from core.events import set_actor

_ACTS_AS_CLI = "__crm_acts_as_cli__"


def _make_app() -> Flask:
    """The app for `crm`; plugins that cannot boot (CRM_PLUGINS names an unknown one, two add
    the same command ...) end the command with their one sentence, exit 1."""
    from core.app import create_app
    from core.plugin_host import PluginError

    try:
        return create_app()
    except PluginError as exc:
        raise CliError(str(exc)) from exc


class CrmGroup(FlaskGroup):
    """Flask's group, except that a CliError while building the app (see `_make_app`) is
    shown as one sentence also when only the command list is wanted (`crm`, `crm --help`),
    where Flask would print a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The commands of `crm` and of the app."""
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except CliError:
            raise  # shown as one sentence by click, exit 1
        except Exception:  # noqa: S110 - Flask's list_commands below reports any other failure
            pass
        return super().list_commands(ctx)


@click.group(cls=CrmGroup, create_app=_make_app, add_version_option=False, load_dotenv=False)
def main() -> None:
    """crm-gdpr: a CRM with GDPR features (audit, consents, trash, export)."""


def _acting_from_cli(callback: Any) -> Any:
    """Wrap a command's callback: in the app context, set the actor `cli:<os user>`, then
    run it. Wrapping is done once per callback (apps are built many times, commands once)."""
    if getattr(callback, _ACTS_AS_CLI, False):
        return callback

    @functools.wraps(callback)
    @with_appcontext
    def run(*args: Any, **kwargs: Any) -> Any:
        set_actor(cli_actor())
        return callback(*args, **kwargs)

    setattr(run, _ACTS_AS_CLI, True)
    return run


def _act_from_cli(command: click.Command) -> None:
    """Make `command` and, for a group, each of its subcommands run as the CLI actor."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _act_from_cli(sub)
        return
    if command.callback is not None:
        command.callback = _acting_from_cli(command.callback)


def add_command(app: Flask, command: click.Command) -> None:
    """Add `command` (a command or a group) to `app.cli`, running as the CLI actor."""
    _act_from_cli(command)
    app.cli.add_command(command)


def register_core_commands(app: Flask) -> None:
    """Add the core's commands to `app.cli` (plugins add theirs through a boot hook)."""
    from core.cli.backup import backup
    from core.cli.db_commands import init_db, schema
    from core.cli.demo import demo
    from core.cli.plugins import plugins
    from core.cli.records import delete
    from core.cli.tenants import tenants
    from core.cli.users import users

    for command in (init_db, schema, backup, demo, plugins, tenants, users, delete):
        add_command(app, command)

"""Offers a second `shell` command."""

import click

from core.hookspecs import hookimpl


@hookimpl
def crm_register_commands():
    @click.command("shell")
    def shell():
        """Would hide `crm shell`."""

    return [shell]

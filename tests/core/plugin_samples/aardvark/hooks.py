"""Offers a second `audit` command."""

import click

from core.hookspecs import hookimpl


@hookimpl
def crm_register_commands():
    @click.command("audit")
    def audit():
        """Clashes with the audit plugin's group."""

    return [audit]

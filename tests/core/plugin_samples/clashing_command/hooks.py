"""Offers a second `tenants` command."""

import click

from core.hookspecs import hookimpl


@hookimpl
def crm_register_commands():
    @click.command("tenants")
    def tenants():
        """Clashes with the core's tenants group."""

    return [tenants]

"""Helpers shared by the commands: actor name, tenant look-up, one-sentence errors."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy import select

from core.db import db
from core.events import cli_actor as cli_actor  # the commands take it from here
from core.models import Tenant
from core.scoping import all_tenants


class CliError(click.ClickException):
    """A failed operation: printed as one sentence on stderr, exit code 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        """Print `Error: <sentence>` on stderr."""
        click.echo(f"Error: {self.format_message()}", err=True)


def get_tenant(slug: str) -> Tenant:
    """Return the tenant with `slug` or fail with a sentence that says what to do."""
    with all_tenants():
        tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise CliError(f"There is no tenant '{slug}'; list them with 'crm tenants list'.")
    return tenant


def echo_json(value: Any) -> None:
    """Print `value` as indented JSON (non-ASCII kept readable)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))

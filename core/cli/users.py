"""`crm users create`."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core.cli.common import CliError, get_tenant
from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.models import Role, User
from core.models.user import WeakPassword, check_password_policy
from core.scoping import all_tenants


@click.group("users", cls=AppGroup)
def users() -> None:
    """Create users of a tenant, or platform admins."""


@users.command("create")
@click.argument("email")
@click.option("--tenant", "tenant_slug", help="The tenant the user belongs to.")
@click.option(
    "--role",
    type=click.Choice(["admin", "user"]),
    default="user",
    show_default=True,
    help="admin = tenant admin (manages users and plugins).",
)
@click.option("--platform-admin", is_flag=True, help="A platform admin (belongs to no tenant).")
@click.option("--name", "full_name", default="", help="The person's name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create(
    email: str,
    tenant_slug: str | None,
    role: str,
    platform_admin: bool,
    full_name: str,
    password_stdin: bool,
) -> None:
    """Create a login EMAIL (unique in the whole deployment).

    Everything that can be checked without the password (the address, the tenant, a login
    with that address) is checked before the password is asked for."""
    if platform_admin == bool(tenant_slug):
        raise click.UsageError("Give either --tenant SLUG or --platform-admin.")
    try:
        address = normalize_email(email)
    except InvalidEmail as exc:
        raise click.BadParameter(str(exc), param_hint="EMAIL") from exc
    tenant = None if platform_admin else get_tenant(tenant_slug or "")
    with all_tenants():
        if db.session.scalar(select(User).where(User.email == address)):
            raise CliError(f"A user {address} exists already; logins are unique.")
    password = _read_password(password_stdin)
    try:
        check_password_policy(password)
    except WeakPassword as exc:
        raise CliError(f"The password is too weak: {exc}.") from exc

    with all_tenants():
        user = User(
            email=address,
            full_name=full_name,
            tenant_id=tenant.id if tenant else None,
            role=Role.PLATFORM_ADMIN if platform_admin else Role(role),
        )
        user.set_password(password)
        db.session.add(user)
        db.session.commit()
    where = "platform admin" if platform_admin else f"{role} of tenant '{tenant.slug}'"
    click.echo(f"Created {address} as {where}.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)

"""The core's commands: exit codes, one-sentence errors, JSON output, the demo."""

from __future__ import annotations

import json

import click
import pytest
from sqlalchemy import select

from core.cli import add_command
from core.cli.common import cli_actor
from core.db import db
from core.events import context
from core.models import Contact, Role, Tenant, User
from core.scoping import all_tenants, tenant_scope
from plugins.audit.models import AuditEntry
from plugins.gdpr_consents.models import Purpose


def test_init_db_is_idempotent(cli):
    first = cli.invoke(args=["init-db"])
    second = cli.invoke(args=["init-db"])
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0
    assert "up to date" in second.output


def test_models_and_migrations_agree(cli):
    result = cli.invoke(args=["schema", "check"])
    assert result.exit_code == 0, result.output


def test_tenants_create_and_list_as_json(cli):
    assert cli.invoke(args=["tenants", "create", "acme", "--name", "Acme d.o.o."]).exit_code == 0
    result = cli.invoke(args=["tenants", "list", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {"slug": "acme", "name": "Acme d.o.o.", "time_zone": "Europe/Ljubljana"}
    ]


def test_tenant_errors_say_what_to_do(cli):
    cli.invoke(args=["tenants", "create", "acme", "--name", "Acme"])
    duplicate = cli.invoke(args=["tenants", "create", "acme", "--name", "Again"])
    assert duplicate.exit_code == 1
    assert duplicate.output.strip() == "Error: A tenant 'acme' exists already; pick another slug."
    bad_slug = cli.invoke(args=["tenants", "create", "Acme_SI", "--name", "X"])
    assert bad_slug.exit_code == 2
    bad_zone = cli.invoke(
        args=["tenants", "create", "x", "--name", "X", "--time-zone", "Mars/Base"]
    )
    assert bad_zone.exit_code == 2
    assert "Mars/Base" in bad_zone.output


@pytest.mark.parametrize(("args", "sentence"), [
    (["", "--name", "Acme"], "Error: Invalid value for SLUG: '' is not a slug; use 1 to 63 "
                             "lower-case letters, digits and dashes (e.g. acme-si)"),
    (["acme", "--name", ""], "Error: Invalid value for --name: the name may not be empty"),
    (["acme", "--name", "   "], "Error: Invalid value for --name: the name may not be empty"),
    (["acme", "--name", "x" * 256],
     "Error: Invalid value for --name: the name has 256 characters; at most 255"),
])
def test_tenants_create_refuses_empty_slugs_and_names(app, cli, args, sentence):
    result = cli.invoke(args=["tenants", "create", *args])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == sentence
    with app.app_context(), all_tenants():
        assert db.session.scalar(select(Tenant)) is None


def test_users_create_for_a_tenant_and_a_platform_admin(app, cli):
    cli.invoke(args=["tenants", "create", "acme", "--name", "Acme"])
    made = cli.invoke(
        args=["users", "create", " Ana@Acme.SI ", "--tenant", "acme", "--role", "admin",
              "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert made.exit_code == 0, made.output
    platform = cli.invoke(
        args=["users", "create", "root@platform.si", "--platform-admin", "--password-stdin"],
        input="another-long-password\n",
    )
    assert platform.exit_code == 0, platform.output
    with app.app_context(), all_tenants():
        ana = db.session.scalar(select(User).where(User.email == "ana@acme.si"))
        assert ana.role == Role.ADMIN
        assert ana.check_password("a-long-enough-password")
        root = db.session.scalar(select(User).where(User.email == "root@platform.si"))
        assert root.tenant_id is None and root.role == Role.PLATFORM_ADMIN


def test_users_create_failures(cli):
    cli.invoke(args=["tenants", "create", "acme", "--name", "Acme"])
    weak = cli.invoke(
        args=["users", "create", "a@acme.si", "--tenant", "acme", "--password-stdin"],
        input="short\n",
    )
    assert weak.exit_code == 1
    assert "at least 10 characters" in weak.output
    no_tenant = cli.invoke(
        args=["users", "create", "a@acme.si", "--tenant", "nope", "--password-stdin"],
        input="a-long-enough-password\n",
    )
    assert no_tenant.exit_code == 1
    assert "There is no tenant 'nope'" in no_tenant.output
    both = cli.invoke(args=["users", "create", "a@acme.si", "--tenant", "acme",
                            "--platform-admin", "--password-stdin"], input="x\n")
    assert both.exit_code == 2
    bad_email = cli.invoke(args=["users", "create", "not-an-address", "--tenant", "acme",
                                 "--password-stdin"], input="a-long-enough-password\n")
    assert bad_email.exit_code == 2
    cli.invoke(args=["users", "create", "a@acme.si", "--tenant", "acme", "--password-stdin"],
               input="a-long-enough-password\n")
    again = cli.invoke(args=["users", "create", "A@acme.si", "--tenant", "acme",
                             "--password-stdin"], input="a-long-enough-password\n")
    assert again.exit_code == 1
    assert "exists already" in again.output


@pytest.mark.parametrize(("args", "code", "sentence"), [
    (["a@acme.si", "--tenant", "nope"], 1,
     "Error: There is no tenant 'nope'; list them with 'crm tenants list'."),
    (["not-an-address", "--tenant", "acme"], 2, "Error: Invalid value for EMAIL: "),
    (["taken@acme.si", "--tenant", "acme"], 1,
     "Error: A user taken@acme.si exists already; logins are unique."),
])
def test_users_create_checks_everything_before_asking_for_the_password(cli, args, code,
                                                                       sentence):
    cli.invoke(args=["tenants", "create", "acme", "--name", "Acme"])
    cli.invoke(args=["users", "create", "taken@acme.si", "--tenant", "acme", "--password-stdin"],
               input="a-long-enough-password\n")
    result = cli.invoke(args=["users", "create", *args], input="")  # no password typed
    assert result.exit_code == code
    assert "Password" not in result.output
    assert result.output.strip().splitlines()[-1].startswith(sentence)


def test_demo_seeds_once_and_prints_the_logins(app, cli):
    first = cli.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.example" in first.output and "demo-admin-pass" in first.output
    second = cli.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "already there: 50 companies, 200 contacts, 300 activities" in second.output
    with app.app_context():
        with all_tenants():
            demo = db.session.scalar(select(Tenant).where(Tenant.slug == "demo"))
        with tenant_scope(demo.id):
            contacts = db.session.scalars(select(Contact)).all()
            assert len(contacts) == 200
            names = " ".join(c.full_name for c in contacts)
            assert any(letter in names for letter in "čšž")
            role_parts = {"info", "office", "prodaja", "kontakt", "sales", "podpora"}
            assert any(c.email.split("@")[0] in role_parts for c in contacts)
            assert any(c.tags for c in contacts)
            assert any(len(c.activities) > 1 for c in contacts)


def test_demo_again_keeps_the_plugins_the_user_switched_off(app, cli):
    first = cli.invoke(args=["demo"])
    assert "Enabled gdpr_consents." in first.output
    off = cli.invoke(args=["plugins", "disable", "export", "--tenant", "demo"])
    assert off.exit_code == 0, off.output
    again = cli.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    assert "Enabled" not in again.output
    assert "Its data and the plugins enabled for it are left as they are." in again.output
    assert "user@demo.example" in again.output and "demo-user-pass" in again.output
    listed = json.loads(cli.invoke(args=["plugins", "list", "--json", "--tenant", "demo"]).output)
    enabled = {item["name"]: item["enabled"] for item in listed if item["installed"]}
    assert enabled == {"audit": True, "gdpr_consents": True, "trash": True, "export": False}


def test_unknown_command_is_bad_usage(cli):
    assert cli.invoke(args=["no-such-command"]).exit_code == 2


def _leaf_commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_leaf_commands(command, f"{prefix}{name} "))
        else:
            found[f"{prefix}{name}"] = command
    return found


def test_every_command_runs_as_the_cli_user(app):
    leaves = _leaf_commands(app.cli)
    assert {"demo", "plugins enable", "consents grant", "trash empty"} <= set(leaves)
    not_acting = [name for name, command in leaves.items()
                  if not getattr(command.callback, "__crm_acts_as_cli__", False)]
    assert not_acting == []


def test_a_command_added_to_the_app_knows_who_ran_it(app):
    seen: list[tuple[str, int | None]] = []

    @click.command("who")
    def who() -> None:
        ctx = context()
        seen.append((ctx.actor, ctx.user_id))

    add_command(app, who)
    result = app.test_cli_runner().invoke(args=["who"])
    assert result.exit_code == 0, result.output
    assert seen == [(cli_actor(), None)]
    assert seen[0][0].startswith("cli:")


def test_rows_made_by_demo_and_plugins_enable_name_the_cli_user(app, cli, tenant_a):
    assert cli.invoke(args=["demo"]).exit_code == 0
    enabled = cli.invoke(args=["plugins", "enable", "gdpr_consents", "--tenant", "acme"])
    assert enabled.exit_code == 0, enabled.output
    with app.app_context(), all_tenants():
        actors = set(db.session.scalars(select(AuditEntry.actor)))
        purposes = db.session.scalars(select(Purpose)).all()
    assert actors == {cli_actor()}
    assert {p.code for p in purposes} >= {"newsletter", "events", "sms"}

"""The plugin host: discovery, install, per-tenant toggles, dependencies, boot checks,
settings, and core events reaching only the plugins a tenant enabled."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.db import db
from core.events import context
from core.models import Company, Contact, Tenant
from core.plugin_host import PluginError, PluginStateError
from core.records import delete_record
from core.scoping import all_tenants, tenant_scope
from core.settings import SettingError, all_settings, get_setting, set_setting
from tests.conftest import build_app
from tests.core.plugin_samples import (
    aardvark,
    bad_prefix,
    clashing_command,
    sample,
    sample_child,
    shell_rival,
)
from tests.support import BUILTIN_PLUGINS

SAMPLES = [sample, sample_child]


@pytest.fixture
def sample_app(app, database_url, tmp_path):
    """An app on the test database with the two sample plugins installed too."""
    return build_app(
        database_url,
        tmp_path / "sample-instance",
        EXTRA_PLUGINS=SAMPLES,
        PLUGINS=[*BUILTIN_PLUGINS, "sample", "sample_child"],
    )


def calls(app, name=None):
    recorded = app.extensions.get("sample_calls", [])
    return [c for c in recorded if name is None or c[0] == name]


def enable(app, tenant_slug, plugin):
    with app.app_context():
        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_slug))
        messages = app.extensions["crm"]["plugins"].enable(
            context(tenant=tenant, actor="cli:test"), plugin
        )
        db.session.commit()
        return messages


def test_plugins_list_json_shows_the_four_builtins_installed(cli):
    result = cli.invoke(args=["plugins", "list", "--json"])
    assert result.exit_code == 0, result.output
    items = {i["name"]: i for i in json.loads(result.output)}
    # other packages in the environment (the example plugin) are available, not installed
    assert [n for n, i in items.items() if i["installed"]] == list(sorted(BUILTIN_PLUGINS))
    for item in items.values():
        assert item["enabled"] is None
        assert set(item) >= {"name", "version", "depends", "installed", "enabled", "summary"}
    assert items["audit"]["version"] == "0.1.0" and items["audit"]["depends"] == []


def test_plugins_list_json_says_what_is_enabled_for_the_tenant(sample_app, tenant_a):
    enable(sample_app, "acme", "sample_child")
    result = sample_app.test_cli_runner().invoke(
        args=["plugins", "list", "--json", "--tenant", "acme"])
    items = {i["name"]: i for i in json.loads(result.output)}
    assert items["sample_child"] == {"name": "sample_child", "version": "0.1",
                                     "depends": ["sample"], "installed": True,
                                     "enabled": True, "summary": ""}
    assert items["sample"]["enabled"] is True
    assert items["audit"]["installed"] is True and items["audit"]["enabled"] is False


def test_a_new_tenant_starts_with_every_plugin_off(cli, tenant_a):
    items = json.loads(cli.invoke(args=["plugins", "list", "--tenant", "acme", "--json"]).output)
    assert {i["name"]: i["enabled"] for i in items if i["installed"]} == {
        "audit": False, "export": False, "gdpr_consents": False, "trash": False
    }


def test_enable_and_disable_from_the_command_line(cli, tenant_a):
    enabled = cli.invoke(args=["plugins", "enable", "audit", "--tenant", "acme"])
    assert enabled.exit_code == 0
    assert enabled.output.strip() == "Enabled audit."
    items = json.loads(cli.invoke(args=["plugins", "list", "--tenant", "acme", "--json"]).output)
    assert [i["name"] for i in items if i["enabled"]] == ["audit"]
    disabled = cli.invoke(args=["plugins", "disable", "audit", "--tenant", "acme"])
    assert disabled.output.strip() == "Disabled audit; its data is kept."
    unknown = cli.invoke(args=["plugins", "enable", "nope", "--tenant", "acme"])
    assert unknown.exit_code == 1
    assert "There is no plugin 'nope'" in unknown.output
    no_tenant = cli.invoke(args=["plugins", "enable", "audit", "--tenant", "zzz"])
    assert no_tenant.exit_code == 1
    missing_option = cli.invoke(args=["plugins", "enable", "audit"])
    assert missing_option.exit_code == 2


def test_enabling_pulls_in_dependencies_and_says_so(sample_app, tenant_a):
    messages = enable(sample_app, "acme", "sample_child")
    assert messages == ["Enabled sample too, because sample_child needs it.",
                        "Enabled sample_child."]
    enabled_calls = [c[3]["plugin"] for c in calls(sample_app, "crm_plugin_enabled")]
    # each plugin hears only about itself
    assert enabled_calls == ["sample", "sample_child"]


def test_disabling_a_needed_plugin_is_refused(sample_app, tenant_a):
    enable(sample_app, "acme", "sample_child")
    cli = sample_app.test_cli_runner()
    refused = cli.invoke(args=["plugins", "disable", "sample", "--tenant", "acme"])
    assert refused.exit_code == 1
    assert refused.output.strip() == (
        "Error: sample cannot be disabled while sample_child needs it; disable that first."
    )
    for plugin in ("sample_child", "sample"):
        assert cli.invoke(args=["plugins", "disable", plugin, "--tenant", "acme"]).exit_code == 0
    assert [c[3]["plugin"] for c in calls(sample_app, "crm_plugin_disabled")] == ["sample"]


def test_record_events_reach_only_the_tenants_that_enabled_the_plugin(
    sample_app, tenant_a, tenant_b
):
    enable(sample_app, "acme", "sample")
    with sample_app.app_context():
        for tenant in (tenant_a, tenant_b):
            with tenant_scope(tenant.id):
                db.session.add(Contact(first_name="Špela", last_name="Novak",
                                       email=f"spela@{tenant.slug}.si"))
                db.session.commit()
    created = calls(sample_app, "crm_record_created")
    assert [(c[1], c[3]["record"]) for c in created] == [("acme", "Špela Novak")]
    assert created[0][2] == "system"


def test_updates_report_field_changes_with_before_and_after(sample_app, tenant_a):
    enable(sample_app, "acme", "sample")
    with sample_app.app_context(), tenant_scope(tenant_a.id):
        company = Company(name="Lipa d.o.o.")
        contact = Contact(first_name="Ana", last_name="Novak", email="ana@lipa.si")
        db.session.add_all([company, contact])
        db.session.commit()
        contact.last_name = "Kovač"
        contact.company = company
        db.session.commit()
    (update,) = calls(sample_app, "crm_record_updated")
    assert update[3]["changes"] == {
        "last_name": ("Novak", "Kovač"),
        "company": (None, "Lipa d.o.o."),
    }


def test_a_plugin_can_take_a_delete_over(sample_app, tenant_a, tenant_b):
    enable(sample_app, "acme", "sample_child")
    with sample_app.app_context():
        for tenant in (tenant_a, tenant_b):
            with tenant_scope(tenant.id):
                contact = Contact(first_name="Boris", email="boris@x.si")
                db.session.add(contact)
                db.session.commit()
                assert delete_record(context(tenant=db.session.get(Tenant, tenant.id)),
                                     contact) == ("kept" if tenant is tenant_a else "deleted")
                db.session.commit()
                assert db.session.query(Contact).count() == (1 if tenant is tenant_a else 0)
    deleted = calls(sample_app, "crm_record_deleted")
    assert [(c[1], c[3]["how"]) for c in deleted] == [("acme", "kept")]


def test_events_without_a_tenant_reach_every_installed_plugin(sample_app):
    with sample_app.test_request_context("/login", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        ctx = context(actor="anonymous")
        sample_app.extensions["crm"]["plugins"].caller_for(None, "crm_login_failed")(
            ctx=ctx, email="nobody@x.si", reason="unknown_user"
        )
    (failed,) = calls(sample_app, "crm_login_failed")
    assert failed[1] is None and failed[3] == {"email": "nobody@x.si", "reason": "unknown_user"}
    assert ctx.ip == "10.1.2.3" and ctx.request_id


def test_a_disabled_plugins_routes_answer_404(sample_app, tenant_a, tenant_b):
    enable(sample_app, "acme", "sample")
    client = sample_app.test_client()
    assert client.get("/sample/acme/ping").json == {"pong": "acme"}
    assert client.get("/sample/beta/ping").status_code == 404
    assert client.get("/sample/nobody/ping").status_code == 404


def test_plugin_commands_and_config_defaults_are_registered(sample_app, monkeypatch):
    result = sample_app.test_cli_runner().invoke(args=["sample-hello"])
    assert result.output.strip() == "hello from sample"
    assert sample_app.config["SAMPLE_COLOUR"] == "blue"


def test_plugin_settings_have_defaults_and_are_validated(sample_app, tenant_a):
    with sample_app.app_context(), tenant_scope(tenant_a.id):
        assert get_setting(tenant_a.id, "sample", "limit") == 5
        assert set_setting(tenant_a.id, "sample", "limit", " 7 ") == 7
        db.session.commit()
        assert all_settings(tenant_a.id, "sample") == {"greeting": "zdravo", "limit": 7}
        with pytest.raises(SettingError, match="Limit: must be at most 10"):
            set_setting(tenant_a.id, "sample", "limit", "11")
        with pytest.raises(SettingError, match="'many' is not a whole number"):
            set_setting(tenant_a.id, "sample", "limit", "many")
        with pytest.raises(SettingError, match="no setting 'colour'"):
            set_setting(tenant_a.id, "sample", "colour", "red")


def test_contact_panels_are_collected_from_enabled_plugins(sample_app, tenant_a):
    enable(sample_app, "acme", "sample")
    with sample_app.app_context(), tenant_scope(tenant_a.id):
        contact = Contact(first_name="Luka", last_name="Kos")
        db.session.add(contact)
        db.session.flush()
        tenant = db.session.get(Tenant, tenant_a.id)
        panels = sample_app.extensions["crm"]["plugins"].caller_for(
            tenant_a.id, "crm_contact_panels")(ctx=context(tenant=tenant), contact=contact)
        assert [p.html for group in panels for p in group] == ["sample panel for Luka Kos"]


def test_a_table_without_the_plugin_prefix_stops_the_app(database_url, tmp_path):
    with pytest.raises(PluginError, match="table 'unprefixed_things' without the prefix"):
        build_app(database_url, tmp_path, EXTRA_PLUGINS=[bad_prefix], PLUGINS=["bad_prefix"])


def test_a_command_name_clash_stops_the_app(database_url, tmp_path):
    with pytest.raises(PluginError) as with_core:
        build_app(database_url, tmp_path, EXTRA_PLUGINS=[clashing_command],
                  PLUGINS=["clashing_command"])
    assert str(with_core.value) == (
        "The plugin 'clashing_command' adds a command 'tenants', which the core has already; "
        "remove clashing_command from CRM_PLUGINS.")
    with pytest.raises(PluginError) as with_flask:
        build_app(database_url, tmp_path, EXTRA_PLUGINS=[shell_rival],
                  PLUGINS=["shell_rival"])
    assert "'shell_rival' adds a command 'shell'" in str(with_flask.value)


def test_a_clash_between_plugins_names_both(database_url, tmp_path):
    # aardvark boots before audit: the clash is still told as theirs, not audit's alone
    with pytest.raises(PluginError) as clash:
        build_app(database_url, tmp_path, EXTRA_PLUGINS=[aardvark],
                  PLUGINS=["aardvark", "audit"])
    assert str(clash.value) == ("The plugins 'aardvark' and 'audit' both add a command "
                                "'audit'; remove one of them from CRM_PLUGINS.")


def test_the_command_line_says_what_is_wrong_with_the_plugins(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import core.app
    from core.cli import main

    env = {"CRM_INSTANCE_DIR": str(tmp_path), "CRM_PLUGINS": "nosuch",
           "DATABASE_URL": f"sqlite:///{tmp_path}/crm.sqlite3"}
    for args in (["tenants", "list"], ["--help"], []):
        unknown = CliRunner().invoke(main, args, env=env)
        assert unknown.exit_code == 1, args
        assert unknown.output.startswith(
            "Error: CRM_PLUGINS names unknown plugin(s) nosuch; available: ")
        assert "audit, export, gdpr_consents, trash" in unknown.output
        assert len(unknown.output.splitlines()) == 1
    create_app = core.app.create_app
    monkeypatch.setattr(core.app, "create_app", lambda: create_app(
        {"EXTRA_PLUGINS": [aardvark], "PLUGINS": ["aardvark", "audit"]}))
    clash = CliRunner().invoke(main, ["audit", "list"], env={**env, "CRM_PLUGINS": ""})
    assert clash.exit_code == 1
    assert clash.output == ("Error: The plugins 'aardvark' and 'audit' both add a command "
                            "'audit'; remove one of them from CRM_PLUGINS.\n")


def test_unknown_or_incomplete_plugin_lists_stop_the_app(database_url, tmp_path):
    with pytest.raises(PluginError, match="unknown plugin"):
        build_app(database_url, tmp_path, PLUGINS=["audit", "nope"])
    with pytest.raises(PluginError, match="'sample_child' needs sample"):
        build_app(database_url, tmp_path, EXTRA_PLUGINS=SAMPLES, PLUGINS=["sample_child"])


def test_toggling_a_plugin_not_installed_is_refused(database_url, tmp_path, tenant_a):
    app = build_app(database_url, tmp_path, PLUGINS=["audit"])
    with app.app_context():
        tenant = db.session.get(Tenant, tenant_a.id)
        with pytest.raises(PluginStateError, match="trash is not installed"):
            app.extensions["crm"]["plugins"].enable(context(tenant=tenant), "trash")

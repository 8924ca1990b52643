"""A plugin table without a migration is named by `crm schema check`, `crm init-db` and
`crm schema revision`: which plugin, which table, and which folder was looked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import build_app
from tests.core.plugin_samples import emptybranch, nofolder
from tests.support import BUILTIN_PLUGINS

NOFOLDER_VERSIONS = Path(nofolder.__file__).parent / "migrations" / "versions"


@pytest.fixture
def migrated_url(empty_database_url, tmp_path):
    """A database migrated with the built-in plugins only."""
    app = build_app(empty_database_url, tmp_path / "builtins")
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    return empty_database_url


def app_with(url, tmp_path, package):
    name = package.MANIFEST["name"]
    return build_app(url, tmp_path / name, EXTRA_PLUGINS=[package],
                     PLUGINS=[*BUILTIN_PLUGINS, name])


def test_schema_check_names_the_table_of_a_plugin_without_migrations(migrated_url, tmp_path):
    cli = app_with(migrated_url, tmp_path, nofolder).test_cli_runner()
    result = cli.invoke(args=["schema", "check"])
    assert result.exit_code == 1
    assert (f"plugin 'nofolder' has the table(s) nofolder_note but no migrations: there is no "
            f"folder {NOFOLDER_VERSIONS}") in result.output
    assert "Error: The models and the migrations differ; write a migration." in result.output
    assert "Models and migrations agree" not in result.output


def test_schema_check_names_a_table_no_revision_of_its_branch_creates(migrated_url, tmp_path):
    cli = app_with(migrated_url, tmp_path, emptybranch).test_cli_runner()
    assert cli.invoke(args=["init-db"]).exit_code == 0  # an empty branch migrates nothing
    result = cli.invoke(args=["schema", "check"])
    assert result.exit_code == 1
    assert ("table 'emptybranch_note' of emptybranch has no migration that creates it"
            in result.output)


def test_init_db_refuses_a_plugin_with_tables_and_no_migrations(migrated_url, tmp_path):
    cli = app_with(migrated_url, tmp_path, nofolder).test_cli_runner()
    result = cli.invoke(args=["init-db"])
    assert result.exit_code == 1
    assert result.output.startswith(
        "Error: The schema cannot be set up: plugin 'nofolder' has the table(s) nofolder_note "
        f"but no migrations: there is no folder {NOFOLDER_VERSIONS} (an install made with a "
        "plain `pip install` lacks it unless the package's setup.cfg ships "
        "migrations/versions/*.py as package data).")
    assert "Traceback" not in result.output


def test_a_revision_for_a_plugin_without_its_folder_says_where_it_looked(migrated_url,
                                                                         tmp_path):
    cli = app_with(migrated_url, tmp_path, nofolder).test_cli_runner()
    result = cli.invoke(args=["schema", "revision", "notes", "--branch", "nofolder"])
    assert result.exit_code == 1
    assert (f"Error: plugin 'nofolder' has no migrations: there is no folder "
            f"{NOFOLDER_VERSIONS}; create it (empty) to start the plugin's branch"
            in result.output)
    unknown = cli.invoke(args=["schema", "revision", "notes", "--branch", "nosuch"])
    assert unknown.exit_code == 1
    assert ("Error: no migration branch 'nosuch': it is neither the core nor an installed "
            "plugin (branches: core, gdpr_consents, audit, export, trash)") in unknown.output

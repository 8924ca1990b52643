"""The core works with no plugin installed and with each built-in alone.

Each case runs in a fresh process: importing a plugin's models registers its tables in the
process, so only a new process shows what a deployment without it really has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from tests.support import BUILTIN_PLUGINS

PROBE = """
import json
from core import create_app
app = create_app()
client = app.test_client()
health = client.get("/healthz")
print(json.dumps({"health": health.status_code,
                  "installed": app.extensions["crm"]["plugins"].installed,
                  "modules": sorted(m for m in __import__("sys").modules
                                    if m.startswith("plugins."))}))
"""


def run(args, env):
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.subprocess
@pytest.mark.parametrize("plugins", ["", *BUILTIN_PLUGINS])
def test_the_app_boots_and_serves_with_only_these_plugins(plugins, empty_database_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": empty_database_url, "CRM_PLUGINS": plugins,
           "CRM_INSTANCE_DIR": str(tmp_path / "instance")}
    crm = os.path.join(os.path.dirname(sys.executable), "crm")
    init = run([crm, "init-db"], env)
    assert init.returncode == 0, init.stderr
    again = run([crm, "init-db"], env)
    assert again.returncode == 0, again.stderr
    probe = run([sys.executable, "-c", PROBE], env)
    assert probe.returncode == 0, probe.stderr
    result = json.loads(probe.stdout.strip().splitlines()[-1])
    assert result["health"] == 200
    assert result["installed"] == ([plugins] if plugins else [])
    # of a plugin that is not installed only its manifest is read: no hooks, no models
    not_installed = [p for p in BUILTIN_PLUGINS if p != plugins]
    assert not [m for m in result["modules"] if m.startswith(tuple(
        f"plugins.{p}." for p in not_installed))]
    listed = json.loads(run([crm, "plugins", "list", "--json"], env).stdout)
    assert {i["name"]: i["installed"] for i in listed if i["name"] in BUILTIN_PLUGINS} == {
        name: name == plugins for name in BUILTIN_PLUGINS
    }
    assert not [i for i in listed if i["installed"] and i["name"] != plugins]
    engine = sa.create_engine(empty_database_url.replace("postgresql://", "postgresql+psycopg://"))
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"tenant", "contact", "user_account", "alembic_version"} <= tables
    other_prefixes = [f"{p}_" for p in BUILTIN_PLUGINS if p != plugins]
    assert not [t for t in tables if t.startswith(tuple(other_prefixes))]

"""The documented production line `gunicorn -c python:core.gunicorn_conf "core:create_app()"`:
its settings, and gunicorn accepting it with the app loaded."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import core

GUNICORN = Path(sys.executable).with_name("gunicorn")
# run as a file: pytest's assertion rewriter, which loads the `core` package when its test
# fixtures plugin is active, cannot hand runpy a module's code
CONF = str(Path(core.__file__).with_name("gunicorn_conf.py"))


def test_the_config_binds_locally_logs_no_access_lines_and_defaults_to_production(monkeypatch):
    environ = {k: v for k, v in os.environ.items()
               if k not in ("CRM_ENV_NAME", "CRM_LOG_FORMAT")}
    monkeypatch.setattr(os, "environ", environ)

    settings = runpy.run_path(CONF)

    assert settings["bind"] == "127.0.0.1:8000"
    assert settings["workers"] == 4
    assert settings["accesslog"] is None
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"
    assert (environ["CRM_ENV_NAME"], environ["CRM_LOG_FORMAT"]) == ("production", "json")


def test_the_environment_still_wins_over_the_production_defaults(monkeypatch):
    environ = {**os.environ, "CRM_ENV_NAME": "staging", "CRM_LOG_FORMAT": "text"}
    monkeypatch.setattr(os, "environ", environ)
    runpy.run_path(CONF)
    assert (environ["CRM_ENV_NAME"], environ["CRM_LOG_FORMAT"]) == ("staging", "text")


def test_gunicorn_loads_the_app_with_the_documented_line(tmp_path):
    env = {**os.environ, "CRM_INSTANCE_DIR": str(tmp_path), "CRM_PLUGINS": ""}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [str(GUNICORN), "--check-config", "-c", "python:core.gunicorn_conf", "core:create_app()"],
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr

"""The application factory: everything an app needs is built here and kept on the app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import event

from core import models  # noqa: F401  (registers the core tables on the metadata)
from core.attachments import make_store
from core.boot import boot_plugins
from core.cli import register_core_commands
from core.config import load_config
from core.db import db
from core.health import health
from core.ids import RecordIdConverter
from core.logs import init_logging
from core.web import init_web


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build a new app: configuration, database, plugin host, views and commands.

    Nothing is kept at module level, so several apps (tests) live side by side.
    """
    app = Flask("core", instance_relative_config=True)
    app.url_map.converters["int"] = RecordIdConverter
    load_config(app, test_config)
    init_logging(app)
    db.init_app(app)
    with app.app_context():
        _tune_engine(app)
    app.extensions["crm"] = {
        "attachments": make_store(app.config, app.instance_path),
    }
    app.register_blueprint(health)
    register_core_commands(app)
    host = boot_plugins(app)
    init_web(app)
    host.pm.check_pending()
    return app


def _tune_engine(app: Flask) -> None:
    """SQLite: WAL journal, a busy timeout and enforced foreign keys on every connection."""
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return
    busy_ms = int(app.config["SQLITE_BUSY_TIMEOUT_MS"])

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

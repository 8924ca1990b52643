"""The app factory, configuration order, /healthz and the column types."""

from __future__ import annotations

import stat

import sqlalchemy as sa

from core import create_app
from core.db import SafeJSON, SafeString, UTCDateTime, db


def test_healthz_answers_json_and_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_an_unreachable_database(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_DIR": str(tmp_path),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
            "PLUGINS": [],
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_configuration_order_defaults_then_environment_then_test_config(monkeypatch, tmp_path):
    monkeypatch.setenv("CRM_INSTANCE_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db.example/crm")
    monkeypatch.setenv("CRM_PLUGINS", "audit,trash")
    monkeypatch.setenv("CRM_ATTACHMENT_MAX_BYTES", "1234")
    app = create_app({"ATTACHMENT_MAX_BYTES": 99, "TESTING": True})
    assert app.instance_path == str(tmp_path / "from-env")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/crm"
    assert app.config["PLUGINS"] == "audit,trash"
    assert app.config["ATTACHMENT_MAX_BYTES"] == 99
    assert create_app({"TESTING": True}).config["ATTACHMENT_MAX_BYTES"] == 1234


def test_secret_key_is_generated_once_with_mode_600(monkeypatch, tmp_path):
    monkeypatch.delenv("CRM_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_DIR": str(tmp_path), "TESTING": True})
    second = create_app({"INSTANCE_DIR": str(tmp_path), "TESTING": True})
    key_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_DIR": str(tmp_path), "TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/crm.sqlite3"


def test_two_apps_keep_their_own_state(tmp_path):
    one = create_app({"INSTANCE_DIR": str(tmp_path / "one"), "TESTING": True})
    two = create_app({"INSTANCE_DIR": str(tmp_path / "two"), "TESTING": True})
    assert one.extensions["crm"] is not two.extensions["crm"]
    assert one.extensions["crm"]["attachments"].root != two.extensions["crm"]["attachments"].root


def test_every_text_and_time_column_uses_the_safe_types(app):
    with app.app_context():
        for table in db.metadata.tables.values():
            for column in table.columns:
                where = f"{table.name}.{column.name}"
                if isinstance(column.type, sa.DateTime):
                    raise AssertionError(f"{where} is a plain DateTime; use Mapped[datetime]")
                if isinstance(column.type, sa.JSON):
                    raise AssertionError(f"{where} is plain JSON; use SafeJSON")
                if isinstance(column.type, sa.String) and not isinstance(column.type, sa.Enum):
                    raise AssertionError(f"{where} is a plain String; use SafeString")
                assert isinstance(
                    column.type, SafeString | UTCDateTime | SafeJSON | sa.Integer | sa.Boolean
                    | sa.Enum | sa.Float | sa.Numeric | sa.LargeBinary | sa.Date
                ), where


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    app = create_app({"INSTANCE_DIR": str(tmp_path), "TESTING": True})
    with app.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000

"""Backups of the database and the attachment files, in one archive.

An archive is `crm-backup-<UTC time>.tar.gz` in `<instance>/backups/` (mode 600) holding
`manifest.json`, the database (`database.sqlite3`, made with SQLite's online backup API, or
`database.pgdump`, made with `pg_dump -Fc`) and `attachments/`. Deleted data lives in backups
at most as long as they are kept: `prune` removes archives older than N days (default 30).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy.engine import make_url

from core.clock import utcnow
from core.db import db
from core.schema import current_revisions, upgrade

FORMAT_VERSION = 1
PREFIX = "crm-backup-"
SUFFIX = ".tar.gz"


class BackupError(RuntimeError):
    """A backup that cannot be made, read or restored; the message says why."""


@dataclass(frozen=True)
class BackupInfo:
    """One archive: where it is, when it was made, how big it is."""

    path: Path
    created_at: datetime
    size: int


def backup_dir(app: Flask) -> Path:
    """The folder that holds the archives (created with mode 700)."""
    folder = Path(app.instance_path) / "backups"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def create_backup(app: Flask) -> BackupInfo:
    """Write a new archive of the database and the attachments; return it."""
    created = utcnow()
    name = f"{PREFIX}{created.strftime('%Y%m%dT%H%M%S%fZ')}{SUFFIX}"
    target = backup_dir(app) / name
    with tempfile.TemporaryDirectory(prefix="crm-backup-") as work:
        work_dir = Path(work)
        db_file = _dump_database(app, work_dir)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "database": db.engine.dialect.name,
            "database_file": db_file.name,
            "revisions": sorted(current_revisions(app)),
        }
        (work_dir / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = target.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            archive.add(work_dir / "manifest.json", arcname="manifest.json")
            archive.add(db_file, arcname=db_file.name)
            attachments = Path(app.instance_path) / "attachments"
            if attachments.is_dir():
                archive.add(attachments, arcname="attachments")
        os.replace(partial, target)
    return BackupInfo(target, created, target.stat().st_size)


def _dump_database(app: Flask, work_dir: Path) -> Path:
    engine = db.engine
    if engine.dialect.name == "sqlite":
        out = work_dir / "database.sqlite3"
        source = sqlite3.connect(engine.url.database)
        try:
            destination = sqlite3.connect(out)
            with destination:
                source.backup(destination)
            destination.close()
        finally:
            source.close()
        return out
    if engine.dialect.name == "postgresql":
        out = work_dir / "database.pgdump"
        _run(["pg_dump", "-Fc", "--no-owner", "-f", str(out), "-d", _libpq_url(engine.url)])
        return out
    raise BackupError(f"backups of {engine.dialect.name} databases are not supported")


def list_backups(app: Flask) -> list[BackupInfo]:
    """Return the archives in the backup folder, newest first."""
    found = []
    for path in backup_dir(app).glob(f"{PREFIX}*{SUFFIX}"):
        created = _created_from_name(path.name)
        if created is not None:
            found.append(BackupInfo(path, created, path.stat().st_size))
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def prune_backups(app: Flask, keep_days: int) -> list[BackupInfo]:
    """Delete archives older than `keep_days` days; return what was deleted."""
    cutoff = utcnow() - timedelta(days=keep_days)
    removed = [b for b in list_backups(app) if b.created_at < cutoff]
    for backup in removed:
        backup.path.unlink(missing_ok=True)
    return removed


def restore_backup(app: Flask, archive_path: Path) -> dict:
    """Replace the database and the attachments with the archive's; upgrade the schema to
    this release; return the archive's manifest. Raises BackupError for anything that is not
    a readable backup of this kind of database, before anything is changed."""
    with tempfile.TemporaryDirectory(prefix="crm-restore-") as work:
        work_dir = Path(work)
        manifest = _unpack(archive_path, work_dir)
        dialect = db.engine.dialect.name
        if manifest["database"] != dialect:
            raise BackupError(
                f"{archive_path.name} holds a {manifest['database']} database, but this "
                f"deployment runs on {dialect}"
            )
        db_file = work_dir / manifest["database_file"]
        db.session.remove()
        if dialect == "sqlite":
            _restore_sqlite(db_file)
        else:
            _restore_postgres(db_file)
        _replace_attachments(app, work_dir / "attachments")
    db.engine.dispose()
    upgrade(app)
    return manifest


def _unpack(archive_path: Path, work_dir: Path) -> dict:
    name = archive_path.name
    if not archive_path.is_file():
        raise BackupError(f"there is no file {archive_path}")
    try:
        with tarfile.open(archive_path, mode="r:gz") as archive:
            archive.extractall(work_dir, filter="data")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"{name} is not a crm backup (it is not a readable .tar.gz)") from exc
    try:
        manifest = json.loads((work_dir / "manifest.json").read_text())
        database_file = work_dir / manifest["database_file"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{name} is not a crm backup (it has no valid manifest)") from exc
    if manifest.get("format") != FORMAT_VERSION or not database_file.is_file():
        raise BackupError(f"{name} is not a crm backup of a format this release can read")
    return manifest


def _restore_sqlite(db_file: Path) -> None:
    try:
        source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        source.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError("the archive's database file is not a SQLite database") from exc
    destination = sqlite3.connect(db.engine.url.database)
    try:
        with destination:
            source.backup(destination)
    finally:
        source.close()
        destination.close()


def _restore_postgres(dump: Path) -> None:
    db.engine.dispose()
    url = _libpq_url(db.engine.url)
    _run(["pg_restore", "--list", str(dump)])
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "-d", url, str(dump)])


def _replace_attachments(app: Flask, source: Path) -> None:
    target = Path(app.instance_path) / "attachments"
    staging = target.with_name("attachments.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, staging)
    else:
        staging.mkdir(mode=0o700)
    old = target.with_name("attachments.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def _libpq_url(url) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as exc:
        raise BackupError(f"{command[0]} is not installed; install the PostgreSQL client") from exc
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise BackupError(f"{command[0]} failed: {detail[0]}") from exc


def _created_from_name(name: str) -> datetime | None:
    stamp = name.removeprefix(PREFIX).removesuffix(SUFFIX)
    for fmt in ("%Y%m%dT%H%M%S%fZ", "%Y%m%dT%H%M%SZ"):
        try:
            return datetime.strptime(stamp, fmt).replace(tzinfo=utcnow().tzinfo)
        except ValueError:
            continue
    return None

"""The databases a benchmark run works on: cached SQLite files or a throw-away PostgreSQL one.

A benchmark asks its `BenchContext` for a dataset (`ctx.dataset(contacts_per_tenant=...)`)
and gets an app whose database holds that generated data. On SQLite the file comes from the
cache in `bench/results/cache/` (see `bench.datagen.cached_sqlite_dataset`). On PostgreSQL the
context creates the database `crm_bench_<pid>` through the admin URL in
`CRM_BENCH_POSTGRES_URL`, and drops it again in `close()`.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine

from bench.datagen import Summary, cached_sqlite_dataset, generate, remove_sqlite_file
from core.app import create_app
from core.db import db
from core.schema import upgrade

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class Dataset:
    """Generated data ready to query: the app, what was generated and how long it took."""

    app: Flask
    summary: Summary
    params: dict[str, Any]
    database: str
    reused: bool
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """Return the dataset's description as JSON-ready data (without the app)."""
        return {
            "params": self.params,
            "database": self.database,
            "reused_from_cache": self.reused,
            "setup_seconds": round(self.seconds, 3),
            "summary": self.summary.as_dict(),
        }


@dataclass
class BenchContext:
    """What a benchmark gets: the options of the run and `dataset()` to obtain data."""

    db_kind: str = "sqlite"
    quick: bool = False
    seed: int = 2024
    use_cache: bool = True
    results_dir: Path = RESULTS_DIR
    postgres_url: str = field(
        default_factory=lambda: os.environ.get("CRM_BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    )
    datasets: list[Dataset] = field(default_factory=list)
    _admin: Engine | None = None
    _pg_name: str | None = None

    def make_app(self, uri: str, plugins: tuple[str, ...] = ()) -> Flask:
        """Build an app on `uri` with the given plugins installed (default none), its
        instance folder under the results."""
        return create_app({
            "SQLALCHEMY_DATABASE_URI": uri,
            "INSTANCE_DIR": str(self.results_dir / "instance"),
            "TESTING": True,
            "PLUGINS": list(plugins),
        })

    def dataset(self, **params: Any) -> Dataset:
        """Return an app on a database holding data from `generate(app, **params)`.

        `seed` defaults to the run's `--seed`; `plugins` (a tuple of names, default none)
        are installed in the app, so their tables exist. The same parameters give the same
        dataset within a run; on PostgreSQL a different request replaces the previous
        database.
        """
        params.setdefault("seed", self.seed)
        for existing in self.datasets:
            if existing.params == params:
                return existing
        started = time.perf_counter()
        plugins = tuple(params.get("plugins", ()))
        generate_params = {k: v for k, v in params.items() if k != "plugins"}
        make_app = functools.partial(self.make_app, plugins=plugins)
        if self.db_kind == "sqlite":
            app, summary, reused = cached_sqlite_dataset(
                self.results_dir / "cache", make_app, use_cache=self.use_cache,
                plugins=plugins, **generate_params
            )
            database = app.config["SQLALCHEMY_DATABASE_URI"]
        elif self.db_kind == "postgresql":
            self._dispose_apps()
            url = self._create_postgres_database()
            app = make_app(url)
            upgrade(app)
            summary = generate(app, **generate_params)
            reused = False
            database = make_url(url).render_as_string(hide_password=True)
        else:
            raise ValueError(f"unknown database kind '{self.db_kind}'")
        dataset = Dataset(app, summary, dict(params), database, reused,
                          time.perf_counter() - started)
        self.datasets.append(dataset)
        return dataset

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            self._admin = admin_engine(self.postgres_url)
        return self._admin

    def _create_postgres_database(self) -> str:
        """(Re)create `crm_bench_<pid>` and return its URL."""
        name = f"crm_bench_{os.getpid()}"
        self._pg_name = name
        return create_database(self._admin_engine(), self.postgres_url, name)

    def _dispose_apps(self) -> None:
        for dataset in self.datasets:
            with dataset.app.app_context():
                db.session.remove()
                db.engine.dispose()

    def close(self) -> None:
        """Close every app's connections and drop the PostgreSQL database, if one was made."""
        self._dispose_apps()
        if self._admin is not None:
            if self._pg_name is not None:
                drop_databases(self._admin, [self._pg_name])
                self._pg_name = None
            self._admin.dispose()
            self._admin = None


# --- throw-away databases of one benchmark ---------------------------------------------------


def admin_engine(postgres_url: str) -> Engine:
    """An AUTOCOMMIT engine on the PostgreSQL admin URL (psycopg driver), for creating and
    dropping databases; the caller disposes it."""
    url = make_url(postgres_url)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def create_database(admin: Engine, postgres_url: str, name: str) -> str:
    """(Re)create the PostgreSQL database `name` through `admin`; return its URL."""
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return make_url(postgres_url).set(database=name).render_as_string(hide_password=False)


def drop_databases(admin: Engine, names: list[str]) -> None:
    """Drop the PostgreSQL databases `names` through `admin`, closing their connections."""
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class ScratchDatabases:
    """The throw-away databases of one benchmark that needs apps of its own (plugins
    installed, data of its own): SQLite files in `<results>/<kind>/`, or PostgreSQL
    databases `crm_bench_<kind>_<name>_<pid>`. `close()` disposes every app, drops the
    PostgreSQL databases and removes the folder (a cached SQLite file elsewhere stays).
    """

    def __init__(self, bench: BenchContext, kind: str, plugins: tuple[str, ...],
                 config: dict[str, Any] | None = None) -> None:
        self.bench = bench
        self.kind = kind
        self.plugins = plugins
        self.config = dict(config or {})
        self.folder = Path(bench.results_dir) / kind
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.created: list[str] = []
        self.apps: list[Flask] = []

    def url(self, name: str) -> str:
        """A new, empty database called `name` for this run; return its URL."""
        if self.bench.db_kind == "sqlite":
            path = self.folder / f"{name}.sqlite3"
            remove_sqlite_file(path)
            return f"sqlite:///{path}"
        database = f"crm_bench_{self.kind}_{name}_{os.getpid()}"
        admin = admin_engine(self.bench.postgres_url)
        try:
            url = create_database(admin, self.bench.postgres_url, database)
        finally:
            admin.dispose()
        self.created.append(database)
        return url

    def app(self, url: str) -> Flask:
        """An app on `url` with this benchmark's plugins installed, its instance folder
        (attachments) in the scratch folder. The schema is not made: see `migrated_app`."""
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": str(self.folder / "instance"),
            "TESTING": True,
            "PLUGINS": list(self.plugins),
            **self.config,
        })
        self.apps.append(app)
        return app

    def migrated_app(self, name: str) -> Flask:
        """An app on a new database `name` whose schema is made (`core.schema.upgrade`)."""
        app = self.app(self.url(name))
        upgrade(app)
        return app

    def close(self) -> None:
        """Close the apps' connections, drop the PostgreSQL databases, remove the folder."""
        for app in self.apps:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if self.created:
            admin = admin_engine(self.bench.postgres_url)
            try:
                drop_databases(admin, self.created)
            finally:
                admin.dispose()
            self.created = []
        shutil.rmtree(self.folder, ignore_errors=True)

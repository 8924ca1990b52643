"""The database handle, the declarative base and the column types every model uses.

`db` is the Flask-SQLAlchemy extension object: it holds no app state until
`db.init_app(app)` is called by `create_app()`, so two apps in one process stay apart.
Every `Mapped[str]` column sanitizes its text on the way in and every `Mapped[datetime]`
column stores UTC and comes back timezone-aware, on SQLite as on PostgreSQL.
Every table with a single integer primary key never reuses an id, on SQLite too (see
`never_reuses_ids`): an erased person's id must not pass to the next record.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import JSON, DateTime, Integer, MetaData, String, Table, Text, types
from sqlalchemy.orm import DeclarativeBase, registry

from core.text import sanitize_json, sanitize_text

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(types.TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite keeps no zone, so naive values read back are UTC by construction. Writing a
    naive datetime is refused: the one clock (`core.clock.utcnow`) is aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert an aware datetime to UTC before it is stored; refuse naive ones."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; attach a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return the stored instant as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class SafeString(types.TypeDecorator):
    """A string column whose value passes the text sanitizer before it is stored."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        """Strip characters a database or XML cannot hold."""
        return None if value is None else sanitize_text(value)


class SafeText(SafeString):
    """An unbounded text column that is sanitized like `SafeString`."""

    impl = Text
    cache_ok = True


class SafeJSON(types.TypeDecorator):
    """A JSON column whose strings are sanitized (PostgreSQL rejects NUL in JSON)."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        """Sanitize every string inside the document before it is stored."""
        return None if value is None else sanitize_json(value)


def has_single_integer_key(table: Table) -> bool:
    """True when `table`'s primary key is one integer column (a row id the database hands
    out)."""
    keys = list(table.primary_key.columns)
    return len(keys) == 1 and isinstance(keys[0].type, Integer) and not keys[0].foreign_keys


def never_reuses_ids(table: Table) -> None:
    """Declare that `table` never hands out the id of a deleted row again.

    PostgreSQL sequences never go back; SQLite's plain `INTEGER PRIMARY KEY` reuses the
    largest deleted id unless the table has AUTOINCREMENT (`sqlite_autoincrement`). Every
    model's table gets this from `Base`; `core.sqlite_ids` converts existing tables."""
    if has_single_integer_key(table):
        table.dialect_options["sqlite"]["autoincrement"] = True


class IdsNeverReused:
    """Mixin of `Base`: every mapped table is marked with `never_reuses_ids` (a mixin, not
    a method of `Base`, because Flask-SQLAlchemy builds `db.Model` from `Base`'s bases)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Map the model, then mark its table as one that never reuses ids."""
        super().__init_subclass__(**kwargs)
        table = cls.__dict__.get("__table__")
        if isinstance(table, Table):
            never_reuses_ids(table)


class Base(IdsNeverReused, DeclarativeBase):
    """Declarative base: constraint naming convention, the project's column types, and
    ids that are never reused (`never_reuses_ids`) on every table, core or plugin."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            str: SafeString(255),
            datetime: UTCDateTime(),
            dict: SafeJSON(),
            list: SafeJSON(),
        },
    )


class CrmSession(FlaskSession):
    """The session class; the tenant and soft-delete listeners are attached to it."""


db = SQLAlchemy(model_class=Base, session_options={"class_": CrmSession})

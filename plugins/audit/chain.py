"""The hash chain: canonical JSON, the digest of an entry's personal part, the entry hash,
and appending a transaction's entries to their chains at commit time.

entry hash = sha256(previous hash + canonical JSON of the chained fields), where the
chained fields include `digest`, a SHA-256 of the entry's salt, label, IP address, user agent
and details (see `details_digest`). The first entry of a chain follows `GENESIS`; after a
retention purge the chain starts from the checkpoint's hash.

Appending is the only serialised step and is kept small: the user's rows and everything
else are flushed first, the digests are computed, and only then is the chain head locked
(see `lock_head`), the sequence numbers and hashes assigned, the entries inserted in one
statement and the head moved. The lock is released by the commit.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core.clock import utcnow
from core.text import sanitize_json, sanitize_text
from plugins.audit.models import AuditEntry, chain_key

GENESIS = "0" * 64
FORMAT_VERSION = 1
SEPARATOR = "\x1f"  # the personal part's values, joined (see details_digest)
NONE = "\x01"

_ENCODER = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
)
_quote = json.encoder.encode_basestring  # a JSON string as the encoder above writes it
_ENTRIES = AuditEntry.__table__


def canonical_json(value: Any) -> str:
    """Serialise `value` canonically: sorted keys, no spaces, UTF-8 characters kept."""
    return _ENCODER.encode(value)


def jsonable(value: Any) -> Any:
    """Return `value` made of JSON types only (times as ISO 8601, enums by value, other
    objects by their text), so it can be stored in `info` or `details`."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"({len(value)} bytes)"
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=canonical_json) if isinstance(value, set | frozenset) else items
    return str(value)


def json_text(value: Any) -> str | None:
    """The canonical JSON text stored for `value` (None stays None): sanitized exactly as
    the column would sanitize it, so the stored text is the hashed text."""
    if value is None:
        return None
    return sanitize_text(canonical_json(sanitize_json(jsonable(value))))


def clean_text(value: Any, limit: int) -> str | None:
    """Return `value` as sanitized text of at most `limit` characters (None stays None)."""
    if value is None:
        return None
    text = sanitize_text(str(value))
    while len(text) > limit:
        text = sanitize_text(text[:limit])
    return text


def time_text(moment: datetime) -> str:
    """The canonical form of a time in the chain: UTC with microseconds and a `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def details_digest(
    salt: str | None, label: str | None, ip: str | None, user_agent: str | None,
    details: str | None,
) -> str:
    """The digest of an entry's personal part (what redaction may blank): SHA-256 of the
    five values joined by U+001F, None written as U+0001. Neither character can occur in
    stored text (the text sanitizer removes them), so the joined form is unambiguous
    (`verify` also checks that there are exactly four separators). Cheaper than JSON, which
    matters for `verify`."""
    return hashlib.sha256(personal_text(salt, label, ip, user_agent, details).encode()
                          ).hexdigest()


def personal_text(*values: str | None) -> str:
    """The text `details_digest` hashes."""
    return SEPARATOR.join(NONE if value is None else value for value in values)


def chained_fields(row: Any) -> list[Any]:
    """The list the entry hash covers, from a mapping or a row with the entry's columns."""
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    return [
        FORMAT_VERSION, get("tenant_id"), get("seq"), time_text(get("at")), get("actor"),
        get("user_id"), get("action"), get("target_type"), get("target_id"),
        get("contact_id"), get("request_id"), get("info"), get("digest"),
    ]


def fields_json(fields: Sequence[Any]) -> str:
    """`canonical_json(list(fields))` for the chained fields, spelled out for speed (about
    four times faster, which `verify` needs); the same text for any values (a test checks)."""
    (version, tenant_id, seq, at, actor, user_id, action, target_type, target_id, contact_id,
     request_id, info, digest) = fields
    if not (
        type(version) is int and type(seq) is int and type(at) is str
        and type(actor) is str and type(action) is str and type(digest) is str
        and (tenant_id is None or type(tenant_id) is int)
        and (user_id is None or type(user_id) is int)
        and (target_id is None or type(target_id) is int)
        and (contact_id is None or type(contact_id) is int)
        and (target_type is None or type(target_type) is str)
        and (request_id is None or type(request_id) is str)
        and (info is None or type(info) is str)
    ):
        return canonical_json(list(fields))
    q = _quote
    return (
        f'[{version},{"null" if tenant_id is None else tenant_id},{seq},{q(at)},{q(actor)},'
        f'{"null" if user_id is None else user_id},{q(action)},'
        f'{"null" if target_type is None else q(target_type)},'
        f'{"null" if target_id is None else target_id},'
        f'{"null" if contact_id is None else contact_id},'
        f'{"null" if request_id is None else q(request_id)},'
        f'{"null" if info is None else q(info)},{q(digest)}]'
    )


def entry_hash(previous: str, fields: Sequence[Any]) -> str:
    """sha256(previous hash + canonical JSON of the chained fields), as hex."""
    return hashlib.sha256((previous + fields_json(fields)).encode()).hexdigest()


def seal_personal_part(values: dict[str, Any]) -> None:
    """Give a new entry its salt and the digest of its personal part."""
    values["salt"] = secrets.token_hex(8)
    values["digest"] = details_digest(
        values["salt"], values["label"], values["ip"], values["user_agent"], values["details"]
    )


def insert_ignoring_conflict(connection: Connection, table: Any, values: dict[str, Any],
                             key: str) -> None:
    """Insert a row unless one with the same `key` exists (safe when two transactions try
    at once: the second waits for the first and then does nothing)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        statement = pg_insert(table).values(**values).on_conflict_do_nothing(index_elements=[key])
    elif dialect == "sqlite":
        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing(
            index_elements=[key])
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL
        statement = insert(table).values(**values)
    connection.execute(statement)


_NAMED = re.compile(r":(\w+)")
_ENTRY_COLUMNS = [column.name for column in _ENTRIES.columns if column.name != "id"]
# built from the model's own column names, nothing else
_INSERT_ENTRY = "INSERT INTO audit_entry ({}) VALUES ({})".format(  # noqa: S608
    ", ".join(_ENTRY_COLUMNS), ", ".join(f":{name}" for name in _ENTRY_COLUMNS))
_LOCK_HEAD = (
    "UPDATE audit_chain SET updated_at = :now WHERE chain = :chain "
    "RETURNING last_seq, last_hash"
)
_CREATE_HEAD = (
    "INSERT INTO audit_chain (chain, tenant_id, last_seq, last_hash, updated_at) "
    "VALUES (:chain, :tenant_id, 0, :genesis, :now) ON CONFLICT (chain) DO NOTHING"
)
_MOVE_HEAD = (
    "UPDATE audit_chain SET last_seq = :last_seq, last_hash = :last_hash, updated_at = :now "
    "WHERE chain = :chain"
)


class _DriverSQL:
    """The statements of `append`, written for the driver (its parameter style, its time
    values). Appending runs at every commit that recorded something (every page view), and
    SQLAlchemy's statement handling took more time than the statements themselves; these
    go through `exec_driver_sql`. Values are already what the columns' types would store:
    text sanitized by the recorder, times converted here as `UTCDateTime` does."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

        def styled(sql: str) -> str:
            # sqlite3 takes `:name` with a dict; psycopg `%(name)s`
            return sql if self.sqlite else _NAMED.sub(r"%(\1)s", sql)

        self.entry_columns = _ENTRY_COLUMNS
        self.insert_entry = styled(_INSERT_ENTRY)
        self.lock = styled(_LOCK_HEAD)
        self.create = styled(_CREATE_HEAD)
        self.move = styled(_MOVE_HEAD)
        # PostgreSQL: the usual single entry goes in with the head's move, one statement
        self.insert_and_move = f"WITH new_entry AS ({self.insert_entry}) {self.move}"

    def time(self, moment: datetime | None) -> Any:
        """A time as the column stores it (SQLite: UTC text as SQLAlchemy writes it)."""
        if moment is None or not self.sqlite:
            return moment
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def entry(self, row: dict[str, Any]) -> dict[str, Any]:
        """The parameters of `insert_entry` for a row."""
        params = {name: row[name] for name in self.entry_columns}
        params["at"] = self.time(params["at"])
        params["redacted_at"] = self.time(params["redacted_at"])
        return params


_DRIVER_SQL: dict[str, _DriverSQL] = {}


def _sql(connection: Connection) -> _DriverSQL:
    name = connection.dialect.name
    if name not in _DRIVER_SQL:
        _DRIVER_SQL[name] = _DriverSQL(name)
    return _DRIVER_SQL[name]


def lock_head(connection: Connection, tenant_id: int | None) -> tuple[int, str]:
    """Lock the chain's head row until the transaction ends; return (last seq, last hash).

    The head is locked by writing it (`UPDATE ... RETURNING`) before it is read:
    PostgreSQL locks the row, so concurrent writers of the same chain queue here and each
    reads the head the previous one committed; SQLite has no row locks, but the write takes
    the database's single write lock (a deferred transaction that only read would see a
    stale head), which serialises writers of every chain until the commit. The head row is
    created on first use by a conflict-free insert, safe under concurrency.
    """
    sql = _sql(connection)
    key = chain_key(tenant_id)
    now = sql.time(utcnow())
    for _attempt in range(2):
        head = connection.exec_driver_sql(sql.lock, {"now": now, "chain": key}).first()
        if head is not None:
            return int(head[0]), head[1]
        connection.exec_driver_sql(sql.create, {
            "chain": key, "tenant_id": tenant_id, "genesis": GENESIS, "now": now})
    raise RuntimeError(f"the audit chain head {key} could not be created")


def append(connection: Connection, tenant_id: int | None, rows: Iterable[dict[str, Any]]) -> int:
    """Append `rows` (entries with their digests, in order) to the chain of `tenant_id`:
    lock the head, number and hash them, insert them and move the head. Returns the last
    sequence number. Must run inside the transaction that commits the entries."""
    rows = list(rows)
    if not rows:
        return 0
    sql = _sql(connection)
    seq, previous = lock_head(connection, tenant_id)
    for row in rows:
        seq += 1
        row["seq"] = seq
        row["hash"] = previous = entry_hash(previous, chained_fields(row))
    move = {"last_seq": seq, "last_hash": previous, "now": sql.time(utcnow()),
            "chain": chain_key(tenant_id)}
    if len(rows) == 1 and not sql.sqlite:
        connection.exec_driver_sql(sql.insert_and_move, {**sql.entry(rows[0]), **move})
    else:
        connection.exec_driver_sql(sql.insert_entry, [sql.entry(row) for row in rows])
        connection.exec_driver_sql(sql.move, move)
    return seq

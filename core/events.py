"""The event bus: who acted, and the hooks every event goes through.

`context()` describes the current event (tenant, actor, IP, user agent, request id, time).
`emit()` calls a runtime hook on the plugins enabled for the event's tenant. The ORM
listener at the bottom reports every insert and update of a tenant-owned record through
`crm_record_created` / `crm_record_updated`, in the same transaction, whatever made the
change (an admin page, a command, a plugin), so no view has to remember it.
"""

from __future__ import annotations

import getpass
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import click
from flask import current_app, g, has_request_context, request
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapper, Session

from core.clock import utcnow
from core.db import CrmSession
from core.scoping import TENANT_KEY, TenantOwned

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")

SYSTEM_ACTOR = "system"
HIDDEN_VALUE = "(secret)"


@dataclass(frozen=True)
class TenantRef:
    """The few facts about a tenant an event carries."""

    id: int
    slug: str
    name: str
    time_zone: str


@dataclass(frozen=True)
class EventContext:
    """Who did something, for which tenant, from where and when."""

    tenant: TenantRef | None
    actor: str
    user_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    at: datetime = field(default_factory=utcnow)

    @property
    def tenant_id(self) -> int | None:
        """The tenant's id, or None for platform-level events."""
        return self.tenant.id if self.tenant else None


@dataclass(frozen=True)
class RecordRef:
    """A record that is about to disappear: enough to find what refers to it."""

    type: str
    id: int
    label: str
    email: str | None = None


@dataclass(frozen=True)
class CreatedRecord:
    """A record inserted by a bulk write (`crm_records_created`): what `crm_record_created`
    learns from the instance, without one."""

    type: str
    id: int
    label: str
    values: dict[str, Any]


@dataclass
class Section:
    """One part of what is held about a person (right of access, erasure preview)."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    plugin: str = "core"


@dataclass
class Panel:
    """An extra panel on the contact page contributed by a plugin."""

    title: str
    html: Any
    order: int = 100
    plugin: str = "core"


def record_type(record: Any) -> str:
    """The type name used in events and audit entries: the table name (`contact`, ...)."""
    return type(record).__table__.name


def tenant_ref(tenant: Any) -> TenantRef | None:
    """Make a TenantRef from a Tenant row (None stays None)."""
    if tenant is None:
        return None
    return TenantRef(tenant.id, tenant.slug, tenant.name, tenant.time_zone)


def set_actor(actor: str, user_id: int | None = None, tenant: Any = None) -> None:
    """Record who is acting in this app context (request or command)."""
    g.crm_actor = actor
    g.crm_user_id = user_id
    if tenant is not None:
        g.crm_tenant = tenant_ref(tenant)


def cli_actor() -> str:
    """The actor name for events caused from the command line: `cli:<os user>`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli:{user}"


def default_actor() -> str:
    """Who acts when nobody was set with `set_actor`: the person at the terminal while a
    `crm` command runs (outside a request), else the system."""
    if not has_request_context() and click.get_current_context(silent=True) is not None:
        return cli_actor()
    return SYSTEM_ACTOR


def request_id() -> str | None:
    """The current request's id (None outside a request): the `X-Request-ID` header when it
    is trusted and well formed (up to 64 letters, digits, `.`, `_`, `:`, `-`), else one made
    here. The header is trusted with `CRM_TRUST_REQUEST_ID=true`, or by default behind a
    trusted proxy (`CRM_PROXY_FIX` > 0), which must then set it on every request."""
    if not has_request_context():
        return None
    if "crm_request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        trusted = current_app.config.get("TRUST_REQUEST_ID")
        if trusted is None:
            trusted = int(current_app.config.get("PROXY_FIX") or 0) > 0
        g.crm_request_id = incoming if trusted and REQUEST_ID_RE.fullmatch(incoming) else (
            uuid.uuid4().hex
        )
    return g.crm_request_id


def context(tenant: Any = None, actor: str | None = None) -> EventContext:
    """Describe the current event. `tenant` (a Tenant or TenantRef) defaults to the one
    set for this request or command; `actor` to the one set by `set_actor`, else
    `default_actor()`."""
    ref = tenant if isinstance(tenant, TenantRef) or tenant is None else tenant_ref(tenant)
    if ref is None:
        ref = g.get("crm_tenant")
    ip = user_agent = None
    if has_request_context():
        ip = request.remote_addr
        # not `if request.user_agent`: Werkzeug's UserAgent is falsy unless a parser set
        # `browser`, which the default one never does, so the header was always dropped
        user_agent = request.user_agent.string or None
    return EventContext(
        tenant=ref,
        actor=actor or g.get("crm_actor") or default_actor(),
        user_id=g.get("crm_user_id"),
        ip=ip,
        user_agent=user_agent[:512] if user_agent else None,
        request_id=request_id(),
    )


def emit(hook_name: str, ctx: EventContext, **kwargs: Any) -> Any:
    """Call runtime hook `hook_name` on the plugins enabled for `ctx.tenant` (all installed
    plugins when the event has no tenant) and return pluggy's result."""
    host = current_app.extensions["crm"]["plugins"]
    return host.caller_for(ctx.tenant_id, hook_name)(ctx=ctx, **kwargs)


def has_listeners(hook_name: str, ctx: EventContext) -> bool:
    """True when a plugin enabled for `ctx.tenant` implements `hook_name` (a caller may
    then skip building what only the hook would read)."""
    host = current_app.extensions["crm"]["plugins"]
    return bool(host.caller_for(ctx.tenant_id, hook_name).get_hookimpls())


def field_changes(record: Any) -> dict[str, tuple[Any, Any]]:
    """Return {field: (before, after)} for the changed columns of `record` (before the flush
    ends). Secret fields (`__secret_fields__`) are reported as changed with their values
    hidden; bookkeeping fields (`__bookkeeping_fields__`, e.g. a session token rotated at
    logout) are left out, so that a change of only those is no update at all."""
    secrets = getattr(type(record), "__secret_fields__", ())
    bookkeeping = getattr(type(record), "__bookkeeping_fields__", ())
    changes: dict[str, tuple[Any, Any]] = {}
    state = inspect(record)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        before = history.deleted[0] if history.deleted else None
        after = history.added[0] if history.added else None
        if before == after or attr.key in ("updated_at", "search_key", *bookkeeping):
            continue
        if attr.key in secrets:
            changes[attr.key] = (HIDDEN_VALUE, HIDDEN_VALUE)
        else:
            changes[attr.key] = (before, after)
    for rel in state.mapper.relationships:
        history = state.attrs[rel.key].history
        if not history.has_changes():
            continue
        if rel.uselist:
            now = [str(item) for item in (getattr(record, rel.key) or [])]
            added = {str(item) for item in history.added}
            removed = [str(item) for item in history.deleted]
            before_list = sorted([n for n in now if n not in added] + removed)
            if before_list != sorted(now):
                changes[rel.key] = (before_list, sorted(now))
        else:
            before = str(history.deleted[0]) if history.deleted and history.deleted[0] else None
            after = str(history.added[0]) if history.added and history.added[0] else None
            if before != after:
                changes[rel.key] = (before, after)
                changes.pop(f"{rel.key}_id", None)
    return changes


@event.listens_for(Mapper, "mapper_configured")
def _keep_values_before_changes(mapper: Mapper, cls: type) -> None:
    """Make every column of a tracked model load its old value when it is set while
    expired, so `crm_record_updated` can always say what a field was before."""
    if not (issubclass(cls, TenantOwned) and getattr(cls, "__crm_events__", True)):
        return
    for attr in mapper.column_attrs:
        if attr.parent is mapper:
            event.listen(getattr(cls, attr.key), "set", _noop_set, active_history=True)


def _noop_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
    return value


def _tracked(obj: Any) -> bool:
    return isinstance(obj, TenantOwned) and getattr(type(obj), "__crm_events__", True)


def _event_tenant(session: Session, record: Any) -> TenantRef | None:
    if record.tenant_id is None:
        return None
    cached = g.get("crm_tenant")
    if cached is not None and cached.id == record.tenant_id:
        return cached
    host = current_app.extensions["crm"]["plugins"]
    return host.tenant_ref(record.tenant_id)


@event.listens_for(CrmSession, "after_flush")
def _report_record_changes(session: Session, flush_context: Any) -> None:
    if "crm" not in current_app.extensions or session.info.get(TENANT_KEY) is None:
        return
    created = [obj for obj in session.new if _tracked(obj)]
    updated = []
    deleted = session.deleted  # a new set on every access: read it once, not once per row
    for obj in session.dirty:
        if not _tracked(obj) or obj in deleted:
            continue
        changes = field_changes(obj)
        # trash and restore are reported by their own hooks
        if {"deleted_at", "deleted_by", "deletion_unit"} & changes.keys():
            continue
        if changes:
            updated.append((obj, changes))
    if not created and not updated:
        return
    with session.no_autoflush:
        for obj in created:
            emit("crm_record_created", context(tenant=_event_tenant(session, obj)), record=obj)
        for obj, changes in updated:
            emit(
                "crm_record_updated",
                context(tenant=_event_tenant(session, obj)),
                record=obj,
                changes=changes,
            )

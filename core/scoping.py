"""Tenant scope and soft delete: the two central query filters.

Every model that carries `TenantOwned` is filtered to the session's current tenant by one
`do_orm_execute` listener, for every ORM SELECT, UPDATE and DELETE, relationship loads
included. A query that touches a tenant-owned table with no tenant chosen raises
`TenantScopeMissing` rather than returning every tenant's rows (fail closed). Code that
really works across tenants (the platform admin pages, cron commands that loop over
tenants, the login look-up) says so with `all_tenants()`.

Every model that carries `SoftDeletable` is filtered to rows whose `deleted_at` is NULL
unless the statement (or the session, via `including_deleted()`) asks for trashed rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    with_loader_criteria,
)

from core.db import CrmSession, SafeString, db

TENANT_KEY = "crm.tenant_id"
INCLUDE_DELETED_KEY = "crm.include_deleted"


class _AllTenants:
    def __repr__(self) -> str:
        return "ALL_TENANTS"


ALL_TENANTS = _AllTenants()


class TenantScopeMissing(RuntimeError):
    """Raised when tenant-owned rows are read or written with no tenant chosen."""


class CrossTenantWrite(RuntimeError):
    """Raised when a row of one tenant is flushed while another tenant is in scope."""


class TenantOwned:
    """Mixin for every model that belongs to a tenant; filtered centrally by tenant."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(
            ForeignKey("tenant.id", ondelete="CASCADE"), index=True, nullable=False
        )


class SoftDeletable:
    """Mixin for models that can go to the trash; trashed rows are filtered centrally.

    `deletion_unit` groups the rows trashed together (a contact with its dependants) so
    that they are restored or purged as one.
    """

    deleted_at: Mapped[datetime | None] = mapped_column(default=None)
    deleted_by: Mapped[str | None] = mapped_column(SafeString(255), default=None)
    deletion_unit: Mapped[str | None] = mapped_column(SafeString(36), default=None, index=True)

    @property
    def is_trashed(self) -> bool:
        """True when the row is in the trash."""
        return self.deleted_at is not None


def _session(session: Session | None) -> Session:
    return session if session is not None else db.session()


def set_tenant(tenant_id: int | _AllTenants | None, session: Session | None = None) -> None:
    """Choose the tenant whose rows the session sees and writes (None clears the choice)."""
    info = _session(session).info
    if tenant_id is None:
        info.pop(TENANT_KEY, None)
    else:
        info[TENANT_KEY] = tenant_id


def current_tenant_id(session: Session | None = None) -> int | _AllTenants | None:
    """Return the session's tenant id, `ALL_TENANTS`, or None when none is chosen."""
    return _session(session).info.get(TENANT_KEY)


@contextmanager
def tenant_scope(tenant_id: int | _AllTenants, session: Session | None = None) -> Iterator[None]:
    """Run the block with `tenant_id` in scope, restoring the previous scope afterwards."""
    sess = _session(session)
    previous = sess.info.get(TENANT_KEY)
    sess.info[TENANT_KEY] = tenant_id
    try:
        yield
    finally:
        if previous is None:
            sess.info.pop(TENANT_KEY, None)
        else:
            sess.info[TENANT_KEY] = previous


def all_tenants(session: Session | None = None):
    """Context manager for the few reviewed places that work across tenants."""
    return tenant_scope(ALL_TENANTS, session)


@contextmanager
def including_deleted(session: Session | None = None) -> Iterator[None]:
    """Run the block with trashed rows visible (the trash view, purge, restore)."""
    sess = _session(session)
    previous = sess.info.get(INCLUDE_DELETED_KEY, False)
    sess.info[INCLUDE_DELETED_KEY] = True
    try:
        yield
    finally:
        sess.info[INCLUDE_DELETED_KEY] = previous


def _touches_tenant_tables(state: ORMExecuteState) -> bool:
    return any(issubclass(m.class_, TenantOwned) for m in state.all_mappers)


@event.listens_for(CrmSession, "do_orm_execute")
def _apply_central_filters(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    info = state.session.info
    scope = info.get(TENANT_KEY)
    options: list[Any] = []
    if scope is None:
        if _touches_tenant_tables(state):
            raise TenantScopeMissing(
                "a query touched tenant-owned rows with no tenant in scope; "
                "wrap it in tenant_scope(...) or all_tenants()"
            )
    elif scope is not ALL_TENANTS:
        tenant_id = scope
        options.append(
            with_loader_criteria(
                TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
            )
        )
    if not (state.execution_options.get("include_deleted") or info.get(INCLUDE_DELETED_KEY)):
        options.append(
            with_loader_criteria(
                SoftDeletable, lambda cls: cls.deleted_at.is_(None), include_aliases=True
            )
        )
    if options:
        state.statement = state.statement.options(*options)


@event.listens_for(CrmSession, "before_flush")
def _stamp_and_guard_tenant(session: Session, flush_context: Any, instances: Any) -> None:
    scope = session.info.get(TENANT_KEY)
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if isinstance(scope, int):
                obj.tenant_id = scope
                continue
            if scope is ALL_TENANTS and _tenant_optional(obj):
                continue
            raise TenantScopeMissing(
                f"{type(obj).__name__} has no tenant and none is in scope"
            )
        if isinstance(scope, int) and obj.tenant_id != scope:
            raise CrossTenantWrite(
                f"{type(obj).__name__} of tenant {obj.tenant_id} written while tenant "
                f"{scope} is in scope"
            )
        if scope is None:
            raise TenantScopeMissing(
                f"{type(obj).__name__} written with no tenant in scope"
            )


def _tenant_optional(obj: Any) -> bool:
    column = type(obj).__table__.c.tenant_id
    return bool(column.nullable)

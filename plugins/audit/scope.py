"""Which chain a query reads: a tenant's (through the central tenant filter) or the
platform's (the entries without a tenant)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.scoping import all_tenants, tenant_scope
from plugins.audit.models import AuditEntry


@contextmanager
def chain_scope(tenant_id: int | None) -> Iterator[None]:
    """Run the block with the chain's tenant in scope (every tenant for the platform
    chain, which `only_chain` then narrows to the entries without a tenant)."""
    if tenant_id is None:
        with all_tenants():
            yield
    else:
        with tenant_scope(tenant_id):
            yield


def only_chain(statement: Any, tenant_id: int | None) -> Any:
    """Narrow an ORM statement over `AuditEntry` to the chain of `tenant_id`. The central
    filter already keeps a tenant's rows; the platform chain needs `tenant_id IS NULL`."""
    if tenant_id is None:
        return statement.where(AuditEntry.tenant_id.is_(None))
    return statement.where(AuditEntry.tenant_id == tenant_id)

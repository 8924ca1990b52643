"""The one reviewed way to run raw SQL over tenant-owned tables.

`text()` statements escape the ORM's central tenant filter. Code that needs raw SQL for
speed (benchmarks' baselines, the audit chain, bulk purges) goes through `tenant_sql`,
which refuses a statement that does not filter on `:tenant_id` and binds it to the tenant
in scope, so a raw query can never read another tenant's rows by omission.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Result, bindparam, text

from core.db import db
from core.scoping import TenantScopeMissing, current_tenant_id

_TENANT_FILTER = re.compile(r"\btenant_id\s*=\s*:tenant_id\b")


def tenant_sql(sql: str, params: dict[str, Any] | None = None,
               expanding: tuple[str, ...] = ()) -> Result:
    """Execute `sql` for the tenant in scope and return the result.

    The statement must contain `tenant_id = :tenant_id` (for every tenant table it reads);
    the parameter is bound here and cannot be passed in. The parameters named in
    `expanding` take a list, written `IN :name` (one bind for the whole list).
    """
    tenant_id = current_tenant_id()
    if not isinstance(tenant_id, int):
        raise TenantScopeMissing("raw SQL over tenant tables needs one tenant in scope")
    if not _TENANT_FILTER.search(sql):
        raise ValueError("raw SQL over tenant tables must filter on 'tenant_id = :tenant_id'")
    bound = dict(params or {})
    if "tenant_id" in bound:
        raise ValueError("tenant_id is bound from the scope; do not pass it")
    bound["tenant_id"] = tenant_id
    statement = text(sql)
    if expanding:
        statement = statement.bindparams(*(bindparam(name, expanding=True)
                                           for name in expanding))
    return db.session.execute(statement, bound)

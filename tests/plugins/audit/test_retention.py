"""Retention: old entries go in batches, the rest of the chain still verifies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from core.clock import utcnow
from core.db import db
from core.events import context, emit
from core.models import Tenant
from core.scoping import tenant_scope
from core.settings import set_setting
from plugins.audit.models import AuditCheckpoint
from plugins.audit.retention import DEFAULT_RETENTION_DAYS, retention_days
from tests.plugins.audit.conftest import acting, entries


@pytest.mark.parametrize("days", ["0", "-1", "36501"])
def test_purge_refuses_a_retention_below_one_day_or_above_the_setting(app, cli, audited, days):
    before = len(entries(app, audited.id))
    result = cli.invoke(args=["audit", "purge", "--tenant", "acme", f"--older-than-days={days}"])
    assert result.exit_code == 2
    assert (f"Error: Invalid value for '--older-than-days': {days} is not in the range "
            "1<=x<=36500.") in result.output
    assert len(entries(app, audited.id)) == before


def test_purge_in_batches_keeps_the_chain_verifiable(app, cli, tenant_a):
    now = utcnow()
    with acting(app, tenant_a):
        tenant_row = db.session.get(Tenant, tenant_a.id)
        host = app.extensions["crm"]["plugins"]
        host.enable(replace(context(tenant=tenant_row), at=now - timedelta(days=400)), "audit")
        db.session.commit()
        for age in (390, 380, 300, 200, 10, 0):
            emit("crm_records_exported",
                 replace(context(), at=now - timedelta(days=age)), what="contacts list",
                 file_format="csv", subject=None, rows=age, details={})
        db.session.commit()
    result = cli.invoke(args=["audit", "purge", "--tenant", "acme", "--older-than-days", "250",
                              "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Removed 4 audit entries of 'acme'" in result.output
    assert "in 2 batches (through seq 4)" in result.output
    trail = entries(app, tenant_a.id)
    assert [e.seq for e in trail] == [5, 6, 7, 8, 9]
    assert [e.action for e in trail][-2:] == ["log_purged", "log_purged"]
    assert json.loads(trail[-1].info)["through_seq"] == 4
    with app.app_context(), tenant_scope(tenant_a.id):
        checkpoint = db.session.get(AuditCheckpoint, tenant_a.id)
        assert (checkpoint.seq, checkpoint.purged) == (4, 4)
    verified = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert verified.exit_code == 0, verified.output
    assert "seq 5 to 9 (older entries purged)" in verified.output

    # the tenant's own retention: 100 days takes the 200-day-old entry too
    with app.app_context(), tenant_scope(tenant_a.id):
        assert retention_days(tenant_a.id) == DEFAULT_RETENTION_DAYS == 1826
        set_setting(tenant_a.id, "audit", "retention_days", "100")
        db.session.commit()
        assert retention_days(tenant_a.id) == 100
    again = cli.invoke(args=["audit", "purge", "--tenant", "acme"])
    assert again.exit_code == 0, again.output
    assert "Removed 1 audit entry" in again.output
    assert entries(app, tenant_a.id)[0].seq == 6
    verified = cli.invoke(args=["audit", "verify", "--tenant", "acme"])
    assert verified.exit_code == 0, verified.output

    nothing = cli.invoke(args=["audit", "purge", "--tenant", "acme"])
    assert nothing.exit_code == 0 and "No audit entries" in nothing.output


def test_purge_of_a_chain_that_does_not_exist_yet(cli, tenant_a):
    result = cli.invoke(args=["audit", "purge", "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    assert cli.invoke(args=["audit", "purge", "--platform"]).exit_code == 0

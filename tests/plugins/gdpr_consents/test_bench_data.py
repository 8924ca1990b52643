"""The consent benchmark's data and its two sides: the generator fills the plugin's tables,
and our segment queries answer exactly what the hand-written SQL answers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bench.benchmarks.consents import (
    _spec,
    orm_count,
    orm_export,
    orm_page,
    sql_count,
    sql_page,
)
from bench.datagen import generate
from core import create_app
from core.clock import utcnow
from core.db import db
from core.schema import upgrade
from core.scoping import including_deleted, tenant_scope
from plugins.gdpr_consents.models import Consent, ConsentState


def test_generated_consents_and_both_sides_agree(tmp_path: Path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/bench.sqlite3",
                      "INSTANCE_DIR": str(tmp_path), "TESTING": True,
                      "PLUGINS": ["gdpr_consents"]})
    upgrade(app)
    summary = generate(app, tenants=2, contacts_per_tenant=400, consents_per_contact=3,
                       seed=5)
    assert summary.counts["consents"] == 2400 and summary.counts["purposes"] == 6
    as_of = utcnow()
    with app.app_context():
        tenant_id = summary.tenant_ids[0]
        with tenant_scope(tenant_id), including_deleted():
            states = set(db.session.scalars(select(Consent.state)))
            assert states == set(ConsentState)
            assert db.session.scalar(select(func.count()).select_from(Consent)) == 1200
        with tenant_scope(tenant_id):
            purpose_id = _spec(tenant_id, as_of).purpose_rows[0].id
        members = orm_count(tenant_id, as_of)()
        assert 0 < members == sql_count(tenant_id, purpose_id, as_of)()
        assert orm_page(tenant_id, as_of)() == sql_page(tenant_id, purpose_id, as_of)()
        assert orm_export(tenant_id, as_of, tmp_path / "s.csv")() == members
        db.session.remove()
        db.engine.dispose()

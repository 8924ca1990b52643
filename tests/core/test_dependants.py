"""`core.dependants`: what belongs to a record, found generically over the app's models."""

from __future__ import annotations

import io

from core.attachments import attachment_store
from core.db import db
from core.dependants import (
    dependant_links,
    dependants_of,
    rows_of_units,
    soft_deletable_models,
)
from core.models import Activity, Company, Contact
from core.scoping import including_deleted, tenant_scope
from tests.conftest import build_app

PDF = b"%PDF-1.4\n%%EOF\n"


def _names(rows):
    return sorted((type(r).__tablename__, r.id) for r in rows)


def test_links_follow_cascading_and_required_keys_of_installed_models_only(app, database_url,
                                                                          tmp_path):
    with app.app_context():
        links = {(link.model.__tablename__, link.column.key, link.target)
                 for link in dependant_links()}
        tables = [m.__tablename__ for m in soft_deletable_models()]
    # a plugin's model that belongs to a contact is found without importing the plugin
    assert ("gdpr_consents_consent", "contact_id", "contact") in links
    # SET NULL keys do not make dependants: a contact outlives its company
    assert not any(target == "company" for _, _, target in links)
    assert tables.index("contact") < tables.index("gdpr_consents_consent")
    bare = build_app(database_url, tmp_path / "bare", PLUGINS=[])
    with bare.app_context():
        assert {m.__tablename__ for m in soft_deletable_models()} == {
            "attachment", "company", "contact", "activity"}
        assert dependant_links() == []


def test_dependants_of_a_contact(app, tenant_a):
    with app.app_context(), tenant_scope(tenant_a.id):
        company = Company(name="Firma")
        ana = Contact(first_name="Ana", company=company)
        bor = Contact(first_name="Bor")
        cene = Contact(first_name="Cene")
        own = Activity(subject="own", participants=[ana])
        shared = Activity(subject="shared", participants=[ana, bor])
        with_trashed = Activity(subject="with someone in the trash", participants=[ana, cene])
        db.session.add_all([company, ana, bor, cene, own, shared, with_trashed])
        db.session.flush()
        store = attachment_store()
        mine = store.save(owner_type="contact", owner_id=ana.id, filename="a.pdf",
                          stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        minutes = store.save(owner_type="activity", owner_id=own.id, filename="m.pdf",
                             stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        store.save(owner_type="contact", owner_id=bor.id, filename="b.pdf",
                   stream=io.BytesIO(PDF), tenant_id=tenant_a.id)
        cene.deleted_at = own.created_at
        db.session.commit()

        found = dependants_of(ana)
        assert _names(found) == _names([own, mine, minutes])

        for row in [ana, *found]:
            row.deletion_unit = "u-1"
            row.deleted_at = own.created_at
        db.session.commit()
        assert dependants_of(ana) == []  # trashed rows are not found ...
        with including_deleted():
            assert _names(rows_of_units(["u-1"])) == _names([ana, own, mine, minutes])
            assert _names(dependants_of(ana)) == _names([own, mine, minutes])  # ... unless asked


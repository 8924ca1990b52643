"""The pages: the contact panel (add a consent with a scan, history, withdraw, receipt),
purposes, segments (count, pages, export, save), expiring and without-consent lists;
bad input is a 4xx with the message; other tenants' ids and a disabled plugin answer 404."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select

from core.db import db
from core.models import Attachment, Contact
from core.scoping import tenant_scope
from plugins.gdpr_consents.models import Consent, ConsentEvent, Purpose
from tests.support import csrf_token, logged_in

from .conftest import enable_consents

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def add_contact(app, tenant_id, email, **fields):
    with app.app_context(), tenant_scope(tenant_id):
        contact = Contact(email=email, tenant_id=tenant_id, **fields)
        db.session.add(contact)
        db.session.commit()
        return contact.id


def contact_page(client, contact_id):
    return client.get(f"/admin/contacts/details/?id={contact_id}")


def test_add_a_consent_with_a_scan_see_history_withdraw_and_receipt(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    contact_id = add_contact(app, tenant_a.id, "ana.novak@firma.si", first_name="Ana")
    client = logged_in(app, tenant_a.user_email)
    page = contact_page(client, contact_id).get_data(as_text=True)
    assert 'id="gdpr-consent-overview"' in page and "consent needed" in page
    assert "personal, at a company" in page
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    response = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "newsletter", "given_at": "2025-01-31",
        "duration_months": "1", "source": "manual", "source_detail": "sejem",
        "proof": (io.BytesIO(PDF), "podpis.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    page = contact_page(client, contact_id).get_data(as_text=True)
    assert 'id="gdpr-purpose-newsletter" data-state=' in page
    assert "podpis.pdf" in page and "2025-02-28 00:00" in page and "manual: sejem" in page
    history = page.split('id="gdpr-consent-history"')[1]
    assert "grant" in history and f"user:{tenant_a.user_email}" in history
    with app.app_context(), tenant_scope(tenant_a.id):
        consent = db.session.scalar(select(Consent))
        consent_id = consent.id
        assert consent.recorded_by == f"user:{tenant_a.user_email}"
        assert consent.recorded_by_id == tenant_a.user_id
    receipt = client.get(f"/admin/gdpr_consents_contact/consent/{consent_id}/receipt.json")
    assert receipt.status_code == 200
    assert "attachment" in receipt.headers["Content-Disposition"]
    assert json.loads(receipt.get_data())["version"] == "KI-CR-v1.1.0"
    # an expired consent cannot be withdrawn: a 4xx with the message
    refused = client.post(f"/admin/gdpr_consents_contact/consent/{consent_id}/withdraw",
                          data={"csrf_token": token})
    assert refused.status_code == 400
    assert "only a granted or pending consent can be withdrawn" in refused.get_data(
        as_text=True)
    client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "events", "given_at": "2025-03-01"})
    with app.app_context(), tenant_scope(tenant_a.id):
        events_id = db.session.scalar(select(Consent.id).join(Purpose).where(
            Purpose.code == "events"))
    withdrawn = client.post(f"/admin/gdpr_consents_contact/consent/{events_id}/withdraw",
                            data={"csrf_token": token, "reason": "Ne želim več."})
    assert withdrawn.status_code == 302
    page = contact_page(client, contact_id).get_data(as_text=True)
    assert "withdraw" in page.split('id="gdpr-consent-history"')[1]
    assert "Ne želim več." in page


def test_bad_input_on_the_form_is_a_4xx_naming_the_field_and_stores_nothing(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    contact_id = add_contact(app, tenant_a.id, "b@firma.si")
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    cases = [
        ({"given_at": "2025-01-01"}, 400, "purpose: choose the purpose"),
        ({"purpose": "newsletter"}, 400, "given_at: a date is needed"),
        ({"purpose": "newsletter", "given_at": "2025-01-01", "duration_months": "1.5"}, 400,
         "duration_months: &#39;1.5&#39; is not a whole number of months"),
        ({"purpose": "newsletter", "given_at": "2025-01-01",
          "proof": (io.BytesIO(b"MZ" + b"\x00" * 300), "virus.exe")}, 415,
         "proof: &#39;virus.exe&#39; is not an allowed file type"),
    ]
    for form, status, message in cases:
        response = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add",
                               data={"csrf_token": token, **form},
                               content_type="multipart/form-data")
        html = response.get_data(as_text=True)
        assert response.status_code == status, html
        assert message in html
        assert 'id="gdpr-add-consent"' in html  # the form again, to correct it
    with app.app_context(), tenant_scope(tenant_a.id):
        assert db.session.scalar(select(func.count()).select_from(Consent)) == 0
        assert db.session.scalar(select(func.count()).select_from(ConsentEvent)) == 0
        assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_other_tenants_ids_and_a_disabled_plugin_answer_404(app, tenant_a, tenant_b):
    enable_consents(app, tenant_a.slug)
    theirs = add_contact(app, tenant_a.id, "x@firma.si")
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={theirs}")
    client.post(f"/admin/gdpr_consents_contact/{theirs}/add", data={
        "csrf_token": token, "purpose": "newsletter", "given_at": "2025-01-01"})
    with app.app_context(), tenant_scope(tenant_a.id):
        consent_id = db.session.scalar(select(Consent.id))
    enable_consents(app, tenant_b.slug)
    other = logged_in(app, tenant_b.admin_email)
    token = csrf_token(other, "/admin/contacts/")
    assert other.post(f"/admin/gdpr_consents_contact/{theirs}/add", data={
        "csrf_token": token, "purpose": "newsletter", "given_at": "2025-01-01"}
    ).status_code == 404
    assert other.post(f"/admin/gdpr_consents_contact/consent/{consent_id}/withdraw",
                      data={"csrf_token": token}).status_code == 404
    assert other.get(f"/admin/gdpr_consents_contact/consent/{consent_id}/receipt.json"
                     ).status_code == 404
    assert "x@firma.si" not in other.get("/admin/gdpr_consents_consents/").get_data(
        as_text=True)
    with app.app_context():
        from core.events import context
        from core.models import Tenant
        from core.scoping import all_tenants

        with all_tenants():
            beta = db.session.scalar(select(Tenant).where(Tenant.slug == "beta"))
        app.extensions["crm"]["plugins"].disable(context(tenant=beta, actor="cli:t"),
                                                 "gdpr_consents")
        db.session.commit()
    for url in ("/admin/gdpr_consents_segments/", "/admin/gdpr_consents_purposes/",
                "/admin/gdpr_consents_expiring/", "/admin/gdpr_consents_unconsented/",
                "/admin/gdpr_consents_consents/"):
        assert other.get(url).status_code == 404, url
    page = other.get("/admin/contacts/").get_data(as_text=True)
    assert "gdpr_consents_segments" not in page


def test_purposes_are_managed_by_tenant_admins(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    admin = logged_in(app, tenant_a.admin_email)
    listed = admin.get("/admin/gdpr_consents_purposes/").get_data(as_text=True)
    assert "newsletter" in listed and "events" in listed and "sms" in listed
    token = csrf_token(admin, "/admin/gdpr_consents_purposes/new/")
    made = admin.post("/admin/gdpr_consents_purposes/new/", data={
        "csrf_token": token, "code": "Webinars", "name": "Webinarji",
        "legal_basis": "legitimate_interests", "default_months": "6"})
    assert made.status_code == 302, made.get_data(as_text=True)
    taken = admin.post("/admin/gdpr_consents_purposes/new/", data={
        "csrf_token": token, "code": "newsletter", "name": "Again", "legal_basis": "consent"})
    assert "a purpose &#39;newsletter&#39; exists already" in taken.get_data(as_text=True)
    with app.app_context(), tenant_scope(tenant_a.id):
        codes = sorted(db.session.scalars(select(Purpose.code)))
        assert codes == ["events", "newsletter", "sms", "webinars"]
    user = logged_in(app, tenant_a.user_email)
    assert user.get("/admin/gdpr_consents_purposes/").status_code == 403  # not for users


def test_segment_page_counts_pages_exports_and_saves(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    ids = [add_contact(app, tenant_a.id, email, last_name=name) for email, name in (
        ("ana@firma.si", "Novak"), ("info@firma.si", ""), ("=cmd@firma.si", "Zlo"))]
    client = logged_in(app, tenant_a.admin_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={ids[0]}")
    for contact_id in ids:
        client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
            "csrf_token": token, "purpose": "newsletter", "given_at": "2025-01-01"})
    page = client.get("/admin/gdpr_consents_segments/?purposes=newsletter")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<p id="gdpr-segment-count"><strong>2</strong>' in html
    assert "ana@firma.si" in html and "info@firma.si" not in html
    with_roles = client.get("/admin/gdpr_consents_segments/?purposes=newsletter&roles=1")
    assert "<strong>3</strong>" in with_roles.get_data(as_text=True)
    exported = client.get("/admin/gdpr_consents_segments/export?purposes=newsletter&format=csv")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["ana@firma.si", "'=cmd@firma.si"]
    xlsx = client.get("/admin/gdpr_consents_segments/export?purposes=newsletter&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    bad = client.get("/admin/gdpr_consents_segments/?purposes=newsletter&as_of=31.12.2025")
    assert bad.status_code == 400 and "as_of:" in bad.get_data(as_text=True)
    saved = client.post("/admin/gdpr_consents_segments/save", data={
        "csrf_token": token, "purposes": "newsletter", "name": "Novice", "match": "all"})
    assert saved.status_code == 302
    listing = client.get("/admin/gdpr_consents_segments/").get_data(as_text=True)
    assert "Novice" in listing.split('id="gdpr-saved-segments"')[1]


def test_expiring_and_without_consent_pages(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    contact_id = add_contact(app, tenant_a.id, "ana@firma.si")
    add_contact(app, tenant_a.id, "bor@gmail.com")
    add_contact(app, tenant_a.id, "info@firma.si")
    from datetime import timedelta

    from core.clock import utcnow

    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    soon = (utcnow() - timedelta(days=24 * 30 - 10)).date().isoformat()
    client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "newsletter", "given_at": soon,
        "duration_months": "24"})
    expiring = client.get("/admin/gdpr_consents_expiring/").get_data(as_text=True)
    assert "ana@firma.si" in expiring
    missing = client.get("/admin/gdpr_consents_unconsented/").get_data(as_text=True)
    assert "bor@gmail.com" in missing and "info@firma.si" not in missing
    assert "ana@firma.si" not in missing


def disable_consents(app, slug):
    with app.app_context():
        from core.events import context
        from core.models import Tenant
        from core.scoping import all_tenants

        with all_tenants():
            tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
        app.extensions["crm"]["plugins"].disable(context(tenant=tenant, actor="cli:t"),
                                                 "gdpr_consents")
        db.session.commit()


def granted_on_the_page(app, tenant, email, **form):
    """Log in as the tenant's user and add a consent of a new contact `email` on its page;
    return (client, csrf token, contact id)."""
    contact_id = add_contact(app, tenant.id, email)
    client = logged_in(app, tenant.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    response = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add",
                           data={"csrf_token": token, "purpose": "newsletter", **form},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return client, token, contact_id


def test_a_proof_downloads_for_its_tenant_only_and_while_the_plugin_is_on(
        app, tenant_a, tenant_b):
    enable_consents(app, tenant_a.slug)
    enable_consents(app, tenant_b.slug)
    client, _token, _contact_id = granted_on_the_page(
        app, tenant_a, "p@firma.si", given_at="2025-01-31",
        proof=(io.BytesIO(PDF), "podpis.pdf"))
    with app.app_context(), tenant_scope(tenant_a.id):
        proof = db.session.scalar(select(Attachment))
        assert proof.owner_type == "gdpr_consents.consent"
        proof_id = proof.id
    url = f"/admin/attachments/{proof_id}/download"
    mine = client.get(url)
    assert mine.status_code == 200 and mine.data == PDF
    assert "podpis.pdf" in mine.headers["Content-Disposition"]
    other = logged_in(app, tenant_b.admin_email)
    assert other.get(url).status_code == 404
    disable_consents(app, tenant_a.slug)
    assert client.get(url).status_code == 404


def test_a_file_whose_owner_type_no_model_knows_is_not_served(app, tenant_a):
    from core.attachments import attachment_store

    with app.app_context(), tenant_scope(tenant_a.id):
        stray = attachment_store().save(owner_type="no_such_kind", owner_id=1,
                                        filename="x.pdf", stream=io.BytesIO(PDF),
                                        tenant_id=tenant_a.id)
        db.session.commit()
        stray_id = stray.id
    client = logged_in(app, tenant_a.user_email)
    assert client.get(f"/admin/attachments/{stray_id}/download").status_code == 404


def consent_of(app, tenant_id, purpose="newsletter"):
    with app.app_context(), tenant_scope(tenant_id):
        return db.session.scalar(select(Consent).join(Purpose).where(Purpose.code == purpose))


def test_a_consent_entered_wrongly_is_corrected_and_the_history_keeps_the_old_values(
        app, tenant_a):
    enable_consents(app, tenant_a.slug)
    client, token, contact_id = granted_on_the_page(
        app, tenant_a, "r@firma.si", given_at="2025-03-21", duration_months="120",
        source="manual", source_detail="sejm")
    consent_id = consent_of(app, tenant_a.id).id
    url = f"/admin/gdpr_consents_contact/consent/{consent_id}/rectify"
    assert f'href="{url}"' in contact_page(client, contact_id).get_data(as_text=True)
    form = client.get(url).get_data(as_text=True)
    assert 'value="2025-03-21"' in form and 'value="120"' in form and 'value="sejm"' in form
    shown = {"csrf_token": token, "given_at": "2025-03-21", "duration_months": "120",
             "expires_at": "", "source": "manual", "source_detail": "sejm"}
    # no reason, nothing changed, a bad date: a 400 naming the field, nothing recorded
    for changes, message in (
        ({"given_at": "2025-03-12"}, "reason: say why the consent is corrected"),
        ({"reason": "typo"}, "consent: nothing to correct"),
        ({"given_at": "12.3.2025", "reason": "typo"},
         "given_at: &#39;12.3.2025&#39; is not a date"),
        ({"duration_months": "", "expires_at": "2025-01-01", "reason": "typo"},
         "expires_at: the expiry (2025-01-01 00:00) must come after"),
    ):
        response = client.post(url, data={**shown, **changes})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, html
        assert message in html and 'id="gdpr-rectify"' in html
    assert consent_of(app, tenant_a.id).given_at.isoformat().startswith("2025-03-20T23:00")
    corrected = client.post(url, data={**shown, "given_at": "2025-03-12", "source_detail":
                                       "sejem Celje", "reason": "date on the signed form"})
    assert corrected.status_code == 302, corrected.get_data(as_text=True)
    consent = consent_of(app, tenant_a.id)
    assert consent.given_at.isoformat().startswith("2025-03-11T23:00")
    assert consent.expires_at.isoformat().startswith("2035-03-11T23:00")
    assert consent.source_detail == "sejem Celje"
    with app.app_context(), tenant_scope(tenant_a.id):
        kinds = [e.kind.value for e in db.session.scalars(
            select(ConsentEvent).order_by(ConsentEvent.id))]
    assert kinds == ["grant", "rectify"]
    history = contact_page(client, contact_id).get_data(as_text=True).split(
        'id="gdpr-consent-history"')[1]
    assert "rectify" in history and "date on the signed form" in history
    assert "given_at: 2025-03-21 00:00 → 2025-03-12 00:00" in history
    assert "source_detail: sejm → sejem Celje" in history
    assert f"user:{tenant_a.user_email}" in history


def test_a_refusal_is_recorded_on_the_contact_page_with_its_proof(app, tenant_a):
    enable_consents(app, tenant_a.slug)
    contact_id = add_contact(app, tenant_a.id, "no@firma.si")
    client = logged_in(app, tenant_a.user_email)
    page = contact_page(client, contact_id).get_data(as_text=True)
    assert 'id="gdpr-add-refusal-submit"' in page
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    missing = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "sms", "answer": "refused"})
    assert missing.status_code == 400
    assert "refused_at: a date is needed" in missing.get_data(as_text=True)
    response = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
        "csrf_token": token, "purpose": "sms", "given_at": "2025-04-02", "answer": "refused",
        "source_detail": "sejem", "proof": (io.BytesIO(PDF), "ne.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    consent = consent_of(app, tenant_a.id, "sms")
    assert consent.state.value == "refused" and consent.given_at is None
    assert consent.refused_at.isoformat().startswith("2025-04-01T22:00")
    page = contact_page(client, contact_id).get_data(as_text=True)
    assert 'id="gdpr-purpose-sms" data-state="refused"' in page and "ne.pdf" in page
    assert "refuse" in page.split('id="gdpr-consent-history"')[1]


def test_another_tenants_consent_cannot_be_corrected(app, tenant_a, tenant_b):
    enable_consents(app, tenant_a.slug)
    enable_consents(app, tenant_b.slug)
    granted_on_the_page(app, tenant_a, "s@firma.si", given_at="2025-03-21")
    url = f"/admin/gdpr_consents_contact/consent/{consent_of(app, tenant_a.id).id}/rectify"
    other = logged_in(app, tenant_b.admin_email)
    assert other.get(url).status_code == 404
    assert other.post(url, data={"csrf_token": csrf_token(other, "/admin/contacts/"),
                                 "given_at": "2025-01-01", "reason": "x"}).status_code == 404
    assert consent_of(app, tenant_a.id).given_at.isoformat().startswith("2025-03-20T23:00")


def test_the_audit_trail_names_who_granted_corrected_and_withdrew(app, tenant_a):
    from core.events import context
    from core.models import Tenant
    from core.scoping import all_tenants
    from plugins.audit.models import AuditEntry

    enable_consents(app, tenant_a.slug)
    with app.app_context():
        with all_tenants():
            acme = db.session.scalar(select(Tenant).where(Tenant.slug == tenant_a.slug))
        app.extensions["crm"]["plugins"].enable(context(tenant=acme, actor="cli:t"), "audit")
        db.session.commit()
    client, token, _contact_id = granted_on_the_page(
        app, tenant_a, "t@firma.si", given_at="2025-03-21", source_detail="sejm")
    consent_id = consent_of(app, tenant_a.id).id
    client.post(f"/admin/gdpr_consents_contact/consent/{consent_id}/rectify", data={
        "csrf_token": token, "source_detail": "sejem", "reason": "typo"})
    client.post(f"/admin/gdpr_consents_contact/consent/{consent_id}/withdraw",
                data={"csrf_token": token})
    with app.app_context(), tenant_scope(tenant_a.id):
        entries = db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "gdpr_consents_event")
            .order_by(AuditEntry.seq)).all()
        consent_updates = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.target_type == "gdpr_consents_consent", AuditEntry.action == "updated"))
    assert [e.action for e in entries] == ["created"] * 3
    assert {e.actor for e in entries} == {f"user:{tenant_a.user_email}"}
    assert consent_updates == 2

"""Bad input on the consent pages is a 400 naming it, not a missing page: an unknown purpose
code on the contact page's form and the segment page, an unknown tag or company filter. A
rectification that changes nothing (only what follows from the facts, such as the state)
is refused with "nothing to correct". The segment download is named with the tenant's date."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import func, select

from core.db import db
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.models import Consent, ConsentEvent, ConsentState
from tests.support import csrf_token, logged_in

SEGMENTS = "/admin/gdpr_consents_segments/"


def contact_with_consent(app, acme, **grant):
    with app.app_context(), acme.scope():
        contact = acme.contact("ana@firma.si")
        consent = consent_logic.grant(acme.ctx(), contact, "newsletter", **grant)
        db.session.commit()
        return contact.id, consent.id


def test_an_unknown_purpose_on_the_contact_page_is_bad_input(app, acme, tenant_a):
    contact_id, _ = contact_with_consent(app, acme, given_at="2025-06-01")
    client = logged_in(app, tenant_a.user_email)
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    for answer in ("", "refused"):
        response = client.post(f"/admin/gdpr_consents_contact/{contact_id}/add", data={
            "csrf_token": token, "purpose": "fax", "given_at": "2025-06-01",
            "answer": answer})
        assert response.status_code == 400
        assert ("purpose: there is no purpose 'fax' (known: events, newsletter, sms); add it "
                "with 'crm purposes add'.") in html.unescape(response.get_data(as_text=True))


@pytest.mark.parametrize(("query", "message"), [
    ("purposes=newsletter&purposes=fax",
     "purposes: there is no purpose 'fax' (known: events, newsletter, sms)"),
    ("purposes=newsletter&tag=vip", "tag: there is no tag 'vip'."),
    ("purposes=newsletter&company=99999", "company: there is no company #99999."),
])
def test_an_unknown_purpose_tag_or_company_on_the_segment_page_is_bad_input(
        app, acme, tenant_a, query, message):
    client = logged_in(app, tenant_a.user_email)
    for path in (SEGMENTS, SEGMENTS + "export"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert message in html.unescape(response.get_data(as_text=True)), path


def test_sending_the_rectify_form_back_unchanged_records_nothing(app, acme, tenant_a):
    # granted on 2025-06-01 for a month: expired by the time the page is used, still stored
    # as granted; sending the form unchanged must not record a "rectification" of the state
    _, consent_id = contact_with_consent(app, acme, given_at="2025-06-01",
                                         duration_months=1)
    client = logged_in(app, tenant_a.user_email)
    url = f"/admin/gdpr_consents_contact/consent/{consent_id}/rectify"
    token = csrf_token(client, url)
    response = client.post(url, data={
        "csrf_token": token, "given_at": "2025-06-01", "duration_months": "1",
        "expires_at": "", "source": "manual", "source_detail": "", "reason": "check"})
    assert response.status_code == 400
    assert ("consent: nothing to correct: change at least one of its values."
            in html.unescape(response.get_data(as_text=True)))
    with app.app_context(), acme.scope():
        assert db.session.get(Consent, consent_id).state == ConsentState.GRANTED
        assert db.session.scalar(select(func.count(ConsentEvent.id))) == 1  # the grant


def test_a_correction_that_only_changes_the_derived_state_is_refused(app, acme):
    _, consent_id = contact_with_consent(app, acme, given_at="2025-06-01", duration_months=1)
    with app.app_context(), acme.scope():
        consent = db.session.get(Consent, consent_id)
        later = acme.ctx(at=acme.ctx().at.replace(year=2026))
        with pytest.raises(ConsentInputError) as error:
            consent_logic.rectify(later, consent, reason="check", source="manual",
                                  duration_months=1)
        assert str(error.value) == ("consent: nothing to correct: the consent has these "
                                    "values already.")


def test_the_segment_download_is_named_with_the_tenants_date(app, acme, tenant_a):
    contact_with_consent(app, acme, given_at="2025-01-01")
    client = logged_in(app, tenant_a.user_email)
    # 00:30 on 11 March in Ljubljana is still 10 March in UTC
    response = client.get(SEGMENTS + "export?purposes=newsletter&format=csv"
                          "&as_of=2025-03-11T00:30")
    assert response.status_code == 200
    assert "filename=segment-newsletter-20250311.csv" in response.headers[
        "Content-Disposition"]

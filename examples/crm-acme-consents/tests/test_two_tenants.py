"""One deployment, two tenants: `acme` has acme_consents enabled, `beta` does not. The
consent form, the consent rules, the segment filter, the Postbox webhook and the register of
counter receipts differ."""

from __future__ import annotations

import html
import json
import logging

from crm_acme_consents.models import CounterReceipt
from sqlalchemy import select, update

from core.db import db
from core.models import TenantSetting
from core.scoping import tenant_scope
from core.settings import all_settings
from core.testing import csrf_token, enable_plugin, logged_in, make_tenant_with_users
from plugins.gdpr_consents.models import Consent, ConsentEvent


def page(client, contact_id):
    return client.get(f"/admin/contacts/details/?id={contact_id}").get_data(as_text=True)


def text(response):
    return html.unescape(response.get_data(as_text=True))


def add_consent(client, contact_id, **fields):
    token = csrf_token(client, f"/admin/contacts/details/?id={contact_id}")
    return client.post(f"/admin/gdpr_consents_contact/{contact_id}/add",
                       data={"csrf_token": token, "given_at": "2026-01-15", **fields})


def test_enabling_pulls_in_gdpr_consents_and_notes_it_in_the_log(app, caplog):
    make_tenant_with_users(app, "gamma", "Gamma d.o.o.")
    with caplog.at_level(logging.INFO):
        messages = enable_plugin(app, "gamma", "acme_consents")
    assert messages == ["Enabled gdpr_consents too, because acme_consents needs it.",
                        "Enabled acme_consents."]
    assert ("acme_consents enabled for gamma by cli:test; counter receipts must match "
            r"AC-\d{6}") in caplog.text


def test_only_acme_sees_the_receipt_number_field_on_the_consent_form(deployment):
    ours = deployment.contact(deployment.acme, "ana@acme.si")
    theirs = deployment.contact(deployment.beta, "bor@beta.si")
    acme_page = page(logged_in(deployment.app, deployment.acme.user_email), ours)
    beta_page = page(logged_in(deployment.app, deployment.beta.user_email), theirs)
    assert 'name="field_receipt_number"' in acme_page
    assert "Receipt number (needed for Signed at the counter)" in acme_page
    assert 'value="counter"' in acme_page and 'value="postbox"' in acme_page
    assert 'name="field_receipt_number"' not in beta_page
    assert 'value="counter"' not in beta_page


def test_a_counter_consent_needs_a_receipt_number_of_the_tenants_form(deployment):
    contact_id = deployment.contact(deployment.acme, "ana@acme.si")
    client = logged_in(deployment.app, deployment.acme.user_email)
    missing = add_consent(client, contact_id, purpose="newsletter", source="counter")
    assert missing.status_code == 400
    assert ("receipt_number: a consent from the source 'counter' needs its receipt number."
            in text(missing))
    wrong = add_consent(client, contact_id, purpose="newsletter", source="counter",
                        field_receipt_number="12345")
    assert wrong.status_code == 400
    assert r"receipt_number: '12345' is not a receipt number of the form AC-\d{6}." \
        in text(wrong)
    assert 'value="12345"' in wrong.get_data(as_text=True)  # what was typed is kept
    with deployment.app.app_context(), tenant_scope(deployment.acme.id):
        assert db.session.scalar(select(Consent)) is None
    done = add_consent(client, contact_id, purpose="newsletter", source="counter",
                       field_receipt_number="AC-004711")
    assert done.status_code == 302, done.get_data(as_text=True)
    with deployment.app.app_context(), tenant_scope(deployment.acme.id):
        consent = db.session.scalar(select(Consent))
        assert consent.source == "counter"
        event = db.session.scalar(select(ConsentEvent))
        assert event.payload == {"fields": {"receipt_number": "AC-004711"}}
    shown = page(client, contact_id)
    assert "receipt_number: AC-004711" in shown
    panel = shown[shown.index("Counter receipts"):]
    assert "<td>AC-004711</td><td>newsletter</td>" in panel
    with deployment.app.app_context(), tenant_scope(deployment.acme.id):
        (receipt,) = db.session.scalars(select(CounterReceipt)).all()
        assert (receipt.number, receipt.purpose, receipt.contact_id) == (
            "AC-004711", "newsletter", contact_id)


def test_the_plugins_table_has_its_migration(deployment):
    checked = deployment.app.test_cli_runner().invoke(args=["schema", "check"])
    assert checked.exit_code == 0, checked.output
    assert checked.output == "Models and migrations agree.\n"


def test_the_receipt_pattern_is_a_setting_of_each_tenant(deployment):
    contact_id = deployment.contact(deployment.acme, "ana@acme.si")
    admin = logged_in(deployment.app, deployment.acme.admin_email)
    token = csrf_token(admin, "/admin/plugins/")
    saved = admin.post("/admin/plugins/acme_consents/settings", data={
        "csrf_token": token, "receipt_pattern": r"\d{4}/\d{2}", "sms_purpose": "sms",
        "mobile_prefixes": "+38641"})
    assert saved.status_code == 302
    assert add_consent(admin, contact_id, purpose="newsletter", source="counter",
                       field_receipt_number="0042/26").status_code == 302
    with deployment.app.app_context(), tenant_scope(deployment.acme.id):
        # a pattern stored before settings were checked (saving one is refused, below)
        db.session.execute(update(TenantSetting).where(
            TenantSetting.namespace == "acme_consents", TenantSetting.key == "receipt_pattern"
        ).values(value="("))
        db.session.commit()
    broken = add_consent(admin, contact_id, purpose="newsletter", source="counter",
                         field_receipt_number="0043/26")
    assert broken.status_code == 400
    assert ("receipt_number: the receipt number pattern '(' in the acme_consents settings is "
            "not a valid regular expression; ask your administrator." in text(broken))


def test_a_broken_pattern_or_an_unknown_sms_purpose_is_refused_and_nothing_saved(deployment):
    admin = logged_in(deployment.app, deployment.acme.admin_email)
    token = csrf_token(admin, "/admin/plugins/")
    refused = admin.post("/admin/plugins/acme_consents/settings", data={
        "csrf_token": token, "receipt_pattern": "(", "sms_purpose": "sms-typo",
        "mobile_prefixes": "+38641"})
    assert refused.status_code == 400
    assert ("Receipt number pattern: '(' is not a valid regular expression (missing ), "
            "unterminated subpattern at position 0)" in text(refused))
    assert ("Purpose code of SMS consents: there is no purpose 'sms-typo' (known: events, "
            "newsletter, sms)" in text(refused))
    cli = deployment.app.test_cli_runner()
    answer = cli.invoke(args=["plugins", "set", "acme_consents", "sms_purpose", "fax",
                              "--tenant", "acme"])
    assert answer.exit_code == 1
    assert answer.output == ("Error: Purpose code of SMS consents: there is no purpose 'fax' "
                             "(known: events, newsletter, sms)\n")
    with deployment.app.app_context():
        assert all_settings(deployment.acme.id, "acme_consents")["receipt_pattern"] == (
            r"AC-\d{6}")
        assert all_settings(deployment.acme.id, "acme_consents")["sms_purpose"] == "sms"
    answer = cli.invoke(args=["plugins", "set", "acme_consents", "sms_purpose", "events",
                              "--tenant", "acme"])
    assert answer.exit_code == 0 and answer.output == (
        "acme_consents.sms_purpose = 'events' for acme\n")


def test_a_counter_source_is_unknown_where_the_plugin_is_off(deployment):
    contact_id = deployment.contact(deployment.beta, "bor@beta.si")
    client = logged_in(deployment.app, deployment.beta.user_email)
    refused = add_consent(client, contact_id, purpose="newsletter", source="counter",
                          field_receipt_number="AC-004711")
    assert refused.status_code == 400
    assert "source: 'counter' is not a consent source" in text(refused)


def test_sms_consent_needs_a_mobile_number_only_at_acme(deployment):
    landline = deployment.contact(deployment.acme, "ana@acme.si", phone="+386 1 200 30 40")
    mobile = deployment.contact(deployment.acme, "bine@acme.si", phone="041 123-456")
    theirs = deployment.contact(deployment.beta, "bor@beta.si", phone="+386 1 200 30 40")
    acme = logged_in(deployment.app, deployment.acme.user_email)
    refused = add_consent(acme, landline, purpose="sms", source="manual")
    assert refused.status_code == 422
    assert ("this consent cannot be recorded: SMS consent needs a mobile number and "
            "+386 1 200 30 40 is not one." in text(refused))
    assert add_consent(acme, mobile, purpose="sms", source="manual").status_code == 302
    beta = logged_in(deployment.app, deployment.beta.user_email)
    assert add_consent(beta, theirs, purpose="sms", source="manual").status_code == 302


def test_the_mobile_segment_filter_exists_only_at_acme(deployment):
    app = deployment.app
    cli = app.test_cli_runner()
    for tenant, people in ((deployment.acme, (("a@acme.si", "+386 41 000 111"),
                                              ("b@acme.si", "01 200 30 40"),
                                              ("c@acme.si", None))),
                           (deployment.beta, (("a@beta.si", "+386 41 000 111"),))):
        for email, phone in people:
            deployment.contact(tenant, email, phone=phone)
            granted = cli.invoke(args=["consents", "grant", email, "newsletter", "--tenant",
                                       tenant.slug, "--given-at", "2026-01-15"])
            assert granted.exit_code == 0, granted.output
    count = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme"])
    assert count.output.strip() == "3"
    mobile = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "acme",
                              "--filter", "mobile"])
    assert mobile.exit_code == 0, mobile.output
    assert mobile.output.strip() == "1"
    unknown = cli.invoke(args=["segments", "count", "newsletter", "--tenant", "beta",
                               "--filter", "mobile"])
    assert unknown.exit_code != 0
    assert "there is no segment filter 'mobile'" in unknown.output


def postbox_delivery(*events):
    return json.dumps({"events": list(events)})


def test_postbox_webhooks_work_only_for_acme(deployment):
    app = deployment.app
    cli = app.test_cli_runner()
    added = cli.invoke(args=["webhooks", "add", "postbox", "--tenant", "acme", "--purpose",
                             "newsletter", "--base-url", "https://crm.example"])
    assert added.exit_code == 0, added.output
    url = added.output.strip().removeprefix("https://crm.example")
    assert url.startswith("/hooks/acme/postbox/")
    client = app.test_client()
    opt_in = {"id": "evt_1", "type": "opt_in", "address": "Ana@Acme.si", "list": "weekly",
              "occurred": "2026-05-04T09:30:00+02:00"}
    answer = client.post(url, data=postbox_delivery(opt_in), content_type="application/json")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"accepted": 1, "duplicates": 0, "ignored": 0}
    again = client.post(url, data=postbox_delivery(opt_in), content_type="application/json")
    assert again.get_json() == {"accepted": 0, "duplicates": 1, "ignored": 0}
    opt_out = {**opt_in, "id": "evt_2", "type": "opt_out",
               "occurred": "2026-05-05T08:00:00+02:00"}
    client.post(url, data=postbox_delivery(opt_out), content_type="application/json")
    with app.app_context(), tenant_scope(deployment.acme.id):
        consent = db.session.scalar(select(Consent))
        assert consent.source == "postbox"
        assert consent.contact.email == "ana@acme.si"
        assert consent.state.value == "withdrawn"
    bad = client.post(url, data=postbox_delivery({"type": "opt_in", "occurred": "yesterday"}),
                      content_type="application/json")
    assert bad.status_code == 400
    assert bad.get_json() == {"error": "The body cannot be read: event 1: 'occurred' is not "
                                       "an ISO 8601 time."}

    refused = cli.invoke(args=["webhooks", "add", "postbox", "--tenant", "beta", "--purpose",
                               "newsletter"])
    assert refused.exit_code != 0
    assert "'postbox' is not one of brevo, mailchimp, mailjet." in refused.output
    secret = url.rsplit("/", 1)[1]
    assert client.post(f"/hooks/beta/postbox/{secret}", data=postbox_delivery(opt_in),
                       content_type="application/json").status_code == 404


def test_the_plugins_page_and_list_show_version_needs_and_state_per_tenant(deployment):
    for tenant, enabled in ((deployment.acme, "yes"), (deployment.beta, "no")):
        admin = logged_in(deployment.app, tenant.admin_email)
        html = admin.get("/admin/plugins/").get_data(as_text=True)
        row = html[html.index('id="plugin-acme_consents"'):].split("</tr>")[0]
        cells = [c.split("</td>")[0].strip() for c in row.split("<td>")[1:]]
        assert cells[1:5] == ["1.0.0", "gdpr_consents", "yes", enabled]
    listed = deployment.app.test_cli_runner().invoke(
        args=["plugins", "list", "--json", "--tenant", "beta"])
    item = next(i for i in json.loads(listed.output) if i["name"] == "acme_consents")
    assert item == {"name": "acme_consents", "version": "1.0.0", "depends": ["gdpr_consents"],
                    "installed": True, "enabled": False,
                    "summary": "Counter consents with receipt numbers, SMS rule, Postbox "
                               "webhooks."}


def test_counter_receipts_are_part_of_the_persons_data_and_erased_with_them(deployment):
    enable_plugin(deployment.app, "acme", "trash")
    cli = deployment.app.test_cli_runner()
    deployment.contact(deployment.acme, "ana@acme.si")
    granted = cli.invoke(args=["consents", "grant", "ana@acme.si", "newsletter", "--tenant",
                               "acme", "--given-at", "2026-01-15", "--source", "counter",
                               "--field", "receipt_number=AC-000042"])
    assert granted.exit_code == 0, granted.output
    preview = cli.invoke(args=["erase", "ana@acme.si", "--tenant", "acme", "--dry-run"])
    assert "  Counter receipts [acme_consents]: 1 row(s)" in preview.output
    erased = cli.invoke(args=["erase", "ana@acme.si", "--tenant", "acme"])
    assert erased.exit_code == 0, erased.output
    assert "  contact #1: 1 counter receipt(s) removed\n" in erased.output
    with deployment.app.app_context(), tenant_scope(deployment.acme.id):
        assert db.session.scalars(select(CounterReceipt)).all() == []

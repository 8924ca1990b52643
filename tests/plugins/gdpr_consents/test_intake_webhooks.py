"""Mailing-system webhooks: the fixture bodies, secrets, replays, out-of-order deliveries,
withdrawal winning at the same instant, upemail, suppressed addresses, bad bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from core.db import db
from core.models import Contact
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.intake import webhooks
from plugins.gdpr_consents.intake.importer import find_purpose
from plugins.gdpr_consents.models import (
    ConsentEvent,
    ConsentState,
    Undeliverable,
    WebhookEndpoint,
    WebhookEvent,
)

FIXTURES = Path(__file__).parent / "fixtures"
FORM = "application/x-www-form-urlencoded"
GIVEN = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
EARLY = datetime(2014, 1, 1, 9, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def hooks(app, acme):
    """Webhooks of acme: Mailchimp list a1b2c3d4e5 -> newsletter, Brevo -> events,
    Mailjet -> sms; people with granted consents. Returns {provider: url}."""
    with app.app_context(), acme.scope():
        ctx = acme.ctx()
        urls = {}
        for provider, purpose, list_id in (("mailchimp", "newsletter", "a1b2c3d4e5"),
                                           ("brevo", "events", None),
                                           ("mailjet", "sms", None)):
            endpoint = webhooks.add_webhook(ctx, provider, purpose, list_id)
            urls[provider] = f"/hooks/acme/{provider}/{endpoint.secret}"
        for email, codes in (("ana.novak@example.si", ("newsletter", "events")),
                             ("mojca.zupancic@example.com", ("events",)),
                             ("jure.skerjanc@example.org", ("sms",)),
                             ("luka.cesnik@example.net", ("sms",)),
                             ("stara.adresa@example.si", ("newsletter",))):
            contact = acme.contact(email)
            for code in codes:
                given = GIVEN if code != "sms" else EARLY  # Mailjet's events are from 2015
                consent_logic.grant(ctx, contact, code, given_at=given, duration_months=600)
        db.session.commit()
    return urls


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def post(client, url, name=None, data=None, content_type=FORM):
    return client.post(url, data=data if data is not None else body(name),
                       content_type=content_type)


def consent_of(app, acme, email, code):
    with app.app_context(), acme.scope():
        contact = db.session.scalar(select(Contact).where(Contact.email == email))
        if contact is None:
            return None
        consent = consent_logic.find_consent(contact, find_purpose(code))
        return None if consent is None else (consent.state, consent.withdrawn_at,
                                             consent.withdrawal_reason, consent.contact_id)


def count(app, acme, model):
    with app.app_context(), acme.scope():
        return db.session.scalar(select(func.count(model.id)))


def test_url_check_and_wrong_secret(client, app, acme, hooks, tenant_b):
    assert client.get(hooks["mailchimp"]).status_code == 200
    assert client.get(hooks["mailchimp"] + "x").status_code == 404
    assert post(client, hooks["mailchimp"][:-3] + "abc", "mailchimp_unsubscribe.txt"
                ).status_code == 404
    assert client.get("/hooks/acme/sendgrid/whatever").status_code == 404
    assert client.get(hooks["mailchimp"].replace("/acme/", "/beta/")).status_code == 404


def test_mailchimp_unsubscribe_withdraws_only_the_mapped_purpose(client, app, acme, hooks):
    response = post(client, hooks["mailchimp"], "mailchimp_unsubscribe.txt")
    assert response.status_code == 200, response.data
    assert response.json == {"accepted": 1, "duplicates": 0, "ignored": 0}
    state, at, _reason, _ = consent_of(app, acme, "ana.novak@example.si", "newsletter")
    assert (state, at) == (ConsentState.WITHDRAWN, utc(2021, 3, 1, 8, 0))
    assert consent_of(app, acme, "ana.novak@example.si", "events")[0] == ConsentState.GRANTED
    with app.app_context(), acme.scope():
        event = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
        assert event.actor == "webhook:mailchimp"
        assert event.payload["event"]["data[list_id]"] == "a1b2c3d4e5"
        stored = db.session.scalar(select(WebhookEvent))
        assert stored.payload["type"] == "unsubscribe"
    events = count(app, acme, ConsentEvent)
    again = post(client, hooks["mailchimp"], "mailchimp_unsubscribe.txt")
    assert again.json == {"accepted": 0, "duplicates": 1, "ignored": 0}
    assert count(app, acme, ConsentEvent) == events


def test_an_older_subscribe_never_undoes_a_newer_unsubscribe(client, app, acme, hooks):
    post(client, hooks["mailchimp"], "mailchimp_unsubscribe.txt")  # 08:00
    response = post(client, hooks["mailchimp"], "mailchimp_subscribe.txt")  # 07:59, late
    assert response.json["ignored"] == 1
    assert consent_of(app, acme, "ana.novak@example.si", "newsletter")[0] == (
        ConsentState.WITHDRAWN)


def test_withdrawal_wins_at_the_same_instant(client, app, acme, hooks):
    same = body("mailchimp_subscribe.txt").replace(b"07%3A59%3A00", b"08%3A00%3A00")
    post(client, hooks["mailchimp"], "mailchimp_unsubscribe.txt")
    post(client, hooks["mailchimp"], data=same)
    assert consent_of(app, acme, "ana.novak@example.si", "newsletter")[0] == (
        ConsentState.WITHDRAWN)


def test_subscribe_grants_a_new_address_and_profile_never_grants(client, app, acme, hooks):
    new = body("mailchimp_subscribe.txt").replace(b"ana.novak", b"nina.nova")
    assert post(client, hooks["mailchimp"], data=new).json["accepted"] == 1
    state = consent_of(app, acme, "nina.nova@example.si", "newsletter")[0]
    assert state == ConsentState.GRANTED
    profile = body("mailchimp_subscribe.txt").replace(b"type=subscribe", b"type=profile"
                                                      ).replace(b"ana.novak", b"pia")
    assert post(client, hooks["mailchimp"], data=profile).json["ignored"] == 1
    assert consent_of(app, acme, "pia@example.si", "newsletter") is None


def test_cleaned_marks_undeliverable_without_consent_change(client, app, acme, hooks):
    assert post(client, hooks["mailchimp"], "mailchimp_cleaned.txt").status_code == 200
    with app.app_context(), acme.scope():
        mark = db.session.scalar(select(Undeliverable))
        assert (mark.email, mark.reason, mark.source) == ("stara.adresa@example.si",
                                                          "cleaned", "mailchimp")
        assert mark.marked_at == utc(2021, 3, 2, 9, 0)
    assert consent_of(app, acme, "stara.adresa@example.si", "newsletter")[0] == (
        ConsentState.GRANTED)


def test_upemail_keeps_consents_and_refuses_an_existing_address(client, app, acme, hooks):
    before = consent_of(app, acme, "ana.novak@example.si", "newsletter")
    assert post(client, hooks["mailchimp"], "mailchimp_upemail.txt").json["accepted"] == 1
    after = consent_of(app, acme, "ana.novak@novo-podjetje.si", "newsletter")
    assert after == before  # same contact, same consent
    clash = body("mailchimp_upemail.txt").replace(
        b"ana.novak%40novo-podjetje.si", b"mojca.zupancic%40example.com").replace(
        b"ana.novak%40example.si", b"jure.skerjanc%40example.org")
    assert post(client, hooks["mailchimp"], data=clash).json["ignored"] == 1
    with app.app_context(), acme.scope():
        assert db.session.scalar(select(func.count(Contact.id)).where(
            Contact.email == "mojca.zupancic@example.com")) == 1
        assert db.session.scalar(select(WebhookEvent.outcome).where(
            WebhookEvent.kind == "upemail", WebhookEvent.outcome.like("refused%"))) == (
            "refused: another contact has the new address")


def test_brevo_unsubscribe(client, app, acme, hooks):
    response = post(client, hooks["brevo"], "brevo_unsubscribe.json",
                    content_type="application/json")
    assert response.json["accepted"] == 1
    state, at, _, _ = consent_of(app, acme, "mojca.zupancic@example.com", "events")
    assert (state, at) == (ConsentState.WITHDRAWN, datetime.fromtimestamp(1604933737, UTC))


def test_mailjet_unsub_and_spam(client, app, acme, hooks):
    response = post(client, hooks["mailjet"], "mailjet_events_v2.json",
                    content_type="application/json")
    assert response.json == {"accepted": 2, "duplicates": 0, "ignored": 0}
    jure = consent_of(app, acme, "jure.skerjanc@example.org", "sms")
    assert (jure[0], jure[1]) == (ConsentState.WITHDRAWN, datetime.fromtimestamp(1433334941,
                                                                                 UTC))
    luka = consent_of(app, acme, "luka.cesnik@example.net", "sms")
    assert (luka[0], luka[2]) == (ConsentState.WITHDRAWN, "spam complaint")
    with app.app_context(), acme.scope():
        raw = db.session.scalar(select(WebhookEvent).where(WebhookEvent.kind == "unsubscribe"))
        assert raw.payload["MessageID"] == 20547674933128000
    again = post(client, hooks["mailjet"], "mailjet_events_v2.json",
                 content_type="application/json")
    assert again.json == {"accepted": 0, "duplicates": 2, "ignored": 0}


def test_unreadable_and_oversized_bodies(client, app, acme, hooks):
    assert post(client, hooks["mailjet"], data=b"{not json",
                content_type="application/json").status_code == 400
    assert post(client, hooks["mailchimp"], data=b"type=subscribe").status_code == 400
    app.config["WEBHOOK_MAX_BYTES"] = 100
    refused = post(client, hooks["mailjet"], "mailjet_events_v2.json",
                   content_type="application/json")
    assert refused.status_code == 413
    assert refused.json["message"] == "The upload is larger than the limit of 100 bytes."
    app.config["WEBHOOK_MAX_BYTES"] = 1024 * 1024
    big = post(client, hooks["mailjet"], data=b"[" + b" " * (1024 * 1024) + b"]",
               content_type="application/json")
    assert big.status_code == 413
    assert big.json["message"] == "The upload is larger than the limit of 1 MB."
    assert count(app, acme, WebhookEvent) == 0


def test_suppressed_address_is_ignored(client, app, acme, hooks, monkeypatch):
    real = webhooks.emit
    monkeypatch.setattr(webhooks, "emit", lambda name, ctx, **kw: "erased" if (
        name == "crm_is_suppressed") else real(name, ctx, **kw))
    new = body("mailchimp_subscribe.txt").replace(b"ana.novak", b"gone")
    assert post(client, hooks["mailchimp"], data=new).json["ignored"] == 1
    with app.app_context(), acme.scope():
        assert db.session.scalar(select(Contact).where(Contact.email == "gone@example.si")
                                 ) is None
        stored = db.session.scalar(select(WebhookEvent))
        assert (stored.email, stored.payload) == (None, None)


def test_command_prints_the_url(app, acme, cli, client):
    result = cli.invoke(args=["webhooks", "add", "mailchimp", "--tenant", "acme",
                              "--purpose", "newsletter", "--list", "a1b2c3d4e5"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://127.0.0.1:5000/hooks/acme/mailchimp/")
    assert client.get(url.removeprefix("http://127.0.0.1:5000")).status_code == 200
    with app.app_context(), acme.scope():
        assert db.session.scalar(select(func.count(WebhookEndpoint.id))) == 1
    unknown = cli.invoke(args=["webhooks", "add", "mailchimp", "--tenant", "acme",
                               "--purpose", "nope"])
    assert unknown.exit_code == 1
    assert quote("nope") in unknown.output


def test_a_plugins_mailing_system_is_read_by_its_own_reader_and_checked(rules_app, tenant_a):
    cli = rules_app.test_cli_runner()
    added = cli.invoke(args=["webhooks", "add", "naive", "--tenant", "acme", "--purpose",
                             "newsletter"])
    assert added.exit_code == 0, added.output
    url = added.output.strip().removeprefix("http://127.0.0.1:5000")
    client = rules_app.test_client()
    refused = post(client, url, data=b"bad", content_type="application/json")
    assert refused.status_code == 400
    assert refused.json == {"error": "The body cannot be read: the delivery says bad."}
    naive = post(client, url, data=b"{}", content_type="application/json")
    assert naive.status_code == 400
    assert naive.json == {"error": "The body cannot be read: an event has no time with a "
                                   "zone."}
    unknown = cli.invoke(args=["webhooks", "add", "postal", "--tenant", "acme", "--purpose",
                               "newsletter"])
    assert unknown.exit_code == 1
    assert "'postal' is not one of brevo, mailchimp, mailjet, naive." in unknown.output

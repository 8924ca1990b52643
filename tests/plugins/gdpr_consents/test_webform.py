"""The public web form with double opt-in: one mail per pending address, nothing recorded
until the confirm button is pressed, signed links that expire and cannot be tampered with
or used for another tenant, honeypot, rate limits, suppressed addresses, withdrawal through
the link, what the audit trail gets, and the admin pages (web forms, webhooks)."""

from __future__ import annotations

import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.db import db
from core.events import emit
from core.hookspecs import hookimpl
from core.models import Contact
from core.scoping import tenant_scope
from plugins.audit.models import AuditEntry
from plugins.gdpr_consents.consents import notice_hash
from plugins.gdpr_consents.intake.webform.models import FormSubmission, FormThrottle, WebForm
from plugins.gdpr_consents.models import (
    Consent,
    ConsentEvent,
    ConsentState,
    Purpose,
    WebhookEvent,
)
from plugins.gdpr_consents.receipts import receipt
from tests.conftest import build_app
from tests.support import csrf_token, logged_in

from .conftest import NOTICE, enable_consents

FORM_URL = "/f/acme/novice"
AGENT = "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0"


def mails(app) -> list:
    folder = Path(app.instance_path) / "mail"
    return [BytesParser(policy=policy.default).parsebytes(p.read_bytes())
            for p in sorted(folder.glob("*.eml"))] if folder.is_dir() else []


def link(message, page: str) -> str:
    """The path of the `confirm` or `consents` link in a mail."""
    text = message.get_body(("plain",)).get_content()
    return re.search(rf"http://localhost(/f/acme/{page}/\S+)", text).group(1)


def submit(client, purposes, email="Ana.Novak@Example.si", ip="198.51.100.7", **extra):
    data = {"email": email, "first_name": "Ana", "last_name": "Novak",
            "purposes": [str(p) for p in purposes], "website": "", **extra}
    return client.post(FORM_URL, data=data, headers={"User-Agent": AGENT},
                       environ_base={"REMOTE_ADDR": ip})


def count(app, acme, model) -> int:
    with app.app_context(), acme.scope():
        return db.session.scalar(select(func.count()).select_from(model))


def consent_rows(app, acme):
    with app.app_context(), acme.scope():
        return [(c.purpose.code, c.state, c.source, c.ip, c.user_agent, c.notice_version,
                 c.notice_hash, c.requested_at is not None, c.given_at is not None)
                for c in db.session.scalars(select(Consent).join(Purpose)
                                            .order_by(Purpose.code))]


def test_a_submission_sends_one_mail_and_only_the_confirm_button_records(app, acme,
                                                                          web_form, client):
    answer = submit(client, [web_form["newsletter"], web_form["events"]])
    assert answer.status_code == 200
    assert "Check your e-mail" in answer.get_data(as_text=True)
    assert "Set-Cookie" not in answer.headers
    [mail] = mails(app)
    assert mail["To"] == "ana.novak@example.si"
    assert count(app, acme, Contact) == 0 and count(app, acme, Consent) == 0

    confirm = link(mail, "confirm")
    page = client.get(confirm)  # what a mail scanner does: records nothing
    assert page.status_code == 200 and 'id="confirm"' in page.get_data(as_text=True)
    assert count(app, acme, Consent) == 0

    done = client.post(confirm, headers={"User-Agent": "Confirming/1.0"},
                       environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert "Hvala!" in done.get_data(as_text=True)
    digest = notice_hash(NOTICE)
    assert consent_rows(app, acme) == [
        ("events", ConsentState.GRANTED, "web_form", "198.51.100.7", AGENT, "v3", digest,
         True, True),
        ("newsletter", ConsentState.GRANTED, "web_form", "198.51.100.7", AGENT, "v3", digest,
         True, True),
    ]
    with app.app_context(), acme.scope():
        contact = db.session.scalar(select(Contact))
        assert (contact.email, contact.first_name, contact.last_name) == (
            "ana.novak@example.si", "Ana", "Novak")
        submission = db.session.scalar(select(FormSubmission))
        consent = db.session.scalar(select(Consent))
        assert consent.requested_at == submission.submitted_at
        assert consent.given_at == submission.confirmed_at >= submission.submitted_at
        events = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id)).all()
        assert [e.kind.value for e in events] == ["request", "grant", "request", "grant"]
        assert {e.actor for e in events} == {"form:203.0.113.9"}
        assert {e.ip for e in events} == {"203.0.113.9"}
        assert events[1].payload["submitted_at"] == submission.submitted_at.isoformat()

    again = client.post(confirm)  # a second click records nothing more
    assert again.status_code == 200
    assert count(app, acme, ConsentEvent) == 4


def test_the_same_address_twice_sends_one_mail(app, acme, web_form, client):
    for _ in range(2):
        assert submit(client, [web_form["newsletter"]]).status_code == 200
    assert submit(client, [web_form["events"]], email=" ana.novak@example.si").status_code \
        == 200
    assert len(mails(app)) == 1
    assert count(app, acme, FormSubmission) == 1


def test_the_honeypot_stores_and_sends_nothing_but_looks_the_same(app, acme, web_form,
                                                                    client):
    answer = submit(client, [web_form["newsletter"]], website="http://spam.example")
    assert answer.status_code == 200
    assert "Check your e-mail" in answer.get_data(as_text=True)
    assert mails(app) == []
    assert count(app, acme, FormSubmission) == 0 and count(app, acme, FormThrottle) == 0


def test_rate_limits_per_address_and_per_ip(app, acme, web_form, client):
    app.config.update(WEBFORM_MAX_PER_ADDRESS=2, WEBFORM_MAX_PER_IP=3)
    newsletter = [web_form["newsletter"]]
    assert submit(client, newsletter, ip="192.0.2.1").status_code == 200
    assert submit(client, newsletter, ip="192.0.2.2").status_code == 200
    limited = submit(client, newsletter, ip="192.0.2.3")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3600"
    assert "please try again in 60 minute(s)" in limited.get_data(as_text=True)

    for n in range(3):
        assert submit(client, newsletter, email=f"p{n}@example.si").status_code == 200
    assert submit(client, newsletter, email="p9@example.si").status_code == 429
    assert len(mails(app)) == 4  # ana once, p0..p2
    with app.app_context(), acme.scope():
        keys = db.session.scalars(select(FormThrottle.key)).all()
    assert not any("example.si" in k or "198.51" in k for k in keys)  # hashed

    later = clock.utcnow() + timedelta(hours=2)
    with app.app_context(), acme.scope():
        db.session.execute(FormThrottle.__table__.update().values(
            at=later - timedelta(hours=3)))
        db.session.commit()
    assert submit(client, newsletter, email="p9@example.si").status_code == 200


@pytest.mark.parametrize(("fields", "message"), [
    ({"email": "ana.novak@"}, "email: &#39;ana.novak@&#39; is not a valid e-mail address"),
    ({"email": ""}, "email: &#39;&#39; is not a valid e-mail address: the address is empty."),
    ({"purposes": []}, "purposes: choose at least one of the purposes offered."),
    ({"first_name": "x" * 200}, "first_name: at most 128 characters."),
])
def test_bad_input_names_the_field_and_stores_nothing(app, acme, web_form, client, fields,
                                                        message):
    data = {"email": "ana@example.si", "purposes": [str(web_form["newsletter"])], **fields}
    answer = client.post(FORM_URL, data=data)
    assert answer.status_code == 400
    assert message in answer.get_data(as_text=True)
    assert mails(app) == [] and count(app, acme, FormSubmission) == 0


def test_a_purpose_the_form_does_not_offer_is_not_taken(app, acme, web_form, client):
    with app.app_context(), acme.scope():
        sms = db.session.scalar(select(Purpose.id).where(Purpose.code == "sms"))
    answer = submit(client, [sms])
    assert answer.status_code == 400
    assert "purposes: choose at least one" in answer.get_data(as_text=True)


def test_unknown_tenant_form_and_tenant_without_the_plugin_answer_404(app, acme, web_form,
                                                                      tenant_b, client):
    assert client.get("/f/nobody/novice").status_code == 404
    assert client.get("/f/acme/nothing").status_code == 404
    assert client.get("/f/beta/novice").status_code == 404  # beta has not enabled it
    assert client.post("/f/beta/novice", data={"email": "a@example.si"}).status_code == 404
    enable_consents(app, "beta")
    assert client.get("/f/beta/novice").status_code == 404  # acme's form is not beta's
    assert client.get(FORM_URL).status_code == 200


def test_an_expired_link_shows_a_clear_page_and_records_nothing(app, acme, web_form, client,
                                                                monkeypatch):
    submit(client, [web_form["newsletter"]])
    confirm = link(mails(app)[0], "confirm")
    soon = clock.utcnow() + timedelta(hours=47)
    monkeypatch.setattr(clock, "utcnow", lambda: soon)
    assert client.get(confirm).status_code == 200
    late = soon + timedelta(hours=2)
    monkeypatch.setattr(clock, "utcnow", lambda: late)
    for answer in (client.get(confirm), client.post(confirm)):
        assert answer.status_code == 410
        assert "This link has expired" in answer.get_data(as_text=True)
    assert count(app, acme, Consent) == 0 and count(app, acme, Contact) == 0


def test_a_tampered_or_foreign_link_records_nothing(app, acme, web_form, client):
    submit(client, [web_form["newsletter"]])
    mail = mails(app)[0]
    confirm, manage = link(mail, "confirm"), link(mail, "consents")
    token = confirm.rsplit("/", 1)[1]
    tampered = confirm[:-2] + ("AA" if not confirm.endswith("AA") else "BB")
    for url in (tampered, confirm[:-10], "/f/acme/confirm/" + manage.rsplit("/", 1)[1],
                "/f/acme/consents/" + token):
        answer = client.post(url)
        assert answer.status_code == 400, url
        assert "This link is not valid" in answer.get_data(as_text=True)
    assert count(app, acme, Consent) == 0


def test_another_tenants_link_is_not_valid_here(app, acme, web_form, tenant_b, client):
    enable_consents(app, "beta")
    submit(client, [web_form["newsletter"]])
    token = link(mails(app)[0], "confirm").rsplit("/", 1)[1]
    answer = client.post(f"/f/beta/confirm/{token}")
    assert answer.status_code == 400
    assert count(app, acme, Consent) == 0


class Suppressed:
    """Says that one address was erased (like the erasure ledger does)."""

    @hookimpl
    def crm_is_suppressed(self, ctx, email):
        """The erased address."""
        return "erased on 2025-01-02" if email == "erased@example.si" else None


def test_a_suppressed_address_is_neither_stored_nor_mailed(app, acme, web_form, client):
    app.extensions["crm"]["plugins"].pm.register(Suppressed(), name="suppressed_test")
    answer = submit(client, [web_form["newsletter"]], email="Erased@Example.si")
    assert answer.status_code == 200
    assert "Check your e-mail" in answer.get_data(as_text=True)  # the same neutral answer
    assert mails(app) == []
    assert count(app, acme, FormSubmission) == 0 and count(app, acme, Contact) == 0


def confirmed(app, client, web_form, codes=("newsletter", "events")):
    submit(client, [web_form[c] for c in codes])
    mail = mails(app)[-1]
    assert client.post(link(mail, "confirm")).status_code == 200
    return mail


def test_withdrawal_through_the_mails_link_in_one_click(app, acme, web_form, client):
    mail = confirmed(app, client, web_form)
    manage = link(mail, "consents")
    page = client.get(manage)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and text.count(">Withdraw</button>") == 2
    with app.app_context(), acme.scope():
        newsletter = db.session.scalar(select(Consent).join(Purpose).where(
            Purpose.code == "newsletter"))
        consent_id = newsletter.id
    done = client.post(manage, data={"consent": str(consent_id)},
                       environ_base={"REMOTE_ADDR": "192.0.2.50"})
    assert done.status_code == 200
    assert "Your consent to &#39;Newsletter&#39; is withdrawn." in done.get_data(as_text=True)
    assert done.get_data(as_text=True).count(">Withdraw</button>") == 1
    with app.app_context(), acme.scope():
        consent = db.session.get(Consent, consent_id)
        assert consent.state == ConsentState.WITHDRAWN
        last = db.session.scalar(select(ConsentEvent).order_by(ConsentEvent.id.desc()))
        assert (last.kind.value, last.actor) == ("withdraw", "form:192.0.2.50")
        assert db.session.scalar(select(func.count(ConsentEvent.id)).where(
            ConsentEvent.consent_id == consent_id)) == 3  # request, grant, withdraw
    again = client.post(manage, data={"consent": str(consent_id)})
    assert again.status_code == 400  # already withdrawn: said so, nothing changes


def test_a_consent_of_someone_else_cannot_be_withdrawn_through_a_link(app, acme, web_form,
                                                                       client):
    mine = link(confirmed(app, client, web_form), "consents")
    with app.app_context(), acme.scope():
        other = acme.contact("bor@example.si")
        from plugins.gdpr_consents import consents as consent_logic
        theirs = consent_logic.grant(acme.ctx(), other, "newsletter", given_at="2025-01-01")
        db.session.commit()
        theirs_id = theirs.id
    for value in (str(theirs_id), "999999", "abc"):
        answer = client.post(mine, data={"consent": value})
        assert answer.status_code in (400, 404), value
    with app.app_context(), acme.scope():
        assert db.session.get(Consent, theirs_id).state == ConsentState.GRANTED


def test_the_receipt_carries_the_withdraw_link(app, acme, web_form, client):
    confirmed(app, client, web_form, ("newsletter",))
    with app.test_request_context(), acme.scope():
        consent = db.session.scalar(select(Consent))
        document = receipt(acme.ctx(at=clock.utcnow()), consent)
    url = document["x-crm-gdpr"]["withdrawUrl"]
    path = url.split("localhost", 1)[1]
    page = client.get(path)
    assert page.status_code == 200 and 'id="consent-newsletter"' in page.get_data(as_text=True)


def test_every_step_is_in_the_audit_trail_as_the_visitor(app, acme, web_form, client):
    with app.app_context():
        app.extensions["crm"]["plugins"].enable(acme.ctx(actor="cli:test"), "audit")
        db.session.commit()
    mail = confirmed(app, client, web_form, ("newsletter",))
    with app.app_context(), acme.scope():
        consent_id = db.session.scalar(select(Consent.id))
    client.post(link(mail, "consents"), data={"consent": str(consent_id)})
    with app.app_context(), tenant_scope(acme.id):
        entries = db.session.execute(select(AuditEntry.actor, AuditEntry.target_type)
                                     .where(AuditEntry.actor.like("form:%"))).all()
    targets = {t for _actor, t in entries}
    assert {"gdpr_consents_form_submission", "contact", "gdpr_consents_consent",
            "gdpr_consents_event"} <= targets
    assert {a for a, _t in entries} == {"form:198.51.100.7", "form:127.0.0.1"}


# --- admin pages -------------------------------------------------------------------------


def test_an_admin_creates_a_form_and_sees_its_url(app, acme, tenant_a):
    client = logged_in(app, tenant_a.admin_email)
    page = "/admin/gdpr_consents_webforms/new/"
    with app.app_context(), acme.scope():
        newsletter = db.session.scalar(select(Purpose.id).where(Purpose.code == "newsletter"))
    data = {"csrf_token": csrf_token(client, page), "slug": "Sejem-2025",
            "title": "Sejem", "purposes": [str(newsletter)], "notice_text": NOTICE,
            "notice_version": "2025-1", "thank_you_text": "Hvala", "active": "y"}
    answer = client.post(page, data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    listing = client.get("/admin/gdpr_consents_webforms/").get_data(as_text=True)
    assert "http://localhost/f/acme/sejem-2025" in listing
    with app.app_context(), acme.scope():
        form = db.session.scalar(select(WebForm))
        assert (form.slug, form.notice_hash) == ("sejem-2025", notice_hash(NOTICE))
    assert app.test_client().get("/f/acme/sejem-2025").status_code == 200

    bad = client.post(page, data={**data, "slug": "a b", "csrf_token": csrf_token(client,
                                                                                  page)})
    assert "slug: use 1 to 64 lower-case letters" in bad.get_data(as_text=True)
    user = logged_in(app, tenant_a.user_email)
    assert user.get("/admin/gdpr_consents_webforms/").status_code == 403  # admins only


def test_webhook_setup_from_the_admin_page_shows_the_url(app, acme, tenant_a):
    client = logged_in(app, tenant_a.admin_email)
    page = "/admin/gdpr_consents_webhooks/"
    answer = client.post(page, data={"csrf_token": csrf_token(client, page),
                                     "provider": "mailchimp", "purpose": "newsletter",
                                     "list_id": "a1b2c3d4e5"})
    assert answer.status_code == 302
    shown = client.get(page).get_data(as_text=True)
    match = re.search(r"http://localhost(/hooks/acme/mailchimp/[\w-]+)", shown)
    assert match and "a1b2c3d4e5" in shown
    assert app.test_client().get(match.group(1)).status_code == 200  # Mailchimp's check
    bad = client.post(page, data={"csrf_token": csrf_token(client, page),
                                  "provider": "mailchimp", "purpose": "nope"})
    assert bad.status_code == 400
    assert "purpose: &#39;nope&#39; is not a purpose" in bad.get_data(as_text=True)
    user = logged_in(app, tenant_a.user_email)
    assert user.get(page).status_code == 403  # admins only


def test_a_mail_that_cannot_be_sent_leaves_nothing_behind(app, acme, web_form, client):
    app.config["MAIL_URL"] = "carrier-pigeon://loft"
    answer = submit(client, [web_form["newsletter"]])
    assert answer.status_code == 503
    assert "could not send the confirmation e-mail" in answer.get_data(as_text=True)
    assert count(app, acme, FormSubmission) == 0 and count(app, acme, FormThrottle) == 0


def test_behind_a_proxy_the_visitors_address_is_recorded(app, acme, web_form, database_url,
                                                         tmp_path):
    proxied = build_app(database_url, tmp_path / "proxied", PROXY_FIX=1)
    client = proxied.test_client()
    client.post(FORM_URL, data={"email": "ana@example.si",
                                "purposes": [str(web_form["newsletter"])]},
                headers={"X-Forwarded-For": "198.51.100.99"},
                environ_base={"REMOTE_ADDR": "10.0.0.1"})
    client.post(link(mails(proxied)[0], "confirm"),
                headers={"X-Forwarded-For": "198.51.100.98"})
    with proxied.app_context(), acme.scope():
        consent = db.session.scalar(select(Consent))
        event = db.session.scalar(select(ConsentEvent).order_by(ConsentEvent.id.desc()))
        assert (consent.ip, event.ip, event.actor) == (
            "198.51.100.99", "198.51.100.98", "form:198.51.100.98")
    with proxied.app_context():
        db.engine.dispose()


def test_erasure_takes_the_persons_submissions_and_webhook_payloads(app, acme, web_form,
                                                                    client):
    confirmed(app, client, web_form, ("newsletter",))
    submit(client, [web_form["events"]], email="bor@example.si")
    with app.app_context(), acme.scope():
        for email, kind, payload in (
                ("ana.novak@example.si", "unsubscribe", {"data[email]": "Ana.Novak@Example.si"}),
                ("stara@example.si", "upemail", {"data[new_email]": "Ana.Novak@example.si"}),
                ("bor@example.si", "unsubscribe", {"data[email]": "bor@example.si"})):
            db.session.add(WebhookEvent(provider="mailchimp", digest=f"{kind}-{email}",
                                        kind=kind, email=email, occurred_at=clock.utcnow(),
                                        outcome="ignored", payload=payload,
                                        tenant_id=acme.id))
        db.session.commit()
        ana = db.session.scalar(select(Contact).where(Contact.email == "ana.novak@example.si"))
        ctx = acme.ctx()
        sections = {s.key: s for group in emit("crm_subject_data", ctx, contact=ana)
                    for s in group}
        assert len(sections["gdpr_consents.webhook_events"].rows) == 2
        assert [r[1] for r in sections["gdpr_consents.form_submissions"].rows] == [
            "ana.novak@example.si"]
        lines = [line for group in emit("crm_subject_erase", ctx, contact=ana, mode="erase")
                 for line in group]
        db.session.commit()
        assert "2 mailing-system event(s) with their payloads removed" in lines
        assert "1 web form submission(s) removed" in lines
        left = db.session.execute(select(WebhookEvent.email, WebhookEvent.payload)).all()
        assert left == [("bor@example.si", {"data[email]": "bor@example.si"})]
        assert db.session.scalars(select(FormSubmission.email)).all() == ["bor@example.si"]


def test_anonymizing_strips_submissions_and_payloads(app, acme, web_form, client):
    confirmed(app, client, web_form, ("newsletter",))
    with app.app_context(), acme.scope():
        db.session.add(WebhookEvent(provider="brevo", digest="d1", kind="unsubscribe",
                                    email="ana.novak@example.si", occurred_at=clock.utcnow(),
                                    outcome="ignored", payload={"email": "x"},
                                    tenant_id=acme.id))
        db.session.commit()
        ana = db.session.scalar(select(Contact))
        emit("crm_subject_erase", acme.ctx(), contact=ana, mode="anonymize")
        db.session.commit()
        assert db.session.execute(select(WebhookEvent.email, WebhookEvent.payload,
                                         WebhookEvent.digest)).all() == [(None, None, "d1")]
        submission = db.session.scalar(select(FormSubmission))
        assert (submission.email, submission.first_name, submission.ip,
                submission.user_agent) == (None, "", None, None)


def test_unconfirmed_submissions_are_dropped_when_their_link_expired(app, acme, web_form,
                                                                     client, monkeypatch):
    submit(client, [web_form["newsletter"]])
    with app.app_context(), acme.scope():
        db.session.execute(FormSubmission.__table__.update().values(
            submitted_at=clock.utcnow() - timedelta(hours=49)))
        db.session.commit()
    submit(client, [web_form["newsletter"]], email="bor@example.si")
    with app.app_context(), acme.scope():
        assert db.session.scalars(select(FormSubmission.email)).all() == ["bor@example.si"]
    submit(client, [web_form["newsletter"]])  # no longer waiting: a new mail
    assert len(mails(app)) == 3


def test_an_address_suppressed_before_the_click_records_nothing(app, acme, web_form, client):
    submit(client, [web_form["newsletter"]], email="erased@example.si")
    app.extensions["crm"]["plugins"].pm.register(Suppressed(), name="suppressed_test")
    answer = client.post(link(mails(app)[0], "confirm"))
    assert answer.status_code == 400
    assert count(app, acme, Contact) == 0 and count(app, acme, Consent) == 0


def test_a_purpose_switched_off_before_the_click_is_named_the_others_recorded(app, acme,
                                                                             web_form,
                                                                             client):
    submit(client, [web_form["newsletter"], web_form["events"]])
    with app.app_context(), acme.scope():
        db.session.get(Purpose, web_form["events"]).active = False
        db.session.commit()
    answer = client.post(link(mails(app)[0], "confirm"))
    assert answer.status_code == 200
    assert ("Not recorded: Events and invitations: purpose: the purpose &#39;events&#39; "
            "is not active.") in answer.get_data(as_text=True)
    assert [row[:2] for row in consent_rows(app, acme)] == [
        ("newsletter", ConsentState.GRANTED)]


def test_an_erased_persons_links_do_not_open_the_next_visitors_submission(app, acme, web_form,
                                                                          client, cli):
    # Ana's submission and contact have the largest ids when she is erased; SQLite without
    # AUTOINCREMENT handed both ids to the next visitor, whom Ana's signed links then opened
    ana_mail = confirmed(app, client, web_form, ("newsletter",))
    for args in (["plugins", "enable", "trash", "--tenant", "acme"],
                 ["erase", "ana.novak@example.si", "--tenant", "acme"]):
        result = cli.invoke(args=args)
        assert result.exit_code == 0, result.output
    submit(client, [web_form["newsletter"], web_form["events"]], email="bor@example.si")
    assert client.post(link(mails(app)[-1], "confirm")).status_code == 200
    with app.app_context(), acme.scope():
        assert db.session.scalars(select(FormSubmission.email)).all() == ["bor@example.si"]
    for url in (link(ana_mail, "confirm"), link(ana_mail, "consents")):
        for answer in (client.get(url), client.post(url, data={"consent": "1"})):
            page = answer.get_data(as_text=True)
            # the page of a link whose submission is gone: "This link is not valid"
            assert answer.status_code == 400, (url, answer.status_code)
            assert 'id="link-problem"' in page and "This link is not valid" in page
            assert "bor@example.si" not in page and "Withdraw" not in page
    with app.app_context(), acme.scope():
        assert {c.state for c in db.session.scalars(select(Consent))} == {
            ConsentState.GRANTED}


def test_an_expired_consents_link_says_how_to_withdraw_without_a_new_consent(
        app, acme, web_form, client, monkeypatch):
    app.config["WEBFORM_MANAGE_MAX_AGE"] = 3600
    manage = link(confirmed(app, client, web_form), "consents")
    late = clock.utcnow() + timedelta(hours=2)
    monkeypatch.setattr(clock, "utcnow", lambda: late)
    answer = client.get(manage)
    assert answer.status_code == 410
    page = answer.get_data(as_text=True)
    assert "open the link in the latest e-mail or consent receipt from us" in page
    assert "withdrawing never needs a new consent" in page
    assert "fill in the form again" not in page

"""What the web form does, apart from the pages: take a submission, confirm it, withdraw.

- `submit`: check the fields, stop bots (honeypot, rate limits), answer a suppressed
  address and an address already waiting exactly like any other (nothing is stored or sent
  for them), else store the submission and send ONE confirmation mail with a signed link.
  Nothing is recorded as a consent yet.
- `confirm`: the click (a POST from the confirmation page) matches or creates the contact
  and records, per purpose, the request (at submission) and the grant (at confirmation)
  through the consent API, with the form as source, the IP and user agent of the
  submission, the notice shown (version and hash); the confirming request's IP and agent
  are on the consent events.
- `withdraw`: one consent of the link's contact, withdrawn through the consent API.

The caller commits (or rolls back). Every row written is reported through the core's
record events with the visitor as actor (`form:<ip>`), so the audit trail has each step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app, render_template
from sqlalchemy import delete, select

from core.db import db
from core.emails import InvalidEmail, normalize_email
from core.events import EventContext, emit
from core.mail import send_mail
from core.models import Contact
from plugins.gdpr_consents import consents as consent_logic
from plugins.gdpr_consents.errors import ConsentInputError
from plugins.gdpr_consents.intake.public_url import absolute_url
from plugins.gdpr_consents.intake.webform import throttle, tokens
from plugins.gdpr_consents.intake.webform.models import FormSubmission, WebForm
from plugins.gdpr_consents.models import Consent, ConsentState, Purpose
from plugins.gdpr_consents.validity import current_state

HONEYPOT = "website"
NAME_LIMIT = 128


@dataclass
class Outcome:
    """What became of a submission: `errors` by field (shown on the form), `limited`
    (too many submissions), else accepted (the visitor sees the same neutral page whether
    a mail went out or not; `mailed` says which, for the log and tests)."""

    errors: dict[str, str] = field(default_factory=dict)
    limited: bool = False
    mailed: bool = False
    note: str = ""


def _link(kind: str, ctx: EventContext, **ids: int) -> str:
    page = "confirm" if kind == tokens.CONFIRM else "consents"
    token = tokens.make_token(kind, ctx.tenant.id, ctx.at, **ids)
    return absolute_url(f"/f/{ctx.tenant.slug}/{page}/{token}")


def manage_link(ctx: EventContext, contact_id: int) -> str:
    """The signed address of the page where contact `contact_id` of `ctx.tenant` sees and
    withdraws their consents, valid from `ctx.at` (receipts and the thank-you page carry
    it)."""
    return _link(tokens.MANAGE, ctx, c=contact_id)


def _check(form: WebForm, data: Any) -> tuple[dict[str, str], str, list[Purpose]]:
    errors: dict[str, str] = {}
    address = ""
    try:
        address = normalize_email(data.get("email") or "")
    except InvalidEmail as exc:
        errors["email"] = f"email: {exc}"
    offered = {str(p.id): p for p in form.purposes if p.active}
    chosen = [offered[i] for i in dict.fromkeys(data.getlist("purposes")) if i in offered]
    if not chosen:
        errors["purposes"] = "purposes: choose at least one of the purposes offered."
    for name in ("first_name", "last_name"):
        if len((data.get(name) or "").strip()) > NAME_LIMIT:
            errors[name] = f"{name}: at most {NAME_LIMIT} characters."
    return errors, address, chosen


def _forget_unconfirmed(ctx: EventContext) -> None:
    """Drop the tenant's submissions whose link expired unconfirmed: an address nobody
    confirmed is not kept (and could not be found by an erasure, having no contact)."""
    since = ctx.at - timedelta(seconds=tokens.max_age(tokens.CONFIRM))
    db.session.execute(delete(FormSubmission).where(FormSubmission.confirmed_at.is_(None),
                                                    FormSubmission.submitted_at < since),
                       execution_options={"synchronize_session": False})


def _waiting(form: WebForm, address: str) -> FormSubmission | None:
    """A submission of this address to this form whose link is still valid (the expired
    ones are gone)."""
    return db.session.scalar(select(FormSubmission).where(
        FormSubmission.form_id == form.id, FormSubmission.email == address,
        FormSubmission.confirmed_at.is_(None)).limit(1))


def submit(ctx: EventContext, form: WebForm, data: Any) -> Outcome:
    """Take a submission of `form` (request form data: `email`, `first_name`, `last_name`,
    `purposes` (purpose ids), honeypot `website`). Not committed; raises MailError when
    the mail cannot be handed over (the caller rolls back)."""
    if (data.get(HONEYPOT) or "").strip():
        current_app.logger.info("web form %s: honeypot filled, submission dropped", form.slug)
        return Outcome(note="honeypot")
    errors, address, chosen = _check(form, data)
    if errors:
        return Outcome(errors=errors)
    if not throttle.allowed(address, ctx.ip, ctx.at):
        return Outcome(limited=True)
    throttle.charge(address, ctx.ip, ctx.at)
    if emit("crm_is_suppressed", ctx, email=address):
        current_app.logger.info("web form %s: submission for a suppressed address dropped",
                                form.slug)
        return Outcome(note="suppressed")
    _forget_unconfirmed(ctx)
    if _waiting(form, address) is not None:
        return Outcome(note="already waiting")
    submission = FormSubmission(
        form_id=form.id, email=address, tenant_id=ctx.tenant_id,
        first_name=(data.get("first_name") or "").strip(),
        last_name=(data.get("last_name") or "").strip(),
        purpose_ids=[p.id for p in chosen], ip=ctx.ip, user_agent=ctx.user_agent,
        notice_text=form.notice_text, notice_version=form.notice_version,
        submitted_at=ctx.at,
    )
    db.session.add(submission)
    db.session.flush()
    _send_confirmation(ctx, form, submission, chosen)
    return Outcome(mailed=True)


def _send_confirmation(ctx: EventContext, form: WebForm, submission: FormSubmission,
                       chosen: list[Purpose]) -> None:
    values = {"tenant": ctx.tenant, "form": form, "purposes": chosen,
              "confirm_url": _link(tokens.CONFIRM, ctx, s=submission.id),
              "manage_url": _link(tokens.MANAGE, ctx, s=submission.id),
              "hours": tokens.max_age(tokens.CONFIRM) // 3600}
    send_mail(submission.email, f"{ctx.tenant.name}: please confirm your subscription",
              render_template("gdpr_consents/webform/confirm_mail.txt", **values))


def submission_of(token: str, tenant_id: int) -> FormSubmission:
    """The submission a confirmation token stands for. Raises tokens.LinkExpired or
    tokens.LinkInvalid (also when the submission is gone, e.g. erased)."""
    ids = tokens.read_token(tokens.CONFIRM, token, tenant_id)
    submission = db.session.get(FormSubmission, ids["s"]) if "s" in ids else None
    if submission is None or submission.tenant_id != tenant_id or not submission.email:
        raise tokens.LinkInvalid("the link is not valid")
    return submission


def purposes_of(submission: FormSubmission) -> list[Purpose]:
    """The purposes a submission chose (those that still exist)."""
    found = (db.session.get(Purpose, i) for i in submission.purpose_ids)
    return [p for p in found if p is not None]


def confirm(ctx: EventContext, submission: FormSubmission) -> tuple[Contact | None, list[str]]:
    """Record the consents of a submission (once). Returns the contact (None when the
    address is suppressed by now: nothing is recorded) and one line per purpose that could
    not be recorded. Not committed."""
    if submission.confirmed_at is not None:
        return db.session.get(Contact, submission.contact_id), []
    if emit("crm_is_suppressed", ctx, email=submission.email):
        return None, []
    contact = db.session.scalar(select(Contact).where(Contact.email == submission.email))
    if contact is None:
        contact = Contact(email=submission.email, first_name=submission.first_name,
                          last_name=submission.last_name, tenant_id=ctx.tenant_id)
        db.session.add(contact)
        db.session.flush()
    problems = []
    capture = {"source": "web_form", "source_detail": f"web form {submission.form.slug}",
               "ip": submission.ip or ctx.ip, "user_agent": submission.user_agent
               or ctx.user_agent, "notice_version": submission.notice_version,
               "notice_text": submission.notice_text,
               "payload": {"web_form": submission.form.slug, "submission": submission.id,
                           "submitted_at": submission.submitted_at.isoformat(),
                           "confirmed_at": ctx.at.isoformat()}}
    for purpose in purposes_of(submission):
        try:
            with db.session.begin_nested():
                consent_logic.request_confirmation(
                    ctx, contact, purpose, requested_at=submission.submitted_at, **capture)
                consent_logic.grant(ctx, contact, purpose, given_at=ctx.at, **capture)
        except ConsentInputError as exc:
            problems.append(f"{purpose.name}: {exc}")
    submission.confirmed_at = ctx.at
    submission.contact_id = contact.id
    db.session.flush()
    return contact, problems


def contact_of(token: str, tenant_id: int) -> Contact | None:
    """The contact a manage token stands for: its contact, or the contact its submission
    was confirmed as (None while it is not confirmed: nothing is recorded yet). Raises
    tokens.LinkExpired or tokens.LinkInvalid (also when what it names is gone)."""
    ids = tokens.read_token(tokens.MANAGE, token, tenant_id)
    if "c" in ids:
        contact = db.session.get(Contact, ids["c"])
        if contact is None or contact.tenant_id != tenant_id:
            raise tokens.LinkInvalid("the link is not valid")
        return contact
    submission = db.session.get(FormSubmission, ids["s"])
    if submission is None or submission.tenant_id != tenant_id:
        raise tokens.LinkInvalid("the link is not valid")
    if submission.contact_id is None:
        return None
    return db.session.get(Contact, submission.contact_id)


def withdrawable(consent: Consent, ctx: EventContext) -> bool:
    """True when the person can withdraw this consent now (granted or pending)."""
    return current_state(consent, ctx.at) in (ConsentState.GRANTED, ConsentState.PENDING)


def withdraw(ctx: EventContext, contact: Contact, consent_id: Any) -> Consent:
    """Withdraw the consent `consent_id` of `contact` now, by the person through the
    link. A consent id that is not one of the contact's (another person's, a missing one
    or not a number) raises the same ConsentInputError (404): the page does not tell
    whether an id exists. Not committed."""
    try:
        consent = consent_logic.get_consent(consent_id)
    except ConsentInputError:
        consent = None
    if consent is None or consent.contact_id != contact.id:
        raise ConsentInputError("consent", "there is no such consent.", status=404)
    return consent_logic.withdraw(ctx, consent, reason="withdrawn by the person through "
                                  "the link in a mail or receipt", source=None)
